/* Scoring QRS detection on the synthetic generator's records (paced, noise
 * stress, ectopy suites): the ANSI/AAMI EC57 beat-by-beat rule as in
 * dsp_eval.h (a reference beat matches the closest unused detection within
 * 150 ms), reference beats = every beat of the ground truth (N, V, paced /,
 * fusion f, aberrant a: all count), and neither reference beats nor
 * detections within 0.5 s of the record's ends are scored (the detector's
 * windows need half a beat of context). Beats within 100 ms of a stretch
 * where every lead is unreadable (lead-off, saturation), or inside it, are
 * not references (their QRS is not all there); detections there count as
 * false. */
#ifndef ECGX_TEST_QRS_SUITE_H
#define ECGX_TEST_QRS_SUITE_H

#include "check.h"
#include "dsp_eval.h"
#include "ecgx/qrs.h"
#include "ecgx/synth.h"

typedef struct suite_stats {
    long tp, fn, fp;          /* beats */
    long sp_tp, sp_fn, sp_fp; /* pacemaker spikes (visible ones: >= 1 mV after the front end) */
    long pace_ok, pace_n;     /* ventricular-paced beats with a visible spike, found and marked V or D */
} suite_stats;

static inline double suite_se(const suite_stats *s) { return s->tp + s->fn ? 100.0 * (double)s->tp / (double)(s->tp + s->fn) : NAN; }
static inline double suite_ppv(const suite_stats *s) { return s->tp + s->fp ? 100.0 * (double)s->tp / (double)(s->tp + s->fp) : NAN; }
static inline long suite_err(const suite_stats *s) { return s->fn + s->fp; }

static inline void suite_add(suite_stats *a, const suite_stats *b)
{
    a->tp += b->tp; a->fn += b->fn; a->fp += b->fp;
    a->sp_tp += b->sp_tp; a->sp_fn += b->sp_fn; a->sp_fp += b->sp_fp;
    a->pace_ok += b->pace_ok; a->pace_n += b->pace_n;
}

/* Score one generated record: detection on `lead` (-1: fused) of rec,
 * against truth (and the options' spikes and unreadable stretches). */
