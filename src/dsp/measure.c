/* Record-level ECG measurements from the delineation and the median beats;
 * definitions in include/ecgx/measure.h. */
#include "ecgx/measure.h"
#include "ecgx/delineate.h"
#include "ecgx/dsp.h"
#include "ecgx/qrs.h"
#include "core/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define PRE_MS 250.0
#define POST_MS 450.0

void ecgx_features_free(ecgx_features *f)
{
    if (!f) return;
    free(f->names);
    free(f->values);
    free(f);
}

double ecgx_features_get(const ecgx_features *f, const char *name)
{
    for (int i = 0; f && i < f->n; i++)
        if (strcmp(f->names[i], name) == 0) return f->values[i];
    return NAN;
}

static int add(ecgx_features *f, int *cap, const char *name, const char *suffix, double v)
{
    if (f->n == *cap) {
        *cap = *cap ? 2 * *cap : 128;
        void *a = realloc(f->names, sizeof *f->names * (size_t)*cap);
        if (!a) return ecgx_error(ECGX_ERR_NOMEM, "measure: out of memory");
        f->names = a;
        void *b = realloc(f->values, sizeof *f->values * (size_t)*cap);
        if (!b) return ecgx_error(ECGX_ERR_NOMEM, "measure: out of memory");
        f->values = b;
    }
    snprintf(f->names[f->n], ECGX_FEATURE_NAME_MAX, "%s_%s", name, suffix);
    f->values[f->n++] = isfinite(v) ? v : NAN;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    if (n <= 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int64_t ecgx_median_beat_length(double fs)
{
    return (int64_t)llround(PRE_MS * fs / 1000) + (int64_t)llround(POST_MS * fs / 1000) + 1;
}

/* Median interval (in samples) from R of a global fiducial, over beats. */
static double median_offset(const ecgx_fiducials *fid, int wave, int which, double *tmp)
{
    int k = 0;
    for (int b = 0; b < fid->n_beats; b++) {
        const ecgx_wave *w = &fid->beats[b].wave[wave];
        int64_t v = which == 0 ? w->onset : which == 1 ? w->peak : w->offset;
        if (v >= 0) tmp[k++] = (double)(v - fid->beats[b].r);
    }
    return median(tmp, k);
}

/* Median beat of a (filtered) lead; returns the number of beats used. */
static int median_beat_of(const float *x, int64_t n, double fs, const ecgx_fiducials *fid, float *out, double *tmp)
{
    int64_t pre = (int64_t)llround(PRE_MS * fs / 1000), len = ecgx_median_beat_length(fs);
    int used = 0;
    for (int64_t j = 0; j < len; j++) {
        int k = 0;
        for (int b = 0; b < fid->n_beats; b++) {
            int64_t s = fid->beats[b].r - pre;
            if (s < 0 || s + len > n) continue;
            tmp[k++] = x[s + j];
        }
        used = k;
        out[j] = k ? (float)median(tmp, k) : NAN;
    }
    return used;
}

int ecgx_median_beat(const ecgx_record *rec, const ecgx_fiducials *fid, int lead, float *out, int64_t *r_index)
{
    if (lead < 0 || lead >= rec->n_leads) return ecgx_error(ECGX_ERR_ARG, "median beat: no lead %d", lead);
    int64_t n = rec->n_samples, len = ecgx_median_beat_length(rec->fs);
    float *x = ecgx_malloc_array((size_t)n, sizeof *x, "median beat");
    double *tmp = ecgx_malloc_array((size_t)fid->n_beats + 1, sizeof *tmp, "median beat");
    if (!x || !tmp) { free(x); free(tmp); return ECGX_ERR_NOMEM; }
    memcpy(x, ecgx_record_lead(rec, lead), sizeof *x * (size_t)n);
    ecgx_dsp_sanitize(x, n);
    int rc = ecgx_baseline_remove(x, n, rec->fs);
    if (!rc) {
        median_beat_of(x, n, rec->fs, fid, out, tmp);
        double pre = PRE_MS * rec->fs / 1000;
        double qon = median_offset(fid, ECGX_WAVE_QRS, 0, tmp);
        if (isfinite(qon)) { /* subtract the PR-segment level */
            int64_t a = (int64_t)llround(pre + qon - 0.02 * rec->fs), z = (int64_t)llround(pre + qon);
            double s = 0;
            int k = 0;
            for (int64_t j = a; j <= z; j++) if (j >= 0 && j < len && isfinite(out[j])) { s += out[j]; k++; }
            if (k) for (int64_t j = 0; j < len; j++) out[j] = (float)(out[j] - s / k);
        }
    }
    if (r_index) *r_index = (int64_t)llround(PRE_MS * rec->fs / 1000);
    free(x);
    free(tmp);
    return rc;
}

typedef struct lead_amp { double p, q, r, s, t, st60, st80, area[3]; } lead_amp;

static double extremum(const float *b, int64_t len, int64_t a, int64_t z)
{
    double best = NAN;
    for (int64_t j = a; j <= z; j++)
        if (j >= 0 && j < len && isfinite(b[j]) && (!isfinite(best) || fabs(b[j]) > fabs(best))) best = b[j];
    return best;
}

static double area(const float *b, int64_t len, int64_t a, int64_t z)
{
    if (a < 0 || z >= len || z <= a) return NAN;
    double s = 0;
    for (int64_t j = a; j <= z; j++) s += b[j];
    return s;
}

int ecgx_measure(const ecgx_record *rec, const ecgx_fiducials *fid, ecgx_features **out)
{
    *out = NULL;
    if (!rec || !fid) return ecgx_error(ECGX_ERR_ARG, "measure: missing record or fiducials");
    double fs = rec->fs;
    int64_t n = rec->n_samples, len = ecgx_median_beat_length(fs), pre = (int64_t)llround(PRE_MS * fs / 1000);
    int nl = rec->n_leads, nb = fid->n_beats;
    ecgx_features *f = calloc(1, sizeof *f);
    double *tmp = ecgx_malloc_array((size_t)nb + 2, sizeof *tmp, "measure");
    float *beat = ecgx_malloc_array((size_t)len, sizeof *beat, "measure");
    lead_amp *amp = ecgx_calloc_array((size_t)nl, sizeof *amp, "measure");
    int cap = 0, rc = 0;
    if (!f || !tmp || !beat || !amp) { rc = ECGX_ERR_NOMEM; goto done; }

    /* rhythm */
    double rr_mean = NAN, rr_sd = NAN, rmssd = NAN;
    if (nb >= 2) {
        double s = 0, s2 = 0, d2 = 0;
        for (int b = 0; b + 1 < nb; b++) {
            double rr = 1000.0 * (double)(fid->beats[b + 1].r - fid->beats[b].r) / fs;
            s += rr;
            s2 += rr * rr;
            if (b > 0) {
                double prev = 1000.0 * (double)(fid->beats[b].r - fid->beats[b - 1].r) / fs;
                d2 += (rr - prev) * (rr - prev);
            }
        }
        int m = nb - 1;
        rr_mean = s / m;
        rr_sd = m > 1 ? sqrt(fmax(0, (s2 - m * rr_mean * rr_mean) / (m - 1))) : NAN;
        rmssd = m > 1 ? sqrt(d2 / (m - 1)) : NAN;
    }
    /* intervals: medians over beats of per-beat durations */
    double to_ms = 1000.0 / fs;
    int k = 0;
    for (int b = 0; b < nb; b++) {
        const ecgx_beat *g = &fid->beats[b];
        if (g->wave[ECGX_WAVE_P].onset >= 0 && g->wave[ECGX_WAVE_QRS].onset >= 0)
            tmp[k++] = (double)(g->wave[ECGX_WAVE_QRS].onset - g->wave[ECGX_WAVE_P].onset) * to_ms;
    }
    /* P waves in fewer than half the beats: no PR (AF, junctional rhythm) */
    double pr = 2 * k >= nb && k > 0 ? median(tmp, k) : NAN;
    k = 0;
    for (int b = 0; b < nb; b++) {
        const ecgx_wave *q = &fid->beats[b].wave[ECGX_WAVE_QRS];
        if (q->onset >= 0 && q->offset >= 0) tmp[k++] = (double)(q->offset - q->onset) * to_ms;
    }
    double qrs = median(tmp, k);
    k = 0;
    for (int b = 0; b < nb; b++) {
        const ecgx_beat *g = &fid->beats[b];
        if (g->wave[ECGX_WAVE_QRS].onset >= 0 && g->wave[ECGX_WAVE_T].offset >= 0)
            tmp[k++] = (double)(g->wave[ECGX_WAVE_T].offset - g->wave[ECGX_WAVE_QRS].onset) * to_ms;
    }
    double qt = median(tmp, k), rr_s = rr_mean / 1000;
    if ((rc = add(f, &cap, "HR", "Global", 60000.0 / rr_mean)) || (rc = add(f, &cap, "RR_mean", "Global", rr_mean)) ||
        (rc = add(f, &cap, "RR_SD", "Global", rr_sd)) || (rc = add(f, &cap, "RMSSD", "Global", rmssd)) ||
        (rc = add(f, &cap, "PR", "Global", pr)) || (rc = add(f, &cap, "QRS", "Global", qrs)) ||
        (rc = add(f, &cap, "QT", "Global", qt)) || (rc = add(f, &cap, "QTcB", "Global", qt / sqrt(rr_s))) ||
        (rc = add(f, &cap, "QTcF", "Global", qt / cbrt(rr_s))) ||
        (rc = add(f, &cap, "QTcFram", "Global", qt + 154.0 * (1 - rr_s))))
        goto done;

    /* per-lead amplitudes on the median beats, relative to the PR level */
    double off[3][3];
    for (int w = 0; w < 3; w++)
        for (int j = 0; j < 3; j++) off[w][j] = median_offset(fid, w, j, tmp) + (double)pre;
    for (int l = 0; l < nl; l++) amp[l] = (lead_amp){NAN, NAN, NAN, NAN, NAN, NAN, NAN, {NAN, NAN, NAN}};
    float *x = NULL;
    if (nb >= 1 && isfinite(off[1][0]) && isfinite(off[1][2])) {
        /* all leads baseline-corrected together (see ecgx_baseline_remove) */
        x = ecgx_malloc_array((size_t)n * (size_t)nl, sizeof *x, "measure");
        float **xs = ecgx_malloc_array((size_t)nl, sizeof *xs, "measure");
        ecgx_sos *hp = NULL;
        if (!x || !xs) rc = ECGX_ERR_NOMEM;
        for (int l = 0; !rc && l < nl; l++) {
            xs[l] = x + (int64_t)l * n;
            memcpy(xs[l], ecgx_record_lead(rec, l), sizeof *x * (size_t)n);
            ecgx_dsp_sanitize(xs[l], n);
        }
        if (!rc && fs > 1.0) rc = ecgx_butter(2, ECGX_HIGHPASS, 0.5, 0, fs, &hp);
        if (!rc && hp) rc = ecgx_sos_filtfilt_leads(hp, xs, nl, n);
        ecgx_sos_free(hp);
        free(xs);
        if (rc) { free(x); goto done; }
    }
    for (int l = 0; x && l < nl; l++) {
        lead_amp *a = &amp[l];
        if (median_beat_of(x + (int64_t)l * n, n, fs, fid, beat, tmp) < 1) continue;
        int64_t qon = (int64_t)llround(off[1][0]), qoff = (int64_t)llround(off[1][2]);
        double iso = 0;
        int ki = 0;
        for (int64_t j = qon - (int64_t)(0.02 * fs); j <= qon; j++) if (j >= 0 && j < len) { iso += beat[j]; ki++; }
        iso = ki ? iso / ki : 0;
        for (int64_t j = 0; j < len; j++) beat[j] = (float)(beat[j] - iso);
        /* R: the largest positive deflection; Q and S: the deepest negative before and after it */
        int64_t rpos = -1;
        for (int64_t j = qon; j <= qoff && j < len; j++) if (j >= 0 && (rpos < 0 || beat[j] > beat[rpos])) rpos = j;
        if (rpos < 0) continue;
        a->r = fmax(0, beat[rpos]);
        double qv = 0, sv = 0;
        for (int64_t j = qon; j < rpos; j++) if (j >= 0) qv = fmin(qv, beat[j]);
        for (int64_t j = rpos + 1; j <= qoff && j < len; j++) sv = fmin(sv, beat[j]);
        a->q = qv;
        a->s = sv;
        int64_t j60 = qoff + (int64_t)llround(0.06 * fs), j80 = qoff + (int64_t)llround(0.08 * fs);
        a->st60 = j60 < len ? beat[j60] : NAN;
        a->st80 = j80 < len ? beat[j80] : NAN;
        a->area[1] = area(beat, len, qon, qoff);
        if (isfinite(off[0][0]) && isfinite(off[0][2]) && isfinite(pr)) {
            a->p = extremum(beat, len, (int64_t)llround(off[0][0]), (int64_t)llround(off[0][2]));
            a->area[0] = area(beat, len, (int64_t)llround(off[0][0]), (int64_t)llround(off[0][2]));
        }
        if (isfinite(off[2][0]) && isfinite(off[2][2])) {
            a->t = extremum(beat, len, (int64_t)llround(off[2][0]), (int64_t)llround(off[2][2]));
            a->area[2] = area(beat, len, (int64_t)llround(off[2][0]), (int64_t)llround(off[2][2]));
        }
    }
    free(x);

    int li = -1, lavf = -1, lavl = -1, lv1 = -1, lv3 = -1, lv5 = -1, lv6 = -1;
    for (int l = 0; l < nl; l++) {
        switch (rec->leads[l].std_index) {
        case ECGX_LEAD_I: li = l; break;
        case ECGX_LEAD_AVF: lavf = l; break;
        case ECGX_LEAD_AVL: lavl = l; break;
        case ECGX_LEAD_V1: lv1 = l; break;
        case ECGX_LEAD_V3: lv3 = l; break;
        case ECGX_LEAD_V5: lv5 = l; break;
        case ECGX_LEAD_V6: lv6 = l; break;
        default: break;
        }
    }
    const char *axis_names[3] = {"P_axis", "QRS_axis", "T_axis"};
    for (int w = 0; w < 3; w++) {
        double v = NAN;
        if (li >= 0 && lavf >= 0 && isfinite(amp[li].area[w]) && isfinite(amp[lavf].area[w]))
            v = atan2(amp[lavf].area[w], amp[li].area[w]) * 180 / M_PI;
        if ((rc = add(f, &cap, axis_names[w], "Global", v))) goto done;
    }
    double sok = NAN, cor = NAN;
    if (lv1 >= 0 && (lv5 >= 0 || lv6 >= 0)) {
        double r56 = fmax(lv5 >= 0 ? amp[lv5].r : -INFINITY, lv6 >= 0 ? amp[lv6].r : -INFINITY);
        sok = -amp[lv1].s + r56;
    }
    if (lavl >= 0 && lv3 >= 0) cor = amp[lavl].r - amp[lv3].s;
    if ((rc = add(f, &cap, "SokolowLyon", "Global", sok)) || (rc = add(f, &cap, "Cornell", "Global", cor))) goto done;
    for (int l = 0; l < nl; l++) {
        const char *ln = rec->leads[l].name;
        const lead_amp *a = &amp[l];
        if ((rc = add(f, &cap, "P_amp", ln, a->p)) || (rc = add(f, &cap, "Q_amp", ln, a->q)) ||
            (rc = add(f, &cap, "R_amp", ln, a->r)) || (rc = add(f, &cap, "S_amp", ln, a->s)) ||
            (rc = add(f, &cap, "T_amp", ln, a->t)) || (rc = add(f, &cap, "ST60", ln, a->st60)) ||
            (rc = add(f, &cap, "ST80", ln, a->st80)))
            goto done;
    }
done:
    free(tmp);
    free(beat);
    free(amp);
    if (rc) { ecgx_features_free(f); return rc; }
    *out = f;
    return 0;
}

/* Below this rate the record is measured on a copy resampled to
 * MEASURE_FS: a fiducial then falls on a 2 ms grid instead of a 10 ms one,
 * and the slope thresholds that place onsets and offsets see the waveform
 * the way they do at 500 Hz (at 100 Hz a QRS measured 12 ms longer, a QT
 * 6 ms longer and a PR 6 ms shorter than on the same record at 500 Hz). */
#define MEASURE_MIN_FS 250
#define MEASURE_FS 500

static int upsampled(const ecgx_record *rec, int *up, int *down, ecgx_record **out)
{
    *out = NULL;
    int rc = ecgx_resample_factor(rec->fs, MEASURE_FS, up, down);
    if (rc) return rc;
    int64_t m = ecgx_resample_length(rec->n_samples, *up, *down);
    ecgx_record *r = ecgx_record_new(rec->n_leads, m, (double)MEASURE_FS);
    if (!r) return ecgx_error(ECGX_ERR_NOMEM, "measure: out of memory");
    float *x = ecgx_malloc_array((size_t)(rec->n_samples ? rec->n_samples : 1), sizeof *x, "measure buffer");
    if (!x) { ecgx_record_free(r); return ECGX_ERR_NOMEM; }
    snprintf(r->name, sizeof r->name, "%s", rec->name);
    for (int l = 0; l < rec->n_leads && !rc; l++) {
        rc = ecgx_record_set_lead(r, l, rec->leads[l].name, rec->leads[l].units);
        memcpy(x, ecgx_record_lead(rec, l), sizeof *x * (size_t)rec->n_samples);
        ecgx_dsp_sanitize(x, rec->n_samples); /* the resampler must not spread a NaN */
        if (!rc) rc = ecgx_resample_poly(x, rec->n_samples, *up, *down, ecgx_record_lead(r, l));
    }
    free(x);
    if (rc) { ecgx_record_free(r); return rc; }
    *out = r;
    return 0;
}

/* Fiducials found at the resampled rate, put back on the record's samples. */
static void fiducials_to_rate(ecgx_fiducials *f, int up, int down, int64_t n)
{
    int nb = f->n_beats, total = nb * (1 + f->n_leads);
    for (int i = 0; i < total; i++) {
        ecgx_beat *b = i < nb ? &f->beats[i] : &f->per_lead[i - nb];
        int64_t *v[1 + 3 * ECGX_N_WAVES];
        int k = 0;
        v[k++] = &b->r;
        for (int w = 0; w < ECGX_N_WAVES; w++) { v[k++] = &b->wave[w].onset; v[k++] = &b->wave[w].peak; v[k++] = &b->wave[w].offset; }
        for (int j = 0; j < k; j++) {
            if (*v[j] < 0) continue;
            int64_t s = (int64_t)llround((double)*v[j] * (double)down / (double)up);
            *v[j] = s < 0 ? 0 : s > n - 1 ? n - 1 : s;
        }
    }
}

int ecgx_measure_record(const ecgx_record *rec, ecgx_features **out, ecgx_fiducials **fid_out)
{
    *out = NULL;
    if (fid_out) *fid_out = NULL;
    if (!rec) return ecgx_error(ECGX_ERR_ARG, "measure: no record");
    ecgx_fiducials *fid = NULL;
    ecgx_record *hi = NULL;
    int up = 1, down = 1, rc = 0;
    if (rec->fs < MEASURE_MIN_FS && rec->fs >= 50 && rec->n_samples > 0 && (rc = upsampled(rec, &up, &down, &hi)))
        return rc;
    const ecgx_record *use = hi ? hi : rec;
    rc = ecgx_delineate(use, NULL, 0, &fid);
    if (!rc) rc = ecgx_measure(use, fid, out);
    if (fid_out && !rc) {
        if (hi) fiducials_to_rate(fid, up, down, rec->n_samples);
        *fid_out = fid;
    } else ecgx_fiducials_free(fid);
    ecgx_record_free(hi);
    return rc;
}
