/* ecgx report: the main job end to end. One record is diagnosed by a model
 * (its own preprocessing and sliding windows, as `ecgx predict`), each
 * positive class (or the top class when none is positive) is explained,
 * the explanation is summarised by lead and segment with the dsp fiducials
 * and put into clinical sentences, the record is measured (dsp), and all of
 * it goes into one self-contained HTML file (ecgx_report_write, atomic). */
#include "cli.h"
#include "record_check_cli.h"
#include "nn_data.h"
#include "nn_model_meta.h"
#include "nn_regression.h"

#include "ecgx/io.h"
#include "ecgx/measure.h"
#include "ecgx/progress.h"
#include "ecgx/report.h"
#include "ecgx/xai.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_REPORT_SEGMENTS 6 /* P, PR, QRS, ST, T, TP: "other" (before the first beat, after the last) left out */
#define DELETION_STEPS 20
#define DELETION_BLOCK_S 0.1 /* deletion ranks blocks of 100 ms of one lead: a wave, not single samples */
#define MAX_SENTENCES 16

static void help(FILE *out)
{
    fprintf(out,
            "usage: ecgx report --model M RECORD -o report.html [--method NAME] [--steps N]\n"
            "                   [--threshold X | --thresholds-from-model] [--fs HZ] [--json]\n\n"
            "Diagnose and explain one 12-lead record and write a self-contained HTML report:\n"
            "the model's probability per class (its own preprocessing, sliding windows, max),\n"
            "the ECG with the explanation overlaid for each positive class (the top class when\n"
            "none is positive): the window that gave the displayed probability is explained,\n"
            "against a baseline the model scores as no evidence (its probabilities printed);\n"
            "relevance per lead and per segment in percent and in clinical words, median\n"
            "beats, the measured criteria behind the call (QRS duration, voltage criteria,\n"
            "Q waves, ST/T), the faithfulness of the explanation (deletion AUC beside its\n"
            "random-order reference, lower is better) and the measurements (rate, PR, QRS,\n"
            "QT/QTc, axes).\n\n"
            "  --model M                 model file (safetensors written by ecgx train)\n"
            "  -o FILE                   the HTML report (written atomically)\n"
            "  --method NAME             explanation method (default ig: integrated gradients)\n"
            "  --steps N                 IG steps (default 64)\n"
            "  --baseline B              normal (default: a synthetic normal ECG at the amplitude the\n"
            "                            model scores least like any class), zero, filtered, blurred\n"
            "  --threshold X             one decision threshold for every class\n"
            "  --thresholds-from-model   the model's per-class thresholds (metadata 'thresholds'\n"
            "                            or 'threshold_<CLASS>'); an error when it has none.\n"
            "                            Default: the model's when present, else 0.5\n"
            "  --fs HZ                   sampling rate of a CSV record\n"
            "  --json                    predictions, positives, relevance per lead and segment and\n"
            "                            the sentences as JSON on stdout\n\n"
            "exit codes: 0 ok, 1 bad input (model, record), 2 usage error\n");
}

