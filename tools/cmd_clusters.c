/* ecgx clusters fit|apply|eval: time-localised clusters of a model's
 * activations (the clusters module, docs/clusters.md). The command parses
 * options, calls one library function and prints. */
#include "cli.h"
#include "ecgx/clusters.h"
#include "ecgx/dataset.h"
#include "ecgx/io.h"
#include "ecgx/nn.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void usage(FILE *o)
{
    fprintf(o,
            "usage: ecgx clusters fit   --model M --data DIR[,DIR...] [-k K] -o C.safetensors\n"
            "                           [--layers L1,L2,...] [--split train] [--k-range 4-20] [--points N]\n"
            "                           [--pca P] [--fit-records N] [--seed S] [--no-surrogate]\n"
            "                           [--window-rich|--window-proportions|--window-max|--proportions-only]\n"
            "                           [--surrogate-target calls|probabilities] [--surrogate-rounds N]\n"
            "                           [--quiet] [--json]\n"
            "       ecgx clusters apply --model M --clusters C RECORD [--csv|--json] [--figure F.png|F.svg [--lead II]]\n"
            "       ecgx clusters eval  --model M --clusters C --data DIR[,DIR...] [--split val] [--json]\n"
            "                           [--cv FOLDS [--seed S] [--window-rich|--proportions-only]]   (split may list several: train,val)\n"
            "Time-localised clusters (Boubekki et al. 2025): the activations of the last three residual\n"
            "blocks (or --layers) on the input's time axis, standardised, clustered by a diagonal Gaussian\n"
            "mixture (k-means++ start, EM; k by BIC over --k-range unless -k); per sample a cluster and\n"
            "the entropy of its soft assignment. fit also trains gradient-boosted trees on each record's\n"
            "cluster proportions to reproduce the model's thresholded calls; eval reports their fidelity,\n"
            "both AUROCs on the true labels and the clusters' agreement with the delineated waves.\n"
            "--pca P: principal components the mixture sees (default 32, 0: all features); --points N:\n"
            "reservoir of time steps (default 100000); --fit-records N: the mixture's sample from N records\n"
            "drawn by seed (default all; the surrogate always sees every record of the split).\n"
            "The surrogate learns, per window of the model's input length, the CNN's output on that window\n"
            "from the window's clusters, and calls a record by the maximum over its windows, as the model\n"
            "does. Defaults (chosen by 10-fold CV inside the PTB-XL training split): --window-rich (the\n"
            "window's proportions, soft proportions = mean posterior, mean entropy, cluster changes per\n"
            "sample), --surrogate-target probabilities (soft targets, called at the model's thresholds;\n"
            "calls: the thresholded calls, called at 0.5), --surrogate-rounds 800. --window-proportions:\n"
            "the window's proportions only; --window-max: record proportions and each cluster's largest\n"
            "window proportion; --proportions-only: record proportions alone, as in the paper.\n"
            "eval --cv F: F-fold cross-validation of the surrogate over the split's records (clusters fixed),\n"
            "fidelity for both targets at 100/200/300/500/800 rounds: run it on --split train to choose.\n"            "apply --figure: the lead (default II) with the cluster strip, the entropy band and a legend.\n"
            "apply --csv: one row per sample of the record, columns sample,cluster,entropy.\n");
}

static int open_data(const char *data, ecgx_model *m, ecgx_dataset **ds)
{
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.classes = ecgx_model_meta(m, "classes");
    const char *ls = ecgx_model_meta(m, "labels");
    if (ls) o.label_set = ls;
    return ecgx_dataset_open(data, &o, ds);
}

static const char *wave_like(const ecgx_clusters *c, int j, char *buf, size_t n)
{
    if (c->wave_of[j] < 0) snprintf(buf, n, "cluster %d", j);
    else snprintf(buf, n, "%s-like", ecgx_clusters_wave_name(c->wave_of[j]));
    return buf;
}

