/* A split given from outside: a CSV whose first column is the record id and
 * which has a `split` (train/val/test) and/or a `fold` (1-10) column. It
 * overrides the folders' own splits for the records it lists, in every
 * folder (ids are matched as text); records it does not list keep theirs.
 * This is how a Challenge folder, which has no split of its own, gets a
 * published one instead of the name hash. */
#include "dataset/csv.h"
#include "dataset/internal.h"

#include "core/alloc.h"
#include "core/strutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct split_row {
    char *id;
    int split, fold;
} split_row;

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const split_row *)a)->id, ((const split_row *)b)->id);
}

static int parse_split(const char *s)
{
    if (!strcmp(s, "train")) return ECGX_SPLIT_TRAIN;
    if (!strcmp(s, "val") || !strcmp(s, "valid") || !strcmp(s, "validation")) return ECGX_SPLIT_VAL;
    if (!strcmp(s, "test")) return ECGX_SPLIT_TEST;
    return -1;
}

int ds_apply_split_file(ds_source *sources, int n_sources, const char *path, int *n_matched)
{
    *n_matched = 0;
    csv_reader r;
    int rc = csv_open(&r, path);
    if (rc) return rc;
    split_row *rows = NULL;
    int n = 0, cap = 0, width = 0, c_split = -1, c_fold = -1;
    if ((rc = csv_next(&r)) <= 0) {
        if (rc == 0) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: empty file", path);
        goto done;
    }
    width = r.n_fields;
    c_split = csv_find(r.fields, r.n_fields, "split");
    c_fold = csv_find(r.fields, r.n_fields, "fold");
    if (c_fold < 0) c_fold = csv_find(r.fields, r.n_fields, "strat_fold");
    if (c_split <= 0 && c_fold <= 0) {
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: missing column 'split' or 'fold' (after the id column)", path, r.line);
        goto done;
    }
    while ((rc = csv_next(&r)) > 0) {
        if (r.n_fields != width) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: %d fields, the header has %d", path, r.line, r.n_fields, width);
            goto done;
        }
        split_row row = {NULL, -1, 0};
        if (c_fold > 0 && (ecgx_parse_int(r.fields[c_fold], &row.fold) || row.fold < 1 || row.fold > 10)) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'fold': bad fold '%s' (1-10)", path, r.line,
                            r.fields[c_fold]);
            goto done;
        }
        if (c_split > 0 && (row.split = parse_split(r.fields[c_split])) < 0) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'split': '%s' is not train, val or test", path, r.line,
                            r.fields[c_split]);
            goto done;
        }
        if (row.split < 0) row.split = ds_split_of_fold(row.fold);
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            split_row *g = realloc(rows, (size_t)cap * sizeof *g);
            if (!g) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); goto done; }
            rows = g;
        }
        if (!(row.id = strdup(r.fields[0]))) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); goto done; }
        rows[n++] = row;
    }
    if (rc < 0) goto done;
    rc = 0;
    qsort(rows, (size_t)n, sizeof *rows, cmp_row);
    for (int i = 1; i < n; i++)
        if (!strcmp(rows[i].id, rows[i - 1].id)) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: id '%s' listed twice", path, rows[i].id);
            goto done;
        }
    for (int s = 0; s < n_sources; s++)
        for (int i = 0; i < sources[s].n_entries; i++) {
            ds_entry *e = &sources[s].entries[i];
            split_row key = {e->id, 0, 0};
            const split_row *m = n ? bsearch(&key, rows, (size_t)n, sizeof *rows, cmp_row) : NULL;
            if (!m) continue;
            e->split = m->split;
            if (m->fold) e->fold = m->fold;
            (*n_matched)++;
        }
done:
    for (int i = 0; i < n; i++) free(rows[i].id);
    free(rows);
    csv_close(&r);
    return rc < 0 ? rc : 0;
}
