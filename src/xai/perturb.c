/* Perturbation attributions: occlusion (a window of one lead replaced by
 * the baseline, slid along the lead) and lead ablation (one lead zeroed).
 * The perturbed copies run through the model in batches. */
#include "xai/xai_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Perturbation k: its lead and the samples [s, e) replaced (occlusion: the
 * window k % nwin, the last one ending at L; ablation: the whole lead). */
static void perturbed_span(int64_t k, int nwin, int occl, int win, int stride, int L, int *lead, int *s, int *e)
{
    *lead = (int)(k / nwin);
    *s = occl ? (int)(k % nwin) * stride : 0;
    *e = occl ? *s + win : L;
    if (*e > L) {
        *e = L;
        *s = L - win;
    }
}

int xai_perturb(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target,
                ecgx_attribution **out)
{
    int C = ecgx_model_in_channels(m), nc = ecgx_model_n_classes(m);
    int B = o->batch > 0 ? o->batch : 16;
    size_t nx = (size_t)C * L;
    int occl = o->method == ECGX_XAI_OCCLUSION;
    int win = o->window > 0 ? o->window : (int)(o->fs > 0 ? o->fs / 2 : 50);
    if (win > L) win = L;
    int stride = o->stride > 0 ? o->stride : (win / 2 > 0 ? win / 2 : 1);
    /* windows per lead: starts 0, stride, ..., and one ending at L */
    int nwin = occl ? (L - win) / stride + 1 + ((L - win) % stride ? 1 : 0) : 1;
    int64_t total = (int64_t)C * nwin;
    if (total > 10000000) return ecgx_error(ECGX_ERR_RANGE, "xai: occlusion with %lld windows is too many", (long long)total);
    float *x0 = malloc(sizeof(float) * nx), *xb = malloc(sizeof(float) * nx * B), *lg = malloc(sizeof(float) * (size_t)B * nc);
    float *cnt = calloc(nx, sizeof(float));
    ecgx_attribution *a = xai_attribution_new(o->method, target, C, L);
    int rc = (x0 && xb && lg && cnt && a) ? 0 : ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    double fx = 0;
    if (!rc) rc = ecgx_xai_make_baseline(x, C, L, occl ? o->baseline : ECGX_BASELINE_ZERO, o->baseline_param, o->fs, x0);
    if (!rc) rc = ecgx_model_infer(m, x, 1, L, lg);
    if (!rc) fx = lg[target];
    for (int64_t k0 = 0; k0 < total && !rc; k0 += B) {
        int nb = total - k0 < B ? (int)(total - k0) : B;
        for (int b = 0; b < nb; b++) {
            int lead, s, e;
            perturbed_span(k0 + b, nwin, occl, win, stride, L, &lead, &s, &e);
            float *row = xb + (size_t)b * nx;
            memcpy(row, x, sizeof(float) * nx);
            memcpy(row + (size_t)lead * L + s, x0 + (size_t)lead * L + s, sizeof(float) * (e - s));
        }
        rc = ecgx_model_infer(m, xb, nb, L, lg);
        for (int b = 0; b < nb && !rc; b++) {
            int lead, s, e;
            perturbed_span(k0 + b, nwin, occl, win, stride, L, &lead, &s, &e);
            float d = (float)(fx - lg[(size_t)b * nc + target]);
            for (int t = s; t < e; t++) {
                a->relevance[(size_t)lead * L + t] += occl ? d : d / L;
                cnt[(size_t)lead * L + t] += 1;
            }
        }
    }
    if (!rc) {
        if (occl)
            for (size_t i = 0; i < nx; i++)
                if (cnt[i] > 0) a->relevance[i] /= cnt[i];
        a->steps = (int)total;
        a->logit = fx;
        xai_attribution_finish(a);
        *out = a;
        a = NULL;
    }
    ecgx_attribution_free(a);
    free(x0);
    free(xb);
    free(lg);
    free(cnt);
    return rc;
}
