/* Internal pieces of the io module: parsers that work on memory (so the fuzz
 * targets and tests can drive them without files) and the WFDB header model
 * shared by the reader and the writer. */
#ifndef ECGX_IO_INTERNAL_H
#define ECGX_IO_INTERNAL_H

#include "ecgx/io.h"

#include <stddef.h>
#include <stdint.h>

/* Largest header, CSV or annotation file ecgx reads (a header is a few kB;
 * a 24-hour 12-lead CSV is a few GB and not what CSV is for). */
#define ECGX_IO_TEXT_LIMIT ((size_t)1 << 31)
/* Largest signal file (a 24-hour 12-lead 1 kHz record in format 16 is ~2 GB). */
#define ECGX_IO_SIGNAL_LIMIT ((size_t)8 << 30)

/* WFDB's "no sample here" value (WFDB_INVALID_SAMPLE); decoders map each
 * format's own invalid code to it. */
#define ECGX_WFDB_INVALID INT32_MIN

/* ---- WFDB header ---- */
typedef struct wfdb_signal {
    char file[256];     /* signal file name, relative to the header's directory */
    int format;         /* 0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311 */
    int spf;            /* samples per frame (1 unless "x<n>") */
    int skew;           /* frames; the sample for time t is in frame t + skew */
    int64_t offset;     /* bytes before the first sample in the file */
    double gain;        /* adc units per physical unit (200 when the header says 0) */
    double baseline;    /* adc value of physical zero (adc zero when not given) */
    char units[ECGX_NAME_MAX]; /* "mV" when not given */
    int adc_res, adc_zero;
    int init;           /* initial value (first differences of format 8 start here) */
    int has_checksum;
    int checksum;       /* 16-bit sum of the samples, as written */
    int block_size;
    char desc[ECGX_NAME_MAX];
} wfdb_signal;

typedef struct wfdb_header {
    char name[256];
    int n_sig;
    double fs, counter_freq, base_counter;
    int64_t n_samples;  /* 0 when the header does not say */
    char base_time[32], base_date[32];
    wfdb_signal *sig;   /* n_sig entries */
    double age;         /* from "#Age:" (negative when unknown) */
    ecgx_sex sex;
    int n_labels;
    char **labels;      /* from "#Dx:" */
} wfdb_header;

/* Parse header text (len bytes, need not be NUL-terminated); `src` names the
 * file in error messages. On failure *h is left empty (nothing to free). */
int ecgx_wfdb_header_parse(const char *text, size_t len, const char *src, wfdb_header *h);
void ecgx_wfdb_header_free(wfdb_header *h);

/* ---- signal formats ---- */
/* Whether ecgx decodes this WFDB format. */
int ecgx_wfdb_format_known(int format);
/* Bytes that hold n consecutive samples of a format (packed formats round up
 * to what the last sample needs). */
uint64_t ecgx_wfdb_format_bytes(int format, uint64_t n);
/* How many whole samples `bytes` bytes hold. */
uint64_t ecgx_wfdb_format_samples(int format, uint64_t bytes);
/* Decode n samples of one signal file (frames of nsig interleaved samples;
 * n is a multiple of nsig) into out. init[nsig] seeds format 8's first
 * differences. Invalid samples become ECGX_WFDB_INVALID. buf must hold
 * ecgx_wfdb_format_bytes(format, n) bytes. */
void ecgx_wfdb_decode(int format, const uint8_t *buf, uint64_t n, int nsig, const int *init, int32_t *out);

/* ---- MATLAB v4 (.mat) ---- */
typedef struct mat4_info {
    int big_endian;      /* M digit of the type field */
    int precision;       /* P digit: 0 double, 1 float, 2 int32, 3 int16, 4 uint16, 5 uint8 */
    int64_t mrows, ncols;
    char name[64];
    size_t data_offset;  /* bytes from the file start to the first element */
    size_t elem_size;
} mat4_info;

/* Parse and check the first matrix header of a MATLAB v4 file held in buf. */
int ecgx_mat4_parse(const uint8_t *buf, size_t len, const char *src, mat4_info *mi);

/* ---- the WFDB reader, over files supplied by a callback ---- */
/* Give the bytes of signal file `name`; *data stays owned by the loader until
 * the next call or the end of the read. Return 0 or a negative status (with
 * ecgx_error set). */
typedef int (*wfdb_loader)(void *ctx, const char *name, const uint8_t **data, size_t *n);

int ecgx_wfdb_read_from(const wfdb_header *h, const char *src, wfdb_loader load, void *ctx,
                        ecgx_record **out, ecgx_read_info *info);

/* ---- CSV ---- */
int ecgx_csv_parse(const char *text, size_t len, double fs, const char *src, ecgx_record **out);

/* ---- annotations ---- */
int ecgx_annot_parse(const uint8_t *buf, size_t len, const char *src, ecgx_annotations **out);
/* Encode as an MIT annotation file; *buf is malloc'd. */
int ecgx_annot_encode(const ecgx_annotations *ann, const char *src, uint8_t **buf, size_t *len);

/* Append a warning to info->warning ("; "-separated, truncated when full). */
void ecgx_info_warn(ecgx_read_info *info, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
