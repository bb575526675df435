/* PTB-XL folders: ptbxl_database.csv (one row per record) and
 * scp_statements.csv (what each SCP code is). Label sets follow the PTB-XL
 * benchmark (Strodthoff et al. 2021, compute_label_aggregations): every key
 * of scp_codes counts, whatever its likelihood value. */
#include "dataset/csv.h"
#include "dataset/internal.h"

#include "core/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct statement {
    char *code;
    int diagnostic, form, rhythm;
    char *cls, *subcls;   /* diagnostic_class / diagnostic_subclass, "" when empty */
} statement;

typedef struct statements {
    statement *items;
    int n;
} statements;

static void statements_free(statements *st)
{
    for (int i = 0; i < st->n; i++) {
        free(st->items[i].code);
        free(st->items[i].cls);
        free(st->items[i].subcls);
    }
    free(st->items);
}

static const statement *statement_find(const statements *st, const char *code)
{
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->items[i].code, code) == 0) return &st->items[i];
    return NULL;
}

/* pandas reads these columns as floats and the benchmark tests == 1.0; an
 * empty cell is NaN (false). */
static int parse_flag(const csv_reader *r, const char *col, const char *s, int *out)
{
    double v;
    if (!*s) { *out = 0; return 0; }
    if (ecgx_parse_double(s, &v))
        return ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field '%s': bad number '%s'", r->path, r->line, col, s);
    *out = v == 1.0;
    return 0;
}

static int need_col(const csv_reader *r, const char *name, int *col)
{
    *col = csv_find(r->fields, r->n_fields, name);
    if (*col < 0) return ecgx_error(ECGX_ERR_FORMAT, "%s:%d: missing column '%s'", r->path, r->line, name);
    return 0;
}

static int check_width(const csv_reader *r, int want)
{
    if (r->n_fields != want)
        return ecgx_error(ECGX_ERR_FORMAT, "%s:%d: %d fields, the header has %d", r->path, r->line,
                          r->n_fields, want);
    return 0;
}

static int read_statements(const char *dir, statements *st)
{
    char path[4096];
    memset(st, 0, sizeof *st);
    if (ecgx_path_join(path, sizeof path, dir, "scp_statements.csv"))
        return ecgx_error(ECGX_ERR_ARG, "%s: path too long", dir);
    csv_reader r;
    int rc = csv_open(&r, path);
    if (rc) return rc;
    int c_diag, c_form, c_rhythm, c_cls, c_sub, width;
    if ((rc = csv_next(&r)) <= 0) {
        if (rc == 0) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: empty file", path);
        goto done;
    }
    width = r.n_fields;
    if ((rc = need_col(&r, "diagnostic", &c_diag)) || (rc = need_col(&r, "form", &c_form)) ||
        (rc = need_col(&r, "rhythm", &c_rhythm)) || (rc = need_col(&r, "diagnostic_class", &c_cls)) ||
        (rc = need_col(&r, "diagnostic_subclass", &c_sub)))
        goto done;
    while ((rc = csv_next(&r)) > 0) {
        if ((rc = check_width(&r, width))) goto done;
        statement s = {0};
        if ((rc = parse_flag(&r, "diagnostic", r.fields[c_diag], &s.diagnostic)) ||
            (rc = parse_flag(&r, "form", r.fields[c_form], &s.form)) ||
            (rc = parse_flag(&r, "rhythm", r.fields[c_rhythm], &s.rhythm)))
            goto done;
        if (!*r.fields[0]) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 1: empty SCP code", path, r.line);
            goto done;
        }
        statement *items = realloc(st->items, (size_t)(st->n + 1) * sizeof *items);
        if (!items) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); goto done; }
        st->items = items;
        s.code = strdup(r.fields[0]);
        s.cls = strdup(r.fields[c_cls]);
        s.subcls = strdup(r.fields[c_sub]);
        st->items[st->n++] = s;
        if (!s.code || !s.cls || !s.subcls) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); goto done; }
    }
done:
    csv_close(&r);
    if (rc < 0) statements_free(st);
    return rc < 0 ? rc : 0;
}


