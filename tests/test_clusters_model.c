/* The clusters module on a real network (the shipped resnet1d_wang) and on
 * synthetic ECGs with exact fiducials:
 *   - the default layers are the three residual blocks' outputs;
 *   - time alignment, two ways that each fail when the deepest layer's time
 *     axis is off by one of its steps (4 input samples):
 *       (a) the deepest layer's step j lands exactly on input sample 4j and
 *           the middle one's on 2j (derived by hand from the architecture:
 *           odd kernels, symmetric padding, strides 2 and 2), bit for bit;
 *       (b) an impulse at input sample t0 changes the deepest layer's aligned
 *           features over a stretch centred on t0 (the receptive field is
 *           symmetric), to within one sample;
 *   - the whole pipeline on a synthetic data set: fit (mixture, wave names,
 *     surrogate), save/load round trip, the NMI of the clusters against the
 *     TRUE P/QRS/T/TP segments of fresh synthetic records, evaluation;
 *   - batching: a record's aligned activations read from a batch of three
 *     (clusters_collect's sample index) equal those of the record forwarded
 *     alone, to float rounding (the fitting passes run batches);
 *   - bad input: a clusters file from another model, a damaged or foreign
 *     file, each a clear error naming the file. */
#include "check.h"
#include "clusters/internal.h"
#include "ecgx/clusters.h"
#include "ecgx/synth.h"

#include <math.h>
#include <stdint.h>
#include <unistd.h>

#define MODEL "models/resnet1d_wang_ptbxl_superdiag.safetensors"

static ecgx_model *m;
static int layers[3];
static const char *tmp;

static void test_default_layers(void)
{
    CHECK(ecgx_clusters_default_layers(m, 3, layers) == 3);
    CHECK(!strcmp(ecgx_model_layer_name(m, layers[0]), "3.0.relu2"));
    CHECK(!strcmp(ecgx_model_layer_name(m, layers[1]), "4.0.relu2"));
    CHECK(!strcmp(ecgx_model_layer_name(m, layers[2]), "5.0.relu2"));
}

/* Max |feat[a*j + off][channel block] - A[c][j]| over interior steps. */
static double placement_error(const float *feat, int D, int L, int layer, int coff, int a)
{
    int C, T;
    const float *A = ecgx_model_activation(m, layer, NULL, &C, &T);
    double e = 0;
    for (int j = 2; j < T - 2; j++)
        for (int c = 0; c < C; c++) e = fmax(e, fabs(feat[(size_t)(a * j) * D + coff + c] - A[(size_t)c * T + j]));
    (void)L;
    return e;
}

static void test_alignment_exact(void)
{
    int L = 1000, D = 0;
    float *x = malloc(sizeof(float) * 12 * L), *f = malloc(sizeof(float) * (size_t)L * 384);
    uint64_t s = 3;
    for (int i = 0; i < 12 * L; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 11) * 0x1.0p-53 * 2 - 1) + (float)sin(i * 0.05);
    }
    CHECK_OK(ecgx_clusters_features(m, layers, 3, x, L, f, &D, 0));
    CHECK(D == 384);
    /* the activations stay in the model after the call */
    CHECK(placement_error(f, D, L, layers[0], 0, 1) == 0);
    CHECK(placement_error(f, D, L, layers[1], 128, 2) == 0);
    CHECK(placement_error(f, D, L, layers[2], 256, 4) == 0);
    /* one deepest step off: the same check sees it */
    CHECK_OK(ecgx_clusters_features(m, layers, 3, x, L, f, &D, 1));
    double e = placement_error(f, D, L, layers[2], 256, 4);
    CHECK_MSG(e > 0.05, "a one-step shift of the deepest layer went unnoticed (error %g)", e);
    free(x), free(f);
}

/* Centre of the stretch where the deepest layer's aligned features respond
 * to an impulse at t0 (in input samples). */
