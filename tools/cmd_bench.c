/* ecgx bench: speed of the nn engine on resnet1d_wang or another of the
 * PTB-XL benchmark's architectures (one 10 s record at
 * 100 Hz, whole and as the recipe scores it by 7 sliding windows, batches
 * of 64 crops of 2.5 s, a training step at batch 128), the
 * GFLOPS reached against this machine's measured sgemm peak, the bytes
 * allocated per inference call after warm-up and the peak RSS of training.
 * With --torch it also runs bench/torch_bench.py (PyTorch on the same
 * machine, in the same run) and reports the ratios. */
#include "cli.h"
#include "ecgx/nn.h"
#include "ecgx/progress.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <malloc.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* median seconds of fn over at least `reps` runs and `min_time` seconds */
typedef int (*bench_fn)(void *);
static double median_time(bench_fn fn, void *ctx, int reps, double min_time)
{
    fn(ctx);
    double t[2000];
    int n = 0;
    double end = ecgx_now() + min_time;
    while ((n < reps || ecgx_now() < end) && n < 2000) {
        double t0 = ecgx_now();
        fn(ctx);
        t[n++] = ecgx_now() - t0;
    }
    qsort(t, n, sizeof(double), cmp_double);
    return t[n / 2];
}

typedef struct ctx {
    ecgx_model *m;
    float *x, *y, *logits, *dlogits;
    int batch, length;
    ecgx_optim opt;
    const float *A, *B;
    float *C;
    int n;
} ctx;

/* scoring: ecgx_model_infer (intermediate outputs not kept, as PyTorch's
 * no_grad) */
static int run_infer(void *p)
{
    ctx *c = p;
    return ecgx_model_infer(c->m, c->x, c->batch, c->length, c->logits);
}

/* the forward pass that explanations use, keeping every layer's output */
static int run_forward(void *p)
{
    ctx *c = p;
    return ecgx_model_forward(c->m, c->x, c->batch, c->length, c->logits);
}

/* the 10 s record in c->x scored by ecgx_model_predict_windows: 2.5 s
 * windows at a stride of 1.25 s, max over the windows */
static int run_windows(void *p)
{
    ctx *c = p;
    return ecgx_model_predict_windows(c->m, c->x, 1000, 250, 125, c->logits, NULL);
}

static int run_train(void *p)
{
    ctx *c = p;
    int n = ecgx_model_n_classes(c->m);
    ecgx_model_zero_grad(c->m);
    if (ecgx_model_forward(c->m, c->x, c->batch, c->length, c->logits) < 0) return -1;
    ecgx_loss_bce_logits(c->logits, c->y, c->batch, n, NULL, NULL, c->dlogits);
    if (ecgx_model_backward(c->m, c->dlogits, NULL, 0) < 0) return -1;
    ecgx_optim_step(&c->opt, ecgx_model_flat_params(c->m), ecgx_model_flat_grads(c->m));
    return 0;
}

