/* Records per second for one epoch over ../shared/data/ptbxl-filtered:
 * through WFDB (the io module) vs through the binary cache (a copy out of
 * the memory map, and in place), side by side in the same run, alternating
 * rounds so that machine load hits both alike. Every variant reads each
 * sample once after getting it, as a consumer would. Prints JSON.
 *   bench_dataset [DIR] [ROUNDS]   (default ../shared/data/ptbxl-filtered, 3) */
#include "ecgx/dataset.h"
#include "ecgx/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* What a consumer does with a record in all three variants: read every
 * sample once (four partial sums so the loop is not one long dependency
 * chain). Also keeps the compiler from skipping the work. */
static double consume(const float *d, int64_t n)
{
    float s[4] = {0, 0, 0, 0};
    int64_t k = 0;
    for (; k + 4 <= n; k += 4)
        for (int j = 0; j < 4; j++) s[j] += d[k + j];
    for (; k < n; k++) s[0] += d[k];
    return (double)s[0] + s[1] + s[2] + s[3];
}

/* One epoch of ecgx_dataset_load; returns seconds, or -1 on error. */
static double epoch_load(const ecgx_dataset *ds, double *sum)
{
    double t = ecgx_now();
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        ecgx_record *r;
        if (ecgx_dataset_load(ds, i, &r)) return -1;
        *sum += consume(r->data, (int64_t)r->n_leads * r->n_samples);
        ecgx_record_free(r);
    }
    return ecgx_now() - t;
}

/* One epoch in place from the map: no copy, no allocation. */
static double epoch_view(const ecgx_dataset *ds, double *sum)
{
    double t = ecgx_now();
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        const float *d;
        int nl;
        int64_t ns;
        double fs;
        if (ecgx_dataset_view(ds, i, &d, &nl, &ns, &fs)) return -1;
        *sum += consume(d, (int64_t)nl * ns);
    }
    return ecgx_now() - t;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data/ptbxl-filtered";
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (rounds < 1) rounds = 1;
    if (rounds > 50) rounds = 50;
    if (access(dir, R_OK) != 0) {
        fprintf(stderr, "bench_dataset: %s is absent\n", dir);
        return 77;
    }
    char tmpl[512];
    const char *base = getenv("TMPDIR");
    snprintf(tmpl, sizeof tmpl, "%s/ecgx-bench-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpl)) { perror("mkdtemp"); return 1; }
    char cache[1024];
    snprintf(cache, sizeof cache, "%s/bench.cache", tmpl);

    double t0 = ecgx_now();
    if (ecgx_dataset_cache_build(dir, cache, NULL, 1)) {
        fprintf(stderr, "bench_dataset: %s\n", ecgx_last_error());
        return 1;
    }
    double build_s = ecgx_now() - t0;

    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.keep_unlabeled = 1;
    o.cache = "none";
    ecgx_dataset *files = NULL, *cached = NULL;
    t0 = ecgx_now();
    int rc = ecgx_dataset_open(dir, &o, &files);
    double open_files_s = ecgx_now() - t0;
    o.cache = cache;
    t0 = ecgx_now();
    if (!rc) rc = ecgx_dataset_open(dir, &o, &cached);
    double open_cached_s = ecgx_now() - t0;
    if (rc) {
        fprintf(stderr, "bench_dataset: %s\n", ecgx_last_error());
        return 1;
    }
    int n = ecgx_dataset_size(files);
    double *tw = calloc((size_t)rounds, sizeof *tw), *tc = calloc((size_t)rounds, sizeof *tc),
           *tv = calloc((size_t)rounds, sizeof *tv);
    double sum = 0;
    /* first epochs: the WFDB files warm up in the OS page cache, the cache's
     * records get their one-time checksum check */
    double first_w = epoch_load(files, &sum), first_c = epoch_load(cached, &sum);
    if (first_w < 0 || first_c < 0) {
        fprintf(stderr, "bench_dataset: %s\n", ecgx_last_error());
        return 1;
    }
    for (int r = 0; r < rounds; r++) {
        tw[r] = epoch_load(files, &sum);
        tc[r] = epoch_load(cached, &sum);
        tv[r] = epoch_view(cached, &sum);
        if (tw[r] < 0 || tc[r] < 0 || tv[r] < 0) {
            fprintf(stderr, "bench_dataset: %s\n", ecgx_last_error());
            return 1;
        }
    }
    qsort(tw, (size_t)rounds, sizeof *tw, cmp_double);
    qsort(tc, (size_t)rounds, sizeof *tc, cmp_double);
    qsort(tv, (size_t)rounds, sizeof *tv, cmp_double);
    double mw = tw[rounds / 2], mc = tc[rounds / 2], mv = tv[rounds / 2];
    FILE *fp = fopen(cache, "rb");
    long cache_bytes = 0;
    if (fp) { fseek(fp, 0, SEEK_END); cache_bytes = ftell(fp); fclose(fp); }
    printf("{\n  \"bench\": \"dataset_epoch\",\n  \"dir\": \"%s\",\n  \"records\": %d,\n  \"rounds\": %d,\n", dir, n,
           rounds);
    printf("  \"note\": \"median of %d epochs after a first one; files and cache warm in the OS page cache; "
           "first_epoch_s includes the cache's one-time per-record CRC check\",\n", rounds);
    printf("  \"first_epoch_s\": {\"wfdb\": %.4f, \"cache_load\": %.4f},\n", first_w, first_c);
    printf("  \"wfdb_records_per_s\": %.1f,\n  \"cache_load_records_per_s\": %.1f,\n", n / mw, n / mc);
    printf("  \"cache_view_records_per_s\": %.1f,\n", n / mv);
    printf("  \"speedup_cache_load_vs_wfdb\": %.2f,\n  \"speedup_cache_view_vs_wfdb\": %.2f,\n", mw / mc, mw / mv);
    printf("  \"epoch_s\": {\"wfdb\": %.4f, \"cache_load\": %.4f, \"cache_view\": %.4f},\n", mw, mc, mv);
    printf("  \"open_s\": {\"files\": %.4f, \"with_cache\": %.4f},\n", open_files_s, open_cached_s);
    printf("  \"cache_build_s\": %.3f,\n  \"cache_bytes\": %ld,\n  \"checksum_sum\": %.6g\n}\n", build_s, cache_bytes,
           sum);
    ecgx_dataset_free(files);
    ecgx_dataset_free(cached);
    free(tw);
    free(tc);
    free(tv);
    unlink(cache);
    rmdir(tmpl);
    return 0;
}
