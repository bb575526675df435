/* Diagonal Gaussian mixture fitted by EM.
 *
 * Why a mixture and not soft k-means: the activations are ReLU outputs whose
 * spread differs a lot between segments (a channel silent in the TP segment
 * and busy in the QRS); per-cluster, per-feature variances model that, the
 * posterior is a real probability (its entropy a real uncertainty, with no
 * temperature to tune), and the likelihood gives BIC to choose k.
 *
 * The log densities are matrix products: with w = 1/var,
 *   log N(x | mu, var) = c_k - 1/2 (x^2 . w_k) + x . (mu_k w_k),
 *   c_k = -1/2 sum_d (log(2 pi var_kd) + mu_kd^2 w_kd),
 * so one E-step is two sgemm's of [rows][dim] x [dim][k] per chunk of rows,
 * and the M-step's sufficient statistics (R^T X, R^T X^2) two more. Chunks
 * run in parallel and their partial sums are added in chunk order, so the
 * result does not depend on the number of threads. Variances get var_floor
 * added (scikit-learn's reg_covar), which keeps a cluster of exact zeros
 * (dead ReLU channels) from collapsing. */
#include "ecgx/clusters.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 2048

void ecgx_gmm_options_default(ecgx_gmm_options *o)
{
    o->max_iter = 100;
    o->tol = 1e-4;
    o->var_floor = 1e-3;
    o->seed = 1;
}

int ecgx_gmm_alloc(ecgx_gmm *g, int k, int dim)
{
    memset(g, 0, sizeof *g);
    g->k = k;
    g->dim = dim;
    g->weight = calloc((size_t)k, sizeof(double));
    g->mean = calloc((size_t)k * dim, sizeof(float));
    g->var = calloc((size_t)k * dim, sizeof(float));
    if (!g->weight || !g->mean || !g->var) {
        ecgx_gmm_free(g);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    return 0;
}

void ecgx_gmm_free(ecgx_gmm *g)
{
    free(g->weight);
    free(g->mean);
    free(g->var);
    g->weight = NULL;
    g->mean = g->var = NULL;
}

/* Per-component terms for the products: W [dim][k] = 1/var, MW [dim][k] = mu/var, c [k]. */
static void prepare(const ecgx_gmm *g, float *W, float *MW, double *c)
{
    int K = g->k, D = g->dim;
    for (int j = 0; j < K; j++) {
        double s = 0;
        for (int d = 0; d < D; d++) {
            double v = g->var[(size_t)j * D + d], mu = g->mean[(size_t)j * D + d];
            W[(size_t)d * K + j] = (float)(1.0 / v);
            MW[(size_t)d * K + j] = (float)(mu / v);
            s += log(2 * M_PI * v) + mu * mu / v;
        }
        c[j] = log(g->weight[j] > 0 ? g->weight[j] : 1e-300) - 0.5 * s;
    }
}

/* Log joint densities of rows [n][dim] into L [n][k]; sq is scratch [n][dim]. */
static void logjoint(const float *x, int n, int D, int K, const float *W, const float *MW, const double *c,
                     float *sq, float *L)
{
    for (size_t i = 0; i < (size_t)n * D; i++) sq[i] = x[i] * x[i];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, K, D, 1.0f, x, D, MW, K, 0.0f, L, K);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, K, D, -0.5f, sq, D, W, K, 1.0f, L, K);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < K; j++) L[(size_t)i * K + j] += (float)c[j];
}

/* Turn log joints into responsibilities (in place); returns sum of log p(x). */
static double normalise(float *L, int n, int K, double *ll_out)
{
    double tot = 0;
    for (int i = 0; i < n; i++) {
        float *r = L + (size_t)i * K;
        double mx = r[0];
        for (int j = 1; j < K; j++) if (r[j] > mx) mx = r[j];
        double s = 0;
        for (int j = 0; j < K; j++) s += exp((double)r[j] - mx);
        double lse = mx + log(s);
        for (int j = 0; j < K; j++) r[j] = (float)exp((double)r[j] - lse);
        if (ll_out) ll_out[i] = lse;
        tot += lse;
    }
    return tot;
}

