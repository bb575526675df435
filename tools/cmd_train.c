/* ecgx train: the PTB-XL benchmark's recipe (Strodthoff et al. 2021):
 * random crops of 2.5 s, batch 128 (last partial batch dropped), AdamW
 * lr 1e-2 weight decay 1e-2 with a one-cycle schedule (momentum cycled
 * 0.95-0.85), 50 epochs, BCE-with-logits; after every epoch the validation
 * macro AUROC over sliding windows (2.5 s, stride 1.25 s, max) and the best
 * epoch's weights are what -o receives. A checkpoint after every epoch
 * (<out>.ckpt + <out>.ckpt.optim) lets --resume continue after a kill,
 * losing at most the epoch that was running; a finished run removes them
 * (--keep-checkpoints keeps them). At the end, per-class decision
 * thresholds are chosen on the validation split's predictions of the best
 * epoch (--threshold-rule, F1-optimal by default; the eval module's
 * ecgx_eval_choose_thresholds) and stored in the model
 * (ecgx_model_set_thresholds). A run that cannot learn (a class without
 * positives or without negatives in training, or no epoch that improved
 * on validation) is an error, not a model.
 * --labels age is a regression: one output trained with MSE on the age
 * standardised by the training split's mean and SD (stored in the model),
 * records of unknown age left out, the epoch with the lowest validation MAE
 * kept (windows aggregated by their mean; see nn_regression.h). */
#include "cli.h"
#include "ecgx/eval.h"
#include "ecgx/nn.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"
#include "nn_data.h"
#include "nn_metrics.h"
#include "nn_regression.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Validation: probabilities of every record of idx by sliding windows
 * (for a regression: the standardised output, mean over windows). */
