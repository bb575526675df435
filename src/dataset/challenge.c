/* PhysioNet/CinC Challenge 2020/2021 folders: WFDB headers whose comment
 * lines carry the metadata (#Age: 49, #Sex: Female, #Dx: 164889003,59118001)
 * beside MATLAB v4 .mat signal files. Records may sit directly in the folder
 * or one level down (one subfolder per source database). The Challenge
 * gives no split: each record's fold is a hash of its name (see
 * ds_hash_fold), so the same record lands in the same fold wherever it is. */
#include "dataset/internal.h"

#include "core/strutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct name_list {
    char **items;
    int n, cap;
} name_list;

static int list_add(name_list *l, const char *s)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **it = realloc(l->items, (size_t)cap * sizeof *it);
        if (!it) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
        l->items = it;
        l->cap = cap;
    }
    if (!(l->items[l->n] = strdup(s))) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Relative record paths (without .hea) under dir, one level deep at most. */
static int collect(const char *dir, const char *prefix, int depth, name_list *out)
{
    char path[4096];
    if (prefix[0]) {
        if (snprintf(path, sizeof path, "%s/%s", dir, prefix) >= (int)sizeof path)
            return ecgx_error(ECGX_ERR_ARG, "%s/%s: path too long", dir, prefix);
    } else {
        ecgx_strlcpy(path, dir, sizeof path);
    }
    DIR *d = opendir(path);
    if (!d) return ecgx_error(ECGX_ERR_IO, "%s: cannot list folder", path);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char rel[4096];
        if (snprintf(rel, sizeof rel, "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name) >= (int)sizeof rel)
            continue;
        if (ecgx_ends_with(de->d_name, ".hea")) {
            rel[strlen(rel) - 4] = '\0';
            rc = list_add(out, rel);
        } else if (depth > 0) {
            char full[4096];
            struct stat st;
            if (snprintf(full, sizeof full, "%s/%s", dir, rel) < (int)sizeof full && stat(full, &st) == 0 &&
                S_ISDIR(st.st_mode))
                rc = collect(dir, rel, depth - 1, out);
        }
    }
    closedir(d);
    return rc;
}

static int parse_sex(const char *v)
{
    if (!strcasecmp_ascii(v, "male") || !strcasecmp_ascii(v, "m")) return ECGX_SEX_MALE;
    if (!strcasecmp_ascii(v, "female") || !strcasecmp_ascii(v, "f")) return ECGX_SEX_FEMALE;
    return ECGX_SEX_UNKNOWN;
}

static int unknown_value(const char *v)
{
    return !*v || !strcasecmp_ascii(v, "nan") || !strcasecmp_ascii(v, "unknown");
}

/* Read the comment lines of one header into e. A '#Dx' value that is not a
 * SNOMED CT code is remembered in *bad (the first one, "path:line: 'x'"),
 * not yet an error: the folder may not be a Challenge folder at all.
 * *has_dx is set when the header has a '#Dx' line of codes. */
static int read_header(const char *path, ds_entry *e, char *unit, size_t unit_n, char *bad, size_t bad_n,
                       int *has_dx)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return ecgx_error(ECGX_ERR_IO, "%s: cannot open", path);
    char line[8192];
    int lineno = 0, rc = 0, signal_lines = 0, record_line = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        char *s = ecgx_trim(line);
        if (*s != '#') {
            if (*s && !record_line) record_line = 1;
            else if (*s && !signal_lines++ && unit && !unit[0]) {
                char *save = NULL, *tok[3] = {0};
                int k = 0;
                for (char *t = strtok_r(s, " \t", &save); t && k < 3; t = strtok_r(NULL, " \t", &save))
                    tok[k++] = t;
                if (k == 3) {
                    char *slash = strchr(tok[2], '/');
                    ecgx_strlcpy(unit, slash ? slash + 1 : "mV", unit_n);
                }
            }
            continue;
        }
        s = ecgx_trim(s + 1);
        char *colon = strchr(s, ':');
        if (!colon) continue;
        *colon = '\0';
        char *key = ecgx_trim(s), *val = ecgx_trim(colon + 1);
        if (!strcasecmp_ascii(key, "age")) {
            if (unknown_value(val)) continue;
            if (ecgx_parse_double(val, &e->age) || e->age < 0 || e->age > 150)
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s:%d: field '#Age': bad age '%s'", path, lineno, val);
        } else if (!strcasecmp_ascii(key, "sex")) {
            e->sex = parse_sex(val);
        } else if (!strcasecmp_ascii(key, "dx")) {
            char *save = NULL;
            for (char *t = strtok_r(val, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save)) {
                char *code = ecgx_trim(t);
                int64_t v;
                if (!*code) continue;
                if (ecgx_parse_i64(code, &v) || v <= 0) {
                    if (!bad[0]) snprintf(bad, bad_n, "%s:%d: field '#Dx': '%s' is not a SNOMED CT code", path, lineno, code);
                    continue;
                }
                *has_dx = 1;
                rc = ds_entry_add_label(e, code);
            }
        }
    }
    fclose(fp);
    return rc;
}

int ds_challenge_read(ds_source *src)
{
    name_list names = {0};
    int rc = collect(src->dir, "", 1, &names);
    if (rc == 0) qsort(names.items, (size_t)names.n, sizeof *names.items, cmp_str);
    uint64_t fp = DS_FNV_INIT;
    char bad[4400] = "";
    int n_dx = 0;
    for (int i = 0; rc == 0 && i < names.n; i++) {
        const char *rel = names.items[i];
        uint64_t h = fp;
        ds_fingerprint_file(&h, src->dir, rel, ".hea");
        int has_mat = ds_fingerprint_file(&h, src->dir, rel, ".mat");
        int has_dat = ds_fingerprint_file(&h, src->dir, rel, ".dat");
        if (!has_mat && !has_dat) { src->n_missing++; continue; }
        fp = h;
        ds_entry *e = ds_source_add(src);
        if (!e) { rc = ECGX_ERR_NOMEM; break; }
        char stem[256], hea[4096];
        ecgx_path_stem(rel, stem, sizeof stem);
        e->id = strdup(stem);
        e->rel = strdup(rel);
        if (!e->id || !e->rel) { rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory"); break; }
        e->fold = ds_hash_fold(stem);
        e->split = ds_split_of_fold(e->fold);
        snprintf(hea, sizeof hea, "%s/%s.hea", src->dir, rel);
        int has_dx = 0;
        rc = read_header(hea, e, src->unit, sizeof src->unit, bad, sizeof bad, &has_dx);
        n_dx += has_dx;
    }
    /* no header names a SNOMED CT code: plain WFDB records (LUDB, MIT-BIH,
     * ecgx synth's own '#Dx: normal'), not a damaged Challenge folder */
    if (rc == 0 && n_dx == 0) {
        src->kind = DS_WFDB; /* (no label was added: only codes are) */
    } else if (rc == 0 && bad[0]) {
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s", bad);
    }
    for (int i = 0; i < names.n; i++) free(names.items[i]);
    free(names.items);
    src->fingerprint = fp;
    return rc;
}
