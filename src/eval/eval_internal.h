/* Internal kernels of the eval module. They work on records pre-sorted by
 * score and accept optional per-record weights, so a bootstrap resample (a
 * multiset of records) is a weight vector — w[i] copies of record i — and
 * costs O(n) per metric instead of a new sort. */
#ifndef ECGX_EVAL_INTERNAL_H
#define ECGX_EVAL_INTERNAL_H

#include "core/rng.h" /* one generator stream per bootstrap resample */
#include "ecgx/eval.h"

/* order[0..n) = indices of score sorted ascending (stable); returns 0 or an error. */
int eval_sort_ascending(const double *score, int64_t n, int64_t **order);

/* Weighted sums of positives and negatives (w NULL: all 1). */
void eval_class_weights(const uint8_t *label, const double *w, int64_t n, double *pos, double *neg);

/* AUROC over records in ascending `order`, with weights w (NULL: 1). NaN when
 * the weighted positives or negatives are zero. */
double eval_auroc_sorted(const double *score, const uint8_t *label, const int64_t *order,
                         const double *w, int64_t n);
/* Average precision over records in ascending `order` (walked backwards). */
double eval_ap_sorted(const double *score, const uint8_t *label, const int64_t *order,
                      const double *w, int64_t n);
/* Weighted confusion matrix at threshold t (positive when score >= t). */
void eval_confusion(const double *score, const uint8_t *label, const double *w, int64_t n, double t,
                    ecgx_confusion *cm);

/* A binary problem sorted once (ascending score) with tied scores grouped,
 * for the bootstrap: rec[k] is the record (weight index) at position k. */
typedef struct eval_view {
    int64_t n, n_groups;
    int64_t *group_end;  /* exclusive end position of each group */
    int64_t *rec;
    uint8_t *label;
    int64_t thr_group;   /* first group with score >= the threshold (n_groups: none) */
} eval_view;

/* Build from scores, labels and their ascending order; the weight of position
 * k is w[order[k] / rec_div] (rec_div = n_classes for the micro view of a
 * row-major score matrix, else 1). */
int eval_view_build(const double *score, const uint8_t *label, const int64_t *order, int64_t n, int64_t rec_div,
                    double threshold, eval_view *v);
void eval_view_free(eval_view *v);
/* AUROC, AP (NaN when undefined) and the confusion matrix at the view's
 * threshold (cm may be NULL) under weights w; gp, gn: n_groups scratch. */
void eval_view_metrics(const eval_view *v, const double *w, double *gp, double *gn, double *auroc, double *ap,
                       ecgx_confusion *cm);

/* Bootstrap resample b as weights: w[i] = how many of the n draws (from b's
 * own generator stream of `seed`) picked record i. */
static inline void eval_resample(uint64_t seed, int b, double *w, int64_t n)
{
    ecgx_rng rng;
    ecgx_rng_seed(&rng, seed, (uint64_t)b);
    for (int64_t k = 0; k < n; k++) w[k] = 0.0;
    for (int64_t k = 0; k < n; k++) w[ecgx_rng_below(&rng, (uint64_t)n)] += 1.0;
}

/* Validate inputs shared by the public entry points. */
int eval_check_inputs(const char *fn, const double *score, const uint8_t *label, int64_t n);

/* Percentile with linear interpolation (numpy's default), ignoring NaNs;
 * sorts v in place. NaN when no finite value. */
double eval_percentile(double *v, int64_t n, double q);

#endif
