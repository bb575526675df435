/* The one input check (include/ecgx/record_check.h): measure each lead
 * (non-finite samples, flatness, unit), then hold the record against what
 * the method needs. Measuring is one pass over the samples; everything a
 * command refuses is refused here, so every command refuses alike. */
#include "ecgx/record_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int unit_is_mv(const char *u) { return !u[0] || !strcmp(u, "mV") || !strcmp(u, "mv") || !strcmp(u, "MV"); }
static int unit_is_uv(const char *u) { return !strcmp(u, "uV") || !strcmp(u, "uv") || !strcmp(u, "\xc2\xb5V"); }

ecgx_record_requirements ecgx_record_requirements_model(int in_channels)
{
    ecgx_record_requirements r;
    memset(&r, 0, sizeof r);
    if (in_channels == ECGX_N_STD_LEADS) r.leads = (1u << ECGX_N_STD_LEADS) - 1;
    else r.n_leads = in_channels;
    return r;
}

/* append to the warning, "; "-separated, never overflowing */
static void warn(ecgx_record_check_report *rep, const char *fmt, ...)
{
    size_t k = strlen(rep->warning);
    if (k + 3 >= sizeof rep->warning) return;
    if (k) k += (size_t)snprintf(rep->warning + k, sizeof rep->warning - k, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->warning + k, sizeof rep->warning - k, fmt, ap);
    va_end(ap);
}

/* "I, III, aVR" for a lead mask, or the record's own lead names */
static void std_list(unsigned mask, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int l = 0; l < ECGX_N_STD_LEADS && k + 1 < n; l++)
        if (mask & (1u << l)) k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : "", ecgx_lead_std_name(l));
}
static void own_list(const ecgx_record *rec, const unsigned char *sel, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int l = 0; l < rec->n_leads && k + 1 < n; l++)
        if (!sel || sel[l]) k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : "", rec->leads[l].name);
}

/* Which leads the method reads: the required standard ones, else all. */
static void used_leads(const ecgx_record *rec, const ecgx_record_requirements *req, unsigned char *used)
{
    for (int l = 0; l < rec->n_leads; l++) {
        int s = rec->leads[l].std_index;
        used[l] = !req || !req->leads || (s >= 0 && s < ECGX_N_STD_LEADS && (req->leads & (1u << s)));
    }
}

