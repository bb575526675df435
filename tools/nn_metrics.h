/* Minimal metrics for the nn commands: AUROC per class and macro. The eval
 * module (another branch) brings AUPRC, thresholds and bootstrap intervals;
 * `ecgx eval` calls only these two functions, so switching is one place. */
#ifndef ECGX_TOOLS_NN_METRICS_H
#define ECGX_TOOLS_NN_METRICS_H

/* AUROC of scores against 0/1 targets (ties count half); NAN when one class
 * is absent. stride: distance between consecutive entries (n_classes for a
 * [n][K] matrix column). */
double nn_auroc(const float *scores, const float *targets, int n, int stride);
/* Per-class AUROC into auc[K] and the macro mean over classes where it is
 * defined (NAN when none). */
double nn_macro_auroc(const float *scores, const float *targets, int n, int K, double *auc);

#endif
