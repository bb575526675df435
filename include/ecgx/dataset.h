/* ecgx dataset — an index of ECG records with labels, splits and
 * demographics, built from one or several data folders, with an optional
 * binary cache (one memory-mappable file per folder) so that an epoch over
 * thousands of records costs no parsing.
 *
 * Folder kinds, recognised by their content:
 *   PTB-XL      ptbxl_database.csv + scp_statements.csv (records100/ or records500/)
 *   labels.csv  id,split,filename...,<0/1 class columns> (e.g. ptbxl-filtered, synthetic sets)
 *   Challenge   PhysioNet/CinC 2020/21 *.hea (#Age/#Sex/#Dx) + .mat, possibly one level deep
 *
 * A dataset is read-only once opened: every query below may be called from
 * several threads at once. See docs/dataset.md. */
#ifndef ECGX_DATASET_H
#define ECGX_DATASET_H

#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ecgx_dataset ecgx_dataset;

typedef struct ecgx_dataset_options {
    /* Which labels: "superdiagnostic", "subdiagnostic", "diagnostic", "form",
     * "rhythm", "all" (PTB-XL benchmark sets), "dx" (Challenge SNOMED CT
     * codes), "labels" (a labels.csv's own columns), "sex", "age". NULL or ""
     * takes each folder's natural set (PTB-XL: superdiagnostic). */
    const char *label_set;
    int ptbxl_rate;        /* 100 (default, also when 0) or 500: records100/ or records500/ */
    const char *classes;   /* optional comma-separated class list that fixes the order and
                            * membership of classes (e.g. to match a trained model) */
    int keep_unlabeled;    /* 0: drop records with no class of the set (as the PTB-XL
                            * benchmark does); 1: keep them with an all-zero label vector */
    /* Cache: NULL or "" uses <dir>/.ecgx-cache (.ecgx-cache-500 for PTB-XL at
     * 500 Hz) when it exists, falling back to the source files with a warning
     * when it is stale or damaged; "none" never uses a cache; otherwise a
     * comma-separated list of cache files, each matched to the folder it was
     * built from, where any problem is an error. */
    const char *cache;
    /* Optional CSV giving splits from outside: first column the record id,
     * a `split` (train/val/test) and/or `fold` (1-10) column. It overrides
     * the split of every record it lists (in any folder); others keep theirs. */
    const char *split_file;
    /* A researcher's own labels, without glue: a CSV anywhere (the data
     * folder may be read-only) in labels.csv's form (id first, a filename*
     * column of record paths relative to the one data folder given, split,
     * fold, age, sex, then 0/1 class columns). NULL: the folder's own. */
    const char *labels_file;
    /* Read one column of the labels CSV (labels_file or the folder's
     * labels.csv) as the label, ignoring the others (a metadata file with
     * text columns): a column of 0/1 is one binary class named after the
     * column; any other values are classes, one per distinct value (each
     * record has the one its row names). An empty cell: no label. Without a
     * filename* column the id is the record path. */
    const char *label_column;
} ecgx_dataset_options;

void ecgx_dataset_options_init(ecgx_dataset_options *opt);

typedef enum ecgx_split {
    ECGX_SPLIT_TRAIN = 0, ECGX_SPLIT_VAL = 1, ECGX_SPLIT_TEST = 2
} ecgx_split;

/* Open one folder or a comma-separated list of folders as one dataset.
 * opt may be NULL (defaults). */
int ecgx_dataset_open(const char *dirs, const ecgx_dataset_options *opt, ecgx_dataset **out);
void ecgx_dataset_free(ecgx_dataset *ds);

int ecgx_dataset_size(const ecgx_dataset *ds);

/* Classes of the chosen label set, sorted by name (byte order), as the
 * PTB-XL benchmark's MultiLabelBinarizer orders them, unless opt->classes
 * fixed them. "sex" has one class "female" (1 female, 0 male); "age" one
 * target "age" in years (a regression target, not 0/1). */
int ecgx_dataset_n_classes(const ecgx_dataset *ds);
const char *ecgx_dataset_class_name(const ecgx_dataset *ds, int c);
const char *ecgx_dataset_label_set(const ecgx_dataset *ds);

typedef struct ecgx_dataset_entry {
    const char *id;        /* ecg_id, labels.csv id or Challenge record name */
    const char *path;      /* record path without extension (what ecgx_record_read takes) */
    int source;            /* index of the folder it came from */
    int fold;              /* 1..10 (PTB-XL strat_fold, or derived), 0 when unknown */
    ecgx_split split;
    double age;            /* years, < 0 unknown */
    ecgx_sex sex;
    const char *unit;      /* signal unit of its folder: "mV", "z", ... */
} ecgx_dataset_entry;

/* Strings stay valid while the dataset lives. */
int ecgx_dataset_record_info(const ecgx_dataset *ds, int i, ecgx_dataset_entry *info);

/* The record's label vector (n_classes floats: 0/1, or the age in years;
 * NAN where a kept record has no value for "sex"/"age"). */
int ecgx_dataset_labels(const ecgx_dataset *ds, int i, float *y);

