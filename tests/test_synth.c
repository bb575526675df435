/* Synthetic ECG generator: physiology measured back from the signal,
 * ground truth consistency, evidence masks, determinism and noise. */
#include "check.h"
#include "ecgx/synth.h"

#include <stdint.h>

#define PI 3.14159265358979323846
static const int indep[8] = {ECGX_LEAD_I, ECGX_LEAD_II, ECGX_LEAD_V1, ECGX_LEAD_V2,
                             ECGX_LEAD_V3, ECGX_LEAD_V4, ECGX_LEAD_V5, ECGX_LEAD_V6};

typedef struct gen {
    ecgx_record *rec;
    ecgx_fiducials *fid;
    uint8_t *mask;
} gen;

static int make(const char *conds, uint64_t seed, gen *g, void (*tweak)(ecgx_synth_options *))
{
    ecgx_synth_options o = ecgx_synth_options_default();
    memset(g, 0, sizeof *g);
    if (ecgx_synth_conditions_parse(conds, &o.conditions) < 0) return -1;
    o.seed = seed;
    if (tweak) tweak(&o);
    int rc = ecgx_synth_generate(&o, &g->rec, &g->fid, &g->mask);
    if (rc < 0) fprintf(stderr, "generate %s: %s\n", conds, ecgx_last_error());
    return rc;
}

static void drop(gen *g)
{
    ecgx_record_free(g->rec);
    ecgx_fiducials_free(g->fid);
    free(g->mask);
}

static double ms(const gen *g, int64_t samples) { return 1000.0 * (double)samples / g->rec->fs; }

/* R peaks found in the signal alone: maxima of the spatial magnitude of the
 * independent leads above half its maximum, 250 ms apart at least. */
static int detect_r(const ecgx_record *r, int64_t *out, int cap)
{
    int64_t n = r->n_samples;
    double *m = malloc(sizeof *m * (size_t)n), mx = 0;
    for (int64_t s = 0; s < n; s++) {
        double a = 0;
        for (int k = 0; k < 8; k++) { double v = ecgx_record_lead(r, indep[k])[s]; a += v * v; }
        m[s] = sqrt(a);
        if (m[s] > mx) mx = m[s];
    }
    int cnt = 0;
    int64_t refr = (int64_t)(0.25 * r->fs);
    for (int64_t s = 1; s < n - 1 && cnt < cap; s++) {
        if (m[s] < 0.5 * mx || m[s] < m[s - 1] || m[s] < m[s + 1]) continue;
        int best = 1;
        for (int64_t k = s - refr; k <= s + refr; k++)
            if (k >= 0 && k < n && (m[k] > m[s] || (m[k] == m[s] && k < s))) { best = 0; break; }
        if (best) out[cnt++] = s;
    }
    free(m);
    return cnt;
}

/* QRS duration from the signal: the run of samples around R where the
 * spatial velocity of the independent leads exceeds 15 % of its maximum
 * (gaps under 40 ms bridged: the velocity dips where the leads peak). */
static double qrs_width_signal(const ecgx_record *r, int64_t R)
{
    int64_t w = (int64_t)(0.15 * r->fs), n = r->n_samples, gap = (int64_t)(0.04 * r->fs);
    double sv[4096], mx = 0;
    int64_t a = R - w, z = R + w, pk = R;
    if (a < 1 || z >= n - 1 || z - a + 1 > 4096) return -1;
    for (int64_t s = a; s <= z; s++) {
        double acc = 0;
        for (int k = 0; k < 8; k++) {
            const float *x = ecgx_record_lead(r, indep[k]);
            double d = (x[s + 1] - x[s - 1]) * r->fs / 2;
            acc += d * d;
        }
        sv[s - a] = sqrt(acc);
        if (llabs(s - R) <= w / 3 && sv[s - a] > mx) { mx = sv[s - a]; pk = s; }
    }
    int64_t first = pk, last = pk;
    for (int64_t s = pk; s >= a && s >= first - gap; s--)
        if (sv[s - a] > 0.15 * mx) first = s;
    for (int64_t s = pk; s <= z && s <= last + gap; s++)
        if (sv[s - a] > 0.15 * mx) last = s;
    return 1000.0 * (double)(last - first) / r->fs;
}

static void test_names(void)
{
    for (int c = 0; c < ECGX_SYNTH_N_CONDITIONS; c++) {
        CHECK(ecgx_synth_condition_from_name(ecgx_synth_condition_name(c)) == c);
        CHECK(ecgx_synth_condition_from_name(ecgx_synth_condition_code(c)) == c);
    }
    CHECK(ecgx_synth_condition_from_name("LBBB") == ECGX_SYNTH_LBBB);
    CHECK(ecgx_synth_condition_from_name("vfib") == -1);
    unsigned m = 0;
    CHECK_OK(ecgx_synth_conditions_parse("avb1,ste", &m));
    CHECK(m == (ECGX_SYNTH_FLAG(ECGX_SYNTH_AVB1) | ECGX_SYNTH_FLAG(ECGX_SYNTH_STE)));
    CHECK(ecgx_synth_conditions_parse("avb1,,ste", &m) < 0);
    CHECK(ecgx_synth_conditions_parse("bogus", &m) < 0 && strstr(ecgx_last_error(), "bogus"));
}

static void test_refusals(void)
{
    ecgx_synth_options o = ecgx_synth_options_default(), r;
    ecgx_synth_conditions_parse("af,avb1", &o.conditions);
    CHECK(ecgx_synth_resolve(&o, &r) == ECGX_ERR_ARG);
    ecgx_synth_conditions_parse("lbbb,rbbb", &o.conditions);
    CHECK(ecgx_synth_resolve(&o, &r) == ECGX_ERR_ARG);
    ecgx_synth_conditions_parse("brady", &o.conditions);
    o.hr = 80;
    CHECK(ecgx_synth_resolve(&o, &r) == ECGX_ERR_RANGE);
    o = ecgx_synth_options_default();
    o.pr = 0.25; /* a long PR without the avb1 label would make the truth wrong */
    CHECK(ecgx_synth_resolve(&o, &r) == ECGX_ERR_RANGE);
    o = ecgx_synth_options_default();
    o.fs = 0;
    CHECK(ecgx_synth_resolve(&o, &r) < 0);
    o = ecgx_synth_options_default();
    o.pl_freq = 300; /* above Nyquist at 500 Hz */
    o.pl_amp = 0.01;
    CHECK(ecgx_synth_resolve(&o, &r) < 0);
    o = ecgx_synth_options_default();
    ecgx_synth_conditions_parse("ste,std", &o.conditions);
    o.ste_leads = ECGX_LEAD_FLAG(ECGX_LEAD_V2);
    o.std_leads = ECGX_LEAD_FLAG(ECGX_LEAD_V2);
    CHECK(ecgx_synth_resolve(&o, &r) == ECGX_ERR_ARG);
    ecgx_record *rec = NULL;
    CHECK(ecgx_synth_generate(&o, &rec, NULL, NULL) < 0 && rec == NULL);
}

