/* ecgx explain: relevance of one record for one class of a model, with a
 * clinical summary (per lead, per wave and segment, in words). */
#include "cli.h"
#include "record_check_cli.h"
#include "xai_cli.h"

#include "ecgx/io.h"
#include "ecgx/outfile.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out, "usage: ecgx explain --model M RECORD [--method M] [--target CLASS|top] [options]\n"
                 "                    [--csv|--json] [-o FILE]\n\n"
                 "Explain the model's output for one class on one record. The record gets the\n"
                 "model's preprocessing (band-pass 0.5-40 Hz, resampling to the model's rate,\n"
                 "z-score per lead) over its whole length. The output explained is the one\n"
                 "ecgx predict displays: the model's windows are scored and the window that\n"
                 "gave the target's maximum probability is explained (its relevance placed in\n"
                 "the record's time, zero outside it); --whole explains one pass over the whole\n"
                 "record instead. The summary names the output explained and the baseline's own\n"
                 "probabilities. The CSV brings the relevance back to the record's own rate (one\n"
                 "row per sample of the record, one column per lead, a header row of lead\n"
                 "names). A summary follows by default: where the positive relevance lies, by\n"
                 "lead, anatomical region, wave and segment (fiducials from the dsp delineator).\n\n"
                 "  --model M         model file (safetensors)\n");
    xai_cli_option_help(out);
    fprintf(out, "  --csv             relevance as CSV (to stdout, or to -o FILE with the summary on stdout)\n"
                 "  --json            everything as JSON (relevance at the model's rate)\n"
                 "  -o FILE           write the CSV (or JSON with --json) to FILE\n"
                 "  --fs HZ           sampling rate of a CSV record\n\n"
                 "exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

static const char *lead_label(const ecgx_record *rec, int std)
{
    for (int l = 0; l < rec->n_leads; l++)
        if (rec->leads[l].std_index == std) return rec->leads[l].name;
    const char *n = ecgx_lead_std_name(std);
    return n ? n : "?";
}

static int write_csv(FILE *f, const xai_explained *e, int C)
{
    const ecgx_attribution *a = e->a;
    int input = a->channels == C && a->length == e->L && !a->layer[0];
    if (a->time_only) input = a->channels == C && a->length == e->L;
    if (!input) { /* a layer's [channel][time] */
        for (int c = 0; c < a->channels; c++) fprintf(f, "%sch%d", c ? "," : "", c);
        fputc('\n', f);
        for (int t = 0; t < a->length; t++) {
            for (int c = 0; c < a->channels; c++) fprintf(f, "%s%.6g", c ? "," : "", a->relevance[(size_t)c * a->length + t]);
            fputc('\n', f);
        }
        return 0;
    }
    int64_t n = e->rec->n_samples;
    float *r = malloc(sizeof(float) * (size_t)C * n);
    if (!r) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    int rc = ecgx_xai_resample_relevance(a->relevance, C, a->length, e->fs, r, n, e->rec->fs);
    if (rc < 0) {
        free(r);
        return rc;
    }
    for (int c = 0; c < C; c++) fprintf(f, "%s%s", c ? "," : "", C == 12 ? lead_label(e->rec, c) : e->rec->leads[c].name);
    fputc('\n', f);
    for (int64_t t = 0; t < n; t++) {
        for (int c = 0; c < C; c++) fprintf(f, "%s%.6g", c ? "," : "", r[(size_t)c * n + t]);
        fputc('\n', f);
    }
    free(r);
    return 0;
}

static double nan_to_null(double v) { return v; }

static cJSON *to_json(const ecgx_model *m, const char *model_path, const xai_explained *e, const ecgx_xai_options *o,
                      const char *text)
{
    const ecgx_attribution *a = e->a;
    char cb[128];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "record", e->rec->name);
    cJSON_AddStringToObject(j, "model", model_path);
    cJSON_AddStringToObject(j, "arch", ecgx_model_arch(m));
    cJSON_AddStringToObject(j, "method", ecgx_xai_method_name(o->method));
    if (o->nt_samples > 0) cJSON_AddNumberToObject(j, "noise_tunnel_samples", o->nt_samples);
    if (o->method == ECGX_XAI_LRP) cJSON_AddStringToObject(j, "lrp_rule", ecgx_lrp_rule_name(o->lrp_rule));
    cJSON_AddStringToObject(j, "baseline", ecgx_xai_baseline_name(a->baseline));
    cJSON_AddStringToObject(j, "target", ecgx_xai_class_name(m, a->target, cb, sizeof cb));
    cJSON_AddNumberToObject(j, "target_index", a->target);
    /* the displayed probability (as ecgx predict) and the one of the output explained */
    cJSON_AddNumberToObject(j, "probability", e->probs[a->target]);
    cJSON_AddNumberToObject(j, "probability_explained", e->p_explained);
    cJSON_AddNumberToObject(j, "probability_whole_record", e->probs_whole[a->target]);
    cJSON *xo = cJSON_AddObjectToObject(j, "explained_output");
    cJSON_AddStringToObject(xo, "kind", a->window_length > 0 ? "window" : "whole_record");
    cJSON_AddStringToObject(xo, "aggregation", "max over windows");
    cJSON_AddNumberToObject(xo, "n_windows", a->window_length > 0 ? a->n_windows : 1);
    cJSON_AddNumberToObject(xo, "window_start_s", a->window_length > 0 ? a->window_start / e->fs : 0);
    cJSON_AddNumberToObject(xo, "window_end_s", (a->window_length > 0 ? a->window_start + a->window_length : e->L) / e->fs);
    char line[512];
    xai_cli_explained_output(e, cb, line, sizeof line);
    cJSON_AddStringToObject(xo, "text", line);
    if (ecgx_xai_method_uses_baseline(a->method)) {
        cJSON *bo = cJSON_AddObjectToObject(j, "baseline_probabilities");
        int K = ecgx_model_n_classes(m);
        char cb2[128];
        for (int k = 0; k < K; k++) cJSON_AddNumberToObject(bo, ecgx_xai_class_name(m, k, cb2, sizeof cb2), e->baseline_probs[k]);
        if (a->baseline == ECGX_BASELINE_NORMAL) cJSON_AddNumberToObject(j, "baseline_scale", a->baseline_param);
        cJSON_AddBoolToObject(j, "baseline_scores_target", e->baseline_probs[a->target] >= e->thr[a->target]);
        cJSON_AddNumberToObject(j, "threshold", e->thr[a->target]);
        cJSON_AddStringToObject(j, "thresholds_from", e->thr_from_model ? "model" : "default 0.5");
    }
    cJSON_AddStringToObject(j, "layer", a->layer);
    cJSON_AddNumberToObject(j, "fs", e->fs);
    cJSON_AddNumberToObject(j, "channels", a->channels);
    cJSON_AddNumberToObject(j, "length", a->length);
    cJSON_AddBoolToObject(j, "time_only", a->time_only);
    cJSON *d = cJSON_AddObjectToObject(j, "diagnostics");
#define NUM(o_, k_, v_) (isfinite(v_) ? cJSON_AddNumberToObject(o_, k_, nan_to_null(v_)) : cJSON_AddNullToObject(o_, k_))
    NUM(d, "logit", a->logit);
    NUM(d, "logit_baseline", a->logit_baseline);
    NUM(d, "sum", a->sum);
    NUM(d, "completeness_gap", a->completeness_gap);
    NUM(d, "lrp_conservation", a->conservation);
    NUM(d, "lrp_absorbed", a->lrp_absorbed);
    NUM(d, "seconds", e->seconds);
    cJSON_AddNumberToObject(d, "steps", a->steps);
    const ecgx_xai_summary *s = &e->sum;
    NUM(j, "positive_total", s->pos_total);
    NUM(j, "negative_total", s->neg_total);
    int C = ecgx_model_in_channels(m);
    if (a->channels == C && C <= ECGX_XAI_MAX_LEADS) {
        cJSON *leads = cJSON_AddArrayToObject(j, "leads");
        for (int l = 0; l < C; l++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "lead", C == 12 ? ecgx_lead_std_name(l) : e->rec->leads[l].name);
            NUM(x, "positive_fraction", s->pos_total > 0 ? s->lead_pos[l] / s->pos_total : 0);
            NUM(x, "sum", s->lead_sum[l]);
            cJSON *sg = cJSON_AddObjectToObject(x, "segments_positive_fraction");
            for (int g = 0; g < ECGX_N_SEGMENTS; g++)
                NUM(sg, ecgx_segment_name(g), s->pos_total > 0 ? s->seg_pos[l][g] / s->pos_total : 0);
            cJSON_AddItemToArray(leads, x);
        }
    }
    cJSON_AddNumberToObject(j, "beats", e->fid ? e->fid->n_beats : 0);
    cJSON_AddStringToObject(j, "summary", text);
    cJSON *rel = cJSON_AddArrayToObject(j, "relevance");
    for (int c = 0; c < a->channels; c++)
        cJSON_AddItemToArray(rel, cJSON_CreateFloatArray(a->relevance + (size_t)c * a->length, a->length));
