/* Fitting over a data set, streamed: pass 1 reads every record of the split
 * once, adds all its time steps to the standardisation's sums and offers
 * every `step`-th one to a fixed-size reservoir (Vitter's algorithm R,
 * seeded), so memory is the reservoir's whatever the data set's size; the
 * mixture is fitted on the standardised reservoir (k chosen first by BIC on
 * a random subsample of it when not given). Pass 2 (records.c) assigns
 * every record with the fitted mixture to name the clusters by the wave
 * they cover most and to train the surrogate on the CNN's calls. */
#include "clusters/internal.h"
#include "core/rng.h"
#include "ecgx/eval.h"
#include "ecgx/progress.h"
#include "ecgx/xai.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecgx_clusters_options_default(ecgx_clusters_options *o)
{
    memset(o, 0, sizeof *o);
    o->k_min = 4;
    o->k_max = 20;
    o->max_points = 100000;
    o->select_points = 10000;
    o->step = 2;
    o->pca_dims = 32;
    o->seed = 1;
    o->split = "train";
    o->surrogate = 1;
    /* the surrogate's defaults were chosen by 10-fold cross-validation inside
     * the PTB-XL training split (docs/clusters.md), never on validation */
    o->surrogate_features = 4;
    o->surrogate_target = 1;
    o->surrogate_rounds = 800;
}

static int resolve_layers(const ecgx_model *m, const char *names, ecgx_clusters *c, int *idx)
{
    if (!names || !*names) {
        c->n_layers = ecgx_clusters_default_layers(m, 3, idx);
        if (c->n_layers < 1) return ecgx_error(ECGX_ERR_ARG, "clusters: the model has no residual blocks; name layers with --layers");
    } else {
        c->n_layers = 0;
        const char *p = names;
        while (*p) {
            size_t l = strcspn(p, ",");
            if (c->n_layers >= ECGX_CLUSTERS_MAX_LAYERS || l >= sizeof c->layer_names[0])
                return ecgx_error(ECGX_ERR_ARG, "clusters: too many or too long layer names in '%s'", names);
            memcpy(c->layer_names[c->n_layers], p, l);
            c->layer_names[c->n_layers][l] = 0;
            idx[c->n_layers] = ecgx_model_layer_find(m, c->layer_names[c->n_layers]);
            if (idx[c->n_layers] < 0) return ecgx_error(ECGX_ERR_ARG, "clusters: no layer '%s' in the model", c->layer_names[c->n_layers]);
            c->n_layers++;
            p += l + (p[l] == ',');
        }
        if (!c->n_layers) return ecgx_error(ECGX_ERR_ARG, "clusters: empty --layers");
    }
    for (int l = 0; l < c->n_layers; l++)
        snprintf(c->layer_names[l], sizeof c->layer_names[l], "%s", ecgx_model_layer_name(m, idx[l]));
    return 0;
}

/* Pass 1: sums over every step, reservoir of every step-th one. */
static int pass1(ecgx_model *m, const ecgx_dataset *ds, const int *rec_idx, int n, const int *idx, int n_layers,
                 const ecgx_clusters_options *o, ecgx_clusters_moments *mom, float **res, int64_t *n_res,
                 int *dim, ecgx_clusters_fit_info *info)
{
    int D = 0, rc = 0;
    float *feat = NULL, *R = NULL;
    int64_t cap = o->max_points, seen = 0, filled = 0;
    size_t feat_cap = 0;
    ecgx_rng rng;
    ecgx_rng_seed(&rng, o->seed, 0x726573ull);
    ecgx_progress pb;
    ecgx_progress_begin(&pb, "clusters pass 1", n, o->quiet);
    clusters_batch bt = {0};
    for (int i = 0; i < n && !rc;) {
        rc = clusters_batch_load(&bt, m, ds, rec_idx, n, i, clusters_batch_size());
        for (int j0 = 0, j1 = 0; j0 < bt.n && !rc; j0 = j1) {
            rc = clusters_batch_forward(&bt, m, ds, j0, &j1);
            for (int j = j0; j < j1 && !rc; j++) {
                int L = bt.L[j], d = 0;
                rc = clusters_collect(m, idx, n_layers, L, j - j0, NULL, &d, 0);
                if (!rc && !D) {
                    D = d;
                    rc = ecgx_clusters_moments_init(mom, D);
                    if (!rc && !(R = malloc(sizeof(float) * (size_t)cap * D)))
                        rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory for a reservoir of %lld x %d", (long long)cap, D);
                }
                if (!rc && (size_t)L * D > feat_cap) {
                    free(feat);
                    feat_cap = (size_t)L * D;
                    if (!(feat = malloc(sizeof(float) * feat_cap))) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
                }
                if (!rc) rc = clusters_collect(m, idx, n_layers, L, j - j0, feat, &d, 0);
                if (!rc) {
                    ecgx_clusters_moments_add(mom, feat, L);
                    for (int t = 0; t < L; t += o->step) {
                        int64_t slot = -1;
                        if (filled < cap) slot = filled++;
                        else {
                            int64_t r = (int64_t)(ecgx_rng_uniform(&rng) * (double)(seen + 1));
                            if (r < cap) slot = r;
                        }
                        seen++;
                        if (slot >= 0) memcpy(R + (size_t)slot * D, feat + (size_t)t * D, sizeof(float) * (size_t)D);
                    }
                }
            }
        }
        i += bt.n;
        ecgx_progress_update(&pb, i);
    }
    clusters_batch_free(&bt);
    ecgx_progress_end(&pb);
    free(feat);
    if (rc) {
        free(R);
        return rc;
    }
    *res = R;
    *n_res = filled;
    *dim = D;
    info->n_steps_seen = seen;
    info->reservoir_mib = (double)cap * D * sizeof(float) / (1024.0 * 1024.0);
    return 0;
}

