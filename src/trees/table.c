/* The measurement table: every ecgx_measure quantity of every record, with
 * its unit in the column name, plus age and sex; missing stays NaN. */
#include "ecgx/trees.h"
#include "ecgx/io.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"
#include "core/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecgx_trees_table_free(ecgx_trees_table *t)
{
    if (!t) return;
    for (int c = 0; c < t->n_cols; c++) free(t->cols[c]);
    for (int i = 0; i < t->n_rows; i++) {
        if (t->ids) free(t->ids[i]);
        if (t->paths) free(t->paths[i]);
        if (t->errors) free(t->errors[i]);
    }
    for (int k = 0; k < t->n_classes; k++) free(t->classes[k]);
    free(t->cols); free(t->x); free(t->ids); free(t->paths); free(t->fold); free(t->split);
    free(t->classes); free(t->y); free(t->errors); free(t->label_set);
    free(t);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The unit a measurement carries: intervals in ms, rate in bpm, axes in
 * degrees, amplitudes in the record's unit. Axes of non-mV records are still
 * degrees but of leads scaled one by one, so they get their own column. */
static void column_name(const char *feat, int mv, char *out, size_t n)
{
    char base[40]; /* measure's names are short; room for the unit suffix */
    snprintf(base, sizeof base, "%.39s", feat);
    if (ends_with(base, "_Global")) base[strlen(base) - 7] = 0;
    const char *amp = mv ? "mV" : "z";
    if (!strcmp(base, "HR")) snprintf(out, n, "HR_bpm");
    else if (!strcmp(base, "RR_mean") || !strcmp(base, "RR_SD") || !strcmp(base, "RMSSD") || !strcmp(base, "PR") ||
             !strcmp(base, "QRS") || !strcmp(base, "QT") || !strncmp(base, "QTc", 3))
        snprintf(out, n, "%s_ms", base);
    else if (ends_with(base, "_axis")) snprintf(out, n, mv ? "%s_deg" : "%s_deg_z", base);
    else snprintf(out, n, "%s_%s", base, amp);
}

int ecgx_trees_record_columns(const ecgx_features *f, const char *unit, double age, ecgx_sex sex,
                              ecgx_features **out)
{
    *out = NULL;
    int nf = f ? f->n : 0, cap = nf + 3;
    ecgx_features *o = calloc(1, sizeof *o);
    if (o) {
        o->names = ecgx_calloc_array((size_t)cap, sizeof *o->names, "trees");
        o->values = ecgx_malloc_array((size_t)cap, sizeof *o->values, "trees");
    }
    if (!o || !o->names || !o->values) { ecgx_features_free(o); return ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); }
    int mv = unit && !strcmp(unit, "mV");
    double qt = NAN, hr = NAN;
    for (int i = 0; i < nf; i++) {
        column_name(f->names[i], mv, o->names[o->n], ECGX_FEATURE_NAME_MAX);
        o->values[o->n++] = isfinite(f->values[i]) ? f->values[i] : NAN;
        if (!strcmp(f->names[i], "QT_Global")) qt = f->values[i];
        if (!strcmp(f->names[i], "HR_Global")) hr = f->values[i];
    }
    if (f) { /* Hodges' correction, the fourth the issue names: QT + 1.75 (HR - 60) */
        snprintf(o->names[o->n], ECGX_FEATURE_NAME_MAX, "QTcHodges_ms");
        o->values[o->n++] = isfinite(qt) && isfinite(hr) ? qt + 1.75 * (hr - 60) : NAN;
    }
    snprintf(o->names[o->n], ECGX_FEATURE_NAME_MAX, "age_years");
    o->values[o->n++] = age >= 0 && isfinite(age) ? age : NAN;
    snprintf(o->names[o->n], ECGX_FEATURE_NAME_MAX, "sex_female");
    o->values[o->n++] = sex == ECGX_SEX_FEMALE ? 1.0 : sex == ECGX_SEX_MALE ? 0.0 : NAN;
    *out = o;
    return 0;
}

int ecgx_trees_table_col(const ecgx_trees_table *t, const char *name)
{
    for (int c = 0; c < t->n_cols; c++) if (!strcmp(t->cols[c], name)) return c;
    return -1;
}

static int add_col(ecgx_trees_table *t, int *cap, const char *name)
{
    int c = ecgx_trees_table_col(t, name);
    if (c >= 0) return c;
    if (t->n_cols == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        char **nc = realloc(t->cols, sizeof *nc * (size_t)*cap);
        if (!nc) return -1;
        t->cols = nc;
    }
    t->cols[t->n_cols] = strdup(name);
    return t->cols[t->n_cols] ? t->n_cols++ : -1;
}