static double impulse_centre(int t0, int shift)
{
    int L = 1000, D = 0;
    float *x = calloc((size_t)12 * L, sizeof(float)), *f0 = malloc(sizeof(float) * (size_t)L * 384),
          *f1 = malloc(sizeof(float) * (size_t)L * 384);
    ecgx_clusters_features(m, layers, 3, x, L, f0, &D, shift);
    for (int l = 0; l < 12; l++) x[l * L + t0] = 5.0f;
    ecgx_clusters_features(m, layers, 3, x, L, f1, &D, shift);
    double *d = calloc(L, sizeof(double)), mx = 0;
    for (int t = 0; t < L; t++) {
        for (int c = 256; c < 384; c++) d[t] += fabs(f1[(size_t)t * D + c] - f0[(size_t)t * D + c]);
        mx = fmax(mx, d[t]);
    }
    int lo = -1, hi = -1;
    for (int t = 0; t < L; t++)
        if (d[t] > 1e-6 * mx) {
            if (lo < 0) lo = t;
            hi = t;
        }
    free(x), free(f0), free(f1), free(d);
    return 0.5 * (lo + hi);
}

static void test_alignment_impulse(void)
{
    int t0s[3] = {400, 502, 611};
    for (int i = 0; i < 3; i++) {
        double c = impulse_centre(t0s[i], 0);
        CHECK_MSG(fabs(c - t0s[i]) <= 1.0, "impulse at %d: deepest layer responds around %.1f", t0s[i], c);
        double cs = impulse_centre(t0s[i], 1);
        CHECK_MSG(fabs(cs - t0s[i]) > 2.0, "shifted axis still centred (%.1f for %d)", cs, t0s[i]);
    }
}

/* A synthetic data set in tmp/syn: normal and a few conditions, 500 Hz. */
/* Three different 10 s inputs (noise plus a slow wave, different per record):
 * each alone, then all three as one batch; record b's features from the batch
 * must equal its features alone. Fails if the batch index picked another
 * record's activations (the records differ by far more than the tolerance). */
static void test_batched_activations(void)
{
    enum { L = 1000, B = 3 };
    int cin = ecgx_model_in_channels(m), D = 0;
    float *X = malloc(sizeof(float) * (size_t)B * cin * L);
    CHECK(X != NULL);
    uint64_t st = 12345;
    for (size_t i = 0; i < (size_t)B * cin * L; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        size_t b = i / ((size_t)cin * L), t = i % L;
        X[i] = (float)((double)(st >> 40) / (double)(1ull << 24) - 0.5) * 0.2f + (float)sin(0.01 * (double)t * (double)(b + 1));
    }
    CHECK_OK(ecgx_clusters_features(m, layers, 3, X, L, NULL, &D, 0));
    float *alone = malloc(sizeof(float) * (size_t)B * L * D), *batch = malloc(sizeof(float) * (size_t)L * D);
    CHECK(alone && batch);
    for (int b = 0; b < B; b++)
        CHECK_OK(ecgx_clusters_features(m, layers, 3, X + (size_t)b * cin * L, L, alone + (size_t)b * L * D, &D, 0));
    CHECK(ecgx_model_forward(m, X, B, L, NULL) >= 0);
    double worst = 0, scale = 0, other = 0;
    for (int b = 0; b < B; b++) {
        CHECK_OK(clusters_collect(m, layers, 3, L, b, batch, &D, 0));
        const float *a = alone + (size_t)b * L * D, *o = alone + (size_t)((b + 1) % B) * L * D;
        for (size_t i = 0; i < (size_t)L * D; i++) {
            worst = fmax(worst, fabs((double)batch[i] - a[i]));
            scale = fmax(scale, fabs((double)a[i]));
            other = fmax(other, fabs((double)batch[i] - o[i]));
        }
    }
    CHECK_MSG(worst <= 1e-5 * (1 + scale), "batched activations differ from single ones by %g (scale %g)", worst, scale);
    CHECK_MSG(other > 1e-2 * (1 + scale), "records indistinguishable (%g): the test could not fail", other);
    CHECK(clusters_collect(m, layers, 3, L, B, batch, &D, 0) != 0); /* past the batch: an error */
    printf("batched vs single activations: max |diff| %.3g (scale %.3g)\n", worst, scale);
    free(X), free(alone), free(batch);
}