/* BIC over k_min..k_max on a random subsample of the reservoir. */
static int choose_k(const float *R, int64_t n, int D, const ecgx_clusters_options *o, ecgx_clusters *c,
                    ecgx_clusters_fit_info *info, int *k_out)
{
    int64_t m = o->select_points < n ? o->select_points : n;
    float *S = malloc(sizeof(float) * (size_t)m * D);
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)n);
    if (!S || !perm) {
        free(S), free(perm);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    ecgx_rng rng;
    ecgx_rng_seed(&rng, o->seed, 0x73656cull);
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = 0; i < m; i++) { /* partial Fisher-Yates */
        int64_t j = i + (int64_t)(ecgx_rng_uniform(&rng) * (double)(n - i));
        if (j >= n) j = n - 1;
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        memcpy(S + (size_t)i * D, R + (size_t)perm[i] * D, sizeof(float) * (size_t)D);
    }
    free(perm);
    ecgx_gmm_options go;
    ecgx_gmm_options_default(&go);
    go.seed = o->seed;
    go.max_iter = 50; /* the scan compares k, it does not need the last digits */
    int best = -1, rc = 0;
    double best_bic = INFINITY;
    char rule[128];
    int len = snprintf(rule, sizeof rule, "BIC on %lld steps over k = %d..%d", (long long)m, o->k_min, o->k_max);
    (void)len;
    info->n_k_tried = 0;
    for (int k = o->k_min; k <= o->k_max && !rc; k++) {
        ecgx_gmm g;
        double ll;
        rc = ecgx_gmm_fit(S, m, D, k, &go, &g, &ll, NULL);
        if (rc) break;
        double bic = ecgx_gmm_bic(&g, ll, m);
        ecgx_gmm_free(&g);
        if (info->n_k_tried < ECGX_CLUSTERS_MAX_K) {
            info->k_tried[info->n_k_tried] = k;
            info->bic_tried[info->n_k_tried++] = bic;
        }
        if (!o->quiet) fprintf(stderr, "clusters: k = %d, BIC %.6g\n", k, bic);
        if (bic < best_bic) best_bic = bic, best = k;
    }
    free(S);
    if (rc) return rc;
    snprintf(c->k_rule, sizeof c->k_rule, "%s", rule);
    *k_out = best;
    return 0;
}

