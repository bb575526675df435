/* Age regression end to end: the regression figures of the eval module
 * (ecgx_eval_regression_metrics) against closed forms and hand-made
 * resamples, then `ecgx train --labels age` / predict / eval (ECGX_BIN, set
 * by tests/run.sh) on a data set made here, where the age is a known
 * function of the signal: synthetic records (ecgx_synth_generate) whose
 * heart rate rises linearly with the age written in labels.csv. A few
 * epochs must bring the validation MAE well below that of predicting the
 * training mean; records of unknown age must be left out and counted;
 * predict --csv must agree with eval and with train's own validation;
 * --resume after a kill must end bit-identical to an uninterrupted run. */
#include "check.h"
#include "core/rng.h"
#include "ecgx/dataset.h"
#include "ecgx/eval.h"
#include "ecgx/io.h"
#include "ecgx/outfile.h"
#include "ecgx/synth.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

/* ---- the metrics ---- */

static void test_closed_form(void)
{
    /* errors 0, -1, 1, -1; truth mean 2.75, SS_tot 8.75; pred mean 2.5,
     * sum dp^2 = 5, sum dp*dt = 5.5 */
    const double p[4] = {1, 2, 3, 4}, t[4] = {1, 3, 2, 5};
    ecgx_eval_options o;
    ecgx_eval_options_default(&o);
    o.n_bootstrap = 0;
    ecgx_eval_regression r;
    CHECK_OK(ecgx_eval_regression_metrics(p, t, 4, &o, &r));
    CHECK_NEAR(r.mae, 0.75, 1e-15);
    CHECK_NEAR(r.rmse, sqrt(0.75), 1e-15);
    CHECK_NEAR(r.r2, 1.0 - 3.0 / 8.75, 1e-15);
    CHECK_NEAR(r.pearson_r, 5.5 / sqrt(5.0 * 8.75), 1e-15);
    CHECK_NEAR(r.bias, -0.25, 1e-15);
    CHECK(r.n == 4 && r.n_bootstrap == 0 && isnan(r.mae_ci.lo) && isnan(r.r2_ci.hi));

    /* perfect prediction; constant truth (R^2 and r undefined); bad input */
    CHECK_OK(ecgx_eval_regression_metrics(t, t, 4, &o, &r));
    CHECK(r.mae == 0 && r.rmse == 0 && r.r2 == 1 && fabs(r.pearson_r - 1) < 1e-15);
    const double c[4] = {7, 7, 7, 7};
    CHECK_OK(ecgx_eval_regression_metrics(p, c, 4, &o, &r));
    CHECK(isnan(r.r2) && isnan(r.pearson_r) && r.mae == 4.5);
    const double bad[4] = {1, NAN, 3, 4};
    CHECK(ecgx_eval_regression_metrics(bad, t, 4, &o, &r) < 0);
    CHECK(ecgx_eval_regression_metrics(p, t, 0, &o, &r) < 0);
}

/* On ages around 60: a least-squares line's R^2 is r^2 (a textbook
 * identity the code does not use), and r is unchanged by an affine map
 * of the predictions; MAE and RMSE against a plain long double loop. */
