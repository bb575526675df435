/* Evaluation helpers shared by the dsp tests: beat-by-beat matching of QRS
 * detections (bxb-like) and wave-by-wave matching of delineations against
 * reference annotations. Kept out of the library: they define how ecgx is
 * scored, not how it works. */
#ifndef ECGX_TEST_DSP_EVAL_H
#define ECGX_TEST_DSP_EVAL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecgx/fiducials.h"

/* Match each reference beat to at most one detection within tol samples
 * (the closest unused one). Detections inside [excl_lo[k], excl_hi[k]]
 * (ventricular flutter episodes) are neither true nor false. */
static inline void match_beats(const int64_t *ref, int nr, const int64_t *det, int nd, int64_t tol,
                               const int64_t *excl_lo, const int64_t *excl_hi, int n_excl, long *tp, long *fn,
                               long *fp)
{
    char *used = calloc((size_t)nd + 1, 1);
    int j = 0;
    *tp = *fn = *fp = 0;
    for (int i = 0; i < nr; i++) {
        while (j < nd && det[j] < ref[i] - tol) j++;
        int best = -1;
        for (int k = j; k < nd && det[k] <= ref[i] + tol; k++)
            if (!used[k] && (best < 0 || llabs(det[k] - ref[i]) < llabs(det[best] - ref[i]))) best = k;
        if (best >= 0) { used[best] = 1; (*tp)++; }
        else (*fn)++;
    }
    for (int k = 0; k < nd; k++) {
        if (used[k]) continue;
        int excluded = 0;
        for (int e = 0; e < n_excl; e++) excluded |= det[k] >= excl_lo[e] && det[k] <= excl_hi[e];
        if (!excluded) (*fp)++;
    }
    free(used);
}

/* ---- delineation ---- */
typedef struct ref_wave { int64_t on, pk, off; } ref_wave;

typedef struct wave_stats {
    long tp, fn, fp;
    double sum[3], sumsq[3]; /* onset, peak, offset error (ms) over matched waves with both present */
    long n[3];
} wave_stats;

/* Compare predicted waves of one kind in one lead with the reference ones.
 * Predictions whose peak lies outside [lo, hi] (the lead's first and last
 * annotated samples) are not counted; matching is by peak within tol. */
static inline void match_waves(const ref_wave *ref, int nr, const ecgx_wave *pred, int np, int64_t lo,
                               int64_t hi, int64_t tol, double fs, wave_stats *st)
{
    char *used = calloc((size_t)np + 1, 1);
    for (int i = 0; i < nr; i++) {
        int best = -1;
        for (int k = 0; k < np; k++) {
            if (used[k] || pred[k].peak < 0) continue;
            int64_t dd = llabs(pred[k].peak - ref[i].pk);
            if (dd <= tol && (best < 0 || dd < llabs(pred[best].peak - ref[i].pk))) best = k;
        }
        if (best < 0) { st->fn++; continue; }
        used[best] = 1;
        st->tp++;
        const int64_t p3[3] = {pred[best].onset, pred[best].peak, pred[best].offset};
        const int64_t r3[3] = {ref[i].on, ref[i].pk, ref[i].off};
        for (int f = 0; f < 3; f++) {
            if (p3[f] < 0 || r3[f] < 0) continue;
            double e = 1000.0 * (double)(p3[f] - r3[f]) / fs;
            st->sum[f] += e;
            st->sumsq[f] += e * e;
            st->n[f]++;
        }
    }
    for (int k = 0; k < np; k++)
        if (!used[k] && pred[k].peak >= lo && pred[k].peak <= hi) st->fp++;
    free(used);
}

static inline double stat_mean(const wave_stats *s, int f) { return s->n[f] ? s->sum[f] / (double)s->n[f] : NAN; }
static inline double stat_sd(const wave_stats *s, int f)
{
    if (s->n[f] < 2) return NAN;
    double m = stat_mean(s, f);
    return sqrt(fmax(0, (s->sumsq[f] - (double)s->n[f] * m * m) / (double)(s->n[f] - 1)));
}
static inline double stat_se(const wave_stats *s) { return s->tp + s->fn ? 100.0 * (double)s->tp / (double)(s->tp + s->fn) : NAN; }
static inline double stat_ppv(const wave_stats *s) { return s->tp + s->fp ? 100.0 * (double)s->tp / (double)(s->tp + s->fp) : NAN; }

#endif
