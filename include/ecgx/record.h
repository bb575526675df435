/* ecgx_record — one multi-lead ECG: signal in float32, channel-first
 * ([lead][sample]), physical units (millivolts where the source says mV),
 * plus the metadata a diagnosis needs (age, sex, labels). */
#ifndef ECGX_RECORD_H
#define ECGX_RECORD_H

#include "ecgx/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The standard 12 leads, in the order ecgx uses everywhere. */
enum {
    ECGX_LEAD_I, ECGX_LEAD_II, ECGX_LEAD_III, ECGX_LEAD_AVR, ECGX_LEAD_AVL, ECGX_LEAD_AVF,
    ECGX_LEAD_V1, ECGX_LEAD_V2, ECGX_LEAD_V3, ECGX_LEAD_V4, ECGX_LEAD_V5, ECGX_LEAD_V6,
    ECGX_N_STD_LEADS
};

typedef enum ecgx_sex { ECGX_SEX_UNKNOWN = 0, ECGX_SEX_MALE = 1, ECGX_SEX_FEMALE = 2 } ecgx_sex;

#define ECGX_NAME_MAX 32
#define ECGX_MAX_LEADS 256   /* more is a corrupt header, not an ECG */

typedef struct ecgx_lead_info {
    char name[ECGX_NAME_MAX];  /* as written in the source (e.g. "MLII", "v1") */
    char units[ECGX_NAME_MAX]; /* physical unit of data (e.g. "mV"); "" if unknown */
    int std_index;             /* ECGX_LEAD_* when the name is a standard lead, else -1 */
} ecgx_lead_info;

typedef struct ecgx_record {
    char name[256];        /* record name, without directory or extension */
    int n_leads;
    int64_t n_samples;     /* samples per lead */
    double fs;             /* sampling frequency in Hz */
    float *data;           /* n_leads * n_samples, lead-major */
    ecgx_lead_info *leads; /* n_leads entries */
    double age;            /* years; negative when unknown */
    ecgx_sex sex;
    int n_labels;
    char **labels;         /* free-form codes: SNOMED CT, SCP, condition names */
} ecgx_record;

/* A zero-filled record; NULL (with ecgx_last_error set) on failure. */
ecgx_record *ecgx_record_new(int n_leads, int64_t n_samples, double fs);
void ecgx_record_free(ecgx_record *rec);
ecgx_record *ecgx_record_clone(const ecgx_record *rec);

static inline float *ecgx_record_lead(const ecgx_record *rec, int lead)
{
    return rec->data + (int64_t)lead * rec->n_samples;
}

/* Set a lead's name (and recognise standard names) and unit. */
int ecgx_record_set_lead(ecgx_record *rec, int lead, const char *name, const char *units);
int ecgx_record_add_label(ecgx_record *rec, const char *label);
int ecgx_record_has_label(const ecgx_record *rec, const char *label);

/* Index of the lead whose name is `name` (standard names matched in any
 * case and common spelling, e.g. "avr", "aVR", "V1", "v1"); -1 if absent. */
int ecgx_record_find_lead(const ecgx_record *rec, const char *name);

/* ECGX_LEAD_* for a standard 12-lead name in any case or common variant
 * ("I", "lead II", "AVR", "-aVR" is not standard), -1 otherwise. */
int ecgx_lead_std_index(const char *name);
/* Canonical spelling of a standard lead ("I", "II", "III", "aVR", ...). */
const char *ecgx_lead_std_name(int std_index);

/* A new record whose leads are the 12 standard leads in standard order;
 * leads missing from `rec` are zero and reported in *missing (a bitmask of
 * ECGX_LEAD_* indices) when missing is not NULL. */
ecgx_record *ecgx_record_to_standard12(const ecgx_record *rec, unsigned *missing);

#ifdef __cplusplus
}
#endif
#endif
