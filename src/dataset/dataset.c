/* ecgx_dataset: folders combined into one indexed dataset, with one label
 * set unified by class name across them. */
#include "dataset/internal.h"

#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/io.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const kind_names[] = {"", "ptbxl", "labels-csv", "challenge", "wfdb"};

void ecgx_dataset_options_init(ecgx_dataset_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->ptbxl_rate = 100;
}

static void add_warning(ecgx_dataset *ds, const char *fmt, const char *a, const char *b)
{
    size_t len = strlen(ds->warnings);
    if (len + 2 >= sizeof ds->warnings) return;
    snprintf(ds->warnings + len, sizeof ds->warnings - len, fmt, a, b);
}

void ecgx_dataset_free(ecgx_dataset *ds)
{
    if (!ds) return;
    for (int s = 0; s < ds->n_sources; s++) {
        ds_source_clear(&ds->sources[s]);
        free(ds->sources[s].dir);
        ds_cache_close(ds->sources[s].cache);
    }
    free(ds->sources);
    for (int i = 0; i < ds->n; i++) free(ds->recs[i].path);
    free(ds->recs);
    for (int c = 0; c < ds->n_classes; c++) free(ds->classes[c]);
    free(ds->classes);
    free(ds->y);
    free(ds);
}

/* Split a comma-separated list into trimmed, non-empty, malloc'd items. */
static int split_list(const char *list, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    char *copy = strdup(list ? list : "");
    if (!copy) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    int cap = 1;
    for (const char *p = copy; *p; p++) cap += *p == ',';
    char **items = calloc((size_t)cap, sizeof *items);
    if (!items) { free(copy); return ecgx_error(ECGX_ERR_NOMEM, "out of memory"); }
    char *save = NULL;
    int k = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        t = ecgx_trim(t);
        if (!*t) continue;
        if (!(items[k] = strdup(t))) {
            for (int i = 0; i < k; i++) free(items[i]);
            free(items);
            free(copy);
            return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
        }
        k++;
    }
    free(copy);
    *out = items;
    *n = k;
    return 0;
}

