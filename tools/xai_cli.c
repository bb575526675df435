#include "xai_cli.h"

#include "cli.h"
#include "nn_model_meta.h"
#include "ecgx/io.h"
#include "ecgx/progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void xai_cli_option_help(FILE *out)
{
    fprintf(out,
            "  --method M        ig|saliency|gxi|smoothgrad|deeplift|lrp|occlusion|ablation|\n"
            "                    gradcam|hirescam|gradcampp|layercam (default ig)\n"
            "  --target T        class name, class index, or top (default: top)\n"
            "  --layer NAME      attribute at this layer (CAMs: the layer the map comes from;\n"
            "                    default the last layer before global pooling)\n"
            "  --steps N         IG steps (default 64)\n"
            "  --batch N         inputs per forward pass (default: IG one per thread, occlusion 16)\n"
            "  --quadrature Q    trapezoid (default) or gl (Gauss-Legendre)\n"
            "  --baseline B      normal|zero|filtered|blurred (IG, DeepLIFT, occlusion; default\n"
            "                    normal for a 12-lead model: a synthetic normal ECG at the scale\n"
            "                    the model scores least like any class; zero otherwise)\n"
            "  --baseline-param P  filtered: low-pass cut-off Hz (1); blurred: Gaussian SD s (0.05);\n"
            "                    normal: amplitude scale (default: chosen per model)\n"
            "  --whole           explain one pass over the whole record instead of the window\n"
            "                    that gave the displayed (maximum) probability\n"
            "  --rule R          LRP rule: composite|epsilon|gamma|alphabeta|zbox (default composite)\n"
            "  --epsilon E, --gamma G, --alpha A   LRP parameters\n"
            "  --window N, --stride N   occlusion window and stride in samples (fs/2, window/2)\n"
            "  --nt-samples N    noise tunnel: N noisy copies around any method\n"
            "  --nt-sigma S      noise SD as a fraction of the input range (0.1)\n"
            "  --nt-kind K       mean|sq|var (SmoothGrad, SmoothGrad-squared, VarGrad)\n"
            "  --cam-signed      keep negative CAM values (no final ReLU)\n"
            "  --seed N          noise seed\n");
}

