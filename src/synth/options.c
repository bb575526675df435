/* Options of the synthetic ECG generator: defaults, condition names, and
 * resolution of "choose" (0) fields into concrete, checked values. */
#include "synth/synth_internal.h"
#include "core/strutil.h"

#include <math.h>
#include <string.h>

static const char *const cond_names[ECGX_SYNTH_N_CONDITIONS] = {
    "normal", "brady", "tachy", "af", "avb1", "lbbb", "rbbb", "ste", "std", "lvh", "pvc"
};
static const char *const cond_codes[ECGX_SYNTH_N_CONDITIONS] = {
    "NORM", "BRADY", "TACHY", "AF", "AVB1", "LBBB", "RBBB", "STE", "STD", "LVH", "PVC"
};

const char *ecgx_synth_condition_name(int cond)
{
    return cond >= 0 && cond < ECGX_SYNTH_N_CONDITIONS ? cond_names[cond] : NULL;
}

const char *ecgx_synth_condition_code(int cond)
{
    return cond >= 0 && cond < ECGX_SYNTH_N_CONDITIONS ? cond_codes[cond] : NULL;
}

int ecgx_synth_condition_from_name(const char *name)
{
    if (!name) return -1;
    for (int c = 0; c < ECGX_SYNTH_N_CONDITIONS; c++)
        if (strcasecmp_ascii(name, cond_names[c]) == 0 || strcasecmp_ascii(name, cond_codes[c]) == 0) return c;
    return -1;
}

int ecgx_synth_conditions_parse(const char *list, unsigned *out)
{
    if (!list || !out) return ecgx_error(ECGX_ERR_ARG, "synth: no condition list");
    unsigned mask = 0;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char buf[32];
        if (len == 0 || len >= sizeof buf)
            return ecgx_error(ECGX_ERR_ARG, "synth: bad condition list '%s'", list);
        memcpy(buf, p, len);
        buf[len] = '\0';
        int c = ecgx_synth_condition_from_name(ecgx_trim(buf));
        if (c < 0) return ecgx_error(ECGX_ERR_ARG, "synth: unknown condition '%s' (known: normal, brady, "
                                                   "tachy, af, avb1, lbbb, rbbb, ste, std, lvh, pvc)", buf);
        mask |= ECGX_SYNTH_FLAG(c);
        if (!e) break;
        p = e + 1;
    }
    *out = mask;
    return 0;
}

ecgx_synth_options ecgx_synth_options_default(void)
{
    ecgx_synth_options o;
    memset(&o, 0, sizeof o);
    o.fs = 500;
    o.duration = 10;
    o.seed = 1;
    o.pl_freq = 50;
    return o;
}

/* A field left at 0: the canonical value, or a draw in [lo, hi] with vary. */
static double choose(double v, int vary, ecgx_rng *r, double canon, double lo, double hi)
{
    double u = ecgx_rng_uniform(r); /* drawn always, so each field's draw never depends on the others being set */
    if (v != 0) return v;
    return vary ? lo + (hi - lo) * u : canon;
}

static int check_range(const char *what, double v, double lo, double hi)
{
    if (!(v >= lo && v <= hi))
        return ecgx_error(ECGX_ERR_RANGE, "synth: %s %g outside %g..%g", what, v, lo, hi);
    return 0;
}

#define HAS(mask, c) (((mask) >> (c)) & 1u)

