/* Prediction and exact TreeSHAP through XGBoost (pred_contribs and
 * pred_interactions): the path-dependent algorithm of Lundberg et al. 2020,
 * whose expectations weight each branch by its training cover. */
#include "trees/internal.h"

#include <math.h>
#include <stdlib.h>

/* A DMatrix of the class's features taken by name from (x, cols). */
static int class_matrix(const ecgx_trees *m, int c, const double *x, int n, char *const *cols, int n_cols,
                        DMatrixHandle *d)
{
    if (!m || c < 0 || c >= m->n_classes) return ecgx_error(ECGX_ERR_ARG, "trees: no class %d", c);
    if (n < 1) return ecgx_error(ECGX_ERR_ARG, "trees: no rows to predict");
    const trees_class *k = &m->cls[c];
    int *map = malloc(sizeof *map * (size_t)(k->nf + 1));
    if (!map) return ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
    trees_map_features(k, cols, n_cols, map);
    int rc = trees_dmatrix(x, n_cols, NULL, n, map, k->nf, NULL, NULL, d);
    free(map);
    return rc;
}

int ecgx_trees_predict(const ecgx_trees *m, int c, const double *x, int n, char *const *cols, int n_cols,
                       double *margin, double *prob)
{
    DMatrixHandle d = NULL;
    int rc = class_matrix(m, c, x, n, cols, n_cols, &d);
    if (!rc) rc = trees_predict_dm(m->cls[c].bst, d, 1, (size_t)n, margin);
    for (int i = 0; !rc && prob && i < n; i++) prob[i] = 1 / (1 + exp(-margin[i]));
    if (d) XGDMatrixFree(d);
    return rc;
}

int ecgx_trees_shap(const ecgx_trees *m, int c, const double *x, int n, char *const *cols, int n_cols, double *phi)
{
    DMatrixHandle d = NULL;
    int rc = class_matrix(m, c, x, n, cols, n_cols, &d);
    if (!rc) rc = trees_predict_dm(m->cls[c].bst, d, 2, (size_t)n * (m->cls[c].nf + 1), phi);
    if (d) XGDMatrixFree(d);
    return rc;
}

int ecgx_trees_shap_interactions(const ecgx_trees *m, int c, const double *x, int n, char *const *cols,
                                 int n_cols, double *phi)
{
    DMatrixHandle d = NULL;
    int rc = class_matrix(m, c, x, n, cols, n_cols, &d);
    size_t w = (size_t)m->cls[c].nf + 1;
    if (!rc) rc = trees_predict_dm(m->cls[c].bst, d, 4, (size_t)n * w * w, phi);
    if (d) XGDMatrixFree(d);
    return rc;
}