int xai_cli_option(const char *cmd, int argc, char **argv, int *i, ecgx_xai_options *o, const char **target)
{
    const char *v = NULL;
    int r, err = 0;
    if ((r = cli_opt(cmd, argc, argv, i, "--method", &v))) {
        if (r < 0) return -1;
        int mm = ecgx_xai_method_from_name(v);
        if (mm < 0) return cli_usage_error(cmd, "unknown method '%s'", v), -1;
        ecgx_xai_options n = ecgx_xai_options_default(mm);
        n.target = o->target;
        n.layer = o->layer;
        n.steps = o->steps;
        n.batch = o->batch;
        n.baseline = o->baseline;
        n.baseline_param = o->baseline_param;
        n.lrp_rule = o->lrp_rule;
        n.window = o->window;
        n.stride = o->stride;
        n.seed = o->seed;
        if (o->nt_samples) n.nt_samples = o->nt_samples;
        *o = n;
        return 1;
    }
    if ((r = cli_opt(cmd, argc, argv, i, "--target", &v))) return r < 0 ? -1 : (*target = v, 1);
    if ((r = cli_opt(cmd, argc, argv, i, "--layer", &v))) return r < 0 ? -1 : (o->layer = v, 1);
    if ((r = cli_opt_int(cmd, argc, argv, i, "--steps", &o->steps, &err))) return err || cli_check_int(cmd, "--steps", o->steps, 1, CLI_NO_MAX) ? -1 : 1;
    if ((r = cli_opt_int(cmd, argc, argv, i, "--batch", &o->batch, &err))) return err || cli_check_int(cmd, "--batch", o->batch, 1, CLI_NO_MAX) ? -1 : 1;
    if ((r = cli_opt_int(cmd, argc, argv, i, "--window", &o->window, &err))) return err ? -1 : 1;
    if ((r = cli_opt_int(cmd, argc, argv, i, "--stride", &o->stride, &err))) return err ? -1 : 1;
    if ((r = cli_opt_int(cmd, argc, argv, i, "--nt-samples", &o->nt_samples, &err))) return err ? -1 : 1;
    int seed = 0;
    if ((r = cli_opt_int(cmd, argc, argv, i, "--seed", &seed, &err))) return err ? -1 : (o->seed = (uint64_t)seed, 1);
    if ((r = cli_opt_double(cmd, argc, argv, i, "--nt-sigma", &o->nt_sigma, &err))) return err ? -1 : 1;
    if ((r = cli_opt_double(cmd, argc, argv, i, "--baseline-param", &o->baseline_param, &err))) return err ? -1 : 1;
    if ((r = cli_opt_double(cmd, argc, argv, i, "--epsilon", &o->lrp_epsilon, &err))) return err ? -1 : 1;
    if ((r = cli_opt_double(cmd, argc, argv, i, "--gamma", &o->lrp_gamma, &err))) return err ? -1 : 1;
    if ((r = cli_opt_double(cmd, argc, argv, i, "--alpha", &o->lrp_alpha, &err))) return err ? -1 : 1;
    if ((r = cli_opt(cmd, argc, argv, i, "--baseline", &v))) {
        if (r < 0) return -1;
        int b = ecgx_xai_baseline_from_name(v);
        if (b < 0) return cli_usage_error(cmd, "unknown baseline '%s' (normal, zero, filtered, blurred)", v), -1;
        o->baseline = b;
        return 1;
    }
    if ((r = cli_opt(cmd, argc, argv, i, "--rule", &v))) {
        if (r < 0) return -1;
        int b = ecgx_lrp_rule_from_name(v);
        if (b < 0) return cli_usage_error(cmd, "unknown LRP rule '%s'", v), -1;
        o->lrp_rule = b;
        return 1;
    }
    if ((r = cli_opt(cmd, argc, argv, i, "--quadrature", &v))) {
        if (r < 0) return -1;
        if (!strcmp(v, "trapezoid")) o->quadrature = ECGX_QUAD_TRAPEZOID;
        else if (!strcmp(v, "gl") || !strcmp(v, "gauss-legendre")) o->quadrature = ECGX_QUAD_GAUSS_LEGENDRE;
        else return cli_usage_error(cmd, "unknown quadrature '%s' (trapezoid, gl)", v), -1;
        return 1;
    }
    if ((r = cli_opt(cmd, argc, argv, i, "--nt-kind", &v))) {
        if (r < 0) return -1;
        if (!strcmp(v, "mean")) o->nt_kind = ECGX_NT_MEAN;
        else if (!strcmp(v, "sq")) o->nt_kind = ECGX_NT_SQ;
        else if (!strcmp(v, "var")) o->nt_kind = ECGX_NT_VAR;
        else return cli_usage_error(cmd, "unknown noise-tunnel kind '%s' (mean, sq, var)", v), -1;
        return 1;
    }
    if (!strcmp(argv[*i], "--cam-signed")) {
        o->cam_signed = 1;
        return 1;
    }
    return 0;
}

int xai_cli_target(const ecgx_model *m, const char *spec, int *target)
{
    *target = -1;
    if (!spec || !strcmp(spec, "top")) return 0;
    int c = ecgx_xai_class_from_name(m, spec);
    if (c >= 0) {
        *target = c;
        return 0;
    }
    char *end;
    long v = strtol(spec, &end, 10);
    if (*spec && !*end && v >= 0 && v < ecgx_model_n_classes(m)) {
        *target = (int)v;
        return 0;
    }
    return ecgx_error(ECGX_ERR_ARG, "the model has no class '%s'", spec);
}

void xai_cli_resolve_baseline(const ecgx_model *m, ecgx_xai_options *o)
{
    if ((int)o->baseline < 0) o->baseline = ecgx_xai_default_baseline(m);
}

