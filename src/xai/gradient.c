/* Gradient-based attributions: saliency, gradient x input and Integrated
 * Gradients, on the input or at a layer. The alpha steps of IG run through
 * the model as batches (opts->batch rows per forward/backward). */
#include "xai/xai_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* n Gauss-Legendre nodes and weights on [0, 1] (Newton on P_n, as numpy's leggauss). */
static void gauss_legendre01(int n, double *x, double *w)
{
    for (int i = 0; i < n; i++) {
        double z = cos(M_PI * (i + 0.75) / (n + 0.5)), dp = 1;
        for (int it = 0; it < 100; it++) {
            double p0 = 1, p1 = z;
            for (int k = 2; k <= n; k++) {
                double p2 = ((2.0 * k - 1) * z * p1 - (k - 1.0) * p0) / k;
                p0 = p1;
                p1 = p2;
            }
            if (n == 1) p0 = 1, p1 = z;
            dp = n * (z * p1 - p0) / (z * z - 1);
            double dz = p1 / dp;
            z -= dz;
            if (fabs(dz) < 1e-15) break;
        }
        x[i] = 0.5 * (1 - z); /* ascending on [0,1] */
        w[i] = 1.0 / ((1 - z * z) * dp * dp);  /* = 2/((1-z^2)P'^2) / 2 */
    }
}

static void quadrature(int n, ecgx_xai_quadrature q, double *alpha, double *w)
{
    if (q == ECGX_QUAD_GAUSS_LEGENDRE) {
        gauss_legendre01(n, alpha, w);
        return;
    }
    if (n == 1) {
        alpha[0] = 1;
        w[0] = 1;
        return;
    }
    for (int k = 0; k < n; k++) {
        alpha[k] = (double)k / (n - 1);
        w[k] = (k == 0 || k == n - 1 ? 0.5 : 1.0) / (n - 1);
    }
}

/* Layer activation for row b of the last forward. */
static const float *act_row(ecgx_model *m, int layer, int b, int *c, int *l)
{
    const float *a = ecgx_model_activation(m, layer, NULL, c, l);
    return a ? a + (size_t)b * (*c) * (*l) : NULL;
}
static const float *grad_row(ecgx_model *m, int layer, int b, int *c, int *l)
{
    const float *g = ecgx_model_gradient(m, layer, NULL, c, l);
    return g ? g + (size_t)b * (*c) * (*l) : NULL;
}

static int simple_gradient(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target, int layer,
                           ecgx_attribution **out)
{
    int C = ecgx_model_in_channels(m);
    size_t nx = (size_t)C * L;
    float *dx = malloc(sizeof(float) * nx);
    if (!dx) return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    float *lg = malloc(sizeof(float) * ecgx_model_n_classes(m));
    int rc = lg ? xai_grad_batch(m, x, 1, L, target, dx, lg) : ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    ecgx_attribution *a = NULL;
    if (!rc) {
        const float *g = dx, *v = x;
        int c = C, l = L;
        if (layer >= 0) {
            g = grad_row(m, layer, 0, &c, &l);
            v = act_row(m, layer, 0, &c, &l);
            if (!g || !v) rc = ecgx_error(ECGX_ERR_STATE, "xai: no gradient at layer %d", layer);
        }
        if (!rc && !(a = xai_attribution_new(o->method, target, c, l))) rc = ECGX_ERR_NOMEM;
        for (size_t i = 0; !rc && i < (size_t)c * l; i++)
            a->relevance[i] = o->method == ECGX_XAI_GXI ? g[i] * v[i] : fabsf(g[i]);
    }
    free(dx);
    if (!rc) {
        a->steps = 1;
        a->logit = lg[target];
        xai_attribution_finish(a);
        *out = a;
    }
    free(lg);
    return rc;
}

/* IG's default batch: one alpha step per thread when those threads have
 * cores to themselves. The forward pass then runs sample-major (each thread
 * one input, its activations in cache) and the arenas stay small;
 * resnet1d_wang on 12 x 1000 with 2 idle threads: 64 steps in 0.23 s with
 * batches of 2 against 0.33 s with batches of 16, whose 300 MB of
 * activations cost 75,000 page faults in a fresh process. On cores other
 * processes keep busy, small batches multiply the backward pass's per-layer
 * barriers, each waiting for a descheduled thread (ecgx report: 18 s against
 * 7 s under a load of 13): there the batch stays 16 (docs/xai.md). */
static int xai_ig_auto_batch(void)
{
    int t = omp_get_max_threads();
    if (t > 1 && ecgx_nn_threads_available() < t) return 16;
    return t < 1 ? 1 : t > 16 ? 16 : t;
}