static int predict_set(ecgx_model *m, const nn_data *d, const int *idx, int n, int win, int stride, float *probs)
{
    int K = d->n_classes;
    for (int i = 0; i < n; i++) {
        int r = idx[i];
        const float *x = d->x + d->offset[r];
        int rc = d->regression ? nn_predict_windows_mean(m, x, d->length[r], win, stride, probs + (size_t)i * K)
                               : ecgx_model_predict_windows(m, x, d->length[r], win, stride, probs + (size_t)i * K, NULL);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Mean and SD (population) of the training targets: the standardisation. */
static void target_scale(const nn_data *d, const int *tr, int ntr, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < ntr; i++) s += d->y[tr[i]];
    *mean = ntr ? s / ntr : 0;
    for (int i = 0; i < ntr; i++) ss += (d->y[tr[i]] - *mean) * (d->y[tr[i]] - *mean);
    *sd = ntr ? sqrt(ss / ntr) : 0;
    if (!(*sd > 1e-6)) *sd = 1; /* a constant target: nothing to scale */
}

/* Validation MAE and RMSE in years of standardised predictions z. */
static void val_errors(const float *z, const float *truth, int n, double mean, double sd, double *mae, double *rmse)
{
    double a = 0, q = 0;
    for (int i = 0; i < n; i++) {
        double e = mean + sd * z[i] - truth[i];
        a += fabs(e);
        q += e * e;
    }
    *mae = n ? a / n : NAN;
    *rmse = n ? sqrt(q / n) : NAN;
}


static int write_optim(const char *path, const ecgx_optim *o, int epoch)
{
    size_t n = (size_t)o->n;
    size_t bytes = 32 + 8 * n;
    unsigned char *b = malloc(bytes);
    if (!b) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    memcpy(b, "ECGXOPT1", 8);
    int64_t h[3] = {(int64_t)o->n, o->step, epoch};
    memcpy(b + 8, h, 24);
    memcpy(b + 32, o->m, 4 * n);
    memcpy(b + 32 + 4 * n, o->v, 4 * n);
    int rc = ecgx_write_file_atomic(path, b, bytes);
    free(b);
    return rc;
}

static int read_optim(const char *path, ecgx_optim *o, int epoch)
{
    char *b = NULL;
    size_t len = 0;
    int rc = ecgx_read_file(path, (size_t)1 << 31, &b, &len);
    if (rc < 0) return rc;
    int64_t h[3];
    if (len < 32 || memcmp(b, "ECGXOPT1", 8) != 0) {
        free(b);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: not an ecgx optimiser checkpoint", path);
    }
    memcpy(h, b + 8, 24);
    if (h[0] != o->n || len != 32 + 8 * (size_t)o->n || h[2] != epoch) {
        free(b);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: does not match the model checkpoint (size or epoch)", path);
    }
    o->step = h[1];
    memcpy(o->m, b + 32, 4 * (size_t)o->n);
    memcpy(o->v, b + 32 + 4 * (size_t)o->n, 4 * (size_t)o->n);
    free(b);
    return 0;
}

static int export_data(const char *dir, const nn_data *d)
{
    char p[4200];
    /* one file of all records (each [12][length]), lengths, labels, splits */
    snprintf(p, sizeof p, "%s/x.f32", dir);
    int rc = ecgx_write_file_atomic(p, d->x, sizeof(float) * (size_t)(d->offset[d->n - 1] + 12 * (int64_t)d->length[d->n - 1]));
    if (rc < 0) return rc;
    snprintf(p, sizeof p, "%s/y.f32", dir);
    if ((rc = ecgx_write_file_atomic(p, d->y, sizeof(float) * (size_t)d->n * d->n_classes)) < 0) return rc;
    snprintf(p, sizeof p, "%s/index.csv", dir);
    ecgx_outfile f;
    if ((rc = ecgx_outfile_open(&f, p)) < 0) return rc;
    fprintf(f.fp, "id,split,offset,length\n");
    for (int i = 0; i < d->n; i++)
        fprintf(f.fp, "%s,%d,%lld,%d\n", d->ids[i], d->split[i], (long long)d->offset[i], d->length[i]);
    if ((rc = ecgx_outfile_commit(&f)) < 0) return rc;
    snprintf(p, sizeof p, "%s/classes.txt", dir);
    if ((rc = ecgx_outfile_open(&f, p)) < 0) return rc;
    for (int c = 0; c < d->n_classes; c++) fprintf(f.fp, "%s\n", d->classes[c]);
    return ecgx_outfile_commit(&f);
}

/* Metadata from a format, as ecgx_model_set_meta takes strings. */
__attribute__((format(printf, 3, 4))) static void meta_printf(ecgx_model *m, const char *key, const char *fmt, ...)
{
    char v[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    ecgx_model_set_meta(m, key, v);
}

/* The batch size nearest to `batch` (not above it, at least half of it)
 * that divides n, so that no record is left out; `batch` when none does. */
static int best_batch(int n, int batch)
{
    for (int b = batch; b >= batch / 2 && b >= 2; b--)
        if (n % b == 0) return b;
    int steps = (n + batch - 1) / batch; /* else the even split: ceil(n / steps) leaves the fewest out */
    return (n + steps - 1) / steps;
}

/* Decision thresholds for the finished model (the best epoch's, in `out`):
 * its validation predictions, a threshold per class by `rule`
 * (ecgx_eval_choose_thresholds), stored in the file. No validation split or
 * a class without a positive there: nothing stored, and said so (not an
 * error: the model is still the best one). */
static int store_thresholds(const char *out, const nn_data *d, const int *va, int nva, int win, int stride,
                            ecgx_threshold_rule rule, double target, int quiet, double *thr, char *desc, size_t desc_n)
{
    int K = d->n_classes, rc = 0;
    char rule_text[64];
    ecgx_threshold_spec_format(rule, target, rule_text, sizeof rule_text);
    if (nva == 0) {
        if (!quiet) fprintf(stderr, "ecgx train: no validation split: no decision thresholds stored in %s\n", out);
        return 0;
    }
    ecgx_model *m = NULL;
    float *p = malloc(sizeof(float) * (size_t)nva * K);
    double *s = malloc(sizeof(double) * (size_t)nva * K);
    uint8_t *y = malloc((size_t)nva * K);
    if (!p || !s || !y) rc = ecgx_error(ECGX_ERR_NOMEM, "thresholds: out of memory");
    if (!rc) rc = ecgx_model_load(out, &m);
    if (!rc) rc = predict_set(m, d, va, nva, win, stride, p);
    int chosen = 0;
    for (int i = 0; i < nva && !rc; i++)
        for (int c = 0; c < K; c++) {
            s[(size_t)i * K + c] = p[(size_t)i * K + c];
            y[(size_t)i * K + c] = d->y[(size_t)va[i] * K + c] > 0.5f;
        }
    if (!rc) rc = ecgx_eval_choose_thresholds(s, y, nva, K, rule, target, thr, &chosen);
    if (!rc && chosen < K) {
        for (int c = 0; c < K && !quiet; c++)
            if (!isfinite(thr[c]))
                fprintf(stderr, "ecgx train: class %s: no threshold can be chosen on the validation split (no positive%s "
                        "there): no decision thresholds stored in %s (ecgx eval --thresholds sets them at evaluation)\n",
                        d->classes[c], rule == ECGX_THRESHOLD_YOUDEN ? " or no negative" : "", out);
    } else if (!rc) {
        snprintf(desc, desc_n, "%s on the validation split, %d records", rule_text, nva);
        rc = ecgx_model_set_thresholds(m, thr, desc);
        if (!rc) rc = ecgx_model_save(m, out);
        if (rc) desc[0] = 0;
    }
    ecgx_model_free(m);
    free(p);
    free(s);
    free(y);
    return rc;
}

static void usage(FILE *o)
{
    fprintf(o,
            "usage: ecgx train --data DIR[,DIR...] -o MODEL.safetensors [options]\n"
            "Trains a 1-D CNN with the PTB-XL benchmark's recipe and keeps the epoch with the best\n"
            "validation macro AUROC (for age: the lowest validation MAE).\n"
            "  --labels SET        superdiagnostic (default), subdiagnostic, diagnostic, form, rhythm, all\n"
            "                      (PTB-XL), dx (Challenge SNOMED CT), labels (a labels.csv's columns), sex,\n"
            "                      age (regression: MSE on the standardised age; records of unknown age\n"
            "                      are left out; validation by MAE in years over the mean of the windows)\n"
            "  --labels-file CSV   the labels in a CSV anywhere (labels.csv's form, record paths relative to\n"
            "                      the one --data folder): the data folder may stay read-only\n"
            "  --label-column COL  one column of the labels CSV is the label (a metadata file): 0/1 is one\n"
            "                      binary class, other values one class each; other columns ignored\n"
            "  --arch NAME         resnet1d_wang (default), fcn_wang\n"
            "  --epochs N          50        --batch N       128\n"
            "  --lr X              1e-2      --wd X          1e-2 (AdamW, one-cycle)\n"
            "  --fs HZ             100 (the model's rate; records are resampled to it)\n"
            "  --window S          2.5 (seconds per training crop and test window; stride is half)\n"
            "  --seed N            1\n"
            "  --threshold-rule R  how the per-class decision thresholds stored in the model are chosen on\n"
            "                      the validation split: f1 (default), youden, sensitivity:S\n"
            "  --resume            continue from MODEL.safetensors.ckpt (written after every epoch)\n"
            "  --keep-checkpoints  keep MODEL.safetensors.ckpt and .ckpt.optim after a finished run\n"
            "  --export-data DIR   write the preprocessed tensors there (for tools/torch_train.py) and stop\n"
            "  --json              print a JSON summary at the end\n"
            "  --quiet             no progress output\n");
}

int cmd_train(int argc, char **argv)
{
    const char *data = NULL, *out = NULL, *labels = "superdiagnostic", *arch = "resnet1d_wang", *export = NULL;
    const char *rule_spec = "f1", *labels_file = NULL, *label_column = NULL;
    int epochs = 50, batch = 128, seed = 1, resume = 0, json = 0, quiet = 0, err = 0, keep_ckpt = 0;
    double lr = 1e-2, wd = 1e-2, fs = 100, window_s = 2.5;
    for (int i = 1; i < argc; i++) {
        int r = 0;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if (!strcmp(argv[i], "--resume")) { resume = 1; continue; }
        if (!strcmp(argv[i], "--keep-checkpoints")) { keep_ckpt = 1; continue; }
        if (!strcmp(argv[i], "--json")) { json = 1; continue; }
        if (!strcmp(argv[i], "--quiet")) { quiet = 1; continue; }
        if ((r = cli_opt("train", argc, argv, &i, "--data", &data)) ||
            (r = cli_opt("train", argc, argv, &i, "-o", &out)) ||
            (r = cli_opt("train", argc, argv, &i, "--out", &out)) ||
            (r = cli_opt("train", argc, argv, &i, "--labels", &labels)) ||
            (r = cli_opt("train", argc, argv, &i, "--arch", &arch)) ||
            (r = cli_opt("train", argc, argv, &i, "--threshold-rule", &rule_spec)) ||
            (r = cli_opt("train", argc, argv, &i, "--labels-file", &labels_file)) ||
            (r = cli_opt("train", argc, argv, &i, "--label-column", &label_column)) ||
            (r = cli_opt("train", argc, argv, &i, "--export-data", &export)) ||
            (r = cli_opt_int("train", argc, argv, &i, "--epochs", &epochs, &err)) ||
            (r = cli_opt_int("train", argc, argv, &i, "--batch", &batch, &err)) ||
            (r = cli_opt_int("train", argc, argv, &i, "--seed", &seed, &err)) ||
            (r = cli_opt_double("train", argc, argv, &i, "--lr", &lr, &err)) ||
            (r = cli_opt_double("train", argc, argv, &i, "--wd", &wd, &err)) ||
            (r = cli_opt_double("train", argc, argv, &i, "--fs", &fs, &err)) ||
            (r = cli_opt_double("train", argc, argv, &i, "--window", &window_s, &err))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        return cli_usage_error("train", "unknown argument '%s'", argv[i]);
    }
    if (!data) return cli_usage_error("train", "--data is required");
    if (!out && !export) return cli_usage_error("train", "-o MODEL.safetensors is required");
    if (cli_check_int("train", "--epochs", epochs, 1, 100000) || cli_check_int("train", "--batch", batch, 2, 65536) ||
        cli_check_double("train", "--lr", lr, 0, INFINITY, CLI_LO_OPEN) || cli_check_double("train", "--wd", wd, 0, INFINITY, 0) ||
        cli_check_double("train", "--fs", fs, 10, 10000, 0) || cli_check_double("train", "--window", window_s, 0.1, 600, CLI_LO_OPEN | CLI_HI_OPEN))
        return EXIT_USAGE;
    int win = (int)lrint(window_s * fs), stride = win / 2;
    ecgx_threshold_rule rule;
    double rule_target;
    if (ecgx_threshold_spec_parse(rule_spec, &rule, &rule_target) < 0) return cli_usage_error("train", "%s", ecgx_last_error());

    nn_data d;
    double t0 = ecgx_now();
    if (!quiet) fprintf(stderr, "ecgx train: loading %s at %g Hz\n", data, fs);
    if (nn_data_load_ex(data, labels, labels_file, label_column, fs, win, quiet, &d) < 0) return cli_fail("train");
    if (export) {
        int rc = export_data(export, &d);
        nn_data_free(&d);
        if (rc < 0) return cli_fail("train");
        if (!quiet) fprintf(stderr, "ecgx train: wrote the preprocessed data to %s\n", export);
        if (!out) return EXIT_OK;
        if (nn_data_load_ex(data, labels, labels_file, label_column, fs, win, 1, &d) < 0) return cli_fail("train");
    }
    int *tr = NULL, *va = NULL, ntr = 0, nva = 0;
    nn_data_split(&d, "train", &tr, &ntr);
    nn_data_split(&d, "val", &va, &nva);
    int K = d.n_classes, reg = d.regression;
    if (!quiet && reg)
        fprintf(stderr,
                "ecgx train: %d records (%d train, %d val, %d skipped), regression on %s, loaded in %.1f s; left out "
                "for an unknown age: %d train, %d val, %d test\n",
                d.n, ntr, nva, d.n_skipped, d.classes[0], ecgx_now() - t0, d.n_no_target[0], d.n_no_target[1],
                d.n_no_target[2]);
    else if (!quiet) {
        /* the set the labels really are (a labels.csv of other classes is not "superdiagnostic") */
        char names[512] = "";
        for (int c = 0; c < K; c++) {
            size_t l = strlen(names);
            if (l > sizeof names - 80) { snprintf(names + l, sizeof names - l, ", ..."); break; }
            snprintf(names + l, sizeof names - l, "%s%s", c ? ", " : "", d.classes[c]);
        }
        fprintf(stderr, "ecgx train: %d records (%d train, %d val, %d skipped), label set %s: %d class%s (%s)%s, loaded in %.1f s\n",
                d.n, ntr, nva, d.n_skipped, d.label_set, K, K == 1 ? "" : "es", names,
                K == 1 ? ", a binary task" : "", ecgx_now() - t0);
    }
    if (ntr < batch) {
        nn_data_free(&d);
        free(tr);
        free(va);
        fprintf(stderr, "ecgx train: %s: %d training records, fewer than one batch of %d\n", data, ntr, batch);
        return EXIT_BAD_INPUT;
    }
    /* a class with no positive (or no negative) in training has nothing to
     * learn: the run would end with "best epoch -1" and a useless model */
    for (int c = 0; c < K && !reg; c++) {
        int pos = 0;
        for (int i = 0; i < ntr; i++) pos += d.y[(size_t)tr[i] * K + c] > 0.5f;
        if (pos == 0 || pos == ntr) {
            fprintf(stderr, "ecgx train: %s: class %s has %s in the training split (%d records): nothing to learn%s\n", data,
                    d.classes[c], pos == 0 ? "no positive" : "no negative", ntr,
                    pos == ntr && K == 1 ? " (a one-column labels.csv is a binary task: give its negatives as 0 rows)" : "");
            nn_data_free(&d);
            free(tr);
            free(va);
            return EXIT_BAD_INPUT;
        }
    }
    if (!quiet && ntr % batch)
        fprintf(stderr,
                "ecgx train: warning: %d training records in batches of %d: %d steps per epoch, the last %d records of "
                "each epoch's shuffle are left out (a different %d each epoch, as the PTB-XL benchmark does); --batch "
                "%d would use them all\n",
                ntr, batch, ntr / batch, ntr % batch, ntr % batch, best_batch(ntr, batch));

    /* the metadata names the set the labels are (eval reloads the data with it) */
    const char *set_name = d.label_set[0] && strcmp(d.label_set, "mixed") ? d.label_set : labels;
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, K, (uint64_t)seed};
    int rc = ecgx_model_create(arch, &cfg, &m);
    if (rc < 0) {
        nn_data_free(&d);
        free(tr);
        free(va);
        return cli_fail("train");
    }
    ecgx_optim opt;
    ecgx_optim_init(&opt, ECGX_OPTIM_ADAMW, ecgx_model_n_trainable(m), lr, wd);
    int steps_per_epoch = ntr / batch;
    ecgx_onecycle sched;
    ecgx_onecycle_default(&sched, lr, (int64_t)epochs * steps_per_epoch);

    char ckpt[4200], ckopt[4300], buf[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    snprintf(ckopt, sizeof ckopt, "%s.ckpt.optim", out);
    int start_epoch = 0, best_epoch = -1;
    /* best: the highest val macro AUROC, or for a regression the lowest val MAE */
    double best = reg ? INFINITY : -1, tmean = 0, tsd = 1;
    if (reg) target_scale(&d, tr, ntr, &tmean, &tsd);
    if (resume && access(ckpt, R_OK) == 0) {
        ecgx_model *r = NULL;
        if (ecgx_model_load(ckpt, &r) < 0) { rc = -1; goto fail; }
        const char *e = ecgx_model_meta(r, "train_epoch"),
                   *b = ecgx_model_meta(r, reg ? "train_best_mae" : "train_best_auroc"),
                   *be = ecgx_model_meta(r, "train_best_epoch"), *lb = ecgx_model_meta(r, "labels");
        if (!e || strcmp(ecgx_model_arch(r), arch) || ecgx_model_n_classes(r) != K ||
            nn_model_is_regression(r) != reg || (lb && strcmp(lb, set_name))) {
            ecgx_model_free(r);
            ecgx_error(ECGX_ERR_FORMAT, "%s: checkpoint does not match this run (architecture, classes, labels)", ckpt);
            rc = -1;
            goto fail;
        }
        ecgx_model_free(m);
        m = r;
        start_epoch = atoi(e);
        best = b ? atof(b) : best;
        best_epoch = be ? atoi(be) : -1;
        /* continue with the standardisation the checkpoint was trained with */
        if (reg && nn_model_target_scale(m, ckpt, &tmean, &tsd) < 0) { rc = -1; goto fail; }
        if (read_optim(ckopt, &opt, start_epoch) < 0) { rc = -1; goto fail; }
        if (!quiet && reg) fprintf(stderr, "ecgx train: resuming after epoch %d (best val MAE %.3f)\n", start_epoch, best);
        else if (!quiet) fprintf(stderr, "ecgx train: resuming after epoch %d (best val AUROC %.4f)\n", start_epoch, best);
    } else if (resume && !quiet) {
        fprintf(stderr, "ecgx train: no checkpoint %s, starting from scratch\n", ckpt);
    }

    /* metadata the predict/eval/explain commands read */
    {
        char cl[4096] = "";
        for (int c = 0; c < K; c++) {
            size_t l = strlen(cl);
            snprintf(cl + l, sizeof cl - l, "%s%s", c ? "," : "", d.classes[c]);
        }
        ecgx_model_set_meta(m, "classes", cl);
        meta_printf(m, "fs", "%g", fs);
        meta_printf(m, "input_length", "%d", win);
        meta_printf(m, "window_stride", "%d", stride);
        ecgx_model_set_meta(m, "aggregation", reg ? "mean" : "max");
        ecgx_model_set_meta(m, "preprocessing", ECGX_NN_PREPROCESSING);
        ecgx_model_set_meta(m, "labels", set_name);
        if (label_column) ecgx_model_set_meta(m, "label_column", label_column); /* eval's default */
        ecgx_model_set_meta(m, "leads", "I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6");
        ecgx_model_set_meta(m, "train_data", data);
        meta_printf(m, "train_recipe", "AdamW lr %g wd %g one-cycle, batch %d, %d epochs, random %g s crops, %s, seed %d", lr,
                 wd, batch, epochs, window_s, reg ? "MSE on the standardised target" : "BCE", seed);
        if (reg) {
            ecgx_model_set_meta(m, "task", "regression");
            ecgx_model_set_meta(m, "target_unit", "years");
            meta_printf(m, "target_mean", "%.17g", tmean);
            meta_printf(m, "target_sd", "%.17g", tsd);
        }
    }

    size_t xb_n = (size_t)batch * 12 * win;
    float *xb = malloc(sizeof(float) * xb_n), *yb = malloc(sizeof(float) * batch * K);
    float *lg = malloc(sizeof(float) * batch * K), *dl = malloc(sizeof(float) * batch * K);
    float *vp = malloc(sizeof(float) * (size_t)(nva + 1) * K), *vy = malloc(sizeof(float) * (size_t)(nva + 1) * K);
    double *auc = malloc(sizeof(double) * K), *best_auc = malloc(sizeof(double) * K);
    int *perm = malloc(sizeof(int) * ntr);
    for (int c = 0; c < K; c++) best_auc[c] = NAN;
    for (int i = 0; i < nva; i++) memcpy(vy + (size_t)i * K, d.y + (size_t)va[i] * K, sizeof(float) * K);
    /* the yardstick for a regression: every val record predicted as the training mean */
    double mean_mae = NAN, best_rmse = NAN;
    if (reg && nva > 0) {
        mean_mae = 0;
        for (int i = 0; i < nva; i++) mean_mae += fabs(tmean - vy[i]);
        mean_mae /= nva;
    }
    if (reg && ecgx_model_meta(m, "val_rmse")) best_rmse = atof(ecgx_model_meta(m, "val_rmse")); /* resumed */
    double last_loss = 0, t_train = ecgx_now();
    for (int ep = start_epoch; ep < epochs; ep++) {
        uint64_t rs = (uint64_t)seed * 1000003ull + (uint64_t)ep;
        ecgx_model_seed(m, rs ^ 0xD1B54A32D192ED03ull);
        for (int i = 0; i < ntr; i++) perm[i] = tr[i];
        for (int i = ntr - 1; i > 0; i--) {
            int j = (int)(rng_next(&rs) % (uint64_t)(i + 1));
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        ecgx_progress pb;
        snprintf(buf, sizeof buf, "epoch %d/%d", ep + 1, epochs);
        ecgx_progress_begin(&pb, buf, steps_per_epoch, quiet);
        ecgx_model_set_training(m, 1);
        double loss_sum = 0;
        for (int s = 0; s < steps_per_epoch; s++) {
            for (int b = 0; b < batch; b++) {
                int r = perm[s * batch + b], L = d.length[r];
                int st = L > win ? (int)(rng_next(&rs) % (uint64_t)(L - win + 1)) : 0;
                for (int c = 0; c < 12; c++)
                    memcpy(xb + ((size_t)b * 12 + c) * win, d.x + d.offset[r] + (size_t)c * L + st, sizeof(float) * win);
                memcpy(yb + (size_t)b * K, d.y + (size_t)r * K, sizeof(float) * K);
                if (reg) yb[b] = (float)((yb[b] - tmean) / tsd);
            }
            int64_t step = opt.step;
            opt.lr = ecgx_onecycle_lr(&sched, step);
            opt.beta1 = ecgx_onecycle_momentum(&sched, step);
            ecgx_model_zero_grad(m);
            if (ecgx_model_forward(m, xb, batch, win, lg) < 0) { rc = -1; break; }
            double loss = reg ? ecgx_loss_mse(lg, yb, batch, K, dl) : ecgx_loss_bce_logits(lg, yb, batch, K, NULL, NULL, dl);
            if (!isfinite(loss)) {
                ecgx_error(ECGX_ERR_RANGE, "training diverged at epoch %d step %d (loss %g)", ep + 1, s + 1, loss);
                rc = -1;
                break;
            }
            if (ecgx_model_backward(m, dl, NULL, 0) < 0) { rc = -1; break; }
            ecgx_optim_step(&opt, ecgx_model_flat_params(m), ecgx_model_flat_grads(m));
            loss_sum += loss;
            ecgx_progress_set_extra(&pb, "loss %.4f", loss_sum / (s + 1));
            ecgx_progress_update(&pb, s + 1);
        }
        if (rc < 0) { ecgx_progress_end(&pb); break; }
        last_loss = loss_sum / steps_per_epoch;
        double macro = NAN, mae = NAN, rmse = NAN;
        if (nva > 0) {
            if (predict_set(m, &d, va, nva, win, stride, vp) < 0) { rc = -1; ecgx_progress_end(&pb); break; }
            if (reg) val_errors(vp, vy, nva, tmean, tsd, &mae, &rmse);
            else macro = nn_macro_auroc(vp, vy, nva, K, auc);
        }
        if (reg) ecgx_progress_set_extra(&pb, "loss %.4f val MAE %.2f", last_loss, mae);
        else ecgx_progress_set_extra(&pb, "loss %.4f val AUROC %.4f", last_loss, macro);
        ecgx_progress_end(&pb);
        if (!quiet && !isatty(2) && reg)
            fprintf(stderr, "epoch %d/%d loss %.4f val MAE %.3f years (RMSE %.3f)\n", ep + 1, epochs, last_loss, mae, rmse);
        else if (!quiet && !isatty(2))
            fprintf(stderr, "epoch %d/%d loss %.4f val macro AUROC %.4f\n", ep + 1, epochs, last_loss, macro);
        int improved = nva == 0 ? 1 : reg ? (!isnan(mae) && mae < best) : (!isnan(macro) && macro > best);
        if (improved) {
            best = nva == 0 ? best : reg ? mae : macro;
            best_epoch = ep + 1;
            if (nva > 0 && !reg) memcpy(best_auc, auc, sizeof(double) * K);
            if (reg) {
                best_rmse = rmse;
                meta_printf(m, "val_mae", "%.6f", mae);
                meta_printf(m, "val_rmse", "%.6f", rmse);
                meta_printf(m, "val_mae_mean_predictor", "%.6f", mean_mae);
            } else {
                meta_printf(m, "val_macro_auroc", "%.6f", macro);
            }
            for (int c = 0; c < K && !reg; c++) {
                char key[128];
                snprintf(key, sizeof key, "val_auroc_%s", d.classes[c]);
                snprintf(buf, sizeof buf, "%.6f", auc[c]);
                if (nva > 0) ecgx_model_set_meta(m, key, buf);
            }
            meta_printf(m, "best_epoch", "%d", ep + 1);
            if (ecgx_model_save(m, out) < 0) { rc = -1; break; }
        }
        /* checkpoint: optimiser state first, then the model naming the epoch */
        meta_printf(m, "train_epoch", "%d", ep + 1);
        snprintf(buf, sizeof buf, reg ? "%.17g" : "%.6f", best); /* reg: exact, so that --resume compares alike */
        ecgx_model_set_meta(m, reg ? "train_best_mae" : "train_best_auroc", buf);
        meta_printf(m, "train_best_epoch", "%d", best_epoch);
        if (write_optim(ckopt, &opt, ep + 1) < 0 || ecgx_model_save(m, ckpt) < 0) { rc = -1; break; }
    }
    double t_total = ecgx_now() - t_train;
    /* no epoch with a defined validation score: the run learnt nothing usable */
    if (rc >= 0 && best_epoch < 0) {
        ecgx_error(ECGX_ERR_RANGE,
                   "%s: no epoch had a defined validation %s (best epoch -1): the validation split (%d records) lacks "
                   "positives or negatives of every class; no model written",
                   data, reg ? "MAE" : "macro AUROC", nva);
        rc = -1;
    }
    char thr_desc[160] = "";
    double *thr = calloc((size_t)K, sizeof(double));
    if (rc >= 0 && !reg && thr) rc = store_thresholds(out, &d, va, nva, win, stride, rule, rule_target, quiet, thr, thr_desc,
                                                      sizeof thr_desc);
    if (rc >= 0 && !keep_ckpt) { /* finished: the checkpoint is only for --resume */
        remove(ckpt);
        remove(ckopt);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (rc >= 0 && reg) {
        if (json) {
            printf("{\"model\":\"%s\",\"arch\":\"%s\",\"task\":\"regression\",\"labels\":\"%s\",\"epochs\":%d,"
                   "\"best_epoch\":%d,\"val_mae\":",
                   out, arch, labels, epochs, best_epoch);
            cli_json_num(best);
            printf(",\"val_rmse\":");
            cli_json_num(best_rmse);
            printf(",\"val_mae_mean_predictor\":");
            cli_json_num(mean_mae);
            printf(",\"target_mean\":%.6f,\"target_sd\":%.6f,\"n_train\":%d,\"n_val\":%d,"
                   "\"n_unknown_age\":{\"train\":%d,\"val\":%d,\"test\":%d},\"final_loss\":%.6f,"
                   "\"train_seconds\":%.1f,\"peak_rss_mb\":%.1f}\n",
                   tmean, tsd, ntr, nva, d.n_no_target[0], d.n_no_target[1], d.n_no_target[2], last_loss, t_total,
                   ru.ru_maxrss / 1024.0);
        } else {
            printf("%s: best epoch %d, validation MAE %.3f years (RMSE %.3f; predicting the training mean %.1f: MAE "
                   "%.3f); %.1f s, peak RSS %.1f MB\n",
                   out, best_epoch, best, best_rmse, tmean, mean_mae, t_total, ru.ru_maxrss / 1024.0);
        }
    } else if (rc >= 0) {
        if (json) {
            printf("{\"model\":\"%s\",\"arch\":\"%s\",\"epochs\":%d,\"best_epoch\":%d,\"val_macro_auroc\":%.6f,\"val_auroc\":{",
                   out, arch, epochs, best_epoch, best);
            for (int c = 0; c < K; c++) {
                printf("%s\"%s\":", c ? "," : "", d.classes[c]);
                cli_json_num(best_auc[c]);
            }
            printf("},\"thresholds\":");
            if (thr_desc[0]) {
                printf("{");
                for (int c = 0; c < K; c++) printf("%s\"%s\":%.9g", c ? "," : "", d.classes[c], thr[c]);
                printf("},\"thresholds_rule\":\"%s\"", thr_desc);
            } else {
                printf("null");
            }
            printf(",\"label_set\":\"%s\",\"n_train\":%d,\"n_val\":%d,\"final_loss\":%.6f,\"train_seconds\":%.1f,"
                   "\"peak_rss_mb\":%.1f}\n",
                   d.label_set, ntr, nva, last_loss, t_total, ru.ru_maxrss / 1024.0);
        } else {
            printf("%s: best epoch %d, validation macro AUROC %.4f (", out, best_epoch, best);
            for (int c = 0; c < K; c++) printf("%s%s %.4f", c ? ", " : "", d.classes[c], best_auc[c]);
            printf("); %.1f s, peak RSS %.1f MB\n", t_total, ru.ru_maxrss / 1024.0);
            if (thr_desc[0]) {
                printf("thresholds (%s):", thr_desc);
                for (int c = 0; c < K; c++) {
                    char t[32];
                    ecgx_threshold_format(thr[c], t, sizeof t);
                    printf("%s %s %s", c ? "," : "", d.classes[c], t);
                }
                printf("\n");
            }
        }
    }
    free(xb); free(yb); free(lg); free(dl); free(vp); free(vy); free(auc); free(best_auc); free(perm); free(thr);
fail:
    ecgx_optim_free(&opt);
    ecgx_model_free(m);
    nn_data_free(&d);
    free(tr);
    free(va);
    return rc < 0 ? cli_fail("train") : EXIT_OK;
}