int ecgx_synth_resolve(const ecgx_synth_options *in, ecgx_synth_options *out)
{
    if (!in || !out) return ecgx_error(ECGX_ERR_ARG, "synth: no options");
    ecgx_synth_options o = *in;
    unsigned c = o.conditions;
    if (c >> ECGX_SYNTH_N_CONDITIONS) return ecgx_error(ECGX_ERR_ARG, "synth: unknown condition flags 0x%x", c);
    if (HAS(c, ECGX_SYNTH_NORMAL) && c != ECGX_SYNTH_FLAG(ECGX_SYNTH_NORMAL))
        return ecgx_error(ECGX_ERR_ARG, "synth: 'normal' cannot be combined with other conditions");
    c &= ~ECGX_SYNTH_FLAG(ECGX_SYNTH_NORMAL);
    /* Combinations that contradict each other's definition. */
    static const int clash[][2] = {
        {ECGX_SYNTH_BRADY, ECGX_SYNTH_TACHY}, {ECGX_SYNTH_AF, ECGX_SYNTH_AVB1}, {ECGX_SYNTH_AF, ECGX_SYNTH_BRADY},
        {ECGX_SYNTH_AF, ECGX_SYNTH_TACHY},    {ECGX_SYNTH_LBBB, ECGX_SYNTH_RBBB}, {ECGX_SYNTH_LBBB, ECGX_SYNTH_LVH},
        {ECGX_SYNTH_RBBB, ECGX_SYNTH_LVH},
    };
    for (size_t i = 0; i < sizeof clash / sizeof clash[0]; i++)
        if (HAS(c, clash[i][0]) && HAS(c, clash[i][1]))
            return ecgx_error(ECGX_ERR_ARG, "synth: conditions '%s' and '%s' cannot be combined",
                              cond_names[clash[i][0]], cond_names[clash[i][1]]);
    o.conditions = c ? c : ECGX_SYNTH_FLAG(ECGX_SYNTH_NORMAL);

    int rc;
    if ((rc = check_range("fs (Hz)", o.fs, 50, 10000)) < 0) return rc;
    if ((rc = check_range("duration (s)", o.duration, 0.5, 86400)) < 0) return rc;
    if (o.fs * o.duration > 2e9) return ecgx_error(ECGX_ERR_RANGE, "synth: record too long (%g samples)", o.fs * o.duration);

    ecgx_rng r;
    ecgx_rng_seed(&r, o.seed, SYNTH_STREAM_RESOLVE);
    int v = o.vary;

    /* Heart rate by rhythm. */
    double hr_lo = 60, hr_hi = 100, hr_canon = 70, hr_vlo = 60, hr_vhi = 95;
    if (HAS(c, ECGX_SYNTH_BRADY)) { hr_lo = 30; hr_hi = 59.9; hr_canon = 50; hr_vlo = 40; hr_vhi = 56; }
    if (HAS(c, ECGX_SYNTH_TACHY)) { hr_lo = 100.1; hr_hi = 200; hr_canon = 120; hr_vlo = 105; hr_vhi = 150; }
    if (HAS(c, ECGX_SYNTH_AF)) { hr_lo = 40; hr_hi = 180; hr_canon = 90; hr_vlo = 65; hr_vhi = 130; }
    o.hr = choose(o.hr, v, &r, hr_canon, hr_vlo, hr_vhi);
    if ((rc = check_range("heart rate (bpm) for this rhythm", o.hr, hr_lo, hr_hi)) < 0) return rc;

    o.hr_std = choose(o.hr_std, v, &r, 2, 1, 4);
    /* negative asks for no variability and stays negative, so resolving twice changes nothing */
    if (o.hr_std > 0 && (rc = check_range("hr_std (bpm)", o.hr_std, 0, 20)) < 0) return rc;
    if (isnan(o.hr_std)) return ecgx_error(ECGX_ERR_RANGE, "synth: hr_std is not a number");
    o.lf_hf = choose(o.lf_hf, v, &r, 0.5, 0.3, 2.0);
    if ((rc = check_range("lf_hf", o.lf_hf, 0.01, 100)) < 0) return rc;
    o.resp_rate = choose(o.resp_rate, v, &r, 0.25, 0.15, 0.35);
    if ((rc = check_range("resp_rate (Hz)", o.resp_rate, 0.05, 0.49)) < 0) return rc;

    /* PR: shortens a little with rate (about RR^0.2) in the normal range. */
    double rr = 60.0 / o.hr;
    double pr_canon = fmin(0.195, fmax(0.125, 0.16 * pow(rr, 0.2)));
    if (HAS(c, ECGX_SYNTH_AVB1)) o.pr = choose(o.pr, v, &r, 0.28, 0.22, 0.36);
    else o.pr = choose(o.pr, v, &r, pr_canon, 0.13, 0.19);
    if (HAS(c, ECGX_SYNTH_AVB1)) { if ((rc = check_range("PR (s) for avb1", o.pr, 0.201, 0.6)) < 0) return rc; }
    else if ((rc = check_range("PR (s) without avb1", o.pr, 0.1, 0.2)) < 0) return rc;

    o.amplitude = choose(o.amplitude, v, &r, 1, 0.8, 1.2);
    if ((rc = check_range("amplitude", o.amplitude, 0.05, 20)) < 0) return rc;
    o.axis_deg = choose(o.axis_deg, v, &r, 0, -25, 25);
    if ((rc = check_range("axis rotation (deg)", o.axis_deg, -90, 90)) < 0) return rc;

    double qrs_canon = HAS(c, ECGX_SYNTH_LBBB) ? 0.15 : 0.14;
    o.qrs_bbb = choose(o.qrs_bbb, v, &r, qrs_canon, 0.125, 0.17);
    if ((rc = check_range("qrs_bbb (s)", o.qrs_bbb, 0.12, 0.22)) < 0) return rc;

    double st_canon = HAS(c, ECGX_SYNTH_STE) ? 0.2 : 0.15;
    double st_lo = HAS(c, ECGX_SYNTH_STE) ? 0.15 : 0.1, st_hi = HAS(c, ECGX_SYNTH_STE) ? 0.4 : 0.25;
    o.st_level = choose(o.st_level, v, &r, st_canon, st_lo, st_hi);
    if ((rc = check_range("st_level (mV)", o.st_level, 0.05, 1.0)) < 0) return rc;
    if (o.ste_leads == 0)
        o.ste_leads = ECGX_LEAD_FLAG(ECGX_LEAD_V2) | ECGX_LEAD_FLAG(ECGX_LEAD_V3) | ECGX_LEAD_FLAG(ECGX_LEAD_V4);
    if (o.std_leads == 0)
        o.std_leads = ECGX_LEAD_FLAG(ECGX_LEAD_V4) | ECGX_LEAD_FLAG(ECGX_LEAD_V5) | ECGX_LEAD_FLAG(ECGX_LEAD_V6);
    if ((o.ste_leads | o.std_leads) >> ECGX_N_STD_LEADS)
        return ecgx_error(ECGX_ERR_ARG, "synth: ST lead mask names a lead beyond the 12 standard ones");
    if (HAS(c, ECGX_SYNTH_STE) && HAS(c, ECGX_SYNTH_STD) && (o.ste_leads & o.std_leads))
        return ecgx_error(ECGX_ERR_ARG, "synth: a lead cannot have both ST elevation and depression");

    o.lvh_sokolow = choose(o.lvh_sokolow, v, &r, 4.2, 3.8, 5.5);
    if ((rc = check_range("lvh_sokolow (mV)", o.lvh_sokolow, 3.6, 8)) < 0) return rc;
    o.pvc_fraction = choose(o.pvc_fraction, v, &r, 0.15, 0.08, 0.25);
    if ((rc = check_range("pvc_fraction", o.pvc_fraction, 0.01, 0.4)) < 0) return rc;
    o.pvc_coupling = choose(o.pvc_coupling, v, &r, 0.6, 0.5, 0.7);
    if ((rc = check_range("pvc_coupling", o.pvc_coupling, 0.4, 0.8)) < 0) return rc;
    o.af_rr_cv = choose(o.af_rr_cv, v, &r, 0.2, 0.15, 0.3);
    if ((rc = check_range("af_rr_cv", o.af_rr_cv, 0.05, 0.5)) < 0) return rc;
    o.af_f_freq = choose(o.af_f_freq, v, &r, 6, 4.5, 8.5);
    if ((rc = check_range("af_f_freq (Hz)", o.af_f_freq, 4, 9)) < 0) return rc;
    o.af_f_amp = choose(o.af_f_amp, v, &r, 0.08, 0.04, 0.15);
    if ((rc = check_range("af_f_amp (mV)", o.af_f_amp, 0.005, 0.3)) < 0) return rc;

    /* Ectopy, pacing and artefacts: drawn after everything above, so records
     * made without them are what they always were. */
    if (o.pvc_pattern < ECGX_PVC_ISOLATED || o.pvc_pattern > ECGX_PVC_RUNS)
        return ecgx_error(ECGX_ERR_ARG, "synth: unknown PVC pattern %d", o.pvc_pattern);
    if ((rc = check_range("aberrant_fraction", o.aberrant_fraction, 0, 0.5)) < 0) return rc;
    if (o.morph_change_at != 0 && (rc = check_range("morph_change_at (s)", o.morph_change_at, 0, o.duration)) < 0) return rc;
    if ((rc = check_range("morph_change_deg", o.morph_change_deg, -180, 180)) < 0) return rc;
    if (o.morph_change_gain != 0 && (rc = check_range("morph_change_gain", o.morph_change_gain, 0.1, 10)) < 0) return rc;
    if (o.pace_mode < ECGX_PACE_NONE || o.pace_mode > ECGX_PACE_DUAL)
        return ecgx_error(ECGX_ERR_ARG, "synth: unknown pacing mode %d", o.pace_mode);
    if (o.pace_mode != ECGX_PACE_NONE) {
        ecgx_rng pr;
        ecgx_rng_seed(&pr, o.seed, SYNTH_STREAM_PACE + 100);
        double uw = ecgx_rng_uniform(&pr), ua = ecgx_rng_uniform(&pr);
        if (o.pace_spike_width == 0) o.pace_spike_width = v ? 1e-4 * pow(20.0, uw) : 5e-4; /* log-uniform 0.1-2 ms */
        if (o.pace_spike_amp == 0) o.pace_spike_amp = v ? 2 * pow(10.0, ua) : 5;       /* log-uniform 2-20 mV */
        if (o.pace_av_delay == 0) o.pace_av_delay = 0.16;
        if (o.frontend_hz == 0) o.frontend_hz = 0.4 * o.fs;
        if ((rc = check_range("pace_spike_width (s)", o.pace_spike_width, 1e-4, 2e-3)) < 0) return rc;
        if ((rc = check_range("pace_spike_amp (mV)", o.pace_spike_amp, 0.5, 50)) < 0) return rc;
        if ((rc = check_range("pace_av_delay (s)", o.pace_av_delay, 0.08, 0.3)) < 0) return rc;
        if ((rc = check_range("frontend_hz", o.frontend_hz, 10, 0.5 * o.fs)) < 0) return rc;
        if (!(o.pace_fusion >= 0 && o.pace_pseudo >= 0 && o.pace_fail >= 0 &&
              o.pace_fusion + o.pace_pseudo + o.pace_fail <= 0.6))
            return ecgx_error(ECGX_ERR_RANGE, "synth: pacing fusion, pseudo-fusion and failure fractions must be "
                                              ">= 0 and sum to at most 0.6");
        if (o.pace_mode != ECGX_PACE_VENTRICULAR && HAS(c, ECGX_SYNTH_AF))
            return ecgx_error(ECGX_ERR_ARG, "synth: atrial pacing cannot capture fibrillating atria ('af')");
    }
    if (!(o.em_rms >= 0 && o.em_rms <= 10)) return ecgx_error(ECGX_ERR_RANGE, "synth: em_rms must lie in 0..10 mV");
    if (!(o.leadoff_s >= 0 && o.leadoff_s <= 0.5 * o.duration && o.saturation_s >= 0 &&
          o.saturation_s <= 0.5 * o.duration))
        return ecgx_error(ECGX_ERR_RANGE, "synth: lead-off and saturation may cover at most half the record");

    if (o.pl_freq == 0) o.pl_freq = 50;
    if (o.pl_amp > 0 && (rc = check_range("pl_freq (Hz)", o.pl_freq, 1, 0.49 * o.fs)) < 0) return rc;
    if (!(o.bw_amp >= 0 && o.bw_amp <= 10) || !(o.emg_rms >= 0 && o.emg_rms <= 10) ||
        !(o.pl_amp >= 0 && o.pl_amp <= 10))
        return ecgx_error(ECGX_ERR_RANGE, "synth: noise amplitudes must lie in 0..10 mV");
    if (o.use_snr && (rc = check_range("snr (dB)", o.snr_db, -40, 100)) < 0) return rc;
    *out = o;
    return 0;
}
