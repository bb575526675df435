/* Interim data adapter for the nn commands (see nn_data.h for why it exists
 * and how it will be replaced). */
#include "nn_data.h"

#include "core/strutil.h"
#include "ecgx/common.h"
#include "ecgx/io.h"
#include "ecgx/nn.h"
#include "ecgx/outfile.h"
#include "ecgx/record.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CSV (256u << 20)

/* ---------- WFDB format 16 ---------- */

static int read_wfdb16(const char *path_in, float **out, int *n_out, double *fs_out)
{
    char base[4096], hea[4200], dat[4500], dir[4096];
    ecgx_strlcpy(base, path_in, sizeof base);
    if (ecgx_ends_with(base, ".hea") || ecgx_ends_with(base, ".dat")) base[strlen(base) - 4] = 0;
    snprintf(hea, sizeof hea, "%s.hea", base);
    ecgx_path_dir(base, dir, sizeof dir);
    char *txt = NULL;
    size_t len = 0;
    int rc = ecgx_read_file(hea, 1 << 20, &txt, &len);
    if (rc < 0) return rc;
    char *save = NULL, *line = strtok_r(txt, "\n", &save);
    while (line && (line[0] == '#' || !*ecgx_trim(line))) line = strtok_r(NULL, "\n", &save);
    int nsig = 0;
    long nsamp = 0;
    double fs = 0;
    char rname[256];
    if (!line || sscanf(line, "%255s %d %lf %ld", rname, &nsig, &fs, &nsamp) < 4 || nsig <= 0 || nsig > 64 ||
        !(fs > 0) || nsamp <= 0 || nsamp > 100000000) {
        free(txt);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: record line must give signals, rate and length", hea);
    }
    double gain[64], base_v[64];
    int std_idx[64];
    char file[256] = "";
    for (int s = 0; s < nsig; s++) {
        line = strtok_r(NULL, "\n", &save);
        while (line && line[0] == '#') line = strtok_r(NULL, "\n", &save);
        char f[256], fmt[32], g[64], desc[64] = "";
        int adcres = 0, adczero = 0, init = 0, ck = 0, bs = 0;
        int k = line ? sscanf(line, "%255s %31s %63s %d %d %d %d %d %63s", f, fmt, g, &adcres, &adczero, &init, &ck,
                              &bs, desc)
                     : 0;
        if (k < 3 || strcmp(fmt, "16") != 0) {
            free(txt);
            return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: signal %d: only WFDB format 16 is read here (got '%s')", hea,
                              s + 1, k >= 2 ? fmt : "?");
        }
        if (s == 0) ecgx_strlcpy(file, f, sizeof file);
        else if (strcmp(file, f) != 0) {
            free(txt);
            return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: signals in several files", hea);
        }
        gain[s] = atof(g);
        if (!(gain[s] > 0)) gain[s] = 200.0;
        const char *par = strchr(g, '(');
        base_v[s] = par ? atof(par + 1) : adczero;
        std_idx[s] = k >= 9 ? ecgx_lead_std_index(desc) : -1;
    }
    free(txt);
    snprintf(dat, sizeof dat, "%s/%s", dir, file);
    char *raw = NULL;
    size_t rl = 0;
    rc = ecgx_read_file(dat, (size_t)1 << 31, &raw, &rl);
    if (rc < 0) return rc;
    if (rl < (size_t)nsamp * nsig * 2) {
        long have = (long)(rl / (2 * (size_t)nsig));
        if (have < 1) {
            free(raw);
            return ecgx_error(ECGX_ERR_FORMAT, "%s: no samples", dat);
        }
        nsamp = have;
    }
    float *x = calloc((size_t)12 * nsamp, sizeof(float));
    int have12 = 0;
    for (int s = 0; s < nsig; s++) {
        int li = std_idx[s];
        if (li < 0 || li >= 12) continue;
        have12 |= 1 << li;
        for (long i = 0; i < nsamp; i++) {
            const unsigned char *p = (const unsigned char *)raw + ((size_t)i * nsig + s) * 2;
            int16_t v = (int16_t)(p[0] | p[1] << 8);
            x[(int64_t)li * nsamp + i] = v == -32768 ? NAN : (float)((v - base_v[s]) / gain[s]);
        }
    }
    free(raw);
    if (have12 != 0xFFF) {
        free(x);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: needs the 12 standard leads (I, II, III, aVR, aVL, aVF, V1-V6)", hea);
    }
    *out = x;
    *n_out = (int)nsamp;
    *fs_out = fs;
    return 0;
}