static void free_list(char **items, int n)
{
    for (int i = 0; i < n; i++) free(items[i]);
    free(items);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read one folder's entries with the labels of `set`. */
static int read_source(ds_source *src, int set, int mixed_kinds)
{
    switch (src->kind) {
    case DS_PTBXL:
        if (set == SET_DX || set == SET_LABELS)
            return ecgx_error(ECGX_ERR_ARG,
                              "%s: label set '%s' is not available in a PTB-XL folder (all, diagnostic, "
                              "subdiagnostic, superdiagnostic, form, rhythm, sex, age)",
                              src->dir, ds_set_name(set));
        src->set = set == SET_DEFAULT ? SET_SUPERDIAGNOSTIC : set;
        return ds_ptbxl_read(src, src->set);
    case DS_CHALLENGE: {
        /* the headers say whether this is a Challenge folder (a '#Dx' line
         * of SNOMED CT codes) or plain WFDB records (the kind becomes DS_WFDB) */
        int rc = ds_challenge_read(src);
        if (rc) return rc;
        if (src->kind == DS_WFDB && set != SET_SEX && set != SET_AGE)
            return ecgx_error(ECGX_ERR_ARG,
                              "%s: WFDB records without labels, not a Challenge folder (no header has a '#Dx' line "
                              "of SNOMED CT codes): %s%s%s; give labels in a CSV (labels.csv in the folder, or "
                              "--labels-file)",
                              src->dir, set == SET_DEFAULT ? "" : "label set '", set == SET_DEFAULT ? "" : ds_set_name(set),
                              set == SET_DEFAULT ? "only the sets sex and age can be read from it"
                                                 : "' is not available (only sex and age)");
        if (set != SET_DEFAULT && set != SET_DX && set != SET_SEX && set != SET_AGE && set != SET_SUPERDIAGNOSTIC)
            return ecgx_error(ECGX_ERR_ARG,
                              "%s: label set '%s' is not available in a Challenge folder (dx, superdiagnostic through "
                              "the SNOMED CT -> PTB-XL mapping, sex, age)",
                              src->dir, ds_set_name(set));
        src->set = set == SET_DEFAULT ? SET_DX : set;
        if (set == SET_SUPERDIAGNOSTIC) {
            /* external validation of a PTB-XL model: codes -> superclasses, all five declared */
            static const char *const super[5] = {"CD", "HYP", "MI", "NORM", "STTC"};
            for (int i = 0; i < src->n_entries && !rc; i++) rc = ds_entry_snomed_to_superclasses(&src->entries[i]);
            if (!rc && !(src->declared = calloc(5, sizeof *src->declared))) rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory");
            for (int k = 0; k < 5 && !rc; k++) {
                if (!(src->declared[k] = strdup(super[k]))) rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory");
                else src->n_declared = k + 1;
            }
        }
        return rc;
    }
    case DS_LABELS_CSV: {
        int provides = SET_LABELS;
        int rc = ds_labels_csv_read(src, set, &provides);
        if (rc) return rc;
        if (set == SET_SEX || set == SET_AGE) { src->set = set; return 0; }
        /* A labels.csv provides its own columns under any name when it is
         * alone; beside other kinds of folders the names must agree, or the
         * classes would silently mix two different label sets. */
        if (set != SET_DEFAULT && set != SET_LABELS && set != provides && mixed_kinds)
            return ecgx_error(ECGX_ERR_ARG,
                              "%s/labels.csv: its classes form the '%s' set, not '%s', and cannot be "
                              "combined with the other folders under that name",
                              src->dir, ds_set_name(provides), ds_set_name(set));
        src->set = provides;
        return 0;
    }
    default: return ecgx_error(ECGX_ERR_STATE, "%s: unknown folder kind", src->dir);
    }
}

/* Whether entry e has a value for the dataset's label set. */
static int entry_has_value(const ecgx_dataset *ds, const ds_entry *e)
{
    if (ds->set == SET_SEX) return e->sex != ECGX_SEX_UNKNOWN;
    if (ds->set == SET_AGE) return e->age >= 0;
    for (int j = 0; j < e->n_labels; j++)
        for (int c = 0; c < ds->n_classes; c++)
            if (strcmp(e->labels[j], ds->classes[c]) == 0) return 1;
    return 0;
}

static int build_classes(ecgx_dataset *ds, const char *fixed)
{
    if (fixed && *fixed) return split_list(fixed, &ds->classes, &ds->n_classes);
    if (ds->set == SET_SEX || ds->set == SET_AGE) {
        ds->classes = malloc(sizeof *ds->classes);
        if (!ds->classes || !(ds->classes[0] = strdup(ds->set == SET_SEX ? "female" : "age")))
            return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
        ds->n_classes = 1;
        return 0;
    }
    /* the union over all entries, sorted (MultiLabelBinarizer's order) */
    /* labels.csv columns count even when no record is positive: they are
     * the classes the file declares */
    size_t total = 0;
    for (int s = 0; s < ds->n_sources; s++) {
        total += (size_t)ds->sources[s].n_declared;
        for (int i = 0; i < ds->sources[s].n_entries; i++) total += (size_t)ds->sources[s].entries[i].n_labels;
    }
    char **all = ecgx_malloc_array(total ? total : 1, sizeof *all, "class names");
    if (!all) return ECGX_ERR_NOMEM;
    size_t k = 0;
    for (int s = 0; s < ds->n_sources; s++)
        for (int i = 0; i < ds->sources[s].n_declared; i++) all[k++] = ds->sources[s].declared[i];
    for (int s = 0; s < ds->n_sources; s++)
        for (int i = 0; i < ds->sources[s].n_entries; i++)
            for (int j = 0; j < ds->sources[s].entries[i].n_labels; j++) all[k++] = ds->sources[s].entries[i].labels[j];
    qsort(all, k, sizeof *all, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(all[u - 1], all[i]) != 0) all[u++] = all[i];
    ds->classes = calloc(u ? u : 1, sizeof *ds->classes);
    if (!ds->classes) { free(all); return ecgx_error(ECGX_ERR_NOMEM, "out of memory"); }
    for (size_t i = 0; i < u; i++)
        if (!(ds->classes[ds->n_classes++] = strdup(all[i]))) {
            free(all);
            return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
        }
    free(all);
    return 0;
}

/* Attach the cache at `path` to src; `strict` turns every problem into an
 * error, otherwise it is a warning and the folder is read from its files. */
static int attach_cache(ecgx_dataset *ds, ds_source *src, const char *path, int strict)
{
    ds_cache *c = NULL;
    int rc = ds_cache_open(path, &c);
    char real[PATH_MAX];
    if (rc == 0 && ds_cache_fingerprint(c) != src->fingerprint && realpath(src->dir, real) &&
        strcmp(real, ds_cache_dir(c)) != 0)
        rc = ecgx_error(ECGX_ERR_STATE, "%s: the cache was built for %s, not for %s", path, ds_cache_dir(c),
                        src->dir);
    if (rc == 0 && ds_cache_fingerprint(c) != src->fingerprint)
        rc = ecgx_error(ECGX_ERR_STATE,
                        "%s: stale cache: the files of %s changed since it was built (rebuild it with "
                        "'ecgx dataset cache')",
                        path, src->dir);
    for (int i = 0; rc == 0 && i < src->n_entries; i++)
        if (ds_cache_find(c, src->entries[i].rel) < 0)
            rc = ecgx_error(ECGX_ERR_STATE, "%s: stale cache: record %s is not in it", path,
                            src->entries[i].rel);
    if (rc) {
        ds_cache_close(c);
        if (strict) return rc;
        snprintf(src->cache_status, sizeof src->cache_status, "not used: %s", ecgx_last_error());
        add_warning(ds, "warning: %s; reading %s from its files\n", src->cache_status, src->dir);
        ecgx_clear_error();
        return 0;
    }
    src->cache = c;
    ecgx_strlcpy(src->cache_path, path, sizeof src->cache_path);
    ecgx_strlcpy(src->cache_status, "attached", sizeof src->cache_status);
    return 0;
}

static int attach_caches(ecgx_dataset *ds, const char *spec)
{
    for (int s = 0; s < ds->n_sources; s++) ecgx_strlcpy(ds->sources[s].cache_status, "none", 8);
    if (spec && strcmp(spec, "none") == 0) return 0;
    if (!spec || !*spec) {
        for (int s = 0; s < ds->n_sources; s++) {
            ds_source *src = &ds->sources[s];
            char path[4096];
            struct stat st;
            ds_cache_default_path(src->dir, src->kind, src->rate, path, sizeof path);
            if (stat(path, &st) != 0) continue;
            int rc = attach_cache(ds, src, path, 0);
            if (rc) return rc;
        }
        return 0;
    }
    char **paths;
    int n;
    int rc = split_list(spec, &paths, &n);
    if (rc) return rc;
    for (int i = 0; rc == 0 && i < n; i++) {
        ds_source *src = NULL;
        if (n == 1 && ds->n_sources == 1) {
            src = &ds->sources[0];
        } else {
            ds_cache *c = NULL;
            if ((rc = ds_cache_open(paths[i], &c))) break;
            char want[PATH_MAX];
            for (int s = 0; s < ds->n_sources && !src; s++)
                if (realpath(ds->sources[s].dir, want) && strcmp(want, ds_cache_dir(c)) == 0)
                    src = &ds->sources[s];
            if (!src)
                rc = ecgx_error(ECGX_ERR_ARG, "%s: the cache was built for %s, which is not among the folders",
                                paths[i], ds_cache_dir(c));
            ds_cache_close(c);
            if (rc) break;
        }
        if (src->cache) {
            rc = ecgx_error(ECGX_ERR_ARG, "%s: a second cache for %s", paths[i], src->dir);
            break;
        }
        rc = attach_cache(ds, src, paths[i], 1);
    }
    free_list(paths, n);
    return rc;
}

int ecgx_dataset_open(const char *dirs, const ecgx_dataset_options *opt_in, ecgx_dataset **out)
{
    *out = NULL;
    ecgx_dataset_options opt;
    if (opt_in) opt = *opt_in;
    else ecgx_dataset_options_init(&opt);
    if (opt.ptbxl_rate == 0) opt.ptbxl_rate = 100;
    if (opt.ptbxl_rate != 100 && opt.ptbxl_rate != 500)
        return ecgx_error(ECGX_ERR_ARG, "PTB-XL rate %d: use 100 or 500", opt.ptbxl_rate);
    int set = ds_set_parse(opt.label_set);
    if (set < 0)
        return ecgx_error(ECGX_ERR_ARG,
                          "unknown label set '%s' (superdiagnostic, subdiagnostic, diagnostic, form, rhythm, "
                          "all, dx, labels, sex, age)",
                          opt.label_set);
    char **dir_list;
    int n_dirs;
    int rc = split_list(dirs, &dir_list, &n_dirs);
    if (rc) return rc;
    if (n_dirs == 0) { free(dir_list); return ecgx_error(ECGX_ERR_ARG, "no data folder given"); }

    ecgx_dataset *ds = calloc(1, sizeof *ds);
    if (!ds || !(ds->sources = calloc((size_t)n_dirs, sizeof *ds->sources))) {
        free(ds);
        free_list(dir_list, n_dirs);
        return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    }
    ds->set = set;
    int kinds_seen = 0;
    for (int i = 0; i < n_dirs; i++) {
        ds_source *src = &ds->sources[ds->n_sources++];
        /* strip trailing slashes so paths read dir/rel */
        size_t len = strlen(dir_list[i]);
        while (len > 1 && dir_list[i][len - 1] == '/') dir_list[i][--len] = '\0';
        src->dir = dir_list[i];
        dir_list[i] = NULL;
        src->rate = opt.ptbxl_rate;
        if (opt.labels_file && *opt.labels_file) {
            /* the labels come from a CSV outside the folder: it is a labels.csv folder */
            FILE *lf = fopen(opt.labels_file, "r");
            if (!lf) {
                rc = ecgx_error(ECGX_ERR_IO, "%s: cannot open the labels file", opt.labels_file);
                goto fail;
            }
            fclose(lf);
            if (n_dirs != 1) {
                rc = ecgx_error(ECGX_ERR_ARG, "%s: a labels file goes with one data folder (%d given)", opt.labels_file, n_dirs);
                goto fail;
            }
            struct stat st;
            if (stat(src->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
                rc = ecgx_error(ECGX_ERR_IO, "%s: no such folder", src->dir);
                goto fail;
            }
            src->kind = DS_LABELS_CSV;
            src->labels_path = opt.labels_file;
        } else if (!(src->kind = ds_detect_kind(src->dir))) {
            rc = ECGX_ERR_FORMAT;
            goto fail;
        }
        if (opt.label_column && *opt.label_column) {
            if (src->kind != DS_LABELS_CSV) {
                rc = ecgx_error(ECGX_ERR_ARG, "%s: a label column is read from a labels CSV (labels.csv in the folder, or a labels file); this is a %s folder",
                                src->dir, kind_names[src->kind]);
                goto fail;
            }
            src->label_column = opt.label_column;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(ds->sources[j].dir, src->dir) == 0) {
                rc = ecgx_error(ECGX_ERR_ARG, "%s: folder given twice", src->dir);
                goto fail;
            }
        kinds_seen |= 1 << src->kind;
    }
    int mixed = (kinds_seen & ~(1 << DS_LABELS_CSV)) != 0;
    for (int s = 0; s < ds->n_sources; s++)
        if ((rc = read_source(&ds->sources[s], set, mixed))) goto fail;

    if (opt.split_file && *opt.split_file) {
        int matched;
        if ((rc = ds_apply_split_file(ds->sources, ds->n_sources, opt.split_file, &matched))) goto fail;
        if (matched == 0) {
            rc = ecgx_error(ECGX_ERR_ARG, "%s: none of its ids is a record of %s", opt.split_file, dirs);
            goto fail;
        }
    }
    if (set != SET_DEFAULT) {
        ecgx_strlcpy(ds->set_name, ds_set_name(set), sizeof ds->set_name);
    } else {
        ds->set = ds->sources[0].set;
        for (int s = 1; s < ds->n_sources; s++)
            if (ds->sources[s].set != ds->set) ds->set = SET_DEFAULT;
        ecgx_strlcpy(ds->set_name, ds->set == SET_DEFAULT ? "mixed" : ds_set_name(ds->set), sizeof ds->set_name);
    }
    if ((rc = build_classes(ds, opt.classes))) goto fail;

    size_t total = 0;
    for (int s = 0; s < ds->n_sources; s++) total += (size_t)ds->sources[s].n_entries;
    if (total > INT_MAX / 2) { rc = ecgx_error(ECGX_ERR_RANGE, "too many records"); goto fail; }
    ds->recs = ecgx_calloc_array(total ? total : 1, sizeof *ds->recs, "records");
    ds->y = ecgx_calloc_array((total ? total : 1) * (size_t)(ds->n_classes ? ds->n_classes : 1), sizeof *ds->y,
                              "labels");
    if (!ds->recs || !ds->y) { rc = ECGX_ERR_NOMEM; goto fail; }
    for (int s = 0; s < ds->n_sources; s++) {
        ds_source *src = &ds->sources[s];
        for (int i = 0; i < src->n_entries; i++) {
            const ds_entry *e = &src->entries[i];
            /* A labels.csv with one class column is a binary task: its 0 rows
             * are labelled negatives, not records without a label. */
            int binary = src->kind == DS_LABELS_CSV && src->n_declared == 1 && ds->set != SET_SEX && ds->set != SET_AGE;
            if (!opt.keep_unlabeled && (!binary || e->no_value) && !entry_has_value(ds, e)) {
                src->n_unlabeled++;
                continue;
            }
            ds_rec *r = &ds->recs[ds->n];
            r->source = s;
            r->entry = i;
            r->cache_entry = -1;
            size_t plen = strlen(src->dir) + strlen(e->rel) + 2;
            if (!(r->path = malloc(plen))) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); goto fail; }
            snprintf(r->path, plen, "%s/%s", src->dir, e->rel);
            float *y = ds->y + (size_t)ds->n * (size_t)ds->n_classes;
            if (ds->set == SET_SEX) {
                y[0] = e->sex == ECGX_SEX_FEMALE ? 1.0f : e->sex == ECGX_SEX_MALE ? 0.0f : NAN;
            } else if (ds->set == SET_AGE) {
                y[0] = e->age >= 0 ? (float)e->age : NAN;
            } else {
                for (int j = 0; j < e->n_labels; j++)
                    for (int c = 0; c < ds->n_classes; c++)
                        if (strcmp(e->labels[j], ds->classes[c]) == 0) y[c] = 1.0f;
            }
            src->n_used++;
            ds->n++;
        }
    }
    if ((rc = attach_caches(ds, opt.cache))) goto fail;
    for (int i = 0; i < ds->n; i++) {
        ds_rec *r = &ds->recs[i];
        const ds_source *src = &ds->sources[r->source];
        if (src->cache) r->cache_entry = ds_cache_find(src->cache, src->entries[r->entry].rel);
    }
    free_list(dir_list, n_dirs);
    *out = ds;
    return 0;
fail:
    free_list(dir_list, n_dirs);
    ecgx_dataset_free(ds);
    return rc;
}

