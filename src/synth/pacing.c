/* Paced rhythms: the pacemaker's schedule (atrial, ventricular, dual
 * chamber), its beat types (paced, fusion, pseudo-fusion, failure to
 * capture), the paced QRS-T, and the spikes as the front end delivers them.
 *
 * A pacing pulse is a rectangle of width W and amplitude A (the dipole the
 * lead tip and the can make), followed by the recharge, a rectangle of
 * opposite sign over 20 ms returning half the pulse's charge. The recorder's analogue
 * front end low-passes it before sampling; modelled as a Gaussian impulse
 * response of SD sigma = sqrt(ln 2) / (2 pi fc) (-3 dB at fc), the sampled
 * spike is a difference of normal CDFs in closed form. At 100 Hz
 * (fc = 40 Hz, sigma = 3.3 ms) a 0.5 ms 5 mV pulse leaves 0.3 mV; at
 * 1000 Hz (fc = 400 Hz) nearly all of it. */
#include "synth/synth_internal.h"

#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>

static void add_ev(synth_template *tp, int wave, double t, double sigma, double amp, double x, double y, double z)
{
    synth_event *e = &tp->ev[tp->n++];
    double n = sqrt(x * x + y * y + z * z);
    e->wave = wave;
    e->t = t;
    e->sigma = sigma;
    e->d[0] = amp * x / n;
    e->d[1] = amp * y / n;
    e->d[2] = amp * z / n;
}

/* Right-ventricular apical pacing: activation spreads from the apex upward
 * and leftward through the myocardium, slowly: a wide (~160 ms) QRS with a
 * superior axis (negative in II, III, aVF) and an LBBB-like V1 (QS); the T
 * wave opposite to the QRS (secondary repolarisation). Aberrant conduction:
 * the sinus QRS with a late right-ventricular force (RBBB-like). Templates
 * before the axis rotation (model.c rotates every template the same way). */
void synth_pacing_model(synth_model *m)
{
    m->qrs_p.n = m->t_p.n = m->qrs_a.n = 0;
    add_ev(&m->qrs_p, ECGX_WAVE_QRS, -0.035, 0.024, 1.1, 0.25, -0.75, -0.45);
    add_ev(&m->qrs_p, ECGX_WAVE_QRS, 0.035, 0.024, 1.0, 0.8, -0.3, -0.5);
    double q[3];
    for (int k = 0; k < 3; k++) q[k] = m->qrs_p.ev[0].d[k] + m->qrs_p.ev[1].d[k];
    add_ev(&m->t_p, ECGX_WAVE_T, 0.32, 0.06, 0.4, -q[0], -q[1], -q[2]);
    /* aberrant: a sinus-like QRS and a broad terminal R' (rightward-anterior) */
    add_ev(&m->qrs_a, ECGX_WAVE_QRS, -0.022, 0.008, 0.25, -0.5, 0.3, 0.8);
    add_ev(&m->qrs_a, ECGX_WAVE_QRS, -0.006, 0.010, 1.00, 0.55, 0.7, 0.35);
    add_ev(&m->qrs_a, ECGX_WAVE_QRS, 0.010, 0.011, 1.00, 0.82, 0.38, -0.45);
    add_ev(&m->qrs_a, ECGX_WAVE_QRS, 0.055, 0.020, 0.8, -0.55, -0.05, 0.85);
    /* spike vectors: an atrial lead in the right atrial appendage, a
     * ventricular one at the right-ventricular apex, both with the can in the
     * left pectoral pocket (unipolar-like: large spikes). */
    static const double dir[2][3] = {{-0.35, 0.6, 0.7}, {-0.3, 0.85, 0.4}};
    for (int c = 0; c < 2; c++) {
        double n = sqrt(dir[c][0] * dir[c][0] + dir[c][1] * dir[c][1] + dir[c][2] * dir[c][2]);
        for (int k = 0; k < 3; k++) m->spike_dir[c][k] = dir[c][k] / n;
    }
    m->fe_sigma = m->o.frontend_hz > 0 ? sqrt(log(2.0)) / (2 * 3.14159265358979323846 * m->o.frontend_hz) : 0;
}

