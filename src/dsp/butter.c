/* Butterworth and notch design as second-order sections.
 *
 * Poles of the analog prototype are placed on the unit circle, moved to the
 * requested band (low-pass scaling, high-pass inversion, band-pass
 * transformation), mapped by the bilinear transform with prewarped
 * cut-offs, and paired as complex conjugates into sections. Each section is
 * normalised to unit gain at the band's reference frequency, so the cascade
 * has the Butterworth gain of exactly 1 there and sections stay well scaled. */
#include "ecgx/dsp.h"
#include "core/alloc.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void ecgx_sos_free(ecgx_sos *s)
{
    if (!s) return;
    free(s->c);
    free(s);
}

static ecgx_sos *sos_alloc(int n)
{
    ecgx_sos *s = calloc(1, sizeof *s);
    if (!s) { ecgx_error(ECGX_ERR_NOMEM, "filter design: out of memory"); return NULL; }
    s->n = n;
    s->c = ecgx_calloc_array((size_t)n, 6 * sizeof *s->c, "filter sections");
    if (!s->c) { free(s); return NULL; }
    return s;
}

static double complex section_response(const double *c, double w)
{
    double complex z1 = cexp(-I * w), z2 = z1 * z1;
    return (c[0] + c[1] * z1 + c[2] * z2) / (c[3] + c[4] * z1 + c[5] * z2);
}

double ecgx_sos_gain(const ecgx_sos *s, double f, double fs)
{
    double complex h = 1.0;
    double w = 2 * M_PI * f / fs;
    for (int k = 0; k < s->n; k++) h *= section_response(s->c + 6 * k, w);
    return cabs(h);
}

/* Group z-plane poles into conjugate pairs (then pairs of real poles, then a
 * lone real pole) and write their denominators into consecutive sections.
 * Returns the number of sections written. */
static int pair_poles(double complex *p, int np, double *c)
{
    int *used = calloc((size_t)np, sizeof *used);
    if (!used) return -1;
    int ns = 0;
    for (int i = 0; i < np; i++) {
        if (used[i] || cimag(p[i]) <= 1e-12) continue;
        int best = -1;
        double bd = INFINITY;
        for (int j = 0; j < np; j++) {
            if (used[j] || j == i || cimag(p[j]) >= -1e-12) continue;
            double d = cabs(p[j] - conj(p[i]));
            if (d < bd) { bd = d; best = j; }
        }
        if (best < 0) continue;
        used[i] = used[best] = 1;
        double *s = c + 6 * ns++;
        s[3] = 1; s[4] = -2 * creal(p[i]); s[5] = creal(p[i]) * creal(p[i]) + cimag(p[i]) * cimag(p[i]);
    }
    int pending = -1;
    for (int i = 0; i < np; i++) {
        if (used[i]) continue;
        used[i] = 1;
        if (pending < 0) { pending = i; continue; }
        double a = creal(p[pending]), b = creal(p[i]);
        double *s = c + 6 * ns++;
        s[3] = 1; s[4] = -(a + b); s[5] = a * b;
        pending = -1;
    }
    if (pending >= 0) {
        double *s = c + 6 * ns++;
        s[3] = 1; s[4] = -creal(p[pending]); s[5] = 0;
    }
    free(used);
    return ns;
}