int xai_cli_thresholds(const ecgx_model *m, double *thr)
{
    nn_model_meta mm;
    int K = ecgx_model_n_classes(m);
    if (K <= 64 && nn_model_meta_read(m, "model", &mm) == 0 && nn_model_thresholds(m, &mm, thr)) return 1;
    for (int k = 0; k < K && k < 64; k++) thr[k] = 0.5;
    return 0;
}

void xai_explained_free(xai_explained *e)
{
    ecgx_record_free(e->rec);
    free(e->x);
    free(e->probs);
    free(e->probs_whole);
    free(e->baseline_probs);
    ecgx_attribution_free(e->a);
    ecgx_fiducials_free(e->fid);
    free(e->seg);
    memset(e, 0, sizeof *e);
}

static void sigmoids(float *v, int K)
{
    for (int k = 0; k < K; k++) v[k] = 1.0f / (1.0f + expf(-v[k]));
}

int xai_cli_explain(ecgx_model *m, const char *path, ecgx_record *rec, const ecgx_xai_options *o, int whole,
                    xai_explained *e)
{
    memset(e, 0, sizeof *e);
    /* a short job: leave cores that other processes keep busy alone (the
     * per-layer barriers would wait for them); OMP_NUM_THREADS decides when set */
    if (!getenv("OMP_NUM_THREADS")) ecgx_nn_set_threads(ecgx_nn_threads_available());
    int rc = 0;
    if (rec) e->rec = rec;
    else rc = ecgx_record_read(path, &e->rec);
    if (rc < 0) return rc;
    nn_model_meta mm;
    if (!rc) rc = nn_model_meta_read(m, "the model", &mm);
    if (!rc) rc = ecgx_model_prepare_record(m, e->rec, 0, &e->x, &e->L, &e->fs, NULL, 0);
    int C = ecgx_model_in_channels(m), K = ecgx_model_n_classes(m);
    if (!rc && K > 64) rc = ecgx_error(ECGX_ERR_RANGE, "the model has %d classes (at most 64 here)", K);
    if (!rc) {
        e->thr_from_model = xai_cli_thresholds(m, e->thr);
        e->window = mm.window < e->L ? mm.window : e->L;
        e->stride = mm.stride;
        e->probs = malloc(sizeof(float) * K);
        e->probs_whole = malloc(sizeof(float) * K);
        e->baseline_probs = malloc(sizeof(float) * K);
        if (!e->probs || !e->probs_whole || !e->baseline_probs) rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    }
    /* the displayed probabilities (as ecgx predict) and the whole record's one pass */
    if (!rc) rc = ecgx_model_predict_windows(m, e->x, e->L, e->window, e->stride, e->probs, NULL);
    if (!rc) rc = ecgx_xai_logits(m, e->x, 1, e->L, 1, e->probs_whole);
    if (!rc) sigmoids(e->probs_whole, K);
    /* the baseline is scored only for the methods that compare with one (the others never see it) */
    int uses_base = ecgx_xai_method_uses_baseline(o->method);
    for (int k = 0; !rc && k < K; k++) e->baseline_probs[k] = NAN;
    if (!rc) {
        ecgx_xai_options oo = *o;
        oo.fs = e->fs;
        double t0 = ecgx_now();
        if (whole) {
            if (oo.target < 0) /* the class with the largest displayed probability, as windowed */
                for (int k = 0; k < K; k++)
                    if (oo.target < 0 || e->probs[k] > e->probs[oo.target]) oo.target = k;
            rc = ecgx_xai_attribute(m, e->x, e->L, &oo, &e->a);
            e->seconds = ecgx_now() - t0;
            if (!rc && uses_base) { /* the baseline as used, scored by the model */
                float *x0 = malloc(sizeof(float) * (size_t)C * e->L);
                rc = x0 ? ecgx_xai_make_baseline(e->x, C, e->L, e->a->baseline, e->a->baseline_param, e->fs, x0)
                        : ecgx_error(ECGX_ERR_NOMEM, "out of memory");
                if (!rc) rc = ecgx_xai_logits(m, x0, 1, e->L, 1, e->baseline_probs);
                free(x0);
            }
        } else {
            rc = ecgx_xai_attribute_windowed(m, e->x, e->L, e->window, e->stride, &oo, &e->a,
                                             uses_base ? e->baseline_probs : NULL);
            e->seconds = ecgx_now() - t0;
        }
        if (!rc && uses_base) sigmoids(e->baseline_probs, K);
        if (!rc) e->p_explained = 1.0 / (1.0 + exp(-e->a->logit));
    }
    if (!rc && e->a->channels == C && e->a->length == e->L) {
        if (ecgx_xai_record_fiducials(e->rec, e->fs, &e->fid) < 0) e->fid = NULL; /* no beats: no segments */
        e->seg = malloc((size_t)C * e->L);
        if (!e->seg) rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory");
        if (!rc) rc = ecgx_xai_segment_labels(e->fid, C, e->L, e->seg);
        if (!rc) rc = ecgx_xai_summarize(e->a, e->seg, &e->sum);
    } else if (!rc) {
        rc = ecgx_xai_summarize(e->a, NULL, &e->sum);
    }
    if (rc < 0) {
        if (rec) e->rec = NULL; /* the caller's */
        xai_explained_free(e);
    }
    return rc;
}