static int integrated_gradients(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target,
                                int layer, ecgx_attribution **out)
{
    int C = ecgx_model_in_channels(m), nc = ecgx_model_n_classes(m);
    int n = o->steps > 0 ? o->steps : 64, B = o->batch > 0 ? o->batch : xai_ig_auto_batch();
    if (n > 100000) return ecgx_error(ECGX_ERR_RANGE, "xai: %d IG steps is too many", n);
    if (B > n) B = n;
    size_t nx = (size_t)C * L;
    double *alpha = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n);
    float *x0 = malloc(sizeof(float) * nx), *xb = malloc(sizeof(float) * nx * (B > 2 ? B : 2));
    float *dx = malloc(sizeof(float) * nx * B), *lg = malloc(sizeof(float) * (B > 2 ? B : 2) * nc);
    double *acc = NULL;
    float *dA = NULL; /* layer: A(x) - A(x0) */
    ecgx_attribution *a = NULL;
    int rc = (alpha && w && x0 && xb && dx && lg) ? 0 : ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    if (!rc) rc = ecgx_xai_make_baseline(x, C, L, o->baseline, o->baseline_param, o->fs, x0);
    int c = C, l = L;
    double fx = 0, fx0 = 0;
    if (!rc) { /* f(x), f(x0) and, at a layer, the activations' difference */
        memcpy(xb, x, sizeof(float) * nx);
        memcpy(xb + nx, x0, sizeof(float) * nx);
        rc = ecgx_model_forward(m, xb, 2, L, lg);
        if (!rc) {
            fx = lg[target];
            fx0 = lg[nc + target];
        }
        if (!rc && layer >= 0) {
            const float *a1 = act_row(m, layer, 0, &c, &l), *a0 = act_row(m, layer, 1, &c, &l);
            dA = malloc(sizeof(float) * (size_t)c * l);
            if (!dA) rc = ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
            for (size_t i = 0; !rc && i < (size_t)c * l; i++) dA[i] = a1[i] - a0[i];
        }
    }
    size_t na = (size_t)c * l;
    if (!rc && !(acc = calloc(na, sizeof(double)))) rc = ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    /* At a layer the path in the layer's space is the image of the straight
     * input path, so the attribution is the path integral of the layer's
     * gradient along it: sum_k (G_k + G_k-1)/2 * (A_k - A_k-1) on the
     * trapezoid grid (conductance summed over the path; complete for
     * networks where everything passes through the layer). */
    float *prevA = NULL, *prevG = NULL;
    if (!rc && layer >= 0) {
        prevA = malloc(sizeof(float) * na);
        prevG = malloc(sizeof(float) * na);
        if (!prevA || !prevG) rc = ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
        if (n < 2) n = 2;
    }
    if (!rc) quadrature(n, layer >= 0 ? ECGX_QUAD_TRAPEZOID : o->quadrature, alpha, w);
    for (int k0 = 0; k0 < n && !rc; k0 += B) {
        int nb = n - k0 < B ? n - k0 : B;
        for (int b = 0; b < nb; b++) {
            float al = (float)alpha[k0 + b], *row = xb + (size_t)b * nx;
            for (size_t i = 0; i < nx; i++) row[i] = x0[i] + al * (x[i] - x0[i]);
        }
        rc = xai_grad_batch(m, xb, nb, L, target, layer >= 0 ? NULL : dx, NULL);
        if (rc) break;
        for (int b = 0; b < nb; b++) {
            if (layer >= 0) {
                const float *g = grad_row(m, layer, b, &c, &l), *av = act_row(m, layer, b, &c, &l);
                if (k0 + b > 0)
                    for (size_t i = 0; i < na; i++) acc[i] += 0.5 * ((double)g[i] + prevG[i]) * ((double)av[i] - prevA[i]);
                memcpy(prevG, g, sizeof(float) * na);
                memcpy(prevA, av, sizeof(float) * na);
                continue;
            }
            const float *g = dx + (size_t)b * nx;
            double wk = w[k0 + b];
            for (size_t i = 0; i < na; i++) acc[i] += wk * g[i];
        }
    }
    if (!rc && !(a = xai_attribution_new(ECGX_XAI_IG, target, c, l))) rc = ECGX_ERR_NOMEM;
    if (!rc) {
        for (size_t i = 0; i < na; i++)
            a->relevance[i] = (float)(layer >= 0 ? acc[i] : acc[i] * ((double)x[i] - x0[i]));
        xai_attribution_finish(a);
        a->logit = fx;
        a->logit_baseline = fx0;
        double d = fx - fx0;
        a->completeness_gap = fabs(a->sum - d) / fmax(fabs(d), 1e-6);
        a->steps = n;
        *out = a;
    }
    free(alpha);
    free(w);
    free(x0);
    free(xb);
    free(dx);
    free(lg);
    free(acc);
    free(dA);
    free(prevA);
    free(prevG);
    return rc;
}

int xai_gradient_methods(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target,
                         int layer, ecgx_attribution **out)
{
    if (o->method == ECGX_XAI_IG) return integrated_gradients(m, x, L, o, target, layer, out);
    return simple_gradient(m, x, L, o, target, layer, out);
}
