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