static void measure(const ecgx_record *rec, ecgx_record_check_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->n_leads = rec->n_leads;
    rep->n_samples = rec->n_samples;
    double pp[ECGX_MAX_LEADS], widest = 0;
    for (int l = 0; l < rec->n_leads; l++) {
        const float *x = ecgx_record_lead(rec, l);
        float lo = INFINITY, hi = -INFINITY;
        int64_t bad = 0;
        for (int64_t t = 0; t < rec->n_samples; t++) {
            float v = x[t];
            if (!isfinite(v)) {
                bad++;
                continue;
            }
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        rep->invalid[l] = bad;
        rep->n_invalid += bad;
        pp[l] = bad < rec->n_samples ? (double)hi - lo : -1; /* -1: no finite sample */
        if (pp[l] > widest) widest = pp[l];
        const char *u = rec->leads[l].units;
        if (!unit_is_mv(u)) {
            if (!rep->n_not_mv++) snprintf(rep->unit, sizeof rep->unit, "%s", u);
        }
    }
    for (int l = 0; l < rec->n_leads; l++) {
        const char *u = rec->leads[l].units;
        double floor = unit_is_mv(u) ? ECGX_CHECK_FLAT_MV : unit_is_uv(u) ? 1000 * ECGX_CHECK_FLAT_MV : 1e-3 * widest;
        rep->flat[l] = pp[l] < 0 || pp[l] < floor || pp[l] == 0;
        rep->n_flat += rep->flat[l];
    }
}

int ecgx_record_check(const ecgx_record *rec, const ecgx_record_requirements *req, ecgx_record_check_report *report)
{
    ecgx_record_check_report local, *rep = report ? report : &local;
    if (!rec || rec->n_leads < 1 || rec->n_leads > ECGX_MAX_LEADS || rec->n_samples < 1)
        return ecgx_error(ECGX_ERR_ARG, "%s: an empty record", rec ? rec->name : "record");
    measure(rec, rep);
    const char *nm = rec->name;
    char list[400];
    unsigned char used[ECGX_MAX_LEADS];
    used_leads(rec, req, used);

    /* present standard leads (a lead may be named twice: either copy counts) */
    unsigned present = 0;
    for (int l = 0; l < rec->n_leads; l++)
        if (rec->leads[l].std_index >= 0 && rec->leads[l].std_index < ECGX_N_STD_LEADS)
            present |= 1u << rec->leads[l].std_index;
    if (req) rep->missing = req->leads & ~present;

    /* what is said whatever the method */
    int64_t few = 0;
    for (int l = 0; l < rec->n_leads; l++) few += rep->flat[l] ? 0 : rep->invalid[l];
    if (few) warn(rep, "%lld samples are not numbers (NaN or infinite)", (long long)few);
    if (rep->n_flat) {
        own_list(rec, rep->flat, list, sizeof list);
        warn(rep, "flat lead%s: %s", rep->n_flat > 1 ? "s" : "", list);
    }
    if (rep->n_not_mv && !(req && req->need_mv))
        warn(rep, "amplitudes are in '%s', not mV", rep->unit);
    if (!req) return 0;

    if (rep->n_invalid == (int64_t)rec->n_leads * rec->n_samples)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: no sample is a number (all %lld are NaN or infinite)", nm,
                          (long long)rep->n_invalid);
    if (req->n_leads > 0 && rec->n_leads != req->n_leads)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: %d leads; the model reads exactly %d", nm, rec->n_leads, req->n_leads);
    if (rep->missing) {
        char have[200];
        std_list(rep->missing, list, sizeof list);
        own_list(rec, NULL, have, sizeof have);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: the %s reads the %s; %s %s absent (the record has %s)", nm,
                          req->leads == (1u << ECGX_N_STD_LEADS) - 1 ? "model" : "method",
                          req->leads == (1u << ECGX_N_STD_LEADS) - 1 ? "12 standard leads" : "leads", list,
                          __builtin_popcount(rep->missing) > 1 ? "are" : "is", have);
    }
    for (int l = 0; l < rec->n_leads; l++) {
        if (!used[l] || rep->flat[l]) continue;
        if ((double)rep->invalid[l] > ECGX_CHECK_MAX_INVALID_FRACTION * (double)rec->n_samples)
            return ecgx_error(ECGX_ERR_FORMAT,
                              "%s: lead %s: %lld of %lld samples are not numbers (NaN or infinite); at most %g %% "
                              "are filled in",
                              nm, rec->leads[l].name, (long long)rep->invalid[l], (long long)rec->n_samples,
                              100 * ECGX_CHECK_MAX_INVALID_FRACTION);
    }
    if (req->leads || req->n_leads) { /* a model: a flat lead it reads is no ECG */
        unsigned char bad[ECGX_MAX_LEADS];
        int nb = 0;
        for (int l = 0; l < rec->n_leads; l++) nb += bad[l] = used[l] && rep->flat[l];
        /* a standard lead present twice counts as flat only when no copy has signal */
        for (int l = 0; l < rec->n_leads; l++) {
            int s = rec->leads[l].std_index;
            if (!bad[l] || s < 0) continue;
            for (int k = 0; k < rec->n_leads; k++)
                if (k != l && rec->leads[k].std_index == s && !rep->flat[k]) bad[l] = 0, nb--;
        }
        if (nb) {
            own_list(rec, bad, list, sizeof list);
            return ecgx_error(ECGX_ERR_FORMAT, "%s: lead%s %s %s flat (no signal); a diagnosis from %s would be made up",
                              nm, nb > 1 ? "s" : "", list, nb > 1 ? "are" : "is", nb > 1 ? "them" : "it");
        }
    }
    if (req->need_mv && rep->n_not_mv)
        return ecgx_error(ECGX_ERR_UNSUPPORTED,
                          "%s: amplitudes are in '%s', not mV: voltages (Sokolow-Lyon, Cornell, ST levels) cannot "
                          "be measured",
                          nm, rep->unit);
    if (req->max_seconds > 0 && rec->fs > 0 && rec->n_samples / rec->fs > req->max_seconds)
        return ecgx_error(ECGX_ERR_RANGE, "%s: %.0f s long; this method takes at most %g s at once%s%s", nm,
                          rec->n_samples / rec->fs, req->max_seconds, req->too_long ? ": " : "",
                          req->too_long ? req->too_long : "");
    return 0;
}

ecgx_record *ecgx_record_slice(const ecgx_record *rec, double start_s, double duration_s)
{
    if (!rec || !(rec->fs > 0) || !(start_s >= 0)) {
        ecgx_error(ECGX_ERR_ARG, "%s: bad start %g s", rec ? rec->name : "record", start_s);
        return NULL;
    }
    int64_t a = (int64_t)llround(start_s * rec->fs);
    int64_t b = duration_s > 0 ? a + (int64_t)llround(duration_s * rec->fs) : rec->n_samples;
    if (b > rec->n_samples) b = rec->n_samples;
    if (a >= b) {
        ecgx_error(ECGX_ERR_RANGE, "%s: %g s is past the end (%.3f s long)", rec->name, start_s,
                   rec->n_samples / rec->fs);
        return NULL;
    }
    ecgx_record *c = ecgx_record_new(rec->n_leads, b - a, rec->fs);
    if (!c) return NULL;
    memcpy(c->name, rec->name, sizeof c->name);
    memcpy(c->leads, rec->leads, sizeof *c->leads * (size_t)rec->n_leads);
    for (int l = 0; l < rec->n_leads; l++)
        memcpy(ecgx_record_lead(c, l), ecgx_record_lead(rec, l) + a, sizeof(float) * (size_t)(b - a));
    c->age = rec->age;
    c->sex = rec->sex;
    for (int i = 0; i < rec->n_labels; i++)
        if (ecgx_record_add_label(c, rec->labels[i]) < 0) {
            ecgx_record_free(c);
            return NULL;
        }
    return c;
}
