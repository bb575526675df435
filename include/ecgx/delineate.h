/* ecgx delineate — P, QRS and T onset, peak and offset for every beat, in
 * every lead and globally.
 *
 * On a 0.5-40 Hz zero-phase band-passed copy of each lead: the QRS
 * boundaries come from the spatial velocity (slope summed over leads),
 * walking outwards from the first and last steep deflections until the
 * slope falls below a fraction of them; P and T peaks are the extrema of
 * detrended search windows before and after the QRS, their boundaries the
 * "knees" (points farthest from the chord joining the peak to a baseline
 * point), except the T onset: the mean of that knee, the midpoint between
 * QRS offset and T peak, and where the T wave's rising limb flattens below
 * 0.3 mV/s. A lead keeps its P only where the P-R distance is consistent
 * from beat to beat (not in atrial fibrillation); the global P and T are
 * medians over the leads that show them, each lead's fiducials are kept
 * within 20 ms of the global ones; T onsets are pooled over the record's
 * beats: the global one at the record's median place relative to the
 * midpoint of QRS offset and T peak, each lead's at the global one plus the
 * lead's median deviation from it (at most 40 ms).
 * docs/dsp.md gives the details and the measured accuracy. */
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
