/* Unreadable stretches of a lead. A disconnected electrode reads a flat line
 * and a saturated amplifier sits on its rail: either way the lead's value
 * stays put, to within the converter's last bit or two. An ECG never does
 * for long: even a quiet baseline carries microvolts of noise and drift, so
 * its samples take many values. A stretch of >= 1 s is unreadable when it
 * holds a half-second block whose samples take at most 3 distinct values,
 * all within 20 uV, and stays within that block's range (+- 20 uV). (A range alone is not
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

/* Whether x[a..b) takes at most 3 distinct values within tol (early exit:
 * a real ECG fails within a few samples). */
static int flat_block(const float *x, int64_t a, int64_t b, float tol)
{
    float val[3];
    int nv = 0;
    for (int64_t i = a; i < b; i++) {
        float v = x[i];
        if ((nv > 0 && v == val[0]) || (nv > 1 && v == val[1]) || (nv > 2 && v == val[2])) continue;
        if (nv == 3) return 0;
        for (int k = 0; k < nv; k++)
            if (v - val[k] > tol || val[k] - v > tol) return 0;
        val[nv++] = v;
    }
    return 1;
}

/* A flat run of >= 1 s contains a whole flat half-second block, so only
 * blocks are tested; a flat block is then grown sample by sample (with the
 * values of the block as the run's values). */
int qrs_flat_runs(const float *x, int64_t n, double fs, int64_t **iv, int *niv, int *cap)
{
    const float tol = 0.02f;
    int64_t min_len = (int64_t)(1.0 * fs), blk = min_len / 2;
    if (blk < 1 || n < min_len) return 0;
    int64_t done_to = 0;
    for (int64_t a = 0; a + blk <= n; a += blk) {
        if (a < done_to || !flat_block(x, a, a + blk, tol)) continue;
        float lo = x[a], hi = x[a];
        for (int64_t i = a; i < a + blk; i++) { lo = x[i] < lo ? x[i] : lo; hi = x[i] > hi ? x[i] : hi; }
        int64_t s = a, e = a + blk;
        /* grow while the sample stays within the block's range (+- tol overall) */
        while (s > done_to && x[s - 1] >= hi - tol && x[s - 1] <= lo + tol) s--;
        while (e < n && x[e] >= hi - tol && x[e] <= lo + tol) e++;
        if (e - s >= min_len && push(iv, niv, cap, s, e)) return ECGX_ERR_NOMEM;
        done_to = e;
    }
    return 0;
}