static void test_identities(void)
{
    enum { N = 300 };
    double x[N], t[N], p[N], q[N];
    ecgx_rng g;
    ecgx_rng_seed(&g, 42, 0);
    long double sx = 0, st = 0;
    for (int i = 0; i < N; i++) {
        x[i] = ecgx_rng_uniform(&g);
        t[i] = 60 + 20 * x[i] + 8 * ecgx_rng_gauss(&g);
        sx += x[i];
        st += t[i];
    }
    long double mx = sx / N, mt = st / N, sxy = 0, sxx = 0;
    for (int i = 0; i < N; i++) {
        sxy += (x[i] - mx) * (t[i] - mt);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    double b = (double)(sxy / sxx), a = (double)(mt - b * mx);
    long double sae = 0, sse = 0;
    for (int i = 0; i < N; i++) {
        p[i] = a + b * x[i];
        q[i] = 3 - 0.5 * p[i];
        sae += fabsl((long double)p[i] - t[i]);
        sse += ((long double)p[i] - t[i]) * ((long double)p[i] - t[i]);
    }
    ecgx_eval_regression r, s;
    ecgx_eval_options o;
    ecgx_eval_options_default(&o);
    o.n_bootstrap = 0;
    CHECK_OK(ecgx_eval_regression_metrics(p, t, N, &o, &r));
    CHECK_NEAR(r.r2, r.pearson_r * r.pearson_r, 1e-12);
    CHECK(r.r2 > 0.2 && r.r2 < 0.9);
    CHECK_NEAR(r.bias, 0, 1e-10);
    CHECK_NEAR(r.mae, (double)(sae / N), 1e-12);
    CHECK_NEAR(r.rmse, sqrt((double)(sse / N)), 1e-12);
    CHECK_OK(ecgx_eval_regression_metrics(q, t, N, &o, &s));
    CHECK_NEAR(s.pearson_r, -r.pearson_r, 1e-12);
}

/* Resample b of the bootstrap, drawn here the way the eval module
 * documents it (stream b of the seed, n draws with replacement). */
static void test_bootstrap(void)
{
    enum { N = 400 };
    double p[N], t[N];
    ecgx_rng g;
    ecgx_rng_seed(&g, 7, 1);
    for (int i = 0; i < N; i++) {
        t[i] = 20 + 60 * ecgx_rng_uniform(&g);
        p[i] = t[i] + 10 * ecgx_rng_gauss(&g);
    }
    ecgx_eval_options o;
    ecgx_eval_options_default(&o);
    o.seed = 11;
    o.n_bootstrap = 1; /* one resample: both ends of every interval are its value */
    ecgx_eval_regression r;
    CHECK_OK(ecgx_eval_regression_metrics(p, t, N, &o, &r));
    ecgx_rng rr;
    ecgx_rng_seed(&rr, 11, 0);
    double sae = 0, sse = 0, se = 0;
    for (int k = 0; k < N; k++) {
        int i = (int)ecgx_rng_below(&rr, N);
        double e = p[i] - t[i];
        sae += fabs(e);
        sse += e * e;
        se += e;
    }
    CHECK_NEAR(r.mae_ci.lo, sae / N, 1e-12);
    CHECK_NEAR(r.mae_ci.hi, sae / N, 1e-12);
    CHECK_NEAR(r.rmse_ci.lo, sqrt(sse / N), 1e-12);
    CHECK_NEAR(r.bias_ci.hi, se / N, 1e-12);

    /* many resamples: the MAE interval against the normal approximation
     * (mean of |e| +- 1.96 SD/sqrt(n)), reproducible from the seed */
    o.n_bootstrap = 2000;
    CHECK_OK(ecgx_eval_regression_metrics(p, t, N, &o, &r));
    double m = 0, v = 0;
    for (int i = 0; i < N; i++) m += fabs(p[i] - t[i]) / N;
    for (int i = 0; i < N; i++) v += (fabs(p[i] - t[i]) - m) * (fabs(p[i] - t[i]) - m) / (N - 1);
    double half = 1.96 * sqrt(v / N);
    CHECK_MSG(fabs((r.mae_ci.hi - r.mae_ci.lo) / (2 * half) - 1) < 0.15, "MAE interval [%g, %g], normal half width %g",
              r.mae_ci.lo, r.mae_ci.hi, half);
    CHECK(r.mae_ci.lo < r.mae && r.mae < r.mae_ci.hi && r.r2_ci.lo < r.r2 && r.r2 < r.r2_ci.hi);
    CHECK(r.pearson_r_ci.lo < r.pearson_r && r.pearson_r < r.pearson_r_ci.hi && r.pearson_r_ci.hi <= 1);
    CHECK(r.n_skipped == 0 && r.n_bootstrap == 2000 && r.ci_level == 0.95);
    ecgx_eval_regression r2;
    CHECK_OK(ecgx_eval_regression_metrics(p, t, N, &o, &r2));
    CHECK(!memcmp(&r.mae_ci, &r2.mae_ci, sizeof r.mae_ci) && !memcmp(&r.r2_ci, &r2.r2_ci, sizeof r.r2_ci));
    o.seed = 12;
    CHECK_OK(ecgx_eval_regression_metrics(p, t, N, &o, &r2));
    CHECK(r.mae_ci.lo != r2.mae_ci.lo);
    /* constant truth: every resample skipped for R^2 and r */
    for (int i = 0; i < N; i++) t[i] = 50;
    o.n_bootstrap = 50;
    CHECK_OK(ecgx_eval_regression_metrics(p, t, N, &o, &r));
    CHECK(r.n_skipped == 50 && isnan(r.r2_ci.lo) && isfinite(r.mae_ci.lo));
}

/* ---- the commands ---- */

static const char *bin, *tmp;

static int run_ex(const char *args, char *out, size_t n, int stdout_only)
{
    return test_run_cmd(bin, args, out, n, stdout_only);
}

static int run(const char *args, char *out, size_t n) { return run_ex(args, out, n, 0); }

static double json_number(const char *s, const char *key)
{
    char k[128];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(s, k);
    return p ? strtod(p + strlen(k), NULL) : NAN;
}

/* The age of record i: spread over 20-80 years (golden-ratio sequence). */
static double age_of(int i) { return 20 + 60 * fmod(0.5 + i * 0.6180339887498949, 1.0); }

/* n_train + n_val records with age known, then n_unknown training
 * records without; the heart rate is 61 + 38 (age - 20) / 60 bpm. */
static void write_dataset(const char *dir, int n_train, int n_val, int n_unknown)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    ecgx_outfile f;
    CHECK_OK(ecgx_outfile_open(&f, p));
    fprintf(f.fp, "ecg_id,split,filename,age,NORM\n");
    int n = n_train + n_val + n_unknown;
    for (int i = 0; i < n; i++) {
        double age = age_of(i);
        ecgx_synth_options o = ecgx_synth_options_default();
        o.fs = 100;
        o.duration = 6;
        o.seed = (uint64_t)i + 1;
        o.vary = 1; /* morphology, axis, PR ... drawn per record: the rate is the only clue */
        o.hr = 61 + 38 * (age - 20) / 60;
        o.emg_rms = 0.02;
        ecgx_record *rec = NULL;
        CHECK_OK(ecgx_synth_generate(&o, &rec, NULL, NULL));
        snprintf(p, sizeof p, "%s/r%03d", dir, i);
        if (rec) CHECK_OK(ecgx_record_write(p, rec));
        ecgx_record_free(rec);
        const char *split = i < n_train ? "train" : i < n_train + n_val ? "val" : "train";
        if (i < n_train + n_val) fprintf(f.fp, "%d,%s,r%03d,%.2f,1\n", i, split, i, age);
        else fprintf(f.fp, "%d,%s,r%03d,,1\n", i, split, i);
    }
    CHECK_OK(ecgx_outfile_commit(&f));
}

