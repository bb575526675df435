/* ecgx_record_check — the one input check every command that takes a record
 * runs right after reading it, so that a record a method cannot use is
 * refused with a one-line reason instead of giving a silent wrong answer.
 *
 * What it measures, per lead: samples that are not numbers (NaN, infinite),
 * whether the lead is flat (no finite sample, or a peak-to-peak below 10 uV
 * in mV units; in other units below 1/1000 of the widest lead's), and the
 * unit. What it refuses, given the method's requirements:
 *   - a record without a single finite sample;
 *   - more than 1 % non-finite samples in a lead the method reads (a few
 *     are interpolated by the preprocessing; more would be made-up signal);
 *   - a standard lead the method reads that is absent, or flat (a 12-lead
 *     model fed 2 MIT-BIH leads, or a disconnected V3, diagnoses zeros);
 *   - a unit other than mV where amplitudes are measured (PTB-XL-filtered
 *     records are z-scored: a Sokolow-Lyon index in "mV" would be invented);
 *   - a record longer than the method takes at once, with what to do instead.
 * What it only says (report.warning): flat leads the method does not read,
 * a few non-finite samples, a unit other than mV where amplitudes are only
 * drawn. */
#ifndef ECGX_RECORD_CHECK_H
#define ECGX_RECORD_CHECK_H

#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest share of non-finite samples accepted in a lead a method reads. */
#define ECGX_CHECK_MAX_INVALID_FRACTION 0.01
/* Peak-to-peak below which a lead in mV is flat (an ECG lead's QRS is
 * hundreds of uV, its noise tens). */
#define ECGX_CHECK_FLAT_MV 0.01

typedef struct ecgx_record_requirements {
    unsigned leads;        /* standard leads (bits 1 << ECGX_LEAD_*) the method reads: each must be present,
                            * finite and not flat; 0: none by name (the method reads whatever leads there are) */
    int n_leads;           /* a method reading leads as they are (a model of other than 12 channels): exactly
                            * this many; 0: any number */
    int need_mv;           /* amplitudes are measured in mV: every lead read must be in mV */
    double max_seconds;    /* the longest record the method takes at once; 0: any */
    const char *too_long;  /* what to do instead, said with that refusal (may be NULL) */
} ecgx_record_requirements;

typedef struct ecgx_record_check_report {
    int n_leads;
    int64_t n_samples;
    int64_t n_invalid;                      /* non-finite samples, all leads */
    int64_t invalid[ECGX_MAX_LEADS];        /* per lead */
    int n_flat;
    unsigned char flat[ECGX_MAX_LEADS];     /* 1: the lead is flat (or has no finite sample) */
    int n_not_mv;                           /* leads whose unit is given and is not mV */
    char unit[ECGX_NAME_MAX];               /* the first such unit ("" when none) */
    unsigned missing;                       /* required standard leads absent (bits 1 << ECGX_LEAD_*) */
    char warning[512];                      /* what was accepted but should be said; "" when nothing */
} ecgx_record_check_report;

/* The requirements of a model: the 12 standard leads for a 12-channel
 * model, else exactly its channel count; no unit (the model z-scores each
 * lead); no length limit. */
ecgx_record_requirements ecgx_record_requirements_model(int in_channels);

/* Measure `rec` into *report (may be NULL) and check it against `req`
 * (NULL: measure only, refuse nothing). Returns 0 when the record may be
 * used, or a negative ecgx_status with ecgx_last_error naming the record and
 * what is wrong ("101: the model reads the 12 standard leads; I, III, aVR,
 * ... are absent (the record has MLII, V1)"). */
int ecgx_record_check(const ecgx_record *rec, const ecgx_record_requirements *req,
                      ecgx_record_check_report *report);

/* A new record holding [start_s, start_s + duration_s) of rec (duration <= 0:
 * to the end); NULL with ecgx_last_error set when the range holds no sample. */
ecgx_record *ecgx_record_slice(const ecgx_record *rec, double start_s, double duration_s);

#ifdef __cplusplus
}
#endif
#endif
