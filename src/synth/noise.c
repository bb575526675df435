/* Noise, each source from its own random stream and off at amplitude 0:
 * - baseline wander: respiration at resp_rate plus a slower drift
 *   (0.05-0.12 Hz), per-lead phases; peak amplitude bw_amp;
 * - muscle (EMG): Gaussian white noise (Marsaglia polar) through a
 *   second-order band-pass (20-150 Hz, Bristow-Johnson's biquad), scaled to
 *   RMS emg_rms per lead;
 * - powerline: pl_amp * sin(2 pi pl_freq t + phase_lead).
 * Noise is added to the independent leads (I, II, V1-V6); the other limb
 * leads inherit it through Einthoven's and Goldberger's equations. */
#include "synth/synth_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>

#define PI 3.14159265358979323846

/* sin(wt + p) = sin(wt) cos(p) + cos(wt) sin(p): the trigonometry is done
 * once per sample and shared by the leads, which differ only in phase. */
static void baseline_wander(const ecgx_synth_options *o, int64_t n, double *noise)
{
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_BW);
    double f_slow = 0.05 + 0.07 * ecgx_rng_uniform(&r);
    double c1[SYNTH_N_INDEP], s1[SYNTH_N_INDEP], c2[SYNTH_N_INDEP], s2[SYNTH_N_INDEP];
    for (int l = 0; l < SYNTH_N_INDEP; l++) {
        double p1 = 2 * PI * ecgx_rng_uniform(&r), p2 = 2 * PI * ecgx_rng_uniform(&r);
        double g = o->bw_amp * (0.6 + 0.4 * ecgx_rng_uniform(&r)); /* leads see the breathing differently */
        c1[l] = 0.65 * g * cos(p1);
        s1[l] = 0.65 * g * sin(p1);
        c2[l] = 0.35 * g * cos(p2);
        s2[l] = 0.35 * g * sin(p2);
    }
    for (int64_t s = 0; s < n; s++) {
        double t = (double)s / o->fs, a1 = 2 * PI * o->resp_rate * t, a2 = 2 * PI * f_slow * t;
        double sa1 = sin(a1), ca1 = cos(a1), sa2 = sin(a2), ca2 = cos(a2);
        for (int l = 0; l < SYNTH_N_INDEP; l++)
            noise[(size_t)l * (size_t)n + (size_t)s] += sa1 * c1[l] + ca1 * s1[l] + sa2 * c2[l] + ca2 * s2[l];
    }
}

static void muscle(const ecgx_synth_options *o, int64_t n, double *noise, double *tmp)
{
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_EMG);
    double f_hi = fmin(150.0, 0.45 * o->fs), f_lo = fmin(20.0, 0.5 * f_hi);
    double f0 = sqrt(f_lo * f_hi), q = f0 / (f_hi - f_lo);
    double w0 = 2 * PI * f0 / o->fs, alpha = sin(w0) / (2 * q), a0 = 1 + alpha;
    double b0 = alpha / a0, b2 = -alpha / a0, a1 = -2 * cos(w0) / a0, a2 = (1 - alpha) / a0;
    const int warm = 256;
    for (int l = 0; l < SYNTH_N_INDEP; l++) {
        double x1 = 0, x2 = 0, y1 = 0, y2 = 0, ss = 0;
        for (int64_t s = -warm; s < n; s++) {
            double x = ecgx_rng_gauss(&r);
            double y = b0 * x + b2 * x2 - a1 * y1 - a2 * y2;
            x2 = x1; x1 = x; y2 = y1; y1 = y;
            if (s >= 0) { tmp[s] = y; ss += y * y; }
        }
        double scale = ss > 0 ? o->emg_rms / sqrt(ss / (double)n) : 0;
        double *dst = noise + (size_t)l * (size_t)n;
        for (int64_t s = 0; s < n; s++) dst[s] += scale * tmp[s];
    }
}

static void powerline(const ecgx_synth_options *o, int64_t n, double *noise)
{
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_PL);
    double w = 2 * PI * o->pl_freq / o->fs, cp[SYNTH_N_INDEP], sp[SYNTH_N_INDEP];
    for (int l = 0; l < SYNTH_N_INDEP; l++) {
        double p = 2 * PI * ecgx_rng_uniform(&r);
        cp[l] = o->pl_amp * cos(p);
        sp[l] = o->pl_amp * sin(p);
    }
    for (int64_t s = 0; s < n; s++) {
        double a = w * (double)s, sa = sin(a), ca = cos(a);
        for (int l = 0; l < SYNTH_N_INDEP; l++) noise[(size_t)l * (size_t)n + (size_t)s] += sa * cp[l] + ca * sp[l];
    }
}

int synth_noise(const synth_model *m, int64_t n, double *noise)
{
    const ecgx_synth_options *o = &m->o;
    if (o->bw_amp > 0) baseline_wander(o, n, noise);
    if (o->emg_rms > 0) {
        double *tmp = ecgx_malloc_array((size_t)(n ? n : 1), sizeof *tmp, "synth muscle noise");
        if (!tmp) return ECGX_ERR_NOMEM;
        muscle(o, n, noise, tmp);
        free(tmp);
    }
    if (o->pl_amp > 0) powerline(o, n, noise);
    return 0;
}
