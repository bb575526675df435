/* The attribution object, method names and options, the dispatcher, the
 * noise tunnel that wraps any method, and the baselines. */
#include "xai/xai_internal.h"

#include "core/alloc.h"
#include "ecgx/dsp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const method_names[ECGX_XAI_N_METHODS] = {
    "saliency", "gxi", "ig", "smoothgrad", "deeplift", "lrp",
    "occlusion", "ablation", "gradcam", "hirescam", "gradcampp", "layercam"};

const char *ecgx_xai_method_name(ecgx_xai_method m)
{
    return (unsigned)m < ECGX_XAI_N_METHODS ? method_names[m] : "?";
}

int ecgx_xai_method_from_name(const char *name)
{
    for (int i = 0; i < ECGX_XAI_N_METHODS; i++)
        if (name && strcasecmp(name, method_names[i]) == 0) return i;
    if (name && (!strcasecmp(name, "integrated_gradients") || !strcasecmp(name, "integrated-gradients")))
        return ECGX_XAI_IG;
    if (name && !strcasecmp(name, "gradcam++")) return ECGX_XAI_GRADCAMPP;
    return -1;
}

static const char *const baseline_names[] = {"zero", "filtered", "blurred", "normal"};
const char *ecgx_xai_baseline_name(ecgx_xai_baseline b) { return (unsigned)b < 4 ? baseline_names[b] : "?"; }
int ecgx_xai_baseline_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcasecmp(name, baseline_names[i]) == 0) return i;
    return -1;
}

ecgx_xai_baseline ecgx_xai_default_baseline(const ecgx_model *m)
{
    return m && ecgx_model_in_channels(m) == ECGX_N_STD_LEADS ? ECGX_BASELINE_NORMAL : ECGX_BASELINE_ZERO;
}

int ecgx_xai_method_uses_baseline(ecgx_xai_method m)
{
    return m == ECGX_XAI_IG || m == ECGX_XAI_DEEPLIFT || m == ECGX_XAI_OCCLUSION;
}

static const char *const rule_names[] = {"composite", "epsilon", "gamma", "alphabeta", "zbox"};
const char *ecgx_lrp_rule_name(ecgx_lrp_rule r) { return (unsigned)r < 5 ? rule_names[r] : "?"; }
int ecgx_lrp_rule_from_name(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (name && strcasecmp(name, rule_names[i]) == 0) return i;
    return -1;
}

ecgx_xai_options ecgx_xai_options_default(ecgx_xai_method method)
{
    ecgx_xai_options o;
    memset(&o, 0, sizeof o);
    o.method = method;
    o.target = -1;
    o.layer = NULL;
    o.baseline = ECGX_BASELINE_ZERO;
    o.baseline_param = 0; /* per kind, see make_baseline */
    o.fs = 100;
    o.steps = 64;
    o.batch = 0; /* IG: one step per thread; perturbations: 16 */
    o.quadrature = ECGX_QUAD_TRAPEZOID; /* see docs/xai.md: better than Gauss-Legendre on ReLU kinks */
    o.nt_samples = method == ECGX_XAI_SMOOTHGRAD ? 16 : 0;
    o.nt_kind = ECGX_NT_MEAN;
    o.nt_sigma = 0.1;
    o.seed = 1;
    o.lrp_rule = ECGX_LRP_COMPOSITE;
    o.lrp_epsilon = 0; /* per rule, see propagate.c */
    o.lrp_gamma = 0.25;
    o.lrp_alpha = 2.0;
    o.window = 0;
    o.stride = 0;
    o.cam_signed = 0;
    return o;
}

ecgx_attribution *xai_attribution_new(ecgx_xai_method method, int target, int channels, int length)
{
    ecgx_attribution *a = calloc(1, sizeof *a);
    if (!a) {
        ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
        return NULL;
    }
    a->relevance = ecgx_calloc_array((size_t)channels * (size_t)length, sizeof(float), "attribution");
    if (!a->relevance) {
        free(a);
        return NULL;
    }
    a->method = method;
    a->target = target;
    a->channels = channels;
    a->length = length;
    a->logit = a->logit_baseline = a->completeness_gap = NAN;
    a->lrp_absorbed = a->conservation = NAN;
    return a;
}

