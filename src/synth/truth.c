/* Ground truth. A wave's fiducials come from its own noise-free contribution,
 * evaluated at the record's samples: globally the magnitude of the wave's
 * dipole |w(t)|, per lead the magnitude of its projection |l . w(t)|. Onset
 * and offset are the first and last samples where that reaches
 * SYNTH_EDGE_FRACTION (5 %) of its peak; the peak is where it is largest
 * (for the QRS, the beat's R fiducial). */
#include "synth/synth_internal.h"

#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The sample window holding a wave's events (5 SD either side: beyond that a
 * Gaussian is below 4e-6 of its peak, far under the 5 % edge). */
static int wave_window(const synth_beat *b, int wave, double fs, int64_t *s0, int64_t *s1)
{
    double lo = 1e18, hi = -1e18;
    for (int i = 0; i < b->n_ev; i++) {
        const synth_event *e = &b->ev[i];
        if (e->wave != wave) continue;
        lo = fmin(lo, b->t + e->t - 5 * e->sigma);
        hi = fmax(hi, b->t + e->t + 5 * e->sigma);
    }
    if (lo > hi) return 0;
    *s0 = (int64_t)ceil(lo * fs);
    *s1 = (int64_t)floor(hi * fs);
    return *s1 >= *s0;
}

/* A wave's own dipole w(t) at the samples of its window: trace[3 * k + j]. */
typedef struct wave_trace {
    int64_t s0, len;
    double *w;
} wave_trace;

static int trace_wave(const synth_beat *b, int wave, double fs, wave_trace *tr)
{
    int64_t s1;
    tr->len = 0;
    free(tr->w);
    tr->w = NULL;
    if (!wave_window(b, wave, fs, &tr->s0, &s1)) return 0;
    tr->len = s1 - tr->s0 + 1;
    tr->w = ecgx_calloc_array(3 * (size_t)tr->len, sizeof *tr->w, "synth wave trace");
    if (!tr->w) { tr->len = 0; return ECGX_ERR_NOMEM; }
    for (int i = 0; i < b->n_ev; i++) {
        const synth_event *e = &b->ev[i];
        if (e->wave != wave) continue;
        double c = b->t + e->t, inv = 1.0 / e->sigma;
        for (int64_t k = 0; k < tr->len; k++) {
            double u = ((double)(tr->s0 + k) / fs - c) * inv, g = exp(-0.5 * u * u);
            for (int j = 0; j < 3; j++) tr->w[3 * k + j] += g * e->d[j];
        }
    }
    return 0;
}

static double trace_value(const wave_trace *tr, int64_t k, const double *dir)
{
    const double *w = tr->w + 3 * k;
    return dir ? fabs(synth_dot3(dir, w)) : sqrt(synth_dot3(w, w));
}

/* Edges of a traced wave: dir NULL for the dipole magnitude, else a lead.
 * Returns the peak value (0 when the wave is absent). */
static double trace_edges(const wave_trace *tr, const double *dir, int64_t *on, int64_t *peak, int64_t *off)
{
    *on = *peak = *off = -1;
    double vmax = 0;
    int64_t pk = -1;
    for (int64_t k = 0; k < tr->len; k++) {
        double v = trace_value(tr, k, dir);
        if (v > vmax) { vmax = v; pk = k; }
    }
    if (pk < 0) return 0;
    int64_t first = -1, last = -1;
    for (int64_t k = 0; k < tr->len; k++)
        if (trace_value(tr, k, dir) >= SYNTH_EDGE_FRACTION * vmax) {
            if (first < 0) first = k;
            last = k;
        }
    *on = tr->s0 + first;
    *peak = tr->s0 + pk;
    *off = tr->s0 + last;
    return vmax;
}

int synth_beat_fiducials(const synth_model *m, synth_beat *b, double fs)
{
    (void)m;
    wave_trace tr = {0, 0, NULL};
    for (int w = 0; w < ECGX_N_WAVES; w++) {
        int rc = trace_wave(b, w, fs, &tr);
        if (rc < 0) return rc;
        trace_edges(&tr, NULL, &b->on[w], &b->peak[w], &b->off[w]);
    }
    free(tr.w);
    return 0;
}

static void fill_wave(ecgx_wave *dst, int64_t on, int64_t pk, int64_t off, int64_t n)
{
    /* A wave cut by the record's edge is absent: its edges are unknown. */
    if (on < 0 || off >= n || pk < 0) { dst->onset = dst->peak = dst->offset = -1; return; }
    dst->onset = on;
    dst->peak = pk;
    dst->offset = off;
}

