/* A sorted, grouped view of one binary problem for the bootstrap. Records
 * are laid out once in ascending score order with tied scores grouped; a
 * resample then needs one sequential pass that sums each group's positive
 * and negative weight, and AUROC, average precision and the confusion
 * matrix at the (fixed) threshold all follow from those group sums. */
#include "eval/eval_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>

void eval_view_free(eval_view *v)
{
    if (!v) return;
    free(v->group_end);
    free(v->rec);
    free(v->label);
    v->group_end = v->rec = NULL;
    v->label = NULL;
}

int eval_view_build(const double *score, const uint8_t *label, const int64_t *order, int64_t n, int64_t rec_div,
                    double threshold, eval_view *v)
{
    v->n = n;
    v->n_groups = 0;
    v->thr_group = 0;
    v->group_end = ecgx_malloc_array((size_t)n, sizeof *v->group_end, "bootstrap groups");
    v->rec = ecgx_malloc_array((size_t)n, sizeof *v->rec, "bootstrap view");
    v->label = ecgx_malloc_array((size_t)n, 1, "bootstrap view");
    if (!v->group_end || !v->rec || !v->label) { eval_view_free(v); return ECGX_ERR_NOMEM; }
    int64_t g = 0, thr_group = -1;
    for (int64_t k = 0; k < n; k++) {
        int64_t i = order[k];
        v->rec[k] = i / rec_div;
        v->label[k] = label[i];
        if (k > 0 && score[order[k - 1]] != score[i]) v->group_end[g++] = k;
        if (thr_group < 0 && score[i] >= threshold) thr_group = g;
    }
    v->group_end[g++] = n;
    v->n_groups = g;
    v->thr_group = thr_group < 0 ? g : thr_group; /* NaN threshold or none above: no predicted positive */
    return 0;
}

void eval_view_metrics(const eval_view *v, const double *w, double *gp, double *gn, double *auroc, double *ap,
                       ecgx_confusion *cm)
{
    int64_t k = 0;
    double P = 0, N = 0;
    for (int64_t g = 0; g < v->n_groups; g++) {
        double p = 0, q = 0;
        for (int64_t end = v->group_end[g]; k < end; k++) {
            double wi = w[v->rec[k]];
            if (v->label[k]) p += wi; else q += wi;
        }
        gp[g] = p;
        gn[g] = q;
        P += p;
        N += q;
    }
    /* AUROC ascending; AP and the confusion matrix descending */
    double neg_below = 0, sum = 0;
    for (int64_t g = 0; g < v->n_groups; g++) {
        sum += gp[g] * (neg_below + 0.5 * gn[g]);
        neg_below += gn[g];
    }
    double tp = 0, fp = 0, s_ap = 0, tp_thr = 0, fp_thr = 0;
    for (int64_t g = v->n_groups - 1; g >= 0; g--) {
        tp += gp[g];
        fp += gn[g];
        if (gp[g] > 0) s_ap += (gp[g] / P) * (tp / (tp + fp));
        if (g == v->thr_group) { tp_thr = tp; fp_thr = fp; }
    }
    *auroc = P > 0 && N > 0 ? sum / (P * N) : NAN;
    *ap = P > 0 ? s_ap : NAN;
    if (cm) {
        cm->tp = tp_thr;
        cm->fp = fp_thr;
        cm->fn = P - tp_thr;
        cm->tn = N - fp_thr;
    }
}