void xai_attribution_finish(ecgx_attribution *a)
{
    double s = 0;
    int64_t n = (int64_t)a->channels * a->length;
    for (int64_t i = 0; i < n; i++) s += a->relevance[i];
    a->sum = s;
}

void ecgx_attribution_free(ecgx_attribution *a)
{
    if (!a) return;
    free(a->relevance);
    free(a);
}

double xai_rng_normal(uint64_t *s)
{
    double u1 = xai_rng_uniform(s), u2 = xai_rng_uniform(s);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

int xai_grad_batch(ecgx_model *m, const float *x, int B, int L, int target, float *dx, float *logits)
{
    int n = ecgx_model_n_classes(m);
    float *lg = logits ? logits : malloc(sizeof(float) * (size_t)B * n);
    float *dl = calloc((size_t)B * n, sizeof(float));
    int rc = (!lg || !dl) ? ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory") : 0;
    if (!rc) rc = ecgx_model_forward(m, x, B, L, lg);
    if (!rc) {
        for (int b = 0; b < B; b++) dl[(size_t)b * n + target] = 1.0f;
        rc = ecgx_model_backward(m, dl, dx, ECGX_BACKWARD_NO_PARAM_GRADS);
    }
    if (lg != logits) free(lg);
    free(dl);
    return rc;
}

int ecgx_xai_logits(ecgx_model *m, const float *x, int batch, int length, int chunk, float *logits)
{
    int C = ecgx_model_in_channels(m), n = ecgx_model_n_classes(m);
    if (chunk <= 0) chunk = 16;
    int was = ecgx_model_is_training(m);
    ecgx_model_set_training(m, 0);
    int rc = 0;
    for (int b = 0; b < batch && !rc; b += chunk) {
        int nb = batch - b < chunk ? batch - b : chunk;
        rc = ecgx_model_infer(m, x + (size_t)b * C * length, nb, length, logits + (size_t)b * n);
    }
    ecgx_model_set_training(m, was);
    return rc;
}

int xai_resolve_target(ecgx_model *m, const float *x, int L, int target, int *out, double *logit)
{
    int n = ecgx_model_n_classes(m);
    float *lg = malloc(sizeof(float) * n);
    if (!lg) return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    int rc = ecgx_model_forward(m, x, 1, L, lg);
    if (!rc) {
        if (target < 0) {
            target = 0;
            for (int i = 1; i < n; i++)
                if (lg[i] > lg[target]) target = i;
        }
        if (target >= n) rc = ecgx_error(ECGX_ERR_ARG, "xai: target class %d, but the model has %d classes", target, n);
        else {
            *out = target;
            if (logit) *logit = lg[target];
        }
    }
    free(lg);
    return rc;
}

int xai_find_layer(const ecgx_model *m, const char *name, int *out)
{
    *out = -1;
    if (!name || !*name || !strcmp(name, "input")) return 0;
    int i = ecgx_model_layer_find(m, name);
    if (i < 0) return ecgx_error(ECGX_ERR_ARG, "xai: the model has no layer '%s'", name);
    *out = i;
    return 0;
}

int xai_last_conv(const ecgx_model *m)
{
    int last = -1;
    for (int i = 0; i < ecgx_model_layer_count(m); i++) {
        ecgx_layer_type t = ecgx_model_layer_type(m, i);
        if (t == ECGX_LAYER_CONCAT_POOL || t == ECGX_LAYER_GLOBAL_AVGPOOL || t == ECGX_LAYER_FLATTEN) break;
        /* the output of the last block (after its activation) is the usual CAM layer */
        last = i;
    }
    return last;
}

/* A zero-phase Gaussian blur with reflection at the edges. */
static void gaussian_blur(const float *x, float *y, int n, double sd)
{
    int r = (int)ceil(3 * sd);
    if (r < 1 || n < 2) {
        memcpy(y, x, sizeof(float) * n);
        return;
    }
    double *w = malloc(sizeof(double) * (2 * r + 1)), ws = 0;
    if (!w) {
        memcpy(y, x, sizeof(float) * n);
        return;
    }
    for (int k = -r; k <= r; k++) ws += w[k + r] = exp(-0.5 * k * k / (sd * sd));
    for (int t = 0; t < n; t++) {
        double acc = 0;
        for (int k = -r; k <= r; k++) {
            int j = t + k;
            while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j; /* reflect */
            acc += w[k + r] * x[j];
        }
        y[t] = (float)(acc / ws);
    }
    free(w);
}

int ecgx_xai_make_baseline(const float *x, int channels, int length, ecgx_xai_baseline kind, double param,
                           double fs, float *x0)
{
    size_t n = (size_t)channels * length;
    if (fs <= 0) fs = 100;
    switch (kind) {
    case ECGX_BASELINE_ZERO:
        memset(x0, 0, sizeof(float) * n);
        return 0;
    case ECGX_BASELINE_FILTERED: {
        double fc = param > 0 ? param : 1.0;
        if (fc >= fs / 2) return ecgx_error(ECGX_ERR_ARG, "xai: filtered baseline cut-off %g Hz is not below fs/2", fc);
        memcpy(x0, x, sizeof(float) * n);
        for (int c = 0; c < channels; c++) {
            int rc = ecgx_filter_butter(x0 + (size_t)c * length, length, fs, 2, ECGX_LOWPASS, fc, 0);
            if (rc < 0) return rc;
        }
        return 0;
    }
    case ECGX_BASELINE_BLURRED: {
        double sd = (param > 0 ? param : 0.05) * fs;
        for (int c = 0; c < channels; c++) gaussian_blur(x + (size_t)c * length, x0 + (size_t)c * length, length, sd);
        return 0;
    }
    case ECGX_BASELINE_NORMAL:
        return xai_normal_baseline(channels, length, param, fs, x0);
    }
    return ecgx_error(ECGX_ERR_ARG, "xai: unknown baseline %d", (int)kind);
}

static int attribute_once(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target,
                          int layer, ecgx_attribution **out)
{
    switch (o->method) {
    case ECGX_XAI_SALIENCY:
    case ECGX_XAI_GXI:
    case ECGX_XAI_IG:
    case ECGX_XAI_SMOOTHGRAD:
        return xai_gradient_methods(m, x, L, o, target, layer, out);
    case ECGX_XAI_DEEPLIFT:
    case ECGX_XAI_LRP:
        return xai_propagate(m, x, L, o, target, layer, out);
    case ECGX_XAI_OCCLUSION:
    case ECGX_XAI_ABLATION:
        if (layer >= 0)
            return ecgx_error(ECGX_ERR_UNSUPPORTED, "xai: %s attributes to the input only, not to a layer",
                              ecgx_xai_method_name(o->method));
        return xai_perturb(m, x, L, o, target, out);
    case ECGX_XAI_GRADCAM:
    case ECGX_XAI_HIRESCAM:
    case ECGX_XAI_GRADCAMPP:
    case ECGX_XAI_LAYERCAM:
        return xai_cam(m, x, L, o, target, layer, out);
    default:
        return ecgx_error(ECGX_ERR_ARG, "xai: unknown method %d", (int)o->method);
    }
}

/* Noise tunnel: the method on n noisy copies x + N(0, (sigma * range)^2),
 * combined by mean, mean of squares or variance. */
static int noise_tunnel(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target, int layer,
                        ecgx_attribution **out)
{
    int C = ecgx_model_in_channels(m);
    size_t nx = (size_t)C * L;
    float lo = x[0], hi = x[0];
    for (size_t i = 1; i < nx; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    double sd = o->nt_sigma * (hi - lo);
    ecgx_xai_options inner = *o;
    inner.nt_samples = 0;
    if (inner.method == ECGX_XAI_SMOOTHGRAD) inner.method = ECGX_XAI_SALIENCY;
    float *xn = malloc(sizeof(float) * nx);
    double *s1 = NULL, *s2 = NULL;
    ecgx_attribution *acc = NULL;
    uint64_t rng = o->seed * 0x2545F4914F6CDD1Dull + 17;
    int rc = xn ? 0 : ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    for (int s = 0; s < o->nt_samples && !rc; s++) {
        for (size_t i = 0; i < nx; i++) xn[i] = x[i] + (float)(sd * xai_rng_normal(&rng));
        ecgx_attribution *a = NULL;
        rc = attribute_once(m, xn, L, &inner, target, layer, &a);
        if (rc) break;
        size_t na = (size_t)a->channels * a->length;
        if (!acc) {
            acc = a;
            s1 = calloc(na, sizeof(double));
            s2 = calloc(na, sizeof(double));
            if (!s1 || !s2) rc = ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
        }
        for (size_t i = 0; i < na && !rc; i++) {
            s1[i] += a->relevance[i];
            s2[i] += (double)a->relevance[i] * a->relevance[i];
        }
        if (a != acc) ecgx_attribution_free(a);
    }
    if (!rc && acc) {
        size_t na = (size_t)acc->channels * acc->length;
        double k = o->nt_samples;
        for (size_t i = 0; i < na; i++) {
            double mean = s1[i] / k, msq = s2[i] / k;
            acc->relevance[i] = (float)(o->nt_kind == ECGX_NT_MEAN ? mean
                                        : o->nt_kind == ECGX_NT_SQ ? msq
                                                                   : fmax(0.0, msq - mean * mean));
        }
        acc->method = o->method;
        acc->steps = o->nt_samples;
        acc->completeness_gap = acc->conservation = acc->lrp_absorbed = NAN; /* not meaningful after averaging */
        acc->logit_baseline = NAN;
        acc->logit = NAN;
        xai_attribution_finish(acc);
        *out = acc;
        acc = NULL;
    }
    ecgx_attribution_free(acc);
    free(xn);
    free(s1);
    free(s2);
    return rc;
}

int ecgx_xai_attribute(ecgx_model *m, const float *x, int length, const ecgx_xai_options *opts,
                       ecgx_attribution **out)
{
    if (!m || !x || !opts || !out) return ecgx_error(ECGX_ERR_ARG, "xai: NULL argument");
    *out = NULL;
    if (length <= 0) return ecgx_error(ECGX_ERR_ARG, "xai: input length %d", length);
    size_t nx = (size_t)ecgx_model_in_channels(m) * length;
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(x[i])) return ecgx_error(ECGX_ERR_RANGE, "xai: the input has a non-finite sample (channel %zu, sample %zu)", i / length, i % length);
    int was = ecgx_model_is_training(m);
    ecgx_model_set_training(m, 0);
    int target = opts->target, layer = -1;
    double logit = NAN;
    int rc = xai_find_layer(m, opts->layer, &layer);
    if (!rc && target >= ecgx_model_n_classes(m))
        rc = ecgx_error(ECGX_ERR_ARG, "xai: target class %d, but the model has %d classes", target, ecgx_model_n_classes(m));
    /* a forward pass only to choose the class; the methods report f(x) themselves */
    if (!rc && target < 0) rc = xai_resolve_target(m, x, length, opts->target, &target, &logit);
    /* the normal baseline's scale, when not given: the one this model finds least like any class */
    ecgx_xai_options resolved = *opts;
    if (!rc && resolved.baseline == ECGX_BASELINE_NORMAL && !(resolved.baseline_param > 0) &&
        ecgx_xai_method_uses_baseline(resolved.method))
        rc = ecgx_xai_normal_scale(m, length, resolved.fs, &resolved.baseline_param, NULL);
    opts = &resolved;
    if (!rc) {
        if (opts->nt_samples > 0 || opts->method == ECGX_XAI_SMOOTHGRAD) {
            ecgx_xai_options o = *opts;
            if (o.nt_samples <= 0) o.nt_samples = 16;
            rc = noise_tunnel(m, x, length, &o, target, layer, out);
        } else {
            rc = attribute_once(m, x, length, opts, target, layer, out);
        }
    }
    if (!rc && *out) {
        (*out)->target = target;
        if (isnan((*out)->logit)) { /* noise tunnel: f of the clean input */
            if (isnan(logit)) rc = xai_resolve_target(m, x, length, target, &target, &logit);
            (*out)->logit = logit;
        }
        (*out)->baseline = opts->baseline;
        (*out)->baseline_param = opts->baseline_param;
        if (layer >= 0 && !(*out)->layer[0])
            snprintf((*out)->layer, sizeof (*out)->layer, "%s", ecgx_model_layer_name(m, layer));
    }
    ecgx_model_set_training(m, was);
    return rc;
}
