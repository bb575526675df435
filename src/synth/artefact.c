/* Artefacts of real recordings, each from its own random stream:
 * - electrode motion (as in the MIT-BIH noise stress test's "em" record): the
 *   skin-electrode potential jumps when the electrode moves, then relaxes.
 *   Modelled as band-limited Gaussian noise (0.5-12 Hz, the QRS band's lower
 *   half: what makes it the hardest of the three for a detector) under a
 *   slowly varying burst envelope, plus smoothed steps (20-80 ms rise) that
 *   decay over 0.3-1 s, about one every 2 s, scaled to em_rms per lead;
 * - lead-off segments: the lead reads a flat line;
 * - saturation: the amplifier is pinned at one of its rails (+-10 mV).
 * Segments last 1-3 s, never overlap, stay 1 s from the record's ends and
 * hit either every lead or a random subset of them. */
#include "synth/synth_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>

#define PI 3.14159265358979323846
#define RAIL_MV 10.0

static void biquad_bandpass(double f_lo, double f_hi, double fs, double c[5])
{
    double f0 = sqrt(f_lo * f_hi), q = f0 / (f_hi - f_lo);
    double w0 = 2 * PI * f0 / fs, alpha = sin(w0) / (2 * q), a0 = 1 + alpha;
    c[0] = alpha / a0; c[1] = -alpha / a0; c[2] = -2 * cos(w0) / a0; c[3] = (1 - alpha) / a0; c[4] = 0;
}

int synth_electrode_motion(const synth_model *m, int64_t n, double *noise)
{
    const ecgx_synth_options *o = &m->o;
    if (!(o->em_rms > 0) || n < 1) return 0;
    double *tmp = ecgx_malloc_array((size_t)n, sizeof *tmp, "synth electrode motion");
    if (!tmp) return ECGX_ERR_NOMEM;
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_EM);
    double c[5];
    biquad_bandpass(0.5, fmin(12.0, 0.4 * o->fs), o->fs, c);
    /* one burst envelope shared by the leads (the patient moves), 0.2-1.8 */
    double ph1 = 2 * PI * ecgx_rng_uniform(&r), ph2 = 2 * PI * ecgx_rng_uniform(&r);
    for (int l = 0; l < SYNTH_N_INDEP; l++) {
        double x1 = 0, x2 = 0, y1 = 0, y2 = 0, ss = 0;
        const int warm = (int)(2 * o->fs);
        for (int64_t s = -warm; s < n; s++) {
            double x = ecgx_rng_gauss(&r);
            double y = c[0] * x + c[1] * x2 - c[2] * y1 - c[3] * y2;
            x2 = x1; x1 = x; y2 = y1; y1 = y;
            if (s >= 0) {
                double t = (double)s / o->fs;
                double env = 1 + 0.8 * sin(2 * PI * 0.07 * t + ph1) * sin(2 * PI * 0.31 * t + ph2);
                tmp[s] = env * y;
            }
        }
        /* steps: a jump of random size that relaxes exponentially */
        double t_next = -log(1 - ecgx_rng_uniform(&r) * 0.999) * 2.0;
        double sd = 0;
        for (int64_t s = 0; s < n; s++) sd += tmp[s] * tmp[s];
        sd = sqrt(sd / (double)n);
        while (t_next < (double)n / o->fs) {
            double h = 3 * sd * ecgx_rng_gauss(&r), rise = 0.02 + 0.06 * ecgx_rng_uniform(&r);
            double tau = 0.3 + 0.7 * ecgx_rng_uniform(&r);
            int64_t s0 = (int64_t)(t_next * o->fs), s1 = s0 + (int64_t)((rise + 5 * tau) * o->fs);
            if (s1 > n) s1 = n;
            for (int64_t s = s0; s < s1; s++) {
                double u = ((double)s / o->fs - t_next);
                double up = u < rise ? 0.5 - 0.5 * cos(PI * u / rise) : 1;
                double down = u < rise ? 1 : exp(-(u - rise) / tau);
                tmp[s] += h * up * down;
            }
            t_next += -log(1 - ecgx_rng_uniform(&r) * 0.999) * 2.0;
        }
        for (int64_t s = 0; s < n; s++) ss += tmp[s] * tmp[s];
        double scale = ss > 0 ? o->em_rms / sqrt(ss / (double)n) : 0;
        double *dst = noise + (size_t)l * (size_t)n;
        for (int64_t s = 0; s < n; s++) dst[s] += scale * tmp[s];
    }
    free(tmp);
    return 0;
}

typedef struct seg { int64_t a, z; unsigned leads; int kind; double rail; } seg;

