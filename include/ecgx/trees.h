/* ecgx trees — interpretable measurement models: the ECG measurements of
 * ecgx_measure plus age and sex, one gradient-boosted tree model per binary
 * target (XGBoost through its C API), recursive feature elimination by mean
 * |SHAP|, exact TreeSHAP values and their reasons in clinical words.
 *
 * The measurement table: one row per record, one column per quantity, the
 * unit in the column name ("QRS_ms", "R_amp_V5_mV", "age_years",
 * "sex_female"). Amplitudes keep the unit of their record: a folder whose
 * signals are not in mV (ptbxl-filtered is z-scored per lead) gets "_z"
 * columns ("R_amp_V5_z") that never mix with the "_mV" ones; the other side
 * is missing. Missing is NaN, never 0 (XGBoost learns a default direction).
 *
 * A trees file (JSON, "format": "ecgx-trees") holds per class the XGBoost
 * model (its own JSON), the feature subset it uses, the decision threshold
 * (Youden's on the validation split), the feature-elimination curve and the
 * parameters it was trained with. See docs/trees.md. */
#ifndef ECGX_TREES_H
#define ECGX_TREES_H

#include "ecgx/dataset.h"
#include "ecgx/measure.h"
#include "ecgx/record.h"
#include "ecgx/render.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the measurement table ---- */

typedef struct ecgx_trees_table {
    int n_rows, n_cols;
    char **cols;        /* n_cols column names, units included */
    double *x;          /* n_rows x n_cols, row-major; NaN = missing */
    char **ids;         /* record ids (dataset id) */
    char **paths;       /* record paths (what ecgx predict takes) */
    int *fold;          /* 0 unknown */
    int *split;         /* ecgx_split */
    char *label_set;    /* the dataset's label set ("superdiagnostic", "sex", "age", ...) */
    int n_classes;
    char **classes;
    float *y;           /* n_rows x n_classes: 0/1 (age: years); NaN unknown */
    char **errors;      /* per row: why the record could not be measured, NULL when it was */
    int n_failed;       /* rows whose measurement failed (all their measurements NaN) */
} ecgx_trees_table;

void ecgx_trees_table_free(ecgx_trees_table *t);

/* The table's columns for one record: its measurements renamed with units
 * (unit: the record's signal unit, "mV" or anything else), QTc by Hodges,
 * age in years and sex (1 female, 0 male), NaN when unknown. f may be NULL
 * (measurement failed: only age and sex are known). */
int ecgx_trees_record_columns(const ecgx_features *f, const char *unit, double age, ecgx_sex sex,
                              ecgx_features **out);

/* Measure every record of the split ("all", "train", "val", "test",
 * "fold:N"; NULL = all) of a dataset, in parallel; labels from the dataset's
 * label set. A record that cannot be read or measured keeps a row with its
 * measurements missing (and its error in errors[]). */
int ecgx_trees_table_build(const ecgx_dataset *ds, const char *split, int quiet, ecgx_trees_table **out);

/* CSV: record,path,split,fold,label_<class>...,<columns...>; missing empty. */
int ecgx_trees_table_write_csv(const ecgx_trees_table *t, const char *path);
void ecgx_trees_table_print_csv(const ecgx_trees_table *t, FILE *out);

/* Index of a column by name, -1 when absent. */
int ecgx_trees_table_col(const ecgx_trees_table *t, const char *name);

/* ---- clinical words ---- */

/* "QRS_ms" -> "QRS duration" and unit "ms"; "R_amp_V5_mV" -> "R amplitude
 * in V5", "mV". Unknown names come back unchanged with unit "". */
void ecgx_trees_feature_words(const char *col, char *words, size_t n_words, char *unit, size_t n_unit);

/* "QRS duration 172 ms pushes CD up by 2.1 log-odds" (value NaN: "QRS
 * duration missing ..."). */
void ecgx_trees_reason(const char *col, double value, double shap, const char *class_name, char *buf, size_t n);

/* ---- training ---- */

#define ECGX_TREES_MAX_PARAMS 64

