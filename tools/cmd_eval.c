/* ecgx eval: a trained model on a split of one or more data folders
 * (sliding windows, max, as in training): per-class and macro AUROC and
 * AUPRC, sensitivity and specificity at per-class thresholds, bootstrap
 * intervals — all from the eval module (ecgx_eval_multilabel). Thresholds:
 * the model's own (ecgx_model_thresholds), else chosen on the data's
 * validation split by --threshold-rule (f1 by default, ecgx_eval_choose_thresholds);
 * --thresholds overrides; --store-thresholds writes those chosen on --split
 * val into the model file. A regression model (ecgx train --labels age): MAE, RMSE,
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
               "                 [--thresholds model|val|X|CLASS:X,...] [--threshold-rule f1|youden|sensitivity:S]\n"
               "                 [--bootstrap N] [--seed S] [--store-thresholds] [--labels-file CSV] [--label-column COL]\n"
               "  --split train|val|test|all|fold:N   (default val)\n"
               "  --thresholds SPEC    model: the model's own (metadata 'thresholds'); val: chosen on the\n"
               "                       data's val split by --threshold-rule; X: one threshold for every class;\n"
               "                       CLASS:X,...: one per class. Default: model when it holds them, else val\n"
               "  --threshold-rule R   f1 (default: maximal F1), youden (sensitivity + specificity - 1), or\n"
               "                       sensitivity:S (the highest threshold whose sensitivity >= S)\n"
               "  --bootstrap N        resamples for the 95 %% intervals (default 1000, 0: none)\n"
               "  --labels-file CSV    the labels in a CSV anywhere (as ecgx train); --label-column COL one\n"
               "                       column of it (default: the column the model was trained on)\n"
               "  --store-thresholds   with --split val: write each class's threshold chosen by\n"
               "                       --threshold-rule into the model's metadata, atomically\n"
               "Per-class and macro AUROC and AUPRC, sensitivity and specificity at per-class thresholds,\n"
               "with bootstrap 95 %% intervals; records scored by sliding windows (max) after the model's\n"
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

/* Thresholds per class chosen by a rule on scores of a split (the eval
 * module's ecgx_eval_choose_thresholds); NaN for classes it cannot decide. */
static int choose(const float *p, const float *y, int n, int K, ecgx_threshold_rule rule, double target, double *thr)
{
    size_t nk = (size_t)n * (size_t)K;
    double *s = malloc(sizeof(double) * (nk + 1));
    uint8_t *l = malloc(nk + 1);
    int rc = !s || !l ? ecgx_error(ECGX_ERR_NOMEM, "eval: out of memory") : 0;
    for (size_t i = 0; i < nk && !rc; i++) {
        s[i] = p[i];
        l[i] = y[i] > 0.5f;
    }
    if (!rc) rc = ecgx_eval_choose_thresholds(s, l, n, K, rule, target, thr, NULL);
    free(s);
    free(l);
    return rc;
}

/* --thresholds X or CLASS:X,...: every class must get one in [0, 1]. */
static int parse_thresholds(const char *spec, const nn_model_meta *mm, double *thr)
{
    char *end;
    double v = strtod(spec, &end);
    if (end != spec && !*end) {
        if (!(v >= 0 && v <= 1)) return ecgx_error(ECGX_ERR_RANGE, "--thresholds %s: must be in [0, 1]", spec);
        for (int k = 0; k < mm->n_classes; k++) thr[k] = v;
        return 0;
    }
    for (int k = 0; k < mm->n_classes; k++) thr[k] = NAN;
    char *copy = strdup(spec), *save = NULL;
    int rc = copy ? 0 : ecgx_error(ECGX_ERR_NOMEM, "eval: out of memory");
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        int k = -1;
        if (colon) *colon = 0;
        for (int c = 0; colon && c < mm->n_classes; c++)
            if (!strcmp(mm->classes[c], tok)) k = c;
        if (!colon || k < 0) {
            rc = ecgx_error(ECGX_ERR_ARG, "--thresholds: '%s' is not CLASS:X with a class of the model", tok);
            break;
        }
        v = strtod(colon + 1, &end);
        if (end == colon + 1 || *end || !(v >= 0 && v <= 1))
            rc = ecgx_error(ECGX_ERR_RANGE, "--thresholds %s:%s: must be in [0, 1]", tok, colon + 1);
        thr[k] = v;
    }
    free(copy);
    for (int k = 0; k < mm->n_classes && !rc; k++)
        if (isnan(thr[k])) rc = ecgx_error(ECGX_ERR_ARG, "--thresholds: no threshold for class %s", mm->classes[k]);
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
        printf("%s\"%s\":{\"n_pos\":%lld,\"n_neg\":%lld,\"threshold\":%.9g", k ? "," : "", mm->classes[k],
               (long long)c->n_pos, (long long)c->n_neg, thr[k]);
        printf(",");
        jsummary(&c->s);
        printf("}");
    }
    printf("}}\n");
}

