/* ecgx eval: a trained model on a split of one or more data folders
 * (sliding windows, max, as in training): per-class and macro AUROC and
 * AUPRC, sensitivity and specificity at per-class thresholds, bootstrap
 * intervals — all from the eval module (ecgx_eval_multilabel). Thresholds:
 * the model's own (metadata "thresholds"), else Youden's on the data's
 * validation split; --store-thresholds writes Youden's on --split val into
 * the model file. A regression model (ecgx train --labels age): MAE, RMSE,
 * R^2 and Pearson's r of the predicted age (mean over windows) with
 * bootstrap intervals (ecgx_eval_regression_metrics), beside the MAE of
 * predicting the training mean. */
#include "cli.h"
#include "ecgx/nn.h"
#include "ecgx/progress.h"
#include "nn_data.h"
#include "nn_metrics.h"
#include "nn_model_meta.h"
#include "nn_regression.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *o)
{
    fprintf(o, "usage: ecgx eval --model MODEL.safetensors --data DIR[,DIR...] [--split val] [--json]\n"
               "                 [--bootstrap N] [--seed S] [--store-thresholds]\n"
               "  --split train|val|test|all|fold:N   (default val)\n"
               "  --bootstrap N        resamples for the 95 %% intervals (default 1000, 0: none)\n"
               "  --store-thresholds   with --split val: write each class's Youden threshold into\n"
               "                       the model's metadata ('thresholds'), atomically\n"
               "Per-class and macro AUROC and AUPRC, sensitivity and specificity at thresholds chosen\n"
               "on validation (the model's stored 'thresholds', else Youden on the val split), with\n"
               "bootstrap 95 %% intervals; records scored by sliding windows (max) after the model's\n"
               "preprocessing; classes matched to the model's by name.\n"
               "A regression model (trained with --labels age): MAE, RMSE, R^2 and Pearson's r of the\n"
               "predicted age in years (the mean over the windows) with bootstrap intervals, and the\n"
               "MAE of predicting the training mean; records of unknown age are left out.\n");
}

/* Scores and targets [n][K] of a split, in the model's class order. */
static int score_split(ecgx_model *m, const nn_model_meta *mm, const nn_data *d, const char *split, int quiet,
                       float **p, float **y, int *n)
{
    int *idx = NULL, K = mm->n_classes;
    *p = *y = NULL;
    if (nn_data_split(d, split, &idx, n) < 0) return -1;
    int map[64]; /* model class k <- data column map[k] */
    for (int k = 0; k < K; k++) {
        map[k] = -1;
        for (int c = 0; c < d->n_classes; c++)
            if (!strcmp(d->classes[c], mm->classes[k])) map[k] = c;
    }
    *p = malloc(sizeof(float) * ((size_t)*n * K + 1));
    *y = calloc((size_t)*n * K + 1, sizeof(float));
    int rc = (!*p || !*y) ? ecgx_error(ECGX_ERR_NOMEM, "eval: out of memory") : 0;
    ecgx_progress pb;
    ecgx_progress_begin(&pb, split, *n, quiet);
    for (int i = 0; i < *n && !rc; i++) {
        int r = idx[i];
        rc = ecgx_model_predict_windows(m, d->x + d->offset[r], d->length[r], mm->window, mm->stride,
                                        *p + (size_t)i * K, NULL);
        for (int k = 0; k < K; k++) (*y)[(size_t)i * K + k] = map[k] >= 0 ? d->y[(size_t)r * d->n_classes + map[k]] : 0.0f;
        ecgx_progress_update(&pb, i + 1);
    }
    ecgx_progress_end(&pb);
    free(idx);
    return rc;
}

/* Youden thresholds per class on scores of a split; NAN for undefined classes. */
static int youden(const float *p, const float *y, int n, int K, double *thr)
{
    ecgx_eval_options o;
    ecgx_eval_options_default(&o);
    o.rule = ECGX_THRESHOLD_YOUDEN;
    o.n_bootstrap = 0;
    ecgx_eval_result *r = NULL;
    int rc = nn_eval(p, y, n, K, &o, &r);
    for (int k = 0; k < K; k++) thr[k] = !rc && r->classes[k].defined ? r->classes[k].s.at.threshold : NAN;
    ecgx_eval_result_free(r);
    return rc;
}

static void jmetric(const char *name, double v, ecgx_interval ci, int first);

