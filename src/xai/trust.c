/* Evidence of trust: deletion and insertion curves, the cascading
 * randomisation sanity check (Adebayo et al. 2018) with Spearman rank
 * correlation, and localisation on a known evidence mask (relevance mass
 * inside it, pointing game). */
#include "xai/xai_internal.h"

#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct keyed {
    double v;
    int64_t i;
} keyed;

static int by_v_desc(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->v > y->v) return -1;
    if (x->v < y->v) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int by_v_asc(const void *a, const void *b) { return -by_v_desc(a, b); }

int ecgx_xai_perturbation_curve(ecgx_model *m, const float *x, const float *x0, int L, const ecgx_attribution *a,
                                int insertion, int n_steps, int unit, float *probs, double *auc)
{
    int C = ecgx_model_in_channels(m), nc = ecgx_model_n_classes(m);
    if (!a || a->channels != C || a->length != L)
        return ecgx_error(ECGX_ERR_ARG, "xai: the attribution's shape does not match the input");
    if (n_steps < 1 || n_steps > 1000) return ecgx_error(ECGX_ERR_ARG, "xai: %d curve steps", n_steps);
    if (unit < 1) unit = 1;
    int per_lead = (L + unit - 1) / unit;
    int64_t nu = (int64_t)C * per_lead;
    size_t nx = (size_t)C * L;
    keyed *k = ecgx_malloc_array((size_t)nu, sizeof *k, "ranking");
    float *xb = ecgx_malloc_array((size_t)(n_steps + 1) * nx, sizeof(float), "curve inputs");
    float *lg = ecgx_malloc_array((size_t)(n_steps + 1) * nc, sizeof(float), "curve logits");
    int rc = (k && xb && lg) ? 0 : ECGX_ERR_NOMEM;
    if (!rc) {
        for (int64_t u = 0; u < nu; u++) {
            int c = (int)(u / per_lead), s = (int)(u % per_lead) * unit, e = s + unit > L ? L : s + unit;
            double v = 0;
            for (int t = s; t < e; t++) v += a->relevance[(size_t)c * L + t];
            k[u].v = v;
            k[u].i = u;
        }
        qsort(k, (size_t)nu, sizeof *k, by_v_desc);
        /* step j: the first round(j/n * nu) units changed */
        float *cur = malloc(sizeof(float) * nx);
        if (!cur) rc = ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
        else {
            memcpy(cur, insertion ? x0 : x, sizeof(float) * nx);
            int64_t done = 0;
            for (int j = 0; j <= n_steps; j++) {
                int64_t want = (int64_t)llround((double)j / n_steps * nu);
                for (; done < want; done++) {
                    int64_t u = k[done].i;
                    int c = (int)(u / per_lead), s = (int)(u % per_lead) * unit, e = s + unit > L ? L : s + unit;
                    const float *src = insertion ? x : x0;
                    memcpy(cur + (size_t)c * L + s, src + (size_t)c * L + s, sizeof(float) * (e - s));
                }
                memcpy(xb + (size_t)j * nx, cur, sizeof(float) * nx);
            }
            free(cur);
        }
    }
    if (!rc) rc = ecgx_xai_logits(m, xb, n_steps + 1, L, 8, lg);
    if (!rc) {
        double area = 0;
        for (int j = 0; j <= n_steps; j++) {
            double z = lg[(size_t)j * nc + a->target];
            probs[j] = (float)(1.0 / (1.0 + exp(-z)));
            if (j) area += 0.5 * (probs[j] + probs[j - 1]) / n_steps;
        }
        *auc = area;
    }
    free(k);
    free(xb);
    free(lg);
    return rc;
}

static double *ranks(const float *a, int64_t n, int absolute)
{
    keyed *k = malloc(sizeof *k * (size_t)n);
    double *r = malloc(sizeof(double) * (size_t)n);
    if (!k || !r) {
        free(k);
        free(r);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        k[i].v = absolute ? fabs(a[i]) : a[i];
        k[i].i = i;
    }
    qsort(k, (size_t)n, sizeof *k, by_v_asc);
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j + 1 < n && k[j + 1].v == k[i].v) j++;
        double rk = 0.5 * (i + j) + 1;
        for (int64_t q = i; q <= j; q++) r[k[q].i] = rk;
        i = j + 1;
    }
    free(k);
    return r;
}

int ecgx_xai_perturbation_curve_random(ecgx_model *m, const float *x, const float *x0, int L, int target,
                                       int insertion, int n_steps, int unit, int repeats, uint64_t seed,
                                       double *auc)
{
    int C = ecgx_model_in_channels(m);
    if (repeats < 1) return ecgx_error(ECGX_ERR_ARG, "xai: %d random orders", repeats);
    if (target < 0 || target >= ecgx_model_n_classes(m)) return ecgx_error(ECGX_ERR_ARG, "xai: target class %d", target);
    ecgx_attribution *a = xai_attribution_new(ECGX_XAI_SALIENCY, target, C, L);
    float *probs = malloc(sizeof(float) * (size_t)(n_steps > 0 ? n_steps + 1 : 1));
    int rc = a && probs ? 0 : ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    uint64_t rng = seed * 0x2545F4914F6CDD1Dull + 99;
    double total = 0;
    /* a random relevance per sample ranks the blocks (sums of `unit` uniform
     * draws) in a random order: the curve of an explanation that knows nothing */
    for (int r = 0; r < repeats && !rc; r++) {
        for (size_t i = 0; i < (size_t)C * L; i++) a->relevance[i] = (float)xai_rng_uniform(&rng);
        double v = 0;
        rc = ecgx_xai_perturbation_curve(m, x, x0, L, a, insertion, n_steps, unit, probs, &v);
        total += v;
    }
    if (!rc) *auc = total / repeats;
    free(probs);
    ecgx_attribution_free(a);
    return rc;
}

