/* QRS detection: slope energy, moving integration, adaptive thresholds with
 * searchback (after Pan & Tompkins 1985, Hamilton & Tompkins 1986), on one
 * lead or fused over many. See include/ecgx/qrs.h for the outline. */
#include "ecgx/qrs.h"
#include "ecgx/dsp.h"
#include "core/alloc.h"
#include "dsp/despike.h"
#include "dsp/qrs_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median of the maxima of consecutive 2 s windows: a typical beat's height
 * when beats come faster than one per 2 s, robust to a few artefacts. */
static double typical_peak(const float *m, int64_t n, double fs)
{
    int64_t w = (int64_t)(2 * fs);
    if (w < 1) w = 1;
    int64_t nw = n / w;
    if (nw < 1) {
        float mx = 0;
        for (int64_t i = 0; i < n; i++) mx = m[i] > mx ? m[i] : mx;
        return mx;
    }
    float *mx = malloc(sizeof *mx * (size_t)nw);
    if (!mx) return 0;
    for (int64_t k = 0; k < nw; k++) {
        float v = 0;
        for (int64_t i = k * w; i < (k + 1) * w; i++) v = m[i] > v ? m[i] : v;
        mx[k] = v;
    }
    qsort(mx, (size_t)nw, sizeof *mx, cmp_float);
    double r = mx[nw / 2];
    free(mx);
    return r;
}

/* Centred moving average of width w via a running sum. */
static void moving_average(const float *e, int64_t n, int64_t w, float *out)
{
    int64_t h = w / 2;
    double s = 0;
    for (int64_t i = 0; i < n && i <= h; i++) s += e[i];
    for (int64_t i = 0; i < n; i++) {
        out[i] = (float)(s / (double)w);
        int64_t add = i + h + 1, drop = i - h;
        if (add < n) s += e[add];
        if (drop >= 0) s -= e[drop];
    }
}

/* The decision constants, compared on MIT-BIH DS1 and the synthetic
 * paced, noise-stress and ectopy suites together (docs/dsp.md lists the
 * grid): threshold = NPK + THR_FRACTION (SPK - NPK) on the |slope|
 * integration; a candidate within 360 ms of a beat whose slope is below
 * TWAVE_SLOPE of that beat's (and level below TWAVE_LEVEL SPK) is a T wave; after 360 ms a candidate above
 * LATE_NOISE_RATIO x NPK needs LATE_FACTOR of the threshold's height over NPK. */
#define THR_FRACTION 0.45
#define TWAVE_SLOPE 0.5f
#define TWAVE_LEVEL 0.3 /* ... and its integrated level below this of SPK's (R-on-T PVCs are above) */
#define LATE_NOISE_RATIO 3.0
#define LATE_FACTOR 0.6
#define NOISE_STEP_CAP 1.5

typedef struct cand { int64_t t; float v; } cand;