/* A regression model on a split: predictions in the target's unit. */
static int eval_regression(ecgx_model *m, const char *model, const nn_model_meta *mm, const nn_data *d,
                           const char *data, const char *split, int json, int quiet, int nboot, int seed)
{
    double tmean, tsd;
    if (nn_model_target_scale(m, model, &tmean, &tsd) < 0) return -1;
    int *idx = NULL, n = 0;
    if (nn_data_split(d, split, &idx, &n) < 0) return -1;
    double *pred = malloc(sizeof(double) * (n + 1)), *truth = malloc(sizeof(double) * (n + 1));
    int rc = !pred || !truth ? ecgx_error(ECGX_ERR_NOMEM, "eval: out of memory") : 0;
    ecgx_progress pb;
    ecgx_progress_begin(&pb, split, n, quiet);
    double mean_mae = 0;
    for (int i = 0; i < n && !rc; i++) {
        int r = idx[i];
        float z;
        rc = nn_predict_windows_mean(m, d->x + d->offset[r], d->length[r], mm->window, mm->stride, &z);
        pred[i] = tmean + tsd * z;
        truth[i] = d->y[r];
        mean_mae += fabs(tmean - truth[i]);
        ecgx_progress_update(&pb, i + 1);
    }
    ecgx_progress_end(&pb);
    ecgx_eval_regression res;
    if (!rc) {
        ecgx_eval_options o;
        ecgx_eval_options_default(&o);
        o.n_bootstrap = nboot;
        o.seed = (uint64_t)seed;
        rc = ecgx_eval_regression_metrics(pred, truth, n, &o, &res);
    }
    if (!rc) {
        mean_mae /= n;
        const char *unit = ecgx_model_meta(m, "target_unit");
        if (!unit) unit = "";
        const int *u = d->n_no_target;
        if (json) {
            printf("{\"model\":\"%s\",\"data\":\"%s\",\"split\":\"%s\",\"task\":\"regression\",\"target\":\"%s\","
                   "\"unit\":\"%s\",\"n\":%d,\"n_unknown_target\":{\"train\":%d,\"val\":%d,\"test\":%d},",
                   model, data, split, mm->classes[0], unit, n, u[0], u[1], u[2]);
            jmetric("mae", res.mae, res.mae_ci, 1);
            jmetric("rmse", res.rmse, res.rmse_ci, 0);
            jmetric("r2", res.r2, res.r2_ci, 0);
            jmetric("pearson_r", res.pearson_r, res.pearson_r_ci, 0);
            jmetric("bias", res.bias, res.bias_ci, 0);
            printf(",\"mae_mean_predictor\":");
            cli_json_num(mean_mae);
            printf(",\"target_mean\":");
            cli_json_num(tmean);
            printf(",\"bootstrap\":%d,\"bootstrap_skipped\":%d,\"ci_level\":%g}\n", res.n_bootstrap, res.n_skipped,
                   res.ci_level);
        } else {
            printf("%s on %s (%s, %d records with a known %s; left out for an unknown one: %d train, %d val, %d test)\n",
                   model, data, split, n, mm->classes[0], u[0], u[1], u[2]);
            printf("intervals: %g %% bootstrap, %d resamples\n", 100 * res.ci_level, res.n_bootstrap);
            printf("  MAE        %8.3f [%.3f, %.3f] %s\n", res.mae, res.mae_ci.lo, res.mae_ci.hi, unit);
            printf("  RMSE       %8.3f [%.3f, %.3f] %s\n", res.rmse, res.rmse_ci.lo, res.rmse_ci.hi, unit);
            printf("  R^2        %8.4f [%.4f, %.4f]\n", res.r2, res.r2_ci.lo, res.r2_ci.hi);
            printf("  Pearson r  %8.4f [%.4f, %.4f]\n", res.pearson_r, res.pearson_r_ci.lo, res.pearson_r_ci.hi);
            printf("  bias       %8.3f [%.3f, %.3f] %s (predicted - true)\n", res.bias, res.bias_ci.lo, res.bias_ci.hi,
                   unit);
            printf("  MAE of predicting the training mean (%.2f): %.3f %s\n", tmean, mean_mae, unit);
        }
    }
    free(idx);
    free(pred);
    free(truth);
    return rc;
}

/* "name":value,"name_ci":[lo,hi] — one metric with its bootstrap interval. */
static void jmetric(const char *name, double v, ecgx_interval ci, int first)
{
    printf("%s\"%s\":", first ? "" : ",", name);
    cli_json_num(v);
    printf(",\"%s_ci\":[", name);
    cli_json_num(ci.lo);
    printf(",");
    cli_json_num(ci.hi);
    printf("]");
}

