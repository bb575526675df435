/* Polyphase rational resampling (up/down) with a Kaiser-windowed sinc.
 *
 * Conceptually: insert up-1 zeros between samples, low-pass at the lower of
 * the two Nyquist rates, keep every down-th sample. Only the taps that meet a
 * real (non-inserted) sample are ever computed, so the cost per output sample
 * is the filter length / up. Filter and alignment follow
 * scipy.signal.resample_poly so results can be checked against it. */
#include "ecgx/dsp.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) { int64_t t = a % b; a = b; b = t; }
    return a;
}

int ecgx_resample_factor(double fs_in, double fs_out, int *up, int *down)
{
    if (!(fs_in > 0) || !(fs_out > 0) || !isfinite(fs_in) || !isfinite(fs_out))
        return ecgx_error(ECGX_ERR_ARG, "resample: rates %g -> %g Hz must be positive", fs_in, fs_out);
    double r = fs_out / fs_in;
    if (r > 1000 || r < 1e-3)
        return ecgx_error(ECGX_ERR_RANGE, "resample: ratio %g (%g -> %g Hz) outside 1/1000..1000", r, fs_in, fs_out);
    /* exact when both rates have at most 3 decimals */
    double a = fs_in * 1000, b = fs_out * 1000;
    if (fabs(a - round(a)) < 1e-6 && fabs(b - round(b)) < 1e-6 && a < 1e15 && b < 1e15) {
        int64_t ia = (int64_t)llround(a), ib = (int64_t)llround(b), g = gcd64(ia, ib);
        ia /= g; ib /= g;
        if (ia <= 100000 && ib <= 100000) { *up = (int)ib; *down = (int)ia; return 0; }
    }
    /* best fraction with denominator <= 1000 (continued fractions) */
    int64_t h0 = 0, h1 = 1, k0 = 1, k1 = 0;
    double x = r;
    for (int it = 0; it < 64; it++) {
        double ai = floor(x);
        int64_t h2 = (int64_t)ai * h1 + h0, k2 = (int64_t)ai * k1 + k0;
        if (k2 > 1000 || h2 > 1000000) break;
        h0 = h1; h1 = h2; k0 = k1; k1 = k2;
        if (fabs(x - ai) < 1e-12) break;
        x = 1 / (x - ai);
    }
    if (h1 < 1 || k1 < 1) return ecgx_error(ECGX_ERR_RANGE, "resample: no rational factor for %g -> %g Hz", fs_in, fs_out);
    *up = (int)h1;
    *down = (int)k1;
    return 0;
}

int64_t ecgx_resample_length(int64_t n, int up, int down)
{
    if (n <= 0 || up <= 0 || down <= 0) return 0;
    int64_t g = gcd64(up, down);
    up /= (int)g; down /= (int)g;
    return (n * up + down - 1) / down;
}

static double bessel_i0(double x)
{
    double sum = 1, term = 1, q = x * x / 4;
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * k);
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

int ecgx_resample_poly(const float *x, int64_t n, int up, int down, float *y)
{
    if (up <= 0 || down <= 0) return ecgx_error(ECGX_ERR_ARG, "resample: factors %d/%d must be positive", up, down);
    if (n <= 0) return 0;
    int64_t g = gcd64(up, down);
    up /= (int)g; down /= (int)g;
    int64_t nout = ecgx_resample_length(n, up, down);
    if (up == 1 && down == 1) { memcpy(y, x, (size_t)n * sizeof *x); return 0; }
    if ((int64_t)up > 100000 || (int64_t)down > 100000)
        return ecgx_error(ECGX_ERR_RANGE, "resample: factor %d/%d too large", up, down);

    int maxr = up > down ? up : down;
    int64_t half = 10 * (int64_t)maxr, len = 2 * half + 1;
    double *h = ecgx_malloc_array((size_t)len, sizeof *h, "resampling filter");
    if (!h) return ECGX_ERR_NOMEM;
    double fc = 1.0 / maxr, beta = 5.0, i0b = bessel_i0(beta), sum = 0;
    for (int64_t k = 0; k < len; k++) {
        double t = (double)(k - half);
        double s = t == 0 ? 1 : sin(M_PI * fc * t) / (M_PI * fc * t);
        double r = 2.0 * (double)k / (double)(len - 1) - 1;
        double w = bessel_i0(beta * sqrt(fmax(0, 1 - r * r))) / i0b;
        h[k] = fc * s * w;
        sum += h[k];
    }
    for (int64_t k = 0; k < len; k++) h[k] *= (double)up / sum; /* unit DC gain after upsampling */

    double mean = 0;
    for (int64_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    /* y[m] = sum_j h[j] * xup[m*down + half - j], xup[i*up] = x[i] - mean */
    for (int64_t m = 0; m < nout; m++) {
        int64_t t = m * down + half; /* position in the upsampled signal */
        int64_t i_hi = t / up;       /* last input sample with i*up <= t */
        int64_t i_lo = t - (len - 1) <= 0 ? 0 : (t - (len - 1) + up - 1) / up;
        if (i_hi > n - 1) i_hi = n - 1;
        double acc = 0;
        for (int64_t i = i_lo; i <= i_hi; i++) acc += h[t - i * up] * (x[i] - mean);
        y[m] = (float)(acc + mean);
    }
    free(h);
    return 0;
}

int ecgx_record_resample(const ecgx_record *rec, double fs_out, ecgx_record **out)
{
    *out = NULL;
    int up, down;
    int rc = ecgx_resample_factor(rec->fs, fs_out, &up, &down);
    if (rc) return rc;
    int64_t nout = ecgx_resample_length(rec->n_samples, up, down);
    if (nout < 1) return ecgx_error(ECGX_ERR_ARG, "resample: %s has no samples", rec->name);
    ecgx_record *r = ecgx_record_clone(rec);
    if (!r) return ECGX_ERR_NOMEM;
    float *data = ecgx_malloc_array((size_t)nout * (size_t)rec->n_leads, sizeof *data, "resampled record");
    if (!data) { ecgx_record_free(r); return ECGX_ERR_NOMEM; }
    for (int l = 0; l < rec->n_leads; l++) {
        rc = ecgx_resample_poly(ecgx_record_lead(rec, l), rec->n_samples, up, down, data + (int64_t)l * nout);
        if (rc) { free(data); ecgx_record_free(r); return rc; }
    }
    free(r->data);
    r->data = data;
    r->n_samples = nout;
    r->fs = rec->fs * up / down;
    *out = r;
    return 0;
}
