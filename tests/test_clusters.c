/* The clusters module's numerical kernels against independent references:
 *   - entropy: closed forms (uniform = log k, one-hot = 0, a hand value);
 *   - NMI and purity: closed forms, and NMI against a brute-force evaluation
 *     from label sequences (double sums over every pair of labels), plus
 *     scikit-learn's normalized_mutual_info_score when python3-sklearn is there;
 *   - standardisation: two-pass mean/SD in double;
 *   - k-means++: one seed per well-separated blob, distinct points when k = n,
 *     deterministic by seed;
 *   - the diagonal mixture: posteriors and log-likelihoods against log
 *     densities computed here in double; one EM step against the closed-form
 *     M-step computed here; the log-likelihood never decreases over EM
 *     iterations; parameters of well-separated Gaussians recovered; BIC's
 *     parameter count;
 *   - PCA: C v = lambda v, orthonormal columns, explained fraction;
 *   - the wave labels from fiducials. */
#include "check.h"
#include "ecgx/clusters.h"

#include <math.h>
#include <stdint.h>
#include <unistd.h>

static uint64_t rs = 777;
static double urand(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) * 0x1.0p-53;
}
static double nrand(void)
{
    double u = urand(), v = urand();
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static void test_entropy(void)
{
    float u[5] = {0.2f, 0.2f, 0.2f, 0.2f, 0.2f}, one[3] = {0, 1, 0}, h[2] = {0.25f, 0.75f};
    CHECK_NEAR(ecgx_clusters_entropy(u, 5), log(5.0), 1e-6);
    CHECK_NEAR(ecgx_clusters_entropy(one, 3), 0.0, 1e-12);
    CHECK_NEAR(ecgx_clusters_entropy(h, 2), -(0.25 * log(0.25) + 0.75 * log(0.75)), 1e-6);
}

/* NMI straight from two label sequences: p(a), p(b), p(a,b) by counting
 * pairs with nested loops over every label value (no table). */
static double nmi_brute(const int *a, const int *b, int n, int ka, int kb)
{
    double mi = 0, ha = 0, hb = 0;
    for (int x = 0; x < ka; x++) {
        double px = 0;
        for (int i = 0; i < n; i++) px += a[i] == x;
        px /= n;
        if (px > 0) ha -= px * log(px);
        for (int y = 0; y < kb; y++) {
            double py = 0, pxy = 0;
            for (int i = 0; i < n; i++) {
                py += b[i] == y;
                pxy += a[i] == x && b[i] == y;
            }
            py /= n, pxy /= n;
            if (pxy > 0) mi += pxy * log(pxy / (px * py));
        }
    }
    for (int y = 0; y < kb; y++) {
        double py = 0;
        for (int i = 0; i < n; i++) py += b[i] == y;
        py /= n;
        if (py > 0) hb -= py * log(py);
    }
    return ha > 0 && hb > 0 ? mi / sqrt(ha * hb) : 0;
}

static void test_nmi(void)
{
    /* identical partitions (up to renaming): 1; a product table: 0 */
    double same[9] = {5, 0, 0, 0, 7, 0, 0, 0, 3};
    CHECK_NEAR(ecgx_clusters_nmi(same, 3, 3), 1.0, 1e-12);
    double indep[6] = {2, 4, 6, 1, 2, 3}; /* rows proportional: independent */
    CHECK_NEAR(ecgx_clusters_nmi(indep, 2, 3), 0.0, 1e-12);
    /* purity by hand: rows' maxima 5+7+3 over 15; a mixed table */
    CHECK_NEAR(ecgx_clusters_purity(same, 3, 3), 1.0, 1e-12);
    double mixed[6] = {3, 1, 0, 2, 2, 2};
    CHECK_NEAR(ecgx_clusters_purity(mixed, 2, 3), 5.0 / 10.0, 1e-12);
    /* random labelings against the brute force */
    for (int rep = 0; rep < 20; rep++) {
        int n = 50 + (int)(urand() * 200), ka = 2 + (int)(urand() * 6), kb = 2 + (int)(urand() * 4);
        int *a = malloc(sizeof(int) * n), *b = malloc(sizeof(int) * n);
        double *t = calloc((size_t)ka * kb, sizeof(double));
        for (int i = 0; i < n; i++) {
            a[i] = (int)(urand() * ka);
            b[i] = urand() < 0.6 ? a[i] % kb : (int)(urand() * kb); /* partly dependent */
            t[a[i] * kb + b[i]] += 1;
        }
        CHECK_NEAR(ecgx_clusters_nmi(t, ka, kb), nmi_brute(a, b, n, ka, kb), 1e-10);
        if (rep == 0) {
            /* scikit-learn, when it is installed */
            char cmd[8192], out[256] = "";
            /* Debian's python (the one with python3-sklearn), not a pyenv shim */
            const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
            int len = snprintf(cmd, sizeof cmd,
                               "%s -c \"from sklearn.metrics import normalized_mutual_info_score as f;"
                               "print(f([", py);
            for (int i = 0; i < n; i++) len += snprintf(cmd + len, sizeof cmd - len, "%d,", a[i]);
            len += snprintf(cmd + len, sizeof cmd - len, "],[");
            for (int i = 0; i < n; i++) len += snprintf(cmd + len, sizeof cmd - len, "%d,", b[i]);
            snprintf(cmd + len, sizeof cmd - len, "],average_method='geometric'))\" 2>/dev/null");
            FILE *p = popen(cmd, "r");
            if (p) {
                if (fgets(out, sizeof out, p) && *out) CHECK_NEAR(ecgx_clusters_nmi(t, ka, kb), atof(out), 1e-9);
                else printf("note: scikit-learn not available, NMI checked against the brute force only\n");
                pclose(p);
            }
        }
        free(a), free(b), free(t);
    }
}

static void test_standardize(void)
{
    int n = 500, d = 7;
    float *x = malloc(sizeof(float) * n * d);
    for (int i = 0; i < n * d; i++) x[i] = (float)(3 + 2 * nrand() * (1 + i % d));
    for (int i = 0; i < n; i++) x[i * d + 6] = 4.0f; /* a dead channel */
    ecgx_clusters_moments s;
    CHECK_OK(ecgx_clusters_moments_init(&s, d));
    ecgx_clusters_moments_add(&s, x, 200);
    ecgx_clusters_moments_add(&s, x + 200 * d, n - 200); /* streamed in two parts */
    float mean[7], sd[7];
    ecgx_clusters_moments_finish(&s, mean, sd);
    for (int j = 0; j < d; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += x[i * d + j];
        m /= n;
        for (int i = 0; i < n; i++) v += (x[i * d + j] - m) * (x[i * d + j] - m);
        v = sqrt(v / n);
        CHECK_NEAR(mean[j], m, 1e-4 * (1 + fabs(m)));
        CHECK_NEAR(sd[j], v < 1e-6 ? 1.0 : v, 1e-4 * (1 + v));
    }
    ecgx_clusters_standardize(x, n, d, mean, sd);
    double m0 = 0;
    for (int i = 0; i < n; i++) m0 += x[i * d];
    CHECK_NEAR(m0 / n, 0.0, 1e-4);
    ecgx_clusters_moments_free(&s);
    free(x);
}

/* Three blobs far apart in 4-D. */
static float *blobs(int n, int d, int *truth, const double cent[3][4], const double sdv[3][4], const double *w)
{
    float *x = malloc(sizeof(float) * (size_t)n * d);
    for (int i = 0; i < n; i++) {
        double u = urand();
        int c = u < w[0] ? 0 : u < w[0] + w[1] ? 1 : 2;
        truth[i] = c;
        for (int j = 0; j < d; j++) x[i * d + j] = (float)(cent[c][j] + sdv[c][j] * nrand());
    }
    return x;
}

static const double CENT[3][4] = {{0, 0, 0, 0}, {20, -5, 3, 0}, {-10, 15, 0, 8}};
static const double SDV[3][4] = {{1, 0.5, 2, 1}, {0.3, 1, 1, 2}, {1.5, 1.5, 0.4, 1}};
static const double W3[3] = {0.5, 0.3, 0.2};

static void test_kmeanspp(void)
{
    int n = 600, d = 4, truth[600];
    float *x = blobs(n, d, truth, CENT, SDV, W3);
    float c[12], c2[12];
    CHECK_OK(ecgx_clusters_kmeanspp(x, n, d, 3, 5, c));
    /* one centre in each blob: each centre's nearest true centre differs */
    int seen[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        int best = 0;
        double bd = 1e30;
        for (int b = 0; b < 3; b++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += (c[k * d + j] - CENT[b][j]) * (c[k * d + j] - CENT[b][j]);
            if (s < bd) bd = s, best = b;
        }
        seen[best]++;
    }
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    CHECK_OK(ecgx_clusters_kmeanspp(x, n, d, 3, 5, c2));
    CHECK(memcmp(c, c2, sizeof c) == 0); /* deterministic by seed */
    /* k = n on 5 distinct points: every point once (a point at distance 0 is never drawn again) */
    float p[10] = {0, 0, 1, 0, 0, 1, 5, 5, -3, 2}, cc[10];
    CHECK_OK(ecgx_clusters_kmeanspp(p, 5, 2, 5, 9, cc));
    for (int i = 0; i < 5; i++) {
        int hits = 0;
        for (int k = 0; k < 5; k++) hits += cc[2 * k] == p[2 * i] && cc[2 * k + 1] == p[2 * i + 1];
        CHECK(hits == 1);
    }
    CHECK(ecgx_clusters_kmeanspp(p, 2, 2, 3, 1, cc) < 0); /* fewer points than k */
    free(x);
}

/* log N(x | mu, var) summed in double, straight from the definition. */
static double logjoint_ref(const ecgx_gmm *g, const float *x, int j)
{
    double s = log(g->weight[j]);
    for (int d = 0; d < g->dim; d++) {
        double v = g->var[j * g->dim + d], t = x[d] - g->mean[j * g->dim + d];
        s += -0.5 * log(2 * M_PI * v) - 0.5 * t * t / v;
    }
    return s;
}

static void random_gmm(ecgx_gmm *g, int k, int d)
{
    ecgx_gmm_alloc(g, k, d);
    double tw = 0;
    for (int j = 0; j < k; j++) tw += g->weight[j] = 0.2 + urand();
    for (int j = 0; j < k; j++) g->weight[j] /= tw;
    for (int i = 0; i < k * d; i++) {
        g->mean[i] = (float)(2 * nrand());
        g->var[i] = (float)(0.3 + 2 * urand());
    }
}

static void test_posterior(void)
{
    int k = 4, d = 9, n = 5000; /* n above one chunk: the parallel path */
    ecgx_gmm g;
    random_gmm(&g, k, d);
    float *x = malloc(sizeof(float) * n * d), *r = malloc(sizeof(float) * n * k);
    double *ll = malloc(sizeof(double) * n);
    for (int i = 0; i < n * d; i++) x[i] = (float)(2.5 * nrand());
    CHECK_OK(ecgx_gmm_posterior(&g, x, n, r, ll));
    double maxe_r = 0, maxe_l = 0;
    for (int i = 0; i < n; i++) {
        double lj[8], mx = -1e300, s = 0;
        for (int j = 0; j < k; j++) {
            lj[j] = logjoint_ref(&g, x + i * d, j);
            if (lj[j] > mx) mx = lj[j];
        }
        for (int j = 0; j < k; j++) s += exp(lj[j] - mx);
        double lse = mx + log(s);
        maxe_l = fmax(maxe_l, fabs(lse - ll[i]) / (1 + fabs(lse)));
        for (int j = 0; j < k; j++) maxe_r = fmax(maxe_r, fabs(exp(lj[j] - lse) - r[i * k + j]));
    }
    CHECK_MSG(maxe_l < 1e-5, "log-likelihood relative error %g", maxe_l);
    CHECK_MSG(maxe_r < 1e-4, "responsibility error %g", maxe_r);
    /* BIC = -2 n L + p log n with p = k (2d + 1) - 1 */
    CHECK_NEAR(ecgx_gmm_bic(&g, -3.0, 1000), 6000.0 + (4.0 * 19 - 1) * log(1000.0), 1e-9);
    ecgx_gmm_free(&g);
    free(x), free(r), free(ll);
}

static void test_em_step(void)
{
    int k = 3, d = 5, n = 3000;
    ecgx_gmm g, ref;
    random_gmm(&g, k, d);
    ecgx_gmm_alloc(&ref, k, d);
    float *x = malloc(sizeof(float) * n * d);
    for (int i = 0; i < n * d; i++) x[i] = (float)(2 * nrand() + (i % d));
    /* the closed-form M-step from the current parameters, in double */
    double nk[3] = {0}, sx[15] = {0}, sxx[15] = {0}, ll = 0;
    for (int i = 0; i < n; i++) {
        double lj[3], mx = -1e300, s = 0;
        for (int j = 0; j < k; j++) lj[j] = logjoint_ref(&g, x + i * d, j), mx = fmax(mx, lj[j]);
        for (int j = 0; j < k; j++) s += exp(lj[j] - mx);
        ll += mx + log(s);
        for (int j = 0; j < k; j++) {
            double r = exp(lj[j] - mx) / s;
            nk[j] += r;
            for (int q = 0; q < d; q++) sx[j * d + q] += r * x[i * d + q], sxx[j * d + q] += r * x[i * d + q] * x[i * d + q];
        }
    }
    ecgx_gmm_options o;
    ecgx_gmm_options_default(&o);
    o.max_iter = 1;
    o.var_floor = 1e-3;
    double got_ll;
    int it;
    CHECK_OK(ecgx_gmm_em(x, n, &o, &g, &got_ll, &it));
    CHECK(it == 1);
    CHECK_NEAR(got_ll, ll / n, 1e-5 * fabs(ll / n));
    for (int j = 0; j < k; j++) {
        CHECK_NEAR(g.weight[j], nk[j] / n, 1e-5);
        for (int q = 0; q < d; q++) {
            double mu = sx[j * d + q] / nk[j], v = sxx[j * d + q] / nk[j] - mu * mu + 1e-3;
            CHECK_NEAR(g.mean[j * d + q], mu, 1e-3 * (1 + fabs(mu)));
            CHECK_NEAR(g.var[j * d + q], v, 2e-3 * (1 + v));
        }
    }
    /* EM never lowers the likelihood */
    double prev = got_ll;
    int mono = 1;
    for (int r = 0; r < 15; r++) {
        double l2;
        ecgx_gmm_em(x, n, &o, &g, &l2, &it);
        if (l2 < prev - 1e-6 * fabs(prev)) mono = 0;
        prev = l2;
    }
    CHECK_MSG(mono, "EM decreased the log-likelihood");
    ecgx_gmm_free(&g);
    ecgx_gmm_free(&ref);
    free(x);
}

static void test_fit_recovers(void)
{
    int n = 6000, d = 4, *truth = malloc(sizeof(int) * n);
    float *x = blobs(n, d, truth, CENT, SDV, W3);
    ecgx_gmm g;
    ecgx_gmm_options o;
    ecgx_gmm_options_default(&o);
    o.var_floor = 1e-6;
    double ll;
    CHECK_OK(ecgx_gmm_fit(x, n, d, 3, &o, &g, &ll, NULL));
    for (int b = 0; b < 3; b++) {
        int j = 0;
        double bd = 1e30;
        for (int q = 0; q < 3; q++) {
            double s = 0;
            for (int t = 0; t < d; t++) s += (g.mean[q * d + t] - CENT[b][t]) * (g.mean[q * d + t] - CENT[b][t]);
            if (s < bd) bd = s, j = q;
        }
        CHECK_NEAR(g.weight[j], W3[b], 0.03);
        for (int t = 0; t < d; t++) {
            CHECK_NEAR(g.mean[j * d + t], CENT[b][t], 0.15);
            CHECK_NEAR(sqrt(g.var[j * d + t]), SDV[b][t], 0.1 * SDV[b][t] + 0.02);
        }
    }
    /* hard assignments reproduce the blobs exactly (they are 10 SD apart) */
    float *r = malloc(sizeof(float) * n * 3);
    ecgx_gmm_posterior(&g, x, n, r, NULL);
    double t[9] = {0};
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int q = 1; q < 3; q++)
            if (r[i * 3 + q] > r[i * 3 + best]) best = q;
        t[best * 3 + truth[i]] += 1;
    }
    CHECK_NEAR(ecgx_clusters_nmi(t, 3, 3), 1.0, 1e-9);
    /* BIC prefers the true k = 3 over 2 and 5 */
    double bic[6];
    for (int k = 2; k <= 5; k += 3) {
        ecgx_gmm h;
        double l;
        CHECK_OK(ecgx_gmm_fit(x, n, d, k, &o, &h, &l, NULL));
        bic[k] = ecgx_gmm_bic(&h, l, n);
        ecgx_gmm_free(&h);
    }
    double b3 = ecgx_gmm_bic(&g, ll, n);
    CHECK_MSG(b3 < bic[2] && b3 < bic[5], "BIC k=2 %g, k=3 %g, k=5 %g", bic[2], b3, bic[5]);
    ecgx_gmm_free(&g);
    free(x), free(truth), free(r);
}