/* Any record the io module reads (WFDB formats, Challenge .mat, ...), as the
 * 12 standard leads; a missing standard lead is an error. */
static int read_any(const char *path, float **out, int *n_out, double *fs_out)
{
    ecgx_record *rec = NULL, *std = NULL;
    int rc = ecgx_record_read(path, &rec);
    if (rc < 0) return rc;
    unsigned missing = 0;
    std = ecgx_record_to_standard12(rec, &missing);
    if (!std) {
        ecgx_record_free(rec);
        return ECGX_ERR_NOMEM;
    }
    if (missing) {
        char names[128] = "";
        for (int l = 0; l < 12; l++)
            if (missing & (1u << l)) {
                size_t k = strlen(names);
                snprintf(names + k, sizeof names - k, "%s%s", k ? ", " : "", ecgx_lead_std_name(l));
            }
        ecgx_record_free(rec);
        ecgx_record_free(std);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: needs the 12 standard leads; missing %s", path, names);
    }
    if (std->n_samples > 100000000) {
        ecgx_record_free(rec);
        ecgx_record_free(std);
        return ecgx_error(ECGX_ERR_RANGE, "%s: %lld samples is too long", path, (long long)std->n_samples);
    }
    *n_out = (int)std->n_samples;
    *fs_out = std->fs;
    *out = std->data; /* take the signal, free the rest */
    std->data = NULL;
    ecgx_record_free(std);
    ecgx_record_free(rec);
    return 0;
}

int nn_record_load(const char *path, double fs, float **x, int *n, double *fs_in)
{
    float *raw;
    int nr;
    /* format 16 directly (fast path for the training sets), anything else through io */
    int rc = read_wfdb16(path, &raw, &nr, fs_in);
    if (rc == ECGX_ERR_UNSUPPORTED || rc == ECGX_ERR_IO) rc = read_any(path, &raw, &nr, fs_in);
    if (rc < 0) return rc;
    int64_t n64 = 0;
    rc = ecgx_nn_preprocess(raw, 12, nr, *fs_in, fs, x, &n64);
    free(raw);
    if (rc >= 0 && n64 > INT_MAX / 12) {
        free(*x);
        *x = NULL;
        rc = ecgx_error(ECGX_ERR_RANGE, "%lld samples is too long", (long long)n64);
    }
    if (rc >= 0) *n = (int)n64;
    if (rc < 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", ecgx_last_error());
        return ecgx_error(rc, "%s: %s", path, msg);
    }
    return 0;
}

/* ---------- CSV ---------- */

typedef struct csv {
    char *buf;
    char ***rows; /* rows[r][c] */
    int *ncols;
    int nrows;
} csv;

static void csv_free(csv *c)
{
    for (int r = 0; r < c->nrows; r++) free(c->rows[r]);
    free(c->rows);
    free(c->ncols);
    free(c->buf);
}

