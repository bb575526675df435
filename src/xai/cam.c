/* Class activation maps at a convolutional layer (activations A[k][t] and
 * gradients G[k][t] of the target logit):
 *   Grad-CAM   ReLU(sum_k mean_t(G_k) A_kt)
 *   HiResCAM   ReLU(sum_k G_kt A_kt)
 *   Grad-CAM++ ReLU(sum_k w_k A_kt), w_k = sum_t a_kt ReLU(G_kt),
 *              a_kt = G^2 / (2 G^2 + sum_t' A_kt' G^3)  (exponential-output form)
 *   LayerCAM   ReLU(sum_k ReLU(G_kt) A_kt)
 * (the final ReLU is skipped with opts->cam_signed). The map lives on the
 * layer's time steps; each step is placed at the centre of its receptive
 * field in input samples and the map is linearly interpolated to every
 * input sample, then copied to every lead (a time-only map). */
#include "xai/xai_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xai_layer_time_map(const ecgx_model *m, int layer, double *a, double *b)
{
    int chain[4096], n = 0;
    for (int i = layer; i >= 0 && n < 4096;) {
        chain[n++] = i;
        ecgx_layer_info I;
        if (ecgx_model_layer_info(m, i, &I) < 0) break;
        i = I.inputs[0];
    }
    double A = 1, Bc = 0;
    for (int j = n - 1; j >= 0; j--) {
        ecgx_layer_info I;
        if (ecgx_model_layer_info(m, chain[j], &I) < 0) break;
        if (I.type == ECGX_LAYER_CONV1D || I.type == ECGX_LAYER_MAXPOOL1D || I.type == ECGX_LAYER_AVGPOOL1D) {
            int dil = I.type == ECGX_LAYER_CONV1D && I.dilation > 0 ? I.dilation : 1;
            Bc = A * (-I.padding + dil * (I.kernel - 1) / 2.0) + Bc;
            A *= I.stride > 0 ? I.stride : 1;
        }
    }
    *a = A;
    *b = Bc;
}

void xai_upsample_time(const float *in, int n_in, double a, double b, float *out, int length)
{
    for (int t = 0; t < length; t++) {
        double u = n_in > 1 ? (t - b) / a : 0;
        if (u <= 0) out[t] = in[0];
        else if (u >= n_in - 1) out[t] = in[n_in - 1];
        else {
            int k = (int)u;
            double f = u - k;
            out[t] = (float)((1 - f) * in[k] + f * in[k + 1]);
        }
    }
}

int xai_cam(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target, int layer,
            ecgx_attribution **out)
{
    if (layer < 0) layer = xai_last_conv(m);
    if (layer < 0) return ecgx_error(ECGX_ERR_UNSUPPORTED, "xai: the model has no convolutional layer for a CAM");
    int C = ecgx_model_in_channels(m);
    /* the gradient at the layer only: the backward walk stops there */
    ecgx_attribution *grad = NULL;
    int rc = xai_layer_gradient(m, x, L, target, layer, &grad);
    if (rc) return rc;
    double logit = grad->logit;
    int K, T;
    const float *A = ecgx_model_activation(m, layer, NULL, &K, &T), *G = grad->relevance;
    if (!A || grad->channels != K || grad->length != T) {
        ecgx_attribution_free(grad);
        return ecgx_error(ECGX_ERR_STATE, "xai: no activation or gradient at layer %s", ecgx_model_layer_name(m, layer));
    }
    double *cam = calloc(T, sizeof(double));
    float *camf = malloc(sizeof(float) * T);
    ecgx_attribution *at = xai_attribution_new(o->method, target, C, L);
    if (!cam || !camf || !at) {
        ecgx_attribution_free(grad);
        free(cam);
        free(camf);
        ecgx_attribution_free(at);
        return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    }
    for (int k = 0; k < K; k++) {
        const float *a = A + (size_t)k * T, *g = G + (size_t)k * T;
        switch (o->method) {
        case ECGX_XAI_GRADCAM: {
            double wk = 0;
            for (int t = 0; t < T; t++) wk += g[t];
            wk /= T;
            for (int t = 0; t < T; t++) cam[t] += wk * a[t];
            break;
        }
        case ECGX_XAI_HIRESCAM:
            for (int t = 0; t < T; t++) cam[t] += (double)g[t] * a[t];
            break;
        case ECGX_XAI_GRADCAMPP: {
            double sa = 0, wk = 0;
            for (int t = 0; t < T; t++) sa += a[t];
            for (int t = 0; t < T; t++) {
                double g2 = (double)g[t] * g[t], g3 = g2 * g[t], den = 2 * g2 + sa * g3;
                double al = den != 0 ? g2 / den : 0;
                wk += al * (g[t] > 0 ? g[t] : 0);
            }
            for (int t = 0; t < T; t++) cam[t] += wk * a[t];
            break;
        }
        case ECGX_XAI_LAYERCAM:
            for (int t = 0; t < T; t++) cam[t] += (g[t] > 0 ? g[t] : 0) * (double)a[t];
            break;
        default:
            break;
        }
    }
    for (int t = 0; t < T; t++) camf[t] = (float)(!o->cam_signed && cam[t] < 0 ? 0 : cam[t]);
    double sa, sb;
    xai_layer_time_map(m, layer, &sa, &sb);
    xai_upsample_time(camf, T, sa, sb, at->relevance, L);
    for (int c = 1; c < C; c++) memcpy(at->relevance + (size_t)c * L, at->relevance, sizeof(float) * L);
    at->time_only = 1;
    at->logit = logit;
    at->steps = 1;
    snprintf(at->layer, sizeof at->layer, "%s", ecgx_model_layer_name(m, layer));
    xai_attribution_finish(at);
    ecgx_attribution_free(grad);
    free(cam);
    free(camf);
    *out = at;
    return 0;
}