static const char *class_description(const char *c)
{
    static const struct { const char *code, *words; } t[] = {
        {"NORM", "normal ECG"},          {"MI", "myocardial infarction"}, {"STTC", "ST/T change"},
        {"CD", "conduction disturbance"}, {"HYP", "hypertrophy"},         {"AFIB", "atrial fibrillation"},
        {"LBBB", "left bundle branch block"}, {"RBBB", "right bundle branch block"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(c, t[i].code)) return t[i].words;
    return NULL;
}


/* Everything computed for one explained class. */
#define MAX_CRITERIA 8
#define RANDOM_ORDERS 3 /* random orders averaged for the deletion reference */

typedef struct explained_class {
    int cls;
    ecgx_attribution *a;       /* at the model's rate: the window that gave the displayed probability, placed */
    double p_explained;        /* sigmoid(a->logit) */
    float base_probs[64];      /* the baseline, scored by the model */
    double deletion_random;    /* deletion AUC for random orders of the same blocks */
    char what[256];            /* the output explained, in words */
    char base_text[512];       /* the baseline and its probabilities, in words */
    int base_scores;           /* the baseline scores the class at or above threshold */
    ecgx_report_criterion crit[MAX_CRITERIA];
    int n_crit;
    ecgx_xai_summary sum;
    float *rel;                /* at the record's rate, 12 x n_samples, % of the positive total per 10 ms */
    float *shown;              /* rel clipped at its display scale (see clip_for_display) */
    double lead_frac[ECGX_N_STD_LEADS], lead_pct[ECGX_N_STD_LEADS];
    double seg_frac[N_REPORT_SEGMENTS], seg_pct[N_REPORT_SEGMENTS];
    char text[2048];           /* sentences, '\n'-separated */
    char *sent[MAX_SENTENCES];
    int n_sent;
    float *median_rel;         /* 12 x median_len, NULL when no beats */
    double deletion_auc;
} explained_class;

static void explained_free(explained_class *e)
{
    ecgx_attribution_free(e->a);
    free(e->rel);
    free(e->shown);
    free(e->median_rel);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* A copy of r clipped at the 98th percentile of |r| (captum's visualisation
 * default, outlier_perc = 2): integrated gradients puts a few isolated
 * samples far above the rest, and a colour scale set by them leaves the
 * evidence the summary speaks of invisible. Sums and shares use r itself. */
static float *clip_for_display(const float *r, size_t n)
{
    float *a = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * n);
    if (!a || !out) {
        free(a);
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) a[i] = fabsf(r[i]);
    qsort(a, n, sizeof(float), cmp_float);
    float hi = a[(size_t)(0.98 * (double)(n - 1))];
    free(a);
    for (size_t i = 0; i < n; i++) out[i] = hi > 0 ? fmaxf(-hi, fminf(hi, r[i])) : r[i];
    return out;
}

/* Explain class e->cls on the model input x: the window of `window`
 * samples (every `stride`) that gave the displayed probability (the maximum),
 * and bring it to the record. */
static int explain_class(ecgx_model *m, const ecgx_xai_options *base, const float *x, int L, double fs_m, int window,
                         int stride, const uint8_t *seg, const ecgx_record *rec, const ecgx_fiducials *fid_rec,
                         int64_t med_len, int64_t med_r, const char *cname, explained_class *e)
{
    ecgx_xai_options o = *base;
    o.target = e->cls;
    o.fs = fs_m;
    float bl[64];
    int rc = ecgx_xai_attribute_windowed(m, x, L, window < L ? window : L, stride, &o, &e->a, bl);
    if (rc < 0) return rc;
    e->p_explained = 1.0 / (1.0 + exp(-e->a->logit));
    for (int k = 0; k < ecgx_model_n_classes(m); k++) e->base_probs[k] = 1.0f / (1.0f + expf(-bl[k]));
    if ((rc = ecgx_xai_summarize(e->a, seg, &e->sum)) < 0) return rc;
    double pos = e->sum.pos_total > 0 ? e->sum.pos_total : 1;
    for (int l = 0; l < ECGX_N_STD_LEADS; l++) e->lead_frac[l] = e->sum.lead_pos[l] / pos;
    for (int s = 0; s < N_REPORT_SEGMENTS; s++) {
        double v = 0;
        for (int l = 0; l < ECGX_N_STD_LEADS; l++) v += e->sum.seg_pos[l][s];
        e->seg_frac[s] = v / pos;
    }
    ecgx_xai_sentences(&e->sum, cname, e->text, sizeof e->text);
    for (char *p = e->text; *p && e->n_sent < MAX_SENTENCES;) {
        e->sent[e->n_sent++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = 0;
        p = nl + 1;
    }
    int64_t n = rec->n_samples;
    e->rel = malloc(sizeof(float) * (size_t)ECGX_N_STD_LEADS * (size_t)n);
    if (!e->rel) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    if ((rc = ecgx_xai_resample_relevance(e->a->relevance, ECGX_N_STD_LEADS, L, fs_m, e->rel, n, rec->fs)) < 0) return rc;
    /* a clinician's unit: % of the explanation's positive total per 10 ms (sums over a stretch of time
     * are kept by the resampling, so a QRS of 100 ms with 20 % of the total shows about 2 %/10 ms) */
    double per10 = 100.0 * rec->fs * 0.010 / pos;
    for (size_t i = 0; i < (size_t)ECGX_N_STD_LEADS * (size_t)n; i++) e->rel[i] = (float)(e->rel[i] * per10);
    e->shown = clip_for_display(e->rel, (size_t)ECGX_N_STD_LEADS * (size_t)n);
    if (!e->shown) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    /* median-beat relevance: the record-rate relevance averaged around each R */
    if (fid_rec && fid_rec->n_beats > 0 && med_len > 1) {
        int64_t *r = malloc(sizeof(int64_t) * (size_t)fid_rec->n_beats);
        e->median_rel = malloc(sizeof(float) * (size_t)ECGX_N_STD_LEADS * (size_t)med_len);
        if (!r || !e->median_rel) {
            free(r);
            return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
        }
        /* the beats of the explained window only: elsewhere the relevance is zero by construction */
        double w0 = 0, w1 = (double)n / rec->fs;
        if (e->a->window_length > 0) {
            w0 = e->a->window_start / fs_m;
            w1 = (e->a->window_start + e->a->window_length) / fs_m;
        }
        int nr = 0;
        for (int b = 0; b < fid_rec->n_beats; b++) {
            double t = fid_rec->beats[b].r / rec->fs;
            if (t >= w0 && t < w1) r[nr++] = fid_rec->beats[b].r;
        }
        ecgx_attribution ra = *e->a;
        ra.length = (int)n;
        ra.relevance = e->rel;
        int used = nr ? ecgx_xai_average_beat(&ra, r, nr, (int)med_r, (int)(med_len - med_r), e->median_rel) : 0;
        free(r);
        if (used <= 0) {
            free(e->median_rel);
            e->median_rel = NULL;
        }
    }
    /* faithfulness: deletion curve on the explained window, blocks removed into the explanation's own
     * baseline, against random orders of the same blocks */
    const ecgx_attribution *a = e->a;
    int W = a->window_length > 0 ? a->window_length : L, W0 = a->window_length > 0 ? a->window_start : 0;
    float *xw = malloc(sizeof(float) * ECGX_N_STD_LEADS * (size_t)W), *x0 = malloc(sizeof(float) * ECGX_N_STD_LEADS * (size_t)W);
    float *rw = malloc(sizeof(float) * ECGX_N_STD_LEADS * (size_t)W);
    float probs[DELETION_STEPS + 1];
    if (!xw || !x0 || !rw) {
        free(xw), free(x0), free(rw);
        return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    }
    e->deletion_auc = e->deletion_random = NAN;
    if (a->channels == ECGX_N_STD_LEADS && a->length == L) { /* relevance on the input (not a layer's) */
        for (int l = 0; l < ECGX_N_STD_LEADS; l++) {
            memcpy(xw + (size_t)l * W, x + (size_t)l * L + W0, sizeof(float) * W);
            memcpy(rw + (size_t)l * W, a->relevance + (size_t)l * L + W0, sizeof(float) * W);
        }
        ecgx_attribution aw = *a;
        aw.relevance = rw;
        aw.length = W;
        int unit = (int)lround(DELETION_BLOCK_S * fs_m);
        if (unit < 1) unit = 1;
        if (ecgx_xai_make_baseline(xw, ECGX_N_STD_LEADS, W, a->baseline, a->baseline_param, fs_m, x0) == 0 &&
            ecgx_xai_perturbation_curve(m, xw, x0, W, &aw, 0, DELETION_STEPS, unit, probs, &e->deletion_auc) == 0)
            ecgx_xai_perturbation_curve_random(m, xw, x0, W, e->cls, 0, DELETION_STEPS, unit, RANDOM_ORDERS, 1,
                                               &e->deletion_random);
        else e->deletion_auc = NAN; /* said so in the report */
    }
    free(xw);
    free(x0);
    free(rw);
    return 0;
}

static int cmp_desc(const void *a, const void *b, void *ctx)
{
    const float *p = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    return (p[j] > p[i]) - (p[j] < p[i]);
}

static void print_json(const ecgx_record *rec, const nn_model_meta *mm, const float *p, const double *thr,
                       const char *thr_source, const explained_class *ex, int n_ex, const char *method,
                       const char *out, double fs_m)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "record", rec->name);
    cJSON_AddStringToObject(root, "report", out);
    cJSON_AddStringToObject(root, "method", method);
    cJSON_AddStringToObject(root, "thresholds_from", thr_source);
    cJSON *pr = cJSON_AddObjectToObject(root, "probabilities");
    cJSON *th = cJSON_AddObjectToObject(root, "thresholds");
    cJSON *pos = cJSON_AddArrayToObject(root, "positives");
    for (int k = 0; k < mm->n_classes; k++) {
        char num[32];
        snprintf(num, sizeof num, "%.6f", p[k]); /* the digits `ecgx predict --json` prints */
        cJSON_AddItemToObject(pr, mm->classes[k], cJSON_CreateRaw(num));
        cJSON_AddNumberToObject(th, mm->classes[k], thr[k]);
        if (p[k] >= thr[k]) cJSON_AddItemToArray(pos, cJSON_CreateString(mm->classes[k]));
    }
    cJSON *exs = cJSON_AddArrayToObject(root, "explanations");
    for (int i = 0; i < n_ex; i++) {
        const explained_class *e = &ex[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "class", mm->classes[e->cls]);
        cJSON_AddNumberToObject(o, "probability", p[e->cls]);
        cJSON_AddNumberToObject(o, "probability_explained", e->p_explained);
        cJSON_AddStringToObject(o, "explained_output", e->what);
        cJSON_AddNumberToObject(o, "window_start_s", e->a->window_length > 0 ? e->a->window_start / fs_m : 0);
        cJSON_AddNumberToObject(o, "window_end_s",
                                (e->a->window_length > 0 ? e->a->window_start + e->a->window_length : e->a->length) / fs_m);
        cJSON_AddStringToObject(o, "baseline", ecgx_xai_baseline_name(e->a->baseline));
        if (e->base_text[0]) {
            cJSON *bp = cJSON_AddObjectToObject(o, "baseline_probabilities");
            for (int k = 0; k < mm->n_classes; k++) cJSON_AddNumberToObject(bp, mm->classes[k], e->base_probs[k]);
            cJSON_AddBoolToObject(o, "baseline_scores_class", e->base_scores);
        }
        cJSON *cr = cJSON_AddArrayToObject(o, "criteria");
        for (int k = 0; k < e->n_crit; k++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "name", e->crit[k].name);
            if (isfinite(e->crit[k].value)) cJSON_AddNumberToObject(c, "value", e->crit[k].value);
            else cJSON_AddNullToObject(c, "value");
            cJSON_AddStringToObject(c, "unit", e->crit[k].unit);
            cJSON_AddStringToObject(c, "rule", e->crit[k].rule);
            if (e->crit[k].met >= 0) cJSON_AddBoolToObject(c, "met", e->crit[k].met);
            else cJSON_AddNullToObject(c, "met");
            cJSON_AddStringToObject(c, "detail", e->crit[k].detail);
            cJSON_AddItemToArray(cr, c);
        }
        cJSON *lr = cJSON_AddObjectToObject(o, "lead_relevance");
        for (int l = 0; l < ECGX_N_STD_LEADS; l++) cJSON_AddNumberToObject(lr, ecgx_lead_std_name(l), e->lead_frac[l]);
        cJSON *sr = cJSON_AddObjectToObject(o, "segment_relevance");
        for (int s = 0; s < N_REPORT_SEGMENTS; s++) cJSON_AddNumberToObject(sr, ecgx_segment_name(s), e->seg_frac[s]);
        cJSON *ss = cJSON_AddArrayToObject(o, "sentences");
        for (int s = 0; s < e->n_sent; s++) cJSON_AddItemToArray(ss, cJSON_CreateString(e->sent[s]));
        if (isfinite(e->deletion_auc)) cJSON_AddNumberToObject(o, "deletion_auc", e->deletion_auc);
        else cJSON_AddNullToObject(o, "deletion_auc");
        if (isfinite(e->deletion_random)) cJSON_AddNumberToObject(o, "deletion_auc_random", e->deletion_random);
        else cJSON_AddNullToObject(o, "deletion_auc_random");
        cJSON_AddNumberToObject(o, "logit", e->a->logit);
        if (isfinite(e->a->logit_baseline)) cJSON_AddNumberToObject(o, "logit_baseline", e->a->logit_baseline);
        else cJSON_AddNullToObject(o, "logit_baseline");
        cJSON_AddItemToArray(exs, o);
    }
    char *s = cJSON_Print(root);
    if (s) printf("%s\n", s);
    free(s);
    cJSON_Delete(root);
}

