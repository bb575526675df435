/* Speed of the attribution methods on one 10 s record at 100 Hz (12 x 1000)
 * with resnet1d_wang, and the same Integrated Gradients (64 steps, batched,
 * zero baseline) and Grad-CAM in PyTorch 1.13 run side by side in the same
 * process tree (tools/torch_xai_ref.py --bench), alternating, so the
 * machine's load hits both alike. Prints JSON.
 *
 * usage: bench_xai [--reps N] [--threads N] [--no-torch] */
#include "ecgx/nn.h"
#include "ecgx/progress.h"
#include "ecgx/xai.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* best wall time of reps runs; *cpu (may be NULL) the best process CPU time */
static double time_method_cpu(ecgx_model *m, const float *x, int L, ecgx_xai_options *o, int reps, double *cpu)
{
    ecgx_attribution *a = NULL;
    ecgx_xai_attribute(m, x, L, o, &a); /* warm-up */
    ecgx_attribution_free(a);
    double best = 1e30, bestc = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = ecgx_now(), c0 = cpu_now();
        a = NULL;
        if (ecgx_xai_attribute(m, x, L, o, &a) < 0) {
            fprintf(stderr, "bench_xai: %s\n", ecgx_last_error());
            return NAN;
        }
        double t = ecgx_now() - t0, c = cpu_now() - c0;
        if (t < best) best = t;
        if (c < bestc) bestc = c;
        ecgx_attribution_free(a);
    }
    if (cpu) *cpu = bestc;
    return best;
}

static double time_method(ecgx_model *m, const float *x, int L, ecgx_xai_options *o, int reps)
{
    return time_method_cpu(m, x, L, o, reps, NULL);
}

static int torch_run(int threads, double *ig, double *cam, double *igc, double *camc)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tools/torch_xai_ref.py --bench 64 1000 %d 2>/dev/null", threads);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char buf[1024] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = 0;
    if (pclose(p) != 0) return -1;
    cJSON *j = cJSON_Parse(buf);
    if (!j) return -1;
    *ig = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "torch_ig_s"));
    *cam = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "torch_gradcam_s"));
    *igc = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "torch_ig_cpu_s"));
    *camc = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "torch_gradcam_cpu_s"));
    cJSON_Delete(j);
    return 0;
}

int main(int argc, char **argv)
{
    int reps = 3, threads = 2, torch = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-torch")) torch = 0;
    }
    ecgx_nn_set_threads(threads);
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, 5, 0};
    if (ecgx_model_create("resnet1d_wang", &cfg, &m) < 0) return 1;
    const int L = 1000;
    float *x = malloc(sizeof(float) * 12 * L);
    uint64_t s = 1;
    for (int i = 0; i < 12 * L; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 11) * 0x1.0p-53 * 2 - 1);
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", "resnet1d_wang");
    cJSON_AddNumberToObject(j, "length", L);
    cJSON_AddNumberToObject(j, "threads", threads);
    /* IG at several batch sizes */
    cJSON *igb = cJSON_AddObjectToObject(j, "ig64_seconds_by_batch");
    double ig_best = 1e30;
    int best_b = 0;
    int batches[4] = {8, 16, 32, 64};
    for (int k = 0; k < 4; k++) {
        ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_IG);
        o.target = 0;
        o.steps = 64;
        o.batch = batches[k];
        double t = time_method(m, x, L, &o, reps);
        char key[16];
        snprintf(key, sizeof key, "%d", batches[k]);
        cJSON_AddNumberToObject(igb, key, t);
        if (t < ig_best) ig_best = t, best_b = batches[k];
    }
    cJSON_AddNumberToObject(j, "ig64_best_batch", best_b);
    /* the default batch, alternating with PyTorch, with 1 thread and with `threads` on both sides */
    cJSON *cmp = cJSON_AddArrayToObject(j, "ecgx_vs_torch");
    int th_list[2] = {1, threads};
    for (int ti_ = 0; ti_ < (threads > 1 ? 2 : 1); ti_++) {
        int th = th_list[ti_];
        ecgx_nn_set_threads(th);
        double ecgx_ig = 1e30, ecgx_cam = 1e30, torch_ig = 1e30, torch_cam = 1e30;
        double ecgx_igc = 1e30, ecgx_camc = 1e30, torch_igc = 1e30, torch_camc = 1e30, c;
        int torch_ok = 0;
        for (int r = 0; r < (torch ? 3 : 1); r++) {
            ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_IG);
            o.target = 0;
            double t = time_method_cpu(m, x, L, &o, reps, &c);
            if (t < ecgx_ig) ecgx_ig = t;
            if (c < ecgx_igc) ecgx_igc = c;
            o = ecgx_xai_options_default(ECGX_XAI_GRADCAM);
            o.target = 0;
            t = time_method_cpu(m, x, L, &o, 5 * reps, &c);
            if (t < ecgx_cam) ecgx_cam = t;
            if (c < ecgx_camc) ecgx_camc = c;
            double ti, tc, tic, tcc;
            if (torch && torch_run(th, &ti, &tc, &tic, &tcc) == 0) {
                torch_ok = 1;
                if (ti < torch_ig) torch_ig = ti;
                if (tc < torch_cam) torch_cam = tc;
                if (tic < torch_igc) torch_igc = tic;
                if (tcc < torch_camc) torch_camc = tcc;
            }
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "threads", th);
        cJSON_AddNumberToObject(e, "ecgx_ig64_s", ecgx_ig);
        cJSON_AddNumberToObject(e, "ecgx_gradcam_s", ecgx_cam);
        cJSON_AddNumberToObject(e, "ecgx_ig64_cpu_s", ecgx_igc);
        cJSON_AddNumberToObject(e, "ecgx_gradcam_cpu_s", ecgx_camc);
        if (torch_ok) {
            cJSON_AddNumberToObject(e, "torch_ig64_s", torch_ig);
            cJSON_AddNumberToObject(e, "torch_gradcam_s", torch_cam);
            cJSON_AddNumberToObject(e, "torch_ig64_cpu_s", torch_igc);
            cJSON_AddNumberToObject(e, "torch_gradcam_cpu_s", torch_camc);
            cJSON_AddNumberToObject(e, "ig_speedup_wall", torch_ig / ecgx_ig);
            cJSON_AddNumberToObject(e, "gradcam_speedup_wall", torch_cam / ecgx_cam);
            cJSON_AddNumberToObject(e, "ig_speedup_cpu", torch_igc / ecgx_igc);
            cJSON_AddNumberToObject(e, "gradcam_speedup_cpu", torch_camc / ecgx_camc);
        }
        cJSON_AddItemToArray(cmp, e);
    }
    ecgx_nn_set_threads(threads);
    /* every method once, for the table */
    cJSON *all = cJSON_AddObjectToObject(j, "seconds_per_method");
    for (int k = 0; k < ECGX_XAI_N_METHODS; k++) {
        ecgx_xai_options o = ecgx_xai_options_default(k);
        o.target = 0;
        o.window = 50;
        o.stride = 25;
        cJSON_AddNumberToObject(all, ecgx_xai_method_name(k), time_method(m, x, L, &o, 1));
    }
    char *out = cJSON_Print(j);
    puts(out);
    free(out);
    cJSON_Delete(j);
    free(x);
    ecgx_model_free(m);
    return 0;
}