static int do_fit(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *outp = NULL, *v;
    ecgx_clusters_options o;
    ecgx_clusters_options_default(&o);
    int json = 0, err = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = cli_opt("clusters", argc, argv, &i, "--model", &model)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--data", &data)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "-o", &outp)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--layers", &o.layers)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--split", &o.split)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if (cli_opt_int("clusters", argc, argv, &i, "-k", &o.k, &err) || err) { if (err) return EXIT_USAGE; }
        else if (cli_opt_int("clusters", argc, argv, &i, "--points", &o.max_points, &err) || err) { if (err) return EXIT_USAGE; }
        else if (cli_opt_int("clusters", argc, argv, &i, "--pca", &o.pca_dims, &err) || err) { if (err) return EXIT_USAGE; }
        else if (cli_opt_int("clusters", argc, argv, &i, "--fit-records", &o.fit_records, &err) || err) { if (err) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--seed", &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            o.seed = strtoull(v, NULL, 10);
        } else if ((r = cli_opt("clusters", argc, argv, &i, "--k-range", &v)) != 0) {
            if (r < 0 || sscanf(v, "%d-%d", &o.k_min, &o.k_max) != 2)
                return cli_usage_error("clusters", "--k-range wants MIN-MAX, got '%s'", r < 0 ? "" : v);
        } else if (cli_opt_int("clusters", argc, argv, &i, "--surrogate-rounds", &o.surrogate_rounds, &err) || err) { if (err) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--surrogate-target", &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (!strcmp(v, "calls")) o.surrogate_target = 0;
            else if (!strcmp(v, "probabilities")) o.surrogate_target = 1;
            else return cli_usage_error("clusters", "--surrogate-target wants calls or probabilities, got '%s'", v);
        } else if (!strcmp(argv[i], "--no-surrogate")) o.surrogate = 0;
        else if (!strcmp(argv[i], "--proportions-only")) o.surrogate_features = 1;
        else if (!strcmp(argv[i], "--window-max")) o.surrogate_features = 2;
        else if (!strcmp(argv[i], "--window-rich")) o.surrogate_features = 4;
        else if (!strcmp(argv[i], "--window-proportions")) o.surrogate_features = 3;
        else if (!strcmp(argv[i], "--quiet")) o.quiet = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else return cli_usage_error("clusters", "fit: unknown argument '%s'", argv[i]);
    }
    if (!model || !data || !outp) return cli_usage_error("clusters", "fit needs --model, --data and -o");
    ecgx_model *m = NULL;
    ecgx_dataset *ds = NULL;
    ecgx_clusters *c = NULL;
    ecgx_clusters_fit_info info;
    if (ecgx_model_load(model, &m) < 0) return cli_fail("clusters");
    if (open_data(data, m, &ds) < 0 || ecgx_clusters_fit(m, ds, &o, &c, &info) < 0 || ecgx_clusters_save(c, outp) < 0) {
        int rc = cli_fail("clusters");
        ecgx_clusters_free(c), ecgx_dataset_free(ds), ecgx_model_free(m);
        return rc;
    }
    double total = info.seconds_features + info.seconds_select + info.seconds_em + info.seconds_surrogate;
    if (json) {
        printf("{\"clusters\":\"%s\",\"k\":%d,\"k_rule\":\"%s\",\"n_records\":%d,\"n_steps_seen\":%lld,\"n_points\":%lld,"
               "\"n_records_pass1\":%d,\"pca_dims\":%d,\"pca_explained\":%.4f,\"mean_loglik\":%.6g,\"reservoir_mib\":%.1f,\"seconds\":{\"pass1\":%.2f,\"select_k\":%.2f,\"em\":%.2f,\"pass2_surrogate\":%.2f,\"of_which_trees\":%.2f,"
               "\"total\":%.2f},\"bic\":{",
               outp, c->gmm.k, c->k_rule, info.n_records, (long long)info.n_steps_seen, (long long)c->n_points,
               info.n_records_pass1, c->pca_dims, c->pca_explained, c->loglik, info.reservoir_mib, info.seconds_features, info.seconds_select, info.seconds_em, info.seconds_surrogate, info.seconds_trees, total);
        for (int i = 0; i < info.n_k_tried; i++) printf("%s\"%d\":%.6g", i ? "," : "", info.k_tried[i], info.bic_tried[i]);
        printf("},\"clusters_named\":[");
        for (int j = 0; j < c->gmm.k; j++) {
            char b[64];
            printf("%s\"%s\"", j ? "," : "", wave_like(c, j, b, sizeof b));
        }
        printf("]}\n");
    } else {
        printf("%s: k = %d (%s), layers", outp, c->gmm.k, c->k_rule);
        for (int l = 0; l < c->n_layers; l++) printf(" %s", c->layer_names[l]);
        printf("; %d features", c->dim);
        if (c->pca_dims) printf(", %d principal components (%.1f %% of the variance)", c->pca_dims, 100 * c->pca_explained);
        printf("\n");
        printf("mixture fitted on %lld of %lld time steps of %d records, surrogate on %d records (reservoir %.1f MiB) in %.1f s "
               "(pass 1 %.1f s, k %.1f s, EM %.1f s, pass 2 + surrogate %.1f s, of which trees %.1f s)\n",
               (long long)c->n_points, (long long)info.n_steps_seen, info.n_records_pass1, info.n_records, info.reservoir_mib, total,
               info.seconds_features, info.seconds_select, info.seconds_em, info.seconds_surrogate, info.seconds_trees);
        for (int i = 0; i < info.n_k_tried; i++) printf("  k = %2d  BIC %.6g\n", info.k_tried[i], info.bic_tried[i]);
        for (int j = 0; j < c->gmm.k; j++) {
            char b[64];
            printf("  cluster %d: %s, weight %.3f\n", j, wave_like(c, j, b, sizeof b), c->gmm.weight[j]);
        }
    }
    ecgx_clusters_free(c), ecgx_dataset_free(ds), ecgx_model_free(m);
    return EXIT_OK;
}