static void test_pca(void)
{
    int n = 4000, d = 6, p = 3;
    float *x = malloc(sizeof(float) * n * d), basis[18];
    /* correlated data: three latent factors of decreasing size plus noise */
    for (int i = 0; i < n; i++) {
        double f0 = 3 * nrand(), f1 = 2 * nrand(), f2 = nrand();
        for (int j = 0; j < d; j++)
            x[i * d + j] = (float)(f0 * (j + 1) / 6.0 + f1 * (j % 2 ? 1 : -1) * 0.5 + f2 * (j < 3 ? 0.7 : -0.2) + 0.1 * nrand());
    }
    double expl;
    CHECK_OK(ecgx_clusters_pca(x, n, d, p, basis, &expl));
    /* the second-moment matrix, in double */
    double C[36] = {0};
    for (int i = 0; i < n; i++)
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++) C[a * d + b] += (double)x[i * d + a] * x[i * d + b] / n;
    double tr = 0, kept = 0, prev = 1e300;
    for (int a = 0; a < d; a++) tr += C[a * d + a];
    for (int j = 0; j < p; j++) {
        double lam = 0, nrm = 0;
        for (int a = 0; a < d; a++) {
            double cv = 0;
            for (int b = 0; b < d; b++) cv += C[a * d + b] * basis[b * p + j];
            lam += basis[a * p + j] * cv;
            nrm += basis[a * p + j] * basis[a * p + j];
        }
        CHECK_NEAR(nrm, 1.0, 1e-5);
        for (int a = 0; a < d; a++) {
            double cv = 0;
            for (int b = 0; b < d; b++) cv += C[a * d + b] * basis[b * p + j];
            CHECK_NEAR(cv, lam * basis[a * p + j], 1e-3 * lam);
        }
        CHECK(lam <= prev * (1 + 1e-6));
        prev = lam;
        kept += lam;
        for (int q = 0; q < j; q++) {
            double dot = 0;
            for (int a = 0; a < d; a++) dot += basis[a * p + j] * basis[a * p + q];
            CHECK_NEAR(dot, 0.0, 1e-5);
        }
    }
    CHECK_NEAR(expl, kept / tr, 1e-4);
    CHECK(expl > 0.99);
    free(x);
}

