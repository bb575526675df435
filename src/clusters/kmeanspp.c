/* k-means++ seeding (Arthur & Vassilvitskii 2007). Deterministic by seed:
 * one xoshiro stream, draws in a fixed order. Each round updates the
 * distance to the nearest centre with the newest centre only (O(n k d)). */
#include "ecgx/clusters.h"
#include "core/rng.h"

#include <stdlib.h>
#include <string.h>

static double sqdist(const float *a, const float *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++) {
        double t = (double)a[i] - b[i];
        s += t * t;
    }
    return s;
}

int ecgx_clusters_kmeanspp(const float *x, int64_t n, int dim, int k, uint64_t seed, float *centres)
{
    if (n < k || k < 1) return ecgx_error(ECGX_ERR_ARG, "clusters: k-means++ needs at least k = %d points, got %lld", k, (long long)n);
    double *d2 = malloc(sizeof(double) * (size_t)n);
    if (!d2) return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    ecgx_rng r;
    ecgx_rng_seed(&r, seed, 0x6b6d70ull);
    int64_t first = (int64_t)(ecgx_rng_uniform(&r) * (double)n);
    if (first >= n) first = n - 1;
    memcpy(centres, x + (size_t)first * dim, sizeof(float) * (size_t)dim);
    /* distances in parallel, their total summed in order: the same draws
     * whatever the number of threads */
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) d2[i] = sqdist(x + (size_t)i * dim, centres, dim);
    double total = 0;
    for (int64_t i = 0; i < n; i++) total += d2[i];
    for (int c = 1; c < k; c++) {
        int64_t pick = n - 1;
        if (total > 0) {
            double u = ecgx_rng_uniform(&r) * total, acc = 0;
            for (int64_t i = 0; i < n; i++) {
                acc += d2[i];
                if (acc >= u && d2[i] > 0) {
                    pick = i;
                    break;
                }
            }
        } else {
            pick = (int64_t)(ecgx_rng_uniform(&r) * (double)n);
            if (pick >= n) pick = n - 1;
        }
        float *cc = centres + (size_t)c * dim;
        memcpy(cc, x + (size_t)pick * dim, sizeof(float) * (size_t)dim);
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < n; i++) {
            double t = sqdist(x + (size_t)i * dim, cc, dim);
            if (t < d2[i]) d2[i] = t;
        }
        total = 0;
        for (int64_t i = 0; i < n; i++) total += d2[i];
    }
    free(d2);
    return 0;
}
