/* Filters and resampling against closed forms (Butterworth magnitude via the
 * DFT of the impulse response, zero phase, sinusoid preservation) and, when
 * /usr/bin/python3 has scipy, against scipy.signal itself. */
#include "check.h"
#include "ecgx/dsp.h"

#include <complex.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* |H| at frequency f measured as the DFT of the (long) impulse response. */
static double measured_gain(const ecgx_sos *s, double f, double fs, int n)
{
    float *x = calloc((size_t)n, sizeof *x);
    x[0] = 1;
    ecgx_sos_filter(s, x, n);
    double complex acc = 0;
    for (int i = 0; i < n; i++) acc += x[i] * cexp(-I * 2 * M_PI * f / fs * i);
    free(x);
    return cabs(acc);
}

/* Butterworth digital magnitude after the bilinear transform:
 * |H|^2 = 1 / (1 + (W/Wc)^2n) with W = tan(pi f / fs) (lowpass). */
static double butter_closed(ecgx_band band, int n, double f1, double f2, double f, double fs)
{
    double W = tan(M_PI * f / fs), W1 = tan(M_PI * f1 / fs), r;
    if (band == ECGX_LOWPASS) r = W / W1;
    else if (band == ECGX_HIGHPASS) r = W1 / W;
    else {
        double W2 = tan(M_PI * f2 / fs);
        r = fabs((W * W - W1 * W2) / (W * (W2 - W1)));
    }
    return 1 / sqrt(1 + pow(r, 2 * n));
}

static void test_butter_magnitude(void)
{
    struct { ecgx_band b; int n; double f1, f2, fs; } cases[] = {
        {ECGX_LOWPASS, 1, 40, 0, 500}, {ECGX_LOWPASS, 4, 40, 0, 500}, {ECGX_LOWPASS, 7, 100, 0, 360},
        {ECGX_HIGHPASS, 2, 0.5, 0, 500}, {ECGX_HIGHPASS, 5, 20, 0, 250}, {ECGX_BANDPASS, 2, 5, 15, 360},
        {ECGX_BANDPASS, 3, 0.5, 40, 500}, {ECGX_BANDPASS, 8, 8, 20, 1000},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        ecgx_sos *s;
        CHECK_OK(ecgx_butter(cases[c].n, cases[c].b, cases[c].f1, cases[c].f2, cases[c].fs, &s));
        if (!s) continue;
        int expect_sec = cases[c].b == ECGX_BANDPASS ? cases[c].n : (cases[c].n + 1) / 2;
        CHECK(s->n == expect_sec);
        /* the impulse response must have decayed: slow poles need long windows */
        int len = cases[c].f1 < 1 ? 200000 : 40000;
        double fs = cases[c].fs;
        double probes[] = {0.3, 1, 3, 5, 10, 15, 25, 40, 60, 90, 0.45 * fs};
        for (size_t k = 0; k < sizeof probes / sizeof *probes; k++) {
            double f = probes[k];
            if (f >= fs / 2) continue;
            double want = butter_closed(cases[c].b, cases[c].n, cases[c].f1, cases[c].f2, f, fs);
            CHECK_NEAR(measured_gain(s, f, fs, len), want, 2e-4 + 1e-3 * want);
            CHECK_NEAR(ecgx_sos_gain(s, f, fs), want, 1e-9 + 1e-9 * want);
        }
        ecgx_sos_free(s);
    }
    ecgx_sos *s = NULL;
    CHECK(ecgx_butter(0, ECGX_LOWPASS, 10, 0, 100, &s) < 0 && !s);
    CHECK(ecgx_butter(2, ECGX_LOWPASS, 60, 0, 100, &s) < 0);
    CHECK(ecgx_butter(2, ECGX_BANDPASS, 20, 10, 100, &s) < 0);
    CHECK(ecgx_butter(2, ECGX_LOWPASS, 10, 0, NAN, &s) < 0);
}