/* "0.940 [0.921, 0.960]", or "0.940" without bootstrap intervals (no "[nan, nan]"). */
static const char *cell(char *buf, size_t n, double v, ecgx_interval ci, int nboot)
{
    if (nboot > 0 && isfinite(ci.lo) && isfinite(ci.hi)) snprintf(buf, n, "%.3f [%.3f, %.3f]", v, ci.lo, ci.hi);
    else if (nboot > 0 && isfinite(v)) snprintf(buf, n, "%.3f [n/a]", v);
    else if (isfinite(v)) snprintf(buf, n, "%.3f", v);
    else snprintf(buf, n, "n/a");
    return buf;
}

static void print_text(const char *model, const char *data, const char *split, int n, const nn_model_meta *mm,
                       const double *thr, const char *thr_from, const ecgx_eval_result *r)
{
    char a[64], b[64], c4[64], d4[64], t[32];
    printf("%s on %s (%s, %d records): macro AUROC %.4f", model, data, split, n, r->macro.auroc);
    if (r->n_bootstrap > 0) printf(" [%.4f, %.4f]", r->macro.auroc_ci.lo, r->macro.auroc_ci.hi);
    printf(", macro AUPRC %.4f", r->macro.auprc);
    if (r->n_bootstrap > 0) printf(" [%.4f, %.4f]", r->macro.auprc_ci.lo, r->macro.auprc_ci.hi);
    printf("\n");
    if (r->n_bootstrap > 0)
        printf("thresholds: %s; intervals: %g %% bootstrap, %d resamples\n", thr_from, 100 * r->ci_level, r->n_bootstrap);
    else
        printf("thresholds: %s; no intervals (--bootstrap 0)\n", thr_from);
    /* every cell is formatted first, then padded to the widest it can be, so the columns line up */
    int w = r->n_bootstrap > 0 ? 20 : 11, cw = 8; /* 11: "sensitivity" */
    for (int k = 0; k < mm->n_classes; k++) {
        int l = (int)strlen(mm->classes[k]);
        if (l > cw) cw = l;
    }
    printf("  %-*s %6s %6s  %-*s  %-*s  %9s  %-*s  %s\n", cw, "class", "pos", "neg", w, "AUROC", w, "AUPRC",
           "threshold", w, "sensitivity", "specificity");
    for (int k = 0; k < mm->n_classes; k++) {
        const ecgx_eval_class *c = &r->classes[k];
        const ecgx_eval_summary *s = &c->s;
        ecgx_threshold_format(thr[k], t, sizeof t);
        printf("  %-*s %6lld %6lld  %-*s  %-*s  %9s  %-*s  %s\n", cw, mm->classes[k], (long long)c->n_pos,
               (long long)c->n_neg, w, cell(a, sizeof a, s->auroc, s->auroc_ci, r->n_bootstrap), w,
               cell(b, sizeof b, s->auprc, s->auprc_ci, r->n_bootstrap), t, w,
               cell(c4, sizeof c4, s->at.sensitivity, s->sensitivity_ci, r->n_bootstrap),
               cell(d4, sizeof d4, s->at.specificity, s->specificity_ci, r->n_bootstrap));
    }
}

static int store_thresholds(ecgx_model *m, const char *path, const nn_model_meta *mm, const double *thr,
                            const char *rule, int n_val)
{
    for (int c = 0; c < mm->n_classes; c++)
        if (!isfinite(thr[c]))
            return ecgx_error(ECGX_ERR_RANGE, "%s: class %s has no positive (or, for youden, no negative) in the val split: no threshold",
                              path, mm->classes[c]);
    char desc[160];
    snprintf(desc, sizeof desc, "%s on the validation split, %d records", rule, n_val);
    int rc = ecgx_model_set_thresholds(m, thr, desc);
    return rc ? rc : ecgx_model_save(m, path);
}