static void noisy(ecgx_synth_options *o)
{
    o->bw_amp = 0.2;
    o->emg_rms = 0.05;
    o->pl_amp = 0.03;
}

static void test_einthoven(void)
{
    gen g;
    CHECK_OK(make("lbbb,ste", 7, &g, noisy));
    if (!g.rec) return;
    const float *I = ecgx_record_lead(g.rec, 0), *II = ecgx_record_lead(g.rec, 1);
    int64_t bad = 0;
    for (int64_t s = 0; s < g.rec->n_samples; s++) {
        bad += ecgx_record_lead(g.rec, ECGX_LEAD_III)[s] != II[s] - I[s];
        bad += ecgx_record_lead(g.rec, ECGX_LEAD_AVR)[s] != -(I[s] + II[s]) * 0.5f;
        bad += ecgx_record_lead(g.rec, ECGX_LEAD_AVL)[s] != I[s] - II[s] * 0.5f;
        bad += ecgx_record_lead(g.rec, ECGX_LEAD_AVF)[s] != II[s] - I[s] * 0.5f;
    }
    CHECK_MSG(bad == 0, "%lld samples break Einthoven/Goldberger", (long long)bad);
    CHECK(g.rec->n_leads == 12 && g.rec->n_samples == 5000 && g.rec->fs == 500);
    CHECK(strcmp(g.rec->leads[ECGX_LEAD_AVR].name, "aVR") == 0 && strcmp(g.rec->leads[6].units, "mV") == 0);
    CHECK(ecgx_record_has_label(g.rec, "lbbb") && ecgx_record_has_label(g.rec, "ste") && g.rec->n_labels == 2);
    drop(&g);
}

static void rate_case(const char *cond, double hr, uint64_t seed)
{
    gen g;
    ecgx_synth_options o = ecgx_synth_options_default();
    ecgx_synth_conditions_parse(cond, &o.conditions);
    o.hr = hr;
    o.seed = seed;
    o.duration = 20;
    CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, &g.mask));
    int64_t r[128];
    int n = detect_r(g.rec, r, 128);
    CHECK(n >= 5);
    if (n < 5) { drop(&g); return; }
    double mean_rr = (double)(r[n - 1] - r[0]) / (n - 1) / g.rec->fs;
    /* AF's rate is the expected one: its random RR mean wanders a few % in 20 s */
    double tol = strcmp(cond, "af") == 0 ? 0.1 : 0.03;
    CHECK_MSG(fabs(60.0 / mean_rr - hr) < tol * hr, "%s: measured %.1f bpm, asked %.1f", cond, 60.0 / mean_rr, hr);
    /* the detector finds exactly the ground-truth beats */
    CHECK_MSG(n == g.fid->n_beats, "%s: %d peaks detected, %d beats in truth", cond, n, g.fid->n_beats);
    for (int i = 0; i < n && n == g.fid->n_beats; i++) CHECK(llabs(r[i] - g.fid->beats[i].r) <= 3);
    drop(&g);
}

static void test_heart_rate(void)
{
    rate_case("brady", 45, 3);
    rate_case("normal", 75, 4);
    rate_case("tachy", 130, 5);
    rate_case("af", 90, 6);
}

static void rr_stats(const gen *g, double *sd, double *rmssd)
{
    const ecgx_fiducials *f = g->fid;
    double rr[256], mean = 0;
    int n = 0;
    for (int i = 1; i < f->n_beats && n < 256; i++) rr[n++] = (double)(f->beats[i].r - f->beats[i - 1].r) / g->rec->fs;
    for (int i = 0; i < n; i++) mean += rr[i] / n;
    double v = 0, d = 0;
    for (int i = 0; i < n; i++) v += (rr[i] - mean) * (rr[i] - mean) / n;
    for (int i = 1; i < n; i++) d += (rr[i] - rr[i - 1]) * (rr[i] - rr[i - 1]) / (n - 1);
    *sd = sqrt(v);
    *rmssd = sqrt(d);
}

static void long_record(ecgx_synth_options *o) { o->duration = 60; o->hr = 80; }

static void test_af_vs_sinus(void)
{
    gen s, a;
    CHECK_OK(make("normal", 11, &s, long_record));
    CHECK_OK(make("af", 11, &a, long_record));
    if (!s.rec || !a.rec) { drop(&s); drop(&a); return; }
    double sd_s, rm_s, sd_a, rm_a;
    rr_stats(&s, &sd_s, &rm_s);
    rr_stats(&a, &sd_a, &rm_a);
    CHECK_MSG(rm_a > 5 * rm_s, "RMSSD AF %.1f ms vs sinus %.1f ms", rm_a * 1e3, rm_s * 1e3);
    CHECK_MSG(sd_a > 2 * sd_s, "SDNN AF %.1f ms vs sinus %.1f ms", sd_a * 1e3, sd_s * 1e3);
    /* sinus HRV: default 2 bpm SD at 80 bpm is an RR SD of ~19 ms */
    CHECK_MSG(sd_s > 0.005 && sd_s < 0.05, "sinus SDNN %.1f ms", sd_s * 1e3);
    int p_af = 0, p_sinus = 0;
    for (int i = 0; i < a.fid->n_beats; i++) p_af += a.fid->beats[i].wave[ECGX_WAVE_P].peak >= 0;
    for (int i = 0; i < s.fid->n_beats; i++) p_sinus += s.fid->beats[i].wave[ECGX_WAVE_P].peak >= 0;
    CHECK(p_af == 0);
    CHECK(p_sinus >= s.fid->n_beats - 1); /* only a wave cut by the record's start may be missing */
    /* f-waves: the baseline between T offset and the next QRS is not flat in V1 */
    const float *v1 = ecgx_record_lead(a.rec, ECGX_LEAD_V1);
    double ss = 0;
    int64_t cnt = 0;
    for (int i = 1; i < a.fid->n_beats; i++) {
        int64_t t0 = a.fid->beats[i - 1].wave[ECGX_WAVE_T].offset, q = a.fid->beats[i].wave[ECGX_WAVE_QRS].onset;
        for (int64_t k = t0 + 1; t0 >= 0 && k < q; k++) { ss += v1[k] * v1[k]; cnt++; }
    }
    CHECK_MSG(cnt > 0 && sqrt(ss / cnt) > 0.02, "f-wave RMS in V1 TP %.3f mV", cnt ? sqrt(ss / cnt) : 0);
    drop(&s);
    drop(&a);
}

