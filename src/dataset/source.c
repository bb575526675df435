/* Helpers every folder reader shares: entries, label lists, fingerprints,
 * folds, folder detection. */
#include "dataset/internal.h"

#include "core/strutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const set_names[] = {
    [SET_DEFAULT] = "default", [SET_ALL] = "all", [SET_DIAGNOSTIC] = "diagnostic",
    [SET_SUBDIAGNOSTIC] = "subdiagnostic", [SET_SUPERDIAGNOSTIC] = "superdiagnostic",
    [SET_FORM] = "form", [SET_RHYTHM] = "rhythm", [SET_DX] = "dx", [SET_LABELS] = "labels",
    [SET_SEX] = "sex", [SET_AGE] = "age",
};

int ds_set_parse(const char *name)
{
    if (!name || !*name) return SET_DEFAULT;
    for (int s = 0; s < (int)(sizeof set_names / sizeof *set_names); s++)
        if (strcmp(name, set_names[s]) == 0) return s;
    return -1;
}

const char *ds_set_name(int set)
{
    return set >= 0 && set < (int)(sizeof set_names / sizeof *set_names) ? set_names[set] : "?";
}

ds_entry *ds_source_add(ds_source *src)
{
    if (src->n_entries == src->cap_entries) {
        int cap = src->cap_entries ? 2 * src->cap_entries : 256;
        ds_entry *e = realloc(src->entries, (size_t)cap * sizeof *e);
        if (!e) { ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", src->dir); return NULL; }
        src->entries = e;
        src->cap_entries = cap;
    }
    ds_entry *e = &src->entries[src->n_entries++];
    memset(e, 0, sizeof *e);
    e->age = -1;
    e->split = -1;
    return e;
}

int ds_entry_add_label(ds_entry *e, const char *label)
{
    for (int i = 0; i < e->n_labels; i++)
        if (strcmp(e->labels[i], label) == 0) return 0;
    char **l = realloc(e->labels, (size_t)(e->n_labels + 1) * sizeof *l);
    if (!l) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    e->labels = l;
    if (!(l[e->n_labels] = strdup(label))) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    e->n_labels++;
    return 0;
}

void ds_source_clear(ds_source *src)
{
    for (int i = 0; i < src->n_entries; i++) {
        ds_entry *e = &src->entries[i];
        free(e->id);
        free(e->rel);
        for (int j = 0; j < e->n_labels; j++) free(e->labels[j]);
        free(e->labels);
    }
    free(src->entries);
    src->entries = NULL;
    for (int i = 0; i < src->n_declared; i++) free(src->declared[i]);
    free(src->declared);
    src->declared = NULL;
    src->n_declared = 0;
    src->n_entries = src->cap_entries = 0;
}

uint64_t ds_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ULL; }
    return h;
}

int ds_fingerprint_file(uint64_t *h, const char *dir, const char *rel, const char *ext)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s%s", dir, rel, ext) >= (int)sizeof path) return 0;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    int64_t v[3] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec};
    *h = ds_fnv1a(*h, rel, strlen(rel));
    *h = ds_fnv1a(*h, ext, strlen(ext) + 1);
    *h = ds_fnv1a(*h, v, sizeof v);
    return 1;
}

int ds_split_of_fold(int fold)
{
    if (fold == 9) return ECGX_SPLIT_VAL;
    if (fold == 10) return ECGX_SPLIT_TEST;
    return ECGX_SPLIT_TRAIN;
}

int ds_hash_fold(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) { h ^= *p; h *= 16777619u; }
    return (int)(h % 10u) + 1;
}

void ds_header_unit(const char *hea_path, char *unit, size_t n)
{
    ecgx_strlcpy(unit, "", n);
    FILE *fp = fopen(hea_path, "r");
    if (!fp) return;
    char line[1024];
    int seen_record_line = 0;
    while (fgets(line, sizeof line, fp)) {
        char *s = ecgx_trim(line);
        if (!*s || *s == '#') continue;
        if (!seen_record_line) { seen_record_line = 1; continue; }
        /* signal line: file format gain[(baseline)][/units] ... */
        char *tok[3] = {0};
        int k = 0;
        char *save = NULL;
        for (char *t = strtok_r(s, " \t", &save); t && k < 3; t = strtok_r(NULL, " \t", &save)) tok[k++] = t;
        if (k < 3) break;
        char *slash = strchr(tok[2], '/');
        /* WFDB: a gain without units means millivolts */
        ecgx_strlcpy(unit, slash ? slash + 1 : "mV", n);
        break;
    }
    fclose(fp);
}

static int file_exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    return ecgx_path_join(path, sizeof path, dir, name) == 0 && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode);
}

/* A folder with .hea files directly or one level down. */
static int has_headers(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (ecgx_ends_with(de->d_name, ".hea")) { found = 1; break; }
        if (depth > 0) {
            char sub[4096];
            struct stat st;
            if (ecgx_path_join(sub, sizeof sub, dir, de->d_name) == 0 && stat(sub, &st) == 0 &&
                S_ISDIR(st.st_mode))
                found = has_headers(sub, depth - 1);
        }
    }
    closedir(d);
    return found;
}

int ds_detect_kind(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) return ecgx_error(ECGX_ERR_IO, "%s: no such folder", dir), 0;
    if (!S_ISDIR(st.st_mode)) return ecgx_error(ECGX_ERR_ARG, "%s: not a folder", dir), 0;
    if (file_exists(dir, "ptbxl_database.csv")) {
        if (!file_exists(dir, "scp_statements.csv"))
            return ecgx_error(ECGX_ERR_FORMAT, "%s: ptbxl_database.csv without scp_statements.csv", dir), 0;
        return DS_PTBXL;
    }
    if (file_exists(dir, "labels.csv")) return DS_LABELS_CSV;
    if (has_headers(dir, 1)) return DS_CHALLENGE;
    ecgx_error(ECGX_ERR_FORMAT, "%s: no ptbxl_database.csv, labels.csv or .hea records found", dir);
    return 0;
}