typedef struct ecgx_trees_options {
    /* XGBoost parameters as key=value strings, applied after ecgx's defaults
     * (objective binary:logistic, eval_metric logloss, tree_method hist,
     * eta 0.1, max_depth 4, subsample 0.8, colsample_bytree 0.8,
     * min_child_weight 1, seed 0, verbosity 0, nthread 1: classes train in
     * parallel instead); any key XGBoost knows. "scale_pos_weight" given here
     * overrides the class weighting below. */
    int n_params;
    char params[ECGX_TREES_MAX_PARAMS][2][64];
    int num_rounds;          /* at most (1000) */
    int early_stopping;      /* rounds without improvement of the validation metric (50) */
    int class_weights;       /* 1: scale_pos_weight = negatives / positives in train (default 1) */
    int rfe;                 /* 1: recursive feature elimination (default 1) */
    double rfe_drop;         /* fraction of the features dropped per step (0.3, at least one) */
    int rfe_min;             /* smallest subset tried (1) */
    double rfe_tolerance;    /* the chosen subset: the smallest whose validation AUROC is at
                                least the best minus this (0.005) */
    const char *train_split; /* "train" */
    const char *val_split;   /* "val" */
    int quiet;
} ecgx_trees_options;

void ecgx_trees_options_default(ecgx_trees_options *opt);
/* Add or replace one "key=value" XGBoost parameter. */
int ecgx_trees_options_set(ecgx_trees_options *opt, const char *key_value);

typedef struct ecgx_trees ecgx_trees;

/* One model per class of the table (rows of unknown label are left out of
 * that class). Classes with no positive or no negative in train or val are
 * an error. For the label set "age", `age_threshold` turns the target into
 * age >= threshold (the class is named "age>=T"); otherwise it is ignored. */
int ecgx_trees_train(const ecgx_trees_table *t, const ecgx_trees_options *opt, double age_threshold,
                     ecgx_trees **out);
void ecgx_trees_free(ecgx_trees *m);

int ecgx_trees_save(const ecgx_trees *m, const char *path);
int ecgx_trees_load(const char *path, ecgx_trees **out);

int ecgx_trees_n_classes(const ecgx_trees *m);
const char *ecgx_trees_class_name(const ecgx_trees *m, int c);
const char *ecgx_trees_label_set(const ecgx_trees *m);
double ecgx_trees_threshold(const ecgx_trees *m, int c);     /* on the probability */
double ecgx_trees_age_threshold(const ecgx_trees *m);        /* NaN unless an age target */
int ecgx_trees_n_features(const ecgx_trees *m, int c);
const char *ecgx_trees_feature(const ecgx_trees *m, int c, int j);
int ecgx_trees_best_iteration(const ecgx_trees *m, int c);
/* Feature-elimination curve of class c: n_steps points (features, validation AUROC). */
int ecgx_trees_rfe_curve(const ecgx_trees *m, int c, int *n_steps, const int **n_features, const double **auroc);

/* The binary target of class c for a table row: 0/1, NaN unknown (applies
 * the age threshold of an age model). */
double ecgx_trees_target(const ecgx_trees *m, int c, const ecgx_trees_table *t, int row);

/* ---- prediction and SHAP ----
 * Inputs are rows of any table-like matrix x (n x n_cols) with column names
 * cols; the model picks its features by name (absent ones are missing). */

/* margin (log-odds) of class c for n rows; prob may be NULL. */
int ecgx_trees_predict(const ecgx_trees *m, int c, const double *x, int n, char *const *cols, int n_cols,
                       double *margin, double *prob);

/* Exact TreeSHAP (XGBoost pred_contribs): phi is n x (nf + 1), nf =
 * ecgx_trees_n_features(m, c), the last entry of a row the base value, so
 * that each row sums to the margin. */
int ecgx_trees_shap(const ecgx_trees *m, int c, const double *x, int n, char *const *cols, int n_cols,
                    double *phi);

/* SHAP interaction values: n x (nf + 1) x (nf + 1) (the last row/column the
 * bias); each row of a record's matrix sums to its SHAP value. */
int ecgx_trees_shap_interactions(const ecgx_trees *m, int c, const double *x, int n, char *const *cols,
                                 int n_cols, double *phi);

/* ---- figures ---- */

/* Beeswarm summary of class c: the top_k features by mean |SHAP|, one row
 * each, a dot per record at its SHAP value coloured by the feature's value
 * (blue low, red high, grey missing). phi: n x (nf + 1) from ecgx_trees_shap,
 * xf: n x nf feature values in the model's feature order. */
int ecgx_trees_render_beeswarm(const ecgx_trees *m, int c, const double *phi, const double *xf, int n, int top_k,
                               double dpi, ecgx_render_format format, ecgx_figure **out);
/* Dependence plot: feature j's value (x) against its SHAP value (y). */
int ecgx_trees_render_dependence(const ecgx_trees *m, int c, int j, const double *phi, const double *xf, int n,
                                 double dpi, ecgx_render_format format, ecgx_figure **out);

#ifdef __cplusplus
}
#endif
#endif
