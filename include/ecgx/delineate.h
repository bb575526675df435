/* ecgx delineate — P, QRS and T onset, peak and offset for every beat, in
 * every lead and globally.
 *
 * Per lead, on a 0.5-40 Hz zero-phase band-passed copy: the QRS boundaries
 * are where the slope, walking outwards from the first and last steep
 * deflections of the complex, falls below a fraction of them; the P and T
 * peaks are the extrema of the detrended search windows before and after
 * the QRS, and their boundaries are the "knees" (points farthest from the
 * chord joining the peak to a point on the baseline). Global fiducials
 * combine the leads: the earliest QRS onset and latest offset after dropping
 * leads more than 40 ms from the median, the median of P and T fiducials
 * over the leads that show the wave. */
#ifndef ECGX_DELINEATE_H
#define ECGX_DELINEATE_H

#include "ecgx/fiducials.h"
#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Delineate the beats of `rec` at the given R peaks (from ecgx_qrs_detect;
 * pass peaks = NULL to detect them over all leads). *out has one global beat
 * per peak and per-lead beats for every lead; free with ecgx_fiducials_free. */
int ecgx_delineate(const ecgx_record *rec, const int64_t *peaks, int n_peaks, ecgx_fiducials **out);

#ifdef __cplusplus
}
#endif
#endif
