/* A small RFC 4180 CSV reader for metadata files (PTB-XL's database,
 * labels.csv): quoted fields with "" escapes and embedded newlines, CRLF or
 * LF line ends. It knows file and line of every row so that errors can name
 * them. */
#ifndef ECGX_DATASET_CSV_H
#define ECGX_DATASET_CSV_H

#include <stddef.h>

typedef struct csv_reader {
    char path[4096];
    char *text;          /* whole file, NUL-terminated */
    size_t len, pos;
    int line;            /* line where the current row starts (1-based) */
    int next_line;       /* line where the next row starts */
    char *row;           /* decoded fields of the current row, NUL-separated */
    size_t row_cap;
    char **fields;
    int n_fields, fields_cap;
} csv_reader;

/* Read the whole file; rows are then taken with csv_next. */
int csv_open(csv_reader *r, const char *path);
/* Parse a buffer (copied) as if it were the file `name`. */
int csv_open_text(csv_reader *r, const char *name, const char *text, size_t len);
/* Next row into r->fields / r->n_fields: 1 when a row was read, 0 at end,
 * negative ecgx_status on a malformed row (unterminated quote, garbage after
 * a closing quote). Blank lines are skipped. */
int csv_next(csv_reader *r);
void csv_close(csv_reader *r);

/* Index of the column named `name` in a header row, -1 when absent. */
int csv_find(char *const *fields, int n, const char *name);

#endif
