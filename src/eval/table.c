/* Prediction and truth tables: `record,<class1>,...` CSV files, and their
 * alignment by record id and class name. */
#include "eval/eval_internal.h"
#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/outfile.h"

#include <stdlib.h>
#include <string.h>

#define TABLE_MAX_BYTES ((size_t)1 << 31)
#define TABLE_MAX_COLS 100000

void ecgx_eval_table_free(ecgx_eval_table *t)
{
    if (!t) return;
    if (t->records)
        for (int64_t i = 0; i < t->n_rows; i++) free(t->records[i]);
    if (t->classes)
        for (int c = 0; c < t->n_classes; c++) free(t->classes[c]);
    free(t->records);
    free(t->classes);
    free(t->values);
    free(t);
}

/* Split a line in place at commas; strips blanks and one level of double
 * quotes. Returns the number of fields (at most max; -1 when more). */
static int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (n == max) return -1;
        char *f = ecgx_trim(p);
        size_t len = strlen(f);
        if (len >= 2 && f[0] == '"' && f[len - 1] == '"') { f[len - 1] = '\0'; f++; }
        fields[n++] = f;
        if (!comma) return n;
        p = comma + 1;
    }
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

int ecgx_eval_table_read(const char *path, ecgx_eval_table **out)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc = ecgx_read_file(path, TABLE_MAX_BYTES, &buf, &len);
    if (rc) return rc;
    if (memchr(buf, '\0', len)) { free(buf); return ecgx_error(ECGX_ERR_FORMAT, "%s: binary data, not a CSV table", path); }
    /* count lines for an upper bound on rows */
    int64_t n_lines = 1;
    for (size_t i = 0; i < len; i++) n_lines += buf[i] == '\n';
    ecgx_eval_table *t = calloc(1, sizeof *t);
    char **fields = NULL;
    if (!t) { free(buf); return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); }
    char *save = NULL, *line = buf;
    int64_t lineno = 0;
    rc = 0;
    for (char *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *tl = ecgx_trim(line);
        if (!*tl) continue;
        if (!t->classes) {
            /* header */
            int max = 1;
            for (char *q = tl; *q; q++) max += *q == ',';
            if (max > TABLE_MAX_COLS) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: %d columns is too many", path, max); goto fail; }
            fields = calloc((size_t)max, sizeof *fields);
            if (!fields) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); goto fail; }
            int nf = split_fields(tl, fields, max);
            if (nf < 2) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: header needs 'record' and at least one class column", path); goto fail; }
            if (strcasecmp_ascii(fields[0], "record") != 0)
                { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: line %lld: first header column is '%s', expected 'record'", path, (long long)lineno, fields[0]); goto fail; }
            t->n_classes = nf - 1;
            t->classes = calloc((size_t)t->n_classes, sizeof *t->classes);
            t->records = ecgx_calloc_array((size_t)n_lines, sizeof *t->records, "table rows");
            t->values = ecgx_malloc_array((size_t)n_lines, (size_t)t->n_classes * sizeof(double), "table values");
            if (!t->classes || !t->records || !t->values) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); goto fail; }
            for (int c = 0; c < t->n_classes; c++) {
                if (!*fields[c + 1]) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: header column %d has no name", path, c + 2); goto fail; }
                for (int d = 0; d < c; d++)
                    if (strcmp(t->classes[d], fields[c + 1]) == 0)
                        { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: class '%s' appears twice in the header", path, fields[c + 1]); goto fail; }
                if (!(t->classes[c] = strdup(fields[c + 1]))) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); goto fail; }
            }
            continue;
        }
        int nf = split_fields(tl, fields, t->n_classes + 1);
        if (nf != t->n_classes + 1)
            { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: line %lld has %s fields than the header's %d", path, (long long)lineno, nf < 0 ? "more" : "fewer", t->n_classes + 1); goto fail; }
        if (!*fields[0]) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: line %lld: empty record id", path, (long long)lineno); goto fail; }
        int64_t r = t->n_rows;
        for (int c = 0; c < t->n_classes; c++) {
            double v;
            if (ecgx_parse_double(fields[c + 1], &v))
                { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: line %lld, column '%s': '%s' is not a finite number", path, (long long)lineno, t->classes[c], fields[c + 1]); goto fail; }
            t->values[(size_t)r * t->n_classes + c] = v;
        }
        if (!(t->records[r] = strdup(fields[0]))) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); goto fail; }
        t->n_rows++;
    }
    if (!t->classes) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: empty file (no header)", path); goto fail; }
    if (t->n_rows == 0) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: no data rows", path); goto fail; }
    /* duplicate ids would make matching ambiguous */
    {
        char **sorted = ecgx_malloc_array((size_t)t->n_rows, sizeof *sorted, "table ids");
        char ***ptrs = ecgx_malloc_array((size_t)t->n_rows, sizeof *ptrs, "table ids");
        if (!sorted || !ptrs) { free(sorted); free(ptrs); rc = ECGX_ERR_NOMEM; goto fail; }
        for (int64_t i = 0; i < t->n_rows; i++) ptrs[i] = &t->records[i];
        qsort(ptrs, (size_t)t->n_rows, sizeof *ptrs, cmp_str_ptr);
        for (int64_t i = 1; i < t->n_rows; i++)
            if (strcmp(*ptrs[i], *ptrs[i - 1]) == 0) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: record '%s' appears on two rows", path, *ptrs[i]);
                break;
            }
        free(sorted);
        free(ptrs);
        if (rc) goto fail;
    }
    (void)save;
    free(fields);
    free(buf);
    *out = t;
    return 0;