/* Draw the lead-off (kind 0) and saturation (kind 1) segments. */
static int draw_segments(const ecgx_synth_options *o, seg **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    if (!(o->leadoff_s > 0) && !(o->saturation_s > 0)) return 0;
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_ARTEFACT);
    int cap = (int)(o->leadoff_s + o->saturation_s) + 4;
    seg *sg = ecgx_calloc_array((size_t)cap, sizeof *sg, "synth artefact segments");
    if (!sg) return ECGX_ERR_NOMEM;
    int k = 0;
    for (int kind = 0; kind < 2; kind++) {
        double left = kind == 0 ? o->leadoff_s : o->saturation_s;
        for (int tries = 0; left > 0.05 && tries < 200 && k < cap; tries++) {
            double len = fmin(left, 1.0 + 2.0 * ecgx_rng_uniform(&r));
            if (len < 1.0) break; /* what is left is too short for a segment */
            double span = o->duration - 2 - len;
            if (span <= 0) break;
            double t0 = 1 + span * ecgx_rng_uniform(&r);
            int64_t a = (int64_t)(t0 * o->fs), z = (int64_t)((t0 + len) * o->fs);
            int clash = 0;
            for (int i = 0; i < k; i++) clash |= a < sg[i].z + (int64_t)(0.5 * o->fs) && sg[i].a < z + (int64_t)(0.5 * o->fs);
            double uall = ecgx_rng_uniform(&r), usub = ecgx_rng_uniform(&r), urail = ecgx_rng_uniform(&r);
            if (clash) continue;
            unsigned leads = 0xFFFu;
            if (uall < 0.5) { /* a subset: 1-6 of the 12 leads */
                leads = 0;
                uint64_t bits = (uint64_t)(usub * 4096.0);
                for (int l = 0; l < ECGX_N_STD_LEADS && __builtin_popcount(leads) < 6; l++)
                    if (bits >> l & 1u) leads |= 1u << l;
                if (!leads) leads = 1u << (int)(usub * 12);
            }
            sg[k++] = (seg){a, z, leads, kind, urail < 0.5 ? -RAIL_MV : RAIL_MV};
            left -= len;
        }
    }
    *out = sg;
    *nout = k;
    return 0;
}

int synth_apply_artefacts(const ecgx_synth_options *o, ecgx_record *rec)
{
    seg *sg;
    int ns;
    int rc = draw_segments(o, &sg, &ns);
    if (rc < 0) return rc;
    for (int i = 0; i < ns; i++)
        for (int l = 0; l < ECGX_N_STD_LEADS; l++) {
            if (!(sg[i].leads >> l & 1u)) continue;
            float *x = ecgx_record_lead(rec, l);
            float v = sg[i].kind == 0 ? 0.0f : (float)sg[i].rail;
            for (int64_t s = sg[i].a; s < sg[i].z && s < rec->n_samples; s++) x[s] = v;
        }
    free(sg);
    return 0;
}

int ecgx_synth_artefacts(const ecgx_synth_options *opt, int64_t **start, int64_t **end, unsigned **lead_mask, int *n)
{
    if (!opt || !start || !end || !lead_mask || !n) return ecgx_error(ECGX_ERR_ARG, "synth artefacts: missing argument");
    *start = *end = NULL;
    *lead_mask = NULL;
    *n = 0;
    ecgx_synth_options o;
    int rc = ecgx_synth_resolve(opt, &o);
    if (rc < 0) return rc;
    seg *sg;
    int ns;
    if ((rc = draw_segments(&o, &sg, &ns)) < 0) return rc;
    if (ns == 0) { free(sg); return 0; }
    *start = malloc(sizeof **start * (size_t)ns);
    *end = malloc(sizeof **end * (size_t)ns);
    *lead_mask = malloc(sizeof **lead_mask * (size_t)ns);
    if (!*start || !*end || !*lead_mask) {
        free(*start); free(*end); free(*lead_mask); free(sg);
        *start = *end = NULL; *lead_mask = NULL;
        return ecgx_error(ECGX_ERR_NOMEM, "synth: out of memory");
    }
    /* in time order */
    for (int i = 1; i < ns; i++)
        for (int j = i; j > 0 && sg[j].a < sg[j - 1].a; j--) { seg t = sg[j]; sg[j] = sg[j - 1]; sg[j - 1] = t; }
    for (int i = 0; i < ns; i++) { (*start)[i] = sg[i].a; (*end)[i] = sg[i].z; (*lead_mask)[i] = sg[i].leads; }
    *n = ns;
    free(sg);
    return 0;
}
