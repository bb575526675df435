/* Internals of the synthetic ECG generator, shared by its files:
 * the model (lead vectors, wave templates), the beat schedule, rendering,
 * ground truth and noise. Coordinates of every dipole: x to the patient's
 * left, y inferior (feet), z anterior (chest); millivolts. Times in seconds
 * relative to the beat's reference instant (the centre of its QRS). */
#ifndef ECGX_SYNTH_INTERNAL_H
#define ECGX_SYNTH_INTERNAL_H

#include "ecgx/synth.h"
#include "synth/prng.h"

/* The 8 independent leads the signal is computed in; the other 4 limb leads
 * follow from I and II by Einthoven's and Goldberger's equations. */
#define SYNTH_N_INDEP 8
extern const int synth_indep_lead[SYNTH_N_INDEP]; /* I, II, V1..V6 as ECGX_LEAD_* */

/* A wave's envelope starts/ends where it reaches this fraction of its peak. */
#define SYNTH_EDGE_FRACTION 0.05
/* A per-lead wave whose peak is below this (mV) is marked absent in that lead. */
#define SYNTH_LEAD_MIN_MV 0.01

#define SYNTH_MAX_EVENTS 12

typedef struct synth_event {
    int wave;        /* ECGX_WAVE_P, _QRS, _T */
    double t, sigma; /* centre and width of the Gaussian, s */
    double d[3];     /* dipole at the peak, mV */
} synth_event;

typedef struct synth_template {
    int n;
    synth_event ev[SYNTH_MAX_EVENTS];
} synth_template;

typedef struct synth_model {
    ecgx_synth_options o;                 /* resolved */
    double lead[ECGX_N_STD_LEADS][3];     /* lead vectors */
    synth_template qrs_n, t_n, p;         /* sinus beat: QRS, T at RR = 1 s, P about its centre */
    synth_template qrs_v, t_v;            /* PVC (unifocal) */
    synth_template qrs_p, t_p;            /* ventricular paced beat (right-ventricular apex) */
    synth_template qrs_a;                 /* aberrantly conducted beat (RBBB-like) */
    double qrs_on_p;                      /* QRS onset of the paced template, s (< 0) */
    double spike_dir[2][3];               /* atrial, ventricular pacing spike dipole (unit) */
    double fe_sigma;                      /* front end: SD of its Gaussian impulse response, s */
    double qrs_on_n;                      /* QRS onset of the sinus template, s (< 0) */
    double p_on;                          /* P onset relative to the P template's centre, s (< 0) */
    double st_sec[3];                     /* secondary ST dipole (BBB), mV; plateau-shaped */
    double st_lead[SYNTH_N_INDEP];        /* direct ST deviation per independent lead, mV */
    unsigned st_leads_all;                /* leads whose ST deviates by request (incl. limb leads) */
    double f_dir[3];                      /* AF f-wave dipole direction (unit) */
} synth_model;

typedef struct synth_beat {
    double t;        /* reference instant (QRS centre), s from record start */
    double rr;       /* interval from the previous beat, s */
    char type;       /* 'N', 'V' (PVC), '/' (paced), 'f' (fusion), 'a' (aberrant), 'X' (no beat:
                        a pacing spike that failed to capture) */
    signed char p;   /* P wave: -1 as the rhythm implies, 0 none, 1 present */
    double pr;       /* P onset to QRS onset, s (0: the record's PR) */
    double fusion;   /* fusion beats: share of the paced activation, 0..1 */
    double spike[2]; /* atrial, ventricular pacing spike start relative to t, s (NAN: none) */
    char captured[2];
    int morph;       /* 1: after the sudden morphology change */
    int n_ev;
    synth_event ev[SYNTH_MAX_EVENTS]; /* relative to t */
    /* ground truth in samples (may lie outside the record); -1 when absent */
    int64_t on[ECGX_N_WAVES], peak[ECGX_N_WAVES], off[ECGX_N_WAVES];
} synth_beat;

/* model.c */
int synth_model_build(const ecgx_synth_options *resolved, synth_model *m);
void synth_template_edges(const synth_template *tp, int wave, const double *dir, double *on, double *off,
                          double *peak);

/* rhythm.c: the beat schedule over [-1.5 s, duration + 1 s]. */
int synth_rhythm(const synth_model *m, synth_beat **beats, int *n_beats);
/* Fill a beat's events from its type and interval. */
void synth_beat_events(const synth_model *m, synth_beat *b, double rr_mean);

/* ectopy.c: PVC patterns (bigeminy, trigeminy, runs; may grow the array)
 * and aberrantly conducted premature beats. */
int synth_pvc_pattern(const synth_model *m, synth_beat **beats, int *n_beats);
void synth_aberrant(const synth_model *m, synth_beat *b, int n);

/* pacing.c */
void synth_pacing_model(synth_model *m);
int synth_pacing_schedule(const synth_model *m, synth_beat *b, int n);
/* The sampled spike of beat b's chamber ch (0 atrial, 1 ventricular) in a
 * lead with vector lv, added to x[0..n) (n samples at fs). */
void synth_spike_render(const synth_model *m, const synth_beat *b, int ch, const double *lv, int64_t n, double *x);

/* truth.c */
int synth_beat_fiducials(const synth_model *m, synth_beat *b, double fs);
int synth_fiducials_export(const synth_model *m, const synth_beat *beats, int n_beats, int64_t n_samples,
                           double fs, ecgx_fiducials **out);

/* noise.c: add the enabled noise sources to noise[SYNTH_N_INDEP][n]. */
int synth_noise(const synth_model *m, int64_t n, double *noise);

/* artefact.c: electrode motion into noise[SYNTH_N_INDEP][n]; lead-off and
 * saturation segments written into the finished record. */
int synth_electrode_motion(const synth_model *m, int64_t n, double *noise);
int synth_apply_artefacts(const ecgx_synth_options *o, ecgx_record *rec);

/* afib.c: the f-wave dipole source over the record, added to dip[3][n]. */
void synth_fwaves(const synth_model *m, int64_t n, double *dip);

static inline double synth_dot3(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

#endif
