/* The dataset cache: every sample of every PTB-XL record read through the
 * cache equals the WFDB read; damaged caches (version, flipped bytes,
 * truncation) give clear errors; a stale default cache falls back to the
 * files with a warning; the CLI's info/cache/verify. Needs ../shared/data. */
#include "check.h"
#include "ecgx/dataset.h"
#include "ecgx/io.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <sys/time.h>

static char ptbxl[8192], filtered[8192], cinc[8192];
static char tmp[512];

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, fp) != (size_t)len) { free(b); b = NULL; }
    fclose(fp);
    *n = (size_t)len;
    return b;
}

static void write_all(const char *path, const void *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) { perror(path); exit(1); }
    if (n) fwrite(b, 1, n, fp);
    fclose(fp);
}

static ecgx_dataset *open_with_cache(const char *dirs, const char *cache, int *rc)
{
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.keep_unlabeled = 1;
    o.cache = cache;
    ecgx_dataset *ds = NULL;
    *rc = ecgx_dataset_open(dirs, &o, &ds);
    return ds;
}

static char ptbxl_cache[1024];

/* Build dir's cache at cache_path; every record through the cache must equal
 * the io module's read of its files, sample for sample. */
static void round_trip(const char *dir, const char *cache_path)
{
    CHECK_OK(ecgx_dataset_cache_build(dir, cache_path, NULL, 1));
    int n = 0;
    CHECK_OK(ecgx_dataset_cache_verify(cache_path, &n));
    int rc;
    ecgx_dataset *ds = open_with_cache(dir, cache_path, &rc);
    CHECK_MSG(rc == 0, "%s", ecgx_last_error());
    if (!ds) return;
    CHECK(n == ecgx_dataset_size(ds) && n > 0);
    ecgx_dataset_source si;
    CHECK_OK(ecgx_dataset_source_info(ds, 0, &si));
    CHECK(!strcmp(si.cache_status, "attached") && !strcmp(si.cache_path, cache_path));
    int64_t samples = 0, differ = 0, meta_differ = 0;
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        ecgx_dataset_entry e;
        ecgx_dataset_record_info(ds, i, &e);
        ecgx_record *c = NULL, *w = NULL;
        CHECK_OK(ecgx_dataset_load(ds, i, &c));
        CHECK_OK(ecgx_record_read(e.path, &w));
        if (!c || !w) { ecgx_record_free(c); ecgx_record_free(w); continue; }
        if (c->n_leads != w->n_leads || c->n_samples != w->n_samples || c->fs != w->fs) {
            meta_differ++;
        } else {
            for (int l = 0; l < c->n_leads; l++)
                meta_differ += strcmp(c->leads[l].name, w->leads[l].name) != 0 ||
                               strcmp(c->leads[l].units, w->leads[l].units) != 0;
            int64_t total = (int64_t)c->n_leads * c->n_samples;
            for (int64_t k = 0; k < total; k++) differ += memcmp(&c->data[k], &w->data[k], sizeof(float)) != 0;
            samples += total;
        }
        CHECK(c->age == e.age || (c->age < 0 && e.age < 0));
        /* in place: aligned, the same numbers */
        const float *v;
        int nl;
        int64_t ns;
        double fs;
        CHECK_OK(ecgx_dataset_view(ds, i, &v, &nl, &ns, &fs));
        CHECK(((uintptr_t)v % 64) == 0);
        CHECK(nl == c->n_leads && ns == c->n_samples && memcmp(v, c->data, (size_t)nl * (size_t)ns * 4) == 0);
        ecgx_record_free(c);
        ecgx_record_free(w);
    }
    fprintf(stderr, "  %s: %d records, %lld samples compared, %lld differ, %lld metadata differences\n",
            dir, ecgx_dataset_size(ds), (long long)samples, (long long)differ, (long long)meta_differ);
    CHECK(samples > 0 && differ == 0 && meta_differ == 0);

    /* the same from several threads at once: a dataset is read-only */
    int failures = 0;
#pragma omp parallel for reduction(+ : failures) schedule(dynamic, 8)
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        ecgx_dataset_entry e;
        ecgx_record *c = NULL, *w = NULL;
        if (ecgx_dataset_record_info(ds, i, &e) || ecgx_dataset_load(ds, i, &c) || ecgx_record_read(e.path, &w) ||
            c->n_leads != w->n_leads || c->n_samples != w->n_samples ||
            memcmp(c->data, w->data, (size_t)c->n_leads * (size_t)c->n_samples * sizeof(float)) != 0)
            failures++;
        ecgx_record_free(c);
        ecgx_record_free(w);
    }
    CHECK(failures == 0);
    ecgx_dataset_free(ds);
}

