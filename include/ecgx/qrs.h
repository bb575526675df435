/* ecgx qrs — QRS complex detection and RR intervals.
 *
 * A Pan-Tompkins-style detector made robust for real recordings: a short
 * running median against pacemaker spikes, a 5-15 Hz zero-phase band-pass,
 * squared slope, a 150 ms moving integration, adaptive
 * signal/noise levels with a 200 ms refractory period, T-wave rejection by
 * slope, searchback for missed beats, and a final refinement of each beat to
 * the R peak. Several leads are fused by summing their normalised slope
 * energy, each lead weighted by how clearly its beats stand out of its noise,
 * so one noisy or flat lead does not hide the beats the others show. */
#ifndef ECGX_QRS_H
#define ECGX_QRS_H

#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Detect beats in a record: in one lead (lead >= 0) or fused over all
 * leads (lead = -1). *peaks (malloc'd, free with free()) receives the
 * R-peak sample indices in increasing order; *n_peaks may be 0 (flat or
 * beatless signal). Needs fs >= 50 Hz; non-finite samples are tolerated. */
int ecgx_qrs_detect(const ecgx_record *rec, int lead, int64_t **peaks, int *n_peaks);

/* The same on raw lead pointers (n_leads >= 1, each n samples). */
int ecgx_qrs_detect_leads(const float *const *leads, int n_leads, int64_t n, double fs, int64_t **peaks,
                          int *n_peaks);

/* RR intervals in ms between consecutive peaks: rr[i] = peaks[i+1]-peaks[i]
 * converted; rr must hold n_peaks-1 values. Returns the count (>= 0). */
int ecgx_rr_series(const int64_t *peaks, int n_peaks, double fs, double *rr_ms);

#ifdef __cplusplus
}
#endif
#endif
