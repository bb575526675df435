/* Ranking metrics: AUROC (Mann-Whitney with midranks) and average precision,
 * both as one pass over records sorted by score, grouping tied scores. */
#include "eval/eval_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>

typedef struct sort_key { double v; int64_t i; } sort_key;

static int cmp_key(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return (x->i > y->i) - (x->i < y->i); /* stable: equal scores keep record order */
}

int eval_sort_ascending(const double *score, int64_t n, int64_t **order)
{
    *order = NULL;
    sort_key *k = ecgx_malloc_array((size_t)(n ? n : 1), sizeof *k, "score sort keys");
    int64_t *o = ecgx_malloc_array((size_t)(n ? n : 1), sizeof *o, "score order");
    if (!k || !o) { free(k); free(o); return ECGX_ERR_NOMEM; }
    for (int64_t i = 0; i < n; i++) { k[i].v = score[i]; k[i].i = i; }
    qsort(k, (size_t)n, sizeof *k, cmp_key);
    for (int64_t i = 0; i < n; i++) o[i] = k[i].i;
    free(k);
    *order = o;
    return 0;
}

void eval_class_weights(const uint8_t *label, const double *w, int64_t n, double *pos, double *neg)
{
    double p = 0, q = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (label[i]) p += wi; else q += wi;
    }
    *pos = p;
    *neg = q;
}

double eval_auroc_sorted(const double *score, const uint8_t *label, const int64_t *order,
                         const double *w, int64_t n)
{
    /* Each positive earns the (weighted) negatives strictly below it plus half
     * of those tied with it. */
    double neg_below = 0, sum = 0, P = 0, N = 0;
    int64_t a = 0;
    while (a < n) {
        double s = score[order[a]], wp = 0, wn = 0;
        int64_t b = a;
        for (; b < n && score[order[b]] == s; b++) {
            int64_t i = order[b];
            double wi = w ? w[i] : 1.0;
            if (label[i]) wp += wi; else wn += wi;
        }
        sum += wp * (neg_below + 0.5 * wn);
        neg_below += wn;
        P += wp;
        N += wn;
        a = b;
    }
    if (P <= 0 || N <= 0) return NAN;
    return sum / (P * N);
}

double eval_ap_sorted(const double *score, const uint8_t *label, const int64_t *order,
                      const double *w, int64_t n)
{
    double P = 0, N = 0;
    eval_class_weights(label, w, n, &P, &N);
    if (P <= 0) return NAN;
    double tp = 0, fp = 0, ap = 0;
    int64_t b = n;
    while (b > 0) {
        double s = score[order[b - 1]], wp = 0, wn = 0;
        int64_t a = b;
        for (; a > 0 && score[order[a - 1]] == s; a--) {
            int64_t i = order[a - 1];
            double wi = w ? w[i] : 1.0;
            if (label[i]) wp += wi; else wn += wi;
        }
        tp += wp;
        fp += wn;
        if (wp > 0) ap += (wp / P) * (tp / (tp + fp));
        b = a;
    }
    return ap;
}

void eval_confusion(const double *score, const uint8_t *label, const double *w, int64_t n, double t,
                    ecgx_confusion *cm)
{
    double tp = 0, fp = 0, tn = 0, fn = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        int pred = score[i] >= t;
        if (label[i]) { if (pred) tp += wi; else fn += wi; }
        else          { if (pred) fp += wi; else tn += wi; }
    }
    cm->tp = tp; cm->fp = fp; cm->tn = tn; cm->fn = fn;
}

int eval_check_inputs(const char *fn, const double *score, const uint8_t *label, int64_t n)
{
    if (!score || !label) return ecgx_error(ECGX_ERR_ARG, "%s: NULL scores or labels", fn);
    if (n <= 0) return ecgx_error(ECGX_ERR_ARG, "%s: no records (n = %lld)", fn, (long long)n);
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(score[i]))
            return ecgx_error(ECGX_ERR_RANGE, "%s: score of record %lld is not finite", fn, (long long)i);
        if (label[i] > 1)
            return ecgx_error(ECGX_ERR_RANGE, "%s: label of record %lld is %d, not 0 or 1", fn,
                              (long long)i, label[i]);
    }
    return 0;
}

static int binary_rank_metric(const char *fn, const double *score, const uint8_t *label, int64_t n,
                              int need_neg, double *out)
{
    int rc = eval_check_inputs(fn, score, label, n);
    if (rc) return rc;
    double P, N;
    eval_class_weights(label, NULL, n, &P, &N);
    if (P == 0) return ecgx_error(ECGX_ERR_RANGE, "%s: no positive record, the metric is undefined", fn);
    if (need_neg && N == 0)
        return ecgx_error(ECGX_ERR_RANGE, "%s: no negative record, the metric is undefined", fn);
    int64_t *order;
    if ((rc = eval_sort_ascending(score, n, &order))) return rc;
    *out = need_neg ? eval_auroc_sorted(score, label, order, NULL, n) : eval_ap_sorted(score, label, order, NULL, n);
    free(order);
    return 0;
}

int ecgx_eval_auroc(const double *score, const uint8_t *label, int64_t n, double *auroc)
{
    return binary_rank_metric("AUROC", score, label, n, 1, auroc);
}

int ecgx_eval_auprc(const double *score, const uint8_t *label, int64_t n, double *ap)
{
    return binary_rank_metric("AUPRC", score, label, n, 0, ap);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double eval_percentile(double *v, int64_t n, double q)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(v[i])) v[m++] = v[i];
    if (m == 0) return NAN;
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    double pos = q * (double)(m - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo >= m - 1) return v[m - 1];
    double f = pos - (double)lo;
    return v[lo] + f * (v[lo + 1] - v[lo]);
}
