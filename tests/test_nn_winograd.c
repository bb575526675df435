/* Winograd convolution (and im2col) against a direct convolution summed in double: the
 * forward pass, the input gradient (the flipped kernel) and the weight
 * gradient, for every kernel size it supports at strides 1 and 2, several
 * paddings, lengths that do not fill the last tile, and tile blocks that
 * span samples. The error is measured relative to the largest reference
 * value. */
#include "check.h"
#include "nn/model_internal.h"
#include "nn/panel_gemm.h"
#include "nn/winograd.h"

#include <stdlib.h>
#include <string.h>

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
    int k, stride, pad, cin, cout, B, L;
} wcase;

/* A model of one conv layer (with bias): its output, input gradient and
 * weight and bias gradients for an output gradient dy, against sums in
 * double. Training mode and evaluation mode take different paths through
 * the forward pass (blocks across the batch; groups of samples). */
static void one_case(const wcase *c, int training, int winograd, double *worst)
{
    ecgx_model *m = nn_model_new("test", c->cin, 1, 5);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(nn_add_conv(m, "conv", ECGX_MODEL_INPUT, c->cin, c->cout, c->k, c->stride, c->pad, 1, 1, 1) >= 0);
    CHECK_OK(nn_model_finalize(m));
    ecgx_model_set_training(m, training);
    ecgx_model_set_winograd(m, winograd);
    int Lout = (c->L + 2 * c->pad - c->k) / c->stride + 1;
    int64_t xs = (int64_t)c->cin * c->L, ys = (int64_t)c->cout * Lout;
    int64_t nx = c->B * xs, ny = c->B * ys, nw = (int64_t)c->cout * c->cin * c->k;
    float *x = rand_array(nx), *dy = rand_array(ny), *dx = malloc(sizeof(float) * (size_t)nx);
    ecgx_param pw, pb;
    CHECK_OK(ecgx_model_param(m, ecgx_model_param_find(m, "conv.weight"), &pw));
    CHECK_OK(ecgx_model_param(m, ecgx_model_param_find(m, "conv.bias"), &pb));
    double *yd = calloc((size_t)ny, sizeof(double)), *dxd = calloc((size_t)nx, sizeof(double));
    double *dwd = calloc((size_t)nw, sizeof(double)), *dbd = calloc((size_t)c->cout, sizeof(double));
    for (int b = 0; b < c->B; b++)
        for (int o = 0; o < c->cout; o++)
            for (int t = 0; t < Lout; t++) {
                double s = pb.data[o], g = dy[b * ys + (int64_t)o * Lout + t];
                dbd[o] += g;
                for (int i = 0; i < c->cin; i++)
                    for (int k = 0; k < c->k; k++) {
                        int u = t * c->stride - c->pad + k;
                        if (u < 0 || u >= c->L) continue;
                        int64_t xi = b * xs + (int64_t)i * c->L + u, wi = ((int64_t)o * c->cin + i) * c->k + k;
                        s += (double)pw.data[wi] * x[xi];
                        dxd[xi] += (double)pw.data[wi] * g;
                        dwd[wi] += (double)x[xi] * g;
                    }
                yd[b * ys + (int64_t)o * Lout + t] = s;
            }
    ecgx_model_zero_grad(m);
    CHECK_OK(ecgx_model_forward(m, x, c->B, c->L, NULL));
    CHECK_MSG((m->layers[0].wino != NULL) == winograd, "k %d stride %d pad %d: Winograd %d expected", c->k, c->stride,
              c->pad, winograd);
    if (!winograd) CHECK((m->layers[0].wpack != NULL) == nn_panel_available());
    CHECK_OK(ecgx_model_backward(m, dy, dx, 0));
    int bb, cc, ll;
    const float *y = ecgx_model_activation(m, 0, &bb, &cc, &ll);
    CHECK(ll == Lout && cc == c->cout);
    double e[4] = {rel_err(y, yd, ny), rel_err(dx, dxd, nx), rel_err(pw.grad, dwd, nw), rel_err(pb.grad, dbd, c->cout)};
    printf("  k=%d stride=%d pad=%d cin=%d cout=%d B=%d L=%d %s: y %.2e  dx %.2e  dW %.2e  db %.2e\n", c->k, c->stride,
           c->pad, c->cin, c->cout, c->B, c->L, training ? "train" : "eval ", e[0], e[1], e[2], e[3]);
    /* float32 sums of a few hundred terms are good to ~1e-6 relative; the
     * transforms may lose up to two more decimal digits, no more */
    const char *what[4] = {"output", "input gradient", "weight gradient", "bias gradient"};
    for (int i = 0; i < 4; i++) {
        CHECK_MSG(e[i] < 5e-5, "%s error %.3g", what[i], e[i]);
        worst[i] = fmax(worst[i], e[i]);
    }
    free(x); free(dy); free(dx); free(yd); free(dxd); free(dwd); free(dbd);
    ecgx_model_free(m);
}