/* QRS onset from the signal: the spatial velocity of the independent leads
 * first exceeds 15 % of its maximum within 125 ms before R. */
static int64_t qrs_onset_signal(const ecgx_record *r, int64_t R)
{
    double sv_max = 0, sv[4096];
    int64_t a = R - (int64_t)(r->fs / 8);
    if (a < 1 || R - a >= 4096) return -1;
    for (int64_t s = a; s <= R; s++) {
        double acc = 0;
        for (int k = 0; k < 8; k++) {
            const float *y = ecgx_record_lead(r, indep[k]);
            double d = y[s + 1] - y[s - 1];
            acc += d * d;
        }
        sv[s - a] = sqrt(acc);
        if (sv[s - a] > sv_max) sv_max = sv[s - a];
    }
    int64_t q = a;
    while (q < R && sv[q - a] <= 0.15 * sv_max) q++;
    return q;
}

/* PR from the signal: the P wave is the first local maximum of lead II
 * above 0.03 mV going back from the QRS onset; its onset is where lead II
 * falls to 5 % of that peak (or turns up again into a T wave). */
static double pr_signal(const gen *g, int b)
{
    const float *x = ecgx_record_lead(g->rec, ECGX_LEAD_II);
    int64_t q = qrs_onset_signal(g->rec, g->fid->beats[b].r);
    int64_t stop = q - (int64_t)(0.5 * g->rec->fs);
    if (q < 0 || stop < 1) return -1;
    int64_t pk = -1;
    for (int64_t s = q - 2; s > stop; s--)
        if (x[s] > 0.03 && x[s] >= x[s - 1] && x[s] > x[s + 1]) { pk = s; break; }
    if (pk < 0) return -1;
    int64_t on = pk;
    /* down to 5 %, or to the valley where a preceding T wave meets the P */
    while (on > stop && x[on] > 0.05 * x[pk] && x[on - 1] <= x[on]) on--;
    return 1000.0 * (double)(q - on) / g->rec->fs;
}

static void pr_case(const char *cond, double hr, double lo, double hi, uint64_t seed, int vary)
{
    gen g;
    ecgx_synth_options o = ecgx_synth_options_default();
    ecgx_synth_conditions_parse(cond, &o.conditions);
    o.seed = seed;
    o.vary = vary;
    o.hr = hr; /* 0: by condition; a long PR at a fast rate puts P on the T wave */
    CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, &g.mask));
    if (!g.rec) return;
    int checked = 0;
    for (int b = 0; b < g.fid->n_beats; b++) {
        const ecgx_beat *x = &g.fid->beats[b];
        if (x->wave[ECGX_WAVE_P].onset < 0 || x->wave[ECGX_WAVE_QRS].onset < 0) continue; /* cut by an edge */
        double pr = ms(&g, x->wave[ECGX_WAVE_QRS].onset - x->wave[ECGX_WAVE_P].onset);
        CHECK_MSG(pr > lo && pr <= hi, "%s seed %llu: truth PR %.0f ms", cond, (unsigned long long)seed, pr);
        double prs = pr_signal(&g, b);
        if (prs < 0) continue;
        CHECK_MSG(prs > lo && prs <= hi + 10, "%s seed %llu: signal PR %.0f ms", cond, (unsigned long long)seed, prs);
        CHECK_MSG(fabs(prs - pr) < 16, "%s: signal PR %.0f vs truth %.0f ms", cond, prs, pr);
        checked++;
    }
    CHECK(checked >= 5);
    drop(&g);
}

static void test_pr(void)
{
    for (uint64_t s = 1; s <= 3; s++) {
        pr_case("normal", 0, 120, 200, s, 1);
        pr_case("tachy", 110, 120, 200, s, 1);
        pr_case("avb1", 70, 200, 400, s, 1);
    }
    pr_case("avb1", 0, 270, 290, 9, 0); /* canonical PR 280 ms */
}

static void width_case(const char *cond, uint64_t seed, double lo, double hi, char type)
{
    gen g;
    ecgx_synth_options o = ecgx_synth_options_default();
    ecgx_synth_conditions_parse(cond, &o.conditions);
    o.seed = seed;
    o.vary = 1;
    CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, &g.mask));
    if (!g.rec) return;
    int checked = 0;
    for (int b = 0; b < g.fid->n_beats; b++) {
        const ecgx_beat *x = &g.fid->beats[b];
        if (x->type != type || x->wave[ECGX_WAVE_QRS].onset < 0) continue;
        double w = qrs_width_signal(g.rec, x->r);
        if (w < 0) continue;
        double wt = ms(&g, x->wave[ECGX_WAVE_QRS].offset - x->wave[ECGX_WAVE_QRS].onset);
        CHECK_MSG(w >= lo && w < hi, "%s seed %llu beat %d: signal QRS %.0f ms (truth %.0f)", cond,
                  (unsigned long long)seed, b, w, wt);
        CHECK_MSG(wt >= lo - 10 && wt < hi, "%s: truth QRS %.0f ms", cond, wt);
        checked++;
    }
    CHECK_MSG(checked >= 1, "%s: no beat of type %c checked", cond, type);
    drop(&g);
}

static void test_qrs_width(void)
{
    for (uint64_t s = 1; s <= 4; s++) {
        width_case("normal", s, 70, 110, 'N');
        width_case("lbbb", s, 120, 200, 'N');
        width_case("rbbb", s, 120, 200, 'N');
        width_case("pvc", s, 120, 300, 'V'); /* the upper bound may reach into the large T */
    }
}

