/* AF fibrillatory waves: disorganised atrial activity at 4-9 Hz (Bollmann
 * et al. 2006: dominant atrial frequency 4-9 Hz, amplitude tens of uV to
 * ~0.2 mV, largest in V1 and the inferior leads). Modelled as a dipole along
 * m->f_dir whose amplitude and instantaneous frequency wander slowly, with a
 * second harmonic that makes the waves sawtooth-like and irregular. */
#include "synth/synth_internal.h"

#include <math.h>

#define PI 3.14159265358979323846

void synth_fwaves(const synth_model *m, int64_t n, double *dip)
{
    const ecgx_synth_options *o = &m->o;
    ecgx_rng r;
    ecgx_rng_seed(&r, o->seed, SYNTH_STREAM_FWAVE);
    double ph = 2 * PI * ecgx_rng_uniform(&r), ph2 = 2 * PI * ecgx_rng_uniform(&r);
    double fm1 = 0.08 + 0.1 * ecgx_rng_uniform(&r), fm2 = 0.25 + 0.2 * ecgx_rng_uniform(&r);
    double am = 0.17 + 0.2 * ecgx_rng_uniform(&r);
    double q1 = 2 * PI * ecgx_rng_uniform(&r), q2 = 2 * PI * ecgx_rng_uniform(&r), q3 = 2 * PI * ecgx_rng_uniform(&r);
    double fs = o->fs;
    for (int64_t s = 0; s < n; s++) {
        double t = (double)s / fs;
        /* frequency wanders about +-10 %; amplitude waxes and wanes */
        double f = o->af_f_freq * (1 + 0.07 * sin(2 * PI * fm1 * t + q1) + 0.04 * sin(2 * PI * fm2 * t + q2));
        double a = o->af_f_amp * (1 + 0.3 * sin(2 * PI * am * t + q3)) / 1.3;
        double v = a * (sin(ph) + 0.3 * sin(2 * ph + ph2));
        ph += 2 * PI * f / fs;
        for (int k = 0; k < 3; k++) dip[(size_t)k * (size_t)n + (size_t)s] += v * m->f_dir[k];
    }
}
