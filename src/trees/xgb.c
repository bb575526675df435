/* The thin layer over XGBoost's C API: matrices with NaN as missing,
 * parameters, boosting with early stopping on the validation split, and
 * prediction calls copied out of XGBoost's thread-local buffers. */
#include "trees/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int trees_xgb_error(const char *what)
{
    const char *e = XGBGetLastError();
    /* XGBoost's messages carry a file:line prefix and newlines; keep the first line */
    char line[512];
    snprintf(line, sizeof line, "%s", e ? e : "unknown error");
    for (char *p = line; *p; p++) if (*p == '\n') { *p = 0; break; }
    return ecgx_error(ECGX_ERR_ARG, "trees: XGBoost %s: %s", what, line);
}

int trees_dmatrix(const double *x, int n_cols, const int *rows, int n, const int *feat, int nf, const float *y,
                  char *const *names, DMatrixHandle *out)
{
    *out = NULL;
    float *m = malloc(sizeof *m * ((size_t)n * nf + 1));
    float *lab = y ? malloc(sizeof *lab * ((size_t)n + 1)) : NULL;
    if (!m || (y && !lab)) { free(m); free(lab); return ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); }
    for (int i = 0; i < n; i++) {
        int r = rows ? rows[i] : i;
        for (int j = 0; j < nf; j++) {
            double v = feat[j] >= 0 ? x[(size_t)r * n_cols + feat[j]] : NAN;
            m[(size_t)i * nf + j] = isfinite(v) ? (float)v : NAN;
        }
        if (lab) lab[i] = y[i];
    }
    int rc = 0;
    /* one thread: the copy is small, and XGBoost's default (all cores) spent
     * ~50 ms at OpenMP barriers per single-record call on a loaded machine */
    if (XGDMatrixCreateFromMat_omp(m, (bst_ulong)n, (bst_ulong)nf, NAN, out, 1)) rc = trees_xgb_error("matrix");
    if (!rc && lab && XGDMatrixSetFloatInfo(*out, "label", lab, (bst_ulong)n)) rc = trees_xgb_error("labels");
    if (!rc && names) {
        const char **nm = malloc(sizeof *nm * (size_t)(nf + 1));
        if (!nm) rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
        for (int j = 0; !rc && j < nf; j++) nm[j] = names[j];
        if (!rc && XGDMatrixSetStrFeatureInfo(*out, "feature_name", nm, (bst_ulong)nf)) rc = trees_xgb_error("feature names");
        free(nm);
    }
    free(m);
    free(lab);
    if (rc && *out) { XGDMatrixFree(*out); *out = NULL; }
    return rc;
}

int trees_map_features(const trees_class *k, char *const *cols, int n_cols, int *map)
{
    for (int j = 0; j < k->nf; j++) {
        map[j] = -1;
        for (int c = 0; c < n_cols; c++)
            if (!strcmp(cols[c], k->features[j])) { map[j] = c; break; }
    }
    return 0;
}

int trees_predict_dm(BoosterHandle bst, DMatrixHandle dm, int type, size_t expect, double *out)
{
    char cfg[160];
    snprintf(cfg, sizeof cfg,
             "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}",
             type);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    if (XGBoosterPredictFromDMatrix(bst, dm, cfg, &shape, &dim, &res)) return trees_xgb_error("prediction");
    size_t total = 1;
    for (bst_ulong d = 0; d < dim; d++) total *= (size_t)shape[d];
    if (total != expect)
        return ecgx_error(ECGX_ERR_STATE, "trees: XGBoost returned %zu values, expected %zu", total, expect);
    for (size_t i = 0; i < total; i++) out[i] = res[i];
    return 0;
}

/* Metrics XGBoost maximises; every other metric is a loss. */
static int higher_is_better(const char *metric)
{
    return !strncmp(metric, "auc", 3) || !strncmp(metric, "aucpr", 5) || !strncmp(metric, "map", 3) ||
           !strncmp(metric, "ndcg", 4) || !strncmp(metric, "pre", 3);
}

