/* Reading speed: every record of ../shared/data/ptbxl-filtered (1,598 WFDB
 * format-16 records, 12 x 1000 samples) through ecgx_record_read, against
 * the bare cost of getting the same bytes off the disk (read .hea and .dat
 * into memory, no parsing) measured in the same run. JSON on stdout. */
#include "check.h"
#include "ecgx/io.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"

#include <dirent.h>

typedef struct list { char **paths; int n, cap; } list;

static void collect(const char *dir, int depth, list *l)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (e->d_type == DT_DIR && depth > 0) { collect(p, depth - 1, l); continue; }
        if (n > 4 && strcmp(e->d_name + n - 4, ".hea") == 0) {
            if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 1024;
                l->paths = realloc(l->paths, sizeof *l->paths * (size_t)l->cap);
            }
            p[strlen(p) - 4] = '\0';
            l->paths[l->n++] = strdup(p);
        }
    }
    closedir(d);
}

static double raw_pass(const list *l)
{
    double t0 = ecgx_now();
    size_t total = 0;
    for (int i = 0; i < l->n; i++) {
        char p[8300];
        const char *ext[2] = {".hea", ".dat"};
        for (int k = 0; k < 2; k++) {
            char *buf;
            size_t n;
            snprintf(p, sizeof p, "%s%s", l->paths[i], ext[k]);
            if (ecgx_read_file(p, (size_t)1 << 30, &buf, &n) == 0) { total += n; free(buf); }
        }
    }
    (void)total;
    return ecgx_now() - t0;
}

static double read_pass(const list *l, int *failures, double *checksum)
{
    double t0 = ecgx_now();
    for (int i = 0; i < l->n; i++) {
        ecgx_record *r;
        if (ecgx_record_read(l->paths[i], &r)) { (*failures)++; continue; }
        *checksum += r->data[r->n_samples / 2];
        ecgx_record_free(r);
    }
    return ecgx_now() - t0;
}

int main(int argc, char **argv)
{
    char dir[8192];
    const char *d = shared_data_dir();
    if (!d) { fprintf(stderr, "bench_io: ../shared/data is absent\n"); return 77; }
    snprintf(dir, sizeof dir, "%s/ptbxl-filtered/records100", d);
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1) reps = 1;
    list l = {0};
    collect(dir, 1, &l);
    if (l.n == 0) { fprintf(stderr, "bench_io: no records in %s\n", dir); return 1; }
    /* warm the page cache, then best of `reps` for each side, interleaved */
    int failures = 0;
    double sink = 0, best_read = 1e30, best_raw = 1e30;
    raw_pass(&l);
    for (int r = 0; r < reps; r++) {
        double a = raw_pass(&l), b = read_pass(&l, &failures, &sink);
        if (a < best_raw) best_raw = a;
        if (b < best_read) best_read = b;
    }
    printf("{\n  \"benchmark\": \"io_read_ptbxl_filtered\",\n  \"records\": %d,\n  \"repetitions\": %d,\n"
           "  \"read_seconds\": %.4f,\n  \"records_per_second\": %.0f,\n  \"raw_file_read_seconds\": %.4f,\n"
           "  \"read_over_raw\": %.2f,\n  \"failures\": %d\n}\n",
           l.n, reps, best_read, l.n / best_read, best_raw, best_read / best_raw, failures / reps);
    for (int i = 0; i < l.n; i++) free(l.paths[i]);
    free(l.paths);
    return failures ? 1 : 0;
}