static void jsummary(const ecgx_eval_summary *s)
{
    jmetric("auroc", s->auroc, s->auroc_ci, 1);
    jmetric("auprc", s->auprc, s->auprc_ci, 0);
    jmetric("sensitivity", s->at.sensitivity, s->sensitivity_ci, 0);
    jmetric("specificity", s->at.specificity, s->specificity_ci, 0);
}

static void print_json(const char *model, const char *data, const char *split, int n, const nn_model_meta *mm,
                       const double *thr, const char *thr_from, const ecgx_eval_result *r)
{
    printf("{\"model\":\"%s\",\"data\":\"%s\",\"split\":\"%s\",\"n\":%d,\"macro_auroc\":", model, data, split, n);
    cli_json_num(r->macro.auroc);
    printf(",\"macro_auprc\":");
    cli_json_num(r->macro.auprc);
    printf(",\"auroc\":{");
    for (int k = 0; k < mm->n_classes; k++) {
        printf("%s\"%s\":", k ? "," : "", mm->classes[k]);
        cli_json_num(r->classes[k].defined ? r->classes[k].s.auroc : NAN);
    }
    printf("},\"bootstrap\":%d,\"ci_level\":%g,\"thresholds_from\":\"%s\",\"macro\":{", r->n_bootstrap, r->ci_level,
           thr_from);
    jsummary(&r->macro);
    printf("},\"classes\":{");
    for (int k = 0; k < mm->n_classes; k++) {
        const ecgx_eval_class *c = &r->classes[k];
        printf("%s\"%s\":{\"n_pos\":%lld,\"n_neg\":%lld,\"threshold\":", k ? "," : "", mm->classes[k],
               (long long)c->n_pos, (long long)c->n_neg);
        cli_json_num(thr[k]);
        printf(",");
        jsummary(&c->s);
        printf("}");
    }
    printf("}}\n");
}

static void print_text(const char *model, const char *data, const char *split, int n, const nn_model_meta *mm,
                       const double *thr, const char *thr_from, const ecgx_eval_result *r)
{
    printf("%s on %s (%s, %d records): macro AUROC %.4f [%.4f, %.4f], macro AUPRC %.4f [%.4f, %.4f]\n", model, data,
           split, n, r->macro.auroc, r->macro.auroc_ci.lo, r->macro.auroc_ci.hi, r->macro.auprc, r->macro.auprc_ci.lo,
           r->macro.auprc_ci.hi);
    printf("thresholds: %s; intervals: %g %% bootstrap, %d resamples\n", thr_from, 100 * r->ci_level, r->n_bootstrap);
    printf("  %-8s %6s %6s  %-17s %-17s %9s  %-17s %-17s\n", "class", "pos", "neg", "AUROC", "AUPRC", "threshold",
           "sensitivity", "specificity");
    for (int k = 0; k < mm->n_classes; k++) {
        const ecgx_eval_class *c = &r->classes[k];
        const ecgx_eval_summary *s = &c->s;
        printf("  %-8s %6lld %6lld  %.3f [%.3f,%.3f] %.3f [%.3f,%.3f] %9.3f  %.3f [%.3f,%.3f] %.3f [%.3f,%.3f]\n",
               mm->classes[k], (long long)c->n_pos, (long long)c->n_neg, s->auroc, s->auroc_ci.lo, s->auroc_ci.hi,
               s->auprc, s->auprc_ci.lo, s->auprc_ci.hi, thr[k], s->at.sensitivity, s->sensitivity_ci.lo,
               s->sensitivity_ci.hi, s->at.specificity, s->specificity_ci.lo, s->specificity_ci.hi);
    }
}

static int store_thresholds(ecgx_model *m, const char *path, const nn_model_meta *mm, const double *thr)
{
    char buf[64 * 96] = "";
    size_t k = 0;
    for (int c = 0; c < mm->n_classes && k < sizeof buf; c++) {
        if (!isfinite(thr[c]))
            return ecgx_error(ECGX_ERR_RANGE, "%s: class %s has no positive or no negative in the val split: no threshold",
                              path, mm->classes[c]);
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s:%.6g", c ? "," : "", mm->classes[c], thr[c]);
    }
    int rc = ecgx_model_set_meta(m, "thresholds", buf);
    if (!rc) rc = ecgx_model_set_meta(m, "thresholds_rule", "youden on the validation split");
    return rc ? rc : ecgx_model_save(m, path);
}

