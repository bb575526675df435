/* ecgx synth — synthetic 12-lead ECGs with exact ground truth.
 *
 * A dynamical model in the style of ECGSYN (McSharry et al. 2003): the phase
 * of a limit cycle advances with the instantaneous heart rate (an RR
 * tachogram with LF/HF heart-rate variability), and each wave (P, Q, R, S, T)
 * is a Gaussian event along that phase. Unlike ECGSYN each event is a 3-D
 * heart dipole (x left, y inferior, z anterior), and the 12 leads are its
 * projections onto lead vectors, so the leads are physiologically consistent:
 * III = II - I, aVR = -(I+II)/2, aVL = I - II/2, aVF = II - I/2 hold exactly
 * (bit for bit in float) even with noise.
 *
 * Conditions (normal sinus rhythm, brady/tachycardia, AF, first-degree AV
 * block, LBBB, RBBB, ST elevation/depression, LVH voltage, PVCs) change the
 * rhythm and the dipoles. With the signal come the ground-truth fiducials
 * (P/QRS/T onset, peak, offset per beat, globally and per lead) and an
 * evidence mask: per lead and sample, 1 where the signal carries the
 * evidence of the condition. docs/synth.md defines all of it.
 *
 * Deterministic: the same options (seed included) give byte-identical
 * output; the generator has its own PRNG (xoshiro256**), never rand(). */
#ifndef ECGX_SYNTH_H
#define ECGX_SYNTH_H

#include "ecgx/fiducials.h"
#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ecgx_synth_condition {
    ECGX_SYNTH_NORMAL, /* normal sinus rhythm, 60-100 bpm */
    ECGX_SYNTH_BRADY,  /* sinus bradycardia, < 60 bpm */
    ECGX_SYNTH_TACHY,  /* sinus tachycardia, > 100 bpm */
    ECGX_SYNTH_AF,     /* atrial fibrillation: irregular RR, no P, f-waves */
    ECGX_SYNTH_AVB1,   /* first-degree AV block: PR > 200 ms */
    ECGX_SYNTH_LBBB,   /* left bundle branch block */
    ECGX_SYNTH_RBBB,   /* right bundle branch block */
    ECGX_SYNTH_STE,    /* ST elevation in chosen leads */
    ECGX_SYNTH_STD,    /* ST depression in chosen leads */
    ECGX_SYNTH_LVH,    /* left ventricular hypertrophy (voltage criteria) */
    ECGX_SYNTH_PVC,    /* premature ventricular complexes */
    ECGX_SYNTH_N_CONDITIONS
} ecgx_synth_condition;

/* Pacing modes: atrial (AAI: spike, paced P, conducted QRS), ventricular
 * (VVI: spike, wide paced QRS, no conducted P), dual chamber (DDD: atrial
 * spike and P, AV delay, ventricular spike and paced QRS). */
enum { ECGX_PACE_NONE, ECGX_PACE_ATRIAL, ECGX_PACE_VENTRICULAR, ECGX_PACE_DUAL };
/* PVC patterns: isolated (pvc_fraction), bigeminy (every 2nd beat),
 * trigeminy (every 3rd), runs (couplets, triplets and runs of 4-8). */
enum { ECGX_PVC_ISOLATED, ECGX_PVC_BIGEMINY, ECGX_PVC_TRIGEMINY, ECGX_PVC_RUNS };

#define ECGX_SYNTH_FLAG(c) (1u << (unsigned)(c))
#define ECGX_LEAD_FLAG(l) (1u << (unsigned)(l))

/* Parameters. A numeric field left at 0 means "choose": the condition's
 * canonical value, or, when `vary` is set, a value drawn (from the seed) in
 * the condition's documented physiological range. */
