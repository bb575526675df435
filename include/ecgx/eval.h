/* ecgx eval — how good are the predictions: ranking (AUROC, AUPRC),
 * decisions at a threshold (sensitivity, specificity, PPV, NPV, F1),
 * threshold choice, bootstrap confidence intervals, DeLong's test for two
 * correlated AUROCs, and calibration.
 *
 * Conventions: scores are doubles (probabilities or any monotone score;
 * calibration alone needs them in [0, 1]); labels are bytes, 0 or 1. A record
 * is called positive at threshold t when score >= t. Multi-label data is
 * row-major: scores[i * n_classes + c]. */
#ifndef ECGX_EVAL_H
#define ECGX_EVAL_H

#include "ecgx/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Ranking ---- */

/* Area under the ROC curve, exact: the Mann-Whitney statistic with midranks,
 * so tied scores count one half. Error when either class is empty. */
int ecgx_eval_auroc(const double *score, const uint8_t *label, int64_t n, double *auroc);

/* Average precision, as scikit-learn's average_precision_score: the sum over
 * distinct thresholds (descending) of (R_k - R_{k-1}) * P_k. Error when there
 * are no positives. */
int ecgx_eval_auprc(const double *score, const uint8_t *label, int64_t n, double *ap);

/* ---- Decisions at a threshold ---- */

typedef struct ecgx_confusion {
    double tp, fp, tn, fn; /* counts (doubles so bootstrap weights fit) */
} ecgx_confusion;

typedef struct ecgx_binary_metrics {
    double threshold;
    ecgx_confusion cm;
    /* NaN where the denominator is zero (e.g. PPV with no predicted positive). */
    double sensitivity, specificity, ppv, npv, f1, accuracy;
} ecgx_binary_metrics;

int ecgx_eval_at_threshold(const double *score, const uint8_t *label, int64_t n, double threshold,
                           ecgx_binary_metrics *out);
/* The metrics that follow from a confusion matrix (fills every rate). */
void ecgx_eval_metrics_from_confusion(const ecgx_confusion *cm, double threshold, ecgx_binary_metrics *out);

typedef enum ecgx_threshold_rule {
    ECGX_THRESHOLD_FIXED = 0,   /* use the given threshold (0.5 by default) */
    ECGX_THRESHOLD_YOUDEN,      /* maximise sensitivity + specificity - 1 */
    ECGX_THRESHOLD_F1,          /* maximise F1 */
    ECGX_THRESHOLD_SENSITIVITY  /* the highest threshold whose sensitivity >= target */
} ecgx_threshold_rule;

/* Choose a threshold among the observed scores by `rule` (target is the
 * sensitivity for ECGX_THRESHOLD_SENSITIVITY, the threshold itself for FIXED).
 * Ties between candidate thresholds go to the higher threshold. */
int ecgx_eval_choose_threshold(const double *score, const uint8_t *label, int64_t n,
                               ecgx_threshold_rule rule, double target, double *threshold);
/* "fixed", "youden", "f1", "sensitivity"; -1 when unknown. */
int ecgx_threshold_rule_parse(const char *s);
const char *ecgx_threshold_rule_name(ecgx_threshold_rule rule);
/* A rule as the command line spells it: "f1", "youden", or
 * "sensitivity:0.9" (the target after the colon; "sensitivity" alone
 * means 0.9). Error naming the text when it is none of these. */
int ecgx_threshold_spec_parse(const char *s, ecgx_threshold_rule *rule, double *target);
/* The spec back as text ("f1", "youden", "sensitivity:0.9"). */
void ecgx_threshold_spec_format(ecgx_threshold_rule rule, double target, char *buf, size_t n);

/* A threshold as text with enough decimals to tell it from 0 and 1: three,
 * more where three would round it to "1.000" or "0.000" (0.9996 is
 * "0.9996"), at most 11; 0, 1 and non-finite values as "%.3f" prints them. */
void ecgx_threshold_format(double t, char *buf, size_t n);

/* One threshold per class of n records × n_classes (row-major scores and
 * labels), each chosen by ecgx_eval_choose_threshold. thr[c] is NaN for a
 * class the rule cannot decide (no positive; for Youden also no negative);
 * *n_chosen (may be NULL) counts the others. Not an error: a validation
 * split may lack a rare class. */
int ecgx_eval_choose_thresholds(const double *scores, const uint8_t *labels, int64_t n, int n_classes,
                                ecgx_threshold_rule rule, double target, double *thr, int *n_chosen);

/* ---- DeLong's test for two correlated AUROCs (same records, same labels) ----
 * The O(n log n) algorithm of Sun & Xu (2014). */
typedef struct ecgx_delong {
    double auc_a, auc_b;
    double var_a, var_b, cov_ab; /* DeLong (co)variances of the AUC estimates */
    double diff;                 /* auc_a - auc_b */
    double z;                    /* diff / sqrt(var_a + var_b - 2 cov_ab) */
    double p_value;              /* two-sided; 1 when diff = 0 and the variance is 0, 0 when diff != 0 and it is 0 */
} ecgx_delong;

int ecgx_eval_delong(const double *score_a, const double *score_b, const uint8_t *label, int64_t n,
                     ecgx_delong *out);

/* ---- Calibration: equal-width bins over [0, 1] ----
 * Bin k covers (k/B, (k+1)/B], the first also including 0 (the same edges as
 * scikit-learn's calibration_curve with strategy="uniform"). */
typedef struct ecgx_calibration_bin {
    double lo, hi;       /* bin edges */
    int64_t count;       /* records whose score falls in the bin */
    double mean_score;   /* mean predicted probability (NaN when empty) */
    double frac_pos;     /* observed fraction of positives (NaN when empty) */
} ecgx_calibration_bin;

