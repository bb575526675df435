/* What `ecgx clusters apply` costs beyond the network's forward pass, in
 * process, each part timed on its own (a difference of two noisy timings
 * would drown in this shared machine's jitter): loading the clusters file
 * (without the surrogate), checking the model hash, the record's
 * preparation (filter, resample, z-score: the same as `ecgx predict`), the
 * forward pass, and everything after it (activations on one time axis,
 * standardisation, projection, posterior, entropy, windows:
 * clusters_assign_forwarded). Medians over ROUNDS after one warm-up (the
 * first forward pass at a new length plans buffers). Prints JSON.
 *   bench_clusters MODEL CLUSTERS RECORD [ROUNDS]   (default 30 rounds) */
#include "clusters/internal.h"
#include "ecgx/clusters.h"
#include "ecgx/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_clusters MODEL CLUSTERS RECORD [ROUNDS]\n");
        return 2;
    }
    int R = argc > 4 ? atoi(argv[4]) : 30;
    if (R < 1) R = 1;
    ecgx_model *m = NULL;
    ecgx_record *rec = NULL;
    if (ecgx_model_load(argv[1], &m) < 0 || ecgx_record_read(argv[3], &rec) < 0) {
        fprintf(stderr, "bench_clusters: %s\n", ecgx_last_error());
        return 1;
    }
    double *tl = malloc(sizeof(double) * R), *th = malloc(sizeof(double) * R), *tp = malloc(sizeof(double) * R),
           *tf = malloc(sizeof(double) * R), *ta = malloc(sizeof(double) * R);
    float *x = NULL;
    int L = 0;
    ecgx_model_prepare_record(m, rec, 0, &x, &L, NULL, NULL, 0);
    ecgx_model_forward(m, x, 1, L, NULL); /* warm-up */
    free(x);
    for (int r = 0; r < R; r++) {
        double t0 = now();
        ecgx_clusters *c = NULL;
        if (ecgx_clusters_load_ex(argv[2], ECGX_CLUSTERS_NO_SURROGATE, &c) < 0) {
            fprintf(stderr, "bench_clusters: %s\n", ecgx_last_error());
            return 1;
        }
        double t1 = now();
        if (ecgx_clusters_check_model(c, m, argv[2]) < 0) {
            fprintf(stderr, "bench_clusters: %s\n", ecgx_last_error());
            return 1;
        }
        double t2 = now();
        ecgx_model_prepare_record(m, rec, 0, &x, &L, NULL, NULL, 0);
        double t3 = now();
        ecgx_model_forward(m, x, 1, L, NULL);
        double t4 = now();
        ecgx_clusters_record cr;
        if (clusters_assign_forwarded(c, m, L, 0, &cr) < 0) {
            fprintf(stderr, "bench_clusters: %s\n", ecgx_last_error());
            return 1;
        }
        double t5 = now();
        tl[r] = t1 - t0, th[r] = t2 - t1, tp[r] = t3 - t2, tf[r] = t4 - t3, ta[r] = t5 - t4;
        ecgx_clusters_record_free(&cr);
        ecgx_clusters_free(c);
        free(x);
    }
    double ml = median(tl, R) * 1e3, mh = median(th, R) * 1e3, mp = median(tp, R) * 1e3, mf = median(tf, R) * 1e3,
           ma = median(ta, R) * 1e3;
    printf("{\"record\":\"%s\",\"samples\":%lld,\"model_samples\":%d,\"rounds\":%d,\"ms\":{\"load_clusters\":%.3f,"
           "\"check_model_hash\":%.3f,\"prepare\":%.3f,\"forward\":%.3f,\"after_forward\":%.3f,"
           "\"beyond_forward_and_prepare\":%.3f}}\n",
           argv[3], (long long)rec->n_samples, L, R, ml, mh, mp, mf, ma, ml + mh + ma);
    free(tl), free(th), free(tp), free(tf), free(ta);
    ecgx_record_free(rec);
    ecgx_model_free(m);
    return 0;
}