int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *split = "val";
    int json = 0, quiet = 0, store = 0, nboot = 1000, seed = 1;
    for (int i = 1; i < argc; i++) {
        int r, err = 0;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if (!strcmp(argv[i], "--json")) { json = 1; continue; }
        if (!strcmp(argv[i], "--quiet")) { quiet = 1; continue; }
        if (!strcmp(argv[i], "--store-thresholds")) { store = 1; continue; }
        if ((r = cli_opt("eval", argc, argv, &i, "--model", &model)) || (r = cli_opt("eval", argc, argv, &i, "--data", &data)) ||
            (r = cli_opt("eval", argc, argv, &i, "--split", &split)) ||
            (r = cli_opt_int("eval", argc, argv, &i, "--bootstrap", &nboot, &err)) ||
            (r = cli_opt_int("eval", argc, argv, &i, "--seed", &seed, &err))) {
            if (r < 0 || err) return EXIT_USAGE;
            continue;
        }
        return cli_usage_error("eval", "unknown argument '%s'", argv[i]);
    }
    if (!model || !data) return cli_usage_error("eval", "needs --model and --data");
    if (nboot < 0 || nboot > 100000) return cli_usage_error("eval", "--bootstrap %d: must be 0..100000", nboot);
    if (store && strcmp(split, "val")) return cli_usage_error("eval", "--store-thresholds chooses them on --split val");
    ecgx_model *m = NULL;
    nn_model_meta mm;
    if (ecgx_model_load(model, &m) < 0 || nn_model_meta_read(m, model, &mm) < 0) {
        ecgx_model_free(m);
        return cli_fail("eval");
    }
    const char *labels = ecgx_model_meta(m, "labels");
    int reg = nn_model_is_regression(m);
    if (reg && store) {
        ecgx_model_free(m);
        return cli_usage_error("eval", "--store-thresholds: %s is a regression model (no thresholds)", model);
    }
    if (reg && !labels) labels = "age";
    nn_data d;
    if (nn_data_load(data, labels ? labels : "superdiagnostic", mm.fs, mm.window, quiet, &d) < 0) {
        ecgx_model_free(m);
        return cli_fail("eval");
    }
    int K = mm.n_classes, n = 0, rc = EXIT_OK;
    float *p = NULL, *y = NULL;
    double thr[64];
    const char *thr_from = "the model's metadata";
    ecgx_eval_result *res = NULL;
    int *idx = NULL; /* an unknown split is a usage error, not bad input */
    int bad_split = nn_data_split(&d, split, &idx, &n) < 0;
    free(idx);
    if (!bad_split && n == 0) {
        fprintf(stderr, "ecgx eval: %s: split '%s' has no labelled records\n", data, split);
        nn_data_free(&d);
        ecgx_model_free(m);
        return EXIT_BAD_INPUT;
    }
    if (bad_split) {
        nn_data_free(&d);
        ecgx_model_free(m);
        return cli_usage_error("eval", "%s", ecgx_last_error());
    }
    if (reg) {
        rc = eval_regression(m, model, &mm, &d, data, split, json, quiet || json, nboot, seed) < 0 ? cli_fail("eval") : EXIT_OK;
        nn_data_free(&d);
        ecgx_model_free(m);
        return rc;
    }
    if (score_split(m, &mm, &d, split, quiet || json, &p, &y, &n) < 0) rc = cli_fail("eval");
    if (!rc && (store || !nn_model_thresholds(m, &mm, thr))) {
        if (!strcmp(split, "val")) {
            if (youden(p, y, n, K, thr) < 0) rc = cli_fail("eval");
        } else {
            float *vp = NULL, *vy = NULL;
            int nv = 0;
            if (score_split(m, &mm, &d, "val", quiet || json, &vp, &vy, &nv) < 0 || youden(vp, vy, nv, K, thr) < 0)
                rc = cli_fail("eval");
            free(vp);
            free(vy);
        }
        thr_from = "youden on the val split";
    }
    for (int k = 0; k < K; k++)
        if (!isfinite(thr[k])) thr[k] = 0.5;
    if (!rc && store && store_thresholds(m, model, &mm, thr) < 0) rc = cli_fail("eval");
    if (!rc) {
        ecgx_eval_options o;
        ecgx_eval_options_default(&o);
        o.thresholds = thr;
        o.n_bootstrap = nboot;
        o.seed = (uint64_t)seed;
        if (nn_eval(p, y, n, K, &o, &res) < 0) rc = cli_fail("eval");
    }
    if (!rc) {
        if (json) print_json(model, data, split, n, &mm, thr, thr_from, res);
        else print_text(model, data, split, n, &mm, thr, thr_from, res);
    }
    ecgx_eval_result_free(res);
    free(p);
    free(y);
    nn_data_free(&d);
    ecgx_model_free(m);
    return rc;
}