int ecgx_dataset_size(const ecgx_dataset *ds) { return ds ? ds->n : 0; }
int ecgx_dataset_n_classes(const ecgx_dataset *ds) { return ds ? ds->n_classes : 0; }
const char *ecgx_dataset_label_set(const ecgx_dataset *ds) { return ds ? ds->set_name : ""; }
const char *ecgx_dataset_warnings(const ecgx_dataset *ds) { return ds ? ds->warnings : ""; }

const char *ecgx_dataset_class_name(const ecgx_dataset *ds, int c)
{
    return ds && c >= 0 && c < ds->n_classes ? ds->classes[c] : NULL;
}

int ds_check_index(const ecgx_dataset *ds, int i)
{
    if (!ds) return ecgx_error(ECGX_ERR_ARG, "dataset is NULL");
    if (i < 0 || i >= ds->n)
        return ecgx_error(ECGX_ERR_RANGE, "record index %d outside 0..%d", i, ds->n - 1);
    return 0;
}

int ecgx_dataset_record_info(const ecgx_dataset *ds, int i, ecgx_dataset_entry *info)
{
    int rc = ds_check_index(ds, i);
    if (rc) return rc;
    const ds_rec *r = &ds->recs[i];
    const ds_source *src = &ds->sources[r->source];
    const ds_entry *e = &src->entries[r->entry];
    info->id = e->id;
    info->path = r->path;
    info->source = r->source;
    info->fold = e->fold;
    info->split = (ecgx_split)e->split;
    info->age = e->age;
    info->sex = (ecgx_sex)e->sex;
    info->unit = src->unit;
    return 0;
}