static int do_apply(int argc, char **argv)
{
    const char *model = NULL, *cpath = NULL, *recp = NULL, *figure = NULL, *lead_name = "II";
    int csv = 0, json = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = cli_opt("clusters", argc, argv, &i, "--model", &model)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--clusters", &cpath)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--figure", &figure)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--lead", &lead_name)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if (!strcmp(argv[i], "--csv")) csv = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("clusters", "apply: unknown option '%s'", argv[i]);
        else if (recp) return cli_usage_error("clusters", "apply takes one record");
        else recp = argv[i];
    }
    if (!model || !cpath || !recp) return cli_usage_error("clusters", "apply needs --model, --clusters and a RECORD");
    if (csv && json) return cli_usage_error("clusters", "--csv or --json, not both");
    ecgx_model *m = NULL;
    ecgx_clusters *c = NULL;
    ecgx_record *rec = NULL;
    ecgx_clusters_record r = {0};
    if (ecgx_model_load(model, &m) < 0 || ecgx_clusters_load_ex(cpath, ECGX_CLUSTERS_NO_SURROGATE, &c) < 0 || ecgx_clusters_check_model(c, m, cpath) < 0 ||
        ecgx_record_read(recp, &rec) < 0 || ecgx_clusters_assign_record(c, m, rec, &r) < 0) {
        int rc = cli_fail("clusters");
        ecgx_record_free(rec), ecgx_clusters_free(c), ecgx_model_free(m);
        return rc;
    }
    if (figure) {
        int lead = 0;
        for (int l = 0; l < rec->n_leads; l++)
            if (!strcasecmp(rec->leads[l].name, lead_name)) lead = l;
        size_t fl = strlen(figure);
        ecgx_figure *fig = NULL;
        ecgx_render_format fmt = fl > 4 && !strcasecmp(figure + fl - 4, ".svg") ? ECGX_RENDER_SVG : ECGX_RENDER_PNG;
        if (ecgx_clusters_render(rec, c, &r, lead, 150, fmt, &fig) < 0 || ecgx_figure_write(fig, figure, ECGX_PNG_FAST) < 0) {
            int rc = cli_fail("clusters");
            ecgx_figure_free(fig);
            ecgx_clusters_record_free(&r);
            ecgx_record_free(rec), ecgx_clusters_free(c), ecgx_model_free(m);
            return rc;
        }
        ecgx_figure_free(fig);
    }
    if (csv) {
        printf("sample,cluster,entropy\n");
        for (int64_t i = 0; i < r.n; i++) printf("%lld,%d,%.5f\n", (long long)i, r.cluster[i], r.entropy[i]);
    } else if (json) {
        printf("{\"record\":\"%s\",\"fs\":%g,\"n\":%lld,\"k\":%d,\"mean_entropy\":%.6f,\"proportions\":[", recp, r.fs,
               (long long)r.n, r.k, r.mean_entropy);
        for (int j = 0; j < r.k; j++) printf("%s%.6f", j ? "," : "", r.proportion[j]);
        printf("],\"names\":[");
        for (int j = 0; j < r.k; j++) {
            char b[64];
            printf("%s\"%s\"", j ? "," : "", wave_like(c, j, b, sizeof b));
        }
        printf("],\"cluster\":[");
        for (int64_t i = 0; i < r.n; i++) printf("%s%d", i ? "," : "", r.cluster[i]);
        printf("],\"entropy\":[");
        for (int64_t i = 0; i < r.n; i++) printf("%s%.5f", i ? "," : "", r.entropy[i]);
        printf("]}\n");
    } else {
        printf("%s: %lld samples at %g Hz, k = %d, mean entropy %.3f nats\n", recp, (long long)r.n, r.fs, r.k, r.mean_entropy);
        for (int j = 0; j < r.k; j++) {
            char b[64];
            printf("  cluster %2d %-14s %5.1f %%\n", j, wave_like(c, j, b, sizeof b), 100 * r.proportion[j]);
        }
    }
    ecgx_clusters_record_free(&r);
    ecgx_record_free(rec), ecgx_clusters_free(c), ecgx_model_free(m);
    return EXIT_OK;
}

