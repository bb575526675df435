/* ecgx train: parses the options into an ecgx_train_options, runs
 * ecgx_train_run (include/ecgx/train.h: the PTB-XL benchmark's recipe,
 * validation-based model selection, checkpoints and --resume, decision
 * thresholds, the age regression, data parallelism under mpirun) and
 * prints its progress (a bar per epoch, notes on stderr) and the summary
 * (text or --json). Under mpirun rank 0 alone prints. */
#include "cli.h"
#include "ecgx/eval.h"
#include "ecgx/progress.h"
#include "ecgx/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* The progress bar of the running epoch and the notes on stderr. */
typedef struct cli_progress {
    int quiet, open;
    char label[64]; /* ecgx_progress keeps the pointer */
    ecgx_progress pb;
} cli_progress;

static int on_progress(const ecgx_train_event *ev, void *user)
{
    cli_progress *p = user;
    switch (ev->kind) {
    case ECGX_TRAIN_NOTE:
        if (!p->quiet) fprintf(stderr, "ecgx train: %s\n", ev->text);
        break;
    case ECGX_TRAIN_EPOCH_BEGIN:
        snprintf(p->label, sizeof p->label, "epoch %d/%d", ev->epoch, ev->epochs);
        ecgx_progress_begin(&p->pb, p->label, ev->steps, p->quiet);
        p->open = 1;
        break;
    case ECGX_TRAIN_STEP:
        ecgx_progress_set_extra(&p->pb, "loss %.4f", ev->loss);
        ecgx_progress_update(&p->pb, ev->step);
        break;
    case ECGX_TRAIN_EPOCH_END:
        if (ev->regression) ecgx_progress_set_extra(&p->pb, "loss %.4f val MAE %.2f", ev->loss, ev->val);
        else ecgx_progress_set_extra(&p->pb, "loss %.4f val AUROC %.4f", ev->loss, ev->val);
        ecgx_progress_end(&p->pb);
        p->open = 0;
        if (!p->quiet && !isatty(2) && ev->regression)
            fprintf(stderr, "epoch %d/%d loss %.4f val MAE %.3f years (RMSE %.3f)\n", ev->epoch, ev->epochs, ev->loss,
                    ev->val, ev->val_rmse);
        else if (!p->quiet && !isatty(2))
            fprintf(stderr, "epoch %d/%d loss %.4f val macro AUROC %.4f\n", ev->epoch, ev->epochs, ev->loss, ev->val);
        break;
    }
    return 0;
}

/* Where training time went (of train_seconds), and the ranks: the last
 * members of --json. */