int ecgx_butter(int order, ecgx_band band, double f1, double f2, double fs, ecgx_sos **out)
{
    *out = NULL;
    if (order < 1 || order > 32) return ecgx_error(ECGX_ERR_ARG, "butter: order %d outside 1..32", order);
    if (!(fs > 0) || !isfinite(fs)) return ecgx_error(ECGX_ERR_ARG, "butter: sampling rate %g is not positive", fs);
    if (!(f1 > 0 && f1 < fs / 2))
        return ecgx_error(ECGX_ERR_ARG, "butter: cut-off %g Hz outside (0, %g) Hz", f1, fs / 2);
    if (band == ECGX_BANDPASS && !(f2 > f1 && f2 < fs / 2))
        return ecgx_error(ECGX_ERR_ARG, "butter: band %g..%g Hz invalid at %g Hz", f1, f2, fs);
    if (band != ECGX_LOWPASS && band != ECGX_HIGHPASS && band != ECGX_BANDPASS)
        return ecgx_error(ECGX_ERR_ARG, "butter: unknown band type %d", (int)band);

    double fs2 = 2 * fs;
    double w1 = fs2 * tan(M_PI * f1 / fs); /* prewarped analog cut-offs */
    double w2 = band == ECGX_BANDPASS ? fs2 * tan(M_PI * f2 / fs) : 0;
    int np = band == ECGX_BANDPASS ? 2 * order : order;
    double complex p[64];
    for (int k = 0; k < order; k++) {
        double complex q = cexp(I * M_PI * (2.0 * k + order + 1) / (2.0 * order)); /* prototype */
        if (band == ECGX_LOWPASS) p[k] = q * w1;
        else if (band == ECGX_HIGHPASS) p[k] = w1 / q;
        else {
            double bw = w2 - w1, w0sq = w1 * w2;
            double complex h = q * bw / 2, r = csqrt(h * h - w0sq);
            p[2 * k] = h + r;
            p[2 * k + 1] = h - r;
        }
    }
    for (int k = 0; k < np; k++) p[k] = (fs2 + p[k]) / (fs2 - p[k]); /* bilinear */

    int nsec = (np + 1) / 2;
    ecgx_sos *s = sos_alloc(nsec);
    if (!s) return ECGX_ERR_NOMEM;
    int got = pair_poles(p, np, s->c);
    if (got != nsec) { ecgx_sos_free(s); return ecgx_error(ECGX_ERR_NOMEM, "butter: pole pairing failed"); }

    double wref = band == ECGX_LOWPASS ? 0 : band == ECGX_HIGHPASS ? M_PI : 2 * atan(sqrt(w1 * w2) / fs2);
    for (int k = 0; k < nsec; k++) {
        double *c = s->c + 6 * k;
        int first_order = c[5] == 0 && band != ECGX_BANDPASS;
        if (band == ECGX_LOWPASS) { c[0] = 1; c[1] = first_order ? 1 : 2; c[2] = first_order ? 0 : 1; }
        else if (band == ECGX_HIGHPASS) { c[0] = 1; c[1] = first_order ? -1 : -2; c[2] = first_order ? 0 : 1; }
        else { c[0] = 1; c[1] = 0; c[2] = -1; }
        double g = cabs(section_response(c, wref));
        for (int j = 0; j < 3; j++) c[j] /= g;
    }
    *out = s;
    return 0;
}

int ecgx_notch(double f0, double q, double fs, ecgx_sos **out)
{
    *out = NULL;
    if (!(fs > 0) || !isfinite(fs)) return ecgx_error(ECGX_ERR_ARG, "notch: sampling rate %g is not positive", fs);
    if (!(f0 > 0 && f0 < fs / 2)) return ecgx_error(ECGX_ERR_ARG, "notch: %g Hz outside (0, %g) Hz", f0, fs / 2);
    if (!(q > 0) || !isfinite(q)) return ecgx_error(ECGX_ERR_ARG, "notch: quality factor %g is not positive", q);
    ecgx_sos *s = sos_alloc(1);
    if (!s) return ECGX_ERR_NOMEM;
    double w0 = 2 * M_PI * f0 / fs, bw = w0 / q;
    double gain = 1 / (1 + tan(bw / 2));
    double *c = s->c;
    c[0] = gain; c[1] = -2 * gain * cos(w0); c[2] = gain;
    c[3] = 1; c[4] = -2 * gain * cos(w0); c[5] = 2 * gain - 1;
    *out = s;
    return 0;
}