static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

int ds_parse_pydict_keys(const char *s, ds_key_fn add, void *ctx, const char **why)
{
    const char *p = skip_ws(s);
    if (*p != '{') { *why = "does not start with '{'"; return -1; }
    p = skip_ws(p + 1);
    if (*p == '}') return *skip_ws(p + 1) ? (*why = "text after '}'", -1) : 0;
    for (;;) {
        char quote = *p;
        if (quote != '\'' && quote != '"') { *why = "expected a quoted key"; return -1; }
        const char *k = ++p;
        while (*p && *p != quote) p++;
        if (!*p) { *why = "unterminated key"; return -1; }
        char key[128];
        size_t kl = (size_t)(p - k);
        if (kl == 0 || kl >= sizeof key) { *why = "empty or overlong key"; return -1; }
        memcpy(key, k, kl);
        key[kl] = '\0';
        p = skip_ws(p + 1);
        if (*p != ':') { *why = "expected ':' after a key"; return -1; }
        p = skip_ws(p + 1);
        const char *v = p;
        while (*p && *p != ',' && *p != '}' && *p != ' ') p++;
        char num[64];
        size_t vl = (size_t)(p - v);
        double d;
        if (vl == 0 || vl >= sizeof num) { *why = "missing value"; return -1; }
        memcpy(num, v, vl);
        num[vl] = '\0';
        if (ecgx_parse_double(num, &d)) { *why = "value is not a number"; return -1; }
        int rc = add(ctx, key);
        if (rc) return rc;
        p = skip_ws(p);
        if (*p == ',') { p = skip_ws(p + 1); if (*p == '}') break; continue; }
        if (*p == '}') break;
        *why = "expected ',' or '}'";
        return -1;
    }
    if (*skip_ws(p + 1)) { *why = "text after '}'"; return -1; }
    return 0;
}

typedef struct agg_ctx {
    const statements *st;
    int set;
    ds_entry *e;
} agg_ctx;

/* The benchmark's aggregate_* functions, one key at a time. */
static int aggregate_key(void *vctx, const char *key)
{
    agg_ctx *c = vctx;
    if (c->set == SET_ALL) return ds_entry_add_label(c->e, key);
    if (c->set == SET_SEX || c->set == SET_AGE) return 0;
    const statement *s = statement_find(c->st, key);
    if (!s) return 0;
    switch (c->set) {
    case SET_DIAGNOSTIC: return s->diagnostic ? ds_entry_add_label(c->e, key) : 0;
    case SET_SUBDIAGNOSTIC: return s->diagnostic && *s->subcls ? ds_entry_add_label(c->e, s->subcls) : 0;
    case SET_SUPERDIAGNOSTIC: return s->diagnostic && *s->cls ? ds_entry_add_label(c->e, s->cls) : 0;
    case SET_FORM: return s->form ? ds_entry_add_label(c->e, key) : 0;
    case SET_RHYTHM: return s->rhythm ? ds_entry_add_label(c->e, key) : 0;
    default: return 0;
    }
}