static void test_filtfilt_zero_phase(void)
{
    /* A symmetric pulse stays symmetric about its centre; a passband sine
     * keeps its phase and gets gain |H|^2. */
    int n = 4001, c = 2000;
    float *x = calloc((size_t)n, sizeof *x);
    for (int i = -30; i <= 30; i++) x[c + i] = (float)exp(-i * i / 100.0);
    CHECK_OK(ecgx_filter_butter(x, n, 500, 4, ECGX_BANDPASS, 1, 30));
    double asym = 0, peak = 0;
    for (int i = 1; i < 1500; i++) { asym = fmax(asym, fabs(x[c + i] - x[c - i])); peak = fmax(peak, fabs(x[c + i])); }
    CHECK(asym < 1e-5 * fmax(peak, 1));
    int imax = 0;
    for (int i = 0; i < n; i++) if (x[i] > x[imax]) imax = i;
    CHECK(imax == c);

    double fs = 500, f = 7;
    for (int i = 0; i < n; i++) x[i] = (float)sin(2 * M_PI * f * i / fs + 0.3);
    ecgx_sos *s;
    CHECK_OK(ecgx_butter(3, ECGX_BANDPASS, 4, 20, fs, &s));
    double g2 = pow(ecgx_sos_gain(s, f, fs), 2);
    CHECK_OK(ecgx_sos_filtfilt(s, x, n));
    double err = 0;
    for (int i = 500; i < n - 500; i++) err = fmax(err, fabs(x[i] - g2 * sin(2 * M_PI * f * i / fs + 0.3)));
    CHECK_MSG(err < 1e-4, "passband sine error %g", err);
    ecgx_sos_free(s);

    /* baseline wander at 0.1 Hz is removed, a 10 Hz wave is kept */
    for (int i = 0; i < n; i++) x[i] = (float)(2 + 1.5 * sin(2 * M_PI * 0.1 * i / fs) + 0.5 * sin(2 * M_PI * 10 * i / fs));
    CHECK_OK(ecgx_baseline_remove(x, n, fs));
    err = 0;
    for (int i = 200; i < n - 200; i++) err = fmax(err, fabs(x[i] - 0.5 * sin(2 * M_PI * 10 * i / fs)));
    CHECK_MSG(err < 0.1, "baseline residual %g", err);

    /* notch: 50 Hz gone, 10 Hz kept */
    for (int i = 0; i < n; i++) x[i] = (float)(sin(2 * M_PI * 50 * i / fs) + sin(2 * M_PI * 10 * i / fs));
    CHECK_OK(ecgx_filter_notch(x, n, fs, 50));
    err = 0;
    for (int i = 800; i < n - 800; i++) err = fmax(err, fabs(x[i] - sin(2 * M_PI * 10 * i / fs)));
    CHECK_MSG(err < 0.01, "notch residual %g", err);
    free(x);
}

static void test_filtfilt_leads(void)
{
    /* the four-lane version gives what one lead at a time gives, including a
     * partial last group and short signals */
    int nl = 6;
    for (int64_t n = 3; n <= 3000; n += 2997) {
        float *a = malloc(sizeof *a * (size_t)(n * nl)), *b = malloc(sizeof *b * (size_t)(n * nl));
        float *ptr[6];
        unsigned s = 99;
        for (int64_t i = 0; i < n * nl; i++) { s = s * 1103515245u + 12345u; a[i] = b[i] = (float)((s >> 9) % 1000) / 500.0f; }
        ecgx_sos *f;
        CHECK_OK(ecgx_butter(3, ECGX_BANDPASS, 0.5, 40, 500, &f));
        for (int l = 0; l < nl; l++) { ptr[l] = b + l * n; CHECK_OK(ecgx_sos_filtfilt(f, a + l * n, n)); }
        CHECK_OK(ecgx_sos_filtfilt_leads(f, ptr, nl, n));
        double err = 0;
        for (int64_t i = 0; i < n * nl; i++) err = fmax(err, fabs(a[i] - b[i]));
        CHECK_MSG(err == 0, "n %lld: max difference %g", (long long)n, err);
        ecgx_sos_free(f);
        free(a);
        free(b);
    }
}