fail:
    free(fields);
    free(buf);
    ecgx_eval_table_free(t);
    return rc;
}

static int cmp_id(const void *key, const void *elem)
{
    return strcmp((const char *)key, **(char *const *const *)elem);
}

int ecgx_eval_align(const ecgx_eval_table *pred, const char *pred_path, const ecgx_eval_table *truth,
                    const char *truth_path, double **scores, uint8_t **labels)
{
    *scores = NULL;
    *labels = NULL;
    int C = truth->n_classes;
    int64_t n = truth->n_rows;
    int *col = ecgx_malloc_array((size_t)C, sizeof *col, "class map");
    char ***ptrs = ecgx_malloc_array((size_t)pred->n_rows, sizeof *ptrs, "record index");
    double *s = ecgx_malloc_array((size_t)n, (size_t)C * sizeof *s, "aligned scores");
    uint8_t *l = ecgx_malloc_array((size_t)n, (size_t)C, "aligned labels");
    int rc = ECGX_ERR_NOMEM;
    if (!col || !ptrs || !s || !l) goto fail;
    for (int c = 0; c < C; c++) {
        col[c] = -1;
        for (int k = 0; k < pred->n_classes; k++)
            if (strcmp(pred->classes[k], truth->classes[c]) == 0) { col[c] = k; break; }
        if (col[c] < 0) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: class '%s' (from %s) has no column", pred_path, truth->classes[c], truth_path);
            goto fail;
        }
    }
    for (int64_t i = 0; i < pred->n_rows; i++) ptrs[i] = &pred->records[i];
    qsort(ptrs, (size_t)pred->n_rows, sizeof *ptrs, cmp_str_ptr);
    for (int64_t i = 0; i < n; i++) {
        char ***hit = bsearch(truth->records[i], ptrs, (size_t)pred->n_rows, sizeof *ptrs, cmp_id);
        int64_t stem_row = -1;
        if (!hit) {
            /* `ecgx predict` names rows by the path it was given; a truth file
             * usually names the record alone: accept a unique stem match */
            char want[512], have[512];
            ecgx_path_stem(truth->records[i], want, sizeof want);
            int matches = 0;
            for (int64_t k = 0; k < pred->n_rows && matches < 2; k++) {
                ecgx_path_stem(pred->records[k], have, sizeof have);
                if (strcmp(want, have) == 0) { stem_row = k; matches++; }
            }
            if (matches > 1) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: record '%s' (from %s) matches several rows by name", pred_path,
                                truth->records[i], truth_path);
                goto fail;
            }
        }
        if (!hit && stem_row < 0) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: record '%s' (from %s) has no row", pred_path, truth->records[i], truth_path);
            goto fail;
        }
        int64_t r = hit ? *hit - pred->records : stem_row;
        for (int c = 0; c < C; c++) {
            double y = truth->values[(size_t)i * C + c];
            if (y != 0 && y != 1) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: record '%s', class '%s': truth %g is not 0 or 1", truth_path,
                                truth->records[i], truth->classes[c], y);
                goto fail;
            }
            l[(size_t)i * C + c] = (uint8_t)y;
            s[(size_t)i * C + c] = pred->values[(size_t)r * pred->n_classes + col[c]];
        }
    }
    free(col);
    free(ptrs);
    *scores = s;
    *labels = l;
    return 0;
fail:
    free(col); free(ptrs); free(s); free(l);
    return rc;
}
