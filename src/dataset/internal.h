/* Internal structure of a dataset: folders ("sources"), the records each
 * lists ("entries"), and the label sets they can provide. */
#ifndef ECGX_DATASET_INTERNAL_H
#define ECGX_DATASET_INTERNAL_H

#include "ecgx/dataset.h"

#include <stdint.h>

/* DS_WFDB: a folder of WFDB records found by their headers, none of which
 * carries a Challenge '#Dx' line of SNOMED CT codes (LUDB, MIT-BIH, ecgx
 * synth records): no labels of its own, and not called a Challenge folder. */
enum ds_kind { DS_PTBXL = 1, DS_LABELS_CSV, DS_CHALLENGE, DS_WFDB };

/* Label sets. SEX and AGE come from demographics, the others from labels. */
enum ds_set {
    SET_DEFAULT = 0, SET_ALL, SET_DIAGNOSTIC, SET_SUBDIAGNOSTIC, SET_SUPERDIAGNOSTIC,
    SET_FORM, SET_RHYTHM, SET_DX, SET_LABELS, SET_SEX, SET_AGE
};
int ds_set_parse(const char *name);   /* -1 when unknown */
const char *ds_set_name(int set);

/* One record as its folder lists it. */
typedef struct ds_entry {
    char *id;
    char *rel;          /* path relative to the folder, without extension */
    int fold;           /* 1..10, 0 unknown */
    int split;          /* ecgx_split, -1 when the folder gives none */
    double age;         /* < 0 unknown */
    int sex;            /* ecgx_sex */
    char **labels;      /* class names of the requested set, no duplicates */
    int n_labels;
    int no_value;       /* a label column's empty cell: unlabelled even in a binary task */
} ds_entry;

struct ds_cache;

typedef struct ds_source {
    char *dir;
    int kind;
    int rate;            /* PTB-XL records100 / records500 */
    int set;             /* label set its entries' labels belong to */
    char unit[32];
    ds_entry *entries;
    int n_entries, cap_entries;
    int n_missing;
    int n_used;
    int n_unlabeled;      /* indexed but left out: no value for the label set */
    const char *labels_path;  /* labels.csv elsewhere (opt.labels_file), NULL: <dir>/labels.csv */
    const char *label_column; /* opt.label_column */
    char **declared;      /* classes a labels.csv declares (its columns), even if never positive */
    int n_declared;
    uint64_t fingerprint; /* metadata and record files: names, sizes, mtimes */
    struct ds_cache *cache;
    char cache_path[4096];
    char cache_status[1024];
} ds_source;

/* Readers: fill src->entries (records whose files exist), src->unit and the
 * fingerprint. `set` is the requested label set (never SET_DEFAULT here for
 * PTB-XL and Challenge; SEX/AGE ask for no labels). */
int ds_ptbxl_read(ds_source *src, int set);
int ds_labels_csv_read(ds_source *src, int set, int *provides);
int ds_challenge_read(ds_source *src);

/* Override the entries' splits from a CSV (id, split and/or fold); the
 * number of entries it matched in *n_matched. */
int ds_apply_split_file(ds_source *sources, int n_sources, const char *path, int *n_matched);

/* The keys of a Python dict literal such as "{'NORM': 100.0, 'SR': 0.0}"
 * (values must be numbers): add(ctx, key) for each. 0 when well formed, -1
 * with *why set when not, or what add returned when that failed. */
typedef int (*ds_key_fn)(void *ctx, const char *key);
int ds_parse_pydict_keys(const char *s, ds_key_fn add, void *ctx, const char **why);

/* Which kind of folder `dir` is; 0 with an error when none. */
int ds_detect_kind(const char *dir);

/* Helpers shared by the readers. */
ds_entry *ds_source_add(ds_source *src);         /* a zeroed entry, NULL on failure */
int ds_entry_add_label(ds_entry *e, const char *label);
/* A Challenge entry's SNOMED CT codes replaced by PTB-XL superclasses
 * (snomed_ptbxl.c). */
int ds_entry_snomed_to_superclasses(ds_entry *e);
void ds_source_clear(ds_source *src);
uint64_t ds_fnv1a(uint64_t h, const void *data, size_t n);
#define DS_FNV_INIT 0xcbf29ce484222325ULL
/* Fold the name, size and mtime of dir/rel+ext into *h; 1 if the file
 * exists, 0 if not. */
int ds_fingerprint_file(uint64_t *h, const char *dir, const char *rel, const char *ext);
/* Split from a fold: 1-8 train, 9 val, 10 test. */
int ds_split_of_fold(int fold);
/* Deterministic fold 1..10 from a record name (FNV-1a 32-bit, mod 10, + 1). */
int ds_hash_fold(const char *name);
/* Signal unit named in a WFDB header's first signal line ("mV" default as WFDB). */
void ds_header_unit(const char *hea_path, char *unit, size_t n);

/* A record of the dataset: an entry of one of its folders. */
typedef struct ds_rec {
    int source, entry;
    char *path;       /* dir/rel */
    int cache_entry;  /* -1 when its folder has no cache */
} ds_rec;

struct ecgx_dataset {
    ds_source *sources;
    int n_sources;
    ds_rec *recs;
    int n;
    char **classes;
    int n_classes;
    int set;
    char set_name[32];
    float *y;         /* n * n_classes */
    char warnings[2048];
};

int ds_check_index(const ecgx_dataset *ds, int i);

/* ---- cache ---- */
typedef struct ds_cache ds_cache;
int ds_cache_open(const char *path, ds_cache **out);
void ds_cache_close(ds_cache *c);
uint64_t ds_cache_fingerprint(const ds_cache *c);
const char *ds_cache_dir(const ds_cache *c);
int ds_cache_n_records(const ds_cache *c);
int ds_cache_find(const ds_cache *c, const char *rel);   /* entry index or -1 */
/* Samples of entry e in place; verify the record's CRC when verify != 0. */
int ds_cache_samples(const ds_cache *c, int e, int verify, const float **data, int *n_leads,
                     int64_t *n_samples, double *fs);
void ds_cache_lead(const ds_cache *c, int e, int lead, const char **name, const char **unit);
/* The single folder of a one-folder dataset and its entry count (for the
 * cache builder); 0 and NULL otherwise. */
int ds_dataset_source_entries(const ecgx_dataset *ds, const ds_source **src);
/* Default cache file name for a folder. */
void ds_cache_default_path(const char *dir, int kind, int rate, char *out, size_t n);

#endif