static double phi(double u) { return 0.5 * erfc(-u / sqrt(2.0)); }

#define RECHARGE_S 0.02 /* the recharge phase's duration */

/* The front-end output of the pulse started at time 0, at time t: the pulse,
 * then a recharge that returns half its charge over 20 ms (the rest leaks
 * through the tissue), both smeared by the front end. */
static double spike_value(double t, double w, double sigma)
{
    double main = phi(t / sigma) - phi((t - w) / sigma);
    double tail = phi((t - w) / sigma) - phi((t - w - RECHARGE_S) / sigma);
    return main - 0.5 * w / RECHARGE_S * tail;
}

void synth_spike_render(const synth_model *m, const synth_beat *b, int ch, const double *lv, int64_t n, double *x)
{
    if (isnan(b->spike[ch])) return;
    double t0 = b->t + b->spike[ch], w = m->o.pace_spike_width, sg = m->fe_sigma;
    double g = m->o.pace_spike_amp * synth_dot3(lv, m->spike_dir[ch]);
    double fs = m->o.fs;
    int64_t s0 = (int64_t)floor((t0 - 6 * sg) * fs), s1 = (int64_t)ceil((t0 + w + RECHARGE_S + 6 * sg) * fs);
    if (s0 < 0) s0 = 0;
    if (s1 > n - 1) s1 = n - 1;
    for (int64_t s = s0; s <= s1; s++) x[s] += g * spike_value((double)s / fs - t0, w, sg);
}

/* Beat types and spikes. Pacemakers are regular: every beat comes at the
 * programmed interval (the schedule made by rhythm.c with its variability
 * switched off). Per ventricular-paced beat, in this order of draws:
 * failure to capture (a spike, no beat), fusion (the conducted and the paced
 * wavefronts meet: a QRS between the two), pseudo-fusion (the spike falls
 * 10-40 ms into a conducted QRS it cannot change), else a paced beat. PVCs
 * inhibit the pacemaker: they carry no spike. */
int synth_pacing_schedule(const synth_model *m, synth_beat *b, int n)
{
    const ecgx_synth_options *o = &m->o;
    if (o->pace_mode == ECGX_PACE_NONE) return 0;
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_PACE);
    int atrial = o->pace_mode == ECGX_PACE_ATRIAL || o->pace_mode == ECGX_PACE_DUAL;
    int vent = o->pace_mode == ECGX_PACE_VENTRICULAR || o->pace_mode == ECGX_PACE_DUAL;
    for (int j = 0; j < n; j++) {
        synth_beat *x = &b[j];
        double ua = ecgx_rng_uniform(&r), uv = ecgx_rng_uniform(&r), up = ecgx_rng_uniform(&r);
        if (x->type != 'N') continue;
        if (atrial) {
            /* P onset 10 ms after the atrial spike (capture latency) */
            double p_on = vent ? m->qrs_on_p - (o->pace_av_delay - 0.008) : m->qrs_on_n - o->pr;
            x->spike[0] = p_on - 0.010;
            x->captured[0] = ua >= o->pace_fail;
            x->p = x->captured[0] ? 1 : 0;
            if (vent) x->pr = o->pace_av_delay - 0.008;
            if (!vent && !x->captured[0]) { x->type = 'X'; continue; } /* AAI: nothing conducted */
        }
        if (!vent) continue;
        double fail = o->pace_fail, fus = o->pace_fusion, pseudo = o->pace_pseudo;
        if (uv < fail) {
            x->spike[1] = m->qrs_on_p - 0.002;
            x->captured[1] = 0;
            x->type = 'X';
        } else if (uv < fail + fus) {
            /* the intrinsic QRS starts with the spike: a conducted P before it */
            x->type = 'f';
            x->fusion = 0.3 + 0.4 * up;
            x->spike[1] = m->qrs_on_p - 0.002;
            x->captured[1] = 1;
            if (x->p < 0) x->p = (o->conditions >> ECGX_SYNTH_AF & 1u) ? 0 : 1;
        } else if (uv < fail + fus + pseudo) {
            x->type = 'N'; /* conducted; the spike is too late to matter */
            x->spike[1] = m->qrs_on_n + 0.010 + 0.030 * up;
            x->captured[1] = 0;
            if (x->p < 0) x->p = (o->conditions >> ECGX_SYNTH_AF & 1u) ? 0 : 1;
        } else {
            x->type = '/';
            x->spike[1] = m->qrs_on_p - 0.002;
            x->captured[1] = 1;
            if (x->p < 0) x->p = 0; /* VVI: no conducted atrial activity shown */
        }
    }
    return 0;
}