typedef struct ecgx_synth_options {
    double fs;             /* sampling rate, Hz (default 500) */
    double duration;       /* seconds (default 10) */
    uint64_t seed;
    unsigned conditions;   /* OR of ECGX_SYNTH_FLAG(...); 0 or NORMAL alone = normal */
    int vary;              /* 1: draw unset parameters and morphology within ranges */

    /* rhythm */
    double hr;             /* mean heart rate, bpm (ventricular rate in AF) */
    double hr_std;         /* sinus HRV: SD of the heart rate, bpm (< 0: none; 0: default 2) */
    double lf_hf;          /* LF/HF power ratio of the tachogram (default 0.5) */
    double resp_rate;      /* respiration (RSA peak and baseline wander), Hz (default 0.25) */
    double pr;             /* PR interval (P onset to QRS onset) at the mean rate, s */

    /* morphology */
    double amplitude;      /* scale of the cardiac signal (default 1) */
    double axis_deg;       /* rotation of all dipoles in the frontal plane, degrees
                              (0: none; with vary, 0 is drawn in -25..+25) */
    double qrs_bbb;        /* QRS duration for LBBB/RBBB, s (default 0.15 / 0.14) */
    double st_level;       /* |ST deviation| at the J point plateau, mV (STE 0.2, STD 0.15) */
    unsigned ste_leads;    /* OR of ECGX_LEAD_FLAG(ECGX_LEAD_*); 0 = V2-V4 */
    unsigned std_leads;    /* 0 = V4-V6 */
    double lvh_sokolow;    /* LVH: SV1 + max(RV5, RV6) in mV (default 4.2) */
    double pvc_fraction;   /* PVC: fraction of beats (default 0.15) */
    double pvc_coupling;   /* PVC: coupling interval / sinus RR (default 0.6) */
    double af_rr_cv;       /* AF: coefficient of variation of RR (default 0.2) */
    double af_f_freq;      /* AF: f-wave frequency, Hz (default 6) */
    double af_f_amp;       /* AF: f-wave dipole amplitude, mV (default 0.08) */

    /* ectopy beyond isolated PVCs (pvc condition; docs/synth.md "Ectopy") */
    int pvc_pattern;       /* ECGX_PVC_* (0: isolated, at pvc_fraction) */
    double aberrant_fraction; /* fraction of sinus beats conducted with aberration
                              (premature, RBBB-like wide QRS; 0: none) */
    double morph_change_at; /* s: from here on the QRS axis turns by morph_change_deg
                              and its amplitude by morph_change_gain (0: never) */
    double morph_change_deg;
    double morph_change_gain; /* 0: 1 */

    /* pacing (docs/synth.md "Pacing"): spikes are rectangular pulses
     * with a charge-balancing tail, smeared by the front end's low-pass */
    int pace_mode;         /* ECGX_PACE_* (0: none) */
    double pace_spike_width; /* s, 1e-4..2e-3 (default 5e-4; vary: 0.1-2 ms) */
    double pace_spike_amp; /* spike dipole before the front end, mV, 2..20 (default 5; vary 2-20) */
    double pace_av_delay;  /* dual chamber: atrial to ventricular spike, s (default 0.16) */
    double pace_fusion;    /* fraction of ventricular-paced beats that are fusion beats */
    double pace_pseudo;    /* fraction that are pseudo-fusion (spike inside a conducted QRS) */
    double pace_fail;      /* fraction of spikes that fail to capture (no beat follows) */
    double frontend_hz;    /* front end's low-pass (-3 dB of a Gaussian), Hz (default 0.4 fs) */

    /* artefacts (docs/synth.md "Noise"): electrode motion, lead-off, saturation */
    double em_rms;         /* electrode-motion artefact, mV RMS per lead (0: none) */
    int snr_nst;           /* 1: SNR as the MIT-BIH noise stress test defines it (signal
                              power = (QRS peak-to-peak)^2 / 8 per lead) */
    double leadoff_s;      /* total seconds of lead-off segments (flat line) per record */
    double saturation_s;   /* total seconds of amplifier saturation (pinned at a rail) */

    /* noise: each source is off at 0 and independent of the others */
    double bw_amp;         /* baseline wander, mV peak per lead (< 0.5 Hz) */
    double emg_rms;        /* muscle noise (20-150 Hz band-limited), mV RMS */
    double pl_amp;         /* powerline sinusoid amplitude, mV */
    double pl_freq;        /* powerline frequency, Hz (default 50) */
    int use_snr;           /* 1: scale the noise so the record's SNR is snr_db */
    double snr_db;         /* signal power / noise power over all leads, dB */
} ecgx_synth_options;

/* The defaults: 500 Hz, 10 s, normal sinus rhythm, no noise, seed 1. */
ecgx_synth_options ecgx_synth_options_default(void);

/* Fill every "choose" field of `in` as ecgx_synth_generate would, and check
 * the combination (e.g. "af" with "avb1" is refused: AF has no P wave).
 * Generating from the resolved options gives the same record. */
int ecgx_synth_resolve(const ecgx_synth_options *in, ecgx_synth_options *out);

/* Generate one record (12 standard leads, mV, labels = condition names), its
 * ground-truth fiducials (global and per lead) and the evidence mask
 * (12 * n_samples, lead-major, 1 = evidence of any of the conditions). fid
 * and mask may be NULL when not wanted. The caller frees what it receives
 * (ecgx_record_free, ecgx_fiducials_free, free). */
