/* One record's clusters: features, standardisation, posterior; per time step
 * the most probable cluster and the posterior's entropy; per record the
 * proportions and mean entropy. Computed at the model's rate (the model
 * input's samples) and brought back to the record's own rate: the cluster of
 * the nearest model sample, the entropy interpolated linearly. */
#include "clusters/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double clusters_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int clusters_layer_indices(const ecgx_clusters *c, const ecgx_model *m, int *idx)
{
    for (int l = 0; l < c->n_layers; l++) {
        idx[l] = ecgx_model_layer_find(m, c->layer_names[l]);
        if (idx[l] < 0) return ecgx_error(ECGX_ERR_ARG, "clusters: layer '%s' is not in the model", c->layer_names[l]);
    }
    return 0;
}

int clusters_posterior(const ecgx_clusters *c, const ecgx_model *m, const int *idx, int length, int b, float **resp)
{
    int D = 0;
    int rc = clusters_collect(m, idx, c->n_layers, length, b, NULL, &D, 0);
    if (rc) return rc;
    if (D != c->dim)
        return ecgx_error(ECGX_ERR_ARG, "clusters: the layers give %d features, the clusters were fitted on %d", D, c->dim);
    float *f = malloc(sizeof(float) * (size_t)length * D);
    *resp = malloc(sizeof(float) * (size_t)length * c->gmm.k);
    if (!f || !*resp) {
        free(f), free(*resp), *resp = NULL;
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    rc = clusters_collect(m, idx, c->n_layers, length, b, f, &D, 0);
    float *z = NULL;
    if (!rc) {
        ecgx_clusters_standardize(f, length, D, c->mean, c->sd);
        if (c->pca_dims > 0) {
            if (!(z = malloc(sizeof(float) * (size_t)length * c->pca_dims))) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
            else ecgx_clusters_project(f, length, D, c->pca, c->pca_dims, z);
        }
    }
    if (!rc) rc = ecgx_gmm_posterior(&c->gmm, z ? z : f, length, *resp, NULL);
    free(z);
    free(f);
    if (rc) free(*resp), *resp = NULL;
    return rc;
}

void ecgx_clusters_record_free(ecgx_clusters_record *r)
{
    if (!r) return;
    free(r->cluster);
    free(r->entropy);
    free(r->cluster_model);
    free(r->entropy_model);
    free(r->window_prop);
    free(r->window_extra);
    memset(r, 0, sizeof *r);
}

int ecgx_clusters_assign_input(const ecgx_clusters *c, ecgx_model *m, const float *x, int length,
                               ecgx_clusters_record *out)
{
    memset(out, 0, sizeof *out);
    int idx[ECGX_CLUSTERS_MAX_LAYERS], D = 0;
    int rc = clusters_layer_indices(c, m, idx);
    if (!rc) rc = ecgx_clusters_features(m, idx, c->n_layers, x, length, NULL, &D, 0); /* the forward pass */
    if (rc) return rc;
    return clusters_assign_forwarded(c, m, length, 0, out);
}

int clusters_assign_forwarded(const ecgx_clusters *c, const ecgx_model *m, int length, int b, ecgx_clusters_record *out)
{
    memset(out, 0, sizeof *out);
    int idx[ECGX_CLUSTERS_MAX_LAYERS], K = c->gmm.k;
    int rc = clusters_layer_indices(c, m, idx);
    float *resp = NULL;
    if (!rc) rc = clusters_posterior(c, m, idx, length, b, &resp);
    if (rc) return rc;
    out->k = K;
    out->n = out->n_model = length;
    out->fs = c->fs;
    out->cluster_model = malloc(sizeof(int) * (size_t)length);
    out->entropy_model = malloc(sizeof(float) * (size_t)length);
    out->cluster = malloc(sizeof(int) * (size_t)length);
    out->entropy = malloc(sizeof(float) * (size_t)length);
    if (!out->cluster_model || !out->entropy_model || !out->cluster || !out->entropy) {
        free(resp);
        ecgx_clusters_record_free(out);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    double hs = 0;
    for (int t = 0; t < length; t++) {
        const float *p = resp + (size_t)t * K;
        int best = 0;
        for (int j = 1; j < K; j++)
            if (p[j] > p[best]) best = j;
        out->cluster_model[t] = best;
        out->entropy_model[t] = (float)ecgx_clusters_entropy(p, K);
        out->proportion[best] += 1;
        hs += out->entropy_model[t];
    }
    for (int j = 0; j < K; j++) out->proportion[j] /= length;
    /* the largest proportion over the model's windows (as the CNN's calls are
     * the maximum over windows): starts 0, stride, ..., and one flush with
     * the end when the last window stops short of it */
    int W = c->window, S = c->stride > 0 ? c->stride : c->window;
    for (int j = 0; j < K; j++) out->window_max[j] = out->proportion[j];
    out->n_windows = W > 0 && W < length ? ecgx_windows_count(length, W, S) : 1;
    out->window_prop = malloc(sizeof(float) * (size_t)out->n_windows * K);
    out->window_extra = malloc(sizeof(float) * (size_t)out->n_windows * (K + 2));
    if (!out->window_prop || !out->window_extra) {
        free(resp);
        ecgx_clusters_record_free(out);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    if (out->n_windows == 1)
        for (int j = 0; j < K; j++) out->window_prop[j] = (float)out->proportion[j];
    else {
        int cnt[ECGX_CLUSTERS_MAX_K];
        for (int j = 0; j < K; j++) out->window_max[j] = 0;
        for (int w = 0; w < out->n_windows; w++) {
            int st = w * S + W <= length ? w * S : length - W; /* as ecgx_model_predict_windows */
            memset(cnt, 0, sizeof cnt);
            for (int t = st; t < st + W; t++) cnt[out->cluster_model[t]]++;
            for (int j = 0; j < K; j++) {
                out->window_prop[(size_t)w * K + j] = (float)cnt[j] / W;
                if ((double)cnt[j] / W > out->window_max[j]) out->window_max[j] = (double)cnt[j] / W;
            }
        }
    }
    /* soft proportions, entropy and changes of cluster per window: what the
     * hard proportions lose (how sure the assignment was, how fragmented) */
    for (int w = 0; w < out->n_windows; w++) {
        int st = 0, len = length;
        if (out->n_windows > 1) st = w * S + W <= length ? w * S : length - W, len = W;
        float *e = out->window_extra + (size_t)w * (K + 2);
        double acc[ECGX_CLUSTERS_MAX_K] = {0}, h = 0;
        int changes = 0;
        for (int t = st; t < st + len; t++) {
            const float *p = resp + (size_t)t * K;
            for (int j = 0; j < K; j++) acc[j] += p[j];
            h += out->entropy_model[t];
            changes += t > st && out->cluster_model[t] != out->cluster_model[t - 1];
        }
        for (int j = 0; j < K; j++) e[j] = (float)(acc[j] / len);
        e[K] = (float)(h / len);
        e[K + 1] = (float)changes / len;
    }
    out->mean_entropy = hs / length;
    memcpy(out->cluster, out->cluster_model, sizeof(int) * (size_t)length);
    memcpy(out->entropy, out->entropy_model, sizeof(float) * (size_t)length);
    free(resp);
    return 0;
}

int ecgx_clusters_assign_record(const ecgx_clusters *c, ecgx_model *m, const ecgx_record *rec,
                                ecgx_clusters_record *out)
{
    memset(out, 0, sizeof *out);
    float *x = NULL;
    int L = 0;
    double fs = 0;
    int rc = ecgx_model_prepare_record(m, rec, 0, &x, &L, &fs, NULL, 0);
    if (rc) return rc;
    if (fabs(fs - c->fs) > 1e-9 * c->fs) {
        free(x);
        return ecgx_error(ECGX_ERR_ARG, "clusters: fitted at %g Hz, the model runs at %g Hz", c->fs, fs);
    }
    rc = ecgx_clusters_assign_input(c, m, x, L, out);
    free(x);
    if (rc) return rc;
    int64_t n = rec->n_samples;
    int *cl = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    float *en = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!cl || !en) {
        free(cl), free(en);
        ecgx_clusters_record_free(out);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    double r = fs / rec->fs;
    for (int64_t i = 0; i < n; i++) {
        double u = i * r;
        int64_t j = (int64_t)floor(u + 0.5);
        if (j > L - 1) j = L - 1;
        cl[i] = out->cluster_model[j];
        int64_t a = (int64_t)floor(u);
        if (a >= L - 1) en[i] = out->entropy_model[L - 1];
        else {
            double f = u - a;
            en[i] = (float)((1 - f) * out->entropy_model[a] + f * out->entropy_model[a + 1]);
        }
    }
    free(out->cluster);
    free(out->entropy);
    out->cluster = cl;
    out->entropy = en;
    out->n = n;
    out->fs = rec->fs;
    return 0;
}
