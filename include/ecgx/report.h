/* ecgx report — one self-contained HTML file a clinician can open anywhere:
 * the record, the model's predictions, the ECG with the explanation overlaid
 * for each positive class, relevance per lead and per segment in words, the
 * measurements, the explanation method and its faithfulness, and a plain
 * statement that ecgx is a research tool, not a diagnosis.
 *
 * No network: CSS is inline and figures are embedded (PNG as base64, or SVG
 * inline). The caller owns every input; nothing is kept after the call. */
#ifndef ECGX_REPORT_H
#define ECGX_REPORT_H

#include "ecgx/measure.h"
#include "ecgx/record.h"
#include "ecgx/render.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ecgx_report_prediction {
    const char *label;        /* class code, e.g. "AFIB" */
    const char *description;  /* plain words, e.g. "atrial fibrillation"; NULL for none */
    double probability;       /* model output in [0, 1] */
    double threshold;         /* decision threshold (NaN: not shown) */
    int positive;             /* 1 when the model calls the class present */
} ecgx_report_prediction;

/* A measured criterion that bears on a class, e.g. "QRS duration 148 ms,
 * >= 120 ms: complete bundle branch block range: met". */
typedef struct ecgx_report_criterion {
    char name[64];     /* e.g. "QRS duration", "Sokolow-Lyon (SV1 + max RV5/RV6)" */
    double value;      /* NaN: not measurable */
    char unit[8];      /* "ms", "mV", "deg", "leads" */
    char rule[112];    /* the cut-off and what it means */
    int met;           /* 1 met, 0 not met, -1 not measurable */
    char detail[112];  /* e.g. the leads that meet it; "" for none */
} ecgx_report_criterion;

/* The measured criteria clinicians read for a class (by its PTB-XL
 * superclass code: CD, HYP, MI, STTC, NORM; also LBBB, RBBB, AFIB, 1AVB..
 * read as their superclass), from the measurements (ecgx_measure, mV
 * amplitudes): CD QRS duration, PR interval, QRS axis; HYP Sokolow-Lyon,
 * Cornell (sex-specific cut-off), R in aVL; MI pathological Q waves and ST
 * elevation by lead (after a "confounder" row when QRS >= 120 ms: Q-wave and
 * ST-T criteria do not apply in bundle branch block); STTC ST
 * elevation/depression, T inversion, QTc (same confounder row); NORM
 * rate, PR, QRS and QTc in their normal ranges. Writes at most max; returns
 * the number written (0 for a class it has no criteria for). */
int ecgx_report_criteria(const ecgx_features *f, const char *class_code, ecgx_sex sex, ecgx_report_criterion *out,
                         int max);

/* The explanation of one class (normally each positive class). */
typedef struct ecgx_report_explanation {
    const char *label;               /* the class explained (matches a prediction) */
    const float *relevance;          /* n_leads x n_samples of the record, lead-major; NULL: no overlay */
    const double *lead_relevance;    /* record->n_leads values (NULL: none) */
    int n_segments;                  /* per-segment relevance (P, PR, QRS, ST, T, TP) */
    const char *const *segment_names;
    const double *segment_relevance;
    int n_sentences;                 /* clinical sentences, e.g. "Relevance concentrates on ST in V2-V4." */
    const char *const *sentences;
    /* optional median beats (record->n_leads x median_len) and their relevance */
    const float *median_beats, *median_relevance;
    int median_len;
    double median_r_offset_s;
    /* the output explained: it must be the one the predictions table shows */
    const char *explained_output;    /* e.g. "the window 2.50-5.00 s, which gave the maximum over 7 windows"; NULL: not said */
    double explained_probability;    /* the probability of that output (shown beside the displayed one) */
    const char *baseline;            /* e.g. "a normal ECG (scale 0.59), scored CD 0.081, ..."; NULL: no baseline */
    int baseline_scores_class;       /* 1: the baseline already scores the class at or above its threshold */
    const char *relevance_unit;      /* unit of `relevance` for the colour bar, e.g. "% of total per 10 ms" */
    const char *lead_unit;           /* unit of lead/segment relevance, e.g. "% of positive relevance" */
    /* faithfulness of this explanation: deletion AUC and the random-order reference */
    int has_deletion;
    double deletion_auc, deletion_auc_random;
    /* measured criteria behind the call (ecgx_report_criteria) */
    int n_criteria;
    const ecgx_report_criterion *criteria;
} ecgx_report_explanation;

typedef struct ecgx_report_measurement {
    const char *name;   /* e.g. "QTc (Bazett)" */
    double value;       /* NaN: shown as "not measurable" */
    const char *unit;   /* e.g. "ms"; NULL for none */
} ecgx_report_measurement;

typedef struct ecgx_report {
    const ecgx_record *record;
    const char *title;                     /* NULL: "ECG report: <record name>" */
    const char *model_name;                /* NULL: not shown */
    int n_predictions;
    const ecgx_report_prediction *predictions;
    int n_explanations;
    const ecgx_report_explanation *explanations;
    int n_measurements;
    const ecgx_report_measurement *measurements;
    const char *method;                    /* explanation method, e.g. "Integrated gradients (64 steps)" */
    const char *faithfulness_name;         /* e.g. "deletion AUC (lower is better)" */
    double faithfulness;                   /* NaN: not computed */
    ecgx_ecg_header header;                /* rate/intervals for the ECG header (NaN: not shown) */
    double dpi;                            /* embedded figures' resolution; 0: 150 */
    int inline_svg;                        /* 1: figures as inline SVG instead of PNG */
} ecgx_report;

/* The HTML document as a malloc'd, NUL-terminated string. */
int ecgx_report_html(const ecgx_report *rep, char **html, size_t *len);
/* Build and write atomically. */
int ecgx_report_write(const ecgx_report *rep, const char *path);

#ifdef __cplusplus
}
#endif
#endif
