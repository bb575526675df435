/* The measured criteria behind a call: what a clinician checks on the ECG
 * before believing "CD" or "HYP", read from the dsp measurements so that the
 * report prints the evidence in the record beside the model's. Cut-offs are
 * the textbook ones (AHA/ACCF/HRS 2009 recommendations for the standardisation
 * and interpretation of the ECG; Fourth Universal Definition of MI 2018);
 * amplitudes are in mV. The Q-wave criterion here is by amplitude (>= 0.1 mV
 * and >= 1/4 of R), since Q durations are not measured. */
#include "ecgx/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A feature by name with any case of the lead suffix ("Q_amp_avr", "Q_amp_aVR"). */
static double feat(const ecgx_features *f, const char *name)
{
    for (int i = 0; f && i < f->n; i++)
        if (strcasecmp(f->names[i], name) == 0) return f->values[i];
    return NAN;
}

static double lead_feat(const ecgx_features *f, const char *what, const char *lead)
{
    char k[64];
    snprintf(k, sizeof k, "%s_%s", what, lead);
    return feat(f, k);
}

static const char *const LEADS[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};

typedef struct sink {
    ecgx_report_criterion *out;
    int max, n;
} sink;

static ecgx_report_criterion *add(sink *s, const char *name, double v, const char *unit, const char *rule, int met)
{
    if (s->n >= s->max) return NULL;
    ecgx_report_criterion *c = &s->out[s->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->value = v;
    snprintf(c->unit, sizeof c->unit, "%s", unit);
    snprintf(c->rule, sizeof c->rule, "%s", rule);
    c->met = isfinite(v) ? met : -1;
    return c;
}

/* value >= lo (or > when strict) */
static void threshold(sink *s, const char *name, double v, const char *unit, double lo, const char *rule)
{
    add(s, name, v, unit, rule, isfinite(v) && v >= lo);
}

/* The leads meeting a per-lead test: the count as the value, the names as the detail. */
typedef int (*lead_test)(const ecgx_features *f, int lead);

static void by_lead(sink *s, const ecgx_features *f, const char *name, const char *rule, lead_test test,
                    const char *need)
{
    int n = 0, measured = 0;
    char det[112] = "";
    for (int l = 0; l < 12; l++) {
        int r = test(f, l);
        if (r < 0) continue;
        measured++;
        if (r > 0) {
            n++;
            size_t k = strlen(det);
            snprintf(det + k, sizeof det - k, "%s%s", k ? ", " : "", LEADS[l]);
        }
    }
    ecgx_report_criterion *c = add(s, name, measured ? n : NAN, "leads", rule, 0);
    if (!c) return;
    /* met: contiguous-territory rules are beyond a summary; "2 or more leads" is the common minimum */
    c->met = measured ? n >= 2 : -1;
    snprintf(c->detail, sizeof c->detail, "%s", n ? det : need);
}

static int q_wave(const ecgx_features *f, int l)
{
    if (l == 3) return -1; /* aVR: a QS complex is normal there */
    double q = lead_feat(f, "Q_amp", LEADS[l]), r = lead_feat(f, "R_amp", LEADS[l]);
    if (!isfinite(q) || !isfinite(r)) return -1;
    return -q >= 0.1 && -q >= 0.25 * fabs(r);
}

static int st_elevation(const ecgx_features *f, int l)
{
    if (l == 3) return -1;
    double st = lead_feat(f, "ST60", LEADS[l]);
    if (!isfinite(st)) return -1;
    return st >= (l == 7 || l == 8 ? 0.2 : 0.1); /* V2-V3: 0.2 mV (0.15 in women; 0.2 kept) */
}

static int st_depression(const ecgx_features *f, int l)
{
    if (l == 3) return -1;
    double st = lead_feat(f, "ST60", LEADS[l]);
    if (!isfinite(st)) return -1;
    return st <= -0.05;
}

static int t_inversion(const ecgx_features *f, int l)
{
    if (l == 2 || l == 3 || l == 6) return -1; /* III, aVR, V1: a negative T can be normal */
    double t = lead_feat(f, "T_amp", LEADS[l]);
    if (!isfinite(t)) return -1;
    return t <= -0.1;
}

/* The superclass a code is read as. */
static const char *superclass(const char *c)
{
    static const struct { const char *code, *super; } t[] = {
        {"LBBB", "CD"}, {"RBBB", "CD"}, {"CLBBB", "CD"}, {"CRBBB", "CD"}, {"IRBBB", "CD"}, {"LAFB", "CD"},
        {"1AVB", "CD"}, {"AVB1", "CD"}, {"IVCD", "CD"}, {"WPW", "CD"},   {"LVH", "HYP"},  {"RVH", "HYP"},
        {"IMI", "MI"},  {"AMI", "MI"},  {"ASMI", "MI"}, {"STE", "MI"},   {"STD", "STTC"}, {"NDT", "STTC"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcasecmp(c, t[i].code)) return t[i].super;
    return c;
}

int ecgx_report_criteria(const ecgx_features *f, const char *code, ecgx_sex sex, ecgx_report_criterion *out, int max)
{
    if (!f || !code || !out || max <= 0) return 0;
    sink s = {out, max, 0};
    const char *c = superclass(code);
    double qrs = feat(f, "QRS_Global"), pr = feat(f, "PR_Global"), axis = feat(f, "QRS_axis_Global");
    double qtc = feat(f, "QTcB_Global"), hr = feat(f, "HR_Global");
    double qtc_hi = sex == ECGX_SEX_FEMALE ? 460 : 450;
    if (!strcasecmp(c, "CD")) {
        ecgx_report_criterion *k = add(&s, "QRS duration", qrs, "ms", ">= 120 ms: complete bundle branch block range "
                                       "(110-119 ms: incomplete)", isfinite(qrs) && qrs >= 120);
        if (k && isfinite(qrs) && qrs >= 110 && qrs < 120) snprintf(k->detail, sizeof k->detail, "incomplete range");
        threshold(&s, "PR interval", pr, "ms", 200.5, "> 200 ms: first-degree AV block");
        add(&s, "QRS axis", axis, "deg", "< -30 deg: left axis deviation (left anterior fascicular block); > 90 deg: right",
            isfinite(axis) && (axis < -30 || axis > 90));
    } else if (!strcasecmp(c, "HYP")) {
        threshold(&s, "Sokolow-Lyon (SV1 + max RV5/RV6)", feat(f, "SokolowLyon_Global"), "mV", 3.5,
                  ">= 3.5 mV: left ventricular hypertrophy");
        double corn = feat(f, "Cornell_Global"), cut = sex == ECGX_SEX_FEMALE ? 2.0 : 2.8;
        char rule[112];
        snprintf(rule, sizeof rule, "> %.1f mV (%s): left ventricular hypertrophy", cut,
                 sex == ECGX_SEX_FEMALE ? "women" : sex == ECGX_SEX_MALE ? "men" : "men; 2.0 mV in women, sex not recorded");
        add(&s, "Cornell (RaVL + SV3)", corn, "mV", rule, isfinite(corn) && corn > cut);
        threshold(&s, "R in aVL", lead_feat(f, "R_amp", "aVL"), "mV", 1.1, ">= 1.1 mV: left ventricular hypertrophy");
    }
    /* a broad QRS changes the Q waves and ST-T segments by itself (QS in V1-V3, discordant ST-T in
     * bundle branch block): said beside the MI and STTC criteria, which then do not apply */
    if ((!strcasecmp(c, "MI") || !strcasecmp(c, "STTC")) && isfinite(qrs) && qrs >= 120)
        add(&s, "QRS duration (confounder)", qrs, "ms",
            ">= 120 ms: Q-wave and ST-T criteria do not apply in bundle branch block", 1);
    if (!strcasecmp(c, "MI")) {
        by_lead(&s, f, "Pathological Q waves", ">= 0.1 mV deep and >= 1/4 of R, in 2 or more leads (aVR excluded)",
                q_wave, "none");
        by_lead(&s, f, "ST elevation at J+60 ms", ">= 0.1 mV (V2-V3: 0.2 mV) in 2 or more leads", st_elevation, "none");
    } else if (!strcasecmp(c, "STTC")) {
        by_lead(&s, f, "ST depression at J+60 ms", "<= -0.05 mV in 2 or more leads (aVR excluded)", st_depression, "none");
        by_lead(&s, f, "ST elevation at J+60 ms", ">= 0.1 mV (V2-V3: 0.2 mV) in 2 or more leads", st_elevation, "none");
        by_lead(&s, f, "T wave inversion", "<= -0.1 mV in 2 or more leads (III, aVR, V1 excluded)", t_inversion, "none");
        char rule[112];
        snprintf(rule, sizeof rule, "> %.0f ms: long QT", qtc_hi);
        add(&s, "QTc (Bazett)", qtc, "ms", rule, isfinite(qtc) && qtc > qtc_hi);
    } else if (!strcasecmp(c, "NORM")) {
        add(&s, "Heart rate", hr, "bpm", "50-100 bpm: normal", isfinite(hr) && hr >= 50 && hr <= 100);
        add(&s, "PR interval", pr, "ms", "120-200 ms: normal", isfinite(pr) && pr >= 120 && pr <= 200);
        add(&s, "QRS duration", qrs, "ms", "< 110 ms: normal", isfinite(qrs) && qrs < 110);
        char rule[112];
        snprintf(rule, sizeof rule, "<= %.0f ms: normal", qtc_hi);
        add(&s, "QTc (Bazett)", qtc, "ms", rule, isfinite(qtc) && qtc <= qtc_hi);
    }
    return s.n;
}
