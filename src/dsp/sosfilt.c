/* Running second-order sections: causal filtering and zero-phase
 * forward-backward filtering with scipy.signal.sosfiltfilt's edge handling.
 *
 * Why the edge handling matters: starting a high-pass from rest on a signal
 * that sits at 1 mV makes a step, whose ringing would be read as waves in
 * the first second. Odd reflection continues the signal's trend, and starting
 * each section in its steady state for the first padded value removes the
 * step. State runs in double: at 0.5 Hz / 1 kHz the poles sit at 0.998. */
#include "ecgx/dsp.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Direct form II transposed over a double buffer, state z (2 per section). */
static void run_sections(const ecgx_sos *s, double *x, int64_t n, double *z)
{
    for (int k = 0; k < s->n; k++) {
        const double *c = s->c + 6 * k;
        double b0 = c[0], b1 = c[1], b2 = c[2], a1 = c[4], a2 = c[5];
        double z0 = z[2 * k], z1 = z[2 * k + 1];
        for (int64_t i = 0; i < n; i++) {
            double xi = x[i], y = b0 * xi + z0;
            z0 = b1 * xi - a1 * y + z1;
            z1 = b2 * xi - a2 * y;
            x[i] = y;
        }
        z[2 * k] = z0;
        z[2 * k + 1] = z1;
    }
}

/* Steady-state state of each section for a unit step input (scipy's
 * sosfilt_zi): solve (I - A) z = B for the 2x2 companion form, and scale by
 * the DC gain of the sections before it. */
static void steady_state(const ecgx_sos *s, double *zi)
{
    double scale = 1;
    for (int k = 0; k < s->n; k++) {
        const double *c = s->c + 6 * k;
        double b0 = c[0], b1 = c[1], b2 = c[2], a1 = c[4], a2 = c[5];
        double B0 = b1 - a1 * b0, B1 = b2 - a2 * b0;
        /* [[1 + a1, -1], [a2, 1]] z = B */
        double det = (1 + a1) + a2;
        double z0 = det != 0 ? (B0 + B1) / det : 0;
        double z1 = B1 - a2 * z0;
        zi[2 * k] = scale * z0;
        zi[2 * k + 1] = scale * z1;
        double asum = 1 + a1 + a2;
        scale *= asum != 0 ? (b0 + b1 + b2) / asum : 0;
    }
}

void ecgx_sos_filter(const ecgx_sos *s, float *x, int64_t n)
{
    double z[64 * 2] = {0};
    double buf[1024];
    for (int64_t off = 0; off < n; off += 1024) {
        int64_t m = n - off < 1024 ? n - off : 1024;
        for (int64_t i = 0; i < m; i++) buf[i] = x[off + i];
        /* sections run one after another, so each block keeps per-section state */
        run_sections(s, buf, m, z);
        for (int64_t i = 0; i < m; i++) x[off + i] = (float)buf[i];
    }
}

int ecgx_sos_filtfilt(const ecgx_sos *s, float *x, int64_t n)
{
    if (!s || s->n < 1 || s->n > 64) return ecgx_error(ECGX_ERR_ARG, "filtfilt: invalid filter");
    if (n < 2) return 0; /* nothing to shape */
    int zero_b2 = 0, zero_a2 = 0;
    for (int k = 0; k < s->n; k++) { zero_b2 += s->c[6 * k + 2] == 0; zero_a2 += s->c[6 * k + 5] == 0; }
    int64_t pad = 3 * (2 * (int64_t)s->n + 1 - (zero_b2 < zero_a2 ? zero_b2 : zero_a2));
    if (pad > n - 1) pad = n - 1;
    int64_t m = n + 2 * pad;
    double *w = ecgx_malloc_array((size_t)m, sizeof *w, "filtfilt buffer");
    if (!w) return ECGX_ERR_NOMEM;
    for (int64_t i = 0; i < pad; i++) w[i] = 2.0 * x[0] - x[pad - i];
    for (int64_t i = 0; i < n; i++) w[pad + i] = x[i];
    for (int64_t i = 0; i < pad; i++) w[pad + n + i] = 2.0 * x[n - 1] - x[n - 2 - i];

    double zi[128], z[128];
    steady_state(s, zi);
    for (int k = 0; k < 2 * s->n; k++) z[k] = zi[k] * w[0];
    run_sections(s, w, m, z);
    for (int64_t i = 0, j = m - 1; i < j; i++, j--) { double t = w[i]; w[i] = w[j]; w[j] = t; }
    for (int k = 0; k < 2 * s->n; k++) z[k] = zi[k] * w[0];
    run_sections(s, w, m, z);
    for (int64_t i = 0; i < n; i++) x[i] = (float)w[m - 1 - pad - i];
    free(w);
    return 0;
}

/* Four leads at once, interleaved: one lead's recursion is a chain of
 * dependent multiply-adds (latency-bound); four independent chains fill the
 * pipeline and the compiler's vector lanes, so 12 leads cost about 3. */