#undef NUM
    return j;
}

static void print_summary(FILE *f, const ecgx_model *m, const char *model_path, const xai_explained *e,
                          const ecgx_xai_options *o, const char *text)
{
    const ecgx_attribution *a = e->a;
    char cb[128];
    fprintf(f, "record   %s: %d leads, %.1f s at %g Hz; model input %d samples at %g Hz\n", e->rec->name,
            e->rec->n_leads, e->rec->n_samples / e->rec->fs, e->rec->fs, e->L, e->fs);
    fprintf(f, "model    %s (%s)\n", model_path, ecgx_model_arch(m));
    fprintf(f, "method   %s", ecgx_xai_method_name(o->method));
    if (o->method == ECGX_XAI_IG) fprintf(f, ", %d steps (%s), baseline %s", a->steps,
                                          o->quadrature ? "Gauss-Legendre" : "trapezoid", ecgx_xai_baseline_name(a->baseline));
    if (o->method == ECGX_XAI_DEEPLIFT || o->method == ECGX_XAI_OCCLUSION) fprintf(f, ", baseline %s", ecgx_xai_baseline_name(a->baseline));
    if (o->method == ECGX_XAI_LRP) fprintf(f, ", rule %s", ecgx_lrp_rule_name(o->lrp_rule));
    if (o->nt_samples > 0 || o->method == ECGX_XAI_SMOOTHGRAD) fprintf(f, ", noise tunnel of %d samples", a->steps);
    if (a->layer[0]) fprintf(f, ", layer %s", a->layer);
    fprintf(f, " (%.3f s)\n", e->seconds);
    char line[512];
    ecgx_xai_class_name(m, a->target, cb, sizeof cb);
    fprintf(f, "target   %s (class %d): displayed probability %.3f; explained logit %.4f\n", cb, a->target,
            e->probs[a->target], a->logit);
    xai_cli_explained_output(e, cb, line, sizeof line);
    fprintf(f, "explains %s\n", line);
    xai_cli_baseline_line(m, e, line, sizeof line);
    if (line[0]) fprintf(f, "baseline %s\n", line);
    fprintf(f, "check    sum of relevance %.4g", a->sum);
    if (isfinite(a->completeness_gap))
        fprintf(f, "; f(x) - f(baseline) = %.4g; completeness gap %.2f %%", a->logit - a->logit_baseline, 100 * a->completeness_gap);
    if (isfinite(a->conservation))
        fprintf(f, "; LRP conservation %.3f (absorbed by biases/stabilisers %.4g)", a->conservation, a->lrp_absorbed);
    fputc('\n', f);
    if (a->time_only) fprintf(f, "note     a CAM is a time-only map: every lead carries the same values\n");
    int C = ecgx_model_in_channels(m);
    if (a->channels != C || a->length != e->L) return;
    fprintf(f, "beats    %d delineated\n\n%s\n", e->fid ? e->fid->n_beats : 0, text);
    const ecgx_xai_summary *s = &e->sum;
    double T = s->pos_total > 0 ? s->pos_total : 1;
    fprintf(f, "%% of positive relevance by lead and segment\n%-6s %6s %9s", "lead", "all", "sum");
    for (int g = 0; g < ECGX_N_SEGMENTS; g++) fprintf(f, " %6s", ecgx_segment_name(g));
    fputc('\n', f);
    for (int l = 0; l < C && l < ECGX_XAI_MAX_LEADS; l++) {
        fprintf(f, "%-6s %6.1f %9.3g", C == 12 ? ecgx_lead_std_name(l) : e->rec->leads[l].name, 100 * s->lead_pos[l] / T,
                s->lead_sum[l]);
        for (int g = 0; g < ECGX_N_SEGMENTS; g++) fprintf(f, " %6.1f", 100 * s->seg_pos[l][g] / T);
        fputc('\n', f);
    }
}