static void test_short_and_bad(void)
{
    float x[3] = {1, 2, 3};
    CHECK_OK(ecgx_filter_butter(x, 3, 500, 4, ECGX_HIGHPASS, 0.5, 0));
    CHECK(isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2]));
    CHECK_OK(ecgx_filter_butter(x, 1, 500, 4, ECGX_HIGHPASS, 0.5, 0));
    CHECK_OK(ecgx_filter_butter(x, 0, 500, 4, ECGX_HIGHPASS, 0.5, 0));
    CHECK_OK(ecgx_baseline_remove(x, 3, 0.7));
    float y[6] = {NAN, 1, INFINITY, 3, NAN, NAN};
    CHECK(ecgx_dsp_sanitize(y, 6) == 4);
    CHECK(y[0] == 1 && y[2] == 2 && y[4] == 3 && y[5] == 3);
    float z[2] = {NAN, NAN};
    CHECK(ecgx_dsp_sanitize(z, 2) == 2 && z[0] == 0 && z[1] == 0);
    float f[4] = {2, 2, 2, 2};
    ecgx_zscore(f, 4);
    CHECK(f[0] == 0 && f[3] == 0);
    float g[4] = {1, 2, 3, 4};
    ecgx_zscore(g, 4);
    CHECK_NEAR(g[0], -1.5 / sqrt(1.25), 1e-6);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Independent reference: each output sample sorts its own window. */
static void naive_median(const float *x, float *y, int n, int h)
{
    float *w = malloc(sizeof *w * (size_t)(2 * h + 1));
    for (int i = 0; i < n; i++) {
        int a = i - h < 0 ? 0 : i - h, b = i + h > n - 1 ? n - 1 : i + h, k = b - a + 1;
        memcpy(w, x + a, sizeof *w * (size_t)k);
        qsort(w, (size_t)k, sizeof *w, cmp_float);
        y[i] = k % 2 ? w[k / 2] : 0.5f * (w[k / 2 - 1] + w[k / 2]);
    }
    free(w);
}

/* Median baseline removal equals two naive medians (200 then 600 ms)
 * subtracted, on random data with ties and at several lengths and rates;
 * on a synthetic ECG-like signal it removes a large wander and keeps the
 * narrow waves. */
static void test_baseline_median(void)
{
    unsigned seed = 7;
    const int ns[] = {1, 2, 5, 37, 400, 3001};
    const double rates[] = {100, 250, 500, 360};
    for (int t = 0; t < 6; t++) {
        for (int q = 0; q < 4; q++) {
            int n = ns[t];
            double fs = rates[q];
            float *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
            float *a = malloc(sizeof *a * (size_t)n), *b = malloc(sizeof *b * (size_t)n);
            for (int i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                x[i] = (float)((int)(seed >> 16) % 41 - 20) * 0.05f; /* many ties */
                y[i] = x[i];
            }
            CHECK_OK(ecgx_baseline_remove_median(y, n, fs));
            int h1 = (int)lround(0.1 * fs), h2 = (int)lround(0.3 * fs);
            naive_median(x, a, n, h1);
            naive_median(a, b, n, h2);
            double err = 0;
            for (int i = 0; i < n; i++) err = fmax(err, fabs((x[i] - b[i]) - y[i]));
            CHECK_MSG(err == 0, "median baseline n=%d fs=%g differs from naive by %g", n, fs, err);
            free(x); free(y); free(a); free(b);
        }
    }
    /* 500 Hz, 10 s: 1 mV wander at 0.15 Hz plus an offset under 60 ms-wide
     * "QRS" triangles (1 mV) every 0.8 s: the clean signal comes back
     * within 0.08 mV everywhere (a median
     * flattens a sine's crests: 1 - cos(2 pi 0.15 Hz 0.3 s) = 0.04 mV per
     * stage) */
    int n = 5000;
    double fs = 500;
    float *x = malloc(sizeof *x * (size_t)n), *clean = malloc(sizeof *clean * (size_t)n);
    for (int i = 0; i < n; i++) {
        int ph = i % 400;
        clean[i] = ph < 30 ? (float)(ph / 15.0 < 1 ? ph / 15.0 : 2 - ph / 15.0) : 0.0f;
        x[i] = clean[i] + (float)(0.5 + sin(2 * M_PI * 0.15 * i / fs));
    }
    CHECK_OK(ecgx_baseline_remove_median(x, n, fs));
    double err = 0;
    for (int i = 300; i < n - 300; i++) err = fmax(err, fabs(x[i] - clean[i]));
    CHECK_MSG(err < 0.08, "median baseline residual %g", err);
    /* NaN is interpolated, a bad rate is refused */
    x[10] = NAN;
    CHECK_OK(ecgx_baseline_remove_median(x, n, fs));
    CHECK(isfinite(x[10]));
    CHECK(ecgx_baseline_remove_median(x, n, 0) == ECGX_ERR_RANGE);
    CHECK(ecgx_baseline_remove_median(x, n, NAN) == ECGX_ERR_RANGE);
    CHECK_OK(ecgx_baseline_remove_median(x, 0, fs));
    free(x); free(clean);
}