int ecgx_synth_spikes(const ecgx_synth_options *opt, ecgx_synth_spike **spikes, int *n_spikes)
{
    if (!opt || !spikes || !n_spikes) return ecgx_error(ECGX_ERR_ARG, "synth spikes: missing argument");
    *spikes = NULL;
    *n_spikes = 0;
    ecgx_synth_options o;
    int rc = ecgx_synth_resolve(opt, &o);
    if (rc < 0) return rc;
    synth_model *m = malloc(sizeof *m);
    if (!m) return ecgx_error(ECGX_ERR_NOMEM, "synth: out of memory");
    synth_beat *b = NULL;
    int nb = 0;
    if ((rc = synth_model_build(&o, m)) < 0 || (rc = synth_rhythm(m, &b, &nb)) < 0) { free(m); return rc; }
    int64_t n = llround(o.duration * o.fs);
    ecgx_synth_spike *out = ecgx_calloc_array(2 * (size_t)nb + 1, sizeof *out, "synth spikes");
    int k = 0;
    /* the spike alone in each lead, over a window around it: its sampled peak */
    int64_t half = (int64_t)ceil((o.pace_spike_width + RECHARGE_S + 8 * m->fe_sigma) * o.fs) + 2;
    double *buf = ecgx_calloc_array(SYNTH_N_INDEP * (size_t)(2 * half + 1), sizeof *buf, "synth spikes");
    if (!out || !buf) { free(out); free(buf); free(b); free(m); return ECGX_ERR_NOMEM; }
    for (int i = 0; i < nb; i++)
        for (int ch = 0; ch < 2; ch++) {
            if (isnan(b[i].spike[ch])) continue;
            double t0 = b[i].t + b[i].spike[ch];
            int64_t s = llround(t0 * o.fs);
            if (s < 0 || s >= n) continue;
            int64_t a = s - half, len = 2 * half + 1;
            synth_beat sh = b[i];
            sh.t -= (double)a / o.fs; /* the window starts at sample 0 of buf */
            double pk = 0;
            for (int l = 0; l < SYNTH_N_INDEP; l++) {
                double *x = buf + (size_t)l * (size_t)len;
                for (int64_t q = 0; q < len; q++) x[q] = 0;
                synth_spike_render(m, &sh, ch, m->lead[synth_indep_lead[l]], len, x);
            }
            for (int64_t q = 0; q < len; q++) {
                double I = buf[q], II = buf[(size_t)len + (size_t)q];
                double v[4] = {II - I, -(I + II) / 2, I - II / 2, II - I / 2};
                for (int l = 0; l < SYNTH_N_INDEP; l++) pk = fmax(pk, fabs(buf[(size_t)l * (size_t)len + (size_t)q]));
                for (int l = 0; l < 4; l++) pk = fmax(pk, fabs(v[l]));
            }
            out[k++] = (ecgx_synth_spike){s, ch ? 'V' : 'A', b[i].captured[ch], pk};
        }
    free(buf);
    free(b);
    free(m);
    *spikes = out;
    *n_spikes = k;
    return 0;
}
