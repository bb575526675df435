/* The surrogate: per class, gradient-boosted trees (XGBoost's C API) on
 * cluster proportions (of a record, or of each of the model's windows: the
 * callers in fit.c and eval.c choose the rows), trained to reproduce the
 * CNN's thresholded call. The only file of the module that knows XGBoost: the boosters travel
 * as XGBoost's own JSON bytes inside the clusters file, so this file can be
 * switched to the trees module without changing the format's meaning.
 *
 * Hyper-parameters (fixed, documented in docs/clusters.md): 300 rounds,
 * depth 4, eta 0.05, min_child_weight 1, subsample 0.8 (seeded), hist trees,
 * one thread: with two, OpenMP's spinning made training 8-10x slower on
 * this shared machine (0.47 s against 3.6-4.5 s for 300 rounds on 12,404
 * rows), and one thread gives the same trees on every machine. */
#include "clusters/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#define ROUNDS 300

static int xgb_fail(const char *what)
{
    return ecgx_error(ECGX_ERR_STATE, "clusters: surrogate: %s: %s", what, XGBGetLastError());
}

int clusters_surrogate_dim(const ecgx_clusters *c) { return c->gmm.k * (c->surrogate_features == 2 ? 2 : 1); }
int clusters_window_dim(const ecgx_clusters *c) { return c->surrogate_features == 4 ? 2 * c->gmm.k + 2 : c->gmm.k; }

void clusters_window_features(const ecgx_clusters *c, const ecgx_clusters_record *r, int w, float *f)
{
    int K = r->k;
    memcpy(f, r->window_prop + (size_t)w * K, sizeof(float) * (size_t)K);
    if (c->surrogate_features == 4) memcpy(f + K, r->window_extra + (size_t)w * (K + 2), sizeof(float) * (size_t)(K + 2));
}
/* mode 3 trains and predicts on windows (records.c collects them); the
 * record-level features below are then the proportions only */

void clusters_surrogate_features(const ecgx_clusters *c, const ecgx_clusters_record *r, float *f)
{
    for (int j = 0; j < r->k; j++) f[j] = (float)r->proportion[j];
    if (c->surrogate_features == 2)
        for (int j = 0; j < r->k; j++) f[r->k + j] = (float)r->window_max[j];
}

double ecgx_clusters_surrogate_threshold(const ecgx_clusters *c, int k)
{
    return c->surrogate_target == 1 ? c->thresholds[k] : 0.5;
}

int ecgx_clusters_surrogate_train(ecgx_clusters *c, const float *x, int n, int dim, const float *y, uint64_t seed)
{
    return ecgx_clusters_surrogate_train_ex(c, x, n, dim, y, 0, seed);
}

int ecgx_clusters_surrogate_train_ex(ecgx_clusters *c, const float *x, int n, int dim, const float *y, int rounds,
                                     uint64_t seed)
{
    if (rounds <= 0) rounds = ROUNDS;
    int C = c->n_classes;
    float *lab = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!lab) return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    DMatrixHandle dm = NULL;
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, (bst_ulong)dim, -1e30f, &dm)) {
        free(lab);
        return xgb_fail("DMatrix");
    }
    int rc = 0;
    char sd[32];
    snprintf(sd, sizeof sd, "%llu", (unsigned long long)(seed & 0x7fffffff));
    for (int k = 0; k < C && !rc; k++) {
        int pos = 0;
        for (int i = 0; i < n; i++) {
            float v = y[(size_t)i * C + k];
            /* soft targets: the probability itself (binary:logistic accepts labels in [0, 1]) */
            lab[i] = c->surrogate_target == 1 ? (v < 0 ? 0.0f : v > 1 ? 1.0f : v) : (float)(v > 0.5f);
            pos += lab[i] > 0.5f;
        }
        BoosterHandle b = NULL;
        if (XGDMatrixSetFloatInfo(dm, "label", lab, (bst_ulong)n) || XGBoosterCreate(&dm, 1, &b)) {
            rc = xgb_fail("create");
            break;
        }
        const char *params[][2] = {{"objective", "binary:logistic"}, {"max_depth", "4"}, {"eta", "0.05"},
                                   {"subsample", "0.8"}, {"min_child_weight", "1"}, {"tree_method", "hist"},
                                   {"nthread", "1"}, {"seed", sd}, {"verbosity", "0"}};
        for (size_t p = 0; p < sizeof params / sizeof params[0] && !rc; p++)
            if (XGBoosterSetParam(b, params[p][0], params[p][1])) rc = xgb_fail("parameter");
        /* a class the CNN never (or always) calls: the trees learn the constant */
        (void)pos;
        for (int it = 0; it < rounds && !rc; it++)
            if (XGBoosterUpdateOneIter(b, it, dm)) rc = xgb_fail("training");
        bst_ulong len = 0;
        const char *buf = NULL;
        if (!rc && XGBoosterSaveModelToBuffer(b, "{\"format\": \"json\"}", &len, &buf)) rc = xgb_fail("save");
        if (!rc) {
            free(c->surrogate[k]);
            c->surrogate[k] = malloc((size_t)len + 1);
            if (!c->surrogate[k]) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
            else {
                memcpy(c->surrogate[k], buf, (size_t)len);
                c->surrogate_len[k] = (size_t)len;
            }
        }
        XGBoosterFree(b);
    }
    XGDMatrixFree(dm);
    free(lab);
    return rc;
}

int ecgx_clusters_surrogate_predict(const ecgx_clusters *c, const float *x, int n, int dim, float *prob)
{
    return ecgx_clusters_surrogate_predict_ex(c, x, n, dim, 0, prob);
}

int ecgx_clusters_surrogate_predict_ex(const ecgx_clusters *c, const float *x, int n, int dim, int rounds, float *prob)
{
    int C = c->n_classes;
    for (int k = 0; k < C; k++)
        if (!c->surrogate[k]) return ecgx_error(ECGX_ERR_STATE, "clusters: no surrogate for class %d in the clusters file", k);
    DMatrixHandle dm = NULL;
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, (bst_ulong)dim, -1e30f, &dm)) return xgb_fail("DMatrix");
    int rc = 0;
    for (int k = 0; k < C && !rc; k++) {
        BoosterHandle b = NULL;
        if (XGBoosterCreate(NULL, 0, &b)) {
            rc = xgb_fail("create");
            break;
        }
        if (XGBoosterLoadModelFromBuffer(b, c->surrogate[k], (bst_ulong)c->surrogate_len[k])) rc = xgb_fail("load");
        bst_ulong len = 0;
        const float *out = NULL;
        if (!rc && XGBoosterSetParam(b, "nthread", "1")) rc = xgb_fail("parameter");
        if (!rc && XGBoosterPredict(b, dm, 0, (unsigned)(rounds > 0 ? rounds : 0), 0, &len, &out)) rc = xgb_fail("predict");
        if (!rc && len != (bst_ulong)n) rc = ecgx_error(ECGX_ERR_STATE, "clusters: surrogate gave %llu predictions for %d records", (unsigned long long)len, n);
        for (int i = 0; i < n && !rc; i++) prob[(size_t)i * C + k] = out[i];
        XGBoosterFree(b);
    }
    XGDMatrixFree(dm);
    return rc;
}
