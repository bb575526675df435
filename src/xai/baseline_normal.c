/* The "normal" baseline: a synthetic normal 12-lead ECG (ecgx synth, normal
 * sinus rhythm at 70 bpm, no variability, no noise, canonical morphology),
 * given the model's own preprocessing and scaled down.
 *
 * Why: a baseline should mean "no evidence". A flat line does not mean that
 * to an ECG classifier: the shipped PTB-XL model scores zero input as CD with
 * p 0.997, so integrated gradients against it answers "why less CD than a
 * flat line". A full-size normal ECG is scored NORM 0.99 and every other
 * class below 0.1, which is "no evidence" for every abnormal class but not
 * for NORM. Between the two, on the straight line from the flat line to the
 * normal ECG, lies a point the model scores below threshold for every class;
 * the default scale is that point, found for the model at hand by
 * measurement (ecgx_xai_normal_scale: the scale at which the class that
 * most exceeds its decision threshold exceeds it least, with the model's
 * stored thresholds, or 0.5 for a model that holds none; docs/xai.md, bench/bench_xai_baseline.c). No training ECGs ship with ecgx, so the
 * background is generated, deterministically, in a few milliseconds. */
#include "xai/xai_internal.h"

#include "core/alloc.h"
#include "ecgx/nn.h"
#include "ecgx/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int xai_normal_baseline(int channels, int length, double scale, double fs, float *x0)
{
    if (channels != ECGX_N_STD_LEADS)
        return ecgx_error(ECGX_ERR_UNSUPPORTED,
                          "xai: the normal baseline is a 12-lead ECG; this input has %d channels (use --baseline zero)",
                          channels);
    if (!(fs > 0) || length <= 0) return ecgx_error(ECGX_ERR_ARG, "xai: normal baseline of %d samples at %g Hz", length, fs);
    if (!(scale > 0)) scale = ECGX_XAI_NORMAL_SCALE;
    ecgx_synth_options o = ecgx_synth_options_default();
    o.fs = 500;
    /* at least 10 s so that the z-score sees as many beats as a PTB-XL record */
    o.duration = fmax(10.0, (double)length / fs + 1.0);
    o.hr = 70;
    o.hr_std = -1;
    o.seed = 1;
    ecgx_record *rec = NULL;
    float *y = NULL;
    int64_t n = 0;
    int rc = ecgx_synth_generate(&o, &rec, NULL, NULL);
    if (!rc) rc = ecgx_nn_preprocess(rec->data, rec->n_leads, rec->n_samples, rec->fs, fs, &y, &n);
    if (!rc && n < length) rc = ecgx_error(ECGX_ERR_RANGE, "xai: normal baseline: %lld samples for %d", (long long)n, length);
    if (!rc)
        for (int c = 0; c < channels; c++)
            for (int t = 0; t < length; t++) x0[(size_t)c * length + t] = (float)(scale * y[(size_t)c * n + t]);
    free(y);
    ecgx_record_free(rec);
    return rc;
}

/* For each of n scaled copies of the unit baseline x1: the largest margin of
 * a class's logit over its threshold's logit (tl), and the largest logit. */
static int max_margins(ecgx_model *m, const float *x1, size_t nx, int length, const double *scales, int n,
                       const double *tl, float *buf, float *lg, float *margin, float *raw)
{
    int K = ecgx_model_n_classes(m);
    for (int j = 0; j < n; j++)
        for (size_t i = 0; i < nx; i++) buf[(size_t)j * nx + i] = (float)(scales[j] * x1[i]);
    int rc = ecgx_xai_logits(m, buf, n, length, n, lg);
    for (int j = 0; !rc && j < n; j++) {
        margin[j] = raw[j] = -INFINITY;
        for (int k = 0; k < K; k++) {
            margin[j] = fmaxf(margin[j], (float)(lg[(size_t)j * K + k] - tl[k]));
            raw[j] = fmaxf(raw[j], lg[(size_t)j * K + k]);
        }
    }
    return rc;
}

int ecgx_xai_normal_scale(ecgx_model *m, int length, double fs, double *scale, double *p_max)
{
    /* a coarse grid 0.30, 0.35, ..., 1.00, then 0.01 steps within 0.02 of its best: 19 forward passes
     * of the window (about a tenth of 64-step IG's cost) instead of 71 for a 0.01 grid */
    enum { N_COARSE = 15, N_FINE = 4, K_MAX = 64 };
    int C = ecgx_model_in_channels(m), K = ecgx_model_n_classes(m);
    if (length <= 0) return ecgx_error(ECGX_ERR_ARG, "xai: normal baseline of %d samples", length);
    if (K > K_MAX) return ecgx_error(ECGX_ERR_RANGE, "xai: normal baseline: %d classes (at most %d)", K, K_MAX);
    /* each class's decision threshold as a logit: the point at which the
     * baseline would already "score" the class */
    double thr[K_MAX], tl[K_MAX];
    if (ecgx_model_thresholds(m, thr, NULL) != 1)
        for (int k = 0; k < K; k++) thr[k] = 0.5;
    for (int k = 0; k < K; k++) {
        double t = fmin(fmax(thr[k], 1e-6), 1 - 1e-6);
        tl[k] = log(t / (1 - t));
    }
    size_t nx = (size_t)C * length;
    float *x1 = ecgx_malloc_array(nx, sizeof(float), "normal baseline");
    float *buf = ecgx_malloc_array(nx * N_COARSE, sizeof(float), "normal baselines");
    float *lg = ecgx_malloc_array((size_t)N_COARSE * K, sizeof(float), "baseline logits");
    int rc = x1 && buf && lg ? 0 : ECGX_ERR_NOMEM;
    if (!rc) rc = xai_normal_baseline(C, length, 1.0, fs, x1);
    double sc[N_COARSE], best_s = 0;
    float mg[N_COARSE], raw[N_COARSE], best = INFINITY, best_raw = INFINITY;
    for (int j = 0; j < N_COARSE; j++) sc[j] = 0.30 + 0.05 * j;
    if (!rc) rc = max_margins(m, x1, nx, length, sc, N_COARSE, tl, buf, lg, mg, raw);
    for (int j = 0; !rc && j < N_COARSE; j++)
        if (mg[j] < best) best = mg[j], best_raw = raw[j], best_s = sc[j];
    double c = best_s;
    for (int j = 0; j < N_FINE; j++) /* within the grid's range */
        sc[j] = fmin(1.0, fmax(0.30, c + (j < 2 ? -0.02 + 0.01 * j : 0.01 * (j - 1))));
    if (!rc) rc = max_margins(m, x1, nx, length, sc, N_FINE, tl, buf, lg, mg, raw);
    for (int j = 0; !rc && j < N_FINE; j++)
        if (mg[j] < best) best = mg[j], best_raw = raw[j], best_s = sc[j];
    if (!rc) {
        *scale = best_s;
        if (p_max) *p_max = 1.0 / (1.0 + exp(-(double)best_raw));
    }
    free(x1);
    free(buf);
    free(lg);
    return rc;
}
