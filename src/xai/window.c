/* Explaining the output a windowed prediction shows. ecgx predict (and the
 * PTB-XL benchmark) scores a record by sliding windows and takes each
 * class's maximum logit over them; explaining one forward pass over the whole
 * record explains another number (on LUDB record 44: CD shown 0.510, whole
 * record 0.176). Here the window that gave the maximum is explained, so the
 * attribution's logit is the displayed one, and its relevance is placed back
 * in the record's time. */
#include "xai/xai_internal.h"

#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ecgx_xai_attribute_windowed(ecgx_model *m, const float *x, int length, int window, int stride,
                                const ecgx_xai_options *opts, ecgx_attribution **out, float *baseline_logits)
{
    if (!m || !x || !opts || !out) return ecgx_error(ECGX_ERR_ARG, "xai: NULL argument");
    *out = NULL;
    if (length <= 0 || window <= 0 || stride <= 0)
        return ecgx_error(ECGX_ERR_ARG, "xai: input of %d samples, window %d, stride %d", length, window, stride);
    int C = ecgx_model_in_channels(m), K = ecgx_model_n_classes(m);
    if (opts->target >= K)
        return ecgx_error(ECGX_ERR_ARG, "xai: target class %d, but the model has %d classes", opts->target, K);
    if (window > length) window = length; /* shorter than a window: the whole input is the one window */
    int nw = ecgx_windows_count(length, window, stride);
    float *wl = ecgx_malloc_array((size_t)nw * K, sizeof(float), "window logits");
    float *probs = malloc(sizeof(float) * (size_t)K);
    float *xw = ecgx_malloc_array((size_t)C * window, sizeof(float), "window input");
    int rc = wl && probs && xw ? 0 : ECGX_ERR_NOMEM;
    if (!rc) rc = ecgx_model_predict_windows(m, x, length, window, stride, probs, wl);
    /* the target (the class with the largest maximum when not given) and its window */
    int target = opts->target, best = 0;
    if (!rc) {
        if (target < 0) {
            target = 0;
            for (int k = 1; k < K; k++)
                if (probs[k] > probs[target]) target = k;
        }
        for (int w = 1; w < nw; w++)
            if (wl[(size_t)w * K + target] > wl[(size_t)best * K + target]) best = w;
    }
    /* the same window start ecgx_model_predict_windows uses */
    int start = best * stride;
    if (start + window > length) start = length - window;
    ecgx_attribution *a = NULL;
    if (!rc) {
        for (int c = 0; c < C; c++) memcpy(xw + (size_t)c * window, x + (size_t)c * length + start, sizeof(float) * window);
        ecgx_xai_options o = *opts;
        o.target = target;
        rc = ecgx_xai_attribute(m, xw, window, &o, &a);
    }
    if (!rc && baseline_logits) { /* the baseline as the attribution used it (its resolved parameter) */
        float *x0 = malloc(sizeof(float) * (size_t)C * window);
        double param = a->baseline_param;
        if (a->baseline == ECGX_BASELINE_NORMAL && !(param > 0))
            rc = ecgx_xai_normal_scale(m, window, opts->fs, &param, NULL);
        if (!rc && a->baseline == ECGX_BASELINE_NORMAL) a->baseline_param = param; /* for deletion curves too */
        if (!rc) rc = x0 ? ecgx_xai_make_baseline(xw, C, window, opts->baseline, param, opts->fs, x0)
                : ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
        if (!rc) rc = ecgx_xai_logits(m, x0, 1, window, 1, baseline_logits);
        free(x0);
    }
    /* on the input: a plain input attribution, or a CAM (mapped to the input's time) */
    if (!rc && (a->time_only || !a->layer[0]) && a->channels == C && a->length == window && window < length) {
        /* placed in the input's time, zero outside the window */
        float *full = ecgx_calloc_array((size_t)C * length, sizeof(float), "attribution");
        if (!full) rc = ECGX_ERR_NOMEM;
        else {
            for (int c = 0; c < C; c++)
                memcpy(full + (size_t)c * length + start, a->relevance + (size_t)c * window, sizeof(float) * window);
            free(a->relevance);
            a->relevance = full;
            a->length = length;
        }
    }
    if (!rc) {
        a->window_start = start;
        a->window_length = window;
        a->n_windows = nw;
        *out = a;
    } else {
        ecgx_attribution_free(a);
    }
    free(wl);
    free(probs);
    free(xw);
    return rc;
}
