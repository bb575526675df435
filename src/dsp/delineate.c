/* Wave delineation per lead and across leads; method in
 * include/ecgx/delineate.h. Every search window is clamped to the record and
 * to the neighbouring beats, so edge beats get -1 fiducials rather than
 * reading outside the signal. */
#include "ecgx/delineate.h"
#include "ecgx/dsp.h"
#include "ecgx/qrs.h"
#include "core/alloc.h"
#include "dsp/delineate_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* QRS of one lead around R; lo/hi bound the search. */
static void qrs_lead(const lead_ctx *c, int64_t r, int64_t lo, int64_t hi, ecgx_wave *w)
{
    double fs = c->fs;
    const float *x = c->x, *d = c->d;
    int64_t a = dl_clampi(r - dl_ms(fs, 70), lo, hi), b = dl_clampi(r + dl_ms(fs, 70), lo, hi);
    if (b <= a) return;
    int64_t pk = a;
    for (int64_t i = a; i <= b; i++) if (fabsf(x[i]) > fabsf(x[pk])) pk = i;
    int64_t sa = dl_clampi(r - dl_ms(fs, 110), lo, hi), sb = dl_clampi(r + dl_ms(fs, 130), lo, hi);
    float dmax = 0;
    for (int64_t i = sa; i <= sb; i++) dmax = fabsf(d[i]) > dmax ? fabsf(d[i]) : dmax;
    if (!(dmax > 0)) return;
    double sig_on = (0.5), sig_off = (0.3), kon = (0.06), koff = (0.1);
    /* first and last steep deflections of the complex */
    int64_t s1 = -1, s2 = -1;
    for (int64_t i = sa + 1; i < sb; i++) {
        float v = fabsf(d[i]);
        if (v >= fabsf(d[i - 1]) && v >= fabsf(d[i + 1])) {
            if (s1 < 0 && v >= sig_on * dmax) s1 = i;
            if (v >= sig_off * dmax) s2 = i;
        }
    }
    if (s1 < 0 || s2 < 0) return;
    int64_t on = s1, stop = dl_clampi(s1 - dl_ms(fs, 80), lo, hi);
    while (on > stop && fabsf(d[on]) > kon * fabsf(d[s1])) on--;
    int64_t off = s2, stop2 = dl_clampi(s2 + dl_ms(fs, 100), lo, hi);
    while (off < stop2 && fabsf(d[off]) > koff * fabsf(d[s2])) off++;
    w->onset = on;
    w->peak = pk;
    w->offset = off;
}

/* Noise level: median absolute second difference over [a, b], a scale that
 * smooth waves barely touch but fibrillatory or muscle activity raise. */
static double roughness(const float *x, int64_t a, int64_t b)
{
    double s = 0;
    int64_t k = 0;
    for (int64_t i = a + 1; i < b; i++) { s += fabs(x[i + 1] - 2.0 * x[i] + x[i - 1]); k++; }
    return k ? s / (double)k : 0;
}

static void p_lead(const lead_ctx *c, int64_t qon, int64_t lo, ecgx_wave *w)
{
    double fs = c->fs;
    const float *x = c->x;
    int64_t b = qon - dl_ms(fs, (15)), a = qon - dl_ms(fs, 280);
    if (a < lo) a = lo;
    if (b - a < dl_ms(fs, 60)) return;
    double amp;
    int64_t pk = dl_detrended_extremum(x, a, b, &amp);
    double rough = roughness(x, a, b) * fs / 500.0 * fs / 500.0;
    if (fabs(amp) < (0.02) || fabs(amp) < (8) * rough * 500.0 / fs) return;
    double sign = amp > 0 ? 1 : -1;
    int64_t ka = pk - dl_ms(fs, (110)), kb = pk + dl_ms(fs, (110));
    if (ka < a - dl_ms(fs, 40)) ka = a - dl_ms(fs, 40);
    if (ka < lo) ka = lo;
    if (kb > qon) kb = qon;
    if (pk - ka < 3 || kb - pk < 3) return;
    int64_t on = dl_knee(x, ka, pk, sign), off = dl_knee(x, pk, kb, sign);
    if (off - on < dl_ms(fs, 40)) return;
    w->peak = pk;
    w->onset = on;
    w->offset = off;
}

