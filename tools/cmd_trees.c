/* ecgx trees: measurement models (ECG measurements + age/sex -> XGBoost per
 * target) — train, eval, explain, plot. The logic lives in src/trees. */
#include "cli.h"
#include "ecgx/eval.h"
#include "ecgx/io.h"
#include "ecgx/outfile.h"
#include "ecgx/trees.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *o)
{
    fprintf(o,
            "usage: ecgx trees train --data DIR[,DIR...] --labels SET -o TREES.json [options]\n"
            "       ecgx trees eval --trees TREES.json --data DIR[,DIR...] [--split val] [--json]\n"
            "                       [--bootstrap N] [--seed S] [--pred P.csv] [--truth T.csv]\n"
            "       ecgx trees explain --trees TREES.json RECORD [--json] [--top K] [--interactions]\n"
            "       ecgx trees plot --trees TREES.json --data DIR[,DIR...] -o DIR [--split val] [--class C]\n"
            "                       [--top K] [--dependence N] [--svg]\n\n"
            "Measurement models: every ecgx features quantity (units in the column names) plus age and\n"
            "sex, one XGBoost model per class, early stopping on the validation split, class weights,\n"
            "recursive feature elimination by mean |SHAP| scored by validation AUROC, exact TreeSHAP.\n\n"
            "train:\n"
            "  --labels SET          a dataset label set: superdiagnostic, subdiagnostic, ..., sex, age\n"
            "  --age-threshold Y     with --labels age: the target age >= Y years\n"
            "  --param KEY=VALUE     any XGBoost parameter (repeatable), e.g. --param max_depth=6\n"
            "  --rounds N            most boosting rounds (1000)\n"
            "  --early-stopping N    stop after N rounds without a better validation metric (50; 0: run\n"
            "                        every round; the best round on validation is kept either way)\n"
            "  --no-class-weights    no scale_pos_weight = negatives/positives\n"
            "  --no-rfe              keep every feature\n"
            "  --rfe-drop F          fraction dropped per elimination step (0.2)\n"
            "  --rfe-tolerance T     choose the smallest subset within T of the best val AUROC (0.005)\n"
            "  --train SPLIT --val SPLIT   (train, val)\n"
            "  --table CSV           also write the measurement table\n"
            "  --rate 100|500  --classes A,B  --split-file CSV  --quiet\n"
            "eval: AUROC/AUPRC, sensitivity/specificity at the stored thresholds, bootstrap 95 %% CIs,\n"
            "  mean |SHAP| ranking; --pred/--truth write CSVs for 'ecgx compare' (rows named by record path).\n"
            "explain: per class base value, margin (log-odds), probability, SHAP per feature and the top\n"
            "  reasons in words; --interactions adds SHAP interaction values.\n"
            "plot: a beeswarm per class and dependence plots of its top features (PNG, or SVG).\n");
}

typedef struct common {
    const char *data, *labels, *classes, *split_file, *split, *trees, *out;
    int rate, quiet, json, err;
} common;

/* Parse an option shared by the subcommands; 1 used, 0 not, -1 error. */
static int common_opt(common *c, int argc, char **argv, int *i)
{
    int r;
    if ((r = cli_opt("trees", argc, argv, i, "--data", &c->data))) return r;
    if ((r = cli_opt("trees", argc, argv, i, "--labels", &c->labels))) return r;
    if ((r = cli_opt("trees", argc, argv, i, "--classes", &c->classes))) return r;
    if ((r = cli_opt("trees", argc, argv, i, "--split-file", &c->split_file))) return r;
    if ((r = cli_opt("trees", argc, argv, i, "--split", &c->split))) return r;
    if ((r = cli_opt("trees", argc, argv, i, "--trees", &c->trees))) return r;
    if ((r = cli_opt("trees", argc, argv, i, "-o", &c->out))) return r;
    if ((r = cli_opt_int("trees", argc, argv, i, "--rate", &c->rate, &c->err))) return r;
    if (!strcmp(argv[*i], "--quiet")) { c->quiet = 1; return 1; }
    if (!strcmp(argv[*i], "--json")) { c->json = 1; return 1; }
    return 0;
}