/* A normal 12-lead: P and T upright in II, rS in V1, qR in V6, negative aVR. */
static void test_normal_morphology(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        gen g;
        ecgx_synth_options o = ecgx_synth_options_default();
        o.seed = seed;
        o.vary = seed > 1;
        CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, &g.mask));
        if (!g.rec) continue;
        const ecgx_beat *b = &g.fid->beats[3];
        double mn[12], mx[12];
        for (int l = 0; l < 12; l++) {
            const float *x = ecgx_record_lead(g.rec, l);
            mn[l] = mx[l] = 0;
            for (int64_t s = b->wave[ECGX_WAVE_QRS].onset; s <= b->wave[ECGX_WAVE_QRS].offset; s++) {
                mn[l] = fmin(mn[l], x[s]);
                mx[l] = fmax(mx[l], x[s]);
            }
        }
        const float *ii = ecgx_record_lead(g.rec, ECGX_LEAD_II);
        CHECK(ii[b->wave[ECGX_WAVE_P].peak] > 0.05 && ii[b->wave[ECGX_WAVE_T].peak] > 0.1);
        CHECK_MSG(-mn[ECGX_LEAD_V1] > 1.3 * mx[ECGX_LEAD_V1] && mx[ECGX_LEAD_V1] > 0.05, "V1 r %.2f S %.2f",
                  mx[ECGX_LEAD_V1], mn[ECGX_LEAD_V1]);
        CHECK_MSG(mx[ECGX_LEAD_V6] > 4 * -mn[ECGX_LEAD_V6], "V6 R %.2f q/s %.2f", mx[ECGX_LEAD_V6], mn[ECGX_LEAD_V6]);
        CHECK(-mn[ECGX_LEAD_AVR] > 2 * mx[ECGX_LEAD_AVR]);
        CHECK(mx[ECGX_LEAD_II] > 0.7 && mx[ECGX_LEAD_II] < 2.0);
        drop(&g);
    }
}

/* The morphology that defines each block, read from the signal. */
static void test_bbb_morphology(void)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        gen l, r;
        ecgx_synth_options o = ecgx_synth_options_default();
        o.seed = seed;
        o.vary = 1;
        o.conditions = ECGX_SYNTH_FLAG(ECGX_SYNTH_LBBB);
        CHECK_OK(ecgx_synth_generate(&o, &l.rec, &l.fid, &l.mask));
        o.conditions = ECGX_SYNTH_FLAG(ECGX_SYNTH_RBBB);
        CHECK_OK(ecgx_synth_generate(&o, &r.rec, &r.fid, &r.mask));
        if (!l.rec || !r.rec) { drop(&l); drop(&r); continue; }
        /* LBBB: no septal q in V6 (first deflection upward), dominant broad S in V1,
         * T discordant: negative in V6, positive in V1 */
        const ecgx_beat *b = &l.fid->beats[3];
        const float *v1 = ecgx_record_lead(l.rec, ECGX_LEAD_V1), *v6 = ecgx_record_lead(l.rec, ECGX_LEAD_V6);
        int64_t on = b->wave[ECGX_WAVE_QRS].onset, off = b->wave[ECGX_WAVE_QRS].offset, pk6 = on;
        for (int64_t s = on; s <= off; s++) if (v6[s] > v6[pk6]) pk6 = s;
        double q6 = 0, mn1 = 0, mx1 = 0;
        for (int64_t s = on; s <= pk6; s++) q6 = fmin(q6, v6[s]);
        for (int64_t s = on; s <= off; s++) { mn1 = fmin(mn1, v1[s]); mx1 = fmax(mx1, v1[s]); }
        CHECK_MSG(q6 > -0.05 && v6[pk6] > 0.5, "LBBB V6: q %.2f R %.2f", q6, v6[pk6]);
        CHECK_MSG(mn1 < -0.6 && mx1 < 0.25 * -mn1, "LBBB V1: r %.2f S %.2f", mx1, mn1);
        CHECK(v6[b->wave[ECGX_WAVE_T].peak] < -0.1 && v1[b->wave[ECGX_WAVE_T].peak] > 0.1);
        /* RBBB: rSR' in V1 (two positive peaks, the later taller), wide terminal S in I and V6 */
        b = &r.fid->beats[3];
        v1 = ecgx_record_lead(r.rec, ECGX_LEAD_V1);
        const float *i1 = ecgx_record_lead(r.rec, ECGX_LEAD_I);
        v6 = ecgx_record_lead(r.rec, ECGX_LEAD_V6);
        on = b->wave[ECGX_WAVE_QRS].onset;
        off = b->wave[ECGX_WAVE_QRS].offset;
        double peaks[8];
        int np = 0;
        for (int64_t s = on + 1; s < off && np < 8; s++)
            if (v1[s] > 0.1 && v1[s] >= v1[s - 1] && v1[s] > v1[s + 1]) peaks[np++] = v1[s];
        CHECK_MSG(np == 2 && peaks[1] > peaks[0], "RBBB V1: %d positive peaks", np);
        int64_t term = off - (int64_t)(0.04 * r.rec->fs);
        double s1 = 0, s6 = 0;
        for (int64_t s = term; s <= off; s++) { s1 = fmin(s1, i1[s]); s6 = fmin(s6, v6[s]); }
        CHECK_MSG(s1 < -0.15 && s6 < -0.15, "RBBB terminal S: I %.2f V6 %.2f", s1, s6);
        CHECK(v1[b->wave[ECGX_WAVE_T].peak] < 0);
        drop(&l);
        drop(&r);
    }
}

/* Mean ST level at J + 60 ms over the beats, per lead. */
static void st_levels(const gen *g, double st[12])
{
    int cnt = 0;
    memset(st, 0, sizeof(double) * 12);
    for (int b = 0; b < g->fid->n_beats; b++) {
        const ecgx_beat *x = &g->fid->beats[b];
        int64_t j = x->wave[ECGX_WAVE_QRS].offset;
        if (j < 0 || x->type != 'N') continue;
        int64_t s = j + (int64_t)(0.06 * g->rec->fs);
        if (s >= g->rec->n_samples) continue;
        for (int l = 0; l < 12; l++) st[l] += ecgx_record_lead(g->rec, l)[s];
        cnt++;
    }
    for (int l = 0; l < 12; l++) st[l] /= cnt ? cnt : 1;
}