/* P waves belong to a sinus (or atrial) rhythm only when they keep their
 * distance to the QRS from beat to beat; in atrial fibrillation the
 * strongest bump before each QRS falls anywhere. A beat keeps its P when, in
 * the 9 beats around it (shifted inwards at the record's edges), at least 3
 * show a P, 60 % of those P-R distances agree within 20 ms of their median
 * (80 % when the RR intervals are irregular), and its own is within 40 ms. */
/* Median successive RR difference over the median RR in the 9 beats around
 * b: near 0 in sinus rhythm (a few ectopics do not move a median), about
 * 0.2 in atrial fibrillation. */
static double rr_irregularity(const ecgx_beat *beats, int nb, int b)
{
    double rr[8], dd[7];
    int k = 0, m = 0;
    for (int j = b - 4; j < b + 4; j++)
        if (j >= 0 && j + 1 < nb) rr[k++] = (double)(beats[j + 1].r - beats[j].r);
    if (k < 3) return 0;
    for (int i = 1; i < k; i++) dd[m++] = fabs(rr[i] - rr[i - 1]);
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && rr[j] < rr[j - 1]; j--) { double t = rr[j]; rr[j] = rr[j - 1]; rr[j - 1] = t; }
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && dd[j] < dd[j - 1]; j--) { double t = dd[j]; dd[j] = dd[j - 1]; dd[j - 1] = t; }
    return rr[k / 2] > 0 ? dd[m / 2] / rr[k / 2] : 0;
}