static int make_synth_set(char *dir, size_t n)
{
    snprintf(dir, n, "%s/syn", tmp);
    ecgx_synth_dataset_options d;
    memset(&d, 0, sizeof d);
    d.n = 40;
    d.n_classes = 3;
    d.classes[0] = ECGX_SYNTH_FLAG(ecgx_synth_condition_from_name("normal"));
    d.classes[1] = ECGX_SYNTH_FLAG(ecgx_synth_condition_from_name("lbbb"));
    d.classes[2] = ECGX_SYNTH_FLAG(ecgx_synth_condition_from_name("ste"));
    d.base = ecgx_synth_options_default();
    d.base.vary = 1;
    d.base.seed = 11;
    d.quiet = 1;
    return ecgx_synth_write_dataset(dir, &d);
}

/* The per-window extras (surrogate mode 4) recomputed from the per-sample
 * clusters and entropies: soft proportions sum to one, the mean entropy and
 * the changes of cluster over each window's own samples. */
static void window_extra_check(const ecgx_clusters *c, const ecgx_clusters_record *cr)
{
    int K = cr->k, W = c->window, S = c->stride > 0 ? c->stride : c->window, L = cr->n_model;
    CHECK(cr->window_extra != NULL && cr->n_windows >= 1);
    double worst = 0;
    for (int w = 0; w < cr->n_windows; w++) {
        int st = 0, len = L;
        if (cr->n_windows > 1) st = w * S + W <= L ? w * S : L - W, len = W;
        const float *e = cr->window_extra + (size_t)w * (K + 2);
        double sum = 0, h = 0;
        int ch = 0;
        for (int j = 0; j < K; j++) sum += e[j];
        for (int t = st; t < st + len; t++) h += cr->entropy_model[t], ch += t > st && cr->cluster_model[t] != cr->cluster_model[t - 1];
        worst = fmax(worst, fabs(sum - 1));
        worst = fmax(worst, fabs(e[K] - h / len));
        worst = fmax(worst, fabs(e[K + 1] - (double)ch / len));
    }
    CHECK_MSG(worst < 1e-4, "window extras off by %g", worst);
}

/* NMI of the clusters of fresh synthetic records against their true waves. */
static double synth_nmi(const ecgx_clusters *c, int n_rec, double *purity)
{
    int K = c->gmm.k;
    double *t = calloc((size_t)K * ECGX_CW_N, sizeof(double));
    for (int r = 0; r < n_rec; r++) {
        ecgx_synth_options o = ecgx_synth_options_default();
        o.vary = 1;
        o.seed = 1000 + r;
        ecgx_record *rec = NULL;
        ecgx_fiducials *fid = NULL;
        ecgx_clusters_record cr;
        if (ecgx_synth_generate(&o, &rec, &fid, NULL) < 0 || ecgx_clusters_assign_record(c, m, rec, &cr) < 0) {
            CHECK_MSG(0, "synthetic record %d: %s", r, ecgx_last_error());
            continue;
        }
        uint8_t *lab = malloc((size_t)rec->n_samples);
        ecgx_clusters_wave_labels(fid, rec->n_samples, lab);
        CHECK(cr.n == rec->n_samples && cr.fs == rec->fs);
        if (r == 0) window_extra_check(c, &cr);
        /* skip the first and last second (zero padding at the edges) */
        for (int64_t i = (int64_t)rec->fs; i < rec->n_samples - (int64_t)rec->fs; i++)
            t[(size_t)cr.cluster[i] * ECGX_CW_N + lab[i]] += 1;
        free(lab);
        ecgx_clusters_record_free(&cr);
        ecgx_record_free(rec);
        ecgx_fiducials_free(fid);
    }
    double v = ecgx_clusters_nmi(t, K, ECGX_CW_N);
    *purity = ecgx_clusters_purity(t, K, ECGX_CW_N);
    free(t);
    return v;
}