int synth_fiducials_export(const synth_model *m, const synth_beat *beats, int n_beats, int64_t n_samples,
                           double fs, ecgx_fiducials **out)
{
    int n_in = 0;
    for (int i = 0; i < n_beats; i++)
        if (beats[i].peak[ECGX_WAVE_QRS] >= 0 && beats[i].peak[ECGX_WAVE_QRS] < n_samples) n_in++;
    ecgx_fiducials *f = ecgx_fiducials_new(n_in, ECGX_N_STD_LEADS);
    if (!f) return ECGX_ERR_NOMEM;
    int k = 0;
    wave_trace tr = {0, 0, NULL};
    for (int i = 0; i < n_beats; i++) {
        const synth_beat *b = &beats[i];
        if (!(b->peak[ECGX_WAVE_QRS] >= 0 && b->peak[ECGX_WAVE_QRS] < n_samples)) continue;
        ecgx_beat *g = &f->beats[k];
        g->r = b->peak[ECGX_WAVE_QRS];
        g->type = b->type;
        for (int w = 0; w < ECGX_N_WAVES; w++) fill_wave(&g->wave[w], b->on[w], b->peak[w], b->off[w], n_samples);
        for (int w = 0; w < ECGX_N_WAVES; w++) {
            if (trace_wave(b, w, fs, &tr) < 0) { free(tr.w); ecgx_fiducials_free(f); return ECGX_ERR_NOMEM; }
            for (int l = 0; l < ECGX_N_STD_LEADS; l++) {
                ecgx_beat *pl = &f->per_lead[(size_t)l * (size_t)n_in + (size_t)k];
                pl->r = g->r;
                pl->type = b->type;
                int64_t on, pk, off;
                double v = trace_edges(&tr, m->lead[l], &on, &pk, &off);
                if (v * m->o.amplitude < SYNTH_LEAD_MIN_MV) on = pk = off = -1;
                fill_wave(&pl->wave[w], on, pk, off, n_samples);
            }
        }
        k++;
    }
    free(tr.w);
    *out = f;
    return 0;
}

/* ---- evidence ---- */

static void mark(uint8_t *mask, int64_t n, unsigned leads, int64_t a, int64_t b)
{
    if (a < 0) a = 0;
    if (b > n) b = n;
    if (a >= b) return;
    for (int l = 0; l < ECGX_N_STD_LEADS; l++)
        if (leads >> l & 1u) memset(mask + (size_t)l * (size_t)n + (size_t)a, 1, (size_t)(b - a));
}

#define ALL_LEADS 0xFFFu
#define LF(l) ECGX_LEAD_FLAG(l)

int ecgx_synth_evidence(const ecgx_synth_options *opt, const ecgx_fiducials *fid, int64_t n, unsigned conditions,
                        uint8_t *mask)
{
    if (!opt || !fid || !mask || n < 0) return ecgx_error(ECGX_ERR_ARG, "synth evidence: missing argument");
    memset(mask, 0, (size_t)n * ECGX_N_STD_LEADS);
    const unsigned bbb_leads = LF(ECGX_LEAD_I) | LF(ECGX_LEAD_AVL) | LF(ECGX_LEAD_V1) | LF(ECGX_LEAD_V2) |
                               LF(ECGX_LEAD_V5) | LF(ECGX_LEAD_V6);
    const unsigned lvh_leads = LF(ECGX_LEAD_AVL) | LF(ECGX_LEAD_V1) | LF(ECGX_LEAD_V5) | LF(ECGX_LEAD_V6);
    for (int c = 0; c < ECGX_SYNTH_N_CONDITIONS; c++) {
        if (!(conditions >> c & 1u)) continue;
        for (int i = 0; i < fid->n_beats; i++) {
            const ecgx_beat *b = &fid->beats[i];
            const ecgx_wave *p = &b->wave[ECGX_WAVE_P], *q = &b->wave[ECGX_WAVE_QRS], *t = &b->wave[ECGX_WAVE_T];
            int has_q = q->onset >= 0;
            switch (c) {
            case ECGX_SYNTH_BRADY:
            case ECGX_SYNTH_TACHY: /* the rate is read from the QRS complexes */
                if (has_q) mark(mask, n, ALL_LEADS, q->onset, q->offset + 1);
                break;
            case ECGX_SYNTH_AF: { /* irregular QRS complexes and the f-wave baseline between them */
                if (has_q) mark(mask, n, ALL_LEADS, q->onset, q->offset + 1);
                int64_t start = 0;
                if (i > 0) start = fid->beats[i - 1].wave[ECGX_WAVE_T].offset >= 0
                                       ? fid->beats[i - 1].wave[ECGX_WAVE_T].offset + 1 : -1;
                if (has_q && start >= 0) mark(mask, n, ALL_LEADS, start, q->onset);
                if (i == fid->n_beats - 1 && t->offset >= 0) mark(mask, n, ALL_LEADS, t->offset + 1, n);
                break;
            }
            case ECGX_SYNTH_AVB1: /* the long PR segment */
                if (b->type == 'N' && p->offset >= 0 && has_q) mark(mask, n, ALL_LEADS, p->offset, q->onset);
                break;
            case ECGX_SYNTH_LBBB:
            case ECGX_SYNTH_RBBB: /* the wide QRS where its morphology defines the block */
                if (b->type == 'N' && has_q) mark(mask, n, bbb_leads, q->onset, q->offset + 1);
                break;
            case ECGX_SYNTH_STE:
            case ECGX_SYNTH_STD: { /* J point to T peak in the chosen leads */
                unsigned leads = c == ECGX_SYNTH_STE ? opt->ste_leads : opt->std_leads;
                if (b->type == 'N' && has_q && t->peak >= 0) mark(mask, n, leads, q->offset, t->peak);
                break;
            }
            case ECGX_SYNTH_LVH: /* the tall R / deep S of the voltage criteria */
                if (b->type == 'N' && has_q) mark(mask, n, lvh_leads, q->onset, q->offset + 1);
                break;
            case ECGX_SYNTH_PVC: /* the premature beat's QRS and T */
                if (b->type == 'V' && has_q && t->offset >= 0) mark(mask, n, ALL_LEADS, q->onset, t->offset + 1);
                break;
            default: break;
            }
        }
    }
    return 0;
}
