/* The nn commands end to end (ECGX_BIN, set by tests/run.sh): predict on
 * records written here (12 leads at 100 Hz, at 500 Hz to be resampled, 3
 * leads, too short, with a NaN), damaged model files, and train/--resume:
 * a run killed after its first checkpoint and resumed ends bit-identical to
 * one that was never interrupted (needs ../shared/data/ptbxl). */
#include "check.h"
#include "ecgx/outfile.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

static const char *bin, *tmp;
static char model[512];

static int run(const char *args, char *out, size_t n) { return test_run_cmd(bin, args, out, n, 0); }

/* a WFDB format-16 record: nlead leads named from the standard list */
static void write_record(const char *name, int nlead, int n, double fs, int nan_at)
{
    static const char *leads[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
    char p[600];
    snprintf(p, sizeof p, "%s/%s.hea", tmp, name);
    FILE *f = fopen(p, "w");
    fprintf(f, "%s %d %g %d\n", name, nlead, fs, n);
    for (int l = 0; l < nlead; l++) fprintf(f, "%s.dat 16 1000.0(0)/mV 16 0 0 0 0 %s\n", name, leads[l]);
    fclose(f);
    snprintf(p, sizeof p, "%s/%s.dat", tmp, name);
    f = fopen(p, "wb");
    for (int i = 0; i < n; i++)
        for (int l = 0; l < nlead; l++) {
            double t = i / fs;
            int16_t v = (int16_t)(1000 * (0.8 * exp(-pow(fmod(t, 0.8) - 0.3, 2) / 0.0005) + 0.1 * sin(2 * M_PI * t * (l + 1) / 3)));
            if (i == nan_at) v = INT16_MIN; /* WFDB's missing-sample code */
            fputc(v & 0xff, f);
            fputc((v >> 8) & 0xff, f);
        }
    fclose(f);
}

static void test_predict(void)
{
    char out[8192], args[2048];
    write_record("ok100", 12, 1000, 100, -1);
    write_record("ok500", 12, 5000, 500, -1);
    write_record("three", 3, 1000, 100, -1);
    write_record("short", 12, 200, 100, -1);
    write_record("hasnan", 12, 1000, 100, 500);
    snprintf(args, sizeof args, "predict --model %s %s/ok100 --json", model, tmp);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "\"NORM\":") && strstr(out, "\"resampled\":false"));
    snprintf(args, sizeof args, "predict --model %s %s/ok500.hea --csv", model, tmp);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "resampled from 500 Hz to the model's 100 Hz") != NULL);
    CHECK(strstr(out, "record,CD,HYP,MI,NORM,STTC") != NULL);
    snprintf(args, sizeof args, "predict --model %s %s/three", model, tmp);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "three") && strstr(out, "12 standard leads"), "%s", out);
    snprintf(args, sizeof args, "predict --model %s %s/short", model, tmp);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "short") && strstr(out, "shorter than the model's window"), "%s", out);
    snprintf(args, sizeof args, "predict --model %s %s/hasnan", model, tmp);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "hasnan") && strstr(out, "not a finite number"), "%s", out);
    /* a truncated model file */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/trunc.safetensors", tmp);
    char *buf = NULL;
    size_t n = 0;
    CHECK_OK(ecgx_read_file(model, (size_t)1 << 28, &buf, &n));
    FILE *f = fopen(bad, "wb");
    fwrite(buf, 1, n / 2, f);
    fclose(f);
    free(buf);
    snprintf(args, sizeof args, "predict --model %s %s/ok100", bad, tmp);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "trunc.safetensors") != NULL, "%s", out);
    CHECK(run("predict", out, sizeof out) == 2);
}

static void test_resume(void)
{
    char dir[1024];
    const char *d = shared_data_dir();
    if (!d) {
        fprintf(stderr, "    (../shared/data absent: training and --resume not checked)\n");
        return;
    }
    snprintf(dir, sizeof dir, "%.900s/ptbxl", d);
    if (access(dir, R_OK)) return;
    char args[4096], out[8192], a[600], b[600];
    snprintf(a, sizeof a, "%s/a.safetensors", tmp);
    snprintf(b, sizeof b, "%s/b.safetensors", tmp);
    const char *common = "--epochs 2 --batch 64 --seed 3 --quiet";
    snprintf(args, sizeof args, "train --data %s -o %s %s", dir, a, common);
    CHECK(run(args, out, sizeof out) == 0);
    /* the same run, killed once its first checkpoint exists, then resumed */
    char cmd[8192], ck[700];
    snprintf(ck, sizeof ck, "%s.ckpt", b);
    snprintf(cmd, sizeof cmd, "exec %s train --data %s -o %s %s >/dev/null 2>&1", bin, dir, b, common);
    int killed = test_kill_when_exists(cmd, ck);
    snprintf(args, sizeof args, "train --data %s -o %s %s --resume", dir, b, common);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK_MSG(test_same_file(a, b), "resumed run differs from the uninterrupted one (killed %d)", killed);
    /* eval on the trained model */
    snprintf(args, sizeof args, "eval --model %s --data %s --split val --json --quiet", a, dir);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "\"macro_auroc\":") != NULL && strstr(out, "\"macro_auprc\":") != NULL);
    /* train stored F1 thresholds chosen on the validation split, and eval uses them */
    CHECK_MSG(strstr(out, "\"thresholds_from\":\"the model's (f1 on the validation split, 72 records)\"") != NULL, "%s", out);
    /* a finished run leaves no checkpoint behind */
    snprintf(ck, sizeof ck, "%s.ckpt", a);
    CHECK(access(ck, F_OK) != 0);
    snprintf(ck, sizeof ck, "%s.ckpt", b);
    CHECK(access(ck, F_OK) != 0);
    /* thresholds stored in the model are used by the next eval */
    snprintf(args, sizeof args, "eval --model %s --data %s --split val --store-thresholds --threshold-rule youden --bootstrap 20 --quiet", a, dir);
    int st = run(args, out, sizeof out);
    CHECK_MSG(st == 0 || (st == 1 && strstr(out, "no threshold")), "%s", out);
    if (st == 0) {
        snprintf(args, sizeof args, "eval --model %s --data %s --split val --json --quiet --bootstrap 20", a, dir);
        CHECK(run(args, out, sizeof out) == 0);
        CHECK_MSG(strstr(out, "\"thresholds_from\":\"the model's (youden on the validation split, 72 records)\"") != NULL, "%s", out);
    }
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --store-thresholds", a, dir);
    CHECK(run(args, out, sizeof out) == 2);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK)) SKIP("ECGX_BIN is not set (run through make test)");
    if (access("models/resnet1d_wang_ptbxl_superdiag.safetensors", R_OK)) SKIP("run from the repository root");
    snprintf(model, sizeof model, "models/resnet1d_wang_ptbxl_superdiag.safetensors");
    tmp = test_tmpdir();
    RUN(test_predict);
    if (!getenv("ECGX_SANITIZER")) RUN(test_resume);
    return check_finish();
}