static int csv_read(const char *path, csv *c)
{
    memset(c, 0, sizeof *c);
    size_t len;
    int rc = ecgx_read_file(path, MAX_CSV, &c->buf, &len);
    if (rc < 0) return rc;
    int cap = 0;
    char *p = c->buf;
    while (*p) {
        if (c->nrows == cap) {
            cap = cap ? 2 * cap : 1024;
            c->rows = realloc(c->rows, sizeof(char **) * cap);
            c->ncols = realloc(c->ncols, sizeof(int) * cap);
        }
        int ccap = 16, nc = 0;
        char **cols = malloc(sizeof(char *) * ccap);
        for (;;) {
            if (nc == ccap) cols = realloc(cols, sizeof(char *) * (ccap *= 2));
            char *w = p, *start = p;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (!*p) break;
                    if (*p == '"' && p[1] == '"') { *w++ = '"'; p += 2; continue; }
                    if (*p == '"') { p++; break; }
                    *w++ = *p++;
                }
                while (*p && *p != ',' && *p != '\n') p++;
            } else {
                while (*p && *p != ',' && *p != '\n' && *p != '\r') *w++ = *p++;
                while (*p == '\r') p++;
            }
            char end = *p;
            *w = 0;
            cols[nc++] = start;
            if (end == ',') { p++; continue; }
            if (end == '\n') p++;
            break;
        }
        c->rows[c->nrows] = cols;
        c->ncols[c->nrows++] = nc;
    }
    return 0;
}

static int csv_col(const csv *c, const char *name)
{
    if (!c->nrows) return -1;
    for (int i = 0; i < c->ncols[0]; i++)
        if (!strcmp(c->rows[0][i], name)) return i;
    return -1;
}

/* ---------- datasets ---------- */

typedef struct pending {
    char id[64];
    char path[4096];
    int split, fold;
    char labels[512]; /* comma-separated class names */
} pending;

static int add_class(char ***cls, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp((*cls)[i], name)) return i;
    *cls = realloc(*cls, sizeof(char *) * (*n + 1));
    (*cls)[*n] = strdup(name);
    return (*n)++;
}

static void add_label(pending *p, const char *name)
{
    size_t l = strlen(p->labels);
    /* no duplicates */
    char tmp[520];
    snprintf(tmp, sizeof tmp, ",%s,", p->labels);
    char key[80];
    snprintf(key, sizeof key, ",%s,", name);
    if (strstr(tmp, key)) return;
    snprintf(p->labels + l, sizeof p->labels - l, "%s%s", l ? "," : "", name);
}

static int load_ptbxl(const char *dir, const char *label_set, pending **pp, int *np, int *cap)
{
    char path[4200];
    csv st, db;
    snprintf(path, sizeof path, "%s/scp_statements.csv", dir);
    int rc = csv_read(path, &st);
    if (rc < 0) return rc;
    snprintf(path, sizeof path, "%s/ptbxl_database.csv", dir);
    if ((rc = csv_read(path, &db)) < 0) {
        csv_free(&st);
        return rc;
    }
    const char *col = !strcmp(label_set, "superdiagnostic") ? "diagnostic_class"
                      : !strcmp(label_set, "subdiagnostic") ? "diagnostic_subclass"
                      : !strcmp(label_set, "diagnostic")    ? "diagnostic"
                      : !strcmp(label_set, "form")          ? "form"
                      : !strcmp(label_set, "rhythm")        ? "rhythm"
                                                            : NULL;
    int ccol = col ? csv_col(&st, col) : -1, dcol = csv_col(&st, "diagnostic");
    int c_id = csv_col(&db, "ecg_id"), c_scp = csv_col(&db, "scp_codes"), c_fold = csv_col(&db, "strat_fold"),
        c_fn = csv_col(&db, "filename_lr");
    if ((col && ccol < 0) || c_id < 0 || c_scp < 0 || c_fold < 0 || c_fn < 0 || dcol < 0) {
        csv_free(&st);
        csv_free(&db);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: ptbxl_database.csv / scp_statements.csv lack the expected columns", dir);
    }
    for (int r = 1; r < db.nrows; r++) {
        if (db.ncols[r] <= c_fn) continue;
        if (*np == *cap) *pp = realloc(*pp, sizeof(pending) * (*cap = *cap ? 2 * *cap : 1024));
        pending *p = &(*pp)[*np];
        memset(p, 0, sizeof *p);
        snprintf(p->id, sizeof p->id, "ptbxl:%s", db.rows[r][c_id]);
        snprintf(p->path, sizeof p->path, "%s/%s", dir, db.rows[r][c_fn]);
        p->fold = atoi(db.rows[r][c_fold]);
        p->split = p->fold == 10 ? 2 : p->fold == 9 ? 1 : 0;
        /* scp_codes: {'NORM': 100.0, 'SR': 0.0} -- every key counts, as in the benchmark */
        const char *s = db.rows[r][c_scp];
        while ((s = strchr(s, '\''))) {
            const char *e = strchr(s + 1, '\'');
            if (!e) break;
            char code[32];
            snprintf(code, sizeof code, "%.*s", (int)(e - s - 1), s + 1);
            s = e + 1;
            while (*s == ' ') s++;
            if (*s != ':') continue; /* a value, not a key */
            for (int k = 1; k < st.nrows; k++) {
                if (strcmp(st.rows[k][0], code)) continue;
                if (!col || !strcmp(label_set, "all")) add_label(p, code);
                else if (!strcmp(col, "diagnostic") || !strcmp(col, "form") || !strcmp(col, "rhythm")) {
                    if (st.ncols[k] > ccol && atof(st.rows[k][ccol]) == 1.0) add_label(p, code);
                } else if (st.ncols[k] > ccol && st.rows[k][ccol][0] && atof(st.rows[k][dcol]) == 1.0) {
                    add_label(p, st.rows[k][ccol]);
                }
            }
        }
        (*np)++;
    }
    csv_free(&st);
    csv_free(&db);
    return 0;
}

