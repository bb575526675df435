/* ecgx_fiducials — the landmarks of each beat: P, QRS and T onset, peak and
 * offset, globally (across leads) and per lead. Produced by the delineator
 * (dsp) and, as ground truth, by the synthetic generator (synth); used by the
 * explanations to speak of waves and segments. Sample indices are at the
 * record's own rate; -1 marks a fiducial that is absent (no P wave in AF). */
#ifndef ECGX_FIDUCIALS_H
#define ECGX_FIDUCIALS_H

#include "ecgx/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ecgx_wave_kind { ECGX_WAVE_P, ECGX_WAVE_QRS, ECGX_WAVE_T, ECGX_N_WAVES } ecgx_wave_kind;

typedef struct ecgx_wave {
    int64_t onset, peak, offset; /* -1 when absent */
} ecgx_wave;

typedef struct ecgx_beat {
    int64_t r;                     /* the beat's QRS fiducial (R peak), always present */
    ecgx_wave wave[ECGX_N_WAVES];  /* P, QRS, T */
    char type;                     /* MIT beat symbol: 'N' normal, 'V' PVC, 'A' ... */
} ecgx_beat;

typedef struct ecgx_fiducials {
    int n_beats;
    ecgx_beat *beats;    /* global fiducials, one per beat, in time order */
    int n_leads;         /* 0 when no per-lead fiducials were made */
    ecgx_beat *per_lead; /* n_leads * n_beats, lead-major; beat b of lead l at [l*n_beats+b] */
} ecgx_fiducials;

/* Allocate room for n_beats global beats (and per-lead ones when n_leads > 0),
 * every fiducial set to -1. */
ecgx_fiducials *ecgx_fiducials_new(int n_beats, int n_leads);
void ecgx_fiducials_free(ecgx_fiducials *f);
const char *ecgx_wave_name(ecgx_wave_kind w); /* "P", "QRS", "T" */

#ifdef __cplusplus
}
#endif
#endif