/* Indices of the records in a split: "train", "val", "test", "all" or
 * "fold:N". *idx is malloc'd (free() it); *n may be 0. */
int ecgx_dataset_split(const ecgx_dataset *ds, const char *which, int **idx, int *n);

/* Read record i's signal (with age, sex and its positive class names as
 * labels): from the cache when one is attached, else from the files. */
int ecgx_dataset_load(const ecgx_dataset *ds, int i, ecgx_record **out);

/* Record i's samples in place in the attached cache ([lead][sample] float32,
 * in the folder's unit, 64-byte aligned), without copying: ECGX_ERR_STATE
 * when its folder has no cache. The pointer lives as long as the dataset.
 * Like ecgx_dataset_load, it checks the record's CRC the first time the
 * record is used in this process. */
int ecgx_dataset_view(const ecgx_dataset *ds, int i, const float **data, int *n_leads,
                      int64_t *n_samples, double *fs);

/* ---- duplicates ---- */
typedef struct ecgx_dataset_duplicate {
    int a, b; /* record indices, a < b in the order the copies were found */
} ecgx_dataset_duplicate;

/* Pairs of records whose signals are byte-identical (same leads, length,
 * rate and every sample): one pair per extra copy, each copy paired with
 * the first record it equals. *pairs is malloc'd (free() it), NULL when
 * none. Reads every record once (its cache when attached); a record that
 * cannot be read is left out and counted in *n_unreadable (may be NULL). */
int ecgx_dataset_find_duplicates(const ecgx_dataset *ds, ecgx_dataset_duplicate **pairs, int *n_pairs,
                                 int *n_unreadable);

/* ---- folders ---- */
typedef struct ecgx_dataset_source {
    const char *dir;
    const char *kind;         /* "ptbxl", "labels-csv", "challenge" */
    const char *label_set;    /* the set this folder's labels were taken from */
    const char *unit;         /* signal unit ("mV", "z", ...; "" unknown) */
    int n_indexed;            /* records listed whose files exist */
    int n_missing;            /* records listed whose files are absent */
    int n_used;               /* records of this folder in the dataset */
    int n_unlabeled;          /* indexed records left out for having no value of the label set
                               * (n_indexed = n_used + n_unlabeled; a labels.csv with a single
                               * class column is a binary task: its 0 rows are used) */
    const char *cache_path;   /* attached cache file, "" when none */
    const char *cache_status; /* "none", "attached", or why a cache was not used */
} ecgx_dataset_source;

int ecgx_dataset_n_sources(const ecgx_dataset *ds);
/* Warnings from opening (a cache found but not used, and why), one per
 * line; "" when none. */
const char *ecgx_dataset_warnings(const ecgx_dataset *ds);
int ecgx_dataset_source_info(const ecgx_dataset *ds, int s, ecgx_dataset_source *info);

/* ---- binary cache ---- */
/* Build the cache of one folder: every record listed there (whatever the
 * label set) with its signal as float32. out_path NULL or "" writes the
 * default <dir>/.ecgx-cache (.ecgx-cache-500 for PTB-XL at 500 Hz). Written
 * atomically; progress on stderr unless quiet. opt may be NULL. */
int ecgx_dataset_cache_build(const char *dir, const char *out_path,
                             const ecgx_dataset_options *opt, int quiet);

/* Check a cache file completely (header, index and every record's
 * checksum); 0 when sound. n_records may be NULL. */
int ecgx_dataset_cache_verify(const char *path, int *n_records);

/* ---- SNOMED CT codes of the PhysioNet/CinC Challenge 2020/2021 ---- */
typedef struct ecgx_snomed_entry {
    const char *code;   /* "164889003" */
    const char *abbrev; /* "AF" */
    const char *name;   /* "atrial fibrillation" */
    int scored;         /* 1 when scored in the 2021 Challenge */
} ecgx_snomed_entry;

/* The table entry for a code, NULL when the code is not in the table. */
const ecgx_snomed_entry *ecgx_snomed_lookup(const char *code);
/* The entry whose abbreviation is `abbrev` (case-sensitive), NULL if none. */
const ecgx_snomed_entry *ecgx_snomed_by_abbrev(const char *abbrev);
int ecgx_snomed_count(void);
const ecgx_snomed_entry *ecgx_snomed_at(int i);

/* SNOMED CT -> PTB-XL diagnostic superclass, so that a Challenge folder can
 * be opened with the label set "superdiagnostic" and a PTB-XL model
 * evaluated on it (docs/dataset.md has the table): "MI", "STTC", "CD",
 * "HYP"; "NORM" for 426783006 (sinus rhythm), which makes a record NORM
 * only when none of its codes maps to another superclass; NULL for codes
 * without a superclass (rhythm, axis, beats), left out as in PTB-XL. */
const char *ecgx_snomed_ptbxl_superclass(const char *code);
int ecgx_snomed_ptbxl_count(void);
int ecgx_snomed_ptbxl_at(int i, const char **code, const char **superclass);

#ifdef __cplusplus
}
#endif
#endif