static void test_pipeline(void)
{
    char dir[1024], path[1100];
    CHECK_OK(make_synth_set(dir, sizeof dir));
    ecgx_dataset_options dopt;
    ecgx_dataset_options_init(&dopt);
    dopt.cache = "none";
    ecgx_dataset *ds = NULL;
    CHECK_OK(ecgx_dataset_open(dir, &dopt, &ds));
    if (!ds) return;
    ecgx_clusters_options o;
    ecgx_clusters_options_default(&o);
    o.k = 6;
    o.max_points = 20000;
    o.split = "all";
    o.quiet = 1;
    ecgx_clusters *c = NULL, *c2 = NULL, *c3 = NULL;
    ecgx_clusters_fit_info info;
    CHECK_OK(ecgx_clusters_fit(m, ds, &o, &c, &info));
    if (!c) {
        ecgx_dataset_free(ds);
        return;
    }
    CHECK(c->gmm.k == 6 && c->dim == 384 && c->pca_dims == 32 && info.n_records == 40);
    CHECK(c->n_points == 20000 && info.n_steps_seen == 40 * 500);
    /* the CNN's calls use the model's own thresholds ("CD:0.778,...": the
     * old parser read that as 0 for every class, so every call was positive) */
    double mth[16];
    CHECK(ecgx_model_thresholds(m, mth, NULL) == 1);
    for (int k = 0; k < 5; k++) CHECK_MSG(c->thresholds[k] == mth[k], "class %d threshold %g, the model's %g", k, c->thresholds[k], mth[k]);
    CHECK(mth[0] > 0.7 && mth[0] < 0.8); /* CD 0.778 in the shipped model */
    int named_qrs = 0;
    for (int j = 0; j < 6; j++) named_qrs += c->wave_of[j] == ECGX_CW_QRS;
    CHECK(named_qrs >= 1);
    /* deterministic by seed */
    CHECK_OK(ecgx_clusters_fit(m, ds, &o, &c3, NULL));
    if (c3) CHECK(!memcmp(c->gmm.mean, c3->gmm.mean, sizeof(float) * 6 * 32));
    ecgx_clusters_free(c3);
    /* save / load round trip */
    snprintf(path, sizeof path, "%s/c.safetensors", tmp);
    CHECK_OK(ecgx_clusters_save(c, path));
    CHECK_OK(ecgx_clusters_load(path, &c2));
    if (c2) {
        CHECK(c2->model_hash == c->model_hash && c2->gmm.k == 6 && c2->dim == 384 && c2->pca_dims == 32);
        CHECK(!memcmp(c2->gmm.var, c->gmm.var, sizeof(float) * 6 * 32) && !memcmp(c2->pca, c->pca, sizeof(float) * 384 * 32));
        CHECK(!strcmp(c2->layer_names[2], "5.0.relu2") && c2->n_classes == 5);
        for (int k = 0; k < 5; k++) CHECK(c2->surrogate_len[k] == c->surrogate_len[k] && c2->surrogate[k]);
        CHECK_OK(ecgx_clusters_check_model(c2, m, path));
        /* apply's load skips the surrogate and nothing else */
        ecgx_clusters *c4 = NULL;
        CHECK_OK(ecgx_clusters_load_ex(path, ECGX_CLUSTERS_NO_SURROGATE, &c4));
        if (c4) {
            CHECK(!c4->surrogate[0] && !memcmp(c4->pca, c->pca, sizeof(float) * 384 * 32) && c4->model_hash == c->model_hash);
            ecgx_clusters_free(c4);
        }
    }
    /* NMI against the true waves of fresh records */
    double pur, nmi = synth_nmi(c, 6, &pur);
    printf("synthetic: NMI %.3f, purity %.3f against the true P/QRS/T/TP (k = 6, 6 records)\n", nmi, pur);
    CHECK_MSG(nmi > 0.30, "NMI %.3f", nmi);
    CHECK_MSG(pur > 0.55, "purity %.3f", pur);
    /* evaluation runs and its numbers are in range */
    ecgx_clusters_eval e;
    CHECK_OK(ecgx_clusters_evaluate(c2 ? c2 : c, m, ds, "val", 1, &e));
    CHECK(e.n_records > 0 && e.fidelity >= 0 && e.fidelity <= 1 && e.nmi_waves > 0 && e.k == 6);
    ecgx_clusters_eval_free(&e);
    /* a clusters file from another model */
    ecgx_model *other = NULL;
    ecgx_model_config cfg = {12, 5, 7};
    CHECK_OK(ecgx_model_create("resnet1d_wang", &cfg, &other));
    if (other) {
        CHECK(ecgx_clusters_check_model(c, other, path) == ECGX_ERR_ARG);
        CHECK(strstr(ecgx_last_error(), "another model") && strstr(ecgx_last_error(), path));
        ecgx_model_free(other);
    }
    ecgx_clusters_free(c2);
    ecgx_clusters_free(c);
    ecgx_dataset_free(ds);
}

