/* QRS detection and delineation on signals made here with known beats:
 * clean, noisy, with baseline wander, PVCs, pacing spikes, low amplitude,
 * and on bad input (flat, pure noise, clipped, NaN, short, extreme rates). */
#include "check.h"
#include "dsp_eval.h"
#include "ecgx/delineate.h"
#include "ecgx/dsp.h"
#include "ecgx/measure.h"
#include "ecgx/qrs.h"
#include "dsp/despike.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static unsigned rng_state = 2024;
static double urand(void) { rng_state = rng_state * 1664525u + 1013904223u; return (rng_state >> 8) / 16777216.0; }
static double grand(void) { double u = urand() + 1e-12, v = urand(); return sqrt(-2 * log(u)) * cos(2 * M_PI * v); }

static int64_t ms_to(double fs, double t) { return (int64_t)llround(t * fs / 1000.0); }
static double gauss(double t, double mu, double sd) { return exp(-0.5 * (t - mu) * (t - mu) / (sd * sd)); }

/* One beat at time r (s): P at r-0.16, QRS around r, T at r+0.28. Known
 * fiducials (for a Gaussian, onset/offset ~ mu -/+ 2.5 sd). */
static double beat(double t, double r, double amp, int wide, int has_p)
{
    double v = 0;
    if (has_p) v += 0.15 * amp * gauss(t, r - 0.16, 0.02);
    double qs = wide ? 0.03 : 0.01;
    v += amp * (-0.1 * gauss(t, r - 2 * qs, qs * 0.6) + gauss(t, r, qs) - 0.25 * gauss(t, r + 2 * qs, qs * 0.6));
    v += 0.3 * amp * gauss(t, r + 0.28, 0.04);
    return v;
}

typedef struct sig_opts { double noise, wander, amp; int pvc_every, paced, af; } sig_opts;

static ecgx_record *make_ecg(double fs, double secs, int n_leads, sig_opts o, int64_t *beats, int *n_beats)
{
    int64_t n = (int64_t)(fs * secs);
    ecgx_record *r = ecgx_record_new(n_leads, n, fs);
    double t = 0.5;
    int k = 0;
    double rs[1000];
    while (t < secs - 0.5 && k < 1000) {
        rs[k] = t;
        beats[k] = (int64_t)llround(t * fs);
        k++;
        double rr = o.af ? 0.45 + 0.5 * urand() : 0.8;
        t += rr;
    }
    *n_beats = k;
    double fphase[256] = {0};
    for (int l = 0; l < n_leads; l++) {
        float *x = ecgx_record_lead(r, l);
        double gain = 0.5 + 0.5 * (l + 1) / n_leads;
        for (int64_t i = 0; i < n; i++) {
            double ti = (double)i / fs, v = 0;
            for (int b = 0; b < k; b++) {
                if (fabs(ti - rs[b]) > 0.7) continue;
                int pvc = o.pvc_every && b % o.pvc_every == o.pvc_every - 1;
                v += beat(ti, rs[b], o.amp * gain * (pvc ? -1.6 : 1), pvc, !pvc && !o.af);
                if (o.paced && fabs(ti - (rs[b] - 0.04)) < 1.0 / fs) v += 3.0; /* a 2 ms spike */
            }
            if (o.af) { /* fibrillatory waves: 4-9 Hz with wandering phase, ~0.1 mV */
                fphase[l] += 2 * M_PI * (6.5 + 2.5 * sin(2 * M_PI * 0.37 * ti + l)) / fs + 0.3 * grand() / sqrt(fs);
                v += 0.08 * sin(fphase[l]);
            }
            v += o.wander * sin(2 * M_PI * 0.25 * ti + l) + o.noise * grand() + 0.3;
            x[i] = (float)v;
        }
    }
    return r;
}