static void ste_inferior(ecgx_synth_options *o)
{
    o->ste_leads = ECGX_LEAD_FLAG(ECGX_LEAD_II) | ECGX_LEAD_FLAG(ECGX_LEAD_III) | ECGX_LEAD_FLAG(ECGX_LEAD_AVF);
    o->st_level = 0.25;
}

static void ste_std_limb(ecgx_synth_options *o)
{
    o->ste_leads = ECGX_LEAD_FLAG(ECGX_LEAD_II) | ECGX_LEAD_FLAG(ECGX_LEAD_III) | ECGX_LEAD_FLAG(ECGX_LEAD_AVF);
    o->std_leads = ECGX_LEAD_FLAG(ECGX_LEAD_I) | ECGX_LEAD_FLAG(ECGX_LEAD_AVL) | ECGX_LEAD_FLAG(ECGX_LEAD_V2);
}

static void opposing(ecgx_synth_options *o)
{
    o->ste_leads = ECGX_LEAD_FLAG(ECGX_LEAD_AVR) | ECGX_LEAD_FLAG(ECGX_LEAD_AVL) | ECGX_LEAD_FLAG(ECGX_LEAD_AVF);
}

static void test_st(void)
{
    gen g;
    double st[12];
    CHECK_OK(make("ste", 21, &g, NULL)); /* V2-V4, 0.2 mV */
    if (g.rec) {
        st_levels(&g, st);
        for (int l = 0; l < 12; l++) {
            int chosen = l >= ECGX_LEAD_V2 && l <= ECGX_LEAD_V4;
            if (chosen) CHECK_MSG(st[l] >= 0.2, "STE lead %s: %.3f mV", ecgx_lead_std_name(l), st[l]);
            else CHECK_MSG(fabs(st[l]) < 0.02, "STE other lead %s: %.3f mV", ecgx_lead_std_name(l), st[l]);
        }
    }
    drop(&g);
    CHECK_OK(make("std", 22, &g, NULL)); /* V4-V6, 0.15 mV */
    if (g.rec) {
        st_levels(&g, st);
        for (int l = 0; l < 12; l++) {
            int chosen = l >= ECGX_LEAD_V4;
            if (chosen) CHECK_MSG(st[l] <= -0.15 + 0.01, "STD lead %s: %.3f mV", ecgx_lead_std_name(l), st[l]);
            else CHECK_MSG(fabs(st[l]) < 0.02, "STD other lead %s: %.3f mV", ecgx_lead_std_name(l), st[l]);
        }
    }
    drop(&g);
    /* inferior STE: the limb leads move together (Einthoven holds), aVL shows the reciprocal change */
    CHECK_OK(make("ste", 23, &g, ste_inferior));
    if (g.rec) {
        st_levels(&g, st);
        CHECK(st[ECGX_LEAD_II] >= 0.25 - 1e-3 && st[ECGX_LEAD_III] >= 0.25 - 1e-3 && st[ECGX_LEAD_AVF] >= 0.25 - 1e-3);
        CHECK_MSG(st[ECGX_LEAD_AVL] < -0.1, "reciprocal aVL %.3f", st[ECGX_LEAD_AVL]);
        CHECK(fabs(st[ECGX_LEAD_III] - (st[ECGX_LEAD_II] - st[ECGX_LEAD_I])) < 1e-5);
        CHECK(fabs(st[ECGX_LEAD_V3]) < 0.02);
        /* evidence: chosen leads only, J point to T peak */
        const ecgx_beat *x = &g.fid->beats[2];
        int64_t n = g.rec->n_samples, j = x->wave[ECGX_WAVE_QRS].offset, tp = x->wave[ECGX_WAVE_T].peak;
        CHECK(g.mask[ECGX_LEAD_III * n + j] == 1 && g.mask[ECGX_LEAD_III * n + tp - 1] == 1);
        CHECK(g.mask[ECGX_LEAD_III * n + tp] == 0 && g.mask[ECGX_LEAD_III * n + j - 1] == 0);
        CHECK(g.mask[ECGX_LEAD_AVL * n + j + 5] == 0 && g.mask[ECGX_LEAD_I * n + j + 5] == 0);
    }
    drop(&g);
    /* inferior elevation with lateral (and V2) depression: one injury vector serves both */
    CHECK_OK(make("ste,std", 24, &g, ste_std_limb));
    if (g.rec) {
        st_levels(&g, st);
        for (int l = 0; l < 12; l++) {
            int up = l == ECGX_LEAD_II || l == ECGX_LEAD_III || l == ECGX_LEAD_AVF;
            int down = l == ECGX_LEAD_I || l == ECGX_LEAD_AVL || l == ECGX_LEAD_V2;
            if (up) CHECK_MSG(st[l] >= 0.2 - 1e-3, "STE %s: %.3f", ecgx_lead_std_name(l), st[l]);
            if (down) CHECK_MSG(st[l] <= -0.15 + 0.01, "STD %s: %.3f", ecgx_lead_std_name(l), st[l]);
        }
    }
    drop(&g);
    CHECK(make("ste", 25, &g, opposing) == ECGX_ERR_ARG); /* aVR + aVL + aVF sum to zero */
    drop(&g);
}

