/* Evaluation of fitted clusters on a split: the surrogate against the CNN's
 * thresholded calls (fidelity per class, overall over every record x class
 * decision, and exact over whole records), both against the true labels
 * (AUROC per class and macro over the classes with both labels present,
 * accuracy at the thresholds: the CNN's own, the surrogate's 0.5 as it was
 * trained to output the call), the clusters against the delineated waves
 * (NMI, purity), and entropy and proportions per true class. */
#include "clusters/internal.h"
#include "ecgx/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecgx_clusters_eval_free(ecgx_clusters_eval *e)
{
    free(e->contingency);
    free(e->class_proportion);
    free(e->proportion);
    memset(e, 0, sizeof *e);
}

static double auroc_of(const float *s, const float *y, int n, int C, int k)
{
    double *sc = malloc(sizeof(double) * (size_t)n);
    uint8_t *lb = malloc((size_t)n);
    double a = NAN;
    if (sc && lb) {
        for (int i = 0; i < n; i++) sc[i] = s[(size_t)i * C + k], lb[i] = y[(size_t)i * C + k] > 0.5f;
        if (ecgx_eval_auroc(sc, lb, n, &a) < 0) a = NAN;
    }
    free(sc), free(lb);
    return a;
}

int ecgx_clusters_evaluate(const ecgx_clusters *c, ecgx_model *m, const ecgx_dataset *ds, const char *split,
                           int quiet, ecgx_clusters_eval *e)
{
    memset(e, 0, sizeof *e);
    int K = c->gmm.k, C = c->n_classes, *idx = NULL, n = 0;
    int rc = ecgx_dataset_split(ds, split, &idx, &n);
    if (rc) return rc;
    if (n < 1) {
        free(idx);
        return ecgx_error(ECGX_ERR_ARG, "clusters: split '%s' has no records", split);
    }
    clusters_pass_out p;
    rc = clusters_pass(c, m, ds, idx, n, split, quiet, &p);
    free(idx);
    if (rc) return rc;
    float *sp = malloc(sizeof(float) * (size_t)n * C);
    e->contingency = calloc((size_t)K * ECGX_CW_N, sizeof(double));
    e->class_proportion = calloc((size_t)C * K + 1, sizeof(double));
    e->proportion = calloc((size_t)K, sizeof(double));
    if (!sp || !e->contingency || !e->class_proportion || !e->proportion) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    if (!rc && CLUSTERS_PER_WINDOW(c)) {
        /* per window, then the maximum over each record's windows */
        float *wp = malloc(sizeof(float) * (size_t)(p.n_win > 0 ? p.n_win : 1) * C);
        if (!wp) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
        if (!rc) rc = ecgx_clusters_surrogate_predict(c, p.wprop, p.n_win, clusters_window_dim(c), wp);
        for (int i = 0; i < n && !rc; i++)
            for (int k = 0; k < C; k++) {
                float mx = 0;
                for (int w = p.win_off[i]; w < p.win_off[i + 1]; w++) mx = fmaxf(mx, wp[(size_t)w * C + k]);
                sp[(size_t)i * C + k] = mx;
            }
        free(wp);
    } else if (!rc)
        rc = ecgx_clusters_surrogate_predict(c, p.sfeat, n, clusters_surrogate_dim(c), sp);
    if (!rc) {
        e->n_records = n;
        e->n_classes = C;
        e->k = K;
        const char *cl = c->classes;
        for (int k = 0; k < C; k++) {
            size_t l = strcspn(cl, ",");
            snprintf(e->class_names[k], sizeof e->class_names[k], "%.*s", (int)(l < 31 ? l : 31), cl);
            cl += l + (cl[l] == ',');
        }
        int64_t agree = 0, exact = 0, cnn_ok = 0, sur_ok = 0;
        for (int i = 0; i < n; i++) {
            int all = 1;
            for (int k = 0; k < C; k++) {
                size_t q = (size_t)i * C + k;
                int call = p.cnn[q] >= c->thresholds[k], s = sp[q] >= ecgx_clusters_surrogate_threshold(c, k), y = p.y[q] > 0.5f;
                agree += call == s;
                all &= call == s;
                e->fidelity_class[k] += call == s;
                cnn_ok += call == y;
                sur_ok += s == y;
            }
            exact += all;
        }
        e->fidelity = (double)agree / ((double)n * C);
        e->fidelity_exact = (double)exact / n;
        e->cnn_accuracy = (double)cnn_ok / ((double)n * C);
        e->surrogate_accuracy = (double)sur_ok / ((double)n * C);
        double ms = 0, mc = 0;
        int nd = 0;
        for (int k = 0; k < C; k++) {
            e->fidelity_class[k] /= n;
            e->surrogate_auroc[k] = auroc_of(sp, p.y, n, C, k);
            e->cnn_auroc[k] = auroc_of(p.cnn, p.y, n, C, k);
            if (isfinite(e->surrogate_auroc[k]) && isfinite(e->cnn_auroc[k])) {
                ms += e->surrogate_auroc[k];
                mc += e->cnn_auroc[k];
                nd++;
            }
        }
        e->surrogate_macro_auroc = nd ? ms / nd : NAN;
        e->cnn_macro_auroc = nd ? mc / nd : NAN;
        memcpy(e->contingency, p.contingency, sizeof(double) * (size_t)K * ECGX_CW_N);
        e->nmi_waves = ecgx_clusters_nmi(p.contingency, K, ECGX_CW_N);
        e->purity_waves = ecgx_clusters_purity(p.contingency, K, ECGX_CW_N);
        e->n_delineated = p.n_delineated;
        double h = 0;
        for (int i = 0; i < n; i++) {
            h += p.entropy[i];
            for (int j = 0; j < K; j++) e->proportion[j] += p.prop[(size_t)i * K + j] / n;
            for (int k = 0; k < C; k++)
                if (p.y[(size_t)i * C + k] > 0.5f) {
                    e->class_count[k]++;
                    e->class_entropy[k] += p.entropy[i];
                    for (int j = 0; j < K; j++) e->class_proportion[(size_t)k * K + j] += p.prop[(size_t)i * K + j];
                }
        }
        e->mean_entropy = h / n;
        for (int k = 0; k < C; k++) {
            e->class_entropy[k] = e->class_count[k] ? e->class_entropy[k] / e->class_count[k] : NAN;
            for (int j = 0; j < K; j++)
                e->class_proportion[(size_t)k * K + j] = e->class_count[k] ? e->class_proportion[(size_t)k * K + j] / e->class_count[k] : NAN;
        }
    }
    free(sp);
    clusters_pass_free(&p);
    if (rc) ecgx_clusters_eval_free(e);
    return rc;
}