static void test_wave_labels(void)
{
    ecgx_fiducials *f = ecgx_fiducials_new(2, 0);
    int64_t v[2][9] = {{10, 12, 18, 22, 25, 28, 40, 50, 60}, {100, 102, 108, 112, 115, 118, 130, 140, 150}};
    for (int b = 0; b < 2; b++)
        for (int w = 0; w < 3; w++) {
            f->beats[b].wave[w].onset = v[b][3 * w];
            f->beats[b].wave[w].peak = v[b][3 * w + 1];
            f->beats[b].wave[w].offset = v[b][3 * w + 2];
        }
    f->beats[1].wave[0].onset = -1; /* an absent P */
    uint8_t lab[160];
    CHECK_OK(ecgx_clusters_wave_labels(f, 160, lab));
    CHECK(lab[9] == ECGX_CW_OTHER && lab[10] == ECGX_CW_P && lab[18] == ECGX_CW_P && lab[19] == ECGX_CW_OTHER);
    CHECK(lab[22] == ECGX_CW_QRS && lab[28] == ECGX_CW_QRS && lab[40] == ECGX_CW_T && lab[60] == ECGX_CW_T);
    CHECK(lab[61] == ECGX_CW_OTHER && lab[105] == ECGX_CW_OTHER && lab[115] == ECGX_CW_QRS && lab[150] == ECGX_CW_T);
    ecgx_fiducials_free(f);
    CHECK(!strcmp(ecgx_clusters_wave_name(ECGX_CW_OTHER), "TP/other"));
}

