/* ecgx analyze: explanations aggregated over a data set, per class: mean
 * share of positive relevance by lead and by segment, the average-beat
 * relevance, and relevance against predicted probability; CSV and JSON, and
 * sentences a cardiologist reads. */
#include "cli.h"
#include "record_check_cli.h"
#include "nn_regression.h"
#include "xai_cli.h"

#include "ecgx/dataset.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void help(FILE *out)
{
    fprintf(out, "usage: ecgx analyze --model M --data DIR[,DIR...] --split S [--method M] [options]\n"
                 "                    [--limit N] [-o DIR] [--json]\n\n"
                 "Explain every record of a split for each class it is labelled with (its true\n"
                 "labels, in the model's classes) -- in each record the window that gave the\n"
                 "class's displayed (maximum) probability, or with --whole one pass over the whole\n"
                 "record -- and aggregate per class: the mean share of\n"
                 "positive relevance by lead, by segment (P, PR, QRS, ST, T, TP) and by lead and\n"
                 "segment, the average-beat relevance (aligned on R peaks, -250..+450 ms), and\n"
                 "per record the predicted probability against the relevance. Prints sentences\n"
                 "and a lead table per class.\n\n"
                 "  --model M         model file (safetensors; its classes pick the labels)\n"
                 "  --data DIR        data folder(s), as ecgx train/eval read them\n"
                 "  --split S         train|val|test|all|fold:N\n"
                 "  --labels SET      label set (default: the model's \"labels\" metadata, else the\n"
                 "                    folder's natural set)\n"
                 "  --limit N         at most N records (0: all)\n");
    xai_cli_option_help(out);
    fprintf(out, "  -o DIR            write leads.csv, segments.csv, beats.csv, points.csv and\n"
                 "                    summary.json into DIR (created if absent)\n"
                 "  --json            print summary.json's content on stdout\n\n"
                 "exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

static int write_outputs(const char *dir, const ecgx_model *m, const ecgx_xai_dataset_stats *d, char **ids,
                         const cJSON *summary, int beat_before, double fs)
{
    char p[4096];
    ecgx_outfile f;
    char cb[128];
    snprintf(p, sizeof p, "%s/leads.csv", dir);
    if (ecgx_outfile_open(&f, p) < 0) return -1;
    fprintf(f.fp, "class,n,lead,positive_fraction\n");
    for (int c = 0; c < d->n_classes; c++)
        for (int l = 0; l < d->leads; l++)
            fprintf(f.fp, "%s,%d,%s,%.6f\n", ecgx_xai_class_name(m, c, cb, sizeof cb), d->count[c],
                    d->leads == 12 ? ecgx_lead_std_name(l) : "?",
                    d->count[c] ? d->lead_frac[(size_t)c * d->leads + l] / d->count[c] : 0);
    if (ecgx_outfile_commit(&f) < 0) return -1;
    snprintf(p, sizeof p, "%s/segments.csv", dir);
    if (ecgx_outfile_open(&f, p) < 0) return -1;
    fprintf(f.fp, "class,lead,segment,positive_fraction\n");
    for (int c = 0; c < d->n_classes; c++)
        for (int l = 0; l <= d->leads; l++)
            for (int g = 0; g < ECGX_N_SEGMENTS; g++) {
                double v = 0;
                if (d->count[c])
                    v = (l < d->leads ? d->leadseg_frac[((size_t)c * d->leads + l) * ECGX_N_SEGMENTS + g]
                                      : d->seg_frac[(size_t)c * ECGX_N_SEGMENTS + g]) / d->count[c];
                fprintf(f.fp, "%s,%s,%s,%.6f\n", ecgx_xai_class_name(m, c, cb, sizeof cb),
                        l < d->leads ? ecgx_lead_std_name(l) : "all", ecgx_segment_name(g), v);
            }
    if (ecgx_outfile_commit(&f) < 0) return -1;
    snprintf(p, sizeof p, "%s/beats.csv", dir);
    if (ecgx_outfile_open(&f, p) < 0) return -1;
    fprintf(f.fp, "class,lead,t_ms,relevance\n");
    for (int c = 0; c < d->n_classes; c++)
        for (int l = 0; l < d->leads; l++)
            for (int t = 0; t < d->beat_len; t++)
                fprintf(f.fp, "%s,%s,%.1f,%.6g\n", ecgx_xai_class_name(m, c, cb, sizeof cb), ecgx_lead_std_name(l),
                        1000.0 * (t - beat_before) / fs,
                        d->beat_count[c] ? d->beat[((size_t)c * d->leads + l) * d->beat_len + t] / d->beat_count[c] : 0);
    if (ecgx_outfile_commit(&f) < 0) return -1;
    snprintf(p, sizeof p, "%s/points.csv", dir);
    if (ecgx_outfile_open(&f, p) < 0) return -1;
    fprintf(f.fp, "record,class,probability,positive_total,top_lead_fraction\n");
    for (int i = 0; i < d->n_points; i++) {
        const double *q = d->points + 4 * (size_t)i;
        fprintf(f.fp, "%s,%s,%.6f,%.6g,%.6f\n", ids[i], ecgx_xai_class_name(m, (int)q[0], cb, sizeof cb), q[1], q[2], q[3]);
    }
    if (ecgx_outfile_commit(&f) < 0) return -1;
    snprintf(p, sizeof p, "%s/summary.json", dir);
    char *s = cJSON_Print(summary);
    int rc = ecgx_write_file_atomic(p, s, strlen(s));
    free(s);
    return rc;
}

int cmd_analyze(int argc, char **argv)
{
    const char *cmd = "analyze", *model_path = NULL, *data = NULL, *split = NULL, *outdir = NULL, *target = NULL;
    const char *labels = NULL;
    int json = 0, limit = 0, r, err = 0;
    ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_IG);
    o.baseline = XAI_CLI_BASELINE_UNSET; /* the model's default unless --baseline */
    int whole = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            help(stdout);
            return EXIT_OK;
        }
        if ((r = cli_opt(cmd, argc, argv, &i, "--model", &model_path)) || (r = cli_opt(cmd, argc, argv, &i, "--data", &data)) ||
            (r = cli_opt(cmd, argc, argv, &i, "--split", &split)) || (r = cli_opt(cmd, argc, argv, &i, "-o", &outdir)) ||
            (r = cli_opt(cmd, argc, argv, &i, "--labels", &labels))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt_int(cmd, argc, argv, &i, "--limit", &limit, &err))) {
            if (err || cli_check_int(cmd, "--limit", limit, 0, CLI_NO_MAX)) return EXIT_USAGE;
            continue;
        }
        if ((r = xai_cli_option(cmd, argc, argv, &i, &o, &target))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--whole")) whole = 1;
        else return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
    }
    if (!model_path || !data || !split) return cli_usage_error(cmd, "--model, --data and --split are required");
    if (target) return cli_usage_error(cmd, "--target does not apply: each record is explained for its labels");
    if (o.layer && o.method != ECGX_XAI_GRADCAM && o.method != ECGX_XAI_HIRESCAM && o.method != ECGX_XAI_GRADCAMPP &&
        o.method != ECGX_XAI_LAYERCAM)
        return cli_usage_error(cmd, "--layer: the aggregation needs relevance on the input (CAMs map back to it)");
    ecgx_model *m = NULL;
    if (ecgx_model_load(model_path, &m) < 0) return cli_fail(cmd);
    xai_cli_resolve_baseline(m, &o);
    int K = ecgx_model_n_classes(m), C = ecgx_model_in_channels(m);
    if (C != 12) {
        ecgx_model_free(m);
        fprintf(stderr, "ecgx %s: %s: the clinical aggregation needs a 12-lead model (%d inputs)\n", cmd, model_path, C);
        return EXIT_BAD_INPUT;
    }
    if (nn_model_is_regression(m)) {
        ecgx_model_free(m);
        fprintf(stderr, "ecgx %s: %s: a regression model: the aggregation per class (and by predicted probability) "
                        "needs a classifier; use ecgx explain\n", cmd, model_path);
        return EXIT_BAD_INPUT;
    }
    ecgx_dataset_options dopt;
    ecgx_dataset_options_init(&dopt);
    dopt.classes = ecgx_model_meta(m, "classes");
    dopt.label_set = labels ? labels : ecgx_model_meta(m, "labels");
    ecgx_dataset *ds = NULL;
    int *idx = NULL, n = 0, code = EXIT_OK;
    if (ecgx_dataset_open(data, &dopt, &ds) < 0 || ecgx_dataset_split(ds, split, &idx, &n) < 0) {
        code = cli_fail(cmd);
        goto out0;
    }
    if (ecgx_dataset_n_classes(ds) != K) {
        fprintf(stderr, "ecgx %s: %s: %d classes, the model has %d\n", cmd, data, ecgx_dataset_n_classes(ds), K);
        code = EXIT_BAD_INPUT;
        goto out0;
    }
    if (limit > 0 && n > limit) n = limit;
    double fs = 100;
    const char *fsm = ecgx_model_meta(m, "fs");
    if (fsm && atof(fsm) > 0) fs = atof(fsm);
    int before = (int)lround(0.25 * fs), after = (int)lround(0.45 * fs);
    ecgx_xai_dataset_stats st;
    if (ecgx_xai_dataset_stats_init(&st, K, 12, before + after) < 0) {
        code = cli_fail(cmd);
        goto out0;
    }
    char **ids = NULL, base_line[1024] = "";
    int n_ids = 0, failed = 0, *base_scores = calloc((size_t)K, sizeof(int));
    float *y = malloc(sizeof(float) * K), *beat = malloc(sizeof(float) * 12 * (before + after));
    ecgx_progress pg;
    ecgx_progress_begin(&pg, "analyze", n, 0);
    for (int k = 0; k < n; k++) {
        char mb[2048]; /* a message about the record, naming it once */
        ecgx_dataset_entry info;
        ecgx_dataset_record_info(ds, idx[k], &info);
        ecgx_dataset_labels(ds, idx[k], y);
        ecgx_record *rec = NULL;
        if (ecgx_dataset_load(ds, idx[k], &rec) < 0) {
            fprintf(stderr, "ecgx %s: %s (skipped)\n", cmd, cli_file_message(info.path, ecgx_last_error(), mb, sizeof mb));
            failed++;
            continue;
        }
        for (int c = 0; c < K; c++) {
            if (!(y[c] > 0.5)) continue;
            ecgx_xai_options oo = o;
            oo.target = c;
            xai_explained e;
            ecgx_record *copy = ecgx_record_clone(rec);
            if (!copy || cli_record_check(cmd, copy, CLI_USE_EXPLAIN, ecgx_model_in_channels(m), NULL) < 0 ||
                xai_cli_explain(m, info.path, copy, &oo, whole, &e) < 0) {
                fprintf(stderr, "ecgx %s: %s (skipped)\n", cmd, cli_file_message(info.path, ecgx_last_error(), mb, sizeof mb));
                ecgx_record_free(copy); /* still ours when the check or the explanation failed */
                failed++;
                continue;
            }
            const float *bp = NULL;
            if (e.fid && e.fid->n_beats > 0) {
                int64_t *rp = malloc(sizeof(int64_t) * e.fid->n_beats);
                for (int b = 0; b < e.fid->n_beats; b++) rp[b] = e.fid->beats[b].r;
                if (ecgx_xai_average_beat(e.a, rp, e.fid->n_beats, before, after, beat) > 0) bp = beat;
                free(rp);
            }
            ecgx_xai_dataset_stats_add(&st, c, e.probs[c], &e.sum, bp);
            /* the baseline's own probabilities (the first record's: the normal baseline is the same for all) */
            if (!base_line[0]) xai_cli_baseline_line(m, &e, base_line, sizeof base_line);
            if (ecgx_xai_method_uses_baseline(e.a->method) && e.baseline_probs[c] >= e.thr[c]) base_scores[c]++;
            char **ni = realloc(ids, sizeof(char *) * (n_ids + 1));
            if (ni) {
                ids = ni;
                ids[n_ids++] = strdup(info.id);
            }
            xai_explained_free(&e);
        }
        ecgx_record_free(rec);
        ecgx_progress_update(&pg, k + 1);
    }
    ecgx_progress_end(&pg);
    /* summary */
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", model_path);
    cJSON_AddStringToObject(j, "data", data);
    cJSON_AddStringToObject(j, "split", split);
    cJSON_AddStringToObject(j, "method", ecgx_xai_method_name(o.method));
    cJSON_AddNumberToObject(j, "records", n);
    cJSON_AddNumberToObject(j, "skipped", failed);
    cJSON_AddStringToObject(j, "baseline", base_line);
    cJSON_AddStringToObject(j, "explained_output", whole ? "one pass over the whole record"
                                                        : "the window that gave each record's displayed (maximum) "
                                                          "probability of the class");
    cJSON *jc = cJSON_AddArrayToObject(j, "classes");
    char cb[128], text[4096];
    for (int c = 0; c < K; c++) {
        ecgx_xai_summary s;
        ecgx_xai_dataset_stats_summary(&st, c, &s);
        ecgx_xai_class_name(m, c, cb, sizeof cb);
        ecgx_xai_sentences(&s, cb, text, sizeof text);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "class", cb);
        cJSON_AddNumberToObject(x, "records", st.count[c]);
        if (s.time_only) cJSON_AddNullToObject(x, "lead_positive_fraction"); /* a time-only map: no lead dimension */
        else {
            cJSON *lf = cJSON_AddObjectToObject(x, "lead_positive_fraction");
            for (int l = 0; l < 12; l++) cJSON_AddNumberToObject(lf, ecgx_lead_std_name(l), s.lead_pos[l]);
        }
        cJSON_AddBoolToObject(x, "time_only", s.time_only);
        cJSON *sf = cJSON_AddObjectToObject(x, "segment_positive_fraction");
        for (int g = 0; g < ECGX_N_SEGMENTS; g++)
            cJSON_AddNumberToObject(sf, ecgx_segment_name(g), st.count[c] ? st.seg_frac[(size_t)c * ECGX_N_SEGMENTS + g] / st.count[c] : 0);
        /* relevance against probability: Pearson of the positive total and the probability */
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        int np = 0;
        for (int i = 0; i < st.n_points; i++) {
            const double *q = st.points + 4 * (size_t)i;
            if ((int)q[0] != c) continue;
            sx += q[1], sy += q[2], sxx += q[1] * q[1], syy += q[2] * q[2], sxy += q[1] * q[2];
            np++;
        }
        double cov = sxy - sx * sy / (np ? np : 1), vx = sxx - sx * sx / (np ? np : 1), vy = syy - sy * sy / (np ? np : 1);
        if (np > 2 && vx > 0 && vy > 0) cJSON_AddNumberToObject(x, "corr_probability_positive_relevance", cov / sqrt(vx * vy));
        else cJSON_AddNullToObject(x, "corr_probability_positive_relevance");
        cJSON_AddStringToObject(x, "sentences", st.count[c] ? text : "");
        cJSON_AddNumberToObject(x, "records_baseline_scores_class", base_scores ? base_scores[c] : 0);
        cJSON_AddItemToArray(jc, x);
    }
    if (outdir) {
        mkdir(outdir, 0777);
        if (write_outputs(outdir, m, &st, ids, j, before, fs) < 0) code = cli_fail(cmd);
    }
    if (json) {
        char *s = cJSON_Print(j);
        puts(s);
        free(s);
    } else if (code == EXIT_OK) {
        printf("%s on %s (%s): %d records, method %s%s\n\n", model_path, data, split, n, ecgx_xai_method_name(o.method),
               failed ? " (some skipped, see above)" : "");
        printf("explained: %s\n", whole ? "one pass over each whole record"
                                          : "in each record, the window that gave the class's displayed (maximum) "
                                            "probability");
        if (base_line[0]) printf("baseline %s\n", base_line);
        printf("\n");
        for (int c = 0; c < K; c++) {
            if (!st.count[c]) continue;
            ecgx_xai_summary s;
            ecgx_xai_dataset_stats_summary(&st, c, &s);
            ecgx_xai_sentences(&s, ecgx_xai_class_name(m, c, cb, sizeof cb), text, sizeof text);
            printf("%s (%d records)\n%s", cb, st.count[c], text);
            if (base_scores && base_scores[c])
                printf("%s: the baseline already scores the class at or above threshold on %d of these records\n", cb,
                       base_scores[c]);
            printf("\n");
        }
        /* whole class names, however long (they were cut to 6 characters) */
        int w = 5;
        for (int c = 0; c < K; c++)
            if (st.count[c] && (int)strlen(ecgx_xai_class_name(m, c, cb, sizeof cb)) > w) w = (int)strlen(cb);
        printf("mean %% of positive relevance by lead\n%-*s", w, "class");
        for (int l = 0; l < 12; l++) printf(" %5s", ecgx_lead_std_name(l));
        printf("\n");
        for (int c = 0; c < K; c++) {
            if (!st.count[c]) continue;
            printf("%-*s", w, ecgx_xai_class_name(m, c, cb, sizeof cb));
            /* a time-only map (CAM) has no lead dimension: its "shares" would be 1/12 each by construction */
            if (st.time_only[c]) printf("  no lead information: %s gives a time-only map\n", ecgx_xai_method_name(o.method));
            else {
                for (int l = 0; l < 12; l++) printf(" %5.1f", 100 * st.lead_frac[(size_t)c * 12 + l] / st.count[c]);
                printf("\n");
            }
        }
    }
    cJSON_Delete(j);
    for (int i = 0; i < n_ids; i++) free(ids[i]);
    free(ids);
    free(y);
    free(beat);
    free(base_scores);
    ecgx_xai_dataset_stats_free(&st);
out0:
    free(idx);
    ecgx_dataset_free(ds);
    ecgx_model_free(m);
    return code;
}