static void test_resample(void)
{
    int up, down;
    CHECK_OK(ecgx_resample_factor(360, 500, &up, &down));
    CHECK(up == 25 && down == 18);
    CHECK_OK(ecgx_resample_factor(500, 100, &up, &down));
    CHECK(up == 1 && down == 5);
    CHECK_OK(ecgx_resample_factor(128.5, 250, &up, &down));
    CHECK(up == 500 && down == 257);
    CHECK_OK(ecgx_resample_factor(M_PI * 100, 250, &up, &down));
    CHECK(fabs(314.159265 * up / down - 250) < 0.01 && down <= 1000);
    CHECK(ecgx_resample_factor(0, 250, &up, &down) < 0);
    CHECK(ecgx_resample_factor(1e9, 1, &up, &down) < 0);

    /* 360 -> 500 Hz keeps a 12 Hz sine (amplitude and phase) */
    int n = 3600;
    float *x = malloc(sizeof *x * (size_t)n);
    for (int i = 0; i < n; i++) x[i] = (float)(0.4 + sin(2 * M_PI * 12 * i / 360.0 + 1.0));
    int64_t m = ecgx_resample_length(n, 25, 18);
    CHECK(m == 5000);
    float *y = malloc(sizeof *y * (size_t)m);
    CHECK_OK(ecgx_resample_poly(x, n, 25, 18, y));
    double err = 0;
    for (int i = 300; i < m - 300; i++) err = fmax(err, fabs(y[i] - (0.4 + sin(2 * M_PI * 12 * i / 500.0 + 1.0))));
    CHECK_MSG(err < 2e-3, "resampled sine error %g", err);
    /* 1000 -> 250 Hz removes a 200 Hz sine (above the new Nyquist) */
    n = 4000;
    x = realloc(x, sizeof *x * (size_t)n);
    for (int i = 0; i < n; i++) x[i] = (float)sin(2 * M_PI * 200 * i / 1000.0);
    m = ecgx_resample_length(n, 1, 4);
    y = realloc(y, sizeof *y * (size_t)m);
    CHECK_OK(ecgx_resample_poly(x, n, 1, 4, y));
    err = 0;
    for (int i = 50; i < m - 50; i++) err = fmax(err, fabs(y[i]));
    CHECK_MSG(err < 0.01, "alias residual %g", err);
    free(x);
    free(y);

    ecgx_record *r = ecgx_record_new(2, 1000, 500);
    for (int i = 0; i < 1000; i++) ecgx_record_lead(r, 1)[i] = (float)sin(2 * M_PI * 5 * i / 500.0);
    ecgx_record *o = NULL;
    CHECK_OK(ecgx_record_resample(r, 250, &o));
    CHECK(o && o->n_samples == 500 && o->fs == 250);
    if (o) CHECK_NEAR(ecgx_record_lead(o, 1)[250], sin(2 * M_PI * 5 * 250 / 250.0), 1e-3);
    ecgx_record_free(o);
    ecgx_record_free(r);
}

/* ---- scipy as an independent reference ---- */
static int have_scipy(void) { return system("/usr/bin/python3 -c 'import scipy.signal' >/dev/null 2>&1") == 0; }

static double *run_scipy(const char *script, const float *x, int n, int nout)
{
    char in[512], out[512], py[512], cmd[2048];
    snprintf(in, sizeof in, "%s/in.f32", test_tmpdir());
    snprintf(out, sizeof out, "%s/out.f64", test_tmpdir());
    snprintf(py, sizeof py, "%s/ref.py", test_tmpdir());
    FILE *f = fopen(in, "wb");
    fwrite(x, sizeof *x, (size_t)n, f);
    fclose(f);
    f = fopen(py, "w");
    fprintf(f, "import sys, numpy as np, scipy.signal as ss\nx = np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float64)\n%s\nnp.asarray(y, dtype=np.float64).tofile(sys.argv[2])\n", script);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", py, in, out);
    if (system(cmd) != 0) return NULL;
    double *y = malloc(sizeof *y * (size_t)nout);
    f = fopen(out, "rb");
    size_t got = f ? fread(y, sizeof *y, (size_t)nout, f) : 0;
    if (f) fclose(f);
    if (got != (size_t)nout) { free(y); return NULL; }
    return y;
}

