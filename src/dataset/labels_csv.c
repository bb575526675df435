/* labels.csv folders: one row per record,
 *   <id>,split,filename...,[age],[sex],[fold|strat_fold],<CLASS>,<CLASS>,...
 * The first column is the id, the first column whose name starts with
 * "filename" the record path (relative, without extension; filename_lr /
 * filename_hr are chosen by the PTB-XL rate when both exist), and every other
 * column a 0/1 class. This is the form of ptbxl-filtered and of ecgx's
 * synthetic sets. The CSV may also lie outside the folder (src->labels_path,
 * ecgx_dataset_options.labels_file), and with src->label_column one column
 * of it is the label and the others are ignored (a metadata file). */
#include "dataset/csv.h"
#include "dataset/internal.h"

#include "core/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_split(const char *s)
{
    if (strcmp(s, "train") == 0) return ECGX_SPLIT_TRAIN;
    if (strcmp(s, "val") == 0 || strcmp(s, "valid") == 0 || strcmp(s, "validation") == 0)
        return ECGX_SPLIT_VAL;
    if (strcmp(s, "test") == 0) return ECGX_SPLIT_TEST;
    return -1;
}

static int parse_sex(const char *s)
{
    if (!strcmp(s, "0") || !strcmp(s, "0.0") || !strcasecmp_ascii(s, "m") || !strcasecmp_ascii(s, "male"))
        return ECGX_SEX_MALE;
    if (!strcmp(s, "1") || !strcmp(s, "1.0") || !strcasecmp_ascii(s, "f") || !strcasecmp_ascii(s, "female"))
        return ECGX_SEX_FEMALE;
    return -1;
}

/* The PTB-XL diagnostic superclasses: a labels.csv with exactly these class
 * columns provides the "superdiagnostic" set. */
static int is_superclass_set(char **names, int n)
{
    static const char *const super[] = {"CD", "HYP", "MI", "NORM", "STTC"};
    if (n != 5) return 0;
    for (int i = 0; i < 5; i++) {
        int found = 0;
        for (int j = 0; j < n; j++) found |= strcmp(names[j], super[i]) == 0;
        if (!found) return 0;
    }
    return 1;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_01(const char *v, int *one)
{
    if (!strcmp(v, "0") || !strcmp(v, "0.0")) { *one = 0; return 1; }
    if (!strcmp(v, "1") || !strcmp(v, "1.0")) { *one = 1; return 1; }
    return 0;
}

/* A label column's classes: its name when every non-empty cell is 0/1 (one
 * binary class), else its distinct values, sorted. */
static int label_column_classes(const char *path, int col, const char *name, char ***classes, int *n, int *binary)
{
    csv_reader r;
    int rc = csv_open(&r, path), cap = 0;
    *classes = NULL;
    *n = 0;
    *binary = 1;
    if (rc) return rc;
    char **vals = NULL;
    int nv = 0;
    if (csv_next(&r) > 0) /* the header */
        while ((rc = csv_next(&r)) > 0) {
            if (col >= r.n_fields) continue; /* the main pass names the short row */
            const char *v = r.fields[col];
            int one;
            if (!*v) continue;
            if (!is_01(v, &one)) *binary = 0;
            if (strchr(v, ',')) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field '%s': class name '%s' has a comma", path, r.line, name, v);
                break;
            }
            int seen = 0;
            for (int k = 0; k < nv && !seen; k++) seen = !strcmp(vals[k], v);
            if (seen) continue;
            if (nv == cap) {
                cap = cap ? 2 * cap : 16;
                char **nvv = realloc(vals, sizeof *nvv * (size_t)cap);
                if (!nvv) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); break; }
                vals = nvv;
            }
            if (!(vals[nv] = strdup(v))) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); break; }
            nv++;
        }
    csv_close(&r);
    if (rc >= 0 && *binary) {
        for (int k = 0; k < nv; k++) free(vals[k]);
        nv = 0;
        char **one = realloc(vals, sizeof *one);
        if (!one || !(one[0] = strdup(name))) {
            free(one ? one : vals);
            return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
        }
        vals = one;
        nv = 1;
    } else if (rc >= 0) {
        qsort(vals, (size_t)nv, sizeof *vals, cmp_cstr);
    }
    if (rc < 0) {
        for (int k = 0; k < nv; k++) free(vals[k]);
        free(vals);
        return rc;
    }
    *classes = vals;
    *n = nv;
    return 0;
}

