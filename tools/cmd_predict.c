/* ecgx predict: a probability per class per record, from a trained model,
 * with the model's own preprocessing and the benchmark's sliding windows
 * (max over windows). A record at another rate than the model's is
 * resampled, and the command says so on stderr. A regression model (ecgx
 * train --labels age) gives its target in years instead, the MEAN over the
 * same windows (see nn_regression.h). A class whose probability reaches the
 * model's stored threshold (ecgx_model_thresholds) is marked positive. */
#include "cli.h"
#include "record_check_cli.h"
#include "ecgx/nn.h"
#include "ecgx/io.h"
#include "nn_model_meta.h"
#include "nn_regression.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *o)
{
    fprintf(o, "usage: ecgx predict --model MODEL.safetensors RECORD... [--fs HZ] [--csv|--json]\n"
               "Probability of each class for each record (WFDB header path, with or without .hea,\n"
               "Challenge .mat, or CSV with --fs), preprocessed as the model was trained and scored by\n"
               "sliding windows (max). A class at or above the model's own threshold (metadata\n"
               "'thresholds', chosen on validation data when the model was trained) is marked '*'\n"
               "(JSON: \"positive\" and \"thresholds\"); without stored thresholds nothing is marked.\n"
               "  --fs HZ   sampling rate of CSV records\n"
               "A regression model (trained with --labels age) prints the predicted age in years\n"
               "instead: the mean of the windows' outputs, in the unit the model was trained on.\n");
}

int cmd_predict(int argc, char **argv)
{
    const char *model = NULL;
    int csv = 0, json = 0, nrec = 0, err = 0;
    double csv_fs = 0;
    const char **recs = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { usage(stdout); free(recs); return EXIT_OK; }
        if (!strcmp(argv[i], "--csv")) csv = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if ((r = cli_opt("predict", argc, argv, &i, "--model", &model)) != 0) {
            if (r < 0) { free(recs); return EXIT_USAGE; }
        } else if ((r = cli_opt_double("predict", argc, argv, &i, "--fs", &csv_fs, &err)) != 0) {
            if (r < 0 || cli_check_double("predict", "--fs", csv_fs, 0, 1e6, CLI_LO_OPEN)) { free(recs); return EXIT_USAGE; }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(recs);
            return cli_usage_error("predict", "unknown option '%s'", argv[i]);
        } else recs[nrec++] = argv[i];
    }
    if (!model || nrec == 0) { free(recs); return cli_usage_error("predict", "needs --model and at least one record"); }
    if (csv && json) { free(recs); return cli_usage_error("predict", "--csv and --json exclude each other"); }
    ecgx_model *m = NULL;
    nn_model_meta mm;
    if (ecgx_model_load(model, &m) < 0 || nn_model_meta_read(m, model, &mm) < 0) {
        ecgx_model_free(m);
        free(recs);
        return cli_fail("predict");
    }
    if (ecgx_model_in_channels(m) != 12) {
        fprintf(stderr, "ecgx predict: %s: model takes %d channels; records are read as the 12 standard leads\n", model,
                ecgx_model_in_channels(m));
        ecgx_model_free(m);
        free(recs);
        return EXIT_BAD_INPUT;
    }
    int K = mm.n_classes, rc = EXIT_OK, reg = nn_model_is_regression(m);
    double tmean = 0, tsd = 1;
    if (reg && nn_model_target_scale(m, model, &tmean, &tsd) < 0) {
        cli_fail("predict");
        ecgx_model_free(m);
        free(recs);
        return EXIT_BAD_INPUT;
    }
    const char *unit = ecgx_model_meta(m, "target_unit");
    if (!unit) unit = "";
    float *p = malloc(sizeof(float) * K);
    double thr[64];
    const char *thr_rule = NULL;
    int has_thr = !reg && ecgx_model_thresholds(m, thr, &thr_rule);
    if (has_thr && !csv && !json)
        printf("(* = at or above the model's threshold; %s)\n", thr_rule ? thr_rule : "rule not stated");
    if (csv) {
        printf("record");
        for (int k = 0; k < K; k++) printf(",%s", mm.classes[k]);
        printf("\n");
    }
    if (json) printf("[");
    for (int r = 0; r < nrec; r++) {
        float *x = NULL;
        int n = 0;
        ecgx_record *rec = NULL;
        char note[256];
        if (ecgx_record_read_ex(recs[r], csv_fs, &rec, NULL) < 0 ||
            cli_record_check("predict", rec, CLI_USE_MODEL, ecgx_model_in_channels(m), NULL) < 0 ||
            ecgx_model_prepare_record(m, rec, ECGX_PREPARE_STRICT, &x, &n, NULL, note, sizeof note) < 0) {
            cli_fail_file("predict", recs[r]);
            ecgx_record_free(rec);
            rc = EXIT_BAD_INPUT;
            break;
        }
        double fs_in = rec->fs;
        ecgx_record_free(rec);
        if (note[0]) fprintf(stderr, "ecgx predict: %s: %s\n", recs[r], note);
        if ((reg ? nn_predict_windows_mean(m, x, n, mm.window, mm.stride, p)
                 : ecgx_model_predict_windows(m, x, n, mm.window, mm.stride, p, NULL)) < 0) {
            cli_fail_file("predict", recs[r]);
            free(x);
            rc = EXIT_BAD_INPUT;
            break;
        }
        free(x);
        if (reg) {
            double v = tmean + tsd * p[0];
            if (csv) printf("%s,%.2f\n", recs[r], v);
            else if (json)
                printf("%s{\"record\":\"%s\",\"fs\":%g,\"resampled\":%s,\"%s\":%.4f,\"unit\":\"%s\"}", r ? "," : "",
                       recs[r], fs_in, fs_in != mm.fs ? "true" : "false", mm.classes[0], v, unit);
            else printf("%s: %s %.1f%s%s\n", recs[r], mm.classes[0], v, *unit ? " " : "", unit);
        } else if (csv) {
            printf("%s", recs[r]);
            for (int k = 0; k < K; k++) printf(",%.6f", p[k]);
            printf("\n");
        } else if (json) {
            printf("%s{\"record\":\"%s\",\"fs\":%g,\"resampled\":%s,\"probabilities\":{", r ? "," : "", recs[r], fs_in,
                   fs_in != mm.fs ? "true" : "false");
            for (int k = 0; k < K; k++) printf("%s\"%s\":%.6f", k ? "," : "", mm.classes[k], p[k]);
            printf("}");
            if (has_thr) {
                printf(",\"thresholds\":{");
                for (int k = 0; k < K; k++) printf("%s\"%s\":%.9g", k ? "," : "", mm.classes[k], thr[k]);
                printf("},\"positive\":[");
                for (int k = 0, first = 1; k < K; k++)
                    if (p[k] >= thr[k]) {
                        printf("%s\"%s\"", first ? "" : ",", mm.classes[k]);
                        first = 0;
                    }
                printf("]");
            }
            printf("}");
        } else {
            printf("%s:", recs[r]);
            for (int k = 0; k < K; k++) printf(" %s %.3f%s", mm.classes[k], p[k], has_thr && p[k] >= thr[k] ? "*" : "");
            printf("\n");
        }
    }
    if (json) printf("]\n");
    free(p);
    free(recs);
    ecgx_model_free(m);
    return rc;
}
