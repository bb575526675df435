/* ecgx_synth_generate: resolve the options, build the model and the beat
 * schedule, take the ground truth from the events, then render: events into
 * the heart dipole, the dipole onto the 8 independent leads, direct ST
 * deviations and noise there, and the remaining 4 limb leads from I and II. */
#include "synth/synth_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

static void add_events(const synth_beat *b, double fs, int64_t n, double *dip)
{
    for (int i = 0; i < b->n_ev; i++) {
        const synth_event *e = &b->ev[i];
        double c = b->t + e->t;
        int64_t s0 = (int64_t)ceil((c - 6 * e->sigma) * fs), s1 = (int64_t)floor((c + 6 * e->sigma) * fs);
        if (s0 < 0) s0 = 0;
        if (s1 > n - 1) s1 = n - 1;
        double inv = 1.0 / e->sigma;
        for (int64_t s = s0; s <= s1; s++) {
            double u = ((double)s / fs - c) * inv, g = exp(-0.5 * u * u);
            dip[s] += g * e->d[0];
            dip[(size_t)n + (size_t)s] += g * e->d[1];
            dip[2 * (size_t)n + (size_t)s] += g * e->d[2];
        }
    }
}

/* The ST plateau of a beat: rises (half cosine) over the 20 ms before the J
 * point, stays at 1 from J to the T peak, falls back to 0 at the T offset. */
static double st_plateau(const synth_beat *b, double fs, int64_t s)
{
    int64_t j = b->off[ECGX_WAVE_QRS], tp = b->peak[ECGX_WAVE_T], te = b->off[ECGX_WAVE_T];
    if (j < 0 || tp <= j || te <= tp) return 0;
    double ramp = 0.02 * fs;
    if (s < j) {
        double u = ((double)s - ((double)j - ramp)) / ramp;
        return u <= 0 ? 0 : 0.5 - 0.5 * cos(PI * u);
    }
    if (s <= tp) return 1;
    if (s >= te) return 0;
    return 0.5 + 0.5 * cos(PI * (double)(s - tp) / (double)(te - tp));
}

static void plateau_range(const synth_beat *b, double fs, int64_t n, int64_t *a, int64_t *z)
{
    *a = b->off[ECGX_WAVE_QRS] - (int64_t)ceil(0.02 * fs);
    *z = b->off[ECGX_WAVE_T];
    if (*a < 0) *a = 0;
    if (*z > n - 1) *z = n - 1;
}