/* Every case in training and evaluation mode, with the products done by
 * the packed panels (where the CPU has AVX-512) and by sgemm. */
static void all_cases(const wcase *cases, size_t n, int winograd)
{
    for (int panel = nn_panel_available(); panel >= 0; panel--) {
        nn_panel_enable(panel);
        double worst[4] = {0, 0, 0, 0};
        for (int training = 0; training < 2; training++)
            for (size_t i = 0; i < n; i++) one_case(&cases[i], training, winograd, worst);
        printf("  %s, products by %s, worst relative error: output %.2e, input gradient %.2e, weight gradient "
               "%.2e, bias gradient %.2e\n",
               winograd ? "Winograd" : "im2col", panel ? "packed panels" : "sgemm", worst[0], worst[1], worst[2],
               worst[3]);
    }
    nn_panel_enable(1);
}

static void test_against_direct(void)
{
    const wcase cases[] = {
        {3, 1, 1, 16, 24, 3, 50},  {5, 1, 2, 16, 24, 3, 50},  {7, 1, 3, 12, 32, 2, 101}, {2, 1, 0, 8, 8, 2, 33},
        {4, 1, 1, 8, 8, 2, 31},    {6, 1, 2, 8, 16, 1, 40},   {3, 1, 0, 8, 8, 2, 20},    {5, 1, 4, 4, 4, 2, 9},
        {3, 1, 2, 64, 64, 2, 125}, {5, 1, 2, 128, 128, 1, 250},
        {5, 2, 2, 16, 24, 3, 50},  {5, 2, 2, 16, 16, 2, 63},  {3, 2, 1, 8, 16, 3, 31},   {4, 2, 1, 8, 8, 2, 40},
        {7, 2, 3, 12, 16, 2, 77},  {13, 2, 6, 4, 8, 2, 60},   {5, 2, 0, 8, 8, 1, 11},    {5, 2, 2, 128, 128, 2, 250},
    };
    all_cases(cases, sizeof cases / sizeof cases[0], 1);
}

/* The same reference for the im2col path (Winograd off, and shapes it does
 * not take: pointwise, stride 3, 9 taps), whose forward products are also
 * done by the packed panels where the CPU allows. */
static void test_im2col(void)
{
    const wcase cases[] = {
        {1, 1, 0, 16, 24, 2, 50}, {1, 2, 0, 128, 128, 1, 250}, {9, 1, 4, 12, 32, 2, 101}, {5, 3, 2, 8, 16, 3, 40},
        {5, 1, 2, 128, 128, 1, 250}, {7, 1, 3, 12, 128, 1, 1000},
    };
    all_cases(cases, sizeof cases / sizeof cases[0], 0);
}

/* Weights written through a handed-out pointer, even one kept across
 * passes, reach the Winograd transforms and the packed weights: scaling
 * the weights (no bias) scales the outputs. */