int cmd_report(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *path = NULL, *method = "ig", *baseline_name = NULL;
    double threshold = NAN, csv_fs = 0;
    int json = 0, from_model = 0, steps = 64, err = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { help(stdout); return EXIT_OK; }
        if (!strcmp(argv[i], "--json")) { json = 1; continue; }
        if (!strcmp(argv[i], "--thresholds-from-model")) { from_model = 1; continue; }
        if ((r = cli_opt("report", argc, argv, &i, "--model", &model))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("report", argc, argv, &i, "-o", &out))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("report", argc, argv, &i, "--method", &method))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("report", argc, argv, &i, "--baseline", &baseline_name))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("report", argc, argv, &i, "--steps", &steps, &err))) { if (r < 0 || err) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("report", argc, argv, &i, "--threshold", &threshold, &err))) { if (r < 0 || err) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("report", argc, argv, &i, "--fs", &csv_fs, &err))) { if (r < 0 || err) return EXIT_USAGE; continue; }
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("report", "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error("report", "one record ('%s' and '%s')", path, argv[i]);
        path = argv[i];
    }
    if (!model || !path || !out) return cli_usage_error("report", "needs --model M, a record and -o FILE");
    if (from_model && isfinite(threshold)) return cli_usage_error("report", "--threshold and --thresholds-from-model exclude each other");
    if (!isnan(threshold) && cli_check_double("report", "--threshold", threshold, 0, 1, 0)) return EXIT_USAGE;
    if (cli_check_int("report", "--steps", steps, 1, CLI_NO_MAX)) return EXIT_USAGE;
    int mid = ecgx_xai_method_from_name(method);
    if (mid < 0) return cli_usage_error("report", "unknown method '%s'", method);
    if (baseline_name && ecgx_xai_baseline_from_name(baseline_name) < 0)
        return cli_usage_error("report", "unknown baseline '%s' (normal, zero, filtered, blurred)", baseline_name);

    double t_start = ecgx_now();
    int rc = EXIT_BAD_INPUT;
    ecgx_model *m = NULL;
    ecgx_record *raw = NULL, *rec = NULL;
    ecgx_features *feat = NULL;
    ecgx_fiducials *fid_rec = NULL, *fid_m = NULL;
    float *xm = NULL, *probs = NULL, *median = NULL;
    uint8_t *seg = NULL;
    explained_class *ex = NULL;
    int n_ex = 0;
    nn_model_meta mm;
    double thr[64];

    if (!getenv("OMP_NUM_THREADS")) ecgx_nn_set_threads(ecgx_nn_threads_available()); /* short job: busy cores left alone */
    if (ecgx_model_load(model, &m) < 0 || nn_model_meta_read(m, model, &mm) < 0) {
        cli_fail_file("report", model);
        goto done;
    }
    if (ecgx_model_in_channels(m) != ECGX_N_STD_LEADS || mm.n_classes > 64) {
        fprintf(stderr, "ecgx report: %s: the model takes %d channels; ecgx report needs a 12-lead model\n", model,
                ecgx_model_in_channels(m));
        goto done;
    }
    if (nn_model_is_regression(m)) {
        fprintf(stderr, "ecgx report: %s: a regression model (%s): the report explains classifiers; use ecgx predict "
                        "and ecgx explain\n", model, ecgx_model_meta(m, "labels") ? ecgx_model_meta(m, "labels") : "age");
        goto done;
    }
    const char *thr_source;
    if (isfinite(threshold)) {
        for (int k = 0; k < mm.n_classes; k++) thr[k] = threshold;
        thr_source = "command line";
    } else if (nn_model_thresholds(m, &mm, thr)) {
        thr_source = "model (chosen on validation)";
    } else if (from_model) {
        fprintf(stderr, "ecgx report: %s: the model holds no per-class thresholds (metadata 'thresholds')\n", model);
        goto done;
    } else {
        for (int k = 0; k < mm.n_classes; k++) thr[k] = 0.5;
        thr_source = "default 0.5 (the model holds no thresholds)";
    }

    if (ecgx_record_read_ex(path, csv_fs, &raw, NULL) < 0 ||
        cli_record_check("report", raw, CLI_USE_EXPLAIN, ecgx_model_in_channels(m), NULL) < 0) {
        cli_fail_file("report", path);
        goto done;
    }
    unsigned missing = 0;
    rec = ecgx_record_to_standard12(raw, &missing);
    if (!rec) {
        cli_fail_file("report", path);
        goto done;
    }
    if (missing) {
        char names[128] = "";
        for (int l = 0; l < ECGX_N_STD_LEADS; l++)
            if (missing & (1u << l)) {
                strncat(names, names[0] ? "," : "", sizeof names - strlen(names) - 1);
                strncat(names, ecgx_lead_std_name(l), sizeof names - strlen(names) - 1);
            }
        fprintf(stderr, "ecgx report: %s: leads: %d leads, the 12 standard leads are needed (missing %s)\n", path,
                raw->n_leads, names);
        goto done;
    }
    double min_s = mm.window / mm.fs;
    if (!(rec->fs > 0) || (double)rec->n_samples / rec->fs < min_s) {
        fprintf(stderr, "ecgx report: %s: too short: %.2f s, the model needs at least %.2f s\n", path,
                rec->fs > 0 ? (double)rec->n_samples / rec->fs : 0.0, min_s);
        goto done;
    }
    if (rec->n_samples > INT32_MAX / 4) {
        fprintf(stderr, "ecgx report: %s: too long: %lld samples\n", path, (long long)rec->n_samples);
        goto done;
    }

    /* the model's input, the whole record with the model's preprocessing: the
     * predictions (exactly the path of `ecgx predict`: sliding windows, max)
     * and the explanation both read it */
    int L = 0;
    double fs_m = 0;
    probs = malloc(sizeof(float) * (size_t)mm.n_classes);
    if (!probs || ecgx_model_prepare_record(m, rec, 0, &xm, &L, &fs_m, NULL, 0) < 0 ||
        ecgx_model_predict_windows(m, xm, L, mm.window, mm.stride, probs, NULL) < 0) {
        cli_fail_file("report", path);
        goto done;
    }
    /* fiducials at the record's rate (measurements, median beats) and at the model's (segments) */
    if (ecgx_measure_record(rec, &feat, &fid_rec) < 0) {
        fprintf(stderr, "ecgx report: %s: measurements: %s (continuing without)\n", path, ecgx_last_error());
        feat = NULL;
        fid_rec = NULL;
    }
    if (ecgx_xai_record_fiducials(rec, fs_m, &fid_m) < 0) fid_m = NULL; /* no beats: no segments */
    seg = malloc((size_t)ECGX_N_STD_LEADS * (size_t)L);
    if (!seg || ecgx_xai_segment_labels(fid_m, ECGX_N_STD_LEADS, L, seg) < 0) {
        cli_fail_file("report", path);
        goto done;
    }
    int64_t med_len = ecgx_median_beat_length(rec->fs), med_r = 0;
    if (fid_rec && fid_rec->n_beats > 0 && med_len > 1) {
        median = calloc((size_t)ECGX_N_STD_LEADS * (size_t)med_len, sizeof(float));
        if (!median) { cli_fail_file("report", path); goto done; }
        for (int l = 0; l < ECGX_N_STD_LEADS; l++)
            if (ecgx_median_beat(rec, fid_rec, l, median + (size_t)l * med_len, &med_r) < 0) {
                free(median);
                median = NULL;
                break;
            }
    }

    /* which classes to explain: the positives, by probability; else the top class */
    int order[64];
    for (int k = 0; k < mm.n_classes; k++) order[k] = k;
    qsort_r(order, (size_t)mm.n_classes, sizeof order[0], cmp_desc, probs);
    ex = calloc((size_t)mm.n_classes, sizeof *ex);
    if (!ex) { cli_fail_file("report", path); goto done; }
    for (int i = 0; i < mm.n_classes; i++)
        if (probs[order[i]] >= thr[order[i]]) ex[n_ex++].cls = order[i];
    if (n_ex == 0) ex[n_ex++].cls = order[0];

    ecgx_xai_options base = ecgx_xai_options_default(mid);
    base.steps = steps;
    /* a baseline the model scores as "no evidence" (docs/xai.md), unless --baseline */
    base.baseline = baseline_name ? (ecgx_xai_baseline)ecgx_xai_baseline_from_name(baseline_name) : ecgx_xai_default_baseline(m);
    int uses_base = ecgx_xai_method_uses_baseline(mid);
    for (int i = 0; i < n_ex; i++) {
        explained_class *e = &ex[i];
        if (explain_class(m, &base, xm, L, fs_m, mm.window, mm.stride, seg, rec, fid_rec, median ? med_len : 0, med_r,
                          mm.classes[e->cls], e) < 0) {
            cli_fail_file("report", path);
            goto done;
        }
        const ecgx_attribution *a = e->a;
        if (a->n_windows > 1)
            snprintf(e->what, sizeof e->what, "the window %.2f-%.2f s, the one of the %d windows of %.1f s that gave the "
                     "displayed probability (their maximum); the rest of the record is not explained (no colour)",
                     a->window_start / fs_m, (a->window_start + a->window_length) / fs_m, a->n_windows, a->window_length / fs_m);
        else snprintf(e->what, sizeof e->what, "the whole record (%.2f s, one window)", L / fs_m);
        if (uses_base) {
            size_t k = (size_t)snprintf(e->base_text, sizeof e->base_text, "%s",
                                        a->baseline == ECGX_BASELINE_NORMAL ? "a synthetic normal ECG" : "the baseline");
            if (a->baseline == ECGX_BASELINE_NORMAL)
                k += (size_t)snprintf(e->base_text + k, sizeof e->base_text - k, " at %.0f %% amplitude", 100 * a->baseline_param);
            else k += (size_t)snprintf(e->base_text + k, sizeof e->base_text - k, " '%s'", ecgx_xai_baseline_name(a->baseline));
            k += (size_t)snprintf(e->base_text + k, sizeof e->base_text - k, ", which the model scores");
            for (int c = 0; c < mm.n_classes && k < sizeof e->base_text; c++)
                k += (size_t)snprintf(e->base_text + k, sizeof e->base_text - k, "%s %s %.3f", c ? "," : "", mm.classes[c],
                                      e->base_probs[c]);
            e->base_scores = e->base_probs[e->cls] >= thr[e->cls];
        }
        if (feat) e->n_crit = ecgx_report_criteria(feat, mm.classes[e->cls], rec->sex, e->crit, MAX_CRITERIA);
    }

    /* the report */
    ecgx_report_prediction preds[64];
    for (int k = 0; k < mm.n_classes; k++)
        preds[k] = (ecgx_report_prediction){mm.classes[k], class_description(mm.classes[k]), probs[k], thr[k],
                                             probs[k] >= thr[k]};
    static const char *const seg_names[N_REPORT_SEGMENTS] = {"P", "PR", "QRS", "ST", "T", "TP"};
    ecgx_report_explanation rx[64];
    double del_sum = 0;
    int del_n = 0;
    for (int i = 0; i < n_ex; i++) {
        explained_class *e = &ex[i];
        rx[i] = (ecgx_report_explanation){
            .label = mm.classes[e->cls],
            .relevance = e->shown,
            .lead_relevance = e->lead_frac,
            .n_segments = N_REPORT_SEGMENTS,
            .segment_names = seg_names,
            .segment_relevance = e->seg_frac,
            .n_sentences = e->n_sent,
            .sentences = (const char *const *)e->sent,
            .median_beats = e->median_rel ? median : NULL,
            .median_relevance = e->median_rel,
            .median_len = e->median_rel ? (int)med_len : 0,
            .median_r_offset_s = (double)med_r / rec->fs,
            .explained_output = e->what,
            .explained_probability = e->p_explained,
            .baseline = uses_base ? e->base_text : NULL,
            .baseline_scores_class = e->base_scores,
            .relevance_unit = "% of positive total per 10 ms",
            .lead_unit = "% of positive",
            .has_deletion = 1,
            .deletion_auc = e->deletion_auc,
            .deletion_auc_random = e->deletion_random,
            .n_criteria = e->n_crit,
            .criteria = e->crit,
        };
        /* the bars in percent, like the sentences */
        for (int l = 0; l < ECGX_N_STD_LEADS; l++) e->lead_pct[l] = 100 * e->lead_frac[l];
        for (int g = 0; g < N_REPORT_SEGMENTS; g++) e->seg_pct[g] = 100 * e->seg_frac[g];
        rx[i].lead_relevance = e->lead_pct;
        rx[i].segment_relevance = e->seg_pct;
        if (isfinite(e->deletion_auc)) del_sum += e->deletion_auc, del_n++;
    }
    double F[10];
    static const char *const fnames[10] = {"HR", "PR", "QRS", "QT", "QTcB", "QTcF", "P_axis", "QRS_axis", "T_axis", "RR_mean"};
    for (int f = 0; f < 10; f++) {
        char key[64];
        snprintf(key, sizeof key, "%s_Global", fnames[f]);
        F[f] = feat ? ecgx_features_get(feat, key) : NAN;
    }
    ecgx_report_measurement meas[] = {
        {"Heart rate", F[0], "bpm"},        {"RR interval (mean)", F[9], "ms"},   {"PR interval", F[1], "ms"},
        {"QRS duration", F[2], "ms"},       {"QT interval", F[3], "ms"},          {"QTc (Bazett)", F[4], "ms"},
        {"QTc (Fridericia)", F[5], "ms"},   {"P axis", F[6], "°"},                {"QRS axis", F[7], "°"},
        {"T axis", F[8], "°"},
    };
    char method_text[160], faith_text[200], model_text[300], note[200];
    ecgx_xai_options shown = base;
    if (mid == ECGX_XAI_IG && shown.baseline == ECGX_BASELINE_NORMAL)
        snprintf(method_text, sizeof method_text, "Integrated gradients (%d steps, baseline: a synthetic normal ECG at "
                 "%.0f %% amplitude, the model's most neutral)", shown.steps, 100 * ex[0].a->baseline_param);
    else if (mid == ECGX_XAI_IG)
        snprintf(method_text, sizeof method_text, "Integrated gradients (%d steps, %s baseline)", shown.steps,
                 ecgx_xai_baseline_name(shown.baseline));
    else snprintf(method_text, sizeof method_text, "%s", ecgx_xai_method_name(mid));
    double rnd_sum = 0;
    for (int i = 0; i < n_ex; i++) rnd_sum += isfinite(ex[i].deletion_random) ? ex[i].deletion_random : 0;
    snprintf(faith_text, sizeof faith_text, "deletion AUC, %g ms blocks into the baseline, %d steps%s (lower is better; "
             "random order: %.3f)", DELETION_BLOCK_S * 1000, DELETION_STEPS,
             n_ex > 1 ? ", mean over the explained classes" : "", del_n ? rnd_sum / del_n : NAN);
    const char *base_name = strrchr(model, '/');
    snprintf(model_text, sizeof model_text, "%s (%s, %g Hz, thresholds: %s)", base_name ? base_name + 1 : model,
             ecgx_model_arch(m), mm.fs, thr_source);
    int pos_any = 0;
    for (int k = 0; k < mm.n_classes; k++) pos_any |= probs[k] >= thr[k];
    snprintf(note, sizeof note, "%s: %s %.2f", pos_any ? "Model call" : "No class above threshold; top class",
             mm.classes[ex[0].cls], probs[ex[0].cls]);
    ecgx_report rep = {0};
    rep.record = rec;
    rep.model_name = model_text;
    rep.predictions = preds;
    rep.n_predictions = mm.n_classes;
    rep.explanations = rx;
    rep.n_explanations = n_ex;
    rep.measurements = meas;
    rep.n_measurements = (int)(sizeof meas / sizeof meas[0]);
    rep.method = method_text;
    rep.faithfulness_name = faith_text;
    rep.faithfulness = del_n ? del_sum / del_n : NAN;
    rep.header = (ecgx_ecg_header){NULL, F[0], F[1], F[2], F[3], F[4], F[7], note};
    if (ecgx_report_write(&rep, out) < 0) {
        cli_fail_file("report", out);
        goto done;
    }
    double secs = ecgx_now() - t_start;
    if (json) {
        print_json(rec, &mm, probs, thr, thr_source, ex, n_ex, method_text, out, fs_m);
    } else {
        printf("%s:", path);
        for (int i = 0; i < mm.n_classes; i++)
            printf(" %s %.3f%s", mm.classes[order[i]], probs[order[i]], probs[order[i]] >= thr[order[i]] ? "*" : "");
        printf("   (* = above threshold; thresholds: %s)\n", thr_source);
        for (int i = 0; i < n_ex; i++) {
            const explained_class *e = &ex[i];
            printf("  %s: probability %.3f explained, displayed %.3f: %s\n", mm.classes[e->cls], e->p_explained,
                   probs[e->cls], e->what);
            if (e->base_text[0])
                printf("  %s: compared with %s%s\n", mm.classes[e->cls], e->base_text,
                       e->base_scores ? " (the baseline ALREADY scores the class at or above threshold)" : "");
            for (int s = 0; s < e->n_sent; s++) printf("  %s\n", e->sent[s]);
            for (int k = 0; k < e->n_crit; k++) {
                const ecgx_report_criterion *c = &e->crit[k];
                char v[64] = "not measurable";
                if (isfinite(c->value)) snprintf(v, sizeof v, strcmp(c->unit, "mV") ? "%.0f %s" : "%.2f %s", c->value, c->unit);
                printf("  %s: measured %s %s%s%s%s [%s]: %s\n", mm.classes[e->cls], c->name, v, c->detail[0] ? " (" : "",
                       c->detail, c->detail[0] ? ")" : "", c->rule, c->met > 0 ? "met" : c->met == 0 ? "not met" : "-");
            }
            printf("  %s: deletion AUC %.3f, random order %.3f (lower is better)\n", mm.classes[e->cls], e->deletion_auc,
                   e->deletion_random);
        }
        printf("report: %s (%.2f s)\n", out, secs);
    }
    rc = EXIT_OK;
done:
    for (int i = 0; ex && i < n_ex; i++) explained_free(&ex[i]);
    free(ex);
    free(median);
    free(seg);
    free(xm);
    free(probs);
    ecgx_fiducials_free(fid_m);
    ecgx_fiducials_free(fid_rec);
    ecgx_features_free(feat);
    ecgx_record_free(rec);
    ecgx_record_free(raw);
    ecgx_model_free(m);
    return rc;
}
