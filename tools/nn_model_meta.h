/* Reading a trained model's metadata for the nn commands: the rate, window,
 * stride and class names that ecgx train recorded. */
#ifndef ECGX_TOOLS_NN_MODEL_META_H
#define ECGX_TOOLS_NN_MODEL_META_H

#include "ecgx/nn.h"

typedef struct nn_model_meta {
    double fs;
    int window, stride;
    int n_classes;
    char classes[64][64];
} nn_model_meta;

/* Fills *mm from the model's metadata; defaults where absent (100 Hz, 250,
 * half the window, classes "class0".."). Errors name the file. */
int nn_model_meta_read(const ecgx_model *m, const char *path, nn_model_meta *mm);

/* Per-class thresholds from the model's metadata (docs/cli_report.md):
 * "thresholds" as "CD:0.31,MI:0.2" or as plain numbers in class order, or
 * one key "threshold_<CLASS>" per class; thr[k] NAN where absent. Returns 1
 * when every class got one in [0, 1]. */
int nn_model_thresholds(const ecgx_model *m, const nn_model_meta *mm, double *thr);

#endif
