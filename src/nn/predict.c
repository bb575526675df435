/* Whole-record prediction by sliding windows, aggregated by max (the PTB-XL
 * benchmark's test-time procedure). All windows go through the network as
 * one batch, in buffers the model keeps: no allocation per call once a
 * record of the same length has been seen. */
#include "ecgx/nn.h"

#include "nn/model_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ecgx_windows_count(int n, int window, int stride)
{
    if (window <= 0 || stride <= 0 || n < window) return 0;
    int k = (n - window) / stride + 1;
    if ((k - 1) * stride + window < n) k++; /* one more, flush with the end */
    return k;
}

int ecgx_model_predict_windows(ecgx_model *m, const float *x, int n, int window, int stride, float *probs,
                               float *window_logits)
{
    if (window <= 0 || stride <= 0)
        return ecgx_error(ECGX_ERR_ARG, "predict: window %d and stride %d must be positive", window, stride);
    if (n < window)
        return ecgx_error(ECGX_ERR_RANGE, "record of %d samples is shorter than the model's window of %d samples", n,
                          window);
    int k = ecgx_windows_count(n, window, stride), C = ecgx_model_in_channels(m), K = ecgx_model_n_classes(m);
    if (nn_grow((void **)&m->win_x, &m->win_x_cap, (int64_t)k * C * window, sizeof(float), "window batch") < 0 ||
        nn_grow((void **)&m->win_logits, &m->win_logits_cap, (int64_t)k * K, sizeof(float), "window logits") < 0)
        return ECGX_ERR_NOMEM;
    float *xb = m->win_x, *lg = m->win_logits;
    for (int w = 0; w < k; w++) {
        int start = w * stride;
        if (start + window > n) start = n - window;
        for (int c = 0; c < C; c++)
            memcpy(xb + ((size_t)w * C + c) * window, x + (size_t)c * n + start, sizeof(float) * window);
    }
    int was = ecgx_model_is_training(m);
    ecgx_model_set_training(m, 0);
    int rc = ecgx_model_infer(m, xb, k, window, lg);
    ecgx_model_set_training(m, was);
    if (rc >= 0) {
        for (int j = 0; j < K; j++) {
            float mx = -INFINITY;
            for (int w = 0; w < k; w++) mx = fmaxf(mx, lg[(size_t)w * K + j]);
            probs[j] = 1.0f / (1.0f + expf(-mx));
        }
        if (window_logits) memcpy(window_logits, lg, sizeof(float) * (size_t)k * K);
    }
    return rc;
}
