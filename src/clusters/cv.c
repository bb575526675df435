/* Cross-validated fidelity of the surrogate, with the clusters held fixed:
 * one pass over the records (their cluster features, the CNN's windows and
 * probabilities), records split into `folds` folds by seed, and for each
 * fold the surrogate trained on the other folds' records and scored on the
 * fold's. Two uses:
 *   - choosing the surrogate's settings inside the training split (split
 *     "train"): both targets (the CNN's calls, its probabilities) and the
 *     number of boosting rounds, read off one booster per fold and class at
 *     several checkpoints (XGBoost predicts from the first r trees), so the
 *     validation records are never looked at;
 *   - the paper's protocol (Boubekki et al.: 10-fold CV over all records),
 *     e.g. split "train,val".
 * The mixture itself is not refitted per fold: it is unsupervised (it never
 * sees the CNN's outputs), and refitting it ten times would cost ten
 * fits. */
#include "clusters/internal.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int ecgx_clusters_cv_rounds[ECGX_CLUSTERS_CV_NR] = {100, 200, 300, 500, 800};

int ecgx_clusters_cv_folds(int n, int folds, uint64_t seed, int *fold)
{
    if (n < folds || folds < 2) return ecgx_error(ECGX_ERR_ARG, "clusters: %d folds over %d records", folds, n);
    int *perm = malloc(sizeof(int) * (size_t)n);
    if (!perm) return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    ecgx_rng r;
    ecgx_rng_seed(&r, seed, 0x6376ull);
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(ecgx_rng_uniform(&r) * (i + 1));
        if (j > i) j = i;
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    /* dealt round-robin in shuffled order: sizes differ by at most one */
    for (int i = 0; i < n; i++) fold[perm[i]] = i % folds;
    free(perm);
    return 0;
}

/* Indices of a comma-separated list of splits, concatenated. */
static int splits_of(const ecgx_dataset *ds, const char *splits, int **idx, int *n)
{
    *idx = NULL;
    *n = 0;
    const char *p = splits;
    while (*p) {
        char name[64];
        size_t l = strcspn(p, ",");
        if (l == 0 || l >= sizeof name) return ecgx_error(ECGX_ERR_ARG, "clusters: bad split list '%s'", splits);
        memcpy(name, p, l);
        name[l] = 0;
        int *s = NULL, m = 0;
        int rc = ecgx_dataset_split(ds, name, &s, &m);
        if (rc) return free(*idx), *idx = NULL, rc;
        int *all = realloc(*idx, sizeof(int) * (size_t)(*n + m + 1));
        if (!all) return free(s), free(*idx), *idx = NULL, ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
        memcpy(all + *n, s, sizeof(int) * (size_t)m);
        free(s);
        *idx = all;
        *n += m;
        p += l + (p[l] == ',');
    }
    return 0;
}

void ecgx_clusters_cv_options_default(ecgx_clusters_cv_options *o)
{
    memset(o, 0, sizeof *o);
    o->folds = 10;
    o->seed = 1;
    o->splits = "train";
}

