#include "dataset/csv.h"

#include "core/strutil.h"
#include "ecgx/common.h"
#include "ecgx/outfile.h"

#include <stdlib.h>
#include <string.h>

/* Metadata files are small; a gigabyte of CSV is a mistake, not a dataset. */
#define CSV_MAX_BYTES ((size_t)1 << 30)

int csv_open(csv_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    ecgx_strlcpy(r->path, path, sizeof r->path);
    r->line = r->next_line = 1;
    return ecgx_read_file(path, CSV_MAX_BYTES, &r->text, &r->len);
}

int csv_open_text(csv_reader *r, const char *name, const char *text, size_t len)
{
    memset(r, 0, sizeof *r);
    ecgx_strlcpy(r->path, name, sizeof r->path);
    r->line = r->next_line = 1;
    r->text = malloc(len + 1);
    if (!r->text) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", name);
    memcpy(r->text, text, len);
    r->text[len] = '\0';
    r->len = len;
    return 0;
}

void csv_close(csv_reader *r)
{
    free(r->text);
    free(r->row);
    free(r->fields);
    memset(r, 0, sizeof *r);
}

static int add_field(csv_reader *r, size_t start)
{
    if (r->n_fields == r->fields_cap) {
        int cap = r->fields_cap ? 2 * r->fields_cap : 32;
        char **f = realloc(r->fields, (size_t)cap * sizeof *f);
        if (!f) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", r->path);
        r->fields = f;
        r->fields_cap = cap;
    }
    /* Offsets for now: the row buffer may still move while it grows. */
    r->fields[r->n_fields++] = (char *)(uintptr_t)start;
    return 0;
}

int csv_next(csv_reader *r)
{
    const char *s = r->text;
    size_t n = r->len, p = r->pos;
    /* skip blank lines */
    while (p < n && (s[p] == '\n' || s[p] == '\r')) {
        if (s[p] == '\n') r->next_line++;
        p++;
    }
    r->n_fields = 0;
    if (p >= n) { r->pos = p; return 0; }
    r->line = r->next_line;
    size_t w = 0, fstart = 0;
    int line = r->line;
    int rc;
    if ((rc = add_field(r, 0))) return rc;
    for (;;) {
        if (w + 8 >= r->row_cap) {
            size_t cap = r->row_cap ? 2 * r->row_cap : 256;
            char *b = realloc(r->row, cap);
            if (!b) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", r->path);
            r->row = b;
            r->row_cap = cap;
        }
        if (p >= n || s[p] == '\n' || s[p] == '\r') {
            r->row[w++] = '\0';
            break;
        }
        if (s[p] == ',') {
            r->row[w++] = '\0';
            p++;
            if ((rc = add_field(r, w))) return rc;
            fstart = w;
            continue;
        }
        if (s[p] == '"' && w == fstart) {
            /* quoted field: runs to the matching quote, "" is a quote */
            int open_line = line;
            p++;
            for (;;) {
                if (w + 8 >= r->row_cap) {
                    size_t cap = 2 * r->row_cap;
                    char *b = realloc(r->row, cap);
                    if (!b) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", r->path);
                    r->row = b;
                    r->row_cap = cap;
                }
                if (p >= n) {
                    r->pos = n;
                    return ecgx_error(ECGX_ERR_FORMAT,
                                      "%s:%d: field %d: unterminated quoted field (opened on line %d)",
                                      r->path, open_line, r->n_fields, open_line);
                }
                if (s[p] == '"') {
                    if (p + 1 < n && s[p + 1] == '"') { r->row[w++] = '"'; p += 2; continue; }
                    p++;
                    break;
                }
                if (s[p] == '\n') line++;
                r->row[w++] = s[p++];
            }
            if (p < n && s[p] != ',' && s[p] != '\n' && s[p] != '\r') {
                r->pos = p;
                return ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field %d: text after a closing quote",
                                  r->path, line, r->n_fields);
            }
            continue;
        }
        r->row[w++] = s[p++];
    }
    /* consume the line end */
    if (p < n && s[p] == '\r') p++;
    if (p < n && s[p] == '\n') { p++; line++; }
    r->pos = p;
    r->next_line = line;
    for (int i = 0; i < r->n_fields; i++) r->fields[i] = r->row + (uintptr_t)r->fields[i];
    return 1;
}

int csv_find(char *const *fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0) return i;
    return -1;
}