static int open_data(const common *c, const char *label_set, const char *classes, ecgx_dataset **ds)
{
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.label_set = label_set;
    o.classes = classes;
    o.ptbxl_rate = c->rate ? c->rate : 100;
    o.split_file = c->split_file;
    o.keep_unlabeled = label_set && (!strcmp(label_set, "sex") || !strcmp(label_set, "age"));
    return ecgx_dataset_open(c->data, &o, ds);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int do_train(int argc, char **argv)
{
    common c = {0};
    ecgx_trees_options opt;
    ecgx_trees_options_default(&opt);
    double age_th = NAN;
    const char *table_out = NULL, *v = NULL;
    for (int i = 2; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if ((r = common_opt(&c, argc, argv, &i))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("trees", argc, argv, &i, "--age-threshold", &age_th, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("trees", argc, argv, &i, "--rounds", &opt.num_rounds, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("trees", argc, argv, &i, "--early-stopping", &opt.early_stopping, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("trees", argc, argv, &i, "--rfe-drop", &opt.rfe_drop, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("trees", argc, argv, &i, "--rfe-tolerance", &opt.rfe_tolerance, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("trees", argc, argv, &i, "--train", &opt.train_split))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("trees", argc, argv, &i, "--val", &opt.val_split))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("trees", argc, argv, &i, "--table", &table_out))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("trees", argc, argv, &i, "--param", &v))) {
            if (r < 0) return EXIT_USAGE;
            if (ecgx_trees_options_set(&opt, v)) return cli_usage_error("trees", "%s", ecgx_last_error());
            continue;
        }
        if (!strcmp(argv[i], "--no-class-weights")) { opt.class_weights = 0; continue; }
        if (!strcmp(argv[i], "--no-rfe")) { opt.rfe = 0; continue; }
        return cli_usage_error("trees", "unknown argument '%s'", argv[i]);
    }
    if (!c.data || !c.labels || !c.out) return cli_usage_error("trees", "train needs --data, --labels and -o");
    opt.quiet = c.quiet;
    double t0 = now_s();
    ecgx_dataset *ds = NULL;
    ecgx_trees_table *t = NULL;
    ecgx_trees *m = NULL;
    int rc = EXIT_BAD_INPUT;
    if (open_data(&c, c.labels, c.classes, &ds) || ecgx_trees_table_build(ds, "all", c.quiet, &t)) { rc = cli_fail("trees"); goto done; }
    double t1 = now_s();
    if (table_out && ecgx_trees_table_write_csv(t, table_out)) { rc = cli_fail("trees"); goto done; }
    if (ecgx_trees_train(t, &opt, age_th, &m) || ecgx_trees_save(m, c.out)) { rc = cli_fail("trees"); goto done; }
    double t2 = now_s();
    printf("%d records (%d not measurable), %d columns; measured in %.1f s, trained in %.1f s\n", t->n_rows,
           t->n_failed, t->n_cols, t1 - t0, t2 - t1);
    for (int k = 0; k < ecgx_trees_n_classes(m); k++) {
        int ns;
        const int *nf;
        const double *au;
        ecgx_trees_rfe_curve(m, k, &ns, &nf, &au);
        printf("%-10s %3d features, best iteration %4d, threshold %.3f; elimination:", ecgx_trees_class_name(m, k),
               ecgx_trees_n_features(m, k), ecgx_trees_best_iteration(m, k), ecgx_trees_threshold(m, k));
        for (int s = 0; s < ns; s++) printf(" %d:%.3f", nf[s], au[s]);
        printf("\n");
    }
    rc = EXIT_OK;
done:
    ecgx_trees_free(m);
    ecgx_trees_table_free(t);
    ecgx_dataset_free(ds);
    return rc;
}

/* Classes of the model as the dataset's --classes list (NULL for age). */
static char *class_list(const ecgx_trees *m)
{
    if (isfinite(ecgx_trees_age_threshold(m))) return NULL;
    size_t n = 1;
    for (int k = 0; k < ecgx_trees_n_classes(m); k++) n += strlen(ecgx_trees_class_name(m, k)) + 1;
    char *s = calloc(n, 1);
    for (int k = 0; s && k < ecgx_trees_n_classes(m); k++) {
        if (k) strcat(s, ",");
        strcat(s, ecgx_trees_class_name(m, k));
    }
    return s;
}

typedef struct rank_item { int j; double v; } rank_item;
static int cmp_rank(const void *a, const void *b)
{
    const rank_item *x = a, *y = b;
    return (x->v < y->v) - (x->v > y->v);
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }
static cJSON *ci(ecgx_interval v) { cJSON *a = cJSON_CreateArray(); cJSON_AddItemToArray(a, num(v.lo)); cJSON_AddItemToArray(a, num(v.hi)); return a; }

static int write_csv(const char *path, const ecgx_trees *m, const ecgx_trees_table *t, const int *rows, int n,
                     const double *v)
{
    ecgx_outfile of = {0};
    if (ecgx_outfile_open(&of, path) < 0) return -1;
    FILE *f = of.fp;
    int K = ecgx_trees_n_classes(m);
    fprintf(f, "record");
    for (int k = 0; k < K; k++) fprintf(f, ",%s", ecgx_trees_class_name(m, k));
    fputc('\n', f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s", t->paths[rows[i]]);
        for (int k = 0; k < K; k++) fprintf(f, ",%.9g", v[(size_t)i * K + k]);
        fputc('\n', f);
    }
    return ecgx_outfile_commit(&of);
}

static int do_eval(int argc, char **argv)
{
    common c = {0};
    int nboot = 1000, seed = 1;
    const char *pred_out = NULL, *truth_out = NULL;
    for (int i = 2; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if ((r = common_opt(&c, argc, argv, &i))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("trees", argc, argv, &i, "--bootstrap", &nboot, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("trees", argc, argv, &i, "--seed", &seed, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("trees", argc, argv, &i, "--pred", &pred_out))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("trees", argc, argv, &i, "--truth", &truth_out))) { if (r < 0) return EXIT_USAGE; continue; }
        return cli_usage_error("trees", "unknown argument '%s'", argv[i]);
    }
    if (!c.trees || !c.data) return cli_usage_error("trees", "eval needs --trees and --data");
    if (nboot < 0 || nboot > 100000) return cli_usage_error("trees", "--bootstrap %d is outside 0..100000", nboot);
    const char *split = c.split ? c.split : "val";
    ecgx_trees *m = NULL;
    ecgx_dataset *ds = NULL;
    ecgx_trees_table *t = NULL;
    ecgx_eval_result *res = NULL;
    char *cls = NULL;
    double *scores = NULL, *row_scores = NULL, *thr = NULL, *xs = NULL;
    uint8_t *lab = NULL;
    int *rows = NULL, rc = EXIT_BAD_INPUT, K = 0;
    double **phis = NULL;
    if (ecgx_trees_load(c.trees, &m)) { rc = cli_fail("trees"); goto done; }
    K = ecgx_trees_n_classes(m);
    cls = class_list(m);
    if (open_data(&c, ecgx_trees_label_set(m), cls, &ds) || ecgx_trees_table_build(ds, split, 1, &t)) { rc = cli_fail("trees"); goto done; }
    /* records with every target known (sex and age can be unknown) */
    rows = malloc(sizeof *rows * (size_t)t->n_rows);
    scores = malloc(sizeof *scores * (size_t)t->n_rows * K);
    row_scores = malloc(sizeof *row_scores * (size_t)t->n_rows);
    lab = malloc((size_t)t->n_rows * K);
    thr = malloc(sizeof *thr * (size_t)K);
    xs = malloc(sizeof *xs * (size_t)t->n_rows * t->n_cols);
    phis = calloc((size_t)K, sizeof *phis);
    if (!rows || !scores || !row_scores || !lab || !thr || !xs || !phis) { fprintf(stderr, "ecgx trees: out of memory\n"); goto done; }
    int n = 0;
    for (int i = 0; i < t->n_rows; i++) {
        int ok = 1;
        for (int k = 0; k < K; k++) ok &= isfinite(ecgx_trees_target(m, k, t, i));
        if (ok) rows[n++] = i;
    }
    if (n == 0) { fprintf(stderr, "ecgx trees: %s: no record of split %s has every target known\n", c.data, split); goto done; }
    for (int i = 0; i < n; i++) memcpy(xs + (size_t)i * t->n_cols, t->x + (size_t)rows[i] * t->n_cols, sizeof *xs * (size_t)t->n_cols);
    for (int k = 0; k < K; k++) {
        int nf = ecgx_trees_n_features(m, k);
        phis[k] = malloc(sizeof **phis * (size_t)n * (nf + 1));
        if (!phis[k]) { fprintf(stderr, "ecgx trees: out of memory\n"); goto done; }
        double *prob = malloc(sizeof *prob * (size_t)n);
        if (!prob || ecgx_trees_predict(m, k, xs, n, t->cols, t->n_cols, row_scores, prob) ||
            ecgx_trees_shap(m, k, xs, n, t->cols, t->n_cols, phis[k])) {
            free(prob);
            rc = cli_fail("trees");
            goto done;
        }
        for (int i = 0; i < n; i++) {
            scores[(size_t)i * K + k] = prob[i];
            lab[(size_t)i * K + k] = ecgx_trees_target(m, k, t, rows[i]) > 0.5;
        }
        free(prob);
        thr[k] = ecgx_trees_threshold(m, k);
    }
    ecgx_eval_options eo;
    ecgx_eval_options_default(&eo);
    eo.n_bootstrap = nboot;
    eo.seed = (uint64_t)seed;
    eo.thresholds = thr;
    if (ecgx_eval_multilabel(scores, lab, n, K, &eo, &res)) { rc = cli_fail("trees"); goto done; }
    if (pred_out && write_csv(pred_out, m, t, rows, n, scores)) { rc = cli_fail("trees"); goto done; }
    if (truth_out) {
        double *tv = malloc(sizeof *tv * (size_t)n * K);
        if (!tv) goto done;
        for (size_t j = 0; j < (size_t)n * K; j++) tv[j] = lab[j];
        int e = write_csv(truth_out, m, t, rows, n, tv);
        free(tv);
        if (e) { rc = cli_fail("trees"); goto done; }
    }
    int failed = 0;
    for (int i = 0; i < n; i++) failed += t->errors[rows[i]] != NULL;
    if (c.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "split", split);
        cJSON_AddNumberToObject(root, "records", n);
        cJSON_AddNumberToObject(root, "not_measurable", failed);
        cJSON_AddItemToObject(root, "macro_auroc", num(res->macro.auroc));
        cJSON_AddItemToObject(root, "macro_auroc_ci", ci(res->macro.auroc_ci));
        cJSON_AddItemToObject(root, "macro_auprc", num(res->macro.auprc));
        cJSON_AddItemToObject(root, "macro_auprc_ci", ci(res->macro.auprc_ci));
        cJSON_AddNumberToObject(root, "bootstrap", nboot);
        cJSON *co = cJSON_AddObjectToObject(root, "classes");
        for (int k = 0; k < K; k++) {
            const ecgx_eval_class *E = &res->classes[k];
            cJSON *o = cJSON_AddObjectToObject(co, ecgx_trees_class_name(m, k));
            cJSON_AddNumberToObject(o, "positives", (double)E->n_pos);
            cJSON_AddNumberToObject(o, "negatives", (double)E->n_neg);
            cJSON_AddItemToObject(o, "auroc", num(E->s.auroc));
            cJSON_AddItemToObject(o, "auroc_ci", ci(E->s.auroc_ci));
            cJSON_AddItemToObject(o, "auprc", num(E->s.auprc));
            cJSON_AddItemToObject(o, "auprc_ci", ci(E->s.auprc_ci));
            cJSON_AddItemToObject(o, "threshold", num(thr[k]));
            cJSON_AddItemToObject(o, "sensitivity", num(E->s.at.sensitivity));
            cJSON_AddItemToObject(o, "sensitivity_ci", ci(E->s.sensitivity_ci));
            cJSON_AddItemToObject(o, "specificity", num(E->s.at.specificity));
            cJSON_AddItemToObject(o, "specificity_ci", ci(E->s.specificity_ci));
            cJSON_AddNumberToObject(o, "n_features", ecgx_trees_n_features(m, k));
            int nf = ecgx_trees_n_features(m, k);
            rank_item *ri = malloc(sizeof *ri * (size_t)(nf + 1));
            for (int j = 0; ri && j < nf; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += fabs(phis[k][(size_t)i * (nf + 1) + j]);
                ri[j] = (rank_item){j, s / n};
            }
            if (ri) qsort(ri, (size_t)nf, sizeof *ri, cmp_rank);
            cJSON *top = cJSON_AddArrayToObject(o, "mean_abs_shap");
            for (int j = 0; ri && j < nf && j < 10; j++) {
                cJSON *p = cJSON_CreateObject();
                cJSON_AddStringToObject(p, "feature", ecgx_trees_feature(m, k, ri[j].j));
                cJSON_AddNumberToObject(p, "value", ri[j].v);
                cJSON_AddItemToArray(top, p);
            }
            free(ri);
        }
        char *s = cJSON_Print(root);
        if (s) puts(s);
        free(s);
        cJSON_Delete(root);
    } else {
        printf("%d records of split %s (%d not measurable); thresholds stored at training (Youden on validation)\n\n",
               n, split, failed);
        printf("%-10s %5s  %-22s %-7s %-6s %-6s %-6s  %s\n", "class", "pos", "AUROC [95% CI]", "AUPRC", "thr", "sens", "spec", "top features (mean |SHAP|)");
        for (int k = 0; k < K; k++) {
            const ecgx_eval_class *E = &res->classes[k];
            int nf = ecgx_trees_n_features(m, k);
            rank_item *ri = malloc(sizeof *ri * (size_t)(nf + 1));
            for (int j = 0; ri && j < nf; j++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += fabs(phis[k][(size_t)i * (nf + 1) + j]);
                ri[j] = (rank_item){j, s / n};
            }
            if (ri) qsort(ri, (size_t)nf, sizeof *ri, cmp_rank);
            printf("%-10s %5lld  %.3f [%.3f, %.3f]  %.3f   %.3f  %.3f  %.3f  ", ecgx_trees_class_name(m, k),
                   (long long)E->n_pos, E->s.auroc, E->s.auroc_ci.lo, E->s.auroc_ci.hi, E->s.auprc, thr[k],
                   E->s.at.sensitivity, E->s.at.specificity);
            for (int j = 0; ri && j < nf && j < 4; j++) printf("%s%s %.2f", j ? ", " : "", ecgx_trees_feature(m, k, ri[j].j), ri[j].v);
            printf("\n");
            free(ri);
        }
        printf("%-10s %5s  %.3f [%.3f, %.3f]  %.3f\n", "macro", "", res->macro.auroc, res->macro.auroc_ci.lo,
               res->macro.auroc_ci.hi, res->macro.auprc);
    }
    rc = EXIT_OK;
done:
    for (int k = 0; phis && k < K; k++) free(phis[k]);
    free(phis);
    ecgx_eval_result_free(res);
    ecgx_trees_table_free(t);
    ecgx_dataset_free(ds);
    ecgx_trees_free(m);
    free(cls); free(scores); free(row_scores); free(lab); free(thr); free(xs); free(rows);
    return rc;
}

static int do_explain(int argc, char **argv)
{
    common c = {0};
    const char *path = NULL;
    int top = 5, inter = 0;
    double fs = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if ((r = common_opt(&c, argc, argv, &i))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("trees", argc, argv, &i, "--top", &top, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("trees", argc, argv, &i, "--fs", &fs, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if (!strcmp(argv[i], "--interactions")) { inter = 1; continue; }
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("trees", "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error("trees", "explain takes one record ('%s' and '%s')", path, argv[i]);
        path = argv[i];
    }
    if (!c.trees || !path) return cli_usage_error("trees", "explain needs --trees and a RECORD");
    ecgx_trees *m = NULL;
    ecgx_record *rec = NULL;
    ecgx_features *f = NULL, *cols = NULL;
    int rc = EXIT_BAD_INPUT;
    cJSON *root = NULL;
    if (ecgx_trees_load(c.trees, &m) || ecgx_record_read_ex(path, fs, &rec, NULL)) { rc = cli_fail("trees"); goto done; }
    double t0 = now_s();
    if (ecgx_measure_record(rec, &f, NULL)) { rc = cli_fail("trees"); goto done; }
    double t1 = now_s();
    const char *unit = rec->n_leads ? rec->leads[0].units : "";
    if (ecgx_trees_record_columns(f, unit, rec->age, rec->sex, &cols)) { rc = cli_fail("trees"); goto done; }
    char **names = malloc(sizeof *names * (size_t)cols->n);
    for (int j = 0; names && j < cols->n; j++) names[j] = cols->names[j];
    int K = ecgx_trees_n_classes(m);
    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "record", path);
    cJSON *co = cJSON_AddObjectToObject(root, "classes");
    double explain_s = 0;
    for (int k = 0; names && k < K; k++) {
        int nf = ecgx_trees_n_features(m, k);
        double *phi = malloc(sizeof *phi * (size_t)(nf + 1)), *xf = malloc(sizeof *xf * (size_t)(nf + 1));
        double *ia = inter ? malloc(sizeof *ia * (size_t)(nf + 1) * (nf + 1)) : NULL;
        double margin, prob;
        double ta = now_s();
        int e = !phi || !xf || (inter && !ia) ? ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory") : 0;
        if (!e) e = ecgx_trees_predict(m, k, cols->values, 1, names, cols->n, &margin, &prob);
        if (!e) e = ecgx_trees_shap(m, k, cols->values, 1, names, cols->n, phi);
        if (!e && inter) e = ecgx_trees_shap_interactions(m, k, cols->values, 1, names, cols->n, ia);
        explain_s += now_s() - ta;
        if (e) { free(phi); free(xf); free(ia); rc = cli_fail("trees"); goto done_names; }
        const char *cn = ecgx_trees_class_name(m, k);
        cJSON *o = cJSON_AddObjectToObject(co, cn);
        cJSON_AddNumberToObject(o, "base", phi[nf]);
        cJSON_AddNumberToObject(o, "margin", margin);
        cJSON_AddNumberToObject(o, "probability", prob);
        cJSON_AddItemToObject(o, "threshold", num(ecgx_trees_threshold(m, k)));
        cJSON_AddBoolToObject(o, "positive", prob >= ecgx_trees_threshold(m, k));
        cJSON *sh = cJSON_AddObjectToObject(o, "shap"), *fv = cJSON_AddObjectToObject(o, "values");
        rank_item *ri = malloc(sizeof *ri * (size_t)(nf + 1));
        for (int j = 0; j < nf; j++) {
            const char *fn = ecgx_trees_feature(m, k, j);
            xf[j] = ecgx_features_get(cols, fn);
            cJSON_AddNumberToObject(sh, fn, phi[j]);
            cJSON_AddItemToObject(fv, fn, num(xf[j]));
            if (ri) ri[j] = (rank_item){j, fabs(phi[j])};
        }
        if (ri) qsort(ri, (size_t)nf, sizeof *ri, cmp_rank);
        cJSON *rs = cJSON_AddArrayToObject(o, "reasons");
        for (int j = 0; ri && j < nf && j < top; j++) {
            char buf[256];
            ecgx_trees_reason(ecgx_trees_feature(m, k, ri[j].j), xf[ri[j].j], phi[ri[j].j], cn, buf, sizeof buf);
            cJSON_AddItemToArray(rs, cJSON_CreateString(buf));
        }
        if (inter) {
            cJSON *io = cJSON_AddObjectToObject(o, "interactions");
            for (int a = 0; a < nf; a++) {
                cJSON *r = cJSON_AddObjectToObject(io, ecgx_trees_feature(m, k, a));
                for (int b = 0; b < nf; b++) cJSON_AddNumberToObject(r, ecgx_trees_feature(m, k, b), ia[(size_t)a * (nf + 1) + b]);
            }
        }
        free(ri); free(phi); free(xf); free(ia);
    }
    cJSON *tm = cJSON_AddObjectToObject(root, "timing_ms");
    cJSON_AddNumberToObject(tm, "measure", 1000 * (t1 - t0));
    cJSON_AddNumberToObject(tm, "explain", 1000 * explain_s);
    if (c.json) {
        char *s = cJSON_Print(root);
        if (s) puts(s);
        free(s);
    } else {
        printf("%s (measured in %.1f ms, explained in %.2f ms)\n", path, 1000 * (t1 - t0), 1000 * explain_s);
        cJSON *o;
        cJSON_ArrayForEach(o, co) {
            double p = cJSON_GetObjectItem(o, "probability")->valuedouble;
            printf("%-10s p = %.3f (%s), margin %.2f = base %.2f + SHAP\n", o->string, p,
                   cJSON_IsTrue(cJSON_GetObjectItem(o, "positive")) ? "positive" : "negative",
                   cJSON_GetObjectItem(o, "margin")->valuedouble, cJSON_GetObjectItem(o, "base")->valuedouble);
            cJSON *r;
            cJSON_ArrayForEach(r, cJSON_GetObjectItem(o, "reasons")) printf("    %s\n", r->valuestring);
        }
    }
    rc = EXIT_OK;
done_names:
    free(names);
done:
    cJSON_Delete(root);
    ecgx_features_free(f);
    ecgx_features_free(cols);
    ecgx_record_free(rec);
    ecgx_trees_free(m);
    return rc;
}

static int do_plot(int argc, char **argv)
{
    common c = {0};
    const char *only = NULL;
    int top = 15, ndep = 3, svg = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if ((r = common_opt(&c, argc, argv, &i))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("trees", argc, argv, &i, "--class", &only))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("trees", argc, argv, &i, "--top", &top, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("trees", argc, argv, &i, "--dependence", &ndep, &c.err))) { if (r < 0) return EXIT_USAGE; continue; }
        if (!strcmp(argv[i], "--svg")) { svg = 1; continue; }
        return cli_usage_error("trees", "unknown argument '%s'", argv[i]);
    }
    if (!c.trees || !c.data || !c.out) return cli_usage_error("trees", "plot needs --trees, --data and -o DIR");
    if (top < 1 || top > 100) return cli_usage_error("trees", "--top %d is outside 1..100", top);
    ecgx_trees *m = NULL;
    ecgx_dataset *ds = NULL;
    ecgx_trees_table *t = NULL;
    char *cls = NULL;
    int rc = EXIT_BAD_INPUT;
    if (ecgx_trees_load(c.trees, &m)) { rc = cli_fail("trees"); goto done; }
    cls = class_list(m);
    if (open_data(&c, ecgx_trees_label_set(m), cls, &ds) || ecgx_trees_table_build(ds, c.split ? c.split : "val", 1, &t)) { rc = cli_fail("trees"); goto done; }
    mkdir(c.out, 0777);
    int found = 0;
    for (int k = 0; k < ecgx_trees_n_classes(m); k++) {
        const char *cn = ecgx_trees_class_name(m, k);
        if (only && strcmp(only, cn)) continue;
        found = 1;
        int nf = ecgx_trees_n_features(m, k), n = t->n_rows;
        double *phi = malloc(sizeof *phi * (size_t)n * (nf + 1)), *xf = malloc(sizeof *xf * (size_t)n * (nf + 1));
        if (!phi || !xf || ecgx_trees_shap(m, k, t->x, n, t->cols, t->n_cols, phi)) { free(phi); free(xf); rc = cli_fail("trees"); goto done; }
        for (int j = 0; j < nf; j++) {
            int col = ecgx_trees_table_col(t, ecgx_trees_feature(m, k, j));
            for (int i = 0; i < n; i++) xf[(size_t)i * nf + j] = col >= 0 ? t->x[(size_t)i * t->n_cols + col] : NAN;
        }
        char p[4096];
        char safe[96];
        snprintf(safe, sizeof safe, "%s", cn);
        for (char *q = safe; *q; q++) if (*q == '/' || *q == '>' || *q == '=') *q = '_';
        ecgx_figure *fig = NULL;
        snprintf(p, sizeof p, "%s/beeswarm_%s.%s", c.out, safe, svg ? "svg" : "png");
        int e = ecgx_trees_render_beeswarm(m, k, phi, xf, n, top, 200, svg ? ECGX_RENDER_SVG : ECGX_RENDER_PNG, &fig);
        if (!e) e = ecgx_figure_write(fig, p, ECGX_PNG_FAST);
        ecgx_figure_free(fig);
        if (!e) printf("%s\n", p);
        rank_item *ri = malloc(sizeof *ri * (size_t)(nf + 1));
        for (int j = 0; ri && j < nf; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += fabs(phi[(size_t)i * (nf + 1) + j]);
            ri[j] = (rank_item){j, s / n};
        }
        if (ri) qsort(ri, (size_t)nf, sizeof *ri, cmp_rank);
        for (int d = 0; !e && ri && d < ndep && d < nf; d++) {
            fig = NULL;
            snprintf(p, sizeof p, "%s/dependence_%s_%s.%s", c.out, safe, ecgx_trees_feature(m, k, ri[d].j), svg ? "svg" : "png");
            e = ecgx_trees_render_dependence(m, k, ri[d].j, phi, xf, n, 200, svg ? ECGX_RENDER_SVG : ECGX_RENDER_PNG, &fig);
            if (!e) e = ecgx_figure_write(fig, p, ECGX_PNG_FAST);
            ecgx_figure_free(fig);
            if (!e) printf("%s\n", p);
        }
        free(ri); free(phi); free(xf);
        if (e) { rc = cli_fail("trees"); goto done; }
    }
    if (!found) { fprintf(stderr, "ecgx trees: %s: no class '%s'\n", c.trees, only); goto done; }
    rc = EXIT_OK;
done:
    free(cls);
    ecgx_trees_table_free(t);
    ecgx_dataset_free(ds);
    ecgx_trees_free(m);
    return rc;
}

int cmd_trees(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) { usage(argc < 2 ? stderr : stdout); return argc < 2 ? EXIT_USAGE : EXIT_OK; }
    if (!strcmp(argv[1], "train")) return do_train(argc, argv);
    if (!strcmp(argv[1], "eval")) return do_eval(argc, argv);
    if (!strcmp(argv[1], "explain")) return do_explain(argc, argv);
    if (!strcmp(argv[1], "plot")) return do_plot(argc, argv);
    return cli_usage_error("trees", "unknown subcommand '%s' (train, eval, explain, plot)", argv[1]);
}