static void jnum(const char *k, double v, int comma)
{
    printf("%s\"%s\":", comma ? "," : "", k);
    cli_json_num(v);
}

/* eval --cv: the surrogate's cross-validated fidelity, both targets, every rounds checkpoint. */
static int eval_cv(const char *model, const char *cpath, const char *data, const char *split, int folds, uint64_t seed,
                   int features, int json, int quiet)
{
    ecgx_model *m = NULL;
    ecgx_clusters *c = NULL;
    ecgx_dataset *ds = NULL;
    ecgx_clusters_cv cv;
    ecgx_clusters_cv_options o;
    ecgx_clusters_cv_options_default(&o);
    o.folds = folds;
    o.seed = seed;
    o.splits = split;
    o.quiet = quiet;
    o.surrogate_features = features;
    if (ecgx_model_load(model, &m) < 0 || ecgx_clusters_load(cpath, &c) < 0 || ecgx_clusters_check_model(c, m, cpath) < 0 ||
        open_data(data, m, &ds) < 0 || ecgx_clusters_cross_validate(c, m, ds, &o, &cv) < 0) {
        int rc = cli_fail("clusters");
        ecgx_dataset_free(ds), ecgx_clusters_free(c), ecgx_model_free(m);
        return rc;
    }
    static const char *tn[2] = {"calls", "probabilities"};
    if (json) {
        printf("{\"model\":\"%s\",\"clusters\":\"%s\",\"data\":\"%s\",\"split\":\"%s\",\"n\":%d,\"folds\":%d,\"seed\":%llu,\"cv\":[",
               model, cpath, data, split, cv.n_records, cv.folds, (unsigned long long)seed);
        for (int t = 0; t < 2; t++)
            for (int q = 0; q < ECGX_CLUSTERS_CV_NR; q++) {
                printf("%s{\"target\":\"%s\",\"rounds\":%d", t || q ? "," : "", tn[t], ecgx_clusters_cv_rounds[q]);
                jnum("fidelity_mean", cv.fidelity_mean[t][q], 1);
                jnum("fidelity_sd", cv.fidelity_sd[t][q], 1);
                jnum("fidelity_pooled", cv.fidelity_pooled[t][q], 1);
                printf(",\"folds\":[");
                for (int f = 0; f < cv.folds; f++) {
                    if (f) printf(",");
                    cli_json_num(cv.fold_fidelity[t][q][f]);
                }
                printf("]}");
            }
        printf("]}\n");
    } else {
        printf("%d-fold cross-validation of the surrogate over %d records of '%s' (seed %llu): fidelity mean +- SD over folds (pooled)\n",
               cv.folds, cv.n_records, split, (unsigned long long)seed);
        for (int t = 0; t < 2; t++)
            for (int q = 0; q < ECGX_CLUSTERS_CV_NR; q++)
                printf("  target %-13s rounds %4d: %.2f %% +- %.2f (%.2f %%)\n", tn[t], ecgx_clusters_cv_rounds[q],
                       100 * cv.fidelity_mean[t][q], 100 * cv.fidelity_sd[t][q], 100 * cv.fidelity_pooled[t][q]);
    }
    ecgx_dataset_free(ds), ecgx_clusters_free(c), ecgx_model_free(m);
    return 0;
}

