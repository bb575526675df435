/* Winograd convolution against a direct convolution summed in double: the
 * forward pass, the input gradient (the flipped kernel) and the weight
 * gradient, for every kernel size it supports, several paddings, lengths
 * that do not fill the last tile, and tile blocks that span samples. The
 * error is measured relative to the largest reference value. */
#include "check.h"
#include "nn/model_internal.h"
#include "nn/winograd.h"

#include <stdlib.h>

static uint64_t rs = 99;
static float frand(void) { return 2.0f * nn_rng_uniform(&rs) - 1.0f; }

static float *rand_array(int64_t n)
{
    float *a = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) a[i] = frand();
    return a;
}

static double max_abs(const double *a, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

/* relative error of f against reference d */
static double rel_err(const float *f, const double *d, int64_t n)
{
    double e = 0;
    for (int64_t i = 0; i < n; i++) e = fmax(e, fabs(f[i] - d[i]));
    return e / max_abs(d, n);
}

typedef struct wcase {
    int r, pad, cin, cout, B, L, nb;
} wcase;

static void one_case(const wcase *c, double *worst)
{
    nn_wino w;
    CHECK(nn_wino_init(&w, c->r) == 0);
    int Lout = c->L + 2 * c->pad - c->r + 1;
    nn_wino_io io = {c->cin, c->cout, c->L, c->pad, Lout, (int64_t)c->cin * c->L, (int64_t)c->cout * Lout};
    int64_t nx = (int64_t)c->B * io.xs, ny = (int64_t)c->B * io.ys, nw = (int64_t)c->cout * c->cin * c->r;
    float *x = rand_array(nx), *W = rand_array(nw), *bias = rand_array(c->cout), *dy = rand_array(ny);
    double *yd = calloc((size_t)ny, sizeof(double)), *dxd = calloc((size_t)nx, sizeof(double));
    double *dwd = calloc((size_t)nw, sizeof(double));
    for (int b = 0; b < c->B; b++)
        for (int o = 0; o < c->cout; o++)
            for (int t = 0; t < Lout; t++) {
                double s = bias[o];
                double g = dy[b * io.ys + (int64_t)o * Lout + t];
                for (int i = 0; i < c->cin; i++)
                    for (int k = 0; k < c->r; k++) {
                        int u = t - c->pad + k;
                        if (u < 0 || u >= c->L) continue;
                        int64_t xi = b * io.xs + (int64_t)i * c->L + u, wi = ((int64_t)o * c->cin + i) * c->r + k;
                        s += (double)W[wi] * x[xi];
                        dxd[xi] += (double)W[wi] * g;
                        dwd[wi] += (double)x[xi] * g;
                    }
                yd[b * io.ys + (int64_t)o * Lout + t] = s;
            }
    int nt = nn_wino_tiles(&w, Lout);
    int64_t ntiles = (int64_t)c->B * nt;
    int64_t wsn = nn_wino_ws_floats(&io, c->nb);
    nn_wino_io back = {c->cout, c->cin, Lout, c->r - 1 - c->pad, c->L, io.ys, io.xs};
    int64_t wsb = nn_wino_ws_floats(&back, c->nb);
    float *ws = malloc(sizeof(float) * (size_t)(wsn > wsb ? wsn : wsb));
    float *U = malloc(sizeof(float) * 8 * (size_t)c->cout * c->cin);
    float *y = malloc(sizeof(float) * (size_t)ny), *dx = malloc(sizeof(float) * (size_t)nx);
    float *dWp = calloc(8 * (size_t)c->cout * c->cin, sizeof(float)), *dW = calloc((size_t)nw, sizeof(float));

    nn_wino_weights(&w, c->cout, c->cin, W, 0, U);
    for (int64_t n0 = 0; n0 < ntiles; n0 += c->nb)
        nn_wino_fwd(&w, &io, U, bias, x, y, 0, n0, n0 + c->nb < ntiles ? n0 + c->nb : ntiles, ws);
    double ey = rel_err(y, yd, ny);

    /* input gradient: the flipped kernel over dy, padded by r - 1 - pad */
    nn_wino_weights(&w, c->cout, c->cin, W, 1, U);
    int64_t bt = (int64_t)c->B * nn_wino_tiles(&w, c->L);
    for (int64_t i = 0; i < nx; i++) dx[i] = 1.0f; /* acc = 1 adds to it */
    for (int64_t n0 = 0; n0 < bt; n0 += c->nb)
        nn_wino_fwd(&w, &back, U, NULL, dy, dx, 1, n0, n0 + c->nb < bt ? n0 + c->nb : bt, ws);
    for (int64_t i = 0; i < nx; i++) dx[i] -= 1.0f;
    double edx = rel_err(dx, dxd, nx);

    for (int64_t n0 = 0; n0 < ntiles; n0 += c->nb)
        nn_wino_dw(&w, &io, x, dy, n0, n0 + c->nb < ntiles ? n0 + c->nb : ntiles, dWp, ws);
    nn_wino_dw_finish(&w, c->cout, c->cin, dWp, dW);
    double edw = rel_err(dW, dwd, nw);

    printf("  r=%d pad=%d cin=%d cout=%d B=%d L=%d nb=%d: y %.2e  dx %.2e  dW %.2e\n", c->r, c->pad, c->cin,
           c->cout, c->B, c->L, c->nb, ey, edx, edw);
    /* float32 sums of a few hundred terms are good to ~1e-6 relative; the
     * transforms may lose up to two more decimal digits, no more */
    CHECK_MSG(ey < 5e-5, "forward error %.3g", ey);
    CHECK_MSG(edx < 5e-5, "input-gradient error %.3g", edx);
    CHECK_MSG(edw < 5e-5, "weight-gradient error %.3g", edw);
    worst[0] = fmax(worst[0], ey);
    worst[1] = fmax(worst[1], edx);
    worst[2] = fmax(worst[2], edw);
    free(x); free(W); free(bias); free(dy); free(yd); free(dxd); free(dwd);
    free(ws); free(U); free(y); free(dx); free(dWp); free(dW);
}

static void test_against_direct(void)
{
    const wcase cases[] = {
        {3, 1, 16, 24, 3, 50, 7},  {5, 2, 16, 24, 3, 50, 64}, {7, 3, 12, 32, 2, 101, 5},
        {2, 0, 8, 8, 2, 33, 4},    {4, 1, 8, 8, 2, 31, 9},    {6, 2, 8, 16, 1, 40, 3},
        {3, 0, 8, 8, 2, 20, 100},  {5, 4, 4, 4, 2, 9, 2},     {3, 2, 64, 64, 2, 125, 32},
        {5, 2, 128, 128, 1, 250, 128},
    };
    double worst[3] = {0, 0, 0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) one_case(&cases[i], worst);
    printf("  worst relative error: forward %.2e, input gradient %.2e, weight gradient %.2e\n", worst[0], worst[1],
           worst[2]);
}

/* The transforms are exact for polynomials: a kernel applied to a ramp gives
 * the closed form sum_k w_k (t - pad + k) in the interior. */
static void test_closed_form(void)
{
    nn_wino w;
    CHECK(nn_wino_init(&w, 1) < 0);
    CHECK(nn_wino_init(&w, 8) < 0);
    CHECK(nn_wino_init(&w, 3) == 0);
    CHECK(w.m == 6);
    const float W[3] = {1.0f, -2.0f, 0.5f};
    float x[60], y[60], U[8], ws[8 * 2 * 10 + 8 * 10 + 20];
    for (int t = 0; t < 60; t++) x[t] = (float)t;
    nn_wino_io io = {1, 1, 60, 1, 60, 60, 60};
    nn_wino_weights(&w, 1, 1, W, 0, U);
    nn_wino_fwd(&w, &io, U, NULL, x, y, 0, 0, 10, ws);
    for (int t = 1; t < 59; t++) CHECK_NEAR(y[t], 1.0 * (t - 1) - 2.0 * t + 0.5 * (t + 1), 1e-4);
    CHECK_NEAR(y[0], -2.0 * 0 + 0.5 * 1, 1e-5); /* the left zero pad */
}

int main(void)
{
    RUN(test_closed_form);
    RUN(test_against_direct);
    return check_finish();
}
