/* DeLong's test for two correlated AUROCs, by the fast algorithm of Sun & Xu
 * (IEEE Signal Processing Letters 21(11), 2014): the structural components
 * V10 (per positive) and V01 (per negative) follow from midranks computed
 * within the positives, within the negatives and over all records, so the
 * whole test costs three sorts per score instead of m*n comparisons. */
#include "eval/eval_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>

/* Midranks (1-based, ties averaged) of x[0..n). */
static int midranks(const double *x, int64_t n, double *rank)
{
    int64_t *order;
    int rc = eval_sort_ascending(x, n, &order);
    if (rc) return rc;
    int64_t a = 0;
    while (a < n) {
        int64_t b = a;
        while (b < n && x[order[b]] == x[order[a]]) b++;
        double r = 0.5 * (double)(a + 1 + b); /* mean of ranks a+1 .. b */
        for (int64_t k = a; k < b; k++) rank[order[k]] = r;
        a = b;
    }
    free(order);
    return 0;
}

/* Structural components of one score: v10[m] over positives, v01[k] over
 * negatives; returns the AUC in *auc. */
static int components(const double *score, const uint8_t *label, int64_t n, int64_t m, int64_t k,
                      double *v10, double *v01, double *auc)
{
    int rc = ECGX_ERR_NOMEM;
    double *xs = ecgx_malloc_array((size_t)m, sizeof *xs, "DeLong positives");
    double *ys = ecgx_malloc_array((size_t)k, sizeof *ys, "DeLong negatives");
    double *tx = ecgx_malloc_array((size_t)m, sizeof *tx, "DeLong ranks");
    double *ty = ecgx_malloc_array((size_t)k, sizeof *ty, "DeLong ranks");
    double *tz = ecgx_malloc_array((size_t)n, sizeof *tz, "DeLong ranks");
    if (!xs || !ys || !tx || !ty || !tz) goto done;
    int64_t ip = 0, in = 0;
    for (int64_t i = 0; i < n; i++) {
        if (label[i]) xs[ip++] = score[i]; else ys[in++] = score[i];
    }
    if ((rc = midranks(xs, m, tx)) || (rc = midranks(ys, k, ty)) || (rc = midranks(score, n, tz))) goto done;
    double sum = 0;
    ip = in = 0;
    for (int64_t i = 0; i < n; i++) {
        if (label[i]) {
            v10[ip] = (tz[i] - tx[ip]) / (double)k;
            sum += tz[i];
            ip++;
        } else {
            v01[in] = 1.0 - (tz[i] - ty[in]) / (double)m;
            in++;
        }
    }
    *auc = (sum - (double)m * ((double)m + 1) / 2) / ((double)m * (double)k);
    rc = 0;
done:
    free(xs); free(ys); free(tx); free(ty); free(tz);
    return rc;
}

static double covariance(const double *a, const double *b, int64_t n)
{
    double ma = 0, mb = 0, s = 0;
    for (int64_t i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
    ma /= (double)n;
    mb /= (double)n;
    for (int64_t i = 0; i < n; i++) s += (a[i] - ma) * (b[i] - mb);
    return s / (double)(n - 1);
}

int ecgx_eval_delong(const double *score_a, const double *score_b, const uint8_t *label, int64_t n,
                     ecgx_delong *out)
{
    int rc = eval_check_inputs("DeLong (scores A)", score_a, label, n);
    if (rc || (rc = eval_check_inputs("DeLong (scores B)", score_b, label, n))) return rc;
    double P, N;
    eval_class_weights(label, NULL, n, &P, &N);
    int64_t m = (int64_t)P, k = (int64_t)N;
    if (m < 2 || k < 2)
        return ecgx_error(ECGX_ERR_RANGE, "DeLong: needs at least 2 positive and 2 negative records (have %lld and %lld)",
                          (long long)m, (long long)k);
    rc = ECGX_ERR_NOMEM;
    double *v10a = ecgx_malloc_array((size_t)m, sizeof(double), "DeLong V10");
    double *v10b = ecgx_malloc_array((size_t)m, sizeof(double), "DeLong V10");
    double *v01a = ecgx_malloc_array((size_t)k, sizeof(double), "DeLong V01");
    double *v01b = ecgx_malloc_array((size_t)k, sizeof(double), "DeLong V01");
    if (!v10a || !v10b || !v01a || !v01b) goto done;
    if ((rc = components(score_a, label, n, m, k, v10a, v01a, &out->auc_a))) goto done;
    if ((rc = components(score_b, label, n, m, k, v10b, v01b, &out->auc_b))) goto done;
    double md = (double)m, kd = (double)k;
    out->var_a = covariance(v10a, v10a, m) / md + covariance(v01a, v01a, k) / kd;
    out->var_b = covariance(v10b, v10b, m) / md + covariance(v01b, v01b, k) / kd;
    out->cov_ab = covariance(v10a, v10b, m) / md + covariance(v01a, v01b, k) / kd;
    out->diff = out->auc_a - out->auc_b;
    double var = out->var_a + out->var_b - 2 * out->cov_ab;
    if (var > 1e-300) {
        out->z = out->diff / sqrt(var);
        out->p_value = erfc(fabs(out->z) / sqrt(2.0));
    } else {
        /* Identical rankings (or degenerate ones): no evidence of a difference
         * unless the AUCs nevertheless differ. */
        out->z = out->diff == 0 ? 0 : copysign(INFINITY, out->diff);
        out->p_value = out->diff == 0 ? 1.0 : 0.0;
    }
    rc = 0;
done:
    free(v10a); free(v10b); free(v01a); free(v01b);
    return rc;
}
