/* The record: allocation, lead naming, labels. */
#include "ecgx/record.h"
#include "core/alloc.h"
#include "core/strutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ecgx_record *ecgx_record_new(int n_leads, int64_t n_samples, double fs)
{
    if (n_leads <= 0 || n_leads > ECGX_MAX_LEADS) {
        ecgx_error(ECGX_ERR_RANGE, "record: lead count %d outside 1..%d", n_leads, ECGX_MAX_LEADS);
        return NULL;
    }
    if (n_samples < 0 || !(fs > 0) || fs > 1e6) {
        ecgx_error(ECGX_ERR_RANGE, "record: bad size (samples %lld, rate %g Hz)",
                   (long long)n_samples, fs);
        return NULL;
    }
    ecgx_record *rec = calloc(1, sizeof *rec);
    if (!rec) { ecgx_error(ECGX_ERR_NOMEM, "record: out of memory"); return NULL; }
    rec->n_leads = n_leads;
    rec->n_samples = n_samples;
    rec->fs = fs;
    rec->age = -1;
    rec->data = ecgx_calloc_array((size_t)n_leads * (size_t)(n_samples ? n_samples : 1), sizeof(float),
                                  "record samples");
    rec->leads = calloc((size_t)n_leads, sizeof *rec->leads);
    if (!rec->data || !rec->leads) {
        if (rec->leads == NULL) ecgx_error(ECGX_ERR_NOMEM, "record: out of memory");
        ecgx_record_free(rec);
        return NULL;
    }
    for (int i = 0; i < n_leads; i++) rec->leads[i].std_index = -1;
    return rec;
}

void ecgx_record_free(ecgx_record *rec)
{
    if (!rec) return;
    for (int i = 0; i < rec->n_labels; i++) free(rec->labels[i]);
    free(rec->labels);
    free(rec->leads);
    free(rec->data);
    free(rec);
}

ecgx_record *ecgx_record_clone(const ecgx_record *rec)
{
    ecgx_record *c = ecgx_record_new(rec->n_leads, rec->n_samples, rec->fs);
    if (!c) return NULL;
    memcpy(c->name, rec->name, sizeof c->name);
    memcpy(c->data, rec->data, sizeof(float) * (size_t)rec->n_leads * (size_t)rec->n_samples);
    memcpy(c->leads, rec->leads, sizeof *c->leads * (size_t)rec->n_leads);
    c->age = rec->age;
    c->sex = rec->sex;
    for (int i = 0; i < rec->n_labels; i++)
        if (ecgx_record_add_label(c, rec->labels[i]) < 0) { ecgx_record_free(c); return NULL; }
    return c;
}

static const char *const std_names[ECGX_N_STD_LEADS] = {
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"
};

const char *ecgx_lead_std_name(int std_index)
{
    return std_index >= 0 && std_index < ECGX_N_STD_LEADS ? std_names[std_index] : NULL;
}

int ecgx_lead_std_index(const char *name)
{
    if (!name) return -1;
    /* Compare case-insensitively, ignoring a "lead" prefix and blanks: sources
     * write "I", "i", "Lead I", "AVR", "avr", "V1", "v1". */
    char buf[ECGX_NAME_MAX];
    size_t n = 0;
    const char *p = name;
    while (*p == ' ' || *p == '\t') p++;
    if (strncasecmp_ascii(p, "lead", 4) == 0) p += 4;
    for (; *p && n + 1 < sizeof buf; p++)
        if (*p != ' ' && *p != '\t' && *p != '_' && *p != '-') buf[n++] = (char)toupper((unsigned char)*p);
    if (*p) return -1;
    buf[n] = '\0';
    for (int i = 0; i < ECGX_N_STD_LEADS; i++) {
        char up[8];
        size_t k = 0;
        for (const char *s = std_names[i]; *s; s++) up[k++] = (char)toupper((unsigned char)*s);
        up[k] = '\0';
        if (strcmp(buf, up) == 0) return i;
    }
    return -1;
}

int ecgx_record_set_lead(ecgx_record *rec, int lead, const char *name, const char *units)
{
    if (lead < 0 || lead >= rec->n_leads)
        return ecgx_error(ECGX_ERR_ARG, "record %s: lead index %d out of range", rec->name, lead);
    ecgx_lead_info *li = &rec->leads[lead];
    if (name) {
        snprintf(li->name, sizeof li->name, "%s", name);
        li->std_index = ecgx_lead_std_index(name);
    }
    if (units) snprintf(li->units, sizeof li->units, "%s", units);
    return 0;
}

int ecgx_record_find_lead(const ecgx_record *rec, const char *name)
{
    int std = ecgx_lead_std_index(name);
    for (int i = 0; i < rec->n_leads; i++) {
        if (std >= 0 && rec->leads[i].std_index == std) return i;
        if (strcmp(rec->leads[i].name, name) == 0) return i;
    }
    return -1;
}

int ecgx_record_add_label(ecgx_record *rec, const char *label)
{
    if (ecgx_record_has_label(rec, label)) return 0;
    char **l = realloc(rec->labels, sizeof *l * (size_t)(rec->n_labels + 1));
    if (!l) return ecgx_error(ECGX_ERR_NOMEM, "record %s: out of memory", rec->name);
    rec->labels = l;
    size_t n = strlen(label);
    char *copy = malloc(n + 1);
    if (!copy) return ecgx_error(ECGX_ERR_NOMEM, "record %s: out of memory", rec->name);
    memcpy(copy, label, n + 1);
    rec->labels[rec->n_labels++] = copy;
    return 0;
}

int ecgx_record_has_label(const ecgx_record *rec, const char *label)
{
    for (int i = 0; i < rec->n_labels; i++)
        if (strcmp(rec->labels[i], label) == 0) return 1;
    return 0;
}

ecgx_record *ecgx_record_to_standard12(const ecgx_record *rec, unsigned *missing)
{
    ecgx_record *out = ecgx_record_new(ECGX_N_STD_LEADS, rec->n_samples, rec->fs);
    if (!out) return NULL;
    memcpy(out->name, rec->name, sizeof out->name);
    out->age = rec->age;
    out->sex = rec->sex;
    unsigned miss = 0;
    for (int s = 0; s < ECGX_N_STD_LEADS; s++) {
        int src = -1;
        for (int i = 0; i < rec->n_leads; i++)
            if (rec->leads[i].std_index == s) { src = i; break; }
        ecgx_record_set_lead(out, s, std_names[s], src >= 0 ? rec->leads[src].units : "mV");
        if (src >= 0)
            memcpy(ecgx_record_lead(out, s), ecgx_record_lead(rec, src), sizeof(float) * (size_t)rec->n_samples);
        else
            miss |= 1u << s;
    }
    for (int i = 0; i < rec->n_labels; i++)
        if (ecgx_record_add_label(out, rec->labels[i]) < 0) { ecgx_record_free(out); return NULL; }
    if (missing) *missing = miss;
    return out;
}
