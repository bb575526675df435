/* Unreadable stretches of a lead. A disconnected electrode reads a flat line
 * and a saturated amplifier sits on its rail: either way the lead's value
 * stays put, to within the converter's last bit or two. An ECG never does
 * for long: even a quiet baseline carries microvolts of noise and drift, so
 * its samples take many values. A run of >= 1 s whose samples take at most
 * 3 distinct values, all within 20 uV, is unreadable. (A range alone is not
 * enough: a noise-free synthetic baseline drifting slowly stays within
 * 10 uV for 300 ms, and takes a new value at every sample; and a noise-free
 * record stored at 1 uV resolution is exactly flat between beats for up to
 * ~0.6 s at 60 bpm, hence 1 s.) */
#include "dsp/qrs_internal.h"
#include "ecgx/common.h"

#include <stdlib.h>

static int push(int64_t **iv, int *niv, int *cap, int64_t a, int64_t z)
{
    if (*niv == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        int64_t *n2 = realloc(*iv, sizeof *n2 * 2 * (size_t)nc);
        if (!n2) return ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory");
        *iv = n2;
        *cap = nc;
    }
    (*iv)[2 * *niv] = a;
    (*iv)[2 * *niv + 1] = z;
    (*niv)++;
    return 0;
}

int qrs_flat_runs(const float *x, int64_t n, double fs, int64_t **iv, int *niv, int *cap)
{
    const float tol = 0.02f;
    int64_t min_len = (int64_t)(1.0 * fs), s = 0;
    float val[3];
    int nv = 0;
    for (int64_t i = 0; i <= n; i++) {
        if (i < n) {
            float v = x[i];
            int known = 0;
            for (int k = 0; k < nv; k++) known |= val[k] == v;
            if (known) continue;
            int fits = nv < 3;
            for (int k = 0; k < nv && fits; k++) fits = v - val[k] <= tol && val[k] - v <= tol;
            if (fits) { val[nv++] = v; continue; }
        }
        if (i - s >= min_len && push(iv, niv, cap, s, i)) return ECGX_ERR_NOMEM;
        if (i < n) { s = i; val[0] = x[i]; nv = 1; }
    }
    return 0;
}
