/* ecgx qrs — QRS complex detection and RR intervals.
 *
 * A Pan-Tompkins-style detector made robust for real recordings: a short
 * running median against pacemaker spikes, a 5-15 Hz zero-phase band-pass,
 * squared slope, a 150 ms moving integration, adaptive
 * signal/noise levels with a 200 ms refractory period, T-wave rejection by
 * slope, searchback for missed beats, and a final refinement of each beat to
 * the R peak. Several leads are fused by summing their normalised slope
 * energy, each lead weighted by how clearly its beats stand out of its noise,
 * so one noisy or flat lead does not hide the beats the others show.
 * Pacemaker spikes are found by shape (narrower than the running median's
 * 12 ms and standing out of the lead's noise) and blanked; flat or saturated
 * stretches of a lead are left out of the fusion, and where no lead is
 * readable the detector reports the stretch instead of inventing beats. */
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

/* Everything the detector finds: beats, the pacemaker spikes it saw (and
 * blanked before looking for QRS complexes), and the stretches it could not
 * read. Arrays are malloc'd inside; free with ecgx_qrs_result_free. */
typedef struct ecgx_qrs_result {
    int n_beats;
    int64_t *r;          /* R-peak samples, increasing */
    char *pace;          /* per beat: 0 unpaced; 'A' an atrial spike 180-450 ms before R, 'V' a
                            ventricular one from 180 ms before to 60 ms after R, 'D' both */
    int n_spikes;
    int64_t *spikes;     /* pacemaker spikes (sample of the spike's peak), increasing; spikes
                            are looked for at fs >= 250 Hz only (below, the front end smears a
                            spike as wide as an R wave and shape cannot tell them apart) */
    int n_unreadable;
    int64_t *bad_start, *bad_end; /* [start, end): no lead readable (lead-off flat line or
                                     saturation: 1 s or more on at most 3 values within 20 uV); no beats there */
} ecgx_qrs_result;

/* The full analysis, on one lead (lead >= 0) or all fused (-1). */
int ecgx_qrs_analyze(const ecgx_record *rec, int lead, ecgx_qrs_result **out);
int ecgx_qrs_analyze_leads(const float *const *leads, int n_leads, int64_t n, double fs, ecgx_qrs_result **out);
void ecgx_qrs_result_free(ecgx_qrs_result *r);

/* RR intervals in ms between consecutive peaks: rr[i] = peaks[i+1]-peaks[i]
 * converted; rr must hold n_peaks-1 values. Returns the count (>= 0). */
int ecgx_rr_series(const int64_t *peaks, int n_peaks, double fs, double *rr_ms);

#ifdef __cplusplus
}
#endif
#endif