int ecgx_clusters_fit(ecgx_model *m, const ecgx_dataset *ds, const ecgx_clusters_options *opt, ecgx_clusters **out,
                      ecgx_clusters_fit_info *info)
{
    *out = NULL;
    ecgx_clusters_options o;
    if (opt) o = *opt;
    else ecgx_clusters_options_default(&o);
    ecgx_clusters_fit_info tmp_info;
    if (!info) info = &tmp_info;
    memset(info, 0, sizeof *info);
    if (o.k < 0 || o.k > ECGX_CLUSTERS_MAX_K) return ecgx_error(ECGX_ERR_ARG, "clusters: k = %d (1 to %d, or 0 to choose)", o.k, ECGX_CLUSTERS_MAX_K);
    if (!o.k && (o.k_min < 1 || o.k_max < o.k_min || o.k_max > ECGX_CLUSTERS_MAX_K))
        return ecgx_error(ECGX_ERR_ARG, "clusters: k range %d..%d (within 1..%d)", o.k_min, o.k_max, ECGX_CLUSTERS_MAX_K);
    if (o.max_points < 100 || o.step < 1 || o.select_points < 100)
        return ecgx_error(ECGX_ERR_ARG, "clusters: max_points/select_points at least 100, step at least 1");
    if (o.surrogate_rounds < 0 || o.surrogate_rounds > 100000)
        return ecgx_error(ECGX_ERR_ARG, "clusters: %d surrogate rounds (1 to 100000, or 0 for 300)", o.surrogate_rounds);
    int C = ecgx_model_n_classes(m);
    if (C > 16) return ecgx_error(ECGX_ERR_UNSUPPORTED, "clusters: %d classes (at most 16)", C);
    const char *fs = ecgx_model_meta(m, "fs");
    ecgx_clusters *c = calloc(1, sizeof *c);
    if (!c) return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    c->fs = fs ? atof(fs) : 100;
    c->n_classes = C;
    for (int k = 0; k < C; k++) {
        char b[64];
        size_t l = strlen(c->classes);
        snprintf(c->classes + l, sizeof c->classes - l, "%s%s", k ? "," : "", ecgx_xai_class_name(m, k, b, sizeof b));
    }
    c->model_hash = ecgx_clusters_model_hash(m);
    const char *win = ecgx_model_meta(m, "input_length"), *st = ecgx_model_meta(m, "window_stride");
    c->window = win ? atoi(win) : 0;
    c->stride = st ? atoi(st) : 0;
    if (c->window < 0 || c->stride < 0) c->window = c->stride = 0;
    c->surrogate_target = o.surrogate_target == 1;
    c->surrogate_features = o.surrogate_features >= 1 && o.surrogate_features <= 4 ? o.surrogate_features : 4;
    int idx[ECGX_CLUSTERS_MAX_LAYERS], *rec = NULL, n = 0, D = 0;
    int rc = resolve_layers(m, o.layers, c, idx);
    if (!rc) rc = ecgx_dataset_split(ds, o.split ? o.split : "train", &rec, &n);
    if (!rc && n < 2) rc = ecgx_error(ECGX_ERR_ARG, "clusters: split '%s' has %d records", o.split, n);
    float *R = NULL;
    int64_t nR = 0;
    ecgx_clusters_moments mom = {0};
    double t0 = clusters_now();
    /* pass 1 on every record, or on fit_records of them drawn by seed (kept in
     * data set order, so the reservoir's draws do not depend on the draw) */
    int *sub = NULL, nsub = n;
    if (!rc && o.fit_records > 0 && o.fit_records < n) {
        nsub = o.fit_records;
        int *perm = malloc(sizeof(int) * (size_t)n);
        sub = malloc(sizeof(int) * (size_t)n);
        if (!perm || !sub) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
        else {
            ecgx_rng rr;
            ecgx_rng_seed(&rr, o.seed, 0x737562ull);
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = 0; i < nsub; i++) {
                int j = i + (int)(ecgx_rng_uniform(&rr) * (n - i));
                if (j >= n) j = n - 1;
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            char *take = calloc((size_t)n, 1);
            if (!take) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
            else {
                for (int i = 0; i < nsub; i++) take[perm[i]] = 1;
                int q = 0;
                for (int i = 0; i < n; i++)
                    if (take[i]) sub[q++] = rec[i];
                free(take);
            }
        }
        free(perm);
    }
    if (!rc) rc = pass1(m, ds, sub ? sub : rec, nsub, idx, c->n_layers, &o, &mom, &R, &nR, &D, info);
    free(sub);
    info->seconds_features = clusters_now() - t0;
    info->n_records = n;
    info->n_records_pass1 = nsub;
    if (!rc && nR < (o.k ? o.k : o.k_max) * 10)
        rc = ecgx_error(ECGX_ERR_ARG, "clusters: only %lld time steps to fit on", (long long)nR);
    if (!rc) {
        c->dim = D;
        c->mean = malloc(sizeof(float) * (size_t)D);
        c->sd = malloc(sizeof(float) * (size_t)D);
        if (!c->mean || !c->sd) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    if (!rc) {
        ecgx_clusters_moments_finish(&mom, c->mean, c->sd);
        ecgx_clusters_standardize(R, nR, D, c->mean, c->sd);
    }
    ecgx_clusters_moments_free(&mom);
    int G = D;
    if (!rc && o.pca_dims > 0) {
        /* the mixture sees the principal components (pca.c says why) */
        G = o.pca_dims < D ? o.pca_dims : D;
        c->pca_dims = G;
        float *Z = NULL;
        if (!(c->pca = malloc(sizeof(float) * (size_t)D * G)) || !(Z = malloc(sizeof(float) * (size_t)nR * G)))
            rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
        if (!rc) rc = ecgx_clusters_pca(R, nR, D, G, c->pca, &c->pca_explained);
        if (!rc) {
            ecgx_clusters_project(R, nR, D, c->pca, G, Z);
            free(R);
            R = Z;
        } else free(Z);
    }
    int K = o.k;
    t0 = clusters_now();
    if (!rc && !K) rc = choose_k(R, nR, G, &o, c, info, &K);
    else if (!rc) snprintf(c->k_rule, sizeof c->k_rule, "given");
    info->seconds_select = clusters_now() - t0;
    t0 = clusters_now();
    if (!rc) {
        ecgx_gmm_options go;
        ecgx_gmm_options_default(&go);
        go.seed = o.seed;
        rc = ecgx_gmm_fit(R, nR, G, K, &go, &c->gmm, &c->loglik, NULL);
        if (!rc) c->bic = ecgx_gmm_bic(&c->gmm, c->loglik, nR);
        c->n_points = nR;
        c->n_records = n;
    }
    info->seconds_em = clusters_now() - t0;
    free(R);
    for (int j = 0; j < ECGX_CLUSTERS_MAX_K; j++) c->wave_of[j] = -1;
    t0 = clusters_now();
    if (!rc) {
        clusters_pass_out p;
        rc = clusters_pass(c, m, ds, rec, n, "clusters pass 2", o.quiet, &p);
        if (!rc) {
            for (int j = 0; j < K; j++) {
                int best = -1;
                double mx = 0;
                for (int w = 0; w < ECGX_CW_N; w++)
                    if (p.contingency[(size_t)j * ECGX_CW_N + w] > mx) mx = p.contingency[(size_t)j * ECGX_CW_N + w], best = w;
                c->wave_of[j] = best;
            }
            /* the CNN's thresholds: its own, else Youden's on these (training) records */
            double mth[16];
            int have_th = ecgx_model_thresholds(m, mth, NULL) == 1;
            double *sc = malloc(sizeof(double) * (size_t)n);
            uint8_t *lb = malloc((size_t)n);
            float *calls = malloc(sizeof(float) * (size_t)n * C);
            if (!sc || !lb || !calls) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
            for (int k = 0; k < C && !rc; k++) {
                c->thresholds[k] = 0.5;
                if (have_th) {
                    c->thresholds[k] = mth[k];
                    continue;
                }
                for (int i = 0; i < n; i++) sc[i] = p.cnn[(size_t)i * C + k], lb[i] = p.y[(size_t)i * C + k] > 0.5f;
                if (ecgx_eval_choose_threshold(sc, lb, n, ECGX_THRESHOLD_YOUDEN, 0, &c->thresholds[k]) < 0)
                    c->thresholds[k] = 0.5;
            }
            for (int i = 0; i < n && !rc; i++)
                for (int k = 0; k < C; k++) calls[(size_t)i * C + k] = p.cnn[(size_t)i * C + k] >= c->thresholds[k];
            double t_trees = clusters_now();
            if (!rc && o.surrogate && CLUSTERS_PER_WINDOW(c)) {
                /* per window: the CNN's call on the window (its probability at the class's threshold);
                 * a record is called when any window is, as max over windows does */
                float *wc = malloc(sizeof(float) * (size_t)(p.n_win > 0 ? p.n_win : 1) * C);
                if (!wc) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
                for (int w = 0; w < p.n_win && !rc; w++)
                    for (int k = 0; k < C; k++) {
                        double pr = 1.0 / (1.0 + exp(-(double)p.wlogit[(size_t)w * C + k]));
                        wc[(size_t)w * C + k] = c->surrogate_target == 1 ? (float)pr : (float)(pr >= c->thresholds[k]);
                    }
                if (!rc) rc = ecgx_clusters_surrogate_train_ex(c, p.wprop, p.n_win, clusters_window_dim(c), wc, o.surrogate_rounds, o.seed);
                free(wc);
            } else if (!rc && o.surrogate)
                rc = ecgx_clusters_surrogate_train_ex(c, p.sfeat, n, clusters_surrogate_dim(c),
                                                      c->surrogate_target == 1 ? p.cnn : calls, o.surrogate_rounds, o.seed);
            info->seconds_trees = clusters_now() - t_trees;
            free(sc), free(lb), free(calls);
            clusters_pass_free(&p);
        }
    }
    info->seconds_surrogate = clusters_now() - t0;
    free(rec);
    if (rc) {
        ecgx_clusters_free(c);
        return rc;
    }
    *out = c;
    return 0;
}