typedef struct ecgx_calibration {
    int n_bins;
    ecgx_calibration_bin *bins; /* n_bins entries, including empty ones */
    double ece;                 /* expected calibration error: sum_k (n_k/n) |frac_pos_k - mean_score_k| */
    double mce;                 /* maximum calibration error over non-empty bins */
} ecgx_calibration;

/* Scores must lie in [0, 1]. Free with ecgx_calibration_free. */
int ecgx_eval_calibration(const double *score, const uint8_t *label, int64_t n, int n_bins,
                          ecgx_calibration *out);
void ecgx_calibration_free(ecgx_calibration *cal);

/* ---- Multi-label evaluation with bootstrap intervals ---- */

typedef struct ecgx_eval_options {
    ecgx_threshold_rule rule; /* how thresholds are chosen when `thresholds` is NULL */
    double target;            /* target sensitivity (SENSITIVITY) or the threshold (FIXED) */
    const double *thresholds; /* n_classes thresholds fixed beforehand (e.g. chosen on the
                                 validation set); NULL: choose on this data by `rule` */
    int n_bootstrap;          /* resamples for the intervals; 0: none */
    uint64_t seed;            /* seeds the resampling PRNG: same seed, same intervals */
    double ci_level;          /* e.g. 0.95 */
    int n_bins;               /* calibration bins */
} ecgx_eval_options;

/* rule YOUDEN, 1000 resamples, seed 1, 95 %, 10 bins. */
void ecgx_eval_options_default(ecgx_eval_options *opt);

typedef struct ecgx_interval {
    double lo, hi; /* percentile interval; NaN when no valid resample */
} ecgx_interval;

/* One set of summary figures (a class, the macro or the micro average). */
typedef struct ecgx_eval_summary {
    double auroc, auprc;
    ecgx_binary_metrics at; /* at the threshold(s) */
    double ece;
    ecgx_interval auroc_ci, auprc_ci, sensitivity_ci, specificity_ci, ppv_ci, npv_ci, f1_ci;
} ecgx_eval_summary;

typedef struct ecgx_eval_class {
    int64_t n_pos, n_neg;
    int defined;       /* 0 when the class has no positive or no negative: its AUROC is NaN */
    ecgx_eval_summary s;
    int n_skipped;     /* bootstrap resamples skipped (no positive or no negative) */
} ecgx_eval_class;

typedef struct ecgx_eval_result {
    int n_classes;
    int64_t n;
    ecgx_eval_class *classes;
    /* Macro: unweighted mean over defined classes; its intervals come from the
     * resamples in which every defined class had a positive and a negative. */
    ecgx_eval_summary macro;
    int macro_n_skipped;
    /* Micro: every (record, class) pair as one binary problem; the threshold
     * metrics pool the per-class confusion matrices. */
    ecgx_eval_summary micro;
    int micro_n_skipped;
    int n_bootstrap;
    double ci_level;
} ecgx_eval_result;

/* Evaluate n records × n_classes. opt may be NULL (defaults). Free the result
 * with ecgx_eval_result_free. */
int ecgx_eval_multilabel(const double *scores, const uint8_t *labels, int64_t n, int n_classes,
                         const ecgx_eval_options *opt, ecgx_eval_result **out);
void ecgx_eval_result_free(ecgx_eval_result *res);

/* ---- Prediction and truth tables (CSV) ----
 * Form: a header `record,<class1>,<class2>,...`, then one row per record:
 * its id and one number per class (probabilities for predictions, 0/1 for
 * truth). This is the form `ecgx predict --csv` writes. */
typedef struct ecgx_eval_table {
    int64_t n_rows;
    int n_classes;
    char **records;   /* n_rows ids */
    char **classes;   /* n_classes names */
    double *values;   /* n_rows * n_classes, row-major */
} ecgx_eval_table;

int ecgx_eval_table_read(const char *path, ecgx_eval_table **out);
void ecgx_eval_table_free(ecgx_eval_table *t);

/* Align a prediction table with a truth table: every truth class must be a
 * prediction column (matched by name), every truth record a prediction row
 * (matched by id), and truth values 0 or 1. On success *scores and *labels
 * (malloc'd) are n_rows(truth) × n_classes(truth) in the truth table's row
 * and column order. Errors name both files and the missing record/class. */
int ecgx_eval_align(const ecgx_eval_table *pred, const char *pred_path, const ecgx_eval_table *truth,
                    const char *truth_path, double **scores, uint8_t **labels);


/* ---- Regression (a continuous target, e.g. age in years) ----
 * MAE, RMSE, R^2 (1 - SS_res / SS_tot, as sklearn's r2_score: NaN when the
 * truth is constant) and Pearson's r (NaN when either side is constant),
 * with percentile bootstrap intervals drawn as ecgx_eval_multilabel draws
 * them (records resampled with replacement, one seeded stream per resample;
 * from opt: n_bootstrap, seed, ci_level; the rest is ignored). */
typedef struct ecgx_eval_regression {
    int64_t n;
    double mae, rmse, r2, pearson_r;
    double bias;                /* mean of prediction - truth */
    ecgx_interval mae_ci, rmse_ci, r2_ci, pearson_r_ci, bias_ci;
    int n_bootstrap;
    int n_skipped;              /* resamples where R^2 or r was undefined (left out of their intervals) */
    double ci_level;
} ecgx_eval_regression;

/* pred and truth: n finite values each. opt may be NULL (defaults). */
int ecgx_eval_regression_metrics(const double *pred, const double *truth, int64_t n,
                                 const ecgx_eval_options *opt, ecgx_eval_regression *out);

#ifdef __cplusplus
}
#endif
#endif
