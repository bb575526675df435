#include "nn_metrics.h"

#include <math.h>
#include <stdlib.h>

typedef struct sv {
    float s, t;
} sv;

static int cmp_sv(const void *a, const void *b)
{
    float x = ((const sv *)a)->s, y = ((const sv *)b)->s;
    return x < y ? -1 : x > y;
}

/* Mann-Whitney U with average ranks for ties */
double nn_auroc(const float *scores, const float *targets, int n, int stride)
{
    sv *v = malloc(sizeof(sv) * (size_t)(n + 1));
    if (!v) return NAN;
    double npos = 0, nneg = 0;
    for (int i = 0; i < n; i++) {
        v[i].s = scores[(size_t)i * stride];
        v[i].t = targets[(size_t)i * stride];
        if (v[i].t > 0.5f) npos++;
        else nneg++;
    }
    if (npos == 0 || nneg == 0) {
        free(v);
        return NAN;
    }
    qsort(v, n, sizeof(sv), cmp_sv);
    double rank_sum = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && v[j].s == v[i].s) j++;
        double r = (i + 1 + j) / 2.0; /* average of ranks i+1..j */
        for (int k = i; k < j; k++)
            if (v[k].t > 0.5f) rank_sum += r;
        i = j;
    }
    free(v);
    return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg);
}

double nn_macro_auroc(const float *scores, const float *targets, int n, int K, double *auc)
{
    double s = 0;
    int k = 0;
    for (int c = 0; c < K; c++) {
        double a = nn_auroc(scores + c, targets + c, n, K);
        if (auc) auc[c] = a;
        if (!isnan(a)) {
            s += a;
            k++;
        }
    }
    return k ? s / k : NAN;
}
