/* Per-feature standardisation. The sums are kept in double over the whole
 * stream of time steps (not only the reservoir), so the mean and SD describe
 * every step seen; a channel that never moves (a ReLU dead on this data)
 * keeps SD 1 instead of dividing by zero. */
#include "ecgx/clusters.h"

#include <math.h>
#include <stdlib.h>

int ecgx_clusters_moments_init(ecgx_clusters_moments *s, int dim)
{
    s->dim = dim;
    s->n = 0;
    s->sum = calloc((size_t)dim, sizeof(double));
    s->sumsq = calloc((size_t)dim, sizeof(double));
    if (!s->sum || !s->sumsq) {
        ecgx_clusters_moments_free(s);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    return 0;
}

void ecgx_clusters_moments_add(ecgx_clusters_moments *s, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        const float *r = x + (size_t)i * s->dim;
        for (int d = 0; d < s->dim; d++) {
            s->sum[d] += r[d];
            s->sumsq[d] += (double)r[d] * r[d];
        }
    }
    s->n += n;
}

void ecgx_clusters_moments_finish(const ecgx_clusters_moments *s, float *mean, float *sd)
{
    for (int d = 0; d < s->dim; d++) {
        double mu = s->n ? s->sum[d] / s->n : 0, var = s->n ? s->sumsq[d] / s->n - mu * mu : 0;
        double v = var > 0 ? sqrt(var) : 0;
        mean[d] = (float)mu;
        sd[d] = v < 1e-6 ? 1.0f : (float)v;
    }
}

void ecgx_clusters_moments_free(ecgx_clusters_moments *s)
{
    free(s->sum);
    free(s->sumsq);
    s->sum = s->sumsq = NULL;
}

void ecgx_clusters_standardize(float *x, int64_t n, int dim, const float *mean, const float *sd)
{
    for (int64_t i = 0; i < n; i++) {
        float *r = x + (size_t)i * dim;
        for (int d = 0; d < dim; d++) r[d] = (r[d] - mean[d]) / sd[d];
    }
}