static void check_detection(const char *what, double fs, int leads, sig_opts o, int lead)
{
    int64_t ref[1000];
    int nr;
    ecgx_record *r = make_ecg(fs, 30, leads, o, ref, &nr);
    int64_t *pk = NULL;
    int np = 0;
    CHECK_OK(ecgx_qrs_detect(r, lead, &pk, &np));
    long tp, fn, fp;
    match_beats(ref, nr, pk, np, (int64_t)(0.15 * fs), NULL, NULL, 0, &tp, &fn, &fp);
    CHECK_MSG(fn == 0 && fp == 0, "%s: %d beats, %d detections, %ld missed, %ld false", what, nr, np, fn, fp);
    /* R peaks land on the R wave (within 20 ms), PVCs included */
    int off = 0;
    for (int b = 0; b < np; b++) {
        int64_t best = INT64_MAX;
        for (int i = 0; i < nr; i++) best = llabs(pk[b] - ref[i]) < best ? llabs(pk[b] - ref[i]) : best;
        off += best > (int64_t)(0.02 * fs);
    }
    CHECK_MSG(off == 0, "%s: %d peaks more than 20 ms from R", what, off);
    free(pk);
    ecgx_record_free(r);
}

static void test_detection(void)
{
    check_detection("clean 500 Hz", 500, 1, (sig_opts){0.01, 0, 1, 0, 0, 0}, 0);
    check_detection("clean 360 Hz", 360, 2, (sig_opts){0.01, 0, 1, 0, 0, 0}, -1);
    check_detection("clean 100 Hz", 100, 12, (sig_opts){0.01, 0, 1, 0, 0, 0}, -1);
    check_detection("noise 0.1 mV", 500, 12, (sig_opts){0.1, 0, 1, 0, 0, 0}, -1);
    check_detection("baseline wander 1 mV", 500, 3, (sig_opts){0.02, 1.0, 1, 0, 0, 0}, -1);
    check_detection("PVC every 4th", 500, 2, (sig_opts){0.02, 0.2, 1, 4, 0, 0}, 0);
    check_detection("pacing spikes", 500, 2, (sig_opts){0.02, 0, 1, 0, 1, 0}, -1);
    check_detection("low amplitude 0.1 mV", 500, 1, (sig_opts){0.005, 0, 0.1, 0, 0, 0}, 0);
    check_detection("AF irregular", 500, 12, (sig_opts){0.02, 0.1, 1, 0, 0, 1}, -1);
    check_detection("1 kHz", 1000, 2, (sig_opts){0.02, 0, 1, 0, 0, 0}, -1);

    /* one lead of noise among clean leads does not hide the beats */
    int64_t ref[1000];
    int nr;
    ecgx_record *r = make_ecg(500, 30, 3, (sig_opts){0.01, 0, 1, 0, 0, 0}, ref, &nr);
    for (int64_t i = 0; i < r->n_samples; i++) ecgx_record_lead(r, 1)[i] = (float)(0.5 * grand());
    int64_t *pk;
    int np;
    CHECK_OK(ecgx_qrs_detect(r, -1, &pk, &np));
    long tp, fn, fp;
    match_beats(ref, nr, pk, np, 75, NULL, NULL, 0, &tp, &fn, &fp);
    CHECK_MSG(fn == 0 && fp == 0, "noisy lead fused: %ld missed, %ld false", fn, fp);
    double rr[1000];
    CHECK(ecgx_rr_series(pk, np, 500, rr) == np - 1);
    if (np > 2) CHECK_NEAR(rr[1], 800, 4);
    free(pk);
    ecgx_record_free(r);
}