static int run_sgemm(void *p)
{
    ctx *c = p;
    int T = omp_get_max_threads();
#pragma omp parallel for num_threads(T)
    for (int t = 0; t < T; t++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->n, c->n, c->n, 1.0f, c->A, c->n, c->B, c->n, 0.0f,
                    c->C + (size_t)t * c->n * c->n, c->n);
    return 0;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void usage(FILE *o)
{
    fprintf(o, "usage: ecgx bench [--json] [--quick] [--torch] [--threads N] [--arch NAME]\n"
               "Times a model (default resnet1d_wang; any of the PTB-XL benchmark's architectures, with\n"
               "random weights): one 10 s record at 100 Hz (whole, and as the PTB-XL recipe scores\n"
               "it: 7 windows of 2.5 s at a stride of 1.25 s, max), batches of 64 crops of 2.5 s, a\n"
               "training step at batch 128 (AdamW, BCE); medians. Reports GFLOPS, effective (a direct\n"
               "convolution's operations / time) and executed (Winograd's fewer operations / time, to\n"
               "compare with the measured sgemm peak), bytes allocated per inference call after warm-up\n"
               "and peak RSS. Inference is timed with ecgx_model_infer (intermediate outputs not kept,\n"
               "as under PyTorch's no_grad); the single record also with ecgx_model_forward, which keeps\n"
               "them for explanations. --torch runs bench/torch_bench.py with /usr/bin/python3 in the same run\n"
               "and prints the ratios; PyTorch scores the windows as one batch (the ratio) and in a loop.\n");
}

int cmd_bench(int argc, char **argv)
{
    int json = 0, quick = 0, torch = 0, threads = 0, err = 0;
    const char *arch = "resnet1d_wang";
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if ((r = cli_opt("bench", argc, argv, &i, "--arch", &arch)) != 0) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--torch")) torch = 1;
        else if ((r = cli_opt_int("bench", argc, argv, &i, "--threads", &threads, &err)) != 0) {
            if (r < 0) return EXIT_USAGE;
        } else return cli_usage_error("bench", "unknown argument '%s'", argv[i]);
    }
    if (threads > 0) ecgx_nn_set_threads(threads);
    double mt = quick ? 0.3 : 2.0;
    ctx c;
    memset(&c, 0, sizeof c);
    ecgx_model_config cfg = {12, 5, 1};
    /* Ribeiro et al.'s network reads 4096 samples at 400 Hz, not the 10 s and
     * 2.5 s at 100 Hz timed here */
    if (!strcmp(arch, "ribeiro_resnet"))
        return cli_usage_error("bench", "--arch ribeiro_resnet: its input is 4096 samples at 400 Hz, not the 10 s "
                                        "records and 2.5 s crops at 100 Hz this bench times");
    if (ecgx_model_create(arch, &cfg, &c.m) < 0) return cli_usage_error("bench", "--arch %s: %s", arch,
                                                                        ecgx_last_error());
    int T = omp_get_max_threads();

    /* sgemm peak: one single-threaded sgemm per thread, all at once */
    c.n = 1024;
    float *A = malloc(sizeof(float) * c.n * c.n), *B = malloc(sizeof(float) * c.n * c.n);
    c.C = malloc(sizeof(float) * c.n * c.n * T);
    for (int i = 0; i < c.n * c.n; i++) { A[i] = (float)(i % 17) * 0.01f; B[i] = (float)(i % 13) * 0.01f; }
    c.A = A;
    c.B = B;
    double load0[1] = {-1}, load1[1] = {-1};
    if (getloadavg(load0, 1) < 1) load0[0] = -1;
    double tg = median_time(run_sgemm, &c, 3, mt);
    double peak_before = 2.0 * c.n * c.n * (double)c.n * T / tg / 1e9;

    uint64_t s = 42;
    size_t nx = (size_t)128 * 12 * 1000;
    c.x = malloc(sizeof(float) * nx);
    c.y = malloc(sizeof(float) * 128 * 5);
    c.logits = malloc(sizeof(float) * 128 * 5);
    c.dlogits = malloc(sizeof(float) * 128 * 5);
    for (size_t i = 0; i < nx; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        c.x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    for (int i = 0; i < 128 * 5; i++) c.y[i] = (float)(i % 3 == 0);

    ecgx_model_set_training(c.m, 0);
    c.batch = 1; c.length = 1000;
    double t1 = median_time(run_infer, &c, 20, mt);
    size_t h0 = heap_in_use();
    for (int i = 0; i < 10; i++) run_infer(&c);
    long alloc1 = (long)heap_in_use() - (long)h0;
    double f1 = ecgx_model_forward_flops(c.m, 1000), e1 = ecgx_model_forward_flops_executed(c.m, 1000);
    double tk = median_time(run_forward, &c, 20, mt);
    double tw = median_time(run_windows, &c, 20, mt);
    h0 = heap_in_use();
    for (int i = 0; i < 10; i++) run_windows(&c);
    long allocw = (long)heap_in_use() - (long)h0;

    c.batch = 64; c.length = 250;
    double t64 = median_time(run_infer, &c, 5, mt);
    h0 = heap_in_use();
    for (int i = 0; i < 3; i++) run_infer(&c);
    long alloc64 = (long)heap_in_use() - (long)h0;
    double f64 = 64 * ecgx_model_forward_flops(c.m, 250), e64 = 64 * ecgx_model_forward_flops_executed(c.m, 250);

    ecgx_model_set_training(c.m, 1);
    c.batch = 128; c.length = 250;
    ecgx_optim_init(&c.opt, ECGX_OPTIM_ADAMW, ecgx_model_n_trainable(c.m), 1e-3, 1e-2);
    double tt = median_time(run_train, &c, 3, mt);
    double ftrain = 3 * 128 * ecgx_model_forward_flops(c.m, 250);
    double etrain = 3 * 128 * ecgx_model_forward_flops_executed(c.m, 250);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    ecgx_optim_free(&c.opt);
    /* the peak again after the runs: on shared cores one measurement can be
     * disturbed, and a disturbed peak makes the kernels look faster than it */
    tg = median_time(run_sgemm, &c, 3, mt);
    double peak_after = 2.0 * c.n * c.n * (double)c.n * T / tg / 1e9;
    double peak = peak_before > peak_after ? peak_before : peak_after;
    if (getloadavg(load1, 1) < 1) load1[0] = -1;
    free(A); free(B); free(c.C);
    double exec_max = e1 / t1 / 1e9;
    if (e64 / t64 / 1e9 > exec_max) exec_max = e64 / t64 / 1e9;
    if (etrain / tt / 1e9 > exec_max) exec_max = etrain / tt / 1e9;
    /* never a figure above the peak without the reason beside it */
    char peak_note[512] = "";
    if (exec_max > peak)
        snprintf(peak_note, sizeof peak_note,
                 "executed %.1f GFLOPS is above the measured sgemm peak (%.1f before, %.1f after the runs): the peak "
                 "measurement was disturbed by other load on the %d cores (load average %.1f at the start, %.1f at the "
                 "end), so the ratio to the peak is not meaningful in this run; rerun on an idle machine",
                 exec_max, peak_before, peak_after, T, load0[0], load1[0]);

    double ref1 = 0, ref64 = 0, reft = 0, refw = 0, refwl = 0;
    int have_ref = 0;
    if (torch) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/torch_bench.py --threads %d --arch %s%s 2>/dev/null", T,
                 arch, quick ? " --quick" : "");
        FILE *p = popen(cmd, "r");
        char line[1024] = "";
        if (p) {
            if (!fgets(line, sizeof line, p)) line[0] = 0;
            pclose(p);
        }
        /* the reference's one line of JSON */
        cJSON *r = cJSON_Parse(line);
        double *dst[5] = {&ref1, &ref64, &reft, &refw, &refwl};
        const char *keys[5] = {"single_10s_ms", "batch64_crops_rec_per_s", "train_step_b128_rec_per_s",
                               "record_windows_ms", "record_windows_loop_ms"};
        have_ref = r != NULL;
        for (int k = 0; k < 5 && have_ref; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keys[k]);
            have_ref = cJSON_IsNumber(v) && v->valuedouble > 0;
            if (have_ref) *dst[k] = v->valuedouble;
        }
        cJSON_Delete(r);
        if (!have_ref)
            fprintf(stderr, "ecgx bench: the PyTorch reference did not run (bench/torch_bench.py, /usr/bin/python3 "
                            "with torch)\n");
    }
    if (json) {
        printf("{\"model\":\"%s\",\"threads\":%d,\"sgemm_peak_gflops_before\":%.1f,\"sgemm_peak_gflops_after\":%.1f,"
               "\"load_average\":[%.2f,%.2f],\"executed_above_peak\":%s,\"peak_note\":\"%s\",",
               arch, T, peak_before, peak_after, load0[0], load1[0], peak_note[0] ? "true" : "false", peak_note);
        printf("\"sgemm_peak_gflops\":%.1f,"
               "\"single_10s_ms\":%.3f,\"single_10s_gflops\":%.1f,\"single_alloc_bytes_per_call\":%ld,"
               "\"single_10s_keep_activations_ms\":%.3f,"
               "\"record_windows_ms\":%.3f,\"record_windows_alloc_bytes_per_call\":%ld,"
               "\"batch64_crops_rec_per_s\":%.1f,\"batch64_gflops\":%.1f,\"batch64_alloc_bytes_per_call\":%ld,"
               "\"train_step_b128_rec_per_s\":%.1f,\"train_gflops\":%.1f,\"peak_rss_mb\":%.1f,"
               "\"executed_gflops\":{\"single\":%.1f,\"batch64\":%.1f,\"train\":%.1f}",
               peak, t1 * 1e3, f1 / t1 / 1e9, alloc1 / 10, tk * 1e3, tw * 1e3, allocw / 10, 64 / t64,
               f64 / t64 / 1e9, alloc64 / 3, 128 / tt,
               ftrain / tt / 1e9, ru.ru_maxrss / 1024.0, e1 / t1 / 1e9, e64 / t64 / 1e9, etrain / tt / 1e9);
        if (have_ref)
            printf(",\"torch\":{\"single_10s_ms\":%.3f,\"record_windows_ms\":%.3f,\"record_windows_loop_ms\":%.3f,"
                   "\"batch64_crops_rec_per_s\":%.1f,\"train_step_b128_rec_per_s\":%.1f},"
                   "\"speedup\":{\"single\":%.2f,\"record_windows\":%.2f,\"record_windows_vs_loop\":%.2f,"
                   "\"batch64\":%.2f,\"train\":%.2f}",
                   ref1, refw, refwl, ref64, reft, ref1 / (t1 * 1e3), refw / (tw * 1e3),
                   refwl / (tw * 1e3), (64 / t64) / ref64, (128 / tt) / reft);
        printf("}\n");
    } else {
        printf("%s, %d threads; sgemm peak %.1f GFLOPS (the larger of %.1f before and %.1f after the runs)\n", arch, T,
               peak, peak_before, peak_after);
        printf("GFLOPS: effective (a direct convolution's operations / time) and executed (the\n"
               "operations done, Winograd's fewer, / time; compare with the peak); fwd+bwd = 3 x fwd\n");
        printf("  one 10 s record (100 Hz):   %8.3f ms   %6.1f eff. %6.1f exec.  (%ld bytes allocated per call)\n",
               t1 * 1e3, f1 / t1 / 1e9, e1 / t1 / 1e9, alloc1 / 10);
        printf("    keeping every activation: %8.3f ms   (ecgx_model_forward, as explanations need)\n", tk * 1e3);
        printf("  the record by 7 windows:    %8.3f ms   (%ld bytes allocated per call)\n", tw * 1e3, allocw / 10);
        printf("  batch of 64 x 2.5 s crops:  %8.1f rec/s %6.1f eff. %6.1f exec.  (%ld bytes allocated per call)\n",
               64 / t64, f64 / t64 / 1e9, e64 / t64 / 1e9, alloc64 / 3);
        printf("  training step, batch 128:   %8.1f rec/s %6.1f eff. %6.1f exec.\n", 128 / tt, ftrain / tt / 1e9,
               etrain / tt / 1e9);
        printf("  peak RSS:                   %8.1f MB\n", ru.ru_maxrss / 1024.0);
        if (peak_note[0]) printf("note: %s\n", peak_note);
        if (have_ref)
            printf("PyTorch %s: single %.3f ms (ecgx %.2fx), by 7 windows %.3f ms batched (%.2fx) / %.3f ms in a loop "
                   "(%.2fx),\n  batch64 %.1f rec/s (%.2fx), train %.1f rec/s (%.2fx)\n",
                   "1.13", ref1, ref1 / (t1 * 1e3), refw, refw / (tw * 1e3), refwl, refwl / (tw * 1e3), ref64,
                   (64 / t64) / ref64, reft, (128 / tt) / reft);
    }
    free(c.x); free(c.y); free(c.logits); free(c.dlogits);
    ecgx_model_free(c.m);
    return EXIT_OK;
}