static const char *DEFAULTS[][2] = {
    {"objective", "binary:logistic"}, {"eval_metric", "logloss"}, {"tree_method", "hist"}, {"eta", "0.1"},
    {"max_depth", "4"}, {"subsample", "0.8"}, {"colsample_bytree", "0.8"}, {"min_child_weight", "1"},
    {"seed", "0"}, {"verbosity", "0"},
    /* One thread per booster: classes train in parallel instead. On a small
     * table XGBoost's own threads mostly wait at barriers, and on a loaded
     * machine that made training 5x slower (measured in docs/trees.md). */
    {"nthread", "1"},
};

int trees_fit(const ecgx_trees_options *opt, double scale_pos_weight, DMatrixHandle dtrain, DMatrixHandle dval,
              BoosterHandle *out, int *best_iteration)
{
    *out = NULL;
    BoosterHandle bst = NULL;
    DMatrixHandle both[2] = {dtrain, dval};
    if (XGBoosterCreate(both, 2, &bst)) return trees_xgb_error("create");
    int rc = 0, user_spw = 0;
    for (size_t k = 0; !rc && k < sizeof DEFAULTS / sizeof *DEFAULTS; k++)
        if (XGBoosterSetParam(bst, DEFAULTS[k][0], DEFAULTS[k][1])) rc = trees_xgb_error("parameter");
    for (int k = 0; !rc && k < opt->n_params; k++) {
        if (!strcmp(opt->params[k][0], "scale_pos_weight")) user_spw = 1;
        if (XGBoosterSetParam(bst, opt->params[k][0], opt->params[k][1])) {
            char what[160];
            snprintf(what, sizeof what, "parameter %s=%s", opt->params[k][0], opt->params[k][1]);
            rc = trees_xgb_error(what);
        }
    }
    if (!rc && !user_spw && opt->class_weights) {
        char v[32];
        snprintf(v, sizeof v, "%.9g", scale_pos_weight);
        if (XGBoosterSetParam(bst, "scale_pos_weight", v)) rc = trees_xgb_error("parameter scale_pos_weight");
    }
    double best = NAN;
    int best_it = -1, maximise = 0;
    const char *names[1] = {"val"};
    for (int it = 0; !rc && it < opt->num_rounds; it++) {
        if (XGBoosterUpdateOneIter(bst, it, dtrain)) { rc = trees_xgb_error("boosting"); break; }
        const char *ev = NULL;
        if (XGBoosterEvalOneIter(bst, it, &both[1], names, 1, &ev)) { rc = trees_xgb_error("evaluation"); break; }
        /* "[it]\tval-logloss:0.41\tval-auc:0.9": the last metric decides, as in XGBoost's own early stopping */
        const char *last = strrchr(ev, '\t'), *colon = last ? strrchr(last, ':') : NULL;
        if (!last || !colon) { rc = ecgx_error(ECGX_ERR_STATE, "trees: cannot read XGBoost's evaluation '%s'", ev); break; }
        maximise = higher_is_better(last + 1 + 4); /* skip "val-" */
        double v = strtod(colon + 1, NULL);
        if (best_it < 0 || (maximise ? v > best : v < best)) { best = v; best_it = it; }
        else if (opt->early_stopping > 0 && it - best_it >= opt->early_stopping) break;
    }
    if (rc || best_it < 0) {
        XGBoosterFree(bst);
        return rc ? rc : ecgx_error(ECGX_ERR_ARG, "trees: no boosting round ran (num_rounds %d)", opt->num_rounds);
    }
    BoosterHandle sliced = NULL;
    if (XGBoosterSlice(bst, 0, best_it + 1, 1, &sliced)) { rc = trees_xgb_error("slice"); XGBoosterFree(bst); return rc; }
    XGBoosterFree(bst);
    *out = sliced;
    *best_iteration = best_it;
    return 0;
}
