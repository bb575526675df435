/* What the trees module's files share: the model struct and the thin layer
 * over XGBoost's C API. */
#ifndef ECGX_TREES_INTERNAL_H
#define ECGX_TREES_INTERNAL_H

#include "ecgx/trees.h"

#include <xgboost/c_api.h>

typedef struct trees_class {
    char *name;            /* "CD", "female", "age>=65" */
    int source_class;      /* column of the table's labels it was trained on */
    BoosterHandle bst;
    int nf;
    char **features;
    double threshold;      /* Youden's on the validation split, on the probability */
    int best_iteration;
    double val_auroc;
    double scale_pos_weight;
    int n_pos, n_neg;      /* in training */
    int n_rfe;
    int *rfe_nf;
    double *rfe_auroc;
} trees_class;

struct ecgx_trees {
    char *label_set;
    double age_threshold;  /* NaN unless the target is age >= threshold */
    int n_classes;
    trees_class *cls;
    ecgx_trees_options opt; /* what it was trained with (train/val split names not kept) */
};

/* XGBoost's last error as an ecgx error. */
int trees_xgb_error(const char *what);

/* The structure of an XGBoost JSON model checked before XGBoost loads it
 * (its own loader does not, and its predictor then reads out of bounds):
 * gbtree, one scalar-leaf tree per round, n_features features, every tree a
 * proper binary tree. 0, or ECGX_ERR_FORMAT naming `what`. */
int trees_xgb_model_check(const char *json, int n_features, const char *what);

/* A DMatrix of the given rows (NULL: all n) and feature columns of x
 * (n_cols wide), labels y (may be NULL); missing values NaN. */
int trees_dmatrix(const double *x, int n_cols, const int *rows, int n, const int *feat, int nf, const float *y,
                  char *const *names, DMatrixHandle *out);

/* Map the class's features onto columns of a matrix by name (-1: absent). */
int trees_map_features(const trees_class *k, char *const *cols, int n_cols, int *map);

/* One prediction call: type 0 probability, 1 margin, 2 contributions,
 * 4 interactions; out receives n * per_row doubles. */
int trees_predict_dm(BoosterHandle bst, DMatrixHandle dm, int type, size_t expect, double *out);

/* Train one booster on (train, val) with early stopping; returns the booster
 * sliced to its best iteration. */
int trees_fit(const ecgx_trees_options *opt, double scale_pos_weight, DMatrixHandle dtrain, DMatrixHandle dval,
              BoosterHandle *out, int *best_iteration);

void trees_class_free(trees_class *k);

#endif
