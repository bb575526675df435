/* The beat schedule. Sinus rhythm follows ECGSYN's RR tachogram: a random-
 * phase sum of sinusoids whose power spectrum has two Gaussian peaks, the
 * Mayer-wave (LF, 0.1 Hz) and respiratory sinus arrhythmia (HF, at the
 * respiration rate) components, each 0.01 Hz wide, in the LF/HF power ratio
 * asked for, scaled to the requested heart-rate SD. The limit cycle's phase
 * advances 2*pi per beat at the angular speed 2*pi/RR of that beat, so beat
 * k+1 comes RR(t_k) after beat k. AF draws each RR independently (log-normal:
 * irregularly irregular). PVCs replace a sinus beat with a premature one and
 * leave the sinus schedule alone, so the pause that follows is compensatory. */
#include "synth/synth_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define TACHO_BINS 128        /* frequencies k / TACHO_PERIOD, up to 0.5 Hz */
#define TACHO_PERIOD 256.0    /* s: the spectral resolution of the tachogram */
#define TACHO_WIDTH 0.01      /* Hz: SD of each spectral peak (ECGSYN's flostd, fhistd) */
#define MAYER_HZ 0.1
#define RR_MIN 0.25
#define T_BEFORE 1.5          /* beats start before the record so its start is mid-rhythm */
#define T_AFTER 1.0

typedef struct tachogram {
    double amp[TACHO_BINS], phase[TACHO_BINS];
} tachogram;

static void tachogram_init(tachogram *tg, const ecgx_synth_options *o, ecgx_rng *r)
{
    double rr_sd = o->hr_std > 0 ? 60.0 * o->hr_std / (o->hr * o->hr) : 0.0;
    double total = 0;
    for (int k = 0; k < TACHO_BINS; k++) {
        double f = (k + 1) / TACHO_PERIOD;
        double ul = (f - MAYER_HZ) / TACHO_WIDTH, uh = (f - o->resp_rate) / TACHO_WIDTH;
        double s = o->lf_hf * exp(-0.5 * ul * ul) + exp(-0.5 * uh * uh);
        tg->amp[k] = sqrt(s);
        tg->phase[k] = 2 * PI * ecgx_rng_uniform(r);
        total += s / 2; /* variance of a cos with amplitude sqrt(s) */
    }
    double scale = total > 0 ? rr_sd / sqrt(total) : 0;
    for (int k = 0; k < TACHO_BINS; k++) tg->amp[k] *= scale;
}

static double tachogram_rr(const tachogram *tg, double rr_mean, double t)
{
    double v = rr_mean;
    for (int k = 0; k < TACHO_BINS; k++)
        if (tg->amp[k] != 0) v += tg->amp[k] * cos(2 * PI * (k + 1) / TACHO_PERIOD * t + tg->phase[k]);
    return v < RR_MIN ? RR_MIN : v;
}

static int place_pvcs(const synth_model *m, synth_beat *b, int n)
{
    const ecgx_synth_options *o = &m->o;
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_PVC);
    (void)ecgx_rng_uniform(&r); /* the focus draw (model.c) */
    int in_record = 0, n_elig = 0;
    int *elig = ecgx_malloc_array((size_t)n, sizeof *elig, "synth PVC positions");
    if (!elig) return ECGX_ERR_NOMEM;
    for (int j = 0; j < n; j++) {
        if (b[j].t >= 0 && b[j].t < o->duration) in_record++;
        if (j >= 1 && j + 1 < n && b[j].t >= 0.4 && b[j].t <= o->duration - 0.6) elig[n_elig++] = j;
    }
    for (int i = n_elig - 1; i > 0; i--) { /* Fisher-Yates */
        int k = (int)(ecgx_rng_uniform(&r) * (i + 1));
        int t = elig[i]; elig[i] = elig[k]; elig[k] = t;
    }
    int want = (int)lround(o->pvc_fraction * in_record), placed = 0;
    if (want < 1) want = 1;
    for (int i = 0; i < n_elig && placed < want; i++) {
        int j = elig[i];
        if (b[j - 1].type == 'V' || b[j + 1].type == 'V') continue; /* no couplets */
        double prev = b[j - 1].t;
        b[j].t = prev + o->pvc_coupling * (b[j].t - prev);
        b[j].rr = b[j].t - prev;
        b[j].type = 'V';
        b[j + 1].rr = b[j + 1].t - b[j].t;
        placed++;
    }
    free(elig);
    if (!placed) return ecgx_error(ECGX_ERR_RANGE, "synth: record too short to hold a PVC (%g s)", o->duration);
    return 0;
}