int ecgx_trees_table_build(const ecgx_dataset *ds, const char *split, int quiet, ecgx_trees_table **out)
{
    *out = NULL;
    int *idx = NULL, n = 0;
    int rc = ecgx_dataset_split(ds, split && *split ? split : "all", &idx, &n);
    if (rc) return rc;
    if (n == 0) { free(idx); return ecgx_error(ECGX_ERR_ARG, "trees: the split '%s' has no records", split ? split : "all"); }
    int K = ecgx_dataset_n_classes(ds);
    ecgx_trees_table *t = calloc(1, sizeof *t);
    ecgx_features **rows = ecgx_calloc_array((size_t)n, sizeof *rows, "trees");
    if (!t || !rows) { free(t); free(rows); free(idx); return ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); }
    t->n_rows = n;
    t->n_classes = K;
    t->ids = calloc((size_t)n, sizeof *t->ids);
    t->paths = calloc((size_t)n, sizeof *t->paths);
    t->errors = calloc((size_t)n, sizeof *t->errors);
    t->fold = calloc((size_t)n, sizeof *t->fold);
    t->split = calloc((size_t)n, sizeof *t->split);
    t->classes = calloc((size_t)K + 1, sizeof *t->classes);
    t->y = calloc((size_t)n * K + 1, sizeof *t->y);
    t->label_set = strdup(ecgx_dataset_label_set(ds) ? ecgx_dataset_label_set(ds) : "");
    if (!t->ids || !t->paths || !t->errors || !t->fold || !t->split || !t->classes || !t->y || !t->label_set) rc = ECGX_ERR_NOMEM;
    for (int k = 0; !rc && k < K; k++)
        if (!(t->classes[k] = strdup(ecgx_dataset_class_name(ds, k)))) rc = ECGX_ERR_NOMEM;
    if (rc) goto fail;

    ecgx_progress prog;
    ecgx_progress_begin(&prog, "measure", n, quiet);
    int64_t done = 0;
    int oom = 0;
#pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < n; i++) {
        ecgx_dataset_entry e = {0};
        e.age = -1;
        ecgx_record *rec = NULL;
        ecgx_features *f = NULL;
        const char *why = NULL;
        if (ecgx_dataset_record_info(ds, idx[i], &e) < 0) why = ecgx_last_error();
        else if (ecgx_dataset_load(ds, idx[i], &rec) < 0) why = ecgx_last_error();
        else if (ecgx_measure_record(rec, &f, NULL) < 0) why = ecgx_last_error();
        if (why) t->errors[i] = strdup(why);
        if (ecgx_dataset_labels(ds, idx[i], t->y + (size_t)i * K) < 0)
            for (int k = 0; k < K; k++) t->y[(size_t)i * K + k] = NAN;
        t->ids[i] = strdup(e.id ? e.id : "");
        t->paths[i] = strdup(e.path ? e.path : "");
        t->fold[i] = e.fold;
        t->split[i] = (int)e.split;
        /* the unit of the folder; a record's own lead unit when the folder says nothing */
        const char *unit = e.unit && *e.unit ? e.unit : rec && rec->n_leads ? rec->leads[0].units : "";
        if (ecgx_trees_record_columns(f, unit, e.age, e.sex, &rows[i]) < 0 || !t->ids[i] || !t->paths[i]) oom = 1;
        ecgx_features_free(f);
        ecgx_record_free(rec);
#pragma omp critical
        ecgx_progress_update(&prog, ++done);
    }
    ecgx_progress_end(&prog);
    if (oom) { rc = ECGX_ERR_NOMEM; goto fail; }

    /* columns: the union in order of first appearance (records' leads differ) */
    int cap = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < rows[i]->n; k++)
            if (add_col(t, &cap, rows[i]->names[k]) < 0) { rc = ECGX_ERR_NOMEM; goto fail; }
    t->x = ecgx_malloc_array((size_t)n * (size_t)t->n_cols, sizeof *t->x, "trees");
    if (!t->x) { rc = ECGX_ERR_NOMEM; goto fail; }
    for (size_t j = 0; j < (size_t)n * t->n_cols; j++) t->x[j] = NAN;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < rows[i]->n; k++)
            t->x[(size_t)i * t->n_cols + ecgx_trees_table_col(t, rows[i]->names[k])] = rows[i]->values[k];
        if (t->errors[i]) t->n_failed++;
    }
    for (int i = 0; i < n; i++) ecgx_features_free(rows[i]);
    free(rows);
    free(idx);
    *out = t;
    return 0;
fail:
    for (int i = 0; i < n; i++) ecgx_features_free(rows[i]);
    free(rows);
    free(idx);
    ecgx_trees_table_free(t);
    return rc == ECGX_ERR_NOMEM ? ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory") : rc;
}

static const char *split_name(int s)
{
    return s == ECGX_SPLIT_TRAIN ? "train" : s == ECGX_SPLIT_VAL ? "val" : s == ECGX_SPLIT_TEST ? "test" : "";
}

int ecgx_trees_table_write_csv(const ecgx_trees_table *t, const char *path)
{
    ecgx_outfile of = {0};
    int rc = ecgx_outfile_open(&of, path);
    if (rc) return rc;
    ecgx_trees_table_print_csv(t, of.fp);
    return ecgx_outfile_commit(&of);
}

void ecgx_trees_table_print_csv(const ecgx_trees_table *t, FILE *o)
{
    fprintf(o, "record,path,split,fold");
    for (int k = 0; k < t->n_classes; k++) fprintf(o, ",label_%s", t->classes[k]);
    for (int c = 0; c < t->n_cols; c++) fprintf(o, ",%s", t->cols[c]);
    fputc('\n', o);
    for (int i = 0; i < t->n_rows; i++) {
        fprintf(o, "%s,%s,%s,%d", t->ids[i], t->paths[i], split_name(t->split[i]), t->fold[i]);
        for (int k = 0; k < t->n_classes; k++) {
            float v = t->y[(size_t)i * t->n_classes + k];
            if (isfinite(v)) fprintf(o, ",%.9g", v);
            else fputc(',', o);
        }
        for (int c = 0; c < t->n_cols; c++) {
            double v = t->x[(size_t)i * t->n_cols + c];
            if (isfinite(v)) fprintf(o, ",%.9g", v);
            else fputc(',', o);
        }
        fputc('\n', o);
    }
}