int ecgx_clusters_cross_validate(const ecgx_clusters *c, ecgx_model *m, const ecgx_dataset *ds,
                                 const ecgx_clusters_cv_options *opt, ecgx_clusters_cv *out)
{
    memset(out, 0, sizeof *out);
    ecgx_clusters_cv_options o;
    if (opt) o = *opt;
    else ecgx_clusters_cv_options_default(&o);
    if (o.folds < 2 || o.folds > ECGX_CLUSTERS_CV_MAX_FOLDS)
        return ecgx_error(ECGX_ERR_ARG, "clusters: %d folds (2 to %d)", o.folds, ECGX_CLUSTERS_CV_MAX_FOLDS);
    /* the features to cross-validate: c's, or the mode the options name */
    ecgx_clusters cc = *c;
    if (o.surrogate_features >= 1 && o.surrogate_features <= 4) cc.surrogate_features = o.surrogate_features;
    c = &cc;
    int C = c->n_classes, *idx = NULL, n = 0;
    int rc = splits_of(ds, o.splits, &idx, &n);
    if (rc) return rc;
    int *fold = malloc(sizeof(int) * (size_t)(n + 1));
    if (!fold) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    if (!rc) rc = ecgx_clusters_cv_folds(n, o.folds, o.seed, fold);
    clusters_pass_out p;
    memset(&p, 0, sizeof p);
    if (!rc) rc = clusters_pass(c, m, ds, idx, n, "clusters cv", o.quiet, &p);
    free(idx);
    if (rc) return free(fold), rc;
    int win = CLUSTERS_PER_WINDOW(c), F = win ? clusters_window_dim(c) : clusters_surrogate_dim(c);
    int rows = win ? p.n_win : n;
    const float *X = win ? p.wprop : p.sfeat;
    float *xtr = malloc(sizeof(float) * (size_t)rows * F + 1), *ytr = malloc(sizeof(float) * (size_t)rows * C + 1);
    float *xte = malloc(sizeof(float) * (size_t)rows * F + 1), *pr = malloc(sizeof(float) * (size_t)rows * C + 1);
    int *te_rec = malloc(sizeof(int) * (size_t)rows + 1);
    float *rp = malloc(sizeof(float) * (size_t)C + 1);
    if (!xtr || !ytr || !xte || !pr || !te_rec || !rp) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    out->folds = o.folds;
    out->n_records = n;
    /* agreement counts [target][rounds checkpoint][fold] */
    static const int NR = ECGX_CLUSTERS_CV_NR;
    double agree[2][ECGX_CLUSTERS_CV_NR][ECGX_CLUSTERS_CV_MAX_FOLDS];
    double total[ECGX_CLUSTERS_CV_MAX_FOLDS];
    memset(agree, 0, sizeof agree);
    memset(total, 0, sizeof total);
    for (int f = 0; f < o.folds && !rc; f++) {
        for (int target = 0; target < 2 && !rc; target++) {
            int ntr = 0, nte = 0;
            for (int i = 0; i < n; i++) {
                int r0 = win ? p.win_off[i] : i, r1 = win ? p.win_off[i + 1] : i + 1;
                for (int r = r0; r < r1; r++) {
                    if (fold[i] == f) {
                        memcpy(xte + (size_t)nte * F, X + (size_t)r * F, sizeof(float) * (size_t)F);
                        te_rec[nte++] = i;
                        continue;
                    }
                    memcpy(xtr + (size_t)ntr * F, X + (size_t)r * F, sizeof(float) * (size_t)F);
                    for (int k = 0; k < C; k++) {
                        double q = win ? 1.0 / (1.0 + exp(-(double)p.wlogit[(size_t)r * C + k])) : p.cnn[(size_t)i * C + k];
                        ytr[(size_t)ntr * C + k] = target == 1 ? (float)q : (float)(q >= c->thresholds[k]);
                    }
                    ntr++;
                }
            }
            /* a scratch copy of c: same thresholds and features, its own boosters */
            ecgx_clusters t = *c;
            memset(t.surrogate, 0, sizeof t.surrogate);
            memset(t.surrogate_len, 0, sizeof t.surrogate_len);
            t.surrogate_target = target;
            rc = ecgx_clusters_surrogate_train_ex(&t, xtr, ntr, F, ytr, ecgx_clusters_cv_rounds[NR - 1], o.seed);
            for (int q = 0; q < NR && !rc; q++) {
                rc = ecgx_clusters_surrogate_predict_ex(&t, xte, nte, F, ecgx_clusters_cv_rounds[q], pr);
                /* a record's probability: the maximum over its windows */
                for (int a = 0; a < nte && !rc;) {
                    int i = te_rec[a];
                    for (int k = 0; k < C; k++) rp[k] = 0;
                    for (; a < nte && te_rec[a] == i; a++)
                        for (int k = 0; k < C; k++) rp[k] = fmaxf(rp[k], pr[(size_t)a * C + k]);
                    for (int k = 0; k < C; k++) {
                        int call = p.cnn[(size_t)i * C + k] >= c->thresholds[k];
                        int s = rp[k] >= ecgx_clusters_surrogate_threshold(&t, k);
                        agree[target][q][f] += call == s;
                        if (target == 0 && q == 0) total[f] += 1;
                    }
                }
            }
            for (int k = 0; k < 16; k++) free(t.surrogate[k]);
        }
        if (!o.quiet) fprintf(stderr, "clusters cv: fold %d/%d done\n", f + 1, o.folds);
    }
    for (int target = 0; target < 2 && !rc; target++)
        for (int q = 0; q < NR; q++) {
            double s = 0, s2 = 0, a = 0, t = 0;
            for (int f = 0; f < o.folds; f++) {
                double v = total[f] > 0 ? agree[target][q][f] / total[f] : 0;
                out->fold_fidelity[target][q][f] = v;
                s += v, s2 += v * v, a += agree[target][q][f], t += total[f];
            }
            out->fidelity_mean[target][q] = s / o.folds;
            double var = (s2 - s * s / o.folds) / (o.folds - 1);
            out->fidelity_sd[target][q] = var > 0 ? sqrt(var) : 0;
            out->fidelity_pooled[target][q] = t > 0 ? a / t : 0;
        }
    free(xtr), free(ytr), free(xte), free(pr), free(te_rec), free(rp), free(fold);
    clusters_pass_free(&p);
    return rc;
}
