/* ecgx io — reading and writing ECG records and annotations.
 *
 * Records: WFDB (header .hea + signal files), PhysioNet/CinC Challenge
 * (WFDB header + MATLAB v4 .mat), CSV (one column per lead). Annotations:
 * WFDB/MIT annotation files (.atr, LUDB's per-lead wave files). */
#ifndef ECGX_IO_H
#define ECGX_IO_H

#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a reader found beyond the signal itself. */
typedef struct ecgx_read_info {
    char format[16];          /* "wfdb", "mat", "csv" */
    int signal_format;        /* WFDB format code of the first signal (0 for csv) */
    int checksum_mismatches;  /* signals whose stored checksum did not match */
    char warning[512];        /* human-readable warnings, "" when none */
    int64_t n_invalid;        /* samples marked invalid in the file (now NaN) */
    char base_time[32];       /* WFDB record line's base time and date, as written ("" if absent) */
    char base_date[32];
} ecgx_read_info;

/* Read a record, choosing the reader from the path: "rec", "rec.hea" (WFDB
 * or Challenge .mat, as the header says), "rec.csv" (rate taken from
 * csv_fs, which must then be > 0). info may be NULL. */
int ecgx_record_read(const char *path, ecgx_record **out);
int ecgx_record_read_ex(const char *path, double csv_fs, ecgx_record **out, ecgx_read_info *info);

/* Write a record: ".csv" → CSV, otherwise WFDB format 16 ("rec" or "rec.hea"
 * writes rec.hea and rec.dat). Files are written atomically. */
int ecgx_record_write(const char *path, const ecgx_record *rec);

/* Read a WFDB record ("rec", "rec.hea", "rec.dat" or a Challenge "rec.mat").
 * Physical values are (adc - baseline) / gain in the units the header gives
 * (kept as written, "mV" when absent); invalid samples are NaN. A checksum
 * mismatch is a warning in info, not an error. See docs/io.md. */
int ecgx_wfdb_read(const char *path, ecgx_record **out, ecgx_read_info *info);
/* Write WFDB format 16 (rec.dat + rec.hea, baseline 0, NaN as -32768).
 * gain > 0: that many adc units per physical unit for every lead; a lead
 * that does not fit in 16 bits at that gain is an error (ECGX_ERR_RANGE,
 * nothing written). gain == 0: per lead, 1000 where the lead fits, else the
 * largest of 500, 200, 100, 50, 20, ... that fits. */
int ecgx_wfdb_write(const char *path, const ecgx_record *rec, double gain);

int ecgx_csv_read(const char *path, double fs, ecgx_record **out);
int ecgx_csv_write(const char *path, const ecgx_record *rec);

/* ---- Annotations (WFDB/MIT format) ---- */
typedef struct ecgx_annotation {
    int64_t sample;   /* sample index */
    int code;         /* MIT annotation code (1 = NORMAL 'N', ...) */
    int subtype, chan, num;
    char *aux;        /* auxiliary text, NULL when none */
    int aux_len;      /* bytes of aux as stored in the file, which may count a
                         trailing NUL (MIT-BIH rhythm labels are "(N" plus NUL,
                         3 bytes); 0 means strlen(aux). Kept so a file re-written
                         is byte-identical to the one read. */
} ecgx_annotation;

typedef struct ecgx_annotations {
    int n;
    ecgx_annotation *items;
} ecgx_annotations;

/* Read/write the annotation file "<record>.<ext>" (record path with or
 * without .hea). */
int ecgx_annot_read(const char *record, const char *ext, ecgx_annotations **out);
int ecgx_annot_write(const char *record, const char *ext, const ecgx_annotations *ann);
void ecgx_annotations_free(ecgx_annotations *ann);
/* MIT code <-> symbol ("N", "V", "(", ")", "p", "t", "+", ...). */
const char *ecgx_annot_symbol(int code);
int ecgx_annot_code(const char *symbol); /* -1 when unknown */
/* True for codes that mark a beat (N, L, R, V, A, ...), as WFDB's isqrs. */
int ecgx_annot_is_beat(int code);

#ifdef __cplusplus
}
#endif
#endif