int cmd_explain(int argc, char **argv)
{
    const char *cmd = "explain", *model_path = NULL, *rec_path = NULL, *out_path = NULL, *target = NULL, *v;
    int csv = 0, json = 0, whole = 0, r, err = 0;
    double csv_fs = 0;
    ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_IG);
    o.baseline = XAI_CLI_BASELINE_UNSET; /* the model's default unless --baseline */
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            help(stdout);
            return EXIT_OK;
        }
        if ((r = cli_opt(cmd, argc, argv, &i, "--model", &model_path))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt(cmd, argc, argv, &i, "-o", &out_path))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt_double(cmd, argc, argv, &i, "--fs", &csv_fs, &err))) {
            if (err) return EXIT_USAGE;
            continue;
        }
        if ((r = xai_cli_option(cmd, argc, argv, &i, &o, &target))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--csv")) csv = 1;
        else if (!strcmp(argv[i], "--whole")) whole = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (rec_path) return cli_usage_error(cmd, "one record at a time ('%s' and '%s')", rec_path, argv[i]);
        else rec_path = argv[i];
        (void)v;
    }
    if (!model_path) return cli_usage_error(cmd, "--model is required");
    if (!rec_path) return cli_usage_error(cmd, "a record is required");
    if (csv && json) return cli_usage_error(cmd, "--csv and --json exclude each other");
    ecgx_model *m = NULL;
    if (ecgx_model_load(model_path, &m) < 0) return cli_fail(cmd);
    xai_cli_resolve_baseline(m, &o);
    if (xai_cli_target(m, target, &o.target) < 0) {
        ecgx_model_free(m);
        return cli_fail(cmd);
    }
    ecgx_record *rec = NULL;
    int rc = csv_fs > 0 ? ecgx_record_read_ex(rec_path, csv_fs, &rec, NULL) : ecgx_record_read(rec_path, &rec);
    if (rc >= 0) rc = cli_record_check(cmd, rec, CLI_USE_EXPLAIN, ecgx_model_in_channels(m), NULL);
    xai_explained e;
    memset(&e, 0, sizeof e);
    if (rc >= 0) rc = xai_cli_explain(m, rec_path, rec, &o, whole, &e);
    if (rc < 0) {
        if (!e.rec) ecgx_record_free(rec);
        cli_fail_file(cmd, rec_path);
        ecgx_model_free(m);
        return EXIT_BAD_INPUT;
    }
    char cb[128], text[4096];
    ecgx_xai_sentences(&e.sum, ecgx_xai_class_name(m, e.a->target, cb, sizeof cb), text, sizeof text);
    int code = EXIT_OK;
    FILE *f = stdout;
    ecgx_outfile of;
    if (out_path) {
        if (ecgx_outfile_open(&of, out_path) < 0) {
            code = cli_fail(cmd);
            goto done;
        }
        f = of.fp;
    }
    if (json) {
        cJSON *j = to_json(m, model_path, &e, &o, text);
        char *s = cJSON_Print(j);
        fprintf(f, "%s\n", s ? s : "{}");
        free(s);
        cJSON_Delete(j);
    } else if (csv || out_path) {
        if (write_csv(f, &e, ecgx_model_in_channels(m)) < 0) {
            if (out_path) ecgx_outfile_abort(&of);
            code = cli_fail(cmd);
            goto done;
        }
    }
    if (out_path && ecgx_outfile_commit(&of) < 0) {
        code = cli_fail(cmd);
        goto done;
    }
    if ((!csv && !json) || out_path) print_summary(stdout, m, model_path, &e, &o, text);
done:
    xai_explained_free(&e);
    ecgx_model_free(m);
    return code;
}