/* Local maxima of m that dominate every other sample within r. */
static int find_candidates(const float *m, int64_t n, int64_t r, cand **out, int *nout)
{
    int cap = 1024, k = 0;
    cand *c = malloc(sizeof *c * (size_t)cap);
    if (!c) return ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory");
    for (int64_t i = 1; i + 1 < n; i++) {
        if (!(m[i] > m[i - 1] && m[i] >= m[i + 1]) || m[i] <= 0) continue;
        if (k > 0 && i - c[k - 1].t <= r) {
            if (m[i] > c[k - 1].v) c[k - 1] = (cand){i, m[i]}; /* keep the larger of near maxima */
            continue;
        }
        if (k == cap) {
            cap *= 2;
            cand *nc = realloc(c, sizeof *c * (size_t)cap);
            if (!nc) { free(c); return ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory"); }
            c = nc;
        }
        c[k++] = (cand){i, m[i]};
    }
    *out = c;
    *nout = k;
    return 0;
}

static float window_max(const float *x, int64_t n, int64_t a, int64_t b)
{
    if (a < 0) a = 0;
    if (b > n - 1) b = n - 1;
    float v = 0;
    for (int64_t i = a; i <= b; i++) v = x[i] > v ? x[i] : v;
    return v;
}

typedef struct detector {
    const float *m, *e;
    int64_t n;
    double fs;
    double spk, npk;
    int64_t last;     /* last accepted beat, -1 before the first */
    float last_slope; /* peak slope energy of the last beat */
    double rr[8];
    int n_rr;
    int64_t *beats;
    int n_beats, cap;
} detector;

static double rr_typical(const detector *d)
{
    double s[8];
    memcpy(s, d->rr, sizeof s);
    int n = d->n_rr < 8 ? d->n_rr : 8;
    for (int i = 1; i < n; i++) /* insertion sort of <= 8 values */
        for (int j = i; j > 0 && s[j] < s[j - 1]; j--) { double t = s[j]; s[j] = s[j - 1]; s[j - 1] = t; }
    return n ? s[n / 2] : 0;
}

static int accept(detector *d, const cand *c, float slope, double weight)
{
    if (d->n_beats == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 256;
        int64_t *nb = realloc(d->beats, sizeof *nb * (size_t)d->cap);
        if (!nb) return ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory");
        d->beats = nb;
    }
    d->beats[d->n_beats++] = c->t;
    if (d->last >= 0) {
        double rr = (double)(c->t - d->last);
        d->rr[d->n_rr % 8] = rr;
        d->n_rr++;
    }
    double v = c->v < 3 * d->spk ? c->v : 3 * d->spk; /* one artefact must not blind the detector */
    d->spk = weight * v + (1 - weight) * d->spk;
    d->last = c->t;
    d->last_slope = slope;
    return 0;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Classify the candidates in time order. */
static int run_thresholds(detector *d, const cand *c, int nc)
{
    double fs = d->fs;
    int64_t refractory = (int64_t)(0.2 * fs), twave_zone = (int64_t)(0.36 * fs), half_qrs = (int64_t)(0.075 * fs);
    int first_after_last = 0; /* index of the first candidate after the last beat */
    for (int i = 0; i <= nc; i++) {
        /* searchback: a gap well beyond the usual RR hides a missed beat */
        for (;;) {
            double rr = rr_typical(d);
            int64_t now = i < nc ? c[i].t : d->n;
            if (d->last < 0 || rr <= 0 || (double)(now - d->last) <= 1.66 * rr) break;
            double thr2 = 0.5 * (d->npk + THR_FRACTION * (d->spk - d->npk));
            int best = -1;
            for (int j = first_after_last; j < i; j++) {
                if (c[j].t - d->last < twave_zone && c[j].t - d->last < (int64_t)(0.5 * rr)) continue;
                if (now - c[j].t < refractory) continue;
                if (c[j].v > thr2 && (best < 0 || c[j].v > c[best].v)) best = j;
            }
            if (best < 0) break;
            float slope = window_max(d->e, d->n, c[best].t - half_qrs, c[best].t + half_qrs);
            if (accept(d, &c[best], slope, 0.25)) return ECGX_ERR_NOMEM;
            first_after_last = best + 1;
        }
        if (i == nc) break;
        const cand *ci = &c[i];
        double thr1 = d->npk + THR_FRACTION * (d->spk - d->npk);
        if (d->last >= 0 && ci->t - d->last < refractory) continue;
        /* past the T wave, a candidate clearly out of the noise needs less: a
         * run of smooth ectopic beats (bigeminy) must not set the levels so
         * that every other beat falls below them */
        if (d->last >= 0 && ci->t - d->last >= twave_zone && ci->v > LATE_NOISE_RATIO * d->npk)
            thr1 = d->npk + LATE_FACTOR * (thr1 - d->npk);
        if (ci->v > thr1) {
            float slope = window_max(d->e, d->n, ci->t - half_qrs, ci->t + half_qrs);
            int twave = d->last >= 0 && ci->t - d->last < twave_zone && slope < TWAVE_SLOPE * d->last_slope &&
                        ci->v < TWAVE_LEVEL * d->spk;
            if (!twave) {
                if (accept(d, ci, slope, 0.125)) return ECGX_ERR_NOMEM;
                first_after_last = i + 1;
                continue;
            }
        }
        /* a rejected beat-sized candidate must not drag the noise level up
         * with it: each moves it by at most 1.5 times itself */
        double v = ci->v < NOISE_STEP_CAP * d->npk ? ci->v : NOISE_STEP_CAP * d->npk;
        d->npk = 0.125 * v + 0.875 * d->npk;
    }
    return 0;
}

/* The band-pass runs four leads at once in interleaved lanes (the recursion
 * is latency-bound). A long record with fewer leads fills the lanes with
 * pieces of its leads instead: each piece overlaps its neighbours by 4 s,
 * where a 5-15 Hz or 1-40 Hz filter's start-up has long died out (time
 * constants ~30 and ~160 ms), and only its middle is kept. */
static int filtfilt_lanes(const ecgx_sos *bp, float *const *yl, int n_leads, int64_t n, double fs)
{
    int k = n_leads >= 4 ? 1 : 4 / n_leads;
    int64_t ov = (int64_t)(4 * fs), step = (n + k - 1) / k, len = step + 2 * ov;
    if (k == 1 || len >= n) return ecgx_sos_filtfilt_leads(bp, yl, n_leads, n);
    int np = n_leads * k;
    float *buf = ecgx_malloc_array((size_t)len * (size_t)np, sizeof *buf, "qrs buffer");
    float *ptr[4];
    if (!buf) return ECGX_ERR_NOMEM;
    for (int l = 0; l < n_leads; l++)
        for (int j = 0; j < k; j++) {
            int64_t a = (int64_t)j * step - ov;
            if (a > n - len) a = n - len;
            if (a < 0) a = 0;
            ptr[l * k + j] = buf + (size_t)(l * k + j) * (size_t)len;
            memcpy(ptr[l * k + j], yl[l] + a, sizeof *buf * (size_t)len);
        }
    int rc = ecgx_sos_filtfilt_leads(bp, ptr, np, len);
    for (int l = 0; l < n_leads && !rc; l++)
        for (int j = 0; j < k; j++) {
            int64_t a = (int64_t)j * step - ov, lo = (int64_t)j * step, hi = lo + step < n ? lo + step : n;
            if (a > n - len) a = n - len;
            if (a < 0) a = 0;
            if (hi > lo) memcpy(yl[l] + lo, ptr[l * k + j] + (lo - a), sizeof *buf * (size_t)(hi - lo));
        }
    free(buf);
    return rc;
}

void ecgx_qrs_result_free(ecgx_qrs_result *r)
{
    if (!r) return;
    free(r->r);
    free(r->pace);
    free(r->spikes);
    free(r->bad_start);
    free(r->bad_end);
    free(r);
}

/* Replace x[a..z] by the straight line between its neighbours. */
static void blank(float *x, int64_t n, int64_t a, int64_t z)
{
    if (a < 1) a = 1;
    if (z > n - 2) z = n - 2;
    if (z < a) return;
    float x0 = x[a - 1], x1 = x[z + 1];
    double len = (double)(z - a + 2);
    for (int64_t i = a; i <= z; i++) x[i] = (float)(x0 + (x1 - x0) * (double)(i - a + 1) / len);
}

/* Per beat: which spikes precede it (see ecgx_qrs_result.pace). */
static void annotate_pace(ecgx_qrs_result *res, double fs)
{
    int j = 0;
    int64_t a_lo = (int64_t)(0.45 * fs), v_lo = (int64_t)(0.18 * fs), v_hi = (int64_t)(0.06 * fs);
    for (int b = 0; b < res->n_beats; b++) {
        int64_t r = res->r[b];
        int has_a = 0, has_v = 0;
        while (j < res->n_spikes && res->spikes[j] < r - a_lo) j++;
        for (int k = j; k < res->n_spikes && res->spikes[k] <= r + v_hi; k++) {
            if (res->spikes[k] >= r - v_lo) has_v = 1;
            else has_a = 1;
        }
        res->pace[b] = (char)(has_a && has_v ? 'D' : has_v ? 'V' : has_a ? 'A' : 0);
    }
}

int ecgx_qrs_analyze_leads(const float *const *leads, int n_leads, int64_t n, double fs, ecgx_qrs_result **out)
{
    *out = NULL;
    if (n_leads < 1) return ecgx_error(ECGX_ERR_ARG, "qrs: no leads");
    if (!(fs >= 50) || !isfinite(fs) || fs > 100000)
        return ecgx_error(ECGX_ERR_RANGE, "qrs: sampling rate %g Hz outside 50..100000 Hz", fs);
    ecgx_qrs_result *res = calloc(1, sizeof *res);
    if (!res) return ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory");
    if (n < (int64_t)(0.5 * fs)) { *out = res; return 0; } /* shorter than a beat: nothing to find */

    ecgx_sos *bp = NULL;
    int rc = ecgx_butter(2, ECGX_BANDPASS, 5, 15, fs, &bp);
    if (rc) { free(res); return rc; }
    float *y = ecgx_malloc_array((size_t)n * (size_t)n_leads, sizeof *y, "qrs buffer");
    float **yl = ecgx_malloc_array((size_t)n_leads, sizeof *yl, "qrs buffer");
    float *e = ecgx_malloc_array((size_t)n, sizeof *e, "qrs buffer");
    float *el = ecgx_malloc_array((size_t)n, sizeof *el, "qrs buffer");
    float *m = ecgx_malloc_array((size_t)n, sizeof *m, "qrs buffer");
    float *best_y = ecgx_malloc_array((size_t)n, sizeof *best_y, "qrs buffer");
    float *dz = ecgx_malloc_array((size_t)n * (size_t)n_leads, sizeof *dz, "qrs buffer"); /* despiked leads */
    float *wr = NULL;      /* per sample: the summed weight of the leads readable there */
    int64_t *flat = NULL;  /* flat runs of every lead: pairs [a, z) */
    int *flat_end = ecgx_malloc_array((size_t)n_leads + 1, sizeof *flat_end, "qrs buffer");
    int n_flat = 0, cap_flat = 0, cap_sp = 0;
    cand *c = NULL;
    detector d = {0};
    if (!y || !yl || !e || !el || !m || !best_y || !dz || !flat_end) { rc = ECGX_ERR_NOMEM; goto done; }
    memset(e, 0, sizeof *e * (size_t)n);
    int64_t w = (int64_t)(0.15 * fs + 0.5);
    int spike_w = 2 * (int)(0.006 * fs) + 1;
    if (spike_w > 15) spike_w = 15;
    int find_spikes = fs >= 250 && spike_w >= 3;
    int64_t tail = (int64_t)(0.025 * fs); /* a spike's recharge, blanked after it */
    double best_q = -1, wsum = 0;
    int best_lead = 0;
    for (int l = 0; l < n_leads; l++) {
        yl[l] = y + (int64_t)l * n;
        memcpy(el, leads[l], sizeof *el * (size_t)n);
        ecgx_dsp_sanitize(el, n);
        ecgx_despike(el, n, spike_w, yl[l]);
        memcpy(dz + (int64_t)l * n, yl[l], sizeof *dz * (size_t)n); /* kept for the R refinement */
        if (find_spikes) {
            /* at least 5 samples, so a spike the front end spread over two
             * samples is still what the median removes */
            const float *med = yl[l];
            if (spike_w < 5) { ecgx_despike(el, n, 5, m); med = m; }
            if ((rc = qrs_lead_spikes(el, med, n, fs, spike_w < 5 ? 2 : spike_w / 2, &res->spikes, &res->n_spikes, &cap_sp)))
                goto done;
        }
        if ((rc = qrs_flat_runs(el, n, fs, &flat, &n_flat, &cap_flat))) goto done;
        flat_end[l] = n_flat;
    }
    /* a pacing pulse shows in most leads at once; what one lead alone shows
     * among many is that lead's own artefact (or a sharp R wave) */
    res->n_spikes = qrs_merge_spikes(res->spikes, res->n_spikes, spike_w / 2 + 1, n_leads < 4 ? 1 : (n_leads + 3) / 4);
    for (int l = 0; l < n_leads; l++) {
        for (int k = 0; k < res->n_spikes; k++) blank(yl[l], n, res->spikes[k] - spike_w / 2, res->spikes[k] + tail);
        /* a flat run becomes the line between its neighbours: no jump into
         * or out of it for the band-pass to ring on */
        for (int k = l ? flat_end[l - 1] : 0; k < flat_end[l]; k++) blank(yl[l], n, flat[2 * k], flat[2 * k + 1] - 1);
    }
    if ((rc = filtfilt_lanes(bp, yl, n_leads, n, fs))) goto done;
    int64_t margin = (int64_t)(0.05 * fs); /* the joints of the line and the run's first and last samples */
    double *q_lead = calloc((size_t)n_leads, sizeof *q_lead);
    if (!q_lead) { rc = ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory"); goto done; }
    for (int l = 0; l < n_leads; l++) {
        const float *yy = yl[l];
        el[0] = el[n - 1] = 0;
        /* |slope| rather than its square: a wide, smooth QRS (PVCs, paced
         * beats) keeps 40 % of a sharp one's level instead of 18 % */
        for (int64_t i = 1; i + 1 < n; i++) el[i] = fabsf(yy[i + 1] - yy[i - 1]);
        for (int k = l ? flat_end[l - 1] : 0; k < flat_end[l]; k++) {
            int64_t a = flat[2 * k] - margin, z = flat[2 * k + 1] + margin;
            if (a < 0) a = 0;
            if (z > n) z = n;
            for (int64_t i = a; i < z; i++) el[i] = 0;
        }
        moving_average(el, n, w, m);
        double peak = typical_peak(m, n, fs);
        if (!(peak > 1e-12) || !isfinite(peak)) continue; /* flat lead */
        /* quality: how far beats stand out of the lead's usual level */
        double mean = 0;
        for (int64_t i = 0; i < n; i++) mean += m[i];
        mean /= (double)n;
        double q = peak / (mean + 1e-30);
        q = q * q;
        for (int64_t i = 0; i < n; i++) e[i] += (float)(q * el[i] / peak);
        wsum += q;
        q_lead[l] = q;
        /* the clearest lead, where R is placed: judged on the squared slope,
         * which favours the sharpest QRS (the R position of before) */
        if (n_leads > 1) {
            for (int64_t i = 0; i < n; i++) el[i] *= el[i];
            moving_average(el, n, w, m);
            double peak2 = typical_peak(m, n, fs), mean2 = 0;
            for (int64_t i = 0; i < n; i++) mean2 += m[i];
            double q2 = peak2 / (mean2 / (double)n + 1e-30);
            if (q2 > best_q) { best_q = q2; best_lead = l; }
        } else best_lead = l;
    }
    if (wsum <= 0) { free(q_lead); goto done; } /* every lead flat */
    if (n_flat) {
        /* where a lead is unreadable the others carry the fused signal alone */
        wr = ecgx_malloc_array((size_t)n, sizeof *wr, "qrs buffer");
        if (!wr) { free(q_lead); rc = ECGX_ERR_NOMEM; goto done; }
        for (int64_t i = 0; i < n; i++) wr[i] = (float)wsum;
        for (int l = 0; l < n_leads; l++)
            for (int k = l ? flat_end[l - 1] : 0; k < flat_end[l]; k++) {
                int64_t a = flat[2 * k] - margin, z = flat[2 * k + 1] + margin;
                if (a < 0) a = 0;
                if (z > n) z = n;
                for (int64_t i = a; i < z; i++) wr[i] -= (float)q_lead[l];
            }
        for (int64_t i = 0; i < n; i++) e[i] = wr[i] > 1e-6f * (float)wsum ? (float)(e[i] / wr[i]) : 0.0f;
    } else {
        for (int64_t i = 0; i < n; i++) e[i] = (float)(e[i] / wsum);
    }
    free(q_lead);
    moving_average(e, n, w, m);

    int nc = 0;
    if ((rc = find_candidates(m, n, (int64_t)(0.2 * fs), &c, &nc))) goto done;
    d.m = m; d.e = e; d.n = n; d.fs = fs; d.last = -1;
    /* start levels from the first 10 s (or all of a shorter record) */
    int64_t n0 = n < (int64_t)(10 * fs) ? n : (int64_t)(10 * fs);
    d.spk = typical_peak(m, n0, fs);
    double mean0 = 0;
    for (int64_t i = 0; i < n0; i++) mean0 += m[i];
    d.npk = 0.5 * mean0 / (double)n0;
    if ((rc = run_thresholds(&d, c, nc))) goto done;

    /* refine each beat to the largest deflection of the clearest lead, seen
     * through 8-40 Hz: the QRS keeps its peak there while atrial
     * fibrillatory waves (4-9 Hz) and T waves cannot pull it aside */
    memcpy(best_y, dz + (int64_t)best_lead * n, sizeof *best_y * (size_t)n);
    for (int k = 0; k < res->n_spikes; k++) blank(best_y, n, res->spikes[k] - spike_w / 2, res->spikes[k] + tail);
    {
        ecgx_sos *rf = NULL;
        if ((rc = ecgx_butter(2, ECGX_BANDPASS, 1, fs * 0.45 < 40 ? fs * 0.45 : 40, fs, &rf))) goto done;
        float *one[1] = {best_y};
        rc = filtfilt_lanes(rf, one, 1, n, fs);
        ecgx_sos_free(rf);
        if (rc) goto done;
    }
    int64_t r = (int64_t)(0.08 * fs);
    for (int b = 0; b < d.n_beats; b++) {
        int64_t a = clamp64(d.beats[b] - r, 0, n - 1), z = clamp64(d.beats[b] + r, 0, n - 1), at = d.beats[b];
        float mx = -1;
        for (int64_t i = a; i <= z; i++) if (fabsf(best_y[i]) > mx) { mx = fabsf(best_y[i]); at = i; }
        d.beats[b] = at;
    }
    /* unreadable: where every lead that carries weight is flat */
    if (n_flat && wr) {
        int cap_bad = 0;
        for (int64_t i = 0; i < n;) {
            if (wr[i] > 1e-6f * (float)wsum) { i++; continue; }
            int64_t a = i;
            while (i < n && !(wr[i] > 1e-6f * (float)wsum)) i++;
            if (res->n_unreadable == cap_bad) {
                cap_bad = cap_bad ? 2 * cap_bad : 8;
                int64_t *s1 = realloc(res->bad_start, sizeof *s1 * (size_t)cap_bad);
                if (s1) res->bad_start = s1;
                int64_t *s2 = realloc(res->bad_end, sizeof *s2 * (size_t)cap_bad);
                if (s2) res->bad_end = s2;
                if (!s1 || !s2) { rc = ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory"); goto done; }
            }
            res->bad_start[res->n_unreadable] = a;
            res->bad_end[res->n_unreadable++] = i;
        }
    }
    /* refinement may bring two beats together: keep them strictly increasing
     * and apart; and no beat inside an unreadable stretch */
    int k = 0, ib = 0;
    for (int b = 0; b < d.n_beats; b++) {
        int64_t t = d.beats[b];
        while (ib < res->n_unreadable && res->bad_end[ib] <= t) ib++;
        if (ib < res->n_unreadable && res->bad_start[ib] <= t) continue;
        if (k == 0 || t - d.beats[k - 1] >= (int64_t)(0.2 * fs)) d.beats[k++] = t;
    }
    res->r = d.beats;
    res->n_beats = k;
    d.beats = NULL;
    res->pace = calloc((size_t)(k ? k : 1), 1);
    if (!res->pace) { rc = ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory"); goto done; }
    annotate_pace(res, fs);
done:
    free(d.beats);
    free(c);
    free(y); free(yl); free(e); free(el); free(m); free(best_y); free(dz); free(wr); free(flat); free(flat_end);
    ecgx_sos_free(bp);
    if (rc) { ecgx_qrs_result_free(res); return rc; }
    *out = res;
    return 0;
}

int ecgx_qrs_detect_leads(const float *const *leads, int n_leads, int64_t n, double fs, int64_t **peaks,
                          int *n_peaks)
{
    *peaks = NULL;
    *n_peaks = 0;
    ecgx_qrs_result *res;
    int rc = ecgx_qrs_analyze_leads(leads, n_leads, n, fs, &res);
    if (rc) return rc;
    *peaks = res->r;
    *n_peaks = res->n_beats;
    res->r = NULL;
    ecgx_qrs_result_free(res);
    return 0;
}

static int lead_list(const ecgx_record *rec, int lead, const float ***ls, int *nl)
{
    if (!rec || rec->n_leads < 1) return ecgx_error(ECGX_ERR_ARG, "qrs: empty record");
    if (lead >= rec->n_leads || lead < -1)
        return ecgx_error(ECGX_ERR_ARG, "qrs: %s has no lead %d", rec->name, lead);
    *nl = lead >= 0 ? 1 : rec->n_leads;
    *ls = malloc(sizeof **ls * (size_t)*nl);
    if (!*ls) return ecgx_error(ECGX_ERR_NOMEM, "qrs: out of memory");
    if (lead >= 0) (*ls)[0] = ecgx_record_lead(rec, lead);
    else for (int l = 0; l < rec->n_leads; l++) (*ls)[l] = ecgx_record_lead(rec, l);
    return 0;
}

int ecgx_qrs_analyze(const ecgx_record *rec, int lead, ecgx_qrs_result **out)
{
    *out = NULL;
    const float **ls;
    int nl, rc = lead_list(rec, lead, &ls, &nl);
    if (rc) return rc;
    rc = ecgx_qrs_analyze_leads(ls, nl, rec->n_samples, rec->fs, out);
    free(ls);
    return rc;
}

int ecgx_qrs_detect(const ecgx_record *rec, int lead, int64_t **peaks, int *n_peaks)
{
    *peaks = NULL;
    *n_peaks = 0;
    const float **ls;
    int nl, rc = lead_list(rec, lead, &ls, &nl);
    if (rc) return rc;
    rc = ecgx_qrs_detect_leads(ls, nl, rec->n_samples, rec->fs, peaks, n_peaks);
    free(ls);
    return rc;
}

int ecgx_rr_series(const int64_t *peaks, int n_peaks, double fs, double *rr_ms)
{
    if (n_peaks < 2 || !(fs > 0)) return 0;
    for (int i = 0; i + 1 < n_peaks; i++) rr_ms[i] = 1000.0 * (double)(peaks[i + 1] - peaks[i]) / fs;
    return n_peaks - 1;
}