static int load_labels_csv(const char *dir, pending **pp, int *np, int *cap)
{
    char path[4200];
    csv c;
    snprintf(path, sizeof path, "%s/labels.csv", dir);
    int rc = csv_read(path, &c);
    if (rc < 0) return rc;
    int c_split = csv_col(&c, "split"), c_fn = csv_col(&c, "filename_lr");
    if (c_fn < 0) c_fn = csv_col(&c, "filename");
    if (c_split < 0 || c_fn < 0 || c.nrows < 1) {
        csv_free(&c);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: needs columns split and filename_lr", path);
    }
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    for (int r = 1; r < c.nrows; r++) {
        if (c.ncols[r] != c.ncols[0]) continue;
        if (*np == *cap) *pp = realloc(*pp, sizeof(pending) * (*cap = *cap ? 2 * *cap : 1024));
        pending *p = &(*pp)[*np];
        memset(p, 0, sizeof *p);
        snprintf(p->id, sizeof p->id, "%s:%s", base, c.rows[r][0]);
        snprintf(p->path, sizeof p->path, "%s/%s", dir, c.rows[r][c_fn]);
        const char *sp = c.rows[r][c_split];
        p->split = !strcmp(sp, "val") ? 1 : !strcmp(sp, "test") ? 2 : 0;
        p->fold = p->split == 1 ? 9 : p->split == 2 ? 10 : 0;
        for (int k = 0; k < c.ncols[0]; k++) {
            if (k == 0 || k == c_split || k == c_fn) continue;
            if (!strcmp(c.rows[r][k], "1")) add_label(p, c.rows[0][k]);
        }
        (*np)++;
    }
    csv_free(&c);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int nn_data_load(const char *dirs, const char *label_set, double fs, int min_length, int quiet, nn_data *d)
{
    memset(d, 0, sizeof *d);
    d->fs = fs;
    d->n_leads = 12;
    pending *pp = NULL;
    int np = 0, cap = 0, rc = 0;
    char *list = strdup(dirs), *save = NULL;
    for (char *dir = strtok_r(list, ",", &save); dir; dir = strtok_r(NULL, ",", &save)) {
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/ptbxl_database.csv", dir);
        FILE *f = fopen(probe, "r");
        if (f) {
            fclose(f);
            rc = load_ptbxl(dir, label_set, &pp, &np, &cap);
        } else {
            snprintf(probe, sizeof probe, "%s/labels.csv", dir);
            f = fopen(probe, "r");
            if (f) {
                fclose(f);
                rc = load_labels_csv(dir, &pp, &np, &cap);
            } else {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: not a PTB-XL folder (ptbxl_database.csv) or a labels.csv folder", dir);
            }
        }
        if (rc < 0) break;
    }
    free(list);
    if (rc < 0) {
        free(pp);
        return rc;
    }
    /* classes: union of the labels, sorted as the benchmark's MultiLabelBinarizer */
    for (int i = 0; i < np; i++) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", pp[i].labels);
        char *s2 = NULL;
        for (char *t = strtok_r(tmp, ",", &s2); t; t = strtok_r(NULL, ",", &s2)) add_class(&d->classes, &d->n_classes, t);
    }
    if (d->n_classes == 0) {
        free(pp);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: no record has a label of the set '%s'", dirs, label_set);
    }
    qsort(d->classes, d->n_classes, sizeof(char *), cmp_str);
    d->ids = calloc(np, sizeof(char *));
    d->split = calloc(np, sizeof(int));
    d->fold = calloc(np, sizeof(int));
    d->offset = calloc(np, sizeof(int64_t));
    d->length = calloc(np, sizeof(int));
    d->y = calloc((size_t)np * d->n_classes, sizeof(float));
    int64_t xcap = 0, xn = 0;
    for (int i = 0; i < np; i++) {
        if (!pp[i].labels[0]) continue; /* the benchmark drops records without a label */
        float *x = NULL;
        int n = 0;
        double fs_in;
        if (nn_record_load(pp[i].path, fs, &x, &n, &fs_in) < 0 || n < min_length) {
            if (!quiet)
                fprintf(stderr, "ecgx: skipping %s: %s\n", pp[i].path,
                        x ? "shorter than the model's input window" : ecgx_last_error());
            free(x);
            d->n_skipped++;
            continue;
        }
        if (xn + 12 * (int64_t)n > xcap) {
            xcap = (xn + 12 * (int64_t)n) * 2;
            d->x = realloc(d->x, sizeof(float) * xcap);
        }
        memcpy(d->x + xn, x, sizeof(float) * 12 * n);
        free(x);
        int k = d->n;
        d->offset[k] = xn;
        d->length[k] = n;
        xn += 12 * (int64_t)n;
        d->ids[k] = strdup(pp[i].id);
        d->split[k] = pp[i].split;
        d->fold[k] = pp[i].fold;
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", pp[i].labels);
        char *s2 = NULL;
        for (char *t = strtok_r(tmp, ",", &s2); t; t = strtok_r(NULL, ",", &s2))
            for (int c = 0; c < d->n_classes; c++)
                if (!strcmp(d->classes[c], t)) d->y[(int64_t)k * d->n_classes + c] = 1.0f;
        d->n++;
    }
    free(pp);
    if (d->n == 0) return ecgx_error(ECGX_ERR_FORMAT, "%s: no usable record", dirs);
    return 0;
}

void nn_data_free(nn_data *d)
{
    for (int i = 0; i < d->n; i++) free(d->ids[i]);
    for (int i = 0; i < d->n_classes; i++) free(d->classes[i]);
    free(d->classes);
    free(d->ids);
    free(d->split);
    free(d->fold);
    free(d->offset);
    free(d->length);
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

int nn_data_split(const nn_data *d, const char *which, int **idx, int *n)
{
    int want = -1, fold = 0;
    if (!strcmp(which, "train")) want = 0;
    else if (!strcmp(which, "val")) want = 1;
    else if (!strcmp(which, "test")) want = 2;
    else if (!strcmp(which, "all")) want = 3;
    else if (!strncmp(which, "fold:", 5) && (fold = atoi(which + 5)) >= 1 && fold <= 10) want = 4;
    else return ecgx_error(ECGX_ERR_ARG, "split '%s': use train, val, test, all or fold:N", which);
    *idx = malloc(sizeof(int) * (d->n + 1));
    *n = 0;
    for (int i = 0; i < d->n; i++)
        if (want == 3 || (want < 3 && d->split[i] == want) || (want == 4 && d->fold[i] == fold)) (*idx)[(*n)++] = i;
    return 0;
}