static void test_bad_files(void)
{
    char path[1100], bad[1100];
    snprintf(path, sizeof path, "%s/c.safetensors", tmp);
    size_t n = 0;
    char *buf = test_slurp(path, &n);
    if (!buf) {
        CHECK_MSG(0, "no clusters file from test_pipeline");
        return;
    }
    ecgx_clusters *c = NULL;
    /* truncated */
    snprintf(bad, sizeof bad, "%s/trunc.safetensors", tmp);
    FILE *f = fopen(bad, "wb");
    fwrite(buf, 1, n - 100, f);
    fclose(f);
    CHECK(ecgx_clusters_load(bad, &c) == ECGX_ERR_FORMAT && !c);
    CHECK(strstr(ecgx_last_error(), bad) != NULL);
    /* a model file is not a clusters file */
    CHECK(ecgx_clusters_load(MODEL, &c) == ECGX_ERR_FORMAT && strstr(ecgx_last_error(), "not an ecgx clusters file"));
    /* garbage */
    snprintf(bad, sizeof bad, "%s/garbage.safetensors", tmp);
    f = fopen(bad, "wb");
    fwrite("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 1, 10, f);
    fclose(f);
    CHECK(ecgx_clusters_load(bad, &c) == ECGX_ERR_FORMAT);
    /* a header whose k disagrees with the tensors */
    char *k = strstr(buf + 8, "\"k\":\"6\"");
    if (k) {
        k[5] = '7';
        snprintf(bad, sizeof bad, "%s/k7.safetensors", tmp);
        f = fopen(bad, "wb");
        fwrite(buf, 1, n, f);
        fclose(f);
        CHECK(ecgx_clusters_load(bad, &c) == ECGX_ERR_FORMAT && strstr(ecgx_last_error(), "wrong shape"));
    } else CHECK_MSG(0, "no k in the header");
    CHECK(ecgx_clusters_load("/nonexistent/c.safetensors", &c) < 0);
    free(buf);
}

int main(void)
{
    if (access(MODEL, R_OK)) SKIP("run from the repository root (needs %s)", MODEL);
    tmp = test_tmpdir();
    CHECK_OK(ecgx_model_load(MODEL, &m));
    if (!m) return check_finish();
    RUN(test_default_layers);
    RUN(test_alignment_exact);
    RUN(test_alignment_impulse);
    RUN(test_batched_activations);
    RUN(test_pipeline);
    RUN(test_bad_files);
    ecgx_model_free(m);
    return check_finish();
}