static void test_annotation_labels(void)
{
    /* LUDB style: ( p ) ( N ) ( t ) ... and a QRS missing its offset (ignored) */
    const char *sym[] = {"(", "p", ")", "(", "N", ")", "(", "t", ")", "(", "N"};
    int64_t at[] = {100, 105, 110, 120, 125, 130, 150, 160, 170, 300, 305};
    ecgx_annotation it[11];
    memset(it, 0, sizeof it);
    for (int i = 0; i < 11; i++) it[i].sample = at[i], it[i].code = ecgx_annot_code(sym[i]);
    ecgx_annotations ann = {11, it};
    uint8_t lab[400];
    int64_t lo, hi;
    CHECK_OK(ecgx_clusters_annotation_labels(&ann, 400, lab, &lo, &hi));
    CHECK(lo == 100 && hi == 305);
    CHECK(lab[99] == ECGX_CW_OTHER && lab[100] == ECGX_CW_P && lab[110] == ECGX_CW_P && lab[111] == ECGX_CW_OTHER);
    CHECK(lab[120] == ECGX_CW_QRS && lab[130] == ECGX_CW_QRS && lab[150] == ECGX_CW_T && lab[170] == ECGX_CW_T);
    CHECK(lab[171] == ECGX_CW_OTHER && lab[305] == ECGX_CW_OTHER);
    int cl[400];
    for (int i = 0; i < 400; i++) cl[i] = i % 2;
    double t[2 * ECGX_CW_N] = {0};
    ecgx_clusters_contingency_add(cl, lab, 100, 110, 2, t);
    CHECK(t[0 * ECGX_CW_N + ECGX_CW_P] == 6 && t[1 * ECGX_CW_N + ECGX_CW_P] == 5);
}