static void test_lvh(void)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        for (int lvh = 0; lvh < 2; lvh++) {
            gen g;
            ecgx_synth_options o = ecgx_synth_options_default();
            o.conditions = lvh ? ECGX_SYNTH_FLAG(ECGX_SYNTH_LVH) : 0;
            o.seed = seed;
            o.vary = 1;
            CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, &g.mask));
            if (!g.rec) continue;
            const ecgx_beat *x = &g.fid->beats[g.fid->n_beats / 2];
            int64_t a = x->r - (int64_t)(0.08 * g.rec->fs), z = x->r + (int64_t)(0.08 * g.rec->fs);
            double sv1 = 0, rv5 = 0, rv6 = 0, ravl = 0, sv3 = 0;
            for (int64_t s = a; s <= z; s++) {
                ravl = fmax(ravl, ecgx_record_lead(g.rec, ECGX_LEAD_AVL)[s]);
                sv3 = fmax(sv3, -ecgx_record_lead(g.rec, ECGX_LEAD_V3)[s]);
                sv1 = fmax(sv1, -ecgx_record_lead(g.rec, ECGX_LEAD_V1)[s]);
                rv5 = fmax(rv5, ecgx_record_lead(g.rec, ECGX_LEAD_V5)[s]);
                rv6 = fmax(rv6, ecgx_record_lead(g.rec, ECGX_LEAD_V6)[s]);
            }
            double sok = sv1 + fmax(rv5, rv6);
            if (lvh) CHECK_MSG(sok > 3.5, "LVH seed %llu: Sokolow-Lyon %.2f mV", (unsigned long long)seed, sok);
            else CHECK_MSG(sok < 3.5, "normal seed %llu: Sokolow-Lyon %.2f mV", (unsigned long long)seed, sok);
            /* Cornell voltage RaVL + SV3, at the women's threshold of 2.0 mV */
            if (lvh) CHECK_MSG(ravl + sv3 > 2.0, "LVH seed %llu: Cornell %.2f mV", (unsigned long long)seed, ravl + sv3);
            else CHECK_MSG(ravl + sv3 < 2.0, "normal seed %llu: Cornell %.2f mV", (unsigned long long)seed, ravl + sv3);
            drop(&g);
        }
    }
}

static void test_pvc(void)
{
    gen g;
    ecgx_synth_options o = ecgx_synth_options_default();
    o.conditions = ECGX_SYNTH_FLAG(ECGX_SYNTH_PVC);
    o.duration = 30;
    o.hr_std = -1; /* no HRV: the compensatory pause is then exact */
    o.seed = 31;
    CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, &g.mask));
    if (!g.rec) return;
    const ecgx_fiducials *f = g.fid;
    int n_v = 0;
    double rr = 60.0 / 70.0 * g.rec->fs;
    for (int i = 1; i + 1 < f->n_beats; i++) {
        if (f->beats[i].type != 'V') continue;
        n_v++;
        double pre = (double)(f->beats[i].r - f->beats[i - 1].r), post = (double)(f->beats[i + 1].r - f->beats[i].r);
        CHECK_MSG(pre < 0.8 * rr, "PVC not premature: %.0f vs RR %.0f samples", pre, rr);
        CHECK_MSG(fabs(pre + post - 2 * rr) < 0.03 * rr, "pause not compensatory: %.0f + %.0f vs 2 x %.0f", pre, post, rr);
        CHECK(f->beats[i].wave[ECGX_WAVE_P].peak == -1);
        CHECK(f->beats[i - 1].type == 'N' && f->beats[i + 1].type == 'N');
        CHECK(qrs_width_signal(g.rec, f->beats[i].r) >= 120);
        /* evidence: all leads, the PVC's QRS onset to T offset */
        int64_t n = g.rec->n_samples, on = f->beats[i].wave[ECGX_WAVE_QRS].onset, off = f->beats[i].wave[ECGX_WAVE_T].offset;
        CHECK(g.mask[5 * n + on] && g.mask[11 * n + off] && !g.mask[on - 1] && !g.mask[off + 1]);
    }
    /* 15 % of ~35 beats */
    CHECK_MSG(n_v >= 3 && n_v <= 7, "%d PVCs", n_v);
    drop(&g);
}

/* Evidence masks are exactly the stated segments. */
static void test_masks(void)
{
    gen g;
    CHECK_OK(make("avb1", 41, &g, NULL));
    if (g.rec) {
        int64_t n = g.rec->n_samples;
        uint8_t *want = calloc((size_t)n, 1);
        for (int i = 0; i < g.fid->n_beats; i++) {
            const ecgx_beat *b = &g.fid->beats[i];
            if (b->wave[ECGX_WAVE_P].offset < 0) continue;
            for (int64_t s = b->wave[ECGX_WAVE_P].offset; s < b->wave[ECGX_WAVE_QRS].onset; s++) want[s] = 1;
        }
        int64_t diff = 0, on = 0;
        for (int l = 0; l < 12; l++)
            for (int64_t s = 0; s < n; s++) { diff += g.mask[l * n + s] != want[s]; on += want[s]; }
        CHECK_MSG(diff == 0 && on > 0, "AVB1 mask differs in %lld samples", (long long)diff);
        /* and the PR segment is > 100 ms (PR 280 minus a ~100 ms P) */
        const ecgx_beat *b = &g.fid->beats[3];
        CHECK(ms(&g, b->wave[ECGX_WAVE_QRS].onset - b->wave[ECGX_WAVE_P].offset) > 100);
        free(want);
    }
    drop(&g);
    CHECK_OK(make("normal", 42, &g, noisy));
    if (g.rec) {
        int64_t on = 0;
        for (int64_t s = 0; s < 12 * g.rec->n_samples; s++) on += g.mask[s];
        CHECK(on == 0);
    }
    drop(&g);
    CHECK_OK(make("lbbb", 43, &g, NULL));
    if (g.rec) {
        int64_t n = g.rec->n_samples;
        const ecgx_beat *b = &g.fid->beats[2];
        int64_t on = b->wave[ECGX_WAVE_QRS].onset, off = b->wave[ECGX_WAVE_QRS].offset;
        static const int yes[] = {ECGX_LEAD_I, ECGX_LEAD_AVL, ECGX_LEAD_V1, ECGX_LEAD_V2, ECGX_LEAD_V5, ECGX_LEAD_V6};
        static const int no[] = {ECGX_LEAD_II, ECGX_LEAD_III, ECGX_LEAD_AVR, ECGX_LEAD_AVF, ECGX_LEAD_V3, ECGX_LEAD_V4};
        for (int k = 0; k < 6; k++) {
            CHECK(g.mask[yes[k] * n + on] && g.mask[yes[k] * n + off] && !g.mask[yes[k] * n + on - 1] &&
                  !g.mask[yes[k] * n + off + 1]);
            CHECK(!g.mask[no[k] * n + on] && !g.mask[no[k] * n + (on + off) / 2]);
        }
    }
    drop(&g);
    CHECK_OK(make("af", 44, &g, NULL));
    if (g.rec) {
        int64_t n = g.rec->n_samples, cover = 0;
        for (int64_t s = 0; s < n; s++) cover += g.mask[s];
        /* everything but the ST-T segments: between 35 % and 90 % of the record */
        CHECK_MSG(cover > 0.35 * n && cover < 0.9 * n, "AF evidence covers %lld of %lld", (long long)cover, (long long)n);
        const ecgx_beat *b = &g.fid->beats[2];
        CHECK(!g.mask[b->wave[ECGX_WAVE_T].peak] && g.mask[b->r] && g.mask[b->wave[ECGX_WAVE_QRS].onset - 5]);
    }
    drop(&g);
}