double ecgx_xai_spearman(const float *a, const float *b, int64_t n, int absolute)
{
    if (n < 2) return NAN;
    double *ra = ranks(a, n, absolute), *rb = ranks(b, n, absolute);
    double res = NAN;
    if (ra && rb) {
        double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
        for (int64_t i = 0; i < n; i++) ma += ra[i], mb += rb[i];
        ma /= n;
        mb /= n;
        for (int64_t i = 0; i < n; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        res = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0;
    }
    free(ra);
    free(rb);
    return res;
}

/* Re-initialise one layer's parameters: conv/linear weights and biases
 * uniform in +-1/sqrt(fan_in) (PyTorch's default), batch-norm scale in
 * [0.5, 1.5) and shift in [-0.5, 0.5). */
static void randomise_layer(ecgx_model *m, int layer, uint64_t *rng)
{
    const char *name = ecgx_model_layer_name(m, layer);
    size_t nl = strlen(name);
    ecgx_layer_type type = ecgx_model_layer_type(m, layer);
    for (int i = 0; i < ecgx_model_param_count(m); i++) {
        ecgx_param p;
        ecgx_model_param(m, i, &p);
        if (!p.grad || strncmp(p.name, name, nl) || p.name[nl] != '.' || strchr(p.name + nl + 1, '.')) continue;
        int is_w = !strcmp(p.name + nl + 1, "weight");
        for (int64_t j = 0; j < p.size; j++) {
            double u = xai_rng_uniform(rng);
            if (type == ECGX_LAYER_BATCHNORM1D) p.data[j] = (float)(is_w ? 0.5 + u : u - 0.5);
            else {
                int64_t fan_in = p.ndim >= 2 ? p.size / p.shape[0] : 1;
                if (!is_w) { /* bias: fan-in of the weight */
                    ecgx_layer_info I;
                    ecgx_model_layer_info(m, layer, &I);
                    fan_in = type == ECGX_LAYER_LINEAR ? I.in_channels : (int64_t)I.in_channels / (I.groups ? I.groups : 1) * I.kernel;
                }
                double bound = 1.0 / sqrt((double)(fan_in > 0 ? fan_in : 1));
                p.data[j] = (float)((2 * u - 1) * bound);
            }
        }
    }
}

int ecgx_xai_randomization(ecgx_model *m, const float *x, int L, const ecgx_xai_options *opts, uint64_t seed,
                           double *rho, int *n_rho)
{
    int cap = *n_rho;
    *n_rho = 0;
    int64_t np = ecgx_model_n_trainable(m);
    float *saved = ecgx_malloc_array((size_t)np, sizeof(float), "parameter copy");
    if (!saved) return ECGX_ERR_NOMEM;
    memcpy(saved, ecgx_model_flat_params(m), sizeof(float) * (size_t)np);
    ecgx_attribution *ref = NULL;
    int rc = ecgx_xai_attribute(m, x, L, opts, &ref);
    ecgx_xai_options o = *opts;
    if (!rc) o.target = ref->target; /* the same class throughout */
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int i = ecgx_model_layer_count(m) - 1; i >= 0 && !rc && *n_rho < cap; i--) {
        ecgx_layer_type t = ecgx_model_layer_type(m, i);
        if (t != ECGX_LAYER_CONV1D && t != ECGX_LAYER_LINEAR && t != ECGX_LAYER_BATCHNORM1D) continue;
        randomise_layer(m, i, &rng);
        ecgx_attribution *a = NULL;
        rc = ecgx_xai_attribute(m, x, L, &o, &a);
        if (rc) break;
        rho[(*n_rho)++] = ecgx_xai_spearman(ref->relevance, a->relevance, (int64_t)a->channels * a->length, 1);
        ecgx_attribution_free(a);
    }
    memcpy(ecgx_model_flat_params(m), saved, sizeof(float) * (size_t)np);
    free(saved);
    ecgx_attribution_free(ref);
    return rc;
}

int ecgx_xai_localisation(const ecgx_attribution *a, const uint8_t *mask, int tol, double *mass, int *hit)
{
    if (!a || !mask) return ecgx_error(ECGX_ERR_ARG, "xai: no attribution or mask");
    double in = 0, tot = 0;
    size_t best = 0;
    size_t n = (size_t)a->channels * a->length;
    for (size_t i = 0; i < n; i++) {
        float v = a->relevance[i];
        if (v > a->relevance[best]) best = i;
        if (v > 0) {
            tot += v;
            if (mask[i]) in += v;
        }
    }
    *mass = tot > 0 ? in / tot : 0;
    int c = (int)(best / a->length), t = (int)(best % a->length);
    *hit = 0;
    for (int u = t - tol; u <= t + tol; u++)
        if (u >= 0 && u < a->length && mask[(size_t)c * a->length + u]) *hit = 1;
    return 0;
}