static void test_weights_written(void)
{
    for (int k = 1; k <= 5; k += 4) { /* k 1: im2col (packed), k 5: Winograd */
        ecgx_model *m = nn_model_new("test", 8, 1, 5);
        CHECK(nn_add_conv(m, "conv", ECGX_MODEL_INPUT, 8, 8, k, 1, k / 2, 1, 1, 0) >= 0);
        CHECK_OK(nn_model_finalize(m));
        ecgx_model_set_training(m, 0);
        float *x = rand_array(8 * 40), y0[8 * 40];
        const float *y;
        CHECK_OK(ecgx_model_forward(m, x, 1, 40, NULL));
        memcpy(y0, ecgx_model_activation(m, 0, NULL, NULL, NULL), sizeof y0);
        CHECK((m->layers[0].wino != NULL) == (k == 5));
        ecgx_param p;
        CHECK_OK(ecgx_model_param(m, ecgx_model_param_find(m, "conv.weight"), &p));
        const float scale[2] = {2.0f, -0.5f};
        for (int step = 0; step < 2; step++) {
            CHECK_OK(ecgx_model_forward(m, x, 1, 40, NULL)); /* the pointer is kept across this pass */
            for (int64_t i = 0; i < p.size; i++) p.data[i] *= scale[step];
            CHECK_OK(ecgx_model_forward(m, x, 1, 40, NULL));
            y = ecgx_model_activation(m, 0, NULL, NULL, NULL);
            double e = 0, f = step ? -1.0 : 2.0;
            for (int i = 0; i < 8 * 40; i++) e = fmax(e, fabs(y[i] - f * y0[i]));
            CHECK_MSG(e < 1e-5, "k %d step %d: outputs off by %.3g after the weights were written", k, step, e);
        }
        free(x);
        ecgx_model_free(m);
    }
}

/* Only the shapes Winograd handles are taken by it. */
static void test_which_layers(void)
{
    const int shapes[][4] = {{1, 1, 0, 0}, {9, 1, 4, 0}, {5, 1, 2, 1}, {3, 3, 1, 0}, {5, 2, 2, 1}, {15, 2, 7, 0}, {14, 2, 6, 1}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        ecgx_model *m = nn_model_new("test", 4, 1, 5);
        CHECK(nn_add_conv(m, "conv", ECGX_MODEL_INPUT, 4, 4, shapes[i][0], shapes[i][1], shapes[i][2], 1, 1, 0) >= 0);
        CHECK_OK(nn_model_finalize(m));
        float x[4 * 64] = {0};
        CHECK_OK(ecgx_model_forward(m, x, 1, 64, NULL));
        CHECK_MSG((m->layers[0].wino != NULL) == shapes[i][3], "k %d stride %d", shapes[i][0], shapes[i][1]);
        ecgx_model_set_winograd(m, 0);
        CHECK_OK(ecgx_model_forward(m, x, 1, 64, NULL));
        CHECK(m->layers[0].wino == NULL);
        ecgx_model_free(m);
    }
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
    float x[60], y[60], U[8], ws[8 * 2 * 10 + 8 * 14];
    for (int t = 0; t < 60; t++) x[t] = (float)t;
    nn_wino_io io = {1, 1, 60, 1, 60, 60, 60, 1, 1, 60, 0};
    CHECK(nn_wino_ws_floats(&io, 10) <= (int64_t)(sizeof ws / sizeof ws[0]));
    nn_wino_weights(&w, 1, 1, 3, 1, W, 0, U);
    nn_wino_fwd(&w, &io, U, NULL, NULL, x, y, 0, 0, 10, ws);
    for (int t = 1; t < 59; t++) CHECK_NEAR(y[t], 1.0 * (t - 1) - 2.0 * t + 0.5 * (t + 1), 1e-4);
    CHECK_NEAR(y[0], -2.0 * 0 + 0.5 * 1, 1e-5); /* the left zero pad */
}

int main(void)
{
    RUN(test_closed_form);
    RUN(test_against_direct);
    RUN(test_im2col);
    RUN(test_weights_written);
    RUN(test_which_layers);
    return check_finish();
}