int synth_rhythm(const synth_model *m, synth_beat **beats, int *n_beats)
{
    const ecgx_synth_options *o = &m->o;
    int af = o->conditions >> ECGX_SYNTH_AF & 1u;
    double rr_mean = 60.0 / o->hr;
    double span = o->duration + T_BEFORE + T_AFTER;
    size_t cap = (size_t)(span / RR_MIN) + 4;
    synth_beat *b = ecgx_calloc_array(cap, sizeof *b, "synth beats");
    if (!b) return ECGX_ERR_NOMEM;

    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_RHYTHM);
    tachogram tg;
    tachogram_init(&tg, o, &r);
    double t = -T_BEFORE + rr_mean * ecgx_rng_uniform(&r);
    double rr_prev = rr_mean;
    int n = 0;
    while (t < o->duration + T_AFTER && (size_t)n < cap) {
        b[n].t = t;
        b[n].rr = rr_prev;
        b[n].type = 'N';
        b[n].p = -1;
        b[n].spike[0] = b[n].spike[1] = NAN;
        n++;
        double rr;
        if (af) {
            double cv = o->af_rr_cv, s = sqrt(log(1 + cv * cv));
            rr = rr_mean * exp(s * ecgx_rng_gauss(&r) - 0.5 * s * s);
            if (rr < 0.28) rr = 0.28;
            if (rr > 3 * rr_mean) rr = 3 * rr_mean;
        } else if (o->pace_mode != ECGX_PACE_NONE) {
            rr = rr_mean; /* a pacemaker's interval does not vary */
        } else {
            rr = tachogram_rr(&tg, rr_mean, t);
        }
        t += rr;
        rr_prev = rr;
    }
    if (o->conditions >> ECGX_SYNTH_PVC & 1u) {
        int rc = o->pvc_pattern == ECGX_PVC_ISOLATED ? place_pvcs(m, b, n) : synth_pvc_pattern(m, &b, &n);
        if (rc < 0) { free(b); return rc; }
    }
    if (o->aberrant_fraction > 0) synth_aberrant(m, b, n);
    synth_pacing_schedule(m, b, n);
    for (int i = 0; i < n; i++) {
        if (o->morph_change_at > 0 && b[i].t >= o->morph_change_at) b[i].morph = 1;
        synth_beat_events(m, &b[i], rr_mean);
    }
    *beats = b;
    *n_beats = n;
    return 0;
}

static void append(synth_beat *b, const synth_template *tp, double shift, double tscale)
{
    for (int i = 0; i < tp->n && b->n_ev < SYNTH_MAX_EVENTS; i++) {
        synth_event e = tp->ev[i];
        e.t = e.t * tscale + shift;
        e.sigma *= tscale;
        b->ev[b->n_ev++] = e;
    }
}

/* Rotate a beat's QRS and T dipoles in the frontal plane and scale them: a
 * sudden change of axis and amplitude (a lead moved, an intermittent
 * conduction change). */
static void morph_change(const ecgx_synth_options *o, synth_beat *b)
{
    double a = o->morph_change_deg * 3.14159265358979323846 / 180, c = cos(a), s = sin(a);
    double g = o->morph_change_gain > 0 ? o->morph_change_gain : 1;
    for (int i = 0; i < b->n_ev; i++) {
        synth_event *e = &b->ev[i];
        if (e->wave == ECGX_WAVE_P) continue;
        double x = e->d[0], y = e->d[1];
        e->d[0] = g * (c * x - s * y);
        e->d[1] = g * (s * x + c * y);
        e->d[2] *= g;
    }
}

/* Fusion: the paced and the conducted wavefronts each activate part of the
 * ventricles: both QRS templates, weighted, aligned at their onsets. */
static void append_scaled(synth_beat *b, const synth_template *tp, double shift, double tscale, double gain)
{
    for (int i = 0; i < tp->n && b->n_ev < SYNTH_MAX_EVENTS; i++) {
        synth_event e = tp->ev[i];
        e.t = e.t * tscale + shift;
        e.sigma *= tscale;
        for (int k = 0; k < 3; k++) e.d[k] *= gain;
        b->ev[b->n_ev++] = e;
    }
}

/* A beat's events. QRS duration does not change with rate; repolarisation
 * does: T's delay and width scale with sqrt(RR) (Bazett's QT ~ sqrt(RR), the
 * time-domain form of ECGSYN's sqrt(hr/60) scaling of the angular widths),
 * using the interval that precedes the beat. P sits so that its onset is PR
 * before the QRS onset. Paced beats ('/') get the paced QRS-T, fusion beats
 * ('f') a mix, aberrant ones ('a') the RBBB-like QRS; 'X' (a pacing spike
 * that did not capture) has no waves. */
void synth_beat_events(const synth_model *m, synth_beat *b, double rr_mean)
{
    (void)rr_mean;
    b->n_ev = 0;
    if (b->type == 'X') {
        if (b->p == 1) append(b, &m->p, m->qrs_on_n - (b->pr > 0 ? b->pr : m->o.pr) - m->p_on, 1);
        return;
    }
    if (b->type == 'V') {
        append(b, &m->qrs_v, 0, 1);
        append(b, &m->t_v, 0, 1);
        if (b->morph) morph_change(&m->o, b);
        return;
    }
    int has_p = b->p >= 0 ? b->p : !(m->o.conditions >> ECGX_SYNTH_AF & 1u);
    double pr = b->pr > 0 ? b->pr : m->o.pr;
    double qrs_on = b->type == '/' || b->type == 'f' ? m->qrs_on_p : m->qrs_on_n;
    if (has_p) append(b, &m->p, qrs_on - pr - m->p_on, 1);
    double rr = b->rr < 0.3 ? 0.3 : b->rr > 2.0 ? 2.0 : b->rr;
    if (b->type == '/') {
        append(b, &m->qrs_p, 0, 1);
        append(b, &m->t_p, 0, sqrt(rr));
    } else if (b->type == 'f') {
        double w = b->fusion;
        append_scaled(b, &m->qrs_p, 0, 1, w);
        append_scaled(b, &m->qrs_n, m->qrs_on_p - m->qrs_on_n, 1, 1 - w);
        append_scaled(b, &m->t_p, 0, sqrt(rr), w);
        append_scaled(b, &m->t_n, m->qrs_on_p - m->qrs_on_n, sqrt(rr), 1 - w);
    } else {
        append(b, b->type == 'a' ? &m->qrs_a : &m->qrs_n, 0, 1);
        append(b, &m->t_n, 0, sqrt(rr));
    }
    if (b->morph) morph_change(&m->o, b);
}
