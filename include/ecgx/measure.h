/* ecgx measure — the ECG measurements clinicians read, per record.
 *
 * Named "{Feature}_{Lead|Global}": HR, RR_mean, RR_SD, RMSSD, PR, QRS, QT,
 * QTcB (Bazett), QTcF (Fridericia), QTcFram (Framingham) in ms or bpm;
 * P_axis, QRS_axis, T_axis in degrees (net area in I and aVF); per lead
 * P, Q, R, S, T amplitudes and ST60, ST80 (level at J+60/J+80 ms) in the
 * record's unit (mV) relative to the PR-segment level; SokolowLyon
 * (S in V1 + the larger R of V5/V6) and Cornell (R in aVL + S in V3) in mV.
 * Amplitudes and axes are read on the median beat of each lead, intervals
 * are medians over beats. A measurement that cannot be made is NaN. */
#ifndef ECGX_MEASURE_H
#define ECGX_MEASURE_H

#include "ecgx/fiducials.h"
#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ECGX_FEATURE_NAME_MAX 48

typedef struct ecgx_features {
    int n;
    char (*names)[ECGX_FEATURE_NAME_MAX];
    double *values; /* NaN when not measurable */
} ecgx_features;

void ecgx_features_free(ecgx_features *f);
/* Value of a named feature; NaN when absent. */
double ecgx_features_get(const ecgx_features *f, const char *name);

/* Measurements from a record and its delineation. */
int ecgx_measure(const ecgx_record *rec, const ecgx_fiducials *fid, ecgx_features **out);

/* The whole pipeline: QRS detection over all leads, delineation, measurements.
 * fid_out (may be NULL) receives the fiducials. */
int ecgx_measure_record(const ecgx_record *rec, ecgx_features **out, ecgx_fiducials **fid_out);

/* Median beat of one lead: samples from R - 250 ms to R + 450 ms at the
 * record's rate, the sample-wise median over beats whose window fits in the
 * record, minus its PR-segment level when known. out must hold
 * ecgx_median_beat_length(fs) values; *r_index receives R's position. */
int64_t ecgx_median_beat_length(double fs);
int ecgx_median_beat(const ecgx_record *rec, const ecgx_fiducials *fid, int lead, float *out, int64_t *r_index);

#ifdef __cplusplus
}
#endif
#endif
