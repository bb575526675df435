/* The model's preprocessing (ecgx_nn_preprocess, ecgx_model_prepare_record)
 * against an independent scipy reference of the filter the shipped models
 * were trained with (tests/nn_preprocess_ref.py), on a synthetic ECG-like
 * signal with baseline wander and mains hum, at 100 Hz (the shipped model's
 * rate, no resampling) and 500 Hz; plus the record path's lead order, notes
 * and errors. Skips the scipy comparison when /usr/bin/python3 lacks scipy. */
#include "check.h"
#include "ecgx/nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void synth(float *x, int leads, int n, double fs)
{
    for (int l = 0; l < leads; l++)
        for (int i = 0; i < n; i++) {
            double t = i / fs, ph = fmod(t * 1.2, 1.0);
            double qrs = exp(-pow((ph - 0.3) / 0.012, 2)) * (1.0 + 0.1 * l);
            double tw = 0.3 * exp(-pow((ph - 0.6) / 0.05, 2));
            x[(size_t)l * n + i] = (float)(qrs + tw + 0.4 * sin(2 * M_PI * 0.15 * t + l) + 0.05 * sin(2 * M_PI * 50 * t) + 0.2 * l);
        }
}

static int have_scipy(void)
{
    return system("/usr/bin/python3 -c 'import scipy.signal' >/dev/null 2>&1") == 0;
}

static void against_scipy(double fs, int n)
{
    const int leads = 3;
    float *x = malloc(sizeof(float) * leads * n), *ref = malloc(sizeof(float) * leads * n), *y = NULL;
    synth(x, leads, n, fs);
    char in[512], out[512], cmd[1400];
    snprintf(in, sizeof in, "%s/pp_in.f32", test_tmpdir());
    snprintf(out, sizeof out, "%s/pp_ref.f32", test_tmpdir());
    FILE *f = fopen(in, "wb");
    CHECK(f && fwrite(x, sizeof(float), (size_t)leads * n, f) == (size_t)leads * n);
    if (f) fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/nn_preprocess_ref.py %s %s %d %d %g", in, out, leads, n, fs);
    CHECK(system(cmd) == 0);
    f = fopen(out, "rb");
    CHECK(f && fread(ref, sizeof(float), (size_t)leads * n, f) == (size_t)leads * n);
    if (f) fclose(f);
    int64_t m = 0;
    CHECK_OK(ecgx_nn_preprocess(x, leads, n, fs, fs, &y, &m));
    CHECK(m == n);
    double worst = 0, edge = 0;
    for (int64_t i = 0; y && i < (int64_t)leads * n; i++) {
        double d = fabs((double)y[i] - ref[i]);
        int64_t t = i % n;
        if (t < fs || t >= n - fs) edge = fmax(edge, d);
        else worst = fmax(worst, d);
    }
    /* z-scored signals: differences in units of the lead's sd */
    printf("  %g Hz, %d samples: max |library - scipy| %.2e inside, %.2e in the first/last second\n", fs, n, worst, edge);
    CHECK_MSG(worst < 1e-5 && edge < 1e-5, "%g Hz: library differs from the scipy reference by %g (edges %g)", fs, worst, edge);
    free(x);
    free(ref);
    free(y);
}

static void test_against_scipy(void)
{
    if (!have_scipy()) {
        printf("  skipped: /usr/bin/python3 cannot import scipy.signal\n");
        return;
    }
    against_scipy(100, 1000); /* PTB-XL's records100, the shipped model's rate */
    against_scipy(500, 2500);
    against_scipy(100, 150); /* shorter than the 3 s padding */
}