static void test_delineation_synthetic(void)
{
    int64_t ref[1000];
    int nr;
    double fs = 500;
    ecgx_record *r = make_ecg(fs, 20, 12, (sig_opts){0.005, 0, 1, 0, 0, 0}, ref, &nr);
    ecgx_fiducials *f = NULL;
    CHECK_OK(ecgx_delineate(r, NULL, 0, &f));
    CHECK(f && f->n_beats == nr && f->n_leads == 12);
    if (f && f->n_beats == nr) {
        for (int b = 1; b + 1 < nr; b++) {
            const ecgx_beat *g = &f->beats[b];
            int64_t R = ref[b];
            /* QRS of the template spans about R-35..R+30 ms, P peaks 160 ms before, T 280 ms after */
            CHECK(g->wave[ECGX_WAVE_QRS].onset >= R - ms_to(fs, 60) && g->wave[ECGX_WAVE_QRS].onset <= R - ms_to(fs, 10));
            CHECK(g->wave[ECGX_WAVE_QRS].offset >= R + ms_to(fs, 10) && g->wave[ECGX_WAVE_QRS].offset <= R + ms_to(fs, 60));
            CHECK(llabs(g->wave[ECGX_WAVE_P].peak - (R - ms_to(fs, 160))) <= ms_to(fs, 10));
            CHECK(llabs(g->wave[ECGX_WAVE_T].peak - (R + ms_to(fs, 280))) <= ms_to(fs, 15));
            CHECK(g->wave[ECGX_WAVE_P].onset < g->wave[ECGX_WAVE_P].peak && g->wave[ECGX_WAVE_P].offset > g->wave[ECGX_WAVE_P].peak);
            CHECK(g->wave[ECGX_WAVE_T].onset < g->wave[ECGX_WAVE_T].peak && g->wave[ECGX_WAVE_T].offset > g->wave[ECGX_WAVE_T].peak);
            CHECK(g->wave[ECGX_WAVE_P].offset <= g->wave[ECGX_WAVE_QRS].onset);
        }
    }
    ecgx_fiducials_free(f);
    ecgx_record_free(r);
    /* AF: irregular rhythm, fibrillatory baseline, no P waves */
    r = make_ecg(fs, 30, 12, (sig_opts){0.01, 0, 1, 0, 0, 1}, ref, &nr);
    CHECK_OK(ecgx_delineate(r, NULL, 0, &f));
    int with_p = 0;
    for (int b = 0; f && b < f->n_beats; b++) with_p += f->beats[b].wave[ECGX_WAVE_P].peak >= 0;
    CHECK_MSG(f && with_p <= f->n_beats / 10, "AF: %d of %d beats given a P wave", with_p, f ? f->n_beats : 0);
    ecgx_fiducials_free(f);
    ecgx_record_free(r);
}

static void bad_record(const char *what, ecgx_record *r, int expect_error)
{
    int64_t *pk = NULL;
    int np = -1;
    int rc = ecgx_qrs_detect(r, -1, &pk, &np);
    if (expect_error) CHECK_MSG(rc < 0 && *ecgx_last_error(), "%s: expected an error", what);
    else CHECK_MSG(rc == 0 && np >= 0, "%s: rc %d", what, rc);
    ecgx_fiducials *f = NULL;
    rc = ecgx_delineate(r, pk, rc == 0 ? np : 0, &f);
    CHECK_MSG(rc == 0 || expect_error, "%s: delineate rc %d", what, rc);
    for (int b = 0; f && b < f->n_beats; b++)
        for (int w = 0; w < ECGX_N_WAVES; w++) {
            const ecgx_wave *v = &f->beats[b].wave[w];
            CHECK(v->onset >= -1 && v->onset < r->n_samples && v->offset < r->n_samples);
        }
    ecgx_fiducials_free(f);
    free(pk);
}