static void test_round_trip(void)
{
    snprintf(ptbxl_cache, sizeof ptbxl_cache, "%s/ptbxl.cache", tmp);
    round_trip(ptbxl, ptbxl_cache);
    char c[1024];
    snprintf(c, sizeof c, "%s/cinc.cache", tmp);
    round_trip(cinc, c);     /* Challenge .mat files, 500 and 1000 Hz */
}

/* Write a damaged copy of the cache and return the path. */
static const char *damaged(const char *name, const unsigned char *b, size_t n)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    write_all(path, b, n);
    return path;
}

static void expect_open_error(const char *path, int want_rc, const char *want_text)
{
    int rc;
    ecgx_dataset *ds = open_with_cache(ptbxl, path, &rc);
    CHECK_MSG(rc == want_rc && ds == NULL, "%s: rc %d (want %d)", path, rc, want_rc);
    CHECK_MSG(strstr(ecgx_last_error(), want_text) != NULL, "'%s' not in: %s", want_text, ecgx_last_error());
    CHECK_MSG(strstr(ecgx_last_error(), path) != NULL, "path not in: %s", ecgx_last_error());
    rc = ecgx_dataset_cache_verify(path, NULL);
    CHECK(rc < 0 && strstr(ecgx_last_error(), want_text) != NULL);
    ecgx_dataset_free(ds);
}

static void test_damage(void)
{
    size_t n;
    unsigned char *orig = read_all(ptbxl_cache, &n);
    CHECK(orig != NULL && n > 4096);
    if (!orig) return;
    unsigned char *b = malloc(n);

    /* a newer format version */
    memcpy(b, orig, n);
    b[8] = 2;
    expect_open_error(damaged("version.cache", b, n), ECGX_ERR_UNSUPPORTED, "version 2");

    /* one flipped byte in the header */
    memcpy(b, orig, n);
    b[30] ^= 0x10;
    expect_open_error(damaged("header.cache", b, n), ECGX_ERR_FORMAT, "header checksum");

    /* one flipped byte in the index (at the end of the file) */
    memcpy(b, orig, n);
    b[n - 3] ^= 0x01;
    expect_open_error(damaged("index.cache", b, n), ECGX_ERR_FORMAT, "index checksum");

    /* truncated */
    expect_open_error(damaged("short.cache", orig, n - 100), ECGX_ERR_FORMAT, "truncated");
    expect_open_error(damaged("tiny.cache", orig, 60), ECGX_ERR_FORMAT, "truncated");
    expect_open_error(damaged("zero.cache", orig, 0), ECGX_ERR_FORMAT, "truncated");
    /* not a cache */
    memset(b, 'x', 4096);
    expect_open_error(damaged("text.cache", b, 4096), ECGX_ERR_FORMAT, "not an ecgx dataset cache");

    /* one flipped byte in the first record's samples: the index is sound, the
     * record's own checksum catches it when it is used */
    memcpy(b, orig, n);
    b[128 + 100] ^= 0x04;
    const char *p = damaged("payload.cache", b, n);
    int rc = ecgx_dataset_cache_verify(p, NULL);
    CHECK(rc == ECGX_ERR_FORMAT && strstr(ecgx_last_error(), "checksum mismatch"));
    ecgx_dataset *ds = open_with_cache(ptbxl, p, &rc);
    CHECK_OK(rc);
    if (ds) {
        ecgx_record *r = NULL;
        int bad = -1;
        for (int i = 0; i < ecgx_dataset_size(ds) && bad < 0; i++) {
            if (ecgx_dataset_load(ds, i, &r) < 0) bad = i;
            ecgx_record_free(r);
            r = NULL;
        }
        CHECK_MSG(bad >= 0, "the damaged record loaded without error");
        CHECK(strstr(ecgx_last_error(), "checksum mismatch") && strstr(ecgx_last_error(), p));
        /* every other record still loads */
        int others_ok = 1;
        for (int i = 0; i < ecgx_dataset_size(ds); i++) {
            if (i == bad) continue;
            if (ecgx_dataset_load(ds, i, &r) < 0) others_ok = 0;
            ecgx_record_free(r);
            r = NULL;
        }
        CHECK(others_ok);
        ecgx_dataset_free(ds);
    }
    free(b);
    free(orig);
}

/* A writable copy of part of ptbxl-filtered, for default caches. */
static char small[1024];

static void copy_file(const char *from, const char *to)
{
    size_t n;
    unsigned char *b = read_all(from, &n);
    if (!b) { perror(from); exit(1); }
    write_all(to, b, n);
    free(b);
}