static void test_train_predict_eval(void)
{
    int asan = getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER"));
    int n_train = asan ? 48 : 160, n_val = asan ? 16 : 40, n_unknown = 3, epochs = asan ? 2 : 8;
    char dir[600], model[700], args[4096];
    static char out[1 << 16];
    snprintf(dir, sizeof dir, "%s/ageset", tmp);
    mkdir(dir, 0755);
    write_dataset(dir, n_train, n_val, n_unknown);
    snprintf(model, sizeof model, "%s/age.safetensors", tmp);
    const char *common = "--labels age --arch fcn_wang --fs 50 --window 3 --batch 16 --lr 3e-3 --seed 5";
    snprintf(args, sizeof args, "train --data %s -o %s %s --epochs %d --json", dir, model, common, epochs);
    int st = run(args, out, sizeof out);
    CHECK_MSG(st == 0, "exit %d: %s", st, out);
    fprintf(stderr, "    %s", strstr(out, "{\"model\"") ? strstr(out, "{\"model\"") : out);
    double mae = json_number(out, "val_mae"), base = json_number(out, "val_mae_mean_predictor");
    CHECK(strstr(out, "\"n_unknown_age\":{\"train\":3,\"val\":0,\"test\":0}") != NULL);
    CHECK((int)json_number(out, "n_train") == n_train && (int)json_number(out, "n_val") == n_val);
    CHECK(strstr(out, "left out for an unknown age: 3 train, 0 val, 0 test") != NULL);
    CHECK(strstr(out, "val MAE") != NULL); /* the progress line */
    CHECK_MSG(base > 10 && base < 20, "mean predictor's MAE %g (ages spread over 20-80)", base);
    if (!asan) CHECK_MSG(mae < 0.5 * base, "val MAE %g years, mean predictor %g", mae, base);
    else CHECK(isfinite(mae));

    /* predict: one age per record, mean over windows; their MAE over the
     * val records is eval's MAE is train's validation MAE */
    size_t k = (size_t)snprintf(args, sizeof args, "predict --model %s --csv", model);
    for (int i = n_train; i < n_train + n_val; i++) k += (size_t)snprintf(args + k, sizeof args - k, " %s/r%03d", dir, i);
    CHECK(run_ex(args, out, sizeof out, 1) == 0); /* stderr says each record was resampled to 50 Hz */
    CHECK(!strncmp(out, "record,age\n", 11));
    double sae = 0;
    int got = 0;
    for (char *line = strchr(out, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char *comma = strchr(line + 1, ',');
        if (!comma) break;
        int i = atoi(comma - 3);
        sae += fabs(strtod(comma + 1, NULL) - round(age_of(i) * 100) / 100);
        got++;
    }
    CHECK(got == n_val);
    snprintf(args, sizeof args, "eval --model %s --data %s --split val --json --bootstrap 200", model, dir);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "\"task\":\"regression\"") && strstr(out, "\"unit\":\"years\"") && strstr(out, "\"r2_ci\":["));
    double emae = json_number(out, "mae");
    CHECK_NEAR(emae, mae, 1e-3);
    CHECK_NEAR(emae, sae / got, 0.006); /* predict --csv rounds to 0.01 year */
    CHECK_NEAR(json_number(out, "mae_mean_predictor"), base, 1e-3);
    CHECK((int)json_number(out, "n") == n_val);
    if (!asan) CHECK_MSG(json_number(out, "pearson_r") > 0.8, "%s", out);
    snprintf(args, sizeof args, "predict --model %s %s/r%03d --json", model, dir, n_train);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "\"age\":") && strstr(out, "\"unit\":\"years\""));
    snprintf(args, sizeof args, "eval --model %s --data %s --store-thresholds", model, dir);
    CHECK(run(args, out, sizeof out) == 2);
    /* the report and the per-class aggregation are for classifiers: refused, naming the model */
    snprintf(args, sizeof args, "report --model %s %s/r%03d -o %s/age_report.html", model, dir, n_train, tmp);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "regression model") && strstr(out, model), "%s", out);
    snprintf(args, sizeof args, "analyze --model %s --data %s --split val", model, dir);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "regression model") && strstr(out, model), "%s", out);
    snprintf(args, sizeof args, "eval --model %s --data %s --quiet --bootstrap 20", model, dir);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "Pearson r") && strstr(out, "MAE of predicting the training mean"));

    /* --resume: killed once its first checkpoint exists, then resumed */
    char b[700], ck[800], cmd[8192];
    snprintf(b, sizeof b, "%s/age_b.safetensors", tmp);
    snprintf(ck, sizeof ck, "%s.ckpt", b);
    const int rep = 2;
    snprintf(args, sizeof args, "train --data %s -o %s %s --epochs %d --quiet", dir, model, common, rep);
    CHECK(run(args, out, sizeof out) == 0);
    snprintf(cmd, sizeof cmd, "exec %s train --data %s -o %s %s --epochs %d --quiet >/dev/null 2>&1", bin, dir, b,
             common, rep);
    int killed = test_kill_when_exists(cmd, ck);
    fprintf(stderr, "    (--resume: %s)\n", killed ? "killed after its first checkpoint" : "the run finished before the kill");
    snprintf(args, sizeof args, "train --data %s -o %s %s --epochs %d --resume", dir, b, common, rep);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(!killed || strstr(out, "resuming after epoch"));
    CHECK_MSG(test_same_file(model, b), "resumed run differs from the uninterrupted one (killed %d)", killed);
    /* a checkpoint of another label set is refused */
    snprintf(args, sizeof args, "train --data %s -o %s --labels labels --arch fcn_wang --fs 50 --window 3 --batch 16 --resume",
             dir, b);
    CHECK(run(args, out, sizeof out) != 0);
}

