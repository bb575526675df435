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
#include "ecgx/trees.h"
#include "ecgx/clusters.h"

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


/* ---- the measurement model beside the CNN (trees_section.c) ---- */

#define ECGX_REPORT_TREE_REASONS 5

/* One class of a trees file on this record, beside the CNN's call. */
typedef struct ecgx_report_tree_class {
    char label[32];
    double probability;         /* the trees' probability */
    double threshold;           /* the trees' stored threshold (Youden on validation) */
    double margin, base;        /* log-odds: margin = base + the sum of the SHAP values */
    int positive;               /* the trees' call: probability >= threshold */
    int has_cnn;                /* 1: the CNN has a class of the same name */
    double cnn_probability, cnn_threshold;
    int cnn_positive;
    int disagree;               /* has_cnn and the two calls differ */
    int n_reasons;              /* the features with the largest |SHAP|, largest first */
    char reason[ECGX_REPORT_TREE_REASONS][192]; /* "QRS duration 172 ms pushes CD up by 2.1 log-odds" */
    char reason_feature[ECGX_REPORT_TREE_REASONS][64];
    double reason_value[ECGX_REPORT_TREE_REASONS];
    double reason_shap[ECGX_REPORT_TREE_REASONS];
} ecgx_report_tree_class;

typedef struct ecgx_report_trees {
    char source[256];           /* the trees file, as named */
    char label_set[64];
    int n_classes;
    ecgx_report_tree_class *classes;
    int n_disagree;             /* classes where the two models' calls differ */
    int measured;               /* 0: the record could not be measured, the trees saw only age and sex */
} ecgx_report_trees;

/* Load a trees file and run it on the record: its columns from the
 * measurements f (NULL: measurement failed, only age and sex known) in the
 * record's signal unit, per class probability, call at the stored
 * threshold, and the top reasons by |SHAP| (ecgx_trees_shap,
 * ecgx_trees_reason: what `ecgx trees explain` prints), each beside the CNN
 * prediction of the same class name (cnn may be NULL). Errors name `path`. */
int ecgx_report_trees_build(const char *path, const ecgx_record *rec, const ecgx_features *f,
                            const ecgx_report_prediction *cnn, int n_cnn, ecgx_report_trees **out);
void ecgx_report_trees_free(ecgx_report_trees *t);
/* The section as a JSON object (malloc'd text): source, label_set,
 * n_disagree, classes{label: probability, threshold, positive, margin, base,
 * cnn_probability, cnn_threshold, cnn_positive, disagree, reasons[], shap{}}. */
int ecgx_report_trees_json(const ecgx_report_trees *t, char **json);

/* ---- the network's time-localised clusters (clusters_section.c) ---- */

typedef struct ecgx_report_clusters {
    char source[256];           /* the clusters file, as named */
    ecgx_clusters *clusters;    /* owned */
    ecgx_clusters_record assignment; /* at the record's rate */
    int k;
    char name[ECGX_CLUSTERS_MAX_K][32]; /* "QRS-like", "T-like 2", ...; by the wave each mostly covers */
    double proportion[ECGX_CLUSTERS_MAX_K];
    double mean_entropy;        /* nats */
    double max_entropy;         /* log k: a uniform assignment */
    int lead;                   /* the lead drawn (II) */
} ecgx_report_clusters;

/* Load a clusters file (ecgx clusters fit), check it was fitted on model m
 * (ecgx_clusters_check_model) and assign the record (prepared as the model
 * wants: ecgx_clusters_assign_record). Errors name `path`. */
int ecgx_report_clusters_build(const char *path, ecgx_model *m, const ecgx_record *rec, ecgx_report_clusters **out);
void ecgx_report_clusters_free(ecgx_report_clusters *c);
/* JSON object: source, k, mean_entropy, max_entropy, clusters[{cluster, name, wave, proportion}]. */
int ecgx_report_clusters_json(const ecgx_report_clusters *c, char **json);

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
    const ecgx_report_trees *trees;        /* NULL: no measurement-model section */
    const ecgx_report_clusters *clusters;  /* NULL: no clusters section */
} ecgx_report;

/* The HTML document as a malloc'd, NUL-terminated string. */
int ecgx_report_html(const ecgx_report *rep, char **html, size_t *len);
/* Build and write atomically. */
int ecgx_report_write(const ecgx_report *rep, const char *path);

#ifdef __cplusplus
}
#endif
#endif