static void drop_inconsistent_p(ecgx_beat *beats, int nb, double fs)
{
    int64_t *keep = malloc(sizeof *keep * (size_t)(nb + 1));
    if (!keep) return;
    int64_t tol = dl_ms(fs, 20);
    for (int b = 0; b < nb; b++) {
        keep[b] = 0;
        if (beats[b].wave[ECGX_WAVE_P].peak < 0) continue;
        int64_t pr[9];
        int k = 0;
        int j0 = b - 4; /* the 9 nearest beats: shifted inwards at the record's edges */
        if (j0 > nb - 9) j0 = nb - 9;
        if (j0 < 0) j0 = 0;
        for (int j = j0; j <= j0 + 8; j++) {
            if (j < 0 || j >= nb) continue;
            if (beats[j].wave[ECGX_WAVE_P].peak >= 0) pr[k++] = beats[j].r - beats[j].wave[ECGX_WAVE_P].peak;
        }
        int64_t sorted[9];
        memcpy(sorted, pr, sizeof *pr * (size_t)k);
        for (int i = 1; i < k; i++)
            for (int j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) { int64_t t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t; }
        int64_t med = sorted[k / 2];
        int agree = 0;
        for (int i = 0; i < k; i++) agree += llabs(pr[i] - med) <= tol;
        int64_t own = beats[b].r - beats[b].wave[ECGX_WAVE_P].peak;
        /* an irregular rhythm must show P waves more convincingly */
        double need = rr_irregularity(beats, nb, b) > 0.12 ? 0.8 : 0.6;
        keep[b] = k >= 3 && (double)agree >= need * k && llabs(own - med) <= 2 * tol;
    }
    for (int b = 0; b < nb; b++)
        if (!keep[b]) beats[b].wave[ECGX_WAVE_P] = (ecgx_wave){-1, -1, -1};
    free(keep);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Combine one fiducial over leads: the median, or for QRS onset (mode -1)
 * and offset (mode +1) the extreme among leads within 40 ms of the median. */
static int64_t combine(int64_t *v, int n, int mode, int64_t tol)
{
    int k = 0;
    for (int i = 0; i < n; i++) if (v[i] >= 0) v[k++] = v[i];
    if (k == 0) return -1;
    qsort(v, (size_t)k, sizeof *v, cmp_i64);
    int64_t med = v[k / 2];
    if (mode == 0) return med;
    int64_t best = med;
    for (int i = 0; i < k; i++) {
        if (llabs(v[i] - med) > tol) continue;
        if (mode < 0 ? v[i] < best : v[i] > best) best = v[i];
    }
    return best;
}

/* Global P or T of beat b: present when at least `quorum` of the leads show
 * it, with the median of their fiducials. */
static void combine_wave(ecgx_fiducials *f, int b, int w, int64_t *tmp, double quorum)
{
    int nl = f->n_leads, nb = f->n_beats, present = 0;
    ecgx_beat *g = &f->beats[b];
    for (int l = 0; l < nl; l++) present += f->per_lead[(int64_t)l * nb + b].wave[w].peak >= 0;
    if (present == 0 || present < quorum * nl) return;
    for (int l = 0; l < nl; l++) tmp[l] = f->per_lead[(int64_t)l * nb + b].wave[w].onset;
    g->wave[w].onset = combine(tmp, nl, 0, 0);
    for (int l = 0; l < nl; l++) tmp[l] = f->per_lead[(int64_t)l * nb + b].wave[w].peak;
    g->wave[w].peak = combine(tmp, nl, 0, 0);
    for (int l = 0; l < nl; l++) tmp[l] = f->per_lead[(int64_t)l * nb + b].wave[w].offset;
    g->wave[w].offset = combine(tmp, nl, 0, 0);
}

int ecgx_delineate(const ecgx_record *rec, const int64_t *peaks, int n_peaks, ecgx_fiducials **out)
{
    *out = NULL;
    if (!rec || rec->n_leads < 1) return ecgx_error(ECGX_ERR_ARG, "delineate: empty record");
    int64_t *own = NULL;
    if (!peaks) {
        int rc = ecgx_qrs_detect(rec, -1, &own, &n_peaks);
        if (rc) return rc;
        peaks = own;
    }
    double fs = rec->fs;
    int64_t n = rec->n_samples;
    int nl = rec->n_leads;
    ecgx_fiducials *f = ecgx_fiducials_new(n_peaks, nl);
    float *x = ecgx_malloc_array((size_t)n * (size_t)nl, sizeof *x, "delineation buffer");
    float *d = ecgx_malloc_array((size_t)n * (size_t)(nl + 1), sizeof *d, "delineation buffer");
    int64_t *tmp = ecgx_malloc_array((size_t)nl + 1, sizeof *tmp, "delineation buffer");
    int64_t *t_shift = ecgx_malloc_array((size_t)nl + 1, sizeof *t_shift, "delineation buffer");
    dl_t_shape *shape = ecgx_malloc_array((size_t)n_peaks * (size_t)nl + 1, sizeof *shape, "delineation buffer");
    int rc = 0;
    if (!f || !x || !d || !tmp || !t_shift || !shape) { rc = ECGX_ERR_NOMEM; goto fail; }
    for (int64_t k = 0; k < (int64_t)n_peaks * nl; k++) shape[k] = (dl_t_shape){NAN, NAN};
    if (n_peaks == 0) goto done;
    if (!(fs >= 50)) { rc = ecgx_error(ECGX_ERR_RANGE, "delineate: %s: rate %g Hz below 50 Hz", rec->name, fs); goto fail; }
    ecgx_sos *bp = NULL;
    double f2 = fs * 0.4 < 40 ? fs * 0.4 : 40;
    if ((rc = ecgx_butter(2, ECGX_BANDPASS, 0.5, f2, fs, &bp))) goto fail;
    float *xs[ECGX_MAX_LEADS];
    for (int l = 0; l < nl; l++) {
        xs[l] = x + (int64_t)l * n;
        memcpy(xs[l], ecgx_record_lead(rec, l), sizeof *x * (size_t)n);
        ecgx_dsp_sanitize(xs[l], n);
    }
    if ((rc = ecgx_sos_filtfilt_leads(bp, xs, nl, n))) { ecgx_sos_free(bp); goto fail; }
    for (int l = 0; l < nl; l++) {
        const float *xl = xs[l];
        float *dl = d + (int64_t)l * n;
        dl[0] = 0;
        if (n > 1) dl[n - 1] = 0;
        for (int64_t i = 1; i + 1 < n; i++) dl[i] = 0.5f * (xl[i + 1] - xl[i - 1]);
    }
    ecgx_sos_free(bp);
    /* spatial velocity: the slope summed over leads, whose quiet stretches
     * before and after the QRS mark the complex in all leads at once */
    float *sv = d + (int64_t)nl * n;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int l = 0; l < nl; l++) s += fabsf(d[(int64_t)l * n + i]);
        sv[i] = (float)s;
    }

    for (int b = 0; b < n_peaks; b++) {
        int64_t r = peaks[b];
        int64_t rr_prev = b > 0 ? r - peaks[b - 1] : (b + 1 < n_peaks ? peaks[b + 1] - r : (int64_t)fs);
        int64_t rr_next = b + 1 < n_peaks ? peaks[b + 1] - r : rr_prev;
        int64_t lo = b > 0 ? peaks[b - 1] + rr_prev / 2 : 0;
        int64_t hi = b + 1 < n_peaks ? peaks[b + 1] - rr_next / 4 : n - 1;
        int64_t qlo = b > 0 ? r - rr_prev / 2 : 0, qhi = b + 1 < n_peaks ? r + rr_next / 2 : n - 1;
        if (qlo < 0) qlo = 0;
        if (qhi > n - 1) qhi = n - 1;
        if (lo < 0) lo = 0;
        if (hi > n - 1) hi = n - 1;
        ecgx_beat *g = &f->beats[b];
        g->r = r;
        for (int l = 0; l < nl; l++) {
            ecgx_beat *pb = &f->per_lead[(int64_t)l * n_peaks + b];
            pb->r = r;
            if (r < 0 || r >= n) continue;
            lead_ctx c = {x + (int64_t)l * n, d + (int64_t)l * n, n, fs};
            qrs_lead(&c, r, qlo, qhi, &pb->wave[ECGX_WAVE_QRS]);
        }
        /* global QRS first (P and T windows hang off it): from the spatial
         * velocity, falling back to combining the leads' own boundaries;
         * every lead then takes the global boundaries, as LUDB's annotators
         * mark one QRS per beat across leads (within a few ms) */
        for (int l = 0; l < nl; l++) tmp[l] = f->per_lead[(int64_t)l * n_peaks + b].wave[ECGX_WAVE_QRS].onset;
        g->wave[ECGX_WAVE_QRS].onset = combine(tmp, nl, -1, dl_ms(fs, 40));
        for (int l = 0; l < nl; l++) tmp[l] = f->per_lead[(int64_t)l * n_peaks + b].wave[ECGX_WAVE_QRS].offset;
        g->wave[ECGX_WAVE_QRS].offset = combine(tmp, nl, +1, dl_ms(fs, 40));
        g->wave[ECGX_WAVE_QRS].peak = r;
        {
            lead_ctx c = {sv, sv, n, fs};
            ecgx_wave gw = {-1, -1, -1};
            qrs_lead(&c, r, qlo, qhi, &gw);
            if (gw.onset >= 0) {
                g->wave[ECGX_WAVE_QRS].onset = gw.onset;
                g->wave[ECGX_WAVE_QRS].offset = gw.offset;
                for (int l = 0; l < nl; l++) {
                    ecgx_wave *lw = &f->per_lead[(int64_t)l * n_peaks + b].wave[ECGX_WAVE_QRS];
                    if (lw->peak < 0) continue;
                    lw->onset = gw.onset;
                    lw->offset = gw.offset;
                }
            }
        }
        int64_t qon = g->wave[ECGX_WAVE_QRS].onset, qoff = g->wave[ECGX_WAVE_QRS].offset;
        if (qon < 0 || qoff < 0) continue;
        for (int l = 0; l < nl; l++) {
            ecgx_beat *pb = &f->per_lead[(int64_t)l * n_peaks + b];
            lead_ctx c = {x + (int64_t)l * n, d + (int64_t)l * n, n, fs};
            int64_t lqon = pb->wave[ECGX_WAVE_QRS].onset >= 0 ? pb->wave[ECGX_WAVE_QRS].onset : qon;
            int64_t lqoff = pb->wave[ECGX_WAVE_QRS].offset >= 0 ? pb->wave[ECGX_WAVE_QRS].offset : qoff;
            int64_t plo = lo;
            if (b > 0 && f->beats[b - 1].wave[ECGX_WAVE_T].offset >= 0 )
                plo = f->beats[b - 1].wave[ECGX_WAVE_T].offset + dl_ms(fs, 10) > lo ? f->beats[b - 1].wave[ECGX_WAVE_T].offset + dl_ms(fs, 10) : lo;
            p_lead(&c, lqon, plo, &pb->wave[ECGX_WAVE_P]);
            dl_t_lead(&c, lqon, lqoff, r, rr_next, hi, &pb->wave[ECGX_WAVE_T], &shape[(int64_t)l * n_peaks + b]);
        }
        combine_wave(f, b, ECGX_WAVE_T, tmp, 0.5);
    }
    /* P is judged lead by lead before leads vote: the median of random
     * per-lead bumps would sit mid-window and look consistent */
    for (int l = 0; l < nl; l++) drop_inconsistent_p(f->per_lead + (int64_t)l * n_peaks, n_peaks, fs);
    for (int b = 0; b < n_peaks; b++) combine_wave(f, b, ECGX_WAVE_P, tmp, 0.3);
    for (int b = 0; b < n_peaks; b++) {
        ecgx_beat *g = &f->beats[b];
        for (int w = 0; w < ECGX_N_WAVES; w++) {
            if (w == ECGX_WAVE_QRS) continue;
            /* LUDB's annotators mark P and T per lead but consistently across
             * leads: each lead keeps its own fiducials within 20 ms of the
             * global ones */
            int64_t shrink = dl_ms(fs, 20);
            for (int l = 0; l < nl; l++) {
                ecgx_wave *lw = &f->per_lead[(int64_t)l * n_peaks + b].wave[w];
                if (g->wave[w].peak < 0) { *lw = (ecgx_wave){-1, -1, -1}; continue; }
                if (w == ECGX_WAVE_T) { /* pooled over the lead's beats below */
                } else if (lw->onset >= 0) lw->onset = g->wave[w].onset + dl_clampi(lw->onset - g->wave[w].onset, -shrink, shrink);
                else lw->onset = g->wave[w].onset;
                if (lw->offset >= 0) lw->offset = g->wave[w].offset + dl_clampi(lw->offset - g->wave[w].offset, -shrink, shrink);
                else lw->offset = g->wave[w].offset;
                if (lw->peak < 0) lw->peak = g->wave[w].peak;
                else lw->peak = g->wave[w].peak + dl_clampi(lw->peak - g->wave[w].peak, -shrink, shrink);
            }
        }
    }
    dl_t_onset_pool_global(f->beats, n_peaks);
    int64_t t_record_shift;
    dl_t_onset_shape_shifts(shape, nl, n_peaks, fs, t_shift, &t_record_shift);
    for (int l = 0; l < nl; l++)
        dl_t_onset_pool_lead(f->per_lead + (int64_t)l * n_peaks, f->beats, n_peaks, fs, t_shift[l]);
    /* after the leads took their deviations from the global onset */
    dl_t_onset_shift_global(f->beats, n_peaks, t_record_shift);
done:
    free(x); free(d); free(tmp); free(t_shift); free(shape); free(own);
    *out = f;
    return 0;
fail:
    free(x); free(d); free(tmp); free(t_shift); free(shape); free(own);
    ecgx_fiducials_free(f);
    return rc;
}