int ecgx_dataset_labels(const ecgx_dataset *ds, int i, float *y)
{
    int rc = ds_check_index(ds, i);
    if (rc) return rc;
    memcpy(y, ds->y + (size_t)i * (size_t)ds->n_classes, (size_t)ds->n_classes * sizeof *y);
    return 0;
}

int ecgx_dataset_split(const ecgx_dataset *ds, const char *which, int **idx, int *n)
{
    *idx = NULL;
    *n = 0;
    if (!ds || !which) return ecgx_error(ECGX_ERR_ARG, "dataset or split is NULL");
    int want_split = -1, want_fold = 0, all = 0;
    if (!strcmp(which, "train")) want_split = ECGX_SPLIT_TRAIN;
    else if (!strcmp(which, "val")) want_split = ECGX_SPLIT_VAL;
    else if (!strcmp(which, "test")) want_split = ECGX_SPLIT_TEST;
    else if (!strcmp(which, "all")) all = 1;
    else if (!strncmp(which, "fold:", 5)) {
        if (ecgx_parse_int(which + 5, &want_fold) || want_fold < 1 || want_fold > 10)
            return ecgx_error(ECGX_ERR_ARG, "split '%s': the fold must be 1-10", which);
    } else {
        return ecgx_error(ECGX_ERR_ARG, "unknown split '%s' (train, val, test, all, fold:N)", which);
    }
    int *out = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *out);
    if (!out) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    int k = 0;
    for (int i = 0; i < ds->n; i++) {
        ecgx_dataset_entry info;
        ecgx_dataset_record_info(ds, i, &info);
        if (all || (want_fold ? info.fold == want_fold : (int)info.split == want_split)) out[k++] = i;
    }
    *idx = out;
    *n = k;
    return 0;
}