static void test_bad_input(void)
{
    ecgx_record *r = ecgx_record_new(12, 5000, 500); /* flat: zeros */
    int64_t *pk;
    int np;
    CHECK_OK(ecgx_qrs_detect(r, -1, &pk, &np));
    CHECK(np == 0);
    free(pk);
    bad_record("flat", r, 0);
    for (int64_t i = 0; i < 5000 * 12; i++) r->data[i] = 1.7f; /* flat at an offset */
    bad_record("flat offset", r, 0);
    for (int64_t i = 0; i < 5000 * 12; i++) r->data[i] = (float)grand(); /* pure noise */
    bad_record("noise", r, 0);
    for (int64_t i = 0; i < 5000 * 12; i++) r->data[i] = NAN;
    bad_record("all NaN", r, 0);
    ecgx_record_free(r);

    int64_t ref[1000];
    int nr;
    r = make_ecg(500, 10, 12, (sig_opts){0.01, 0, 1, 0, 0, 0}, ref, &nr);
    for (int64_t i = 0; i < r->n_samples * 12; i++) r->data[i] = fminf(fmaxf(r->data[i], 0.1f), 0.6f); /* clipped */
    CHECK_OK(ecgx_qrs_detect(r, -1, &pk, &np));
    CHECK_MSG(abs(np - nr) <= 1, "clipped: %d of %d", np, nr);
    free(pk);
    bad_record("clipped", r, 0);
    for (int64_t i = 100; i < 900; i++) ecgx_record_lead(r, 3)[i] = NAN; /* a NaN stretch */
    ecgx_record_lead(r, 0)[2000] = INFINITY;
    bad_record("NaN stretch", r, 0);
    ecgx_record_free(r);

    r = ecgx_record_new(2, 10, 500); /* very short */
    bad_record("10 samples", r, 0);
    ecgx_record_free(r);
    r = ecgx_record_new(1, 1, 500);
    bad_record("1 sample", r, 0);
    ecgx_record_free(r);
    r = ecgx_record_new(1, 400, 20); /* extreme rates */
    bad_record("20 Hz", r, 1);
    ecgx_record_free(r);
    r = make_ecg(10000, 3, 1, (sig_opts){0.01, 0, 1, 0, 0, 0}, ref, &nr);
    bad_record("10 kHz", r, 0);
    ecgx_record_free(r);
    r = ecgx_record_new(1, 100, 1e9);
    bad_record("1 GHz", r, 1);
    ecgx_record_free(r);
    r = ecgx_record_new(2, 1000, 500);
    CHECK(ecgx_qrs_detect(r, 5, &pk, &np) < 0);
    ecgx_record_free(r);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_despike(void)
{
    /* every width against sorting the window, edges repeating the end samples */
    float x[200], y[200], win[15];
    for (int i = 0; i < 200; i++) x[i] = (float)(int)(urand() * 9);
    for (int w = 1; w <= 15; w += 2) {
        ecgx_despike(x, 200, w, y);
        int bad = 0;
        for (int i = 0; i < 200; i++) {
            for (int k = 0; k < w; k++) { int j = i - w / 2 + k; win[k] = x[j < 0 ? 0 : j > 199 ? 199 : j]; }
            qsort(win, (size_t)w, sizeof *win, cmp_float);
            bad += y[i] != win[w / 2];
        }
        CHECK_MSG(bad == 0, "width %d: %d wrong medians", w, bad);
    }
}

/* Random records of random rates and lengths with hostile content (huge
 * values, steps, spikes, NaN/Inf runs): every call returns 0 or an error,
 * and every fiducial is -1 or inside the record. */
static void test_random_hostile(void)
{
    int rounds = getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER")) ? 25 : 120;
    for (int k = 0; k < rounds; k++) {
        double fs = 30 + urand() * 2000;
        int64_t n = (int64_t)(urand() * 4 * fs);
        int nl = 1 + (int)(urand() * 12);
        ecgx_record *r = ecgx_record_new(nl, n > 0 ? n : 1, fs);
        if (!r) continue;
        int kind = k % 6;
        for (int64_t i = 0; i < r->n_samples * nl; i++) {
            double v = grand();
            if (kind == 1) v *= 1e30;
            if (kind == 2) v = (i / 97) % 2 ? 5 : -5;
            if (kind == 3 && urand() < 0.01) v = 1e6;
            if (kind == 4 && (i / 50) % 3 == 0) v = (i % 2) ? NAN : INFINITY;
            if (kind == 5) v = 1e-30 * v;
            r->data[i] = (float)v;
        }
        int64_t *pk = NULL;
        int np = 0;
        int rc = ecgx_qrs_detect(r, -1, &pk, &np);
        CHECK(rc == 0 || rc < 0);
        for (int b = 0; rc == 0 && b < np; b++) CHECK(pk[b] >= 0 && pk[b] < r->n_samples);
        ecgx_fiducials *f = NULL;
        if (rc == 0 && ecgx_delineate(r, pk, np, &f) == 0) {
            for (int b = 0; b < f->n_beats; b++)
                for (int l = -1; l < f->n_leads; l++) {
                    const ecgx_beat *bt = l < 0 ? &f->beats[b] : &f->per_lead[(int64_t)l * f->n_beats + b];
                    for (int w = 0; w < ECGX_N_WAVES; w++) {
                        const int64_t v3[3] = {bt->wave[w].onset, bt->wave[w].peak, bt->wave[w].offset};
                        for (int j = 0; j < 3; j++) CHECK(v3[j] >= -1 && v3[j] < r->n_samples);
                    }
                }
            ecgx_features *feat = NULL;
            CHECK_OK(ecgx_measure(r, f, &feat));
            ecgx_features_free(feat);
        }
        ecgx_fiducials_free(f);
        free(pk);
        ecgx_record_free(r);
    }
}

int main(void)
{
    RUN(test_despike);
    RUN(test_random_hostile);
    RUN(test_detection);
    RUN(test_delineation_synthetic);
    RUN(test_bad_input);
    return check_finish();
}