int ds_labels_csv_read(ds_source *src, int set, int *provides)
{
    (void)set;
    char path[4096];
    uint64_t fp = DS_FNV_INIT;
    if (src->labels_path) {
        snprintf(path, sizeof path, "%s", src->labels_path);
        /* fingerprinted as any file: folder, stem and extension */
        char pdir[4096], stem[1024];
        const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path, *dot = strrchr(name, '.');
        snprintf(pdir, sizeof pdir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        snprintf(stem, sizeof stem, "%.*s", dot ? (int)(dot - name) : (int)strlen(name), name);
        ds_fingerprint_file(&fp, pdir, stem, dot ? dot : "");
    } else {
        if (ecgx_path_join(path, sizeof path, src->dir, "labels.csv"))
            return ecgx_error(ECGX_ERR_ARG, "%s: path too long", src->dir);
        ds_fingerprint_file(&fp, src->dir, "labels", ".csv");
    }
    int c_label = -1, label_binary = 0;
    fp = ds_fnv1a(fp, &src->rate, sizeof src->rate);
    csv_reader r;
    int rc = csv_open(&r, path);
    if (rc) return rc;
    int width = 0, c_split = -1, c_file = -1, c_age = -1, c_sex = -1, c_fold = -1;
    int *is_class = NULL;
    char **class_names = NULL;
    int n_class = 0;
    if ((rc = csv_next(&r)) <= 0) {
        if (rc == 0) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: empty file", path);
        goto done;
    }
    width = r.n_fields;
    {
        const char *want = src->rate == 500 ? "filename_hr" : "filename_lr";
        for (int i = 1; i < width; i++) {
            const char *h = r.fields[i];
            if (!strcmp(h, "split")) c_split = i;
            else if (!strcmp(h, "age")) c_age = i;
            else if (!strcmp(h, "sex")) c_sex = i;
            else if (!strcmp(h, "fold") || !strcmp(h, "strat_fold")) c_fold = i;
            else if (!strncmp(h, "filename", 8)) {
                if (c_file < 0 || !strcmp(h, want)) c_file = i;
            }
        }
        if (width < 2 || !*r.fields[0]) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: the first column must name the record id", path, r.line);
            goto done;
        }
        if (src->label_column) {
            c_label = csv_find(r.fields, width, src->label_column);
            if (c_label <= 0 || c_label == c_split || c_label == c_fold || c_label == c_file) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: no label column '%s' (the first column is the id)", path, r.line,
                                src->label_column);
                goto done;
            }
            if (c_file < 0) c_file = 0; /* a metadata file naming records by id */
        }
        if (c_file < 0) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: missing column 'filename' (a column whose name starts with 'filename')",
                            path, r.line);
            goto done;
        }
        is_class = calloc((size_t)width, sizeof *is_class);
        class_names = calloc((size_t)width, sizeof *class_names);
        if (!is_class || !class_names) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); goto done; }
        if (c_label > 0) {
            free(class_names); /* replaced by the column's classes */
            class_names = NULL;
            rc = label_column_classes(path, c_label, src->label_column, &class_names, &n_class, &label_binary);
            if (rc) goto done;
            if (n_class == 0) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: column '%s' is empty in every row", path, src->label_column);
                goto done;
            }
        }
        for (int i = 1; i < width && c_label < 0; i++) {
            const char *h = r.fields[i];
            if (i == c_split || i == c_age || i == c_sex || i == c_fold || !strncmp(h, "filename", 8)) continue;
            if (!*h) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: column %d has no name", path, r.line, i + 1);
                goto done;
            }
            for (int j = 0; j < n_class; j++)
                if (!strcmp(class_names[j], h)) {
                    rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: column '%s' appears twice", path, r.line, h);
                    goto done;
                }
            is_class[i] = 1;
            if (!(class_names[n_class++] = strdup(h))) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); goto done; }
        }
        if (n_class == 0) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: no class columns", path, r.line);
            goto done;
        }
    }
    if (width > 1024) {
        rc = ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: more than 1024 columns", path);
        goto done;
    }
    *provides = is_superclass_set(class_names, n_class) ? SET_SUPERDIAGNOSTIC : SET_LABELS;
    src->declared = class_names;   /* the source owns them from here */
    src->n_declared = n_class;
    {
        /* the header row's names stay valid only until the next row */
        char **names = calloc((size_t)width, sizeof *names);
        if (!names) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); goto done; }
        for (int i = 0, k = 0; i < width; i++) names[i] = is_class[i] ? class_names[k++] : NULL;
        while ((rc = csv_next(&r)) > 0) {
            if (r.n_fields != width) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: %d fields, the header has %d", path, r.line,
                                r.n_fields, width);
                break;
            }
            const char *id = r.fields[0], *rel = r.fields[c_file];
            int split = -1, fold = 0, sex = ECGX_SEX_UNKNOWN;
            double age = -1;
            if (!*id) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 1: empty id", path, r.line); break; }
            if (c_split >= 0 && (split = parse_split(r.fields[c_split])) < 0) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'split': '%s' is not train, val or test", path,
                                r.line, r.fields[c_split]);
                break;
            }
            if (c_fold >= 0 && *r.fields[c_fold] &&
                (ecgx_parse_int(r.fields[c_fold], &fold) || fold < 1 || fold > 10)) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'fold': bad fold '%s' (1-10)", path, r.line,
                                r.fields[c_fold]);
                break;
            }
            if (c_age >= 0 && *r.fields[c_age] && (ecgx_parse_double(r.fields[c_age], &age) || age < 0)) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'age': bad number '%s'", path, r.line,
                                r.fields[c_age]);
                break;
            }
            if (c_sex >= 0 && *r.fields[c_sex] && (sex = parse_sex(r.fields[c_sex])) < 0) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'sex': '%s' is not 0/1/M/F", path, r.line,
                                r.fields[c_sex]);
                break;
            }
            if (!*rel || strstr(rel, "..") || rel[0] == '/') {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field '%s': bad record path '%s'", path, r.line,
                                "filename", rel);
                break;
            }
            /* class cells: 0 or 1 */
            unsigned char pos[1024];
            int bad = 0;
            for (int i = 0; i < width && !bad && c_label < 0; i++) {
                if (!names[i]) continue;
                double v;
                if (ecgx_parse_double(r.fields[i], &v) || (v != 0 && v != 1)) {
                    rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field '%s': '%s' is not 0 or 1", path, r.line,
                                    names[i], r.fields[i]);
                    bad = 1;
                }
                pos[i] = v == 1;
            }
            if (bad) break;
            uint64_t h = fp;
            if (!ds_fingerprint_file(&h, src->dir, rel, ".hea")) { src->n_missing++; continue; }
            ds_fingerprint_file(&h, src->dir, rel, ".dat");
            ds_fingerprint_file(&h, src->dir, rel, ".mat");
            fp = h;
            ds_entry *e = ds_source_add(src);
            if (!e) { rc = ECGX_ERR_NOMEM; break; }
            e->id = strdup(id);
            e->rel = strdup(rel);
            if (!e->id || !e->rel) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); break; }
            e->split = split;
            e->fold = fold;
            /* no split and no fold: derived from the id, as for Challenge records */
            if (split < 0 && fold == 0) e->fold = ds_hash_fold(id);
            if (split < 0) e->split = ds_split_of_fold(e->fold);
            e->age = age;
            e->sex = sex;
            if (c_label > 0) {
                const char *v = r.fields[c_label];
                int one = 0;
                e->no_value = !*v;
                if (*v && label_binary) is_01(v, &one);
                if (*v && (!label_binary || one)) rc = ds_entry_add_label(e, label_binary ? src->label_column : v);
            }
            for (int i = 0; i < width && rc >= 0 && c_label < 0; i++)
                if (names[i] && pos[i]) rc = ds_entry_add_label(e, names[i]);
            if (rc < 0) break;
            if (!src->unit[0]) {
                char hea[4096];
                snprintf(hea, sizeof hea, "%s/%s.hea", src->dir, rel);
                ds_header_unit(hea, src->unit, sizeof src->unit);
            }
        }
        free(names);
    }
done:
    csv_close(&r);
    if (class_names != src->declared) {
        for (int i = 0; i < n_class; i++) free(class_names[i]);
        free(class_names);
    }
    free(is_class);
    src->fingerprint = fp;
    return rc < 0 ? rc : 0;
}