/* CV folds: every record in exactly one fold, sizes within one of each
 * other, the same seed gives the same folds, another seed other folds. */
static void test_cv_folds(void)
{
    enum { N = 2022, F = 10 };
    int a[N], b[N], c2[N], count[F] = {0};
    CHECK_OK(ecgx_clusters_cv_folds(N, F, 1, a));
    CHECK_OK(ecgx_clusters_cv_folds(N, F, 1, b));
    CHECK_OK(ecgx_clusters_cv_folds(N, F, 2, c2));
    int same = 1, differ = 0, inrange = 1;
    for (int i = 0; i < N; i++) {
        inrange &= a[i] >= 0 && a[i] < F;
        if (a[i] >= 0 && a[i] < F) count[a[i]]++;
        same &= a[i] == b[i];
        differ += a[i] != c2[i];
    }
    CHECK(inrange);
    CHECK(same);
    CHECK_MSG(differ > N / 2, "seed 2 moved only %d of %d records", differ, N);
    int lo = N, hi = 0, tot = 0;
    for (int f = 0; f < F; f++) lo = count[f] < lo ? count[f] : lo, hi = count[f] > hi ? count[f] : hi, tot += count[f];
    CHECK_MSG(tot == N && hi - lo <= 1, "fold sizes %d..%d, total %d", lo, hi, tot);
    /* not in data set order: the first 10 records are not simply folds 0..9 */
    int ordered = 1;
    for (int i = 0; i < F; i++) ordered &= a[i] == i;
    CHECK(!ordered);
    CHECK(ecgx_clusters_cv_folds(5, 10, 1, a) != 0);
    CHECK(ecgx_clusters_cv_folds(100, 1, 1, a) != 0);
}

