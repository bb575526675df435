/* Losses: mean over the batch (and classes, for multi-label), with their
 * gradient with respect to the logits, as PyTorch's functional losses. */
#include "ecgx/nn.h"

#include <math.h>

/* log(1 + exp(x)) without overflow */
static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

double ecgx_loss_bce_logits(const float *logits, const float *targets, int batch, int n,
                            const float *pos_weight, const float *class_weight, float *dlogits)
{
    double total = 0.0, norm = (double)batch * n;
    for (int b = 0; b < batch; b++) {
        for (int j = 0; j < n; j++) {
            int64_t i = (int64_t)b * n + j;
            double x = logits[i], y = targets[i];
            double pw = pos_weight ? pos_weight[j] : 1.0, w = class_weight ? class_weight[j] : 1.0;
            /* PyTorch: w * [ pw*y*softplus(-x) + (1-y)*softplus(x) ] */
            total += w * (pw * y * softplus(-x) + (1.0 - y) * softplus(x));
            if (dlogits) {
                double s = 1.0 / (1.0 + exp(-x));
                double g = w * (pw * y * (s - 1.0) + (1.0 - y) * s);
                dlogits[i] = (float)(g / norm);
            }
        }
    }
    return total / norm;
}

double ecgx_loss_softmax_ce(const float *logits, const int *labels, int batch, int n,
                            const float *class_weight, float *dlogits)
{
    double total = 0.0, wsum = 0.0;
    for (int b = 0; b < batch; b++) {
        const float *x = logits + (int64_t)b * n;
        int y = labels[b];
        if (y < 0 || y >= n) continue;
        double mx = x[0];
        for (int j = 1; j < n; j++) if (x[j] > mx) mx = x[j];
        double se = 0.0;
        for (int j = 0; j < n; j++) se += exp(x[j] - mx);
        double lse = mx + log(se), w = class_weight ? class_weight[y] : 1.0;
        total += w * (lse - x[y]);
        wsum += w;
    }
    if (wsum <= 0) wsum = 1;
    if (dlogits) {
        for (int b = 0; b < batch; b++) {
            const float *x = logits + (int64_t)b * n;
            float *d = dlogits + (int64_t)b * n;
            int y = labels[b];
            if (y < 0 || y >= n) {
                for (int j = 0; j < n; j++) d[j] = 0.0f;
                continue;
            }
            double mx = x[0];
            for (int j = 1; j < n; j++) if (x[j] > mx) mx = x[j];
            double se = 0.0;
            for (int j = 0; j < n; j++) se += exp(x[j] - mx);
            double w = class_weight ? class_weight[y] : 1.0;
            for (int j = 0; j < n; j++) {
                double p = exp(x[j] - mx) / se;
                d[j] = (float)(w * (p - (j == y ? 1.0 : 0.0)) / wsum);
            }
        }
    }
    return total / wsum;
}

double ecgx_loss_mse(const float *pred, const float *targets, int batch, int n, float *dlogits)
{
    double total = 0.0, norm = (double)batch * n;
    for (int64_t i = 0; i < (int64_t)batch * n; i++) {
        double d = (double)pred[i] - targets[i];
        total += d * d;
        if (dlogits) dlogits[i] = (float)(2.0 * d / norm);
    }
    return total / norm;
}