int ds_ptbxl_read(ds_source *src, int set)
{
    statements st;
    int rc = read_statements(src->dir, &st);
    if (rc) return rc;
    char path[4096];
    if (ecgx_path_join(path, sizeof path, src->dir, "ptbxl_database.csv")) {
        statements_free(&st);
        return ecgx_error(ECGX_ERR_ARG, "%s: path too long", src->dir);
    }
    uint64_t fp = DS_FNV_INIT;
    ds_fingerprint_file(&fp, src->dir, "ptbxl_database", ".csv");
    ds_fingerprint_file(&fp, src->dir, "scp_statements", ".csv");
    fp = ds_fnv1a(fp, &src->rate, sizeof src->rate);

    csv_reader r;
    if ((rc = csv_open(&r, path))) { statements_free(&st); return rc; }
    const char *fname_col = src->rate == 500 ? "filename_hr" : "filename_lr";
    int c_id, c_scp, c_fold, c_file, c_age, c_sex, width;
    if ((rc = csv_next(&r)) <= 0) {
        if (rc == 0) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: empty file", path);
        goto done;
    }
    width = r.n_fields;
    if ((rc = need_col(&r, "ecg_id", &c_id)) || (rc = need_col(&r, "scp_codes", &c_scp)) ||
        (rc = need_col(&r, "strat_fold", &c_fold)) || (rc = need_col(&r, fname_col, &c_file)))
        goto done;
    c_age = csv_find(r.fields, r.n_fields, "age");
    c_sex = csv_find(r.fields, r.n_fields, "sex");
    while ((rc = csv_next(&r)) > 0) {
        if ((rc = check_width(&r, width))) goto done;
        const char *id = r.fields[c_id], *rel = r.fields[c_file];
        int64_t ecg_id;
        int fold;
        double age = -1;
        int sex = ECGX_SEX_UNKNOWN;
        if (ecgx_parse_i64(id, &ecg_id)) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'ecg_id': bad number '%s'", path, r.line, id);
            goto done;
        }
        if (ecgx_parse_int(r.fields[c_fold], &fold) || fold < 1 || fold > 10) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'strat_fold': bad fold '%s' (1-10)", path,
                            r.line, r.fields[c_fold]);
            goto done;
        }
        if (c_age >= 0 && *r.fields[c_age]) {
            if (ecgx_parse_double(r.fields[c_age], &age) || age < 0) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'age': bad number '%s'", path, r.line,
                                r.fields[c_age]);
                goto done;
            }
            /* PTB-XL writes 300 for every age above 89 (privacy). */
            if (age >= 300) age = 90;
        }
        if (c_sex >= 0 && *r.fields[c_sex]) {
            double v;
            if (ecgx_parse_double(r.fields[c_sex], &v) || (v != 0 && v != 1)) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'sex': '%s' is not 0 (male) or 1 (female)",
                                path, r.line, r.fields[c_sex]);
                goto done;
            }
            sex = v == 0 ? ECGX_SEX_MALE : ECGX_SEX_FEMALE;
        }
        if (!*rel || strstr(rel, "..")) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field '%s': bad record path '%s'", path, r.line,
                            fname_col, rel);
            goto done;
        }
        /* Validate the labels even for rows whose files are absent. */
        ds_entry tmp = {0};
        agg_ctx ctx = {&st, set, &tmp};
        const char *why = "";
        int prc = ds_parse_pydict_keys(r.fields[c_scp], aggregate_key, &ctx, &why);
        if (prc) {
            for (int j = 0; j < tmp.n_labels; j++) free(tmp.labels[j]);
            free(tmp.labels);
            rc = prc < -1 ? prc
                          : ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field 'scp_codes': %s in '%s'", path,
                                       r.line, why, r.fields[c_scp]);
            goto done;
        }
        uint64_t h = fp;
        int present = ds_fingerprint_file(&h, src->dir, rel, ".hea") &&
                      ds_fingerprint_file(&h, src->dir, rel, ".dat");
        if (!present) {
            src->n_missing++;
            for (int j = 0; j < tmp.n_labels; j++) free(tmp.labels[j]);
            free(tmp.labels);
            continue;
        }
        fp = h;
        ds_entry *e = ds_source_add(src);
        if (!e) {
            for (int j = 0; j < tmp.n_labels; j++) free(tmp.labels[j]);
            free(tmp.labels);
            rc = ECGX_ERR_NOMEM;
            goto done;
        }
        e->labels = tmp.labels;
        e->n_labels = tmp.n_labels;
        e->id = strdup(id);
        e->rel = strdup(rel);
        if (!e->id || !e->rel) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); goto done; }
        e->fold = fold;
        e->split = ds_split_of_fold(fold);
        e->age = age;
        e->sex = sex;
        if (!src->unit[0]) {
            char hea[4096];
            snprintf(hea, sizeof hea, "%s/%s.hea", src->dir, rel);
            ds_header_unit(hea, src->unit, sizeof src->unit);
        }
    }
done:
    csv_close(&r);
    statements_free(&st);
    src->fingerprint = fp;
    return rc < 0 ? rc : 0;
}
