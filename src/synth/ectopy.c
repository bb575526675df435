/* Ectopy beyond isolated PVCs: bigeminy and trigeminy (every 2nd or 3rd beat
 * a PVC, at the record's coupling interval, the sinus schedule untouched so
 * each pause is compensatory), runs of 2-8 PVCs (couplets, triplets and
 * non-sustained ventricular tachycardia at the coupling interval, the sinus
 * beats they overlap hidden: retrograde concealment), and premature atrial
 * beats conducted with aberration (RBBB-like QRS, see pacing.c's template). */
#include "synth/synth_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int in_body(const synth_model *m, const synth_beat *b) { return b->t >= 0.4 && b->t <= m->o.duration - 0.6; }

static void make_pvc(synth_beat *b, int j, double coupling)
{
    double prev = b[j - 1].t;
    b[j].t = prev + coupling * (b[j].t - prev);
    b[j].rr = b[j].t - prev;
    b[j].type = 'V';
    b[j + 1].rr = b[j + 1].t - b[j].t;
}

int synth_pvc_pattern(const synth_model *m, synth_beat **beats, int *n_beats)
{
    const ecgx_synth_options *o = &m->o;
    synth_beat *b = *beats;
    int n = *n_beats;
    if (o->pvc_pattern == ECGX_PVC_BIGEMINY || o->pvc_pattern == ECGX_PVC_TRIGEMINY) {
        int every = o->pvc_pattern == ECGX_PVC_BIGEMINY ? 2 : 3;
        for (int j = 1; j + 1 < n; j++)
            if (j % every == every - 1 && in_body(m, &b[j])) make_pvc(b, j, o->pvc_coupling);
        return 0;
    }
    if (o->pvc_pattern != ECGX_PVC_RUNS) return ecgx_error(ECGX_ERR_ARG, "synth: unknown PVC pattern %d", o->pvc_pattern);
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_ECTOPY);
    synth_beat *out = ecgx_calloc_array(3 * (size_t)n + 8, sizeof *out, "synth beats");
    if (!out) return ECGX_ERR_NOMEM;
    int k = 0, gap = 2 + (int)(4 * ecgx_rng_uniform(&r));
    for (int j = 0; j < n; j++) {
        out[k++] = b[j];
        if (--gap > 0 || j + 1 >= n || !in_body(m, &b[j]) || b[j + 1].t > o->duration - 1.5) continue;
        /* a run after beat j: L ectopic beats at the coupling interval */
        static const int lens[] = {2, 2, 3, 3, 4, 5, 6, 8};
        int len = lens[(int)(8 * ecgx_rng_uniform(&r)) & 7];
        double rr = b[j + 1].t - b[j].t, step = o->pvc_coupling * rr, t = b[j].t;
        for (int q = 0; q < len; q++) {
            synth_beat v = b[j + 1];
            t += step;
            v.t = t;
            v.rr = step;
            v.type = 'V';
            out[k++] = v;
        }
        /* the sinus beats the run overlaps are concealed; the next one that
         * comes at least one coupling interval after the run is conducted */
        while (j + 1 < n && b[j + 1].t < t + step) j++;
        if (j + 1 < n) b[j + 1].rr = b[j + 1].t - t;
        gap = 3 + (int)(6 * ecgx_rng_uniform(&r));
    }
    free(b);
    *beats = out;
    *n_beats = k;
    return 0;
}

void synth_aberrant(const synth_model *m, synth_beat *b, int n)
{
    ecgx_rng r;
    ecgx_rng_seed(&r, m->o.seed, SYNTH_STREAM_ECTOPY + 100);
    for (int j = 1; j + 1 < n; j++) {
        double u = ecgx_rng_uniform(&r);
        if (u >= m->o.aberrant_fraction || b[j].type != 'N' || b[j - 1].type != 'N' || b[j + 1].type != 'N' ||
            !in_body(m, &b[j]))
            continue;
        double prev = b[j - 1].t; /* premature atrial beat: 70 % of the interval, its own P */
        b[j].t = prev + 0.7 * (b[j].t - prev);
        b[j].rr = b[j].t - prev;
        b[j].type = 'a';
        b[j + 1].rr = b[j + 1].t - b[j].t;
    }
}
