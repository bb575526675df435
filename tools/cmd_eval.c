/* ecgx eval: per-class and macro AUROC of a trained model on a split of one
 * or more data folders (sliding windows, max, as in training). AUPRC,
 * thresholds and bootstrap intervals come with the eval module; this uses
 * nn_metrics (AUROC) until then. */
#include "cli.h"
#include "ecgx/nn.h"
#include "ecgx/progress.h"
#include "nn_data.h"
#include "nn_metrics.h"
#include "nn_model_meta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *o)
{
    fprintf(o, "usage: ecgx eval --model MODEL.safetensors --data DIR[,DIR...] [--split val] [--json]\n"
               "  --split train|val|test|all|fold:N   (default val)\n"
               "Per-class and macro AUROC, records scored by sliding windows (max) after the model's\n"
               "preprocessing; classes matched to the model's by name.\n");
}

int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *split = "val";
    int json = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if (!strcmp(argv[i], "--json")) { json = 1; continue; }
        if (!strcmp(argv[i], "--quiet")) { quiet = 1; continue; }
        if ((r = cli_opt("eval", argc, argv, &i, "--model", &model)) || (r = cli_opt("eval", argc, argv, &i, "--data", &data)) ||
            (r = cli_opt("eval", argc, argv, &i, "--split", &split))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        return cli_usage_error("eval", "unknown argument '%s'", argv[i]);
    }
    if (!model || !data) return cli_usage_error("eval", "needs --model and --data");
    ecgx_model *m = NULL;
    nn_model_meta mm;
    if (ecgx_model_load(model, &m) < 0 || nn_model_meta_read(m, model, &mm) < 0) {
        ecgx_model_free(m);
        return cli_fail("eval");
    }
    const char *labels = ecgx_model_meta(m, "labels");
    nn_data d;
    if (nn_data_load(data, labels ? labels : "superdiagnostic", mm.fs, mm.window, quiet, &d) < 0) {
        ecgx_model_free(m);
        return cli_fail("eval");
    }
    int *idx = NULL, n = 0, K = mm.n_classes, rc = EXIT_OK;
    if (nn_data_split(&d, split, &idx, &n) < 0) {
        nn_data_free(&d);
        ecgx_model_free(m);
        return cli_usage_error("eval", "%s", ecgx_last_error());
    }
    /* model class k <- data column map[k] */
    int map[64];
    for (int k = 0; k < K; k++) {
        map[k] = -1;
        for (int c = 0; c < d.n_classes; c++)
            if (!strcmp(d.classes[c], mm.classes[k])) map[k] = c;
    }
    float *p = malloc(sizeof(float) * ((size_t)n * K + 1)), *y = calloc((size_t)n * K + 1, sizeof(float));
    double *auc = malloc(sizeof(double) * K);
    ecgx_progress pb;
    ecgx_progress_begin(&pb, "eval", n, quiet || json);
    for (int i = 0; i < n; i++) {
        int r = idx[i];
        if (ecgx_model_predict_windows(m, d.x + d.offset[r], d.length[r], mm.window, mm.stride, p + (size_t)i * K, NULL) < 0) {
            rc = cli_fail("eval");
            break;
        }
        for (int k = 0; k < K; k++) y[(size_t)i * K + k] = map[k] >= 0 ? d.y[(size_t)r * d.n_classes + map[k]] : 0.0f;
        ecgx_progress_update(&pb, i + 1);
    }
    ecgx_progress_end(&pb);
    if (rc == EXIT_OK) {
        double macro = nn_macro_auroc(p, y, n, K, auc);
        if (json) {
            printf("{\"model\":\"%s\",\"data\":\"%s\",\"split\":\"%s\",\"n\":%d,\"macro_auroc\":", model, data, split, n);
            printf(isnan(macro) ? "null" : "%.6f", macro);
            printf(",\"auroc\":{");
            for (int k = 0; k < K; k++) {
                printf("%s\"%s\":", k ? "," : "", mm.classes[k]);
                printf(isnan(auc[k]) ? "null" : "%.6f", auc[k]);
            }
            printf("}}\n");
        } else {
            printf("%s on %s (%s, %d records): macro AUROC %.4f\n", model, data, split, n, macro);
            for (int k = 0; k < K; k++) printf("  %-8s AUROC %.4f\n", mm.classes[k], auc[k]);
        }
    }
    free(p);
    free(y);
    free(auc);
    free(idx);
    nn_data_free(&d);
    ecgx_model_free(m);
    return rc;
}