static void test_resample_and_zscore(void)
{
    const int n = 5000;
    float *x = malloc(sizeof(float) * 2 * n), *y = NULL;
    synth(x, 2, n, 500);
    int64_t m = 0;
    CHECK_OK(ecgx_nn_preprocess(x, 2, n, 500, 100, &y, &m));
    CHECK(m == 1000);
    for (int l = 0; y && l < 2; l++) {
        double s = 0, ss = 0;
        for (int64_t i = 0; i < m; i++) s += y[l * m + i];
        for (int64_t i = 0; i < m; i++) ss += (y[l * m + i] - s / m) * (y[l * m + i] - s / m);
        CHECK_NEAR(s / m, 0, 1e-5);
        CHECK_NEAR(sqrt(ss / m), 1, 1e-4);
    }
    free(y);
    x[7] = NAN;
    CHECK(ecgx_nn_preprocess(x, 2, n, 500, 100, &y, &m) < 0 && y == NULL);
    CHECK(ecgx_nn_preprocess(x, 2, 1, 500, 100, &y, &m) < 0);
    CHECK(ecgx_nn_preprocess(x, 2, n, 0, 100, &y, &m) < 0);
    free(x);
}

static void test_prepare_record(void)
{
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, 3, 1};
    CHECK_OK(ecgx_model_create("fcn_wang", &cfg, &m));
    if (!m) return;
    CHECK_OK(ecgx_model_set_meta(m, "fs", "100"));
    /* three leads out of order at 500 Hz, one NaN */
    const int n = 2500;
    ecgx_record *r = ecgx_record_new(3, n, 500);
    CHECK(r != NULL);
    if (!r) {
        ecgx_model_free(m);
        return;
    }
    const char *names[3] = {"V2", "I", "aVF"};
    float *src = malloc(sizeof(float) * 3 * n);
    synth(src, 3, n, 500);
    for (int l = 0; l < 3; l++) {
        CHECK_OK(ecgx_record_set_lead(r, l, names[l], "mV"));
        memcpy(ecgx_record_lead(r, l), src + (size_t)l * n, sizeof(float) * n);
    }
    ecgx_record_lead(r, 0)[100] = NAN;
    float *x = NULL;
    int L = 0;
    double fs = 0;
    char note[256];
    CHECK_OK(ecgx_model_prepare_record(m, r, 0, &x, &L, &fs, note, sizeof note));
    CHECK(L == 500 && fs == 100);
    printf("  note: %s\n", note);
    CHECK(strstr(note, "resampled from 500 Hz to the model's 100 Hz") != NULL);
    CHECK(strstr(note, "missing leads II, III, aVR, aVL, V1, V3, V4, V5, V6 (zeros)") != NULL);
    CHECK(strstr(note, "1 non-finite samples interpolated") != NULL);
    /* lead I lands in row 0 and equals ecgx_nn_preprocess of lead I alone */
    float *y = NULL;
    int64_t ny = 0;
    CHECK_OK(ecgx_nn_preprocess(src + n, 1, n, 500, 100, &y, &ny));
    double d = 0, zero = 0;
    for (int i = 0; x && y && i < L; i++) {
        d = fmax(d, fabs(x[i] - y[i]));
        zero = fmax(zero, fabs(x[1 * L + i])); /* II absent */
    }
    CHECK(d == 0 && zero == 0);
    free(x);
    free(y);
    /* strict: a missing lead or a NaN is an error */
    x = NULL;
    CHECK(ecgx_model_prepare_record(m, r, ECGX_PREPARE_STRICT, &x, &L, &fs, note, sizeof note) < 0 && x == NULL);
    CHECK(strstr(ecgx_last_error(), "needs the 12 standard leads; missing leads II") != NULL);
    /* a record with none of the 12 leads */
    ecgx_record *bad = ecgx_record_new(1, n, 500);
    CHECK_OK(ecgx_record_set_lead(bad, 0, "XYZ", "mV"));
    memcpy(ecgx_record_lead(bad, 0), src, sizeof(float) * n);
    x = NULL;
    CHECK(ecgx_model_prepare_record(m, bad, 0, &x, &L, &fs, note, sizeof note) < 0 && x == NULL);
    ecgx_record_free(bad);
    ecgx_record_free(r);
    free(src);
    ecgx_model_free(m);
}

int main(void)
{
    RUN(test_against_scipy);
    RUN(test_resample_and_zscore);
    RUN(test_prepare_record);
    return check_finish();
}