static inline void suite_score(const ecgx_synth_options *o, const ecgx_record *rec, const ecgx_fiducials *truth,
                               int lead, suite_stats *st)
{
    memset(st, 0, sizeof *st);
    ecgx_qrs_result *res = NULL;
    CHECK_OK(ecgx_qrs_analyze(rec, lead, &res));
    if (!res) return;
    double fs = rec->fs;
    int64_t edge = (int64_t)(0.5 * fs), n = rec->n_samples, tol = (int64_t)(0.15 * fs);
    int64_t *bs = NULL, *be = NULL;
    unsigned *bl = NULL;
    int nbad = 0;
    CHECK_OK(ecgx_synth_artefacts(o, &bs, &be, &bl, &nbad));
    int64_t *ref = malloc(sizeof *ref * (size_t)(truth->n_beats + 1));
    char *rtype = malloc((size_t)truth->n_beats + 1);
    int nr = 0;
    for (int i = 0; i < truth->n_beats; i++) {
        int64_t r = truth->beats[i].r;
        if (r < edge || r >= n - edge) continue;
        int bad = 0;
        int64_t q = (int64_t)(0.1 * fs); /* the QRS around r, partly cut: not a reference either */
        for (int k = 0; k < nbad; k++) bad |= (bl[k] & 0xFFFu) == 0xFFFu && r + q >= bs[k] && r - q < be[k];
        if (lead >= 0)
            for (int k = 0; k < nbad; k++) bad |= (bl[k] >> lead & 1u) && r + q >= bs[k] && r - q < be[k];
        if (bad) continue;
        rtype[nr] = truth->beats[i].type;
        ref[nr++] = r;
    }
    int64_t *det = malloc(sizeof *det * (size_t)(res->n_beats + 1));
    char *dpace = malloc((size_t)res->n_beats + 1);
    int nd = 0;
    for (int i = 0; i < res->n_beats; i++)
        if (res->r[i] >= edge && res->r[i] < n - edge) { dpace[nd] = res->pace[i]; det[nd++] = res->r[i]; }
    /* next to an every-lead stretch, where references were dropped, a
     * detection that matches none is not false either */
    int64_t *xlo = malloc(sizeof *xlo * (size_t)(2 * nbad + 1)), *xhi = malloc(sizeof *xhi * (size_t)(2 * nbad + 1));
    int nx = 0;
    for (int k = 0; k < nbad; k++) {
        if ((bl[k] & 0xFFFu) != 0xFFFu) continue;
        int64_t q = (int64_t)(0.1 * fs);
        xlo[nx] = bs[k] - q; xhi[nx++] = bs[k] - 1;
        xlo[nx] = be[k]; xhi[nx++] = be[k] + q;
    }
    match_beats(ref, nr, det, nd, tol, xlo, xhi, nx, &st->tp, &st->fn, &st->fp);
    free(xlo);
    free(xhi);
    ecgx_synth_spike *sp = NULL;
    int nsp = 0;
    CHECK_OK(ecgx_synth_spikes(o, &sp, &nsp));
    /* paced beats marked as paced: each '/' reference whose ventricular spike
     * is visible (>= 1 mV) needs a detection within 150 ms marked V or D */
    for (int i = 0; i < nr; i++) {
        if (rtype[i] != '/') continue;
        int visible = 0;
        for (int k = 0; k < nsp; k++)
            visible |= sp[k].chamber == 'V' && sp[k].sample <= ref[i] && sp[k].sample >= ref[i] - (int64_t)(0.25 * fs) &&
                       sp[k].peak_mv >= 1.0;
        if (!visible) continue;
        st->pace_n++;
        for (int k = 0; k < nd; k++)
            if (llabs(det[k] - ref[i]) <= tol && (dpace[k] == 'V' || dpace[k] == 'D')) { st->pace_ok++; break; }
    }
    /* spikes: a truth spike visible (>= 1 mV) matches a detection within 5 ms;
     * a detection matching no truth spike (visible or not) is false */
    int64_t stol = (int64_t)ceil(0.005 * fs);
    char *used = calloc((size_t)res->n_spikes + 1, 1);
    for (int i = 0; i < nsp; i++) {
        if (sp[i].sample < edge || sp[i].sample >= n - edge) continue;
        int hit = -1;
        for (int k = 0; k < res->n_spikes; k++)
            if (!used[k] && llabs(res->spikes[k] - sp[i].sample) <= stol) { hit = k; break; }
        if (hit >= 0) used[hit] = 1;
        if (sp[i].peak_mv < 1.0) continue;
        if (hit >= 0) st->sp_tp++;
        else st->sp_fn++;
    }
    for (int k = 0; k < res->n_spikes; k++)
        if (!used[k] && res->spikes[k] >= edge && res->spikes[k] < n - edge) st->sp_fp++;
    free(used);
    free(sp);
    free(ref); free(rtype); free(det); free(dpace);
    free(bs); free(be); free(bl);
    ecgx_qrs_result_free(res);
}

/* Generate and score (fused, and optionally every lead alone). */
static inline void suite_run(const ecgx_synth_options *o, suite_stats *fused, suite_stats *best_single)
{
    ecgx_record *rec = NULL;
    ecgx_fiducials *truth = NULL;
    CHECK_OK(ecgx_synth_generate(o, &rec, &truth, NULL));
    memset(fused, 0, sizeof *fused);
    if (best_single) memset(best_single, 0, sizeof *best_single);
    if (!rec || !truth) { ecgx_record_free(rec); ecgx_fiducials_free(truth); return; }
    suite_score(o, rec, truth, -1, fused);
    if (best_single) {
        long best = -1;
        for (int l = 0; l < rec->n_leads; l++) {
            suite_stats s = {0};
            suite_score(o, rec, truth, l, &s);
            if (best < 0 || suite_err(&s) < best) { best = suite_err(&s); *best_single = s; }
        }
    }
    ecgx_record_free(rec);
    ecgx_fiducials_free(truth);
}

#endif
