/* Calibration: equal-width reliability bins and the expected calibration
 * error. Bin edges are k * (1/B), exactly as numpy's linspace makes them, and
 * a score equal to an inner edge falls in the lower bin — the same binning as
 * scikit-learn's calibration_curve(strategy="uniform"). */
#include "eval/eval_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>

int ecgx_eval_calibration(const double *score, const uint8_t *label, int64_t n, int n_bins,
                          ecgx_calibration *out)
{
    out->n_bins = 0;
    out->bins = NULL;
    int rc = eval_check_inputs("calibration", score, label, n);
    if (rc) return rc;
    if (n_bins < 1 || n_bins > 10000)
        return ecgx_error(ECGX_ERR_ARG, "calibration: %d bins (must be 1..10000)", n_bins);
    for (int64_t i = 0; i < n; i++)
        if (score[i] < 0 || score[i] > 1)
            return ecgx_error(ECGX_ERR_RANGE, "calibration: score of record %lld is %g, outside [0, 1]",
                              (long long)i, score[i]);
    ecgx_calibration_bin *bins = ecgx_calloc_array((size_t)n_bins, sizeof *bins, "calibration bins");
    double *sum_s = ecgx_calloc_array((size_t)n_bins, sizeof *sum_s, "calibration sums");
    double *sum_y = ecgx_calloc_array((size_t)n_bins, sizeof *sum_y, "calibration sums");
    if (!bins || !sum_s || !sum_y) { free(bins); free(sum_s); free(sum_y); return ECGX_ERR_NOMEM; }
    double step = 1.0 / n_bins;
    for (int64_t i = 0; i < n; i++) {
        /* index = number of inner edges strictly below the score */
        int k = (int)floor(score[i] * n_bins);
        if (k > n_bins - 1) k = n_bins - 1;
        if (k < 0) k = 0;
        while (k > 0 && !((double)k * step < score[i])) k--;
        while (k < n_bins - 1 && (double)(k + 1) * step < score[i]) k++;
        bins[k].count++;
        sum_s[k] += score[i];
        sum_y[k] += label[i];
    }
    double ece = 0, mce = 0;
    for (int k = 0; k < n_bins; k++) {
        bins[k].lo = k * step;
        bins[k].hi = k == n_bins - 1 ? 1.0 : (k + 1) * step;
        if (bins[k].count) {
            bins[k].mean_score = sum_s[k] / (double)bins[k].count;
            bins[k].frac_pos = sum_y[k] / (double)bins[k].count;
            double gap = fabs(bins[k].frac_pos - bins[k].mean_score);
            ece += (double)bins[k].count / (double)n * gap;
            if (gap > mce) mce = gap;
        } else {
            bins[k].mean_score = bins[k].frac_pos = NAN;
        }
    }
    free(sum_s);
    free(sum_y);
    out->n_bins = n_bins;
    out->bins = bins;
    out->ece = ece;
    out->mce = mce;
    return 0;
}

void ecgx_calibration_free(ecgx_calibration *cal)
{
    if (!cal) return;
    free(cal->bins);
    cal->bins = NULL;
    cal->n_bins = 0;
}
