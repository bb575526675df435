/* Internal pieces of the QRS detector (src/dsp/qrs.c): pacemaker spikes
 * (qrs_pace.c) and unreadable stretches (qrs_quality.c). */
#ifndef ECGX_DSP_QRS_INTERNAL_H
#define ECGX_DSP_QRS_INTERNAL_H

#include <stdint.h>

/* Pacemaker spike candidates of one lead: x the lead, med its running median
 * of half-width h samples (h >= 1). Appends sample indices to *sp (growing
 * *cap), *nsp counts them. Returns 0 or ECGX_ERR_NOMEM. */
int qrs_lead_spikes(const float *x, const float *med, int64_t n, double fs, int h, int64_t **sp, int *nsp, int *cap);

/* Sort and merge spike candidates from all leads (within tol samples: one
 * spike), keeping those seen in at least min_leads leads. Returns the new
 * count. */
int qrs_merge_spikes(int64_t *sp, int nsp, int64_t tol, int min_leads);

/* Flat stretches of a lead (lead-off, saturation): runs of at least 300 ms
 * whose range stays within 10 uV, as [a, z) pairs appended to *iv (2 values
 * each, growing *cap); *niv counts pairs. */
int qrs_flat_runs(const float *x, int64_t n, double fs, int64_t **iv, int *niv, int *cap);

#endif
