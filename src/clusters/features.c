/* Activations of chosen layers on one time axis.
 *
 * Each layer's time step k is placed at the centre of its receptive field in
 * input samples, a*k + b (the map the CAMs use, xai_layer_time_map: stride
 * products and padding offsets along the layer's first-input chain), and
 * the layer is linearly interpolated onto every input sample
 * (xai_upsample_time). The deepest layer of resnet1d_wang has a = 4, b = 0:
 * step k summarises the input around sample 4k, not 4k + 1.5 as a naive
 * "repeat each step a times" would put it. Features are time-major
 * ([sample][channel of layer 0, channel of layer 1, ...]) so that the
 * mixture's matrix products run over contiguous rows. */
#include "clusters/internal.h"
#include "nn/model_internal.h"
#include "xai/xai_internal.h"

#include <stdlib.h>
#include <string.h>

/* Is layer i a residual block's output: an ADD, or a ReLU fed by an ADD? */
static int block_output(const ecgx_model *m, int i)
{
    ecgx_layer_info I;
    if (ecgx_model_layer_info(m, i, &I) < 0) return 0;
    if (I.type == ECGX_LAYER_RELU && I.n_inputs == 1 && I.inputs[0] >= 0)
        return ecgx_model_layer_type(m, I.inputs[0]) == ECGX_LAYER_ADD;
    if (I.type != ECGX_LAYER_ADD) return 0;
    /* an ADD whose only reader is a ReLU is represented by that ReLU */
    int n = ecgx_model_layer_count(m);
    for (int j = i + 1; j < n; j++) {
        ecgx_layer_info J;
        if (ecgx_model_layer_info(m, j, &J) < 0) continue;
        for (int q = 0; q < J.n_inputs; q++)
            if (J.inputs[q] == i && J.type == ECGX_LAYER_RELU) return 0;
    }
    return 1;
}

int ecgx_clusters_default_layers(const ecgx_model *m, int n, int *layers)
{
    int found = 0, cnt = ecgx_model_layer_count(m);
    for (int i = cnt - 1; i >= 0 && found < n; i--)
        if (block_output(m, i)) found++;
    int k = 0;
    for (int i = 0; i < cnt && k < found; i++) {
        /* keep the last `found` block outputs, in execution order */
        int later = 0;
        for (int j = i + 1; j < cnt; j++) later += block_output(m, j);
        if (block_output(m, i) && later < found) layers[k++] = i;
    }
    return k;
}

/* FNV-1a over the parameter table (names, shapes) and then over the flat
 * trainable and buffer arrays taken as 64-bit words in four interleaved
 * lanes (a byte-at-a-time FNV over 1.8 MB of weights took 2 ms, a fifth of
 * what `clusters apply` may spend beyond the forward pass). Read through
 * nn's internal view: ecgx_model_param would mark the weights as handed
 * out, and every later forward pass would recheck its packed copies. */
static uint64_t hash_words(uint64_t h, const void *data, size_t bytes)
{
    const unsigned char *p = data;
    uint64_t lane[4] = {h, h ^ 0x9E3779B97F4A7C15ull, h ^ 0xC2B2AE3D27D4EB4Full, h ^ 0x165667B19E3779F9ull};
    size_t i = 0;
    for (; i + 32 <= bytes; i += 32)
        for (int j = 0; j < 4; j++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * j, 8);
            lane[j] = (lane[j] ^ w) * 1099511628211ull;
        }
    for (; i < bytes; i++) lane[0] = (lane[0] ^ p[i]) * 1099511628211ull;
    for (int j = 0; j < 4; j++) h = (h ^ lane[j]) * 1099511628211ull, h ^= h >> 29;
    return (h ^ (uint64_t)bytes) * 1099511628211ull;
}

uint64_t ecgx_clusters_model_hash(const ecgx_model *m)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < m->n_params; i++) {
        h = hash_words(h, m->params[i].name, strlen(m->params[i].name) + 1);
        h = hash_words(h, m->params[i].shape, sizeof(int64_t) * (size_t)m->params[i].ndim);
    }
    if (m->pdata) h = hash_words(h, m->pdata, sizeof(float) * (size_t)m->n_trainable);
    if (m->bdata) h = hash_words(h, m->bdata, sizeof(float) * (size_t)m->n_buffer);
    return h;
}

int clusters_collect(const ecgx_model *m, const int *layers, int n_layers, int length, int sample, float *feat, int *dim,
                     int shift)
{
    if (n_layers < 1 || n_layers > ECGX_CLUSTERS_MAX_LAYERS)
        return ecgx_error(ECGX_ERR_ARG, "clusters: %d layers (1 to %d)", n_layers, ECGX_CLUSTERS_MAX_LAYERS);
    int D = 0, deepest = 0;
    double deepest_a = 0;
    for (int l = 0; l < n_layers; l++) {
        int C, T, N = 0;
        if (!ecgx_model_activation(m, layers[l], &N, &C, &T))
            return ecgx_error(ECGX_ERR_STATE, "clusters: no activation at layer %d", layers[l]);
        if (sample < 0 || sample >= N) return ecgx_error(ECGX_ERR_ARG, "clusters: sample %d of a batch of %d", sample, N);
        if (T < 2) return ecgx_error(ECGX_ERR_ARG, "clusters: layer %s has no time axis (length %d)",
                                     ecgx_model_layer_name(m, layers[l]), T);
        double a, b;
        xai_layer_time_map(m, layers[l], &a, &b);
        if (a > deepest_a) deepest_a = a, deepest = l;
        D += C;
    }
    *dim = D;
    if (!feat) return 0;
    /* Written time-major in one sweep per layer: for each input sample the
     * two neighbouring steps and the weight (xai_upsample_time's rule, the
     * CAMs' placement), then every channel. The reads stride over channels
     * but touch the same few cache lines for consecutive samples; writing
     * channel by channel instead would scatter every store 1.5 KB apart. */
    int off = 0;
    for (int l = 0; l < n_layers; l++) {
        int C, T;
        const float *A = ecgx_model_activation(m, layers[l], NULL, &C, &T);
        A += (size_t)sample * C * T; /* [batch][channel][time] */
        double a, b;
        xai_layer_time_map(m, layers[l], &a, &b);
        if (l == deepest) b += shift * a;
        for (int t = 0; t < length; t++) {
            double u = (t - b) / a;
            int k0, k1;
            float w;
            if (u <= 0) k0 = k1 = 0, w = 0;
            else if (u >= T - 1) k0 = k1 = T - 1, w = 0;
            else {
                k0 = (int)u;
                k1 = k0 + 1;
                w = (float)(u - k0);
            }
            float *dst = feat + (size_t)t * D + off;
            if (w == 0)
                for (int c = 0; c < C; c++) dst[c] = A[(size_t)c * T + k0];
            else
                for (int c = 0; c < C; c++) {
                    const float *r = A + (size_t)c * T;
                    dst[c] = (float)((1 - (double)w) * r[k0] + (double)w * r[k1]);
                }
        }
        off += C;
    }
    return 0;
}

int ecgx_clusters_features(ecgx_model *m, const int *layers, int n_layers, const float *x, int length,
                           float *feat, int *dim, int shift)
{
    int was_training = ecgx_model_is_training(m);
    ecgx_model_set_training(m, 0);
    int rc = ecgx_model_forward(m, x, 1, length, NULL);
    ecgx_model_set_training(m, was_training);
    if (rc < 0) return rc;
    return clusters_collect(m, layers, n_layers, length, 0, feat, dim, shift);
}
