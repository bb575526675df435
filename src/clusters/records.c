/* One pass of fitted clusters over records of a data set: per record the
 * clusters (proportions, mean entropy), the CNN's probabilities (sliding
 * windows as the model was evaluated in training: its input_length and
 * window_stride metadata, max over windows), the true labels in the model's
 * class order, and the contingency of clusters against the delineated waves
 * at the model's rate. Shared by fitting (second pass: surrogate targets,
 * wave names) and evaluation. */
#include "clusters/internal.h"
#include "ecgx/progress.h"
#include "ecgx/xai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything of record i after its clusters are assigned: the CNN's windows
 * and probability, the true labels, the waves' contingency. */
static int one_record(const ecgx_clusters *c, ecgx_model *m, const ecgx_dataset *ds, clusters_pass_out *o, int i, int ds_idx,
                      const ecgx_record *rec, const float *x, int L, const ecgx_clusters_record *cr, int window,
                      int stride, const int *map, float *yr, uint8_t **wlp)
{
    int K = c->gmm.k, C = c->n_classes, rc = 0, Fw = clusters_window_dim(c);
    uint8_t *wl = *wlp;
    for (int j = 0; j < K; j++) o->prop[(size_t)i * K + j] = (float)cr->proportion[j];
    clusters_surrogate_features(c, cr, o->sfeat + (size_t)i * clusters_surrogate_dim(c));
    o->entropy[i] = cr->mean_entropy;
    int w = window > 0 && window <= L ? window : L, s = stride > 0 ? stride : w;
    int nw = ecgx_windows_count(L, w, s);
    if (nw != cr->n_windows && !(nw == 1 && cr->n_windows == 1))
        rc = ecgx_error(ECGX_ERR_STATE, "clusters: %d windows for the CNN, %d for the clusters", nw, cr->n_windows);
    if (!rc && o->n_win + nw > o->cap_win) {
        int cap = 2 * (o->n_win + nw) + 64;
        float *a = realloc(o->wprop, sizeof(float) * (size_t)cap * Fw), *b = a ? realloc(o->wlogit, sizeof(float) * (size_t)cap * C) : NULL;
        if (a) o->wprop = a;
        if (b) o->wlogit = b;
        if (!a || !b) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
        else o->cap_win = cap;
    }
    if (!rc) rc = ecgx_model_predict_windows(m, x, L, w, s, o->cnn + (size_t)i * C, o->wlogit + (size_t)o->n_win * C);
    if (!rc) {
        for (int q = 0; q < nw; q++) clusters_window_features(c, cr, q, o->wprop + (size_t)(o->n_win + q) * Fw);
        o->n_win += nw;
        o->win_off[i + 1] = o->n_win;
    }
    if (!rc) rc = ecgx_dataset_labels(ds, ds_idx, yr);
    if (!rc)
        for (int k = 0; k < C; k++) o->y[(size_t)i * C + k] = map[k] >= 0 ? yr[map[k]] : 0.0f;
    if (!rc) {
        ecgx_fiducials *fid = NULL;
        /* a record the delineator cannot read still has clusters; it only adds no wave counts */
        if (ecgx_xai_record_fiducials(rec, c->fs, &fid) == 0 && fid->n_beats > 0) {
            uint8_t *nwl = realloc(wl, (size_t)L);
            if (!nwl) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
            else {
                wl = nwl;
                ecgx_clusters_wave_labels(fid, L, wl);
                for (int t = 0; t < L; t++) o->contingency[(size_t)cr->cluster_model[t] * ECGX_CW_N + wl[t]] += 1;
                o->n_delineated++;
            }
        }
        ecgx_fiducials_free(fid);
    }
    *wlp = wl;
    if (rc) { /* name the record */
        ecgx_dataset_entry e;
        if (ecgx_dataset_record_info(ds, ds_idx, &e) == 0) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", ecgx_last_error());
            rc = ecgx_error(rc, "%s: %s", e.path, msg);
        }
    }
    return rc;
}

int clusters_pass(const ecgx_clusters *c, ecgx_model *m, const ecgx_dataset *ds, const int *idx, int n,
                  const char *label, int quiet, clusters_pass_out *o)
{
    int K = c->gmm.k, C = c->n_classes;
    memset(o, 0, sizeof *o);
    int F = clusters_surrogate_dim(c);
    o->prop = calloc((size_t)n * K + 1, sizeof(float));
    o->sfeat = calloc((size_t)n * F + 1, sizeof(float));
    o->entropy = calloc((size_t)n + 1, sizeof(double));
    o->cnn = calloc((size_t)n * C + 1, sizeof(float));
    o->y = calloc((size_t)n * C + 1, sizeof(float));
    o->contingency = calloc((size_t)K * ECGX_CW_N, sizeof(double));
    o->win_off = calloc((size_t)n + 1, sizeof(int));
    if (!o->win_off || !o->prop || !o->sfeat || !o->entropy || !o->cnn || !o->y || !o->contingency) {
        clusters_pass_free(o);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    const char *win = ecgx_model_meta(m, "input_length"), *st = ecgx_model_meta(m, "window_stride");
    int window = win ? atoi(win) : 0, stride = st ? atoi(st) : 0;
    /* data column of each model class */
    int map[16];
    for (int k = 0; k < C; k++) {
        char buf[64];
        ecgx_xai_class_name(m, k, buf, sizeof buf);
        map[k] = -1;
        for (int j = 0; j < ecgx_dataset_n_classes(ds); j++)
            if (!strcmp(ecgx_dataset_class_name(ds, j), buf)) map[k] = j;
    }
    float *yr = malloc(sizeof(float) * (size_t)(ecgx_dataset_n_classes(ds) + 1));
    uint8_t *wl = NULL;
    int rc = yr ? 0 : ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    ecgx_progress pb;
    ecgx_progress_begin(&pb, label, n, quiet);
    clusters_batch bt = {0};
    ecgx_clusters_record cr[CLUSTERS_BATCH];
    memset(cr, 0, sizeof cr);
    for (int i0 = 0; i0 < n && !rc;) {
        rc = clusters_batch_load(&bt, m, ds, idx, n, i0, clusters_batch_size());
        for (int j0 = 0, j1 = 0; j0 < bt.n && !rc; j0 = j1) {
            rc = clusters_batch_forward(&bt, m, ds, j0, &j1);
            /* every record of the batch first: the CNN's windows below run
             * forward passes of their own, which replace the activations */
            for (int j = j0; j < j1 && !rc; j++) rc = clusters_assign_forwarded(c, m, bt.L[j], j - j0, &cr[j]);
            for (int j = j0; j < j1 && !rc; j++)
                rc = one_record(c, m, ds, o, i0 + j, bt.idx[j], bt.rec[j], bt.x[j], bt.L[j], &cr[j], window, stride, map, yr, &wl);
        }
        for (int j = 0; j < CLUSTERS_BATCH; j++) ecgx_clusters_record_free(&cr[j]);
        i0 += bt.n;
        ecgx_progress_update(&pb, i0);
    }
    clusters_batch_free(&bt);
    ecgx_progress_end(&pb);
    free(yr);
    free(wl);
    o->n = n;
    if (rc) clusters_pass_free(o);
    return rc;
}

void clusters_pass_free(clusters_pass_out *o)
{
    free(o->prop);
    free(o->sfeat);
    free(o->wprop);
    free(o->wlogit);
    free(o->win_off);
    free(o->entropy);
    free(o->cnn);
    free(o->y);
    free(o->contingency);
    memset(o, 0, sizeof *o);
}