/* Fiducials are ordered and per-lead fiducials sit near the global ones. */
static void test_fiducials(void)
{
    const char *conds[] = {"normal", "lbbb", "rbbb", "af", "pvc", "avb1,ste", "tachy,lvh", "brady,std"};
    for (size_t c = 0; c < sizeof conds / sizeof *conds; c++) {
        gen g;
        ecgx_synth_options o = ecgx_synth_options_default();
        ecgx_synth_conditions_parse(conds[c], &o.conditions);
        o.seed = 50 + c;
        o.vary = 1;
        CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, &g.mask));
        if (!g.rec) continue;
        const ecgx_fiducials *f = g.fid;
        CHECK(f->n_leads == 12 && f->n_beats >= 5);
        int bad = 0;
        for (int i = 0; i < f->n_beats; i++) {
            const ecgx_beat *b = &f->beats[i];
            bad += b->r != b->wave[ECGX_WAVE_QRS].peak && b->wave[ECGX_WAVE_QRS].peak >= 0;
            for (int w = 0; w < 3; w++) {
                const ecgx_wave *x = &b->wave[w];
                if (x->onset < 0) continue;
                bad += !(x->onset <= x->peak && x->peak <= x->offset && x->offset < g.rec->n_samples);
            }
            if (b->wave[0].offset >= 0 && b->wave[1].onset >= 0) bad += b->wave[0].offset >= b->wave[1].onset;
            if (b->wave[1].offset >= 0 && b->wave[2].onset >= 0) bad += b->wave[1].offset >= b->wave[2].onset;
            if (i) bad += b->r <= f->beats[i - 1].r;
            for (int l = 0; l < 12; l++) {
                const ecgx_beat *p = &f->per_lead[l * f->n_beats + i];
                bad += p->r != b->r || p->type != b->type;
                const ecgx_wave *q = &p->wave[ECGX_WAVE_QRS], *gq = &b->wave[ECGX_WAVE_QRS];
                if (q->onset >= 0 && gq->onset >= 0)
                    bad += q->onset < gq->onset - 15 || q->offset > gq->offset + 15 || q->peak < gq->onset || q->peak > gq->offset;
            }
        }
        CHECK_MSG(bad == 0, "%s: %d fiducial inconsistencies", conds[c], bad);
        drop(&g);
    }
}

static void test_rate_scaling(void)
{
    double qt[2], rr[2];
    const double hrs[2] = {55, 120};
    const char *conds[2] = {"brady", "tachy"};
    for (int k = 0; k < 2; k++) {
        gen g = {0};
        ecgx_synth_options o = ecgx_synth_options_default();
        ecgx_synth_conditions_parse(conds[k], &o.conditions);
        o.hr = hrs[k];
        o.hr_std = -1;
        CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, NULL));
        if (!g.rec) return;
        const ecgx_beat *b = &g.fid->beats[3];
        qt[k] = (double)(b->wave[ECGX_WAVE_T].offset - b->wave[ECGX_WAVE_QRS].onset) / g.rec->fs;
        rr[k] = 60.0 / hrs[k];
        drop(&g);
    }
    CHECK_MSG(qt[1] < qt[0] - 0.05, "QT %.0f ms at 120 vs %.0f ms at 55 bpm", qt[1] * 1e3, qt[0] * 1e3);
    double qtc0 = qt[0] / sqrt(rr[0]), qtc1 = qt[1] / sqrt(rr[1]);
    CHECK_MSG(fabs(qtc0 - qtc1) < 0.04 && qtc0 > 0.36 && qtc0 < 0.46, "QTc %.0f vs %.0f ms", qtc0 * 1e3, qtc1 * 1e3);
}

static int same_beats(const ecgx_fiducials *a, const ecgx_fiducials *b)
{
    if (a->n_beats != b->n_beats) return 0;
    for (int i = 0; i < a->n_beats; i++) {
        const ecgx_beat *x = &a->beats[i], *y = &b->beats[i];
        if (x->r != y->r || x->type != y->type) return 0;
        for (int w = 0; w < 3; w++)
            if (x->wave[w].onset != y->wave[w].onset || x->wave[w].peak != y->wave[w].peak ||
                x->wave[w].offset != y->wave[w].offset)
                return 0;
    }
    return 1;
}

static int same_record(const ecgx_record *a, const ecgx_record *b)
{
    return a->n_samples == b->n_samples &&
           memcmp(a->data, b->data, sizeof(float) * 12 * (size_t)a->n_samples) == 0;
}

static void test_determinism(void)
{
    gen a, b, c;
    CHECK_OK(make("af,pvc,lvh", 77, &a, noisy));
    CHECK_OK(make("af,pvc,lvh", 77, &b, noisy));
    CHECK_OK(make("af,pvc,lvh", 78, &c, noisy));
    if (a.rec && b.rec && c.rec) {
        CHECK(same_record(a.rec, b.rec));
        CHECK(same_beats(a.fid, b.fid));
        CHECK(memcmp(a.mask, b.mask, 12 * (size_t)a.rec->n_samples) == 0);
        CHECK(!same_record(a.rec, c.rec));
    }
    drop(&a);
    drop(&b);
    drop(&c);
    /* resolving first changes nothing (vary draws included) */
    ecgx_synth_options o = ecgx_synth_options_default(), r;
    ecgx_synth_conditions_parse("rbbb,ste", &o.conditions);
    o.vary = 1;
    o.seed = 99;
    CHECK_OK(ecgx_synth_resolve(&o, &r));
    CHECK(r.hr >= 60 && r.hr <= 100 && r.qrs_bbb >= 0.12 && r.pr > 0.1 && r.pr <= 0.2);
    ecgx_record *x = NULL, *y = NULL;
    CHECK_OK(ecgx_synth_generate(&o, &x, NULL, NULL));
    CHECK_OK(ecgx_synth_generate(&r, &y, NULL, NULL));
    if (x && y) CHECK(same_record(x, y));
    ecgx_record_free(x);
    ecgx_record_free(y);
}