/* PTB-XL (../shared/data/ptbxl, when present): the records train leaves
 * out for an unknown age are those the dataset index gives without one,
 * split by split; one short epoch runs on the rest. */
static void test_ptbxl(void)
{
    const char *d = shared_data_dir();
    char dir[1024], model[700], args[4096];
    static char out[1 << 16];
    snprintf(dir, sizeof dir, "%.900s/ptbxl", d ? d : "");
    if (!d || access(dir, R_OK)) {
        fprintf(stderr, "    (../shared/data/ptbxl absent: not checked)\n");
        return;
    }
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.label_set = "age";
    o.keep_unlabeled = 1;
    ecgx_dataset *ds = NULL;
    CHECK_OK(ecgx_dataset_open(dir, &o, &ds));
    if (!ds) return;
    int unknown[3] = {0, 0, 0}, known[3] = {0, 0, 0};
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        ecgx_dataset_entry e;
        CHECK_OK(ecgx_dataset_record_info(ds, i, &e));
        if (e.split >= 0 && e.split < 3) (e.age < 0 ? unknown : known)[e.split]++;
    }
    ecgx_dataset_free(ds);
    snprintf(model, sizeof model, "%s/ptbxl_age.safetensors", tmp);
    snprintf(args, sizeof args, "train --data %s -o %s --labels age --arch fcn_wang --epochs 1 --batch 64 --json --quiet",
             dir, model);
    CHECK(run(args, out, sizeof out) == 0);
    char want[200];
    snprintf(want, sizeof want, "\"n_unknown_age\":{\"train\":%d,\"val\":%d,\"test\":%d}", unknown[0], unknown[1],
             unknown[2]);
    CHECK_MSG(strstr(out, want) != NULL, "want %s in %s", want, out);
    CHECK((int)json_number(out, "n_train") == known[0] && (int)json_number(out, "n_val") == known[1]);
    CHECK(isfinite(json_number(out, "val_mae")) && json_number(out, "val_mae_mean_predictor") > 5);
    fprintf(stderr, "    PTB-XL: %d/%d/%d records of known age (train/val/test), %d/%d/%d unknown\n", known[0],
            known[1], known[2], unknown[0], unknown[1], unknown[2]);
}

int main(void)
{
    RUN(test_closed_form);
    RUN(test_identities);
    RUN(test_bootstrap);
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK)) {
        fprintf(stderr, "    (ECGX_BIN is not set: the commands are not checked; run through make test)\n");
        return check_finish();
    }
    tmp = test_tmpdir();
    RUN(test_train_predict_eval);
    if (!(getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER")))) RUN(test_ptbxl);
    return check_finish();
}
