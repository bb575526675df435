/* Principal components of the standardised activations, before the mixture.
 *
 * Why: in the 384 raw dimensions (three blocks x 128 channels) the mixture's
 * log densities differ between clusters by hundreds of nats, so every
 * posterior is one-hot and its entropy says nothing; the channels are also
 * strongly correlated, which a diagonal mixture cannot represent. The top p
 * components (default 32) keep most of the variance, decorrelate the
 * features so a diagonal covariance fits them, make EM about ten times
 * cheaper and leave posteriors that are soft where segments meet.
 *
 * The second-moment matrix (the features are standardised, so about the
 * mean) is one sgemm over the sample; its eigenvectors come from LAPACK's
 * dsyevd (shipped inside OpenBLAS). Sign convention: each component's
 * largest-magnitude entry is positive, so the basis is deterministic. */
#include "clusters/internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info);

int ecgx_clusters_pca(const float *x, int64_t n, int dim, int p, float *basis, double *explained)
{
    if (p < 1 || p > dim || n < 2) return ecgx_error(ECGX_ERR_ARG, "clusters: PCA of %d components from %d features and %lld points", p, dim, (long long)n);
    float *Cf = calloc((size_t)dim * dim, sizeof(float));
    double *C = malloc(sizeof(double) * (size_t)dim * dim), *w = malloc(sizeof(double) * (size_t)dim);
    int lwork = 1 + 6 * dim + 2 * dim * dim, liwork = 3 + 5 * dim, info = 0;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (!Cf || !C || !w || !work || !iwork) {
        free(Cf), free(C), free(w), free(work), free(iwork);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory (PCA)");
    }
    /* X^T X in chunks (float products, double sum) */
    const int64_t CH = 8192;
    for (int64_t i0 = 0; i0 < n; i0 += CH) {
        int m = (int)(n - i0 < CH ? n - i0 : CH);
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, dim, m, 1.0f, x + (size_t)i0 * dim, dim, 0.0f, Cf, dim);
        for (int a = 0; a < dim; a++)
            for (int b = a; b < dim; b++) {
                if (i0 == 0) C[(size_t)a * dim + b] = 0;
                C[(size_t)a * dim + b] += Cf[(size_t)a * dim + b];
            }
    }
    for (int a = 0; a < dim; a++)
        for (int b = a; b < dim; b++) C[(size_t)b * dim + a] = C[(size_t)a * dim + b] /= (double)n;
    double trace = 0;
    for (int a = 0; a < dim; a++) trace += C[(size_t)a * dim + a];
    /* column-major symmetric: the same matrix; eigenvalues ascending, vectors as columns */
    dsyevd_("V", "U", &dim, C, &dim, w, work, &lwork, iwork, &liwork, &info);
    int rc = 0;
    if (info != 0) rc = ecgx_error(ECGX_ERR_STATE, "clusters: eigen-decomposition failed (dsyevd info %d)", info);
    else {
        double kept = 0;
        for (int j = 0; j < p; j++) {
            const double *v = C + (size_t)(dim - 1 - j) * dim; /* j-th largest */
            kept += w[dim - 1 - j];
            int big = 0;
            for (int d = 1; d < dim; d++)
                if (fabs(v[d]) > fabs(v[big])) big = d;
            double s = v[big] < 0 ? -1 : 1;
            for (int d = 0; d < dim; d++) basis[(size_t)d * p + j] = (float)(s * v[d]);
        }
        if (explained) *explained = trace > 0 ? kept / trace : 0;
    }
    free(Cf), free(C), free(w), free(work), free(iwork);
    return rc;
}

int ecgx_clusters_project(const float *x, int64_t n, int dim, const float *basis, int p, float *out)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, p, dim, 1.0f, x, dim, basis, p, 0.0f, out, p);
    return 0;
}