static int do_eval(int argc, char **argv)
{
    const char *model = NULL, *cpath = NULL, *data = NULL, *split = "val", *v;
    int json = 0, quiet = 0, folds = 0, err = 0, features = 0;
    uint64_t seed = 1;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = cli_opt("clusters", argc, argv, &i, "--model", &model)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--clusters", &cpath)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--data", &data)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--split", &split)) != 0) { if (r < 0) return EXIT_USAGE; }
        else if (cli_opt_int("clusters", argc, argv, &i, "--cv", &folds, &err) || err) { if (err) return EXIT_USAGE; }
        else if ((r = cli_opt("clusters", argc, argv, &i, "--seed", &v)) != 0) {
            if (r < 0) return EXIT_USAGE;
            seed = strtoull(v, NULL, 10);
        }
        else if (!strcmp(argv[i], "--window-rich")) features = 4;
        else if (!strcmp(argv[i], "--proportions-only")) features = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--quiet")) quiet = 1;
        else return cli_usage_error("clusters", "eval: unknown argument '%s'", argv[i]);
    }
    if (!model || !cpath || !data) return cli_usage_error("clusters", "eval needs --model, --clusters and --data");
    if (features && !folds) return cli_usage_error("clusters", "eval: --window-rich/--proportions-only only with --cv (the file fixes the features)");
    if (folds) return eval_cv(model, cpath, data, split, folds, seed, features, json, quiet);
    ecgx_model *m = NULL;
    ecgx_clusters *c = NULL;
    ecgx_dataset *ds = NULL;
    ecgx_clusters_eval e;
    memset(&e, 0, sizeof e);
    if (ecgx_model_load(model, &m) < 0 || ecgx_clusters_load(cpath, &c) < 0 || ecgx_clusters_check_model(c, m, cpath) < 0 ||
        open_data(data, m, &ds) < 0 || ecgx_clusters_evaluate(c, m, ds, split, quiet, &e) < 0) {
        int rc = cli_fail("clusters");
        ecgx_dataset_free(ds), ecgx_clusters_free(c), ecgx_model_free(m);
        return rc;
    }
    int K = e.k, C = e.n_classes;
    char b[64];
    if (json) {
        printf("{\"model\":\"%s\",\"clusters\":\"%s\",\"data\":\"%s\",\"split\":\"%s\",\"n\":%d,\"k\":%d", model, cpath, data,
               split, e.n_records, K);
        jnum("fidelity", e.fidelity, 1);
        jnum("fidelity_exact", e.fidelity_exact, 1);
        jnum("surrogate_macro_auroc", e.surrogate_macro_auroc, 1);
        jnum("cnn_macro_auroc", e.cnn_macro_auroc, 1);
        jnum("surrogate_accuracy", e.surrogate_accuracy, 1);
        jnum("cnn_accuracy", e.cnn_accuracy, 1);
        jnum("nmi_waves", e.nmi_waves, 1);
        jnum("purity_waves", e.purity_waves, 1);
        jnum("mean_entropy", e.mean_entropy, 1);
        printf(",\"n_delineated\":%d,\"classes\":{", e.n_delineated);
        for (int k = 0; k < C; k++) {
            printf("%s\"%s\":{\"n\":%d", k ? "," : "", e.class_names[k], e.class_count[k]);
            jnum("fidelity", e.fidelity_class[k], 1);
            jnum("surrogate_auroc", e.surrogate_auroc[k], 1);
            jnum("cnn_auroc", e.cnn_auroc[k], 1);
            jnum("mean_entropy", e.class_entropy[k], 1);
            printf(",\"proportions\":[");
            for (int j = 0; j < K; j++) {
                if (j) printf(",");
                cli_json_num(e.class_proportion[(size_t)k * K + j]);
            }
            printf("]}");
        }
        printf("},\"waves\":[\"P\",\"QRS\",\"T\",\"TP/other\"],\"contingency\":[");
        for (int j = 0; j < K; j++) {
            printf("%s{\"cluster\":%d,\"name\":\"%s\",\"proportion\":", j ? "," : "", j, wave_like(c, j, b, sizeof b));
            cli_json_num(e.proportion[j]);
            printf(",\"samples\":[");
            for (int w = 0; w < ECGX_CW_N; w++) printf("%s%.0f", w ? "," : "", e.contingency[(size_t)j * ECGX_CW_N + w]);
            printf("]}");
        }
        printf("]}\n");
    } else {
        printf("%s on %s (%s, %d records, k = %d)\n", cpath, data, split, e.n_records, K);
        printf("fidelity (surrogate vs CNN calls): %.2f %% of decisions, %.2f %% of records exactly\n", 100 * e.fidelity,
               100 * e.fidelity_exact);
        printf("macro AUROC on true labels: surrogate %.4f, CNN %.4f; accuracy %.2f %% vs %.2f %%\n",
               e.surrogate_macro_auroc, e.cnn_macro_auroc, 100 * e.surrogate_accuracy, 100 * e.cnn_accuracy);
        printf("%-6s %5s %9s %10s %8s %8s\n", "class", "n", "fidelity", "AUROC sur", "CNN", "entropy");
        for (int k = 0; k < C; k++)
            printf("%-6s %5d %8.2f%% %10.4f %8.4f %8.4f\n", e.class_names[k], e.class_count[k], 100 * e.fidelity_class[k],
                   e.surrogate_auroc[k], e.cnn_auroc[k], e.class_entropy[k]);
        printf("waves (%d records delineated): NMI %.3f, purity %.3f; mean entropy %.4f nats\n", e.n_delineated,
               e.nmi_waves, e.purity_waves, e.mean_entropy);
        printf("%-8s %-14s %8s %8s %8s %8s %8s\n", "cluster", "name", "P", "QRS", "T", "TP/other", "share");
        for (int j = 0; j < K; j++) {
            double s = 0;
            for (int w = 0; w < ECGX_CW_N; w++) s += e.contingency[(size_t)j * ECGX_CW_N + w];
            printf("%-8d %-14s", j, wave_like(c, j, b, sizeof b));
            for (int w = 0; w < ECGX_CW_N; w++) printf(" %7.1f%%", s > 0 ? 100 * e.contingency[(size_t)j * ECGX_CW_N + w] / s : 0);
            printf(" %7.1f%%\n", 100 * e.proportion[j]);
        }
    }
    ecgx_clusters_eval_free(&e);
    ecgx_dataset_free(ds), ecgx_clusters_free(c), ecgx_model_free(m);
    return EXIT_OK;
}

int cmd_clusters(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return EXIT_OK;
        }
    if (!strcmp(argv[1], "fit")) return do_fit(argc, argv);
    if (!strcmp(argv[1], "apply")) return do_apply(argc, argv);
    if (!strcmp(argv[1], "eval")) return do_eval(argc, argv);
    return cli_usage_error("clusters", "unknown subcommand '%s' (fit, apply or eval)", argv[1]);
}
