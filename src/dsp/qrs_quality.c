/* Unreadable stretches of a lead. A disconnected electrode reads a flat line
 * and a saturated amplifier sits on its rail: either way the lead's value
 * stays put, which an ECG never does for long (even an isoelectric segment
 * carries microvolts of noise and lasts < 300 ms at any rate we accept). A
 * run of >= 300 ms whose range stays within 10 uV is unreadable. */
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
    const float tol = 0.01f;
    int64_t min_len = (int64_t)(0.3 * fs), s = 0;
    float lo = n ? x[0] : 0, hi = lo;
    for (int64_t i = 1; i <= n; i++) {
        if (i < n) {
            float v = x[i], nlo = v < lo ? v : lo, nhi = v > hi ? v : hi;
            if (nhi - nlo <= tol) { lo = nlo; hi = nhi; continue; }
        }
        if (i - s >= min_len && push(iv, niv, cap, s, i)) return ECGX_ERR_NOMEM;
        if (i < n) { s = i; lo = hi = x[i]; }
    }
    return 0;
}