void xai_cli_explained_output(const xai_explained *e, const char *cls, char *buf, size_t n)
{
    const ecgx_attribution *a = e->a;
    double shown = e->probs[a->target];
    if (a->window_length > 0 && a->n_windows > 1)
        snprintf(buf, n, "%s probability %.3f, the maximum over %d windows of %.1f s: the window %.2f-%.2f s is explained "
                         "(its probability %.3f)", cls, shown, a->n_windows, a->window_length / e->fs,
                 a->window_start / e->fs, (a->window_start + a->window_length) / e->fs, e->p_explained);
    else if (a->window_length > 0)
        snprintf(buf, n, "%s probability %.3f, the record's one window (%.2f s) is explained (its probability %.3f)", cls,
                 shown, a->window_length / e->fs, e->p_explained);
    else
        snprintf(buf, n, "%s probability %.3f of one pass over the whole record (%.2f s) is explained; the displayed "
                         "probability (ecgx predict: the maximum over the model's windows) is %.3f%s", cls,
                 e->p_explained, e->L / e->fs, shown,
                 fabs(shown - e->p_explained) >= 0.0005 ? ": they differ" : "");
}

void xai_cli_baseline_line(const ecgx_model *m, const xai_explained *e, char *buf, size_t n)
{
    buf[0] = 0;
    if (!ecgx_xai_method_uses_baseline(e->a->method)) return;
    size_t k = 0;
    char cb[128];
    int K = ecgx_model_n_classes(m), t = e->a->target;
    if (e->a->baseline == ECGX_BASELINE_NORMAL)
        k += (size_t)snprintf(buf + k, n - k, "%s (scale %.2f), scored", ecgx_xai_baseline_name(e->a->baseline),
                              e->a->baseline_param);
    else k += (size_t)snprintf(buf + k, n - k, "%s, scored", ecgx_xai_baseline_name(e->a->baseline));
    for (int c = 0; c < K && k < n; c++)
        k += (size_t)snprintf(buf + k, n - k, " %s %.3f%s", ecgx_xai_class_name(m, c, cb, sizeof cb), e->baseline_probs[c],
                              e->baseline_probs[c] >= e->thr[c] ? "*" : "");
    if (k < n && e->baseline_probs[t] >= e->thr[t])
        k += (size_t)snprintf(buf + k, n - k, "; the baseline ALREADY scores %s above its threshold %.2f: the relevance "
                              "explains the difference from a baseline that has the class",
                              ecgx_xai_class_name(m, t, cb, sizeof cb), e->thr[t]);
    else if (k < n)
        k += (size_t)snprintf(buf + k, n - k, " (* = at or above threshold)");
}
