/* Baseline-wander removal by two cascaded running medians (de Chazal,
 * O'Dwyer and Reilly 2004): a 200 ms median removes the QRS and P waves, a
 * 600 ms median of that removes the T waves, and what is left is the
 * baseline, subtracted from the signal. Unlike a high-pass it has no
 * frequency cut-off to trade against the ST segment: any wave narrower than
 * the windows is kept whole. Windows are centred and shrink to the samples
 * available at the record's edges. */
#include "ecgx/dsp.h"
#include "ecgx/common.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* First index in sorted w[0..k) whose value is not below v. */
static int64_t lower_bound(const float *w, int64_t k, float v)
{
    int64_t lo = 0, hi = k;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (w[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Running median of x over a centred window of 2 h + 1 samples (fewer at
 * the edges) into y. A sorted copy of the window is kept: each step inserts
 * one sample and removes one by binary search and memmove, O(n h) in all
 * but with a tiny constant for the ECG's window lengths. The median of an
 * even count is the mean of the two middle values. x must be finite. */
static void running_median(const float *x, float *y, int64_t n, int64_t h, float *w)
{
    int64_t k = 0;
    for (int64_t i = 0; i < n && i < h; i++) { /* the samples right of 0 */
        int64_t at = lower_bound(w, k, x[i]);
        memmove(w + at + 1, w + at, sizeof *w * (size_t)(k - at));
        w[at] = x[i];
        k++;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t in = i + h, out = i - h - 1;
        if (in < n) {
            int64_t at = lower_bound(w, k, x[in]);
            memmove(w + at + 1, w + at, sizeof *w * (size_t)(k - at));
            w[at] = x[in];
            k++;
        }
        if (out >= 0) {
            int64_t at = lower_bound(w, k, x[out]); /* present: x is finite */
            memmove(w + at, w + at + 1, sizeof *w * (size_t)(k - at - 1));
            k--;
        }
        y[i] = k % 2 ? w[k / 2] : 0.5f * (w[k / 2 - 1] + w[k / 2]);
    }
}

int ecgx_baseline_remove_median(float *x, int64_t n, double fs)
{
    if (!(fs > 0) || !isfinite(fs)) return ecgx_error(ECGX_ERR_RANGE, "baseline: bad sampling rate %g Hz", fs);
    if (n < 1) return 0;
    ecgx_dsp_sanitize(x, n);
    int64_t h1 = (int64_t)llround(0.1 * fs), h2 = (int64_t)llround(0.3 * fs); /* half of 200 / 600 ms */
    if (h1 > n) h1 = n;
    if (h2 > n) h2 = n;
    float *a = ecgx_malloc_array((size_t)n, sizeof *a, "median baseline");
    float *b = ecgx_malloc_array((size_t)n, sizeof *b, "median baseline");
    float *w = ecgx_malloc_array((size_t)(2 * h2 + 2), sizeof *w, "median baseline");
    if (!a || !b || !w) {
        free(a); free(b); free(w);
        return ECGX_ERR_NOMEM;
    }
    running_median(x, a, n, h1, w);
    running_median(a, b, n, h2, w);
    for (int64_t i = 0; i < n; i++) x[i] -= b[i];
    free(a); free(b); free(w);
    return 0;
}
