/* Regression targets for the nn commands (the "age" label set): the model
 * learns the target standardised by the training split's mean and SD,
 * which ecgx train stores in the model ("target_mean", "target_sd",
 * "task" = "regression", "aggregation" = "mean"), so that predictions come
 * back in the target's unit (years). A record's prediction is the MEAN of
 * its windows' outputs: the benchmark's max over windows suits "is this
 * finding anywhere in the record", not a quantity such as age, where the
 * max would pick the oldest-looking window. */
#ifndef ECGX_NN_NN_REGRESSION_H
#define ECGX_NN_NN_REGRESSION_H

#include "ecgx/nn.h"

/* 1 when the label set is a regression target ("age"). */
int nn_label_set_is_regression(const char *label_set);

/* 1 when a trained model predicts a regression target (metadata "task" is
 * "regression", or "labels" names a regression set). */
int nn_model_is_regression(const ecgx_model *m);

/* The standardisation the model was trained with; an error naming the file
 * when the model has more than one output, or the metadata lacks the
 * standardisation or it is not usable (sd must be > 0). */
int nn_model_target_scale(const ecgx_model *m, const char *path, double *mean, double *sd);

/* One record x [in_channels][n]: the model's raw outputs (n_classes
 * floats, standardised units) averaged over the sliding windows that
 * ecgx_model_predict_windows uses. */
int nn_predict_windows_mean(ecgx_model *m, const float *x, int n, int window, int stride, float *out);

#endif