int ecgx_gmm_posterior(const ecgx_gmm *g, const float *x, int64_t n, float *resp, double *loglik)
{
    int K = g->k, D = g->dim;
    float *W = malloc(sizeof(float) * (size_t)K * D), *MW = malloc(sizeof(float) * (size_t)K * D);
    double *c = malloc(sizeof(double) * K);
    int rc = 0;
    if (!W || !MW || !c) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    else prepare(g, W, MW, c);
    int64_t nchunks = (n + CHUNK - 1) / CHUNK;
    int fail = 0;
#pragma omp parallel if (nchunks > 1 && !rc)
    {
        float *sq = malloc(sizeof(float) * (size_t)CHUNK * D), *L = malloc(sizeof(float) * (size_t)CHUNK * K);
        if (!sq || !L) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(static)
        for (int64_t ch = 0; ch < nchunks; ch++) {
            if (rc || !sq || !L) continue;
            int64_t i0 = ch * CHUNK;
            int m = (int)(n - i0 < CHUNK ? n - i0 : CHUNK);
            logjoint(x + (size_t)i0 * D, m, D, K, W, MW, c, sq, L);
            normalise(L, m, K, loglik ? loglik + i0 : NULL);
            if (resp) memcpy(resp + (size_t)i0 * K, L, sizeof(float) * (size_t)m * K);
        }
        free(sq);
        free(L);
    }
    free(W);
    free(MW);
    free(c);
    if (!rc && fail) rc = ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    return rc;
}

double ecgx_gmm_bic(const ecgx_gmm *g, double mean_loglik, int64_t n)
{
    double p = (double)g->k * (2.0 * g->dim + 1) - 1;
    return -2.0 * (double)n * mean_loglik + p * log((double)n);
}

double ecgx_clusters_entropy(const float *p, int k)
{
    double h = 0;
    for (int j = 0; j < k; j++)
        if (p[j] > 0) h -= (double)p[j] * log((double)p[j]);
    return h > 0 ? h : 0;
}

