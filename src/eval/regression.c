/* Regression figures (MAE, RMSE, R^2, Pearson's r, bias) with bootstrap
 * percentile intervals. A resample is a weight vector (w[i] = how many
 * times record i was drawn), drawn from its own PRNG stream exactly as
 * ecgx_eval_multilabel draws them, so every figure of a resample is one
 * weighted O(n) pass and the result depends only on the seed. */
#include "eval/eval_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { R_MAE, R_RMSE, R_R2, R_R, R_BIAS, N_REG };

/* The figures under weights w (NULL: all 1); two passes (means, then
 * deviations) so that R^2 and r do not lose digits to large means such as
 * ages around 60 years. */
static void reg_figures(const double *p, const double *t, const double *w, int64_t n, double *v)
{
    double W = 0, sp = 0, st = 0, se = 0, sae = 0, sse = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (wi == 0) continue;
        double e = p[i] - t[i];
        W += wi;
        sp += wi * p[i];
        st += wi * t[i];
        se += wi * e;
        sae += wi * fabs(e);
        sse += wi * e * e;
    }
    double mp = sp / W, mt = st / W, stt = 0, spp = 0, spt = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (wi == 0) continue;
        double dp = p[i] - mp, dt = t[i] - mt;
        stt += wi * dt * dt;
        spp += wi * dp * dp;
        spt += wi * dp * dt;
    }
    v[R_MAE] = sae / W;
    v[R_RMSE] = sqrt(sse / W);
    v[R_BIAS] = se / W;
    v[R_R2] = stt > 0 ? 1.0 - sse / stt : NAN;
    v[R_R] = stt > 0 && spp > 0 ? spt / sqrt(stt * spp) : NAN;
}

int ecgx_eval_regression_metrics(const double *pred, const double *truth, int64_t n,
                                 const ecgx_eval_options *opt_in, ecgx_eval_regression *out)
{
    memset(out, 0, sizeof *out);
    ecgx_eval_options opt;
    if (opt_in) opt = *opt_in; else ecgx_eval_options_default(&opt);
    if (!pred || !truth || n <= 0)
        return ecgx_error(ECGX_ERR_ARG, "eval: need at least one record (n = %lld)", (long long)n);
    if (opt.n_bootstrap < 0 || opt.n_bootstrap > 1000000)
        return ecgx_error(ECGX_ERR_ARG, "eval: %d bootstrap resamples (must be 0..1000000)", opt.n_bootstrap);
    if (!(opt.ci_level > 0 && opt.ci_level < 1))
        return ecgx_error(ECGX_ERR_ARG, "eval: confidence level %g is not in (0, 1)", opt.ci_level);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(pred[i]) || !isfinite(truth[i]))
            return ecgx_error(ECGX_ERR_ARG, "eval: record %lld: %s is not a finite number", (long long)i,
                              isfinite(pred[i]) ? "the target" : "the prediction");
    double v[N_REG];
    reg_figures(pred, truth, NULL, n, v);
    out->n = n;
    out->mae = v[R_MAE];
    out->rmse = v[R_RMSE];
    out->r2 = v[R_R2];
    out->pearson_r = v[R_R];
    out->bias = v[R_BIAS];
    out->n_bootstrap = opt.n_bootstrap;
    out->ci_level = opt.ci_level;
    ecgx_interval none = {NAN, NAN};
    out->mae_ci = out->rmse_ci = out->r2_ci = out->pearson_r_ci = out->bias_ci = none;
    const int B = opt.n_bootstrap;
    if (B == 0) return 0;

    int nth = omp_get_max_threads();
    if (nth < 1) nth = 1;
    double *boot = ecgx_malloc_array((size_t)N_REG * B, sizeof(double), "bootstrap values");
    double *wbuf = ecgx_malloc_array((size_t)nth * (size_t)n, sizeof(double), "bootstrap weights");
    double *tmp = ecgx_malloc_array((size_t)B, sizeof(double), "bootstrap values");
    if (!boot || !wbuf || !tmp) {
        free(boot);
        free(wbuf);
        free(tmp);
        return ECGX_ERR_NOMEM;
    }
#pragma omp parallel num_threads(nth)
    {
        double *w = wbuf + (size_t)omp_get_thread_num() * (size_t)n;
#pragma omp for schedule(dynamic, 8)
        for (int b = 0; b < B; b++) {
            eval_resample(opt.seed, b, w, n);
            double rv[N_REG];
            reg_figures(pred, truth, w, n, rv);
            for (int m = 0; m < N_REG; m++) boot[(size_t)m * B + b] = rv[m];
        }
    }
    for (int b = 0; b < B; b++)
        out->n_skipped += isnan(boot[(size_t)R_R2 * B + b]) || isnan(boot[(size_t)R_R * B + b]);
    double a = (1 - opt.ci_level) / 2;
    ecgx_interval *ci[N_REG] = {&out->mae_ci, &out->rmse_ci, &out->r2_ci, &out->pearson_r_ci, &out->bias_ci};
    for (int m = 0; m < N_REG; m++) {
        memcpy(tmp, boot + (size_t)m * B, (size_t)B * sizeof *tmp);
        ci[m]->lo = eval_percentile(tmp, B, a);
        memcpy(tmp, boot + (size_t)m * B, (size_t)B * sizeof *tmp);
        ci[m]->hi = eval_percentile(tmp, B, 1 - a);
    }
    free(boot);
    free(wbuf);
    free(tmp);
    return 0;
}