#define LANES 4
static void run_sections4(const ecgx_sos *s, double *x, int64_t n, double *z)
{
    for (int k = 0; k < s->n; k++) {
        const double *c = s->c + 6 * k;
        double b0 = c[0], b1 = c[1], b2 = c[2], a1 = c[4], a2 = c[5];
        double z0[LANES], z1[LANES];
        for (int j = 0; j < LANES; j++) { z0[j] = z[(2 * k) * LANES + j]; z1[j] = z[(2 * k + 1) * LANES + j]; }
        for (int64_t i = 0; i < n; i++) {
            double *xi = x + i * LANES;
            for (int j = 0; j < LANES; j++) {
                double v = xi[j], y = b0 * v + z0[j];
                z0[j] = b1 * v - a1 * y + z1[j];
                z1[j] = b2 * v - a2 * y;
                xi[j] = y;
            }
        }
        for (int j = 0; j < LANES; j++) { z[(2 * k) * LANES + j] = z0[j]; z[(2 * k + 1) * LANES + j] = z1[j]; }
    }
}

int ecgx_sos_filtfilt_leads(const ecgx_sos *s, float *const *x, int n_leads, int64_t n)
{
    if (!s || s->n < 1 || s->n > 64) return ecgx_error(ECGX_ERR_ARG, "filtfilt: invalid filter");
    if (n < 2 || n_leads < 1) return 0;
    int zero_b2 = 0, zero_a2 = 0;
    for (int k = 0; k < s->n; k++) { zero_b2 += s->c[6 * k + 2] == 0; zero_a2 += s->c[6 * k + 5] == 0; }
    int64_t pad = 3 * (2 * (int64_t)s->n + 1 - (zero_b2 < zero_a2 ? zero_b2 : zero_a2));
    if (pad > n - 1) pad = n - 1;
    int64_t m = n + 2 * pad;
    double *w = ecgx_malloc_array((size_t)m * LANES, sizeof *w, "filtfilt buffer");
    if (!w) return ECGX_ERR_NOMEM;
    double zi[128], z[128 * LANES];
    steady_state(s, zi);
    for (int g = 0; g < n_leads; g += LANES) {
        for (int j = 0; j < LANES; j++) {
            const float *xl = x[g + j < n_leads ? g + j : g]; /* spare lanes repeat a lead */
            for (int64_t i = 0; i < pad; i++) w[i * LANES + j] = 2.0 * xl[0] - xl[pad - i];
            for (int64_t i = 0; i < n; i++) w[(pad + i) * LANES + j] = xl[i];
            for (int64_t i = 0; i < pad; i++) w[(pad + n + i) * LANES + j] = 2.0 * xl[n - 1] - xl[n - 2 - i];
        }
        for (int k = 0; k < 2 * s->n; k++)
            for (int j = 0; j < LANES; j++) z[k * LANES + j] = zi[k] * w[j];
        run_sections4(s, w, m, z);
        for (int64_t i = 0, r = m - 1; i < r; i++, r--)
            for (int j = 0; j < LANES; j++) { double t = w[i * LANES + j]; w[i * LANES + j] = w[r * LANES + j]; w[r * LANES + j] = t; }
        for (int k = 0; k < 2 * s->n; k++)
            for (int j = 0; j < LANES; j++) z[k * LANES + j] = zi[k] * w[j];
        run_sections4(s, w, m, z);
        for (int j = 0; j < LANES && g + j < n_leads; j++)
            for (int64_t i = 0; i < n; i++) x[g + j][i] = (float)w[(m - 1 - pad - i) * LANES + j];
    }
    free(w);
    return 0;
}

int ecgx_filter_butter(float *x, int64_t n, double fs, int order, ecgx_band band, double f1, double f2)
{
    ecgx_sos *s;
    int rc = ecgx_butter(order, band, f1, f2, fs, &s);
    if (rc) return rc;
    rc = ecgx_sos_filtfilt(s, x, n);
    ecgx_sos_free(s);
    return rc;
}

int ecgx_filter_notch(float *x, int64_t n, double fs, double f0)
{
    ecgx_sos *s;
    int rc = ecgx_notch(f0, 30, fs, &s);
    if (rc) return rc;
    rc = ecgx_sos_filtfilt(s, x, n);
    ecgx_sos_free(s);
    return rc;
}

int ecgx_baseline_remove(float *x, int64_t n, double fs)
{
    if (n < 1) return 0;
    if (!(fs > 1.0)) { /* 0.5 Hz is not below Nyquist: only remove the offset */
        double m = 0;
        for (int64_t i = 0; i < n; i++) m += x[i];
        m /= (double)n;
        for (int64_t i = 0; i < n; i++) x[i] = (float)(x[i] - m);
        return 0;
    }
    return ecgx_filter_butter(x, n, fs, 2, ECGX_HIGHPASS, 0.5, 0);
}

int64_t ecgx_dsp_sanitize(float *x, int64_t n)
{
    int64_t bad = 0, last = -1;
    for (int64_t i = 0; i <= n; i++) {
        if (i < n && !isfinite(x[i])) continue;
        if (i - last > 1) { /* fill the gap (last, i) */
            double a = last >= 0 ? x[last] : (i < n ? x[i] : 0);
            double b = i < n ? x[i] : a;
            for (int64_t j = last + 1; j < i; j++) {
                x[j] = (float)(a + (b - a) * (double)(j - last) / (double)(i - last));
                bad++;
            }
        }
        last = i;
    }
    return bad;
}

void ecgx_zscore(float *x, int64_t n)
{
    if (n < 1) return;
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; i++) m += x[i];
    m /= (double)n;
    for (int64_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    double sd = sqrt(v / (double)n);
    double inv = sd > 1e-12 && isfinite(sd) ? 1 / sd : 0;
    for (int64_t i = 0; i < n; i++) x[i] = (float)((x[i] - m) * inv);
}
