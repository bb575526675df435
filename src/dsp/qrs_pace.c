/* Pacemaker spikes, found by shape. A spike (0.1-2 ms, smeared by the front
 * end to a few ms) is narrower than the detector's running median (12 ms
 * wide), so it is what the median removes: the residual x - median. A QRS
 * leaves a residual too, at its sharpest peak, but only a fraction of its
 * height above the surroundings, while a spike's residual is nearly all of
 * it. So a spike is a local maximum of |residual| that (1) stands 16 noise
 * SDs above the residual's level in its second and in the record (SD
 * estimated from the mean |residual| per 1 s block, robustly: the median
 * block; EMG bursts raise their own blocks), (2) is at least 0.1 mV, and
 * (3) carries >= 85 % of the sample's deviation from a median three times as
 * wide (a sharp R wave carries 20-50 %), and (4) is isolated: its
 * surroundings follow a straight line (see isolated()). Across leads a spike
 * must show in a quarter of them (qrs_merge_spikes). */
#include "dsp/qrs_internal.h"
#include "ecgx/common.h"

#include <math.h>
#include <stdlib.h>

/* Chosen on the synthetic paced suite (every visible spike found from 8 SDs
 * and 70 % on) and MIT-BIH DS1 (no pacemaker: false spikes in its noisy
 * records fell from 206 to 22 over five records at 16 SDs and 85 %). */
#define K_NOISE 16.0f
#define K_RATIO 0.85f

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float median_window(const float *x, int64_t n, int64_t a, int64_t z)
{
    float w[64];
    int k = 0;
    if (a < 0) a = 0;
    if (z > n - 1) z = n - 1;
    for (int64_t i = a; i <= z && k < 64; i++) w[k++] = x[i];
    if (!k) return 0;
    qsort(w, (size_t)k, sizeof *w, cmp_f);
    return w[k / 2];
}

/* A spike rises out of and falls back to the line its surroundings follow:
 * within 2h samples either side, beyond the spike's own h, every sample
 * stays within 30 % of the spike's height of the chord from i - 2h to
 * i + 2h. A notch or a sharp turn inside a QRS sits on steep, curved
 * surroundings and fails. */
static int isolated(const float *x, int64_t n, int64_t i, int h)
{
    int64_t a = i - 2 * h, b = i + 2 * h;
    if (a < 0 || b >= n) return 0;
    double slope = (double)(x[b] - x[a]) / (double)(b - a);
    double height = fabs(x[i] - (x[a] + slope * (double)(i - a)));
    for (int64_t k = a; k <= b; k++) {
        if (k >= i - h && k <= i + h) continue;
        if (fabs(x[k] - (x[a] + slope * (double)(k - a))) > 0.3 * height) return 0;
    }
    return 1;
}

int qrs_lead_spikes(const float *x, const float *med, int64_t n, double fs, int h, int64_t **sp, int *nsp, int *cap)
{
    int64_t blk = (int64_t)fs;
    if (blk < 1 || n < 2 * h + 3) return 0;
    int64_t nb = (n + blk - 1) / blk;
    float *sd = malloc(sizeof *sd * (size_t)(2 * nb));
    if (!sd) return ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory");
    for (int64_t b = 0; b < nb; b++) {
        double s = 0;
        int64_t a = b * blk, z = a + blk < n ? a + blk : n;
        for (int64_t i = a; i < z; i++) s += fabsf(x[i] - med[i]);
        sd[b] = (float)(1.2533 * s / (double)(z - a)); /* mean |N(0, s)| = s sqrt(2/pi) */
        sd[nb + b] = sd[b];
    }
    qsort(sd + nb, (size_t)nb, sizeof *sd, cmp_f);
    float g = sd[nb + nb / 2];
    for (int64_t b = 0; b < nb; b++) { /* per block: the threshold */
        float t = K_NOISE * (sd[b] > g ? sd[b] : g);
        sd[b] = t > 0.1f ? t : 0.1f;
    }
    for (int64_t i = h; i + h < n; i++) {
        /* most samples: below the block's threshold; test a block at a time */
        float thr = sd[i / blk];
        int64_t end = (i / blk + 1) * blk;
        if (end > n - h) end = n - h;
        while (i < end && fabsf(x[i] - med[i]) <= thr) i++;
        if (i >= end) { i--; continue; }
        float r = x[i] - med[i], ar = fabsf(r);
        int peak = 1;
        for (int64_t k = i - h; k <= i + h && peak; k++)
            if (k != i && fabsf(x[k] - med[k]) > ar) peak = 0;
        if (!peak) continue;
        float wide = x[i] - median_window(x, n, i - 3 * h, i + 3 * h);
        if (!(r * wide > 0) || ar < K_RATIO * fabsf(wide)) continue;
        if (!isolated(x, n, i, h)) continue;
        if (*nsp == *cap) {
            int nc = *cap ? 2 * *cap : 64;
            int64_t *ns = realloc(*sp, sizeof *ns * (size_t)nc);
            if (!ns) { free(sd); return ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory"); }
            *sp = ns;
            *cap = nc;
        }
        (*sp)[(*nsp)++] = i;
        i += h; /* the next spike cannot be inside this one */
    }
    free(sd);
    return 0;
}

int qrs_merge_spikes(int64_t *sp, int nsp, int64_t tol, int min_leads)
{
    if (nsp < 1) return 0;
    qsort(sp, (size_t)nsp, sizeof *sp, cmp_i64);
    int k = 0;
    for (int i = 0; i < nsp;) {
        int j = i + 1;
        while (j < nsp && sp[j] - sp[j - 1] <= tol) j++;
        /* a group of candidates from the leads: one spike, placed at its
         * median, when enough leads saw it (each lead gives at most one) */
        if (j - i >= min_leads) sp[k++] = sp[i + (j - i) / 2];
        i = j;
    }
    return k;
}