static void print_json_timing(const ecgx_train_result *r)
{
    printf("\"ranks\":%d,\"batch_seconds\":%.3f,\"allreduce_seconds\":%.3f,\"val_seconds\":%.3f}\n", r->n_ranks,
           r->data_seconds, r->comm_seconds, r->val_seconds);
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
    ecgx_threshold_rule rule;
    double rule_target;
    if (ecgx_threshold_spec_parse(rule_spec, &rule, &rule_target) < 0) return cli_usage_error("train", "%s", ecgx_last_error());


    ecgx_train_options o;
    ecgx_train_options_default(&o);
    o.data = data;
    o.out = out;
    o.labels = labels;
    o.labels_file = labels_file;
    o.label_column = label_column;
    o.arch = arch;
    o.export_dir = export;
    o.epochs = epochs;
    o.batch = batch;
    o.seed = seed;
    o.lr = lr;
    o.wd = wd;
    o.fs = fs;
    o.window_s = window_s;
    o.rule = rule;
    o.rule_target = rule_target;
    o.resume = resume;
    o.keep_checkpoints = keep_ckpt;
    o.quiet = quiet;
    cli_progress cp = {.quiet = quiet};
    ecgx_train_result r;
    int rc = ecgx_train_run(&o, on_progress, &cp, &r);
    if (cp.open) ecgx_progress_end(&cp.pb); /* the epoch an error cut short */
    if (rc < 0 || r.exported_only || r.rank > 0) { /* under mpirun rank 0 alone reports */
        ecgx_train_result_free(&r);
        return rc < 0 ? cli_fail("train") : EXIT_OK;
    }
    int K = r.n_classes;
    if (!quiet && r.n_ranks > 1)
        fprintf(stderr, "ecgx train: %d ranks, global batch %d: %.1f s, of which all-reduce %.1f s, batches %.1f s, "
                "validation %.1f s (rank 0)\n", r.n_ranks, batch, r.train_seconds, r.comm_seconds, r.data_seconds,
                r.val_seconds);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (r.regression) {
        if (json) {
            printf("{\"model\":\"%s\",\"arch\":\"%s\",\"task\":\"regression\",\"labels\":\"%s\",\"epochs\":%d,"
                   "\"best_epoch\":%d,\"val_mae\":",
                   out, arch, labels, epochs, r.best_epoch);
            cli_json_num(r.best);
            printf(",\"val_rmse\":");
            cli_json_num(r.best_rmse);
            printf(",\"val_mae_mean_predictor\":");
            cli_json_num(r.mean_mae);
            printf(",\"target_mean\":%.6f,\"target_sd\":%.6f,\"n_train\":%d,\"n_val\":%d,"
                   "\"n_unknown_age\":{\"train\":%d,\"val\":%d,\"test\":%d},\"final_loss\":%.6f,"
                   "\"train_seconds\":%.1f,\"peak_rss_mb\":%.1f,",
                   r.target_mean, r.target_sd, r.n_train, r.n_val, r.n_no_target[0], r.n_no_target[1], r.n_no_target[2],
                   r.final_loss, r.train_seconds, ru.ru_maxrss / 1024.0);
            print_json_timing(&r);
        } else {
            printf("%s: best epoch %d, validation MAE %.3f years (RMSE %.3f; predicting the training mean %.1f: MAE "
                   "%.3f); %.1f s, peak RSS %.1f MB\n",
                   out, r.best_epoch, r.best, r.best_rmse, r.target_mean, r.mean_mae, r.train_seconds,
                   ru.ru_maxrss / 1024.0);
        }
    } else if (json) {
        printf("{\"model\":\"%s\",\"arch\":\"%s\",\"epochs\":%d,\"best_epoch\":%d,\"val_macro_auroc\":%.6f,\"val_auroc\":{",
               out, arch, epochs, r.best_epoch, r.best);
        for (int c = 0; c < K; c++) {
            printf("%s\"%s\":", c ? "," : "", r.classes[c]);
            cli_json_num(r.best_auc[c]);
        }
        printf("},\"thresholds\":");
        if (r.thresholds_rule[0]) {
            printf("{");
            for (int c = 0; c < K; c++) printf("%s\"%s\":%.9g", c ? "," : "", r.classes[c], r.thresholds[c]);
            printf("},\"thresholds_rule\":\"%s\"", r.thresholds_rule);
        } else {
            printf("null");
        }
        printf(",\"label_set\":\"%s\",\"n_train\":%d,\"n_val\":%d,\"final_loss\":%.6f,\"train_seconds\":%.1f,"
               "\"peak_rss_mb\":%.1f,",
               r.label_set, r.n_train, r.n_val, r.final_loss, r.train_seconds, ru.ru_maxrss / 1024.0);
        print_json_timing(&r);
    } else {
        printf("%s: best epoch %d, validation macro AUROC %.4f (", out, r.best_epoch, r.best);
        for (int c = 0; c < K; c++) printf("%s%s %.4f", c ? ", " : "", r.classes[c], r.best_auc[c]);
        printf("); %.1f s, peak RSS %.1f MB\n", r.train_seconds, ru.ru_maxrss / 1024.0);
        if (r.thresholds_rule[0]) {
            printf("thresholds (%s):", r.thresholds_rule);
            for (int c = 0; c < K; c++) {
                char t[32];
                ecgx_threshold_format(r.thresholds[c], t, sizeof t);
                printf("%s %s %s", c ? "," : "", r.classes[c], t);
            }
            printf("\n");
        }
    }
    ecgx_train_result_free(&r);
    return EXIT_OK;
}