static int make_record(const synth_model *m, int64_t n, ecgx_record **out)
{
    ecgx_record *rec = ecgx_record_new(ECGX_N_STD_LEADS, n, m->o.fs);
    if (!rec) return ECGX_ERR_NOMEM;
    snprintf(rec->name, sizeof rec->name, "synth");
    for (int l = 0; l < ECGX_N_STD_LEADS; l++) ecgx_record_set_lead(rec, l, ecgx_lead_std_name(l), "mV");
    for (int c = 0; c < ECGX_SYNTH_N_CONDITIONS; c++)
        if (m->o.conditions >> c & 1u)
            if (ecgx_record_add_label(rec, ecgx_synth_condition_name(c)) < 0) { ecgx_record_free(rec); return ECGX_ERR_NOMEM; }
    *out = rec;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The noise stress test's signal power (Moody, Muldrow & Mark 1984): per
 * lead, (the QRS peak-to-peak amplitude)^2 / 8, the amplitude being the
 * median over the record's beats; summed over the 12 leads. */
static double nst_signal_power(const synth_model *m, int64_t n, const double *sig, const synth_beat *beats, int nb)
{
    double *pp = malloc(sizeof *pp * (size_t)(nb + 1));
    if (!pp) return 0;
    double total = 0;
    for (int l = 0; l < ECGX_N_STD_LEADS; l++) {
        int k = 0;
        for (int i = 0; i < nb; i++) {
            int64_t a = beats[i].on[ECGX_WAVE_QRS], z = beats[i].off[ECGX_WAVE_QRS];
            if (a < 0 || z >= n || z < a) continue;
            double lo = 1e300, hi = -1e300;
            for (int64_t s = a; s <= z; s++) {
                double I = sig[s], II = sig[(size_t)n + (size_t)s], v;
                switch (l) {
                case ECGX_LEAD_I: v = I; break;
                case ECGX_LEAD_II: v = II; break;
                case ECGX_LEAD_III: v = II - I; break;
                case ECGX_LEAD_AVR: v = -(I + II) / 2; break;
                case ECGX_LEAD_AVL: v = I - II / 2; break;
                case ECGX_LEAD_AVF: v = II - I / 2; break;
                default: v = sig[(size_t)(l - ECGX_LEAD_V1 + 2) * (size_t)n + (size_t)s]; break;
                }
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
            pp[k++] = hi - lo;
        }
        if (!k) continue;
        qsort(pp, (size_t)k, sizeof *pp, cmp_double);
        total += pp[k / 2] * pp[k / 2] / 8;
    }
    free(pp);
    (void)m;
    return total;
}

/* Scale the noise so that (signal power) / (noise power) over all 12 leads is
 * the requested SNR; the derived leads' noise follows linearly. */
static void apply_snr(const synth_model *m, int64_t n, const double *sig, double *noise, const synth_beat *beats,
                      int n_beats)
{
    double ps = 0, pn = 0;
    for (int64_t s = 0; s < n; s++) {
        double x[SYNTH_N_INDEP], y[SYNTH_N_INDEP];
        for (int l = 0; l < SYNTH_N_INDEP; l++) {
            x[l] = sig[(size_t)l * (size_t)n + (size_t)s];
            y[l] = noise[(size_t)l * (size_t)n + (size_t)s];
        }
        double xs[4] = {x[1] - x[0], -(x[0] + x[1]) / 2, x[0] - x[1] / 2, x[1] - x[0] / 2};
        double ys[4] = {y[1] - y[0], -(y[0] + y[1]) / 2, y[0] - y[1] / 2, y[1] - y[0] / 2};
        for (int l = 0; l < SYNTH_N_INDEP; l++) { ps += x[l] * x[l]; pn += y[l] * y[l]; }
        for (int l = 0; l < 4; l++) { ps += xs[l] * xs[l]; pn += ys[l] * ys[l]; }
    }
    if (pn <= 0) return;
    if (m->o.snr_nst) ps = nst_signal_power(m, n, sig, beats, n_beats) * (double)n;
    double k = sqrt(ps / (pn * pow(10.0, m->o.snr_db / 10.0)));
    for (size_t i = 0; i < (size_t)SYNTH_N_INDEP * (size_t)n; i++) noise[i] *= k;
}

int ecgx_synth_generate(const ecgx_synth_options *opt, ecgx_record **rec_out, ecgx_fiducials **fid_out,
                        uint8_t **mask_out)
{
    if (!opt || !rec_out) return ecgx_error(ECGX_ERR_ARG, "synth: missing argument");
    *rec_out = NULL;
    if (fid_out) *fid_out = NULL;
    if (mask_out) *mask_out = NULL;
    ecgx_synth_options o;
    int rc = ecgx_synth_resolve(opt, &o);
    if (rc < 0) return rc;
    if (o.use_snr && o.bw_amp == 0 && o.emg_rms == 0 && o.pl_amp == 0 && o.em_rms == 0) {
        /* SNR asked without a mix: a typical one, scaled below */
        o.bw_amp = 0.1;
        o.emg_rms = 0.02;
        if (o.pl_freq < 0.49 * o.fs) o.pl_amp = 0.01;
    }
    synth_model *m = malloc(sizeof *m);
    if (!m) return ecgx_error(ECGX_ERR_NOMEM, "synth: out of memory");
    if ((rc = synth_model_build(&o, m)) < 0) { free(m); return rc; }

    const double fs = o.fs;
    const int64_t n = llround(o.duration * fs);
    synth_beat *beats = NULL;
    int n_beats = 0;
    double *dip = NULL, *sig = NULL, *noise = NULL;
    ecgx_record *rec = NULL;
    ecgx_fiducials *fid = NULL;
    uint8_t *mask = NULL;
    if ((rc = synth_rhythm(m, &beats, &n_beats)) < 0) goto fail;
    for (int i = 0; i < n_beats; i++)
        if ((rc = synth_beat_fiducials(m, &beats[i], fs)) < 0) goto fail;

    rc = ECGX_ERR_NOMEM;
    dip = ecgx_calloc_array(3 * (size_t)n, sizeof *dip, "synth dipole");
    sig = ecgx_calloc_array(SYNTH_N_INDEP * (size_t)n, sizeof *sig, "synth leads");
    noise = ecgx_calloc_array(SYNTH_N_INDEP * (size_t)n, sizeof *noise, "synth noise");
    if (!dip || !sig || !noise) goto fail;

    int bbb = (o.conditions >> ECGX_SYNTH_LBBB & 1u) || (o.conditions >> ECGX_SYNTH_RBBB & 1u);
    for (int i = 0; i < n_beats; i++) {
        const synth_beat *b = &beats[i];
        add_events(b, fs, n, dip);
        if (bbb && b->type == 'N') { /* secondary ST change of the block */
            int64_t a, z;
            plateau_range(b, fs, n, &a, &z);
            for (int64_t s = a; s <= z; s++) {
                double p = st_plateau(b, fs, s);
                for (int k = 0; k < 3; k++) dip[(size_t)k * (size_t)n + (size_t)s] += p * m->st_sec[k];
            }
        }
    }
    if (o.conditions >> ECGX_SYNTH_AF & 1u) synth_fwaves(m, n, dip);

    for (int l = 0; l < SYNTH_N_INDEP; l++) {
        const double *lv = m->lead[synth_indep_lead[l]];
        double *x = sig + (size_t)l * (size_t)n;
        for (int64_t s = 0; s < n; s++)
            x[s] = o.amplitude * (lv[0] * dip[s] + lv[1] * dip[(size_t)n + (size_t)s] + lv[2] * dip[2 * (size_t)n + (size_t)s]);
    }
    if (o.pace_mode != ECGX_PACE_NONE) /* pacing spikes: not cardiac, not scaled by amplitude */
        for (int i = 0; i < n_beats; i++)
            for (int ch = 0; ch < 2; ch++)
                for (int l = 0; l < SYNTH_N_INDEP; l++)
                    synth_spike_render(m, &beats[i], ch, m->lead[synth_indep_lead[l]], n, sig + (size_t)l * (size_t)n);
    if (m->st_leads_all) { /* ischaemic ST deviation, conducted beats */
        for (int i = 0; i < n_beats; i++) {
            const synth_beat *b = &beats[i];
            if (b->type != 'N') continue;
            int64_t a, z;
            plateau_range(b, fs, n, &a, &z);
            for (int64_t s = a; s <= z; s++) {
                double p = st_plateau(b, fs, s);
                for (int l = 0; l < SYNTH_N_INDEP; l++)
                    if (m->st_lead[l] != 0) sig[(size_t)l * (size_t)n + (size_t)s] += p * m->st_lead[l];
            }
        }
    }
    if ((rc = synth_noise(m, n, noise)) < 0) goto fail;
    if ((rc = synth_electrode_motion(m, n, noise)) < 0) goto fail;
    if (o.use_snr) apply_snr(m, n, sig, noise, beats, n_beats);

    if ((rc = make_record(m, n, &rec)) < 0) goto fail;
    for (int l = 0; l < SYNTH_N_INDEP; l++) {
        float *dst = ecgx_record_lead(rec, synth_indep_lead[l]);
        const double *x = sig + (size_t)l * (size_t)n, *y = noise + (size_t)l * (size_t)n;
        for (int64_t s = 0; s < n; s++) dst[s] = (float)(x[s] + y[s]);
    }
    {
        const float *I = ecgx_record_lead(rec, ECGX_LEAD_I), *II = ecgx_record_lead(rec, ECGX_LEAD_II);
        float *III = ecgx_record_lead(rec, ECGX_LEAD_III), *aVR = ecgx_record_lead(rec, ECGX_LEAD_AVR);
        float *aVL = ecgx_record_lead(rec, ECGX_LEAD_AVL), *aVF = ecgx_record_lead(rec, ECGX_LEAD_AVF);
        for (int64_t s = 0; s < n; s++) {
            III[s] = II[s] - I[s];
            aVR[s] = -(I[s] + II[s]) * 0.5f;
            aVL[s] = I[s] - II[s] * 0.5f;
            aVF[s] = II[s] - I[s] * 0.5f;
        }
    }
    if ((rc = synth_apply_artefacts(&o, rec)) < 0) goto fail;
    if (fid_out || mask_out) {
        if ((rc = synth_fiducials_export(m, beats, n_beats, n, fs, &fid)) < 0) goto fail;
    }
    if (mask_out) {
        rc = ECGX_ERR_NOMEM;
        mask = ecgx_malloc_array((size_t)ECGX_N_STD_LEADS * (size_t)(n ? n : 1), 1, "synth evidence mask");
        if (!mask) goto fail;
        if ((rc = ecgx_synth_evidence(&o, fid, n, o.conditions, mask)) < 0) goto fail;
    }
    free(dip);
    free(sig);
    free(noise);
    free(beats);
    free(m);
    *rec_out = rec;
    if (fid_out) *fid_out = fid;
    else ecgx_fiducials_free(fid);
    if (mask_out) *mask_out = mask;
    return 0;
fail:
    free(dip);
    free(sig);
    free(noise);
    free(beats);
    free(m);
    free(mask);
    ecgx_record_free(rec);
    ecgx_fiducials_free(fid);
    if (rc == ECGX_ERR_NOMEM && !*ecgx_last_error()) ecgx_error(rc, "synth: out of memory");
    return rc;
}