static void test_against_scipy(void)
{
    if (!have_scipy()) { fprintf(stderr, "  (scipy absent: skipping the scipy comparisons)\n"); return; }
    int n = 3000;
    float *x = malloc(sizeof *x * (size_t)n), *w = malloc(sizeof *w * (size_t)n);
    unsigned s = 12345;
    for (int i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)(1.0 + 0.8 * sin(i * 0.013) + ((s >> 8) & 0xffff) / 65536.0 - 0.5);
    }
    struct { const char *py; int order; ecgx_band b; double f1, f2, fs; } cases[] = {
        {"y = ss.sosfiltfilt(ss.butter(4, 40, 'lowpass', fs=500, output='sos'), x)", 4, ECGX_LOWPASS, 40, 0, 500},
        {"y = ss.sosfiltfilt(ss.butter(2, 0.5, 'highpass', fs=500, output='sos'), x)", 2, ECGX_HIGHPASS, 0.5, 0, 500},
        {"y = ss.sosfiltfilt(ss.butter(3, [0.5, 40], 'bandpass', fs=360, output='sos'), x)", 3, ECGX_BANDPASS, 0.5, 40, 360},
        {"y = ss.sosfiltfilt(ss.butter(5, 25, 'highpass', fs=250, output='sos'), x)", 5, ECGX_HIGHPASS, 25, 0, 250},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        double *ref = run_scipy(cases[c].py, x, n, n);
        CHECK(ref != NULL);
        if (!ref) continue;
        memcpy(w, x, sizeof *x * (size_t)n);
        CHECK_OK(ecgx_filter_butter(w, n, cases[c].fs, cases[c].order, cases[c].b, cases[c].f1, cases[c].f2));
        double err = 0;
        for (int i = 0; i < n; i++) err = fmax(err, fabs(w[i] - ref[i]));
        CHECK_MSG(err < 2e-4, "case %zu: max |ecgx - scipy| = %g", c, err);
        free(ref);
    }
    double *ref = run_scipy("b, a = ss.iirnotch(50, 30, fs=500)\ny = ss.filtfilt(b, a, x, padtype='odd', padlen=9)", x, n, n);
    if (ref) {
        memcpy(w, x, sizeof *x * (size_t)n);
        CHECK_OK(ecgx_filter_notch(w, n, 500, 50));
        double err = 0;
        for (int i = 0; i < n; i++) err = fmax(err, fabs(w[i] - ref[i]));
        CHECK_MSG(err < 2e-4, "notch: max |ecgx - scipy| = %g", err);
        free(ref);
    } else CHECK(0);
    int64_t m = ecgx_resample_length(n, 25, 18);
    ref = run_scipy("y = ss.resample_poly(x, 25, 18, padtype='mean')", x, n, (int)m);
    float *y = malloc(sizeof *y * (size_t)m);
    CHECK(ref != NULL);
    if (ref) {
        CHECK_OK(ecgx_resample_poly(x, n, 25, 18, y));
        double err = 0;
        for (int i = 0; i < m; i++) err = fmax(err, fabs(y[i] - ref[i]));
        CHECK_MSG(err < 1e-4, "resample: max |ecgx - scipy| = %g", err);
        free(ref);
    }
    m = ecgx_resample_length(n, 1, 5);
    ref = run_scipy("y = ss.resample_poly(x, 1, 5, padtype='mean')", x, n, (int)m);
    if (ref) {
        CHECK_OK(ecgx_resample_poly(x, n, 1, 5, y));
        double err = 0;
        for (int i = 0; i < m; i++) err = fmax(err, fabs(y[i] - ref[i]));
        CHECK_MSG(err < 1e-4, "resample down: max |ecgx - scipy| = %g", err);
        free(ref);
    } else CHECK(0);
    free(y);
    free(x);
    free(w);
}

int main(void)
{
    RUN(test_butter_magnitude);
    RUN(test_filtfilt_zero_phase);
    RUN(test_filtfilt_leads);
    RUN(test_short_and_bad);
    RUN(test_baseline_median);
    RUN(test_resample);
    RUN(test_against_scipy);
    return check_finish();
}