/* Amplitude (not power) of a sinusoid at f Hz by a DFT over the whole record. */
static double dft_amp(const float *x, int64_t n, double fs, double f)
{
    double re = 0, im = 0;
    for (int64_t s = 0; s < n; s++) {
        double ph = 2 * PI * f * (double)s / fs;
        re += x[s] * cos(ph);
        im -= x[s] * sin(ph);
    }
    return 2 * sqrt(re * re + im * im) / (double)n;
}

static void pl_only(ecgx_synth_options *o) { o->pl_amp = 0.05; }
static void pl60(ecgx_synth_options *o) { o->pl_amp = 0.02; o->pl_freq = 60; }
static void emg_only(ecgx_synth_options *o) { o->emg_rms = 0.04; }
static void bw_only(ecgx_synth_options *o) { o->bw_amp = 0.3; }
static void snr10(ecgx_synth_options *o) { o->use_snr = 1; o->snr_db = 10; o->emg_rms = 0.01; o->pl_amp = 0.01; }

static void test_noise(void)
{
    gen clean, pl, p6, emg, bw, snr;
    CHECK_OK(make("rbbb", 5, &clean, NULL));
    CHECK_OK(make("rbbb", 5, &pl, pl_only));
    CHECK_OK(make("rbbb", 5, &p6, pl60));
    CHECK_OK(make("rbbb", 5, &emg, emg_only));
    CHECK_OK(make("rbbb", 5, &bw, bw_only));
    CHECK_OK(make("rbbb", 5, &snr, snr10));
    if (clean.rec && pl.rec && p6.rec && emg.rec && bw.rec && snr.rec) {
        int64_t n = clean.rec->n_samples;
        double fs = clean.rec->fs;
        /* the noise never changes the cardiac signal or the truth */
        CHECK(same_beats(clean.fid, emg.fid));
        float *d = malloc(sizeof *d * (size_t)n);
        for (int k = 0; k < 8; k++) {
            int l = indep[k];
            const float *c = ecgx_record_lead(clean.rec, l);
            double a_raw = dft_amp(ecgx_record_lead(pl.rec, l), n, fs, 50);
            CHECK_MSG(fabs(a_raw - 0.05) < 0.002, "lead %s: 50 Hz amplitude %.4f mV", ecgx_lead_std_name(l), a_raw);
            for (int64_t s = 0; s < n; s++) d[s] = ecgx_record_lead(pl.rec, l)[s] - c[s];
            CHECK_NEAR(dft_amp(d, n, fs, 50), 0.05, 1e-5);
            CHECK(dft_amp(d, n, fs, 60) < 1e-4);
            for (int64_t s = 0; s < n; s++) d[s] = ecgx_record_lead(p6.rec, l)[s] - c[s];
            CHECK_NEAR(dft_amp(d, n, fs, 60), 0.02, 1e-5);
            /* muscle noise: requested RMS, and band-limited (little below 5 Hz) */
            double ss = 0;
            for (int64_t s = 0; s < n; s++) { d[s] = ecgx_record_lead(emg.rec, l)[s] - c[s]; ss += (double)d[s] * d[s]; }
            CHECK_NEAR(sqrt(ss / n), 0.04, 1e-4);
            CHECK(dft_amp(d, n, fs, 1.0) < 0.004 && dft_amp(d, n, fs, 0.3) < 0.004);
            /* baseline wander: peak within the amplitude, energy below 0.5 Hz */
            double mx = 0;
            for (int64_t s = 0; s < n; s++) { d[s] = ecgx_record_lead(bw.rec, l)[s] - c[s]; mx = fmax(mx, fabs(d[s])); }
            CHECK(mx <= 0.3 + 1e-4 && mx > 0.05);
            /* a sum of sinusoids below 0.5 Hz with amplitudes summing to at
             * most 0.3 mV changes by at most 2 pi 0.5 Hz 0.3 mV per second */
            double slope = 0;
            for (int64_t s = 1; s < n; s++) slope = fmax(slope, fabs(d[s] - d[s - 1]) * fs);
            CHECK_MSG(slope <= PI * 0.3 * 1.001, "lead %d: wander slope %.3f mV/s", l, slope);
        }
        /* SNR over all 12 leads */
        double ps = 0, pn = 0;
        for (int l = 0; l < 12; l++)
            for (int64_t s = 0; s < n; s++) {
                double c = ecgx_record_lead(clean.rec, l)[s], x = ecgx_record_lead(snr.rec, l)[s];
                ps += c * c;
                pn += (x - c) * (x - c);
            }
        CHECK_NEAR(10 * log10(ps / pn), 10.0, 0.01);
        free(d);
    }
    drop(&clean);
    drop(&pl);
    drop(&p6);
    drop(&emg);
    drop(&bw);
    drop(&snr);
}

static void test_rates_and_lengths(void)
{
    /* other sampling rates and lengths; every output sample finite */
    const double fss[3] = {100, 257, 1000};
    for (int k = 0; k < 3; k++) {
        gen g;
        ecgx_synth_options o = ecgx_synth_options_default();
        o.fs = fss[k];
        o.duration = 2.5 + k;
        ecgx_synth_conditions_parse(k == 1 ? "af,pvc" : "lbbb,avb1", &o.conditions);
        o.emg_rms = 0.02;
        CHECK_OK(ecgx_synth_generate(&o, &g.rec, &g.fid, &g.mask));
        if (!g.rec) continue;
        CHECK(g.rec->n_samples == llround(o.duration * o.fs));
        int finite = 1;
        for (int64_t s = 0; s < 12 * g.rec->n_samples; s++) finite &= isfinite(g.rec->data[s]) != 0;
        CHECK(finite);
        drop(&g);
    }
}

int main(void)
{
    RUN(test_names);
    RUN(test_refusals);
    RUN(test_einthoven);
    RUN(test_heart_rate);
    RUN(test_af_vs_sinus);
    RUN(test_pr);
    RUN(test_qrs_width);
    RUN(test_normal_morphology);
    RUN(test_bbb_morphology);
    RUN(test_st);
    RUN(test_lvh);
    RUN(test_pvc);
    RUN(test_masks);
    RUN(test_fiducials);
    RUN(test_rate_scaling);
    RUN(test_determinism);
    RUN(test_noise);
    RUN(test_rates_and_lengths);
    return check_finish();
}
