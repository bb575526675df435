/* Relevance from CSV, in the form `ecgx explain --csv` writes: a header row
 * of lead names, then one row per sample with one value per lead. */
#include "render/render_internal.h"
#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/outfile.h"

#include <stdlib.h>
#include <string.h>

int ecgx_relevance_read_csv(const char *path, const ecgx_record *rec, float **out)
{
    *out = NULL;
    if (!rec || rec->n_leads < 1 || rec->n_samples < 1) return ecgx_error(ECGX_ERR_ARG, "%s: no record to match", path);
    char *buf;
    size_t len;
    int rc = ecgx_read_file(path, (size_t)1 << 31, &buf, &len);
    if (rc) return rc;
    float *rel = ecgx_calloc_array((size_t)rec->n_leads * rec->n_samples, sizeof *rel, "relevance");
    int *map = NULL;
    char **fields = NULL;
    if (!rel) { free(buf); return ECGX_ERR_NOMEM; }
    char *line = buf, *next;
    int ncols = -1, any = 0;
    int64_t row = 0, lineno = 0;
    rc = 0;
    for (; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *t = ecgx_trim(line);
        if (!*t) continue;
        /* split on commas */
        int n = 1;
        for (char *q = t; *q; q++) n += *q == ',';
        if (ncols < 0) {
            if (n > 4096) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: %d columns is too many", path, n); goto done; }
            ncols = n;
            fields = calloc((size_t)n, sizeof *fields);
            map = calloc((size_t)n, sizeof *map);
            if (!fields || !map) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); goto done; }
        } else if (n != ncols) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: line %lld has %d fields, the header has %d", path, (long long)lineno, n, ncols);
            goto done;
        }
        char *p = t;
        for (int k = 0; k < n; k++) {
            char *c = strchr(p, ',');
            if (c) *c = '\0';
            fields[k] = ecgx_trim(p);
            size_t fl = strlen(fields[k]);
            if (fl >= 2 && fields[k][0] == '"' && fields[k][fl - 1] == '"') { fields[k][fl - 1] = '\0'; fields[k]++; }
            p = c ? c + 1 : p + strlen(p);
        }
        if (!any) {
            /* header: lead names */
            for (int k = 0; k < n; k++) {
                int l = ecgx_record_find_lead(rec, fields[k]);
                if (l < 0 && strcmp(fields[k], "") != 0) {
                    /* a column the record lacks (e.g. a time column) is ignored */
                    map[k] = -1;
                    continue;
                }
                for (int j = 0; j < k; j++)
                    if (map[j] == l && l >= 0) {
                        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: lead '%s' appears twice in the header", path, fields[k]);
                        goto done;
                    }
                map[k] = l;
                any |= l >= 0;
            }
            if (!any) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: no header column names a lead of record '%s'", path, rec->name);
                goto done;
            }
            continue;
        }
        if (row >= rec->n_samples) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: more rows than the record's %lld samples", path, (long long)rec->n_samples);
            goto done;
        }
        for (int k = 0; k < n; k++) {
            if (map[k] < 0) continue;
            double v;
            if (ecgx_parse_double(fields[k], &v)) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: line %lld, lead %s: '%s' is not a finite number", path,
                                (long long)lineno, rec->leads[map[k]].name, fields[k]);
                goto done;
            }
            rel[(size_t)map[k] * rec->n_samples + row] = (float)v;
        }
        row++;
    }
    if (ncols < 0) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: empty file", path); goto done; }
    if (row != rec->n_samples)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: %lld rows of relevance, the record has %lld samples", path, (long long)row,
                        (long long)rec->n_samples);
done:
    free(buf);
    free(fields);
    free(map);
    if (rc) { free(rel); return rc; }
    *out = rel;
    return 0;
}