int ecgx_dataset_view(const ecgx_dataset *ds, int i, const float **data, int *n_leads, int64_t *n_samples,
                      double *fs)
{
    int rc = ds_check_index(ds, i);
    if (rc) return rc;
    const ds_rec *r = &ds->recs[i];
    const ds_source *src = &ds->sources[r->source];
    if (!src->cache || r->cache_entry < 0)
        return ecgx_error(ECGX_ERR_STATE, "%s: no cache attached to %s", r->path, src->dir);
    return ds_cache_samples(src->cache, r->cache_entry, 1, data, n_leads, n_samples, fs);
}

int ecgx_dataset_n_sources(const ecgx_dataset *ds) { return ds ? ds->n_sources : 0; }

int ecgx_dataset_source_info(const ecgx_dataset *ds, int s, ecgx_dataset_source *info)
{
    if (!ds || s < 0 || s >= ds->n_sources) return ecgx_error(ECGX_ERR_RANGE, "folder index %d out of range", s);
    const ds_source *src = &ds->sources[s];
    info->dir = src->dir;
    info->kind = kind_names[src->kind];
    info->label_set = ds_set_name(src->set);
    info->unit = src->unit;
    info->n_indexed = src->n_entries;
    info->n_missing = src->n_missing;
    info->n_used = src->n_used;
    info->n_unlabeled = src->n_unlabeled;
    info->cache_path = src->cache_path;
    info->cache_status = src->cache_status;
    return 0;
}

/* For the cache builder: every entry of a one-folder dataset. */
int ds_dataset_source_entries(const ecgx_dataset *ds, const ds_source **src)
{
    *src = ds->n_sources == 1 ? &ds->sources[0] : NULL;
    return *src ? (*src)->n_entries : 0;
}