/* EM from the current parameters of g. */
int ecgx_gmm_em(const float *x, int64_t n, const ecgx_gmm_options *o, ecgx_gmm *g, double *loglik, int *iters)
{
    int K = g->k, D = g->dim;
    int64_t nchunks = (n + CHUNK - 1) / CHUNK;
    size_t kd = (size_t)K * D;
    float *W = malloc(sizeof(float) * kd), *MW = malloc(sizeof(float) * kd);
    double *c = malloc(sizeof(double) * K);
    /* per-chunk partial statistics: Nk [K], Sx [K][D], Sxx [K][D], ll */
    float *part = malloc(sizeof(float) * (size_t)nchunks * (2 * kd));
    double *pn = malloc(sizeof(double) * (size_t)nchunks * (K + 1));
    double *sx = malloc(sizeof(double) * kd), *sxx = malloc(sizeof(double) * kd), *nk = malloc(sizeof(double) * K);
    if (!W || !MW || !c || !part || !pn || !sx || !sxx || !nk) {
        free(W), free(MW), free(c), free(part), free(pn), free(sx), free(sxx), free(nk);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory (EM on %lld x %d)", (long long)n, D);
    }
    double prev = -INFINITY, ll = -INFINITY;
    int it = 0, fail = 0;
    for (it = 0; it < o->max_iter; it++) {
        prepare(g, W, MW, c);
#pragma omp parallel
        {
            float *sq = malloc(sizeof(float) * (size_t)CHUNK * D), *L = malloc(sizeof(float) * (size_t)CHUNK * K);
            if (!sq || !L) {
#pragma omp atomic write
                fail = 1;
            }
#pragma omp for schedule(static)
            for (int64_t ch = 0; ch < nchunks; ch++) {
                if (!sq || !L) continue;
                int64_t i0 = ch * CHUNK;
                int m = (int)(n - i0 < CHUNK ? n - i0 : CHUNK);
                const float *xc = x + (size_t)i0 * D;
                logjoint(xc, m, D, K, W, MW, c, sq, L);
                double *q = pn + (size_t)ch * (K + 1);
                q[K] = normalise(L, m, K, NULL);
                for (int j = 0; j < K; j++) q[j] = 0;
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < K; j++) q[j] += L[(size_t)i * K + j];
                float *P = part + (size_t)ch * 2 * kd;
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, D, m, 1.0f, L, K, xc, D, 0.0f, P, D);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, D, m, 1.0f, L, K, sq, D, 0.0f, P + kd, D);
            }
            free(sq);
            free(L);
        }
        if (fail) break;
        memset(sx, 0, sizeof(double) * kd);
        memset(sxx, 0, sizeof(double) * kd);
        memset(nk, 0, sizeof(double) * K);
        double tot = 0;
        for (int64_t ch = 0; ch < nchunks; ch++) {
            const double *q = pn + (size_t)ch * (K + 1);
            const float *P = part + (size_t)ch * 2 * kd;
            for (int j = 0; j < K; j++) nk[j] += q[j];
            tot += q[K];
            for (size_t e = 0; e < kd; e++) sx[e] += P[e], sxx[e] += P[kd + e];
        }
        ll = tot / (double)n; /* of the parameters before this M-step */
        /* M-step */
        for (int j = 0; j < K; j++) {
            double w = nk[j] + 10 * 2.2e-16; /* as sklearn: keeps an empty component finite */
            g->weight[j] = w / (double)n;
            for (int d = 0; d < D; d++) {
                size_t e = (size_t)j * D + d;
                double mu = sx[e] / w, v = sxx[e] / w - mu * mu;
                if (v < 0) v = 0;
                g->mean[e] = (float)mu;
                g->var[e] = (float)(v + o->var_floor);
            }
        }
        if (it > 0 && fabs(ll - prev) < o->tol) {
            it++;
            break;
        }
        prev = ll;
    }
    free(W), free(MW), free(c), free(part), free(pn), free(sx), free(sxx), free(nk);
    if (fail) return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory (EM)");
    if (loglik) *loglik = ll;
    if (iters) *iters = it;
    return 0;
}

int ecgx_gmm_fit(const float *x, int64_t n, int dim, int k, const ecgx_gmm_options *o, ecgx_gmm *g,
                 double *loglik, int *iters)
{
    if (k < 1 || k > ECGX_CLUSTERS_MAX_K) return ecgx_error(ECGX_ERR_ARG, "clusters: k = %d (1 to %d)", k, ECGX_CLUSTERS_MAX_K);
    int rc = ecgx_gmm_alloc(g, k, dim);
    if (rc) return rc;
    rc = ecgx_clusters_kmeanspp(x, n, dim, k, o->seed, g->mean);
    if (rc) {
        ecgx_gmm_free(g);
        return rc;
    }
    /* start: every component with the data's variance, equal weights */
    double *s = calloc((size_t)dim, sizeof(double)), *s2 = calloc((size_t)dim, sizeof(double));
    if (!s || !s2) {
        free(s), free(s2), ecgx_gmm_free(g);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    for (int64_t i = 0; i < n; i++)
        for (int d = 0; d < dim; d++) {
            double v = x[(size_t)i * dim + d];
            s[d] += v, s2[d] += v * v;
        }
    for (int j = 0; j < k; j++) {
        g->weight[j] = 1.0 / k;
        for (int d = 0; d < dim; d++) {
            double mu = s[d] / n, v = s2[d] / n - mu * mu;
            g->var[(size_t)j * dim + d] = (float)((v > 0 ? v : 0) + o->var_floor);
        }
    }
    free(s), free(s2);
    rc = ecgx_gmm_em(x, n, o, g, loglik, iters);
    if (rc) ecgx_gmm_free(g);
    return rc;
}
