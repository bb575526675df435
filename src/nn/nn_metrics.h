/* The nn commands' scores and targets (float, [n][K], 0/1 targets) handed to
 * the eval module (ecgx_eval_multilabel): the conversion lives here once. */
#ifndef ECGX_NN_NN_METRICS_H
#define ECGX_NN_NN_METRICS_H

#include "ecgx/eval.h"

/* ecgx_eval_multilabel on float scores and targets (> 0.5 is positive). */
int nn_eval(const float *scores, const float *targets, int n, int K, const ecgx_eval_options *opt,
            ecgx_eval_result **out);

/* Per-class AUROC into auc[K] (NAN where a class lacks positives or
 * negatives) and the macro mean over the defined classes (NAN when none),
 * without bootstrap: training's per-epoch validation figure. */
double nn_macro_auroc(const float *scores, const float *targets, int n, int K, double *auc);

#endif
