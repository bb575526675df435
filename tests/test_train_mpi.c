/* Data-parallel training (ecgx_train_run under mpirun, include/ecgx/train.h)
 * against one process: 2 ranks x 1 thread and 1 process x 2 threads with
 * the same global batch of 16 must end with the same parameters (to float
 * rounding: sums are taken in another order) and the same validation
 * AUROC, which needs the gradient all-reduce, rank 0's initial weights and
 * the batch-norm statistics summed over the ranks: one process with a batch
 * of 8 (what each rank sees alone) must differ by far more, the control
 * that the comparison can fail. A batch that does not split over the ranks
 * ends the job with a message and a non-zero exit, and so does one rank
 * that fails while the other waits for it. Skipped when this build
 * has no MPI or mpirun is absent. */
#include "check.h"
#include "ecgx/nn.h"
#include "ecgx/train.h"

#include <math.h>

/* A hung job (a rank waiting for one that left) fails the test instead of
 * hanging it. Under ASan the ranks run without leak detection: Open MPI's
 * plugins are unloaded before LeakSanitizer looks, so its own allocations
 * (and libxgboost's, when MPI aborts a rank) are reported from unknown
 * modules that no suppression can name. The same training code runs under
 * leak detection in one process here and in test_train_api. */
#define MPIENV "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "
#define MPIRUN_OPTS "timeout 300 mpirun --allow-run-as-root --oversubscribe --mca plm isolated -x OMP_NUM_THREADS=1 -x ASAN_OPTIONS "
#define MPIRUN MPIENV MPIRUN_OPTS "-np 2 "

static const char *bin, *tmp;

/* A shell command's exit status, its stdout and stderr in out. */
static int sh(const char *cmd, char *out, size_t n)
{
    char full[8192];
    snprintf(full, sizeof full, "( %s ) 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t k = fread(out, 1, n - 1, p);
    out[k] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The RMS of the parameter differences of two checkpoints, and the
 * fraction of parameters that differ by more than 1e-4. Not the maximum:
 * Adam's first steps move a weight by about lr whatever the size of its
 * gradient, so a gradient within rounding of zero may step either way (one
 * process with 1 and with 2 threads differs so in 1 of ~500,000 weights). */
static double param_diff(const char *a, const char *b, double *frac)
{
    ecgx_model *x = NULL, *y = NULL;
    double rms = INFINITY;
    *frac = 1;
    if (ecgx_model_load(a, &x) == 0 && ecgx_model_load(b, &y) == 0 &&
        ecgx_model_n_trainable(x) == ecgx_model_n_trainable(y)) {
        const float *p = ecgx_model_flat_params(x), *q = ecgx_model_flat_params(y);
        int64_t n = ecgx_model_n_trainable(x), big = 0;
        double ss = 0;
        for (int64_t i = 0; i < n; i++) {
            double d = (double)p[i] - q[i];
            ss += d * d;
            big += !(fabs(d) <= 1e-4);
        }
        rms = sqrt(ss / n);
        *frac = (double)big / n;
    }
    ecgx_model_free(x);
    ecgx_model_free(y);
    return rms;
}

static double meta_num(const char *path, const char *key)
{
    ecgx_model *m = NULL;
    double v = NAN;
    if (ecgx_model_load(path, &m) == 0 && ecgx_model_meta(m, key)) v = atof(ecgx_model_meta(m, key));
    ecgx_model_free(m);
    return v;
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK) != 0) SKIP("ECGX_BIN (the ecgx binary) is not set; run through make test");
    if (!ecgx_train_parallel_available()) SKIP("built without MPI (install libopenmpi-dev, make MPI=1)");
    if (system("command -v mpirun >/dev/null 2>&1") != 0) SKIP("mpirun is absent (openmpi-bin)");
    tmp = test_tmpdir();
    char dir[600], cmd[4096], out[16384], one[700], two[700], half[700];
    snprintf(dir, sizeof dir, "%s/d", tmp);
    snprintf(cmd, sizeof cmd, "%s synth --n 40 --condition normal,af --fs 100 --duration 3 --seed 4 -o %s", bin, dir);
    CHECK_MSG(sh(cmd, out, sizeof out) == 0, "%s", out);
    snprintf(one, sizeof one, "%s/one.safetensors", tmp);
    snprintf(two, sizeof two, "%s/two.safetensors", tmp);
    snprintf(half, sizeof half, "%s/half.safetensors", tmp);
    const char *common = "--epochs 2 --seed 2 --keep-checkpoints --quiet"; /* 32 records: 2 steps per epoch */
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=2 %s train --data %s -o %s --batch 16 %s", bin, dir, one, common);
    CHECK_MSG(sh(cmd, out, sizeof out) == 0, "%s", out);
    snprintf(cmd, sizeof cmd, MPIRUN "%s train --data %s -o %s --batch 16 %s", bin, dir, two, common);
    CHECK_MSG(sh(cmd, out, sizeof out) == 0, "%s", out);
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=2 %s train --data %s -o %s --batch 8 %s", bin, dir, half, common);
    CHECK_MSG(sh(cmd, out, sizeof out) == 0, "%s", out);

    char a[800], b[800], c[800];
    snprintf(a, sizeof a, "%s.ckpt", one); /* the last epoch's weights (the model file is the best epoch's) */
    snprintf(b, sizeof b, "%s.ckpt", two);
    snprintf(c, sizeof c, "%s.ckpt", half);
    double f2, fh, d2 = param_diff(a, b, &f2), dh = param_diff(a, c, &fh);
    fprintf(stderr, "  after 4 steps, parameters of 2 ranks vs 1 process: RMS difference %.3g, %.3g%% differ by > 1e-4;\n"
                    "  1 process with the ranks' own batch: RMS %.3g, %.3g%%\n", d2, 100 * f2, dh, 100 * fh);
    CHECK(d2 < 1e-5 && f2 < 1e-4);
    CHECK(dh > 1e-3 && fh > 0.5);
    double v1 = meta_num(one, "val_macro_auroc"), v2 = meta_num(two, "val_macro_auroc");
    CHECK_MSG(isfinite(v1) && fabs(v1 - v2) < 1e-6, "val AUROC %g vs %g", v1, v2);
    CHECK(meta_num(one, "best_epoch") == meta_num(two, "best_epoch"));

    /* a refusal on the ranks ends the job with the reason */
    snprintf(cmd, sizeof cmd, MPIRUN "%s train --data %s -o %s/odd.safetensors --batch 7 --epochs 1 --quiet", bin, dir, tmp);
    CHECK(sh(cmd, out, sizeof out) != 0);
    CHECK_MSG(strstr(out, "does not split evenly over 2 ranks") != NULL, "%s", out);

    /* one rank that fails (rank 1 given a folder that does not exist)
     * ends the whole job, naming itself and why; nothing is written */
    snprintf(cmd, sizeof cmd,
             MPIENV MPIRUN_OPTS "-np 1 %s train --data %s -o %s/lone.safetensors --batch 8 --epochs 1 --quiet : "
             "-np 1 %s train --data %s/absent -o %s/lone.safetensors --batch 8 --epochs 1 --quiet",
             bin, dir, tmp, bin, tmp, tmp);
    CHECK(sh(cmd, out, sizeof out) != 0);
    CHECK_MSG(strstr(out, "rank 1 of 2 failed") != NULL && strstr(out, "absent") != NULL, "%s", out);
    char lone[800];
    snprintf(lone, sizeof lone, "%s/lone.safetensors", tmp);
    CHECK(access(lone, F_OK) != 0);
    return check_finish();
}