int ecgx_synth_generate(const ecgx_synth_options *opt, ecgx_record **rec, ecgx_fiducials **fid,
                        uint8_t **mask);

/* The evidence of the conditions in `conditions` (a subset of the record's
 * own), written into mask (12 * n_samples, cleared first): the same
 * definition ecgx_synth_generate uses; opt must be resolved (ste/std leads). */
int ecgx_synth_evidence(const ecgx_synth_options *opt, const ecgx_fiducials *fid, int64_t n_samples,
                        unsigned conditions, uint8_t *mask);

/* Condition name <-> enum: "normal", "brady", "tachy", "af", "avb1", "lbbb",
 * "rbbb", "ste", "std", "lvh", "pvc" (case-insensitive). -1 when unknown. */
const char *ecgx_synth_condition_name(int cond);
int ecgx_synth_condition_from_name(const char *name);
/* Upper-case class code for label tables: NORM, BRADY, TACHY, AF, AVB1, LBBB,
 * RBBB, STE, STD, LVH, PVC. */
const char *ecgx_synth_condition_code(int cond);
/* Parse "lbbb,ste" into a condition mask; "normal" gives NORMAL's flag. */
int ecgx_synth_conditions_parse(const char *list, unsigned *out);

/* Pacemaker spikes of a record, ground truth: where each pulse starts (the
 * sample nearest its leading edge), the chamber ('A' or 'V'), whether it
 * captured (a beat follows), and the largest |sampled spike| over the 12 leads
 * (mV, after the front end: what a detector can see). */
typedef struct ecgx_synth_spike {
    int64_t sample;
    char chamber, captured;
    double peak_mv;
} ecgx_synth_spike;

/* The spikes ecgx_synth_generate(opt) puts into its record (none without
 * pacing): *spikes malloc'd (free()), in time order. */
int ecgx_synth_spikes(const ecgx_synth_options *opt, ecgx_synth_spike **spikes, int *n_spikes);

/* The lead-off and saturation segments ecgx_synth_generate(opt) writes:
 * [start, end) samples in time order and, per segment, the leads it hits
 * (lead_mask[i], bit = ECGX_LEAD_*; 0xFFF: every lead, nothing readable).
 * The three arrays are malloc'd (free() each); *n = 0 and NULLs when none. */
int ecgx_synth_artefacts(const ecgx_synth_options *opt, int64_t **start, int64_t **end, unsigned **lead_mask,
                         int *n);

/* ---- Files (through the io module; every file written atomically) ---- */

/* Generate one record and write it with its ground truth:
 *   OUT.hea, OUT.dat   WFDB format 16 in mV; "#Dx:" names the conditions
 *   OUT.fid            global fiducials as a WFDB annotation file in LUDB's
 *                      style: "(" onset, peak ("p" P, "N" or "V" QRS, "t" T),
 *                      ")" offset
 *   OUT.i ... OUT.v6   the same per lead (LUDB's names), when per_lead is set
 *   OUT.truth.json     conditions, resolved parameters, seed, per-beat
 *                      fiducials (global and per lead) and the evidence of
 *                      each condition as per-lead [start, end) sample intervals
 * rec/fid may be NULL; otherwise they receive what was written. */
int ecgx_synth_write(const char *out, const ecgx_synth_options *opt, int per_lead, ecgx_record **rec,
                     ecgx_fiducials **fid);

#define ECGX_SYNTH_MAX_CLASSES 64

typedef struct ecgx_synth_dataset_options {
    int n;                          /* number of records */
    int n_classes;                  /* records cycle through the classes: balanced */
    unsigned classes[ECGX_SYNTH_MAX_CLASSES]; /* condition masks, e.g. AVB1|STE */
    ecgx_synth_options base;        /* fs, duration, noise, vary...; its seed seeds the set */
    int per_lead;                   /* also the per-lead annotation files */
    int quiet;                      /* no progress on stderr */
} ecgx_synth_dataset_options;

/* Write a data set into the folder `dir` (created if absent): records
 * synth_00000 ... each with its ground truth as ecgx_synth_write, and
 * labels.csv: "record,split,filename,<CODE>..." with one 0/1 column per
 * condition used (NORM, AVB1, ...); split train/val/test 80/10/10,
 * stratified by class and fixed by the seed; filename relative to dir,
 * without extension. Record i's seed is derived from (base seed, i). */
int ecgx_synth_write_dataset(const char *dir, const ecgx_synth_dataset_options *d);

/* The seed record i of a data set gets (53 bits: exact in JSON). */
uint64_t ecgx_synth_dataset_seed(uint64_t base, int i);

#ifdef __cplusplus
}
#endif
#endif
