/* Internal: the pieces shared by the delineation files (delineate.c for QRS
 * and P and the fusion across leads, delineate_t.c for the T wave). */
#ifndef ECGX_DSP_DELINEATE_UTIL_H
#define ECGX_DSP_DELINEATE_UTIL_H

#include "ecgx/fiducials.h"

#include <math.h>
#include <stdint.h>

typedef struct lead_ctx {
    const float *x; /* band-passed signal */
    const float *d; /* its central difference */
    int64_t n;
    double fs;
} lead_ctx;

static inline int64_t dl_clampi(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* t milliseconds in samples */
static inline int64_t dl_ms(double fs, double t) { return (int64_t)llround(t * fs / 1000.0); }

/* The point of [a, b] farthest from the chord joining (a, x[a]) and
 * (b, x[b]) on the side away from the wave: the knee where a wave with
 * polarity `sign` leaves (or reaches) the baseline. */
static inline int64_t dl_knee(const float *x, int64_t a, int64_t b, double sign)
{
    if (b - a < 2) return a;
    double best = -INFINITY;
    int64_t at = a;
    double slope = (x[b] - x[a]) / (double)(b - a);
    for (int64_t i = a + 1; i < b; i++) {
        double line = x[a] + slope * (double)(i - a);
        double dist = sign * (line - x[i]);
        if (dist > best) { best = dist; at = i; }
    }
    return at;
}

/* Extremum of x in [a, b] after removing the line through the window's ends;
 * returns the index and sets *amp to the detrended value there. */
static inline int64_t dl_detrended_extremum(const float *x, int64_t a, int64_t b, double *amp)
{
    double slope = (x[b] - x[a]) / (double)(b - a);
    int64_t at = a;
    double best = 0;
    for (int64_t i = a; i <= b; i++) {
        double v = x[i] - (x[a] + slope * (double)(i - a));
        if (fabs(v) > fabs(best)) { best = v; at = i; }
    }
    *amp = best;
    return at;
}

/* The shape of one lead's ST-T in one beat (NAN where it cannot be
 * measured), behind two onset rules of delineate_t.c: `rising` is the
 * fraction of the samples from the QRS offset to the T peak where the signal
 * moves towards the peak; `j_ratio` is the level at the QRS offset (J point)
 * over the T amplitude, both from the PR-segment level and signed towards
 * the T wave, clipped to [-1, 1]. */
typedef struct dl_t_shape {
    float rising, j_ratio;
} dl_t_shape;

/* T wave of one lead (delineate_t.c): qon/qoff are the QRS onset and
 * offset, r the R peak, rr the next RR interval, hi the last sample the beat
 * may use. Fills *shape when the T wave is found (else leaves it). */
void dl_t_lead(const lead_ctx *c, int64_t qon, int64_t qoff, int64_t r, int64_t rr, int64_t hi, ecgx_wave *w,
               dl_t_shape *shape);

/* The global T onset of every beat becomes the midpoint between its QRS
 * offset and T peak plus the record's median of (onset - that midpoint)
 * over its beats (delineate_t.c). */
void dl_t_onset_pool_global(ecgx_beat *global, int n_beats);

/* After the global T of every beat is known (the median over leads), each
 * lead's T onset becomes the global onset plus that lead's typical
 * deviation from it over the record's beats, plus `shift` samples
 * (delineate_t.c). */
void dl_t_onset_pool_lead(ecgx_beat *lead_beats, const ecgx_beat *global, int n_beats, double fs, int64_t shift);

/* The onset shifts (samples) that the ST-T shape calls for: lead_shift[l]
 * for each of the n_leads leads (the record's shift included) and the
 * record's own, from shape[l * n_beats + b] (delineate_t.c). */
void dl_t_onset_shape_shifts(const dl_t_shape *shape, int n_leads, int n_beats, double fs, int64_t *lead_shift,
                             int64_t *record_shift);

/* Moves every beat's global T onset by shift samples where it stays between
 * the QRS offset and the T peak (delineate_t.c). */
void dl_t_onset_shift_global(ecgx_beat *global, int n_beats, int64_t shift);

#endif