int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *split = "val", *thr_spec = NULL, *rule_spec = "f1";
    const char *labels_file = NULL, *label_column = NULL;
    int json = 0, quiet = 0, store = 0, nboot = 1000, seed = 1;
    for (int i = 1; i < argc; i++) {
        int r, err = 0;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if (!strcmp(argv[i], "--json")) { json = 1; continue; }
        if (!strcmp(argv[i], "--quiet")) { quiet = 1; continue; }
        if (!strcmp(argv[i], "--store-thresholds")) { store = 1; continue; }
        if ((r = cli_opt("eval", argc, argv, &i, "--model", &model)) || (r = cli_opt("eval", argc, argv, &i, "--data", &data)) ||
            (r = cli_opt("eval", argc, argv, &i, "--split", &split)) ||
            (r = cli_opt("eval", argc, argv, &i, "--thresholds", &thr_spec)) ||
            (r = cli_opt("eval", argc, argv, &i, "--threshold-rule", &rule_spec)) ||
            (r = cli_opt("eval", argc, argv, &i, "--labels-file", &labels_file)) ||
            (r = cli_opt("eval", argc, argv, &i, "--label-column", &label_column)) ||
            (r = cli_opt_int("eval", argc, argv, &i, "--bootstrap", &nboot, &err)) ||
            (r = cli_opt_int("eval", argc, argv, &i, "--seed", &seed, &err))) {
            if (r < 0 || err) return EXIT_USAGE;
            continue;
        }
        return cli_usage_error("eval", "unknown argument '%s'", argv[i]);
    }
    if (!model || !data) return cli_usage_error("eval", "needs --model and --data");
    if (cli_check_int("eval", "--bootstrap", nboot, 0, 100000)) return EXIT_USAGE;
    if (store && strcmp(split, "val")) return cli_usage_error("eval", "--store-thresholds chooses them on --split val");
    ecgx_threshold_rule rule;
    double target;
    if (ecgx_threshold_spec_parse(rule_spec, &rule, &target) < 0) return cli_usage_error("eval", "%s", ecgx_last_error());
    if (store && thr_spec && strcmp(thr_spec, "val"))
        return cli_usage_error("eval", "--store-thresholds stores thresholds chosen on val; --thresholds %s contradicts it", thr_spec);
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
    if (!label_column) label_column = ecgx_model_meta(m, "label_column"); /* as it was trained */
    if (nn_data_load_ex(data, labels ? labels : "superdiagnostic", labels_file, label_column, mm.fs, mm.window, quiet, &d) < 0) {
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
    char rule_text[64], thr_text[200];
    ecgx_threshold_spec_format(rule, target, rule_text, sizeof rule_text);
    const char *stored_rule = NULL;
    int from_val = store || (thr_spec && !strcmp(thr_spec, "val"));
    if (!rc && thr_spec && strcmp(thr_spec, "val") && strcmp(thr_spec, "model")) {
        if (parse_thresholds(thr_spec, &mm, thr) < 0) rc = cli_usage_error("eval", "%s", ecgx_last_error());
        thr_from = "--thresholds";
    } else if (!rc && !from_val) {
        if (ecgx_model_thresholds(m, thr, &stored_rule)) {
            snprintf(thr_text, sizeof thr_text, "the model's (%s)", stored_rule ? stored_rule : "rule not stated");
            thr_from = thr_text;
        } else if (thr_spec) { /* --thresholds model */
            fprintf(stderr, "ecgx eval: %s: the model holds no threshold for every class (metadata 'thresholds')\n", model);
            rc = EXIT_BAD_INPUT;
        } else {
            from_val = 1;
        }
    }
    int nv = 0;
    if (!rc && from_val) {
        if (!strcmp(split, "val")) {
            nv = n;
            if (choose(p, y, n, K, rule, target, thr) < 0) rc = cli_fail("eval");
        } else {
            float *vp = NULL, *vy = NULL;
            int *vidx = NULL;
            if (nn_data_split(&d, "val", &vidx, &nv) == 0 && nv == 0) {
                fprintf(stderr, "ecgx eval: %s: the model holds no thresholds and %s has no validation records to choose "
                        "them on; pass --thresholds X or CLASS:X,... (or store them with ecgx eval --split val --store-thresholds)\n",
                        model, data);
                rc = EXIT_BAD_INPUT;
            } else if (score_split(m, &mm, &d, "val", quiet || json, &vp, &vy, &nv) < 0 ||
                       choose(vp, vy, nv, K, rule, target, thr) < 0) {
                rc = cli_fail("eval");
            }
            free(vidx);
            free(vp);
            free(vy);
        }
        snprintf(thr_text, sizeof thr_text, "%s on the val split (%d records)", rule_text, nv);
        thr_from = thr_text;
    }
    if (!rc && store && store_thresholds(m, model, &mm, thr, rule_text, nv) < 0) rc = cli_fail("eval");
    /* a class the val split cannot decide (no positive there): 0.5, and said so */
    for (int k = 0; k < K && !rc; k++)
        if (!isfinite(thr[k])) {
            thr[k] = 0.5;
            fprintf(stderr, "ecgx eval: class %s: no threshold could be chosen on the val split (no positive there); using 0.5\n",
                    mm.classes[k]);
        }
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