/* The surrogate on soft targets: y = sigmoid(4 x0 - 2 x1) on random
 * features; the trees trained on the probabilities must reproduce them
 * (mean absolute error well below what calls-only training gives, whose
 * outputs sit near 0 or 1), predicting from the first r trees must equal a
 * booster trained for r rounds only, and the call threshold follows the
 * target (0.5 for calls, the CNN's threshold for probabilities). */
static void test_surrogate_soft(void)
{
    enum { N = 2000, D = 3 };
    static float x[N * D], y[N], yc[N], p1[N], p2[N], p3[N];
    uint64_t st = 99;
    for (int i = 0; i < N; i++) {
        for (int d = 0; d < D; d++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            x[i * D + d] = (float)((double)(st >> 40) / (double)(1ull << 24));
        }
        y[i] = (float)(1 / (1 + exp(-(4 * x[i * D] - 2 * x[i * D + 1]))));
        yc[i] = y[i] >= 0.5f;
    }
    ecgx_clusters c;
    memset(&c, 0, sizeof c);
    c.n_classes = 1;
    c.thresholds[0] = 0.3;
    c.surrogate_target = 1;
    CHECK(ecgx_clusters_surrogate_threshold(&c, 0) == 0.3);
    CHECK_OK(ecgx_clusters_surrogate_train_ex(&c, x, N, D, y, 200, 1));
    CHECK_OK(ecgx_clusters_surrogate_predict(&c, x, N, D, p1));
    CHECK_OK(ecgx_clusters_surrogate_predict_ex(&c, x, N, D, 50, p2));
    ecgx_clusters c50 = c;
    c50.surrogate[0] = NULL;
    CHECK_OK(ecgx_clusters_surrogate_train_ex(&c50, x, N, D, y, 50, 1));
    CHECK_OK(ecgx_clusters_surrogate_predict(&c50, x, N, D, p3));
    double mae = 0, mae50 = 0, d50 = 0;
    for (int i = 0; i < N; i++) mae += fabs(p1[i] - y[i]) / N, mae50 += fabs(p2[i] - y[i]) / N, d50 = fmax(d50, fabs(p2[i] - p3[i]));
    CHECK_MSG(mae < 0.03, "soft surrogate MAE %.4f", mae);
    CHECK_MSG(mae50 > mae, "50 rounds (MAE %.4f) not worse than 200 (%.4f): the rounds limit is ignored", mae50, mae);
    CHECK_MSG(d50 < 1e-6, "first 50 of 200 trees differ from a 50-round booster by %g", d50);
    free(c.surrogate[0]), free(c50.surrogate[0]);
    c.surrogate[0] = NULL;
    c.surrogate_target = 0;
    CHECK(ecgx_clusters_surrogate_threshold(&c, 0) == 0.5);
    CHECK_OK(ecgx_clusters_surrogate_train_ex(&c, x, N, D, yc, 200, 1));
    CHECK_OK(ecgx_clusters_surrogate_predict(&c, x, N, D, p1));
    double maec = 0;
    for (int i = 0; i < N; i++) maec += fabs(p1[i] - y[i]) / N;
    CHECK_MSG(maec > 2 * mae, "calls-trained MAE %.4f vs soft %.4f: soft targets made no difference", maec, mae);
    free(c.surrogate[0]);
}

int main(void)
{
    RUN(test_entropy);
    RUN(test_nmi);
    RUN(test_standardize);
    RUN(test_kmeanspp);
    RUN(test_posterior);
    RUN(test_em_step);
    RUN(test_fit_recovers);
    RUN(test_pca);
    RUN(test_wave_labels);
    RUN(test_annotation_labels);
    RUN(test_cv_folds);
    RUN(test_surrogate_soft);
    return check_finish();
}