static void make_small(int n_records)
{
    snprintf(small, sizeof small, "%s/small", tmp);
    char path[9000], to[9000], line[1024];
    mkdir(small, 0777);
    snprintf(path, sizeof path, "%s/recs", small);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/labels.csv", filtered);
    FILE *in = fopen(path, "r");
    snprintf(path, sizeof path, "%s/labels.csv", small);
    FILE *out = fopen(path, "w");
    if (!in || !out) { perror("labels.csv"); exit(1); }
    int k = 0;
    if (fgets(line, sizeof line, in)) fputs(line, out);
    while (k < n_records && fgets(line, sizeof line, in)) {
        char id[64], split[16], rel[512];
        char *rest;
        if (sscanf(line, "%63[^,],%15[^,],%511[^,]", id, split, rel) != 3) continue;
        rest = strchr(strchr(strchr(line, ',') + 1, ',') + 1, ',');
        const char *stem = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        snprintf(path, sizeof path, "%s/%s.hea", filtered, rel);
        snprintf(to, sizeof to, "%s/recs/%s.hea", small, stem);
        copy_file(path, to);
        snprintf(path, sizeof path, "%s/%s.dat", filtered, rel);
        snprintf(to, sizeof to, "%s/recs/%s.dat", small, stem);
        copy_file(path, to);
        fprintf(out, "%s,%s,recs/%s%s", id, split, stem, rest);
        k++;
    }
    fclose(in);
    fclose(out);
}

static void test_default_cache(void)
{
    make_small(40);
    int rc;
    ecgx_dataset *ds;
    CHECK_OK(ecgx_dataset_cache_build(small, NULL, NULL, 1));
    char def[2048];
    snprintf(def, sizeof def, "%s/.ecgx-cache", small);
    CHECK(access(def, R_OK) == 0);
    ds = open_with_cache(small, NULL, &rc);
    CHECK_OK(rc);
    if (ds) {
        ecgx_dataset_source si;
        ecgx_dataset_source_info(ds, 0, &si);
        CHECK(!strcmp(si.cache_status, "attached") && !strcmp(si.unit, "z"));
        CHECK(!strcmp(ecgx_dataset_warnings(ds), ""));
        ecgx_record *r = NULL;
        CHECK_OK(ecgx_dataset_load(ds, 0, &r));
        CHECK(r && r->n_leads == 12 && !strcmp(r->leads[0].units, "z"));
        ecgx_record_free(r);
        ecgx_dataset_free(ds);
    }
    /* "none" ignores it */
    ds = open_with_cache(small, "none", &rc);
    if (ds) {
        ecgx_dataset_source si;
        ecgx_dataset_source_info(ds, 0, &si);
        CHECK(!strcmp(si.cache_status, "none"));
        ecgx_dataset_free(ds);
    }
    /* a record file changes: the default cache is stale, the folder is read
     * from its files with a warning; named explicitly, it is an error */
    ds = open_with_cache(small, "none", &rc);
    ecgx_dataset_entry e;
    if (ds) {
        ecgx_dataset_record_info(ds, 0, &e);
        char dat[4096];
        snprintf(dat, sizeof dat, "%s.dat", e.path);
        struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
        CHECK(utimes(dat, tv) == 0);
        ecgx_dataset_free(ds);
    }
    ds = open_with_cache(small, NULL, &rc);
    CHECK_OK(rc);
    if (ds) {
        ecgx_dataset_source si;
        ecgx_dataset_source_info(ds, 0, &si);
        CHECK_MSG(strstr(si.cache_status, "not used") && strstr(si.cache_status, "stale"), "%s", si.cache_status);
        CHECK(strstr(ecgx_dataset_warnings(ds), "stale") != NULL);
        ecgx_record *r = NULL;
        CHECK_OK(ecgx_dataset_load(ds, 0, &r));
        ecgx_record_free(r);
        const float *v;
        int nl;
        int64_t ns;
        double fs;
        CHECK(ecgx_dataset_view(ds, 0, &v, &nl, &ns, &fs) == ECGX_ERR_STATE);
        ecgx_dataset_free(ds);
    }
    ds = open_with_cache(small, def, &rc);
    CHECK(rc == ECGX_ERR_STATE && ds == NULL && strstr(ecgx_last_error(), "stale"));
    /* damaged default cache: warning and fallback too */
    CHECK_OK(ecgx_dataset_cache_build(small, NULL, NULL, 1));
    size_t n;
    unsigned char *b = read_all(def, &n);
    if (b) {
        b[40] ^= 1;
        write_all(def, b, n);
        free(b);
    }
    ds = open_with_cache(small, NULL, &rc);
    CHECK_OK(rc);
    if (ds) {
        CHECK(strstr(ecgx_dataset_warnings(ds), "checksum") != NULL);
        ecgx_dataset_free(ds);
    }
    /* two folders, two caches, matched by folder */
    CHECK_OK(ecgx_dataset_cache_build(small, NULL, NULL, 1));
    char dirs[17000], caches[4096];
    snprintf(dirs, sizeof dirs, "%s,%s", ptbxl, small);
    snprintf(caches, sizeof caches, "%s,%s", def, ptbxl_cache);
    ds = open_with_cache(dirs, caches, &rc);
    CHECK_MSG(rc == 0, "%s", ecgx_last_error());
    if (ds) {
        for (int s = 0; s < 2; s++) {
            ecgx_dataset_source si;
            ecgx_dataset_source_info(ds, s, &si);
            CHECK(!strcmp(si.cache_status, "attached"));
        }
        ecgx_dataset_free(ds);
    }
    snprintf(caches, sizeof caches, "%s", def);
    ds = open_with_cache(ptbxl, caches, &rc); /* one folder, one cache: used as given */
    CHECK_MSG(rc == ECGX_ERR_STATE && strstr(ecgx_last_error(), "built for"), "%s", ecgx_last_error());
    snprintf(dirs, sizeof dirs, "%s,%s", ptbxl, filtered);
    ds = open_with_cache(dirs, caches, &rc);
    CHECK(rc == ECGX_ERR_ARG && strstr(ecgx_last_error(), "not among the folders"));
    /* writing into a missing folder fails cleanly */
    char bad[2048];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.cache", tmp);
    CHECK(ecgx_dataset_cache_build(small, bad, NULL, 1) == ECGX_ERR_IO);
}

static int run_cli(const char *args, char *out, size_t n)
{
    const char *bin = getenv("ECGX_BIN");
    char cmd[40000], path[1024];
    snprintf(path, sizeof path, "%s/cli.out", tmp);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>&1", bin ? bin : "build/ecgx", args, path);
    int st = system(cmd);
    size_t len = 0;
    unsigned char *b = read_all(path, &len);
    snprintf(out, n, "%.*s", (int)len, b ? (const char *)b : "");
    free(b);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void)
{
    const char *bin = getenv("ECGX_BIN");
    if (!bin && access("build/ecgx", X_OK) != 0) {
        fprintf(stderr, "  (no ecgx binary: CLI not checked)\n");
        return;
    }
    static char out[1 << 16];
    char args[20000];
    snprintf(args, sizeof args, "dataset info %s --json", small);
    CHECK(run_cli(args, out, sizeof out) == 0);
    cJSON *j = cJSON_Parse(out);
    CHECK_MSG(j != NULL, "%s", out);
    if (j) {
        CHECK(cJSON_GetObjectItem(j, "n_records") && cJSON_GetObjectItem(j, "classes"));
        cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "folders"), 0);
        CHECK(f && !strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "cache"), "status")->valuestring, "attached"));
        cJSON_Delete(j);
    }
    snprintf(args, sizeof args, "dataset info %s,%s --labels superdiagnostic", ptbxl, small);
    CHECK(run_cli(args, out, sizeof out) == 0 && strstr(out, "STTC") && strstr(out, "unit z"));
    snprintf(args, sizeof args, "dataset cache %s -o %s/cli.cache --quiet", small, tmp);
    CHECK(run_cli(args, out, sizeof out) == 0);
    snprintf(args, sizeof args, "dataset verify %s/cli.cache", tmp);
    CHECK(run_cli(args, out, sizeof out) == 0 && strstr(out, "ok"));
    snprintf(args, sizeof args, "dataset verify %s/short.cache", tmp);
    CHECK(run_cli(args, out, sizeof out) == 1 && strstr(out, "truncated"));
    snprintf(args, sizeof args, "dataset info %s/nothing-here", tmp);
    CHECK(run_cli(args, out, sizeof out) == 1 && strstr(out, "ecgx dataset:"));
    CHECK(run_cli("dataset info --labels", out, sizeof out) == 2);
    CHECK(run_cli("dataset frobnicate", out, sizeof out) == 2);
    CHECK(run_cli("dataset --help", out, sizeof out) == 0 && strstr(out, "usage"));
}

int main(void)
{
    require_shared_data("ptbxl", ptbxl, sizeof ptbxl);
    require_shared_data("ptbxl-filtered", filtered, sizeof filtered);
    require_shared_data("cinc", cinc, sizeof cinc);
    snprintf(tmp, sizeof tmp, "%s", test_tmpdir());
    RUN(test_round_trip);
    RUN(test_damage);
    RUN(test_default_cache);
    RUN(test_cli);
    return check_finish();
}
