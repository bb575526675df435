/* Multi-label evaluation: per-class, macro and micro figures with bootstrap
 * percentile intervals. Records are resampled with replacement as a weight
 * vector (w[i] = how many times record i was drawn) over score orders sorted
 * once, so each resample costs O(n * classes). Resamples run in parallel,
 * each from its own PRNG stream, so results depend only on the seed. */
#include "eval/eval_internal.h"
#include "core/alloc.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { M_AUROC, M_AUPRC, M_SENS, M_SPEC, M_PPV, M_NPV, M_F1, N_METRICS };

typedef struct class_data {
    double *score;   /* n */
    uint8_t *label;  /* n */
    int64_t *order;  /* ascending by score */
    double thr;
    int defined;
    eval_view view;  /* for the bootstrap */
} class_data;

void ecgx_eval_options_default(ecgx_eval_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->rule = ECGX_THRESHOLD_YOUDEN;
    opt->target = 0.5;
    opt->n_bootstrap = 1000;
    opt->seed = 1;
    opt->ci_level = 0.95;
    opt->n_bins = 10;
}

void ecgx_eval_result_free(ecgx_eval_result *res)
{
    if (!res) return;
    free(res->classes);
    free(res);
}

static void metrics_vector(double auroc, double ap, const ecgx_confusion *cm, double *v)
{
    ecgx_binary_metrics bm;
    ecgx_eval_metrics_from_confusion(cm, 0, &bm);
    v[M_AUROC] = auroc;
    v[M_AUPRC] = ap;
    v[M_SENS] = bm.sensitivity;
    v[M_SPEC] = bm.specificity;
    v[M_PPV] = bm.ppv;
    v[M_NPV] = bm.npv;
    v[M_F1] = bm.f1;
}

static void set_interval(ecgx_eval_summary *s, int metric, ecgx_interval iv)
{
    switch (metric) {
    case M_AUROC: s->auroc_ci = iv; break;
    case M_AUPRC: s->auprc_ci = iv; break;
    case M_SENS: s->sensitivity_ci = iv; break;
    case M_SPEC: s->specificity_ci = iv; break;
    case M_PPV: s->ppv_ci = iv; break;
    case M_NPV: s->npv_ci = iv; break;
    default: s->f1_ci = iv; break;
    }
}

static void nan_intervals(ecgx_eval_summary *s)
{
    ecgx_interval none = {NAN, NAN};
    for (int m = 0; m < N_METRICS; m++) set_interval(s, m, none);
}

/* Intervals from B bootstrap values per metric (vals[m * B + b], NaN = skipped). */
static int intervals_from(double *vals, int B, double level, ecgx_eval_summary *s)
{
    double a = (1 - level) / 2;
    double *tmp = ecgx_malloc_array((size_t)B, sizeof *tmp, "bootstrap values");
    if (!tmp) return ECGX_ERR_NOMEM;
    for (int m = 0; m < N_METRICS; m++) {
        ecgx_interval iv;
        memcpy(tmp, vals + (size_t)m * B, (size_t)B * sizeof *tmp);
        iv.lo = eval_percentile(tmp, B, a);
        memcpy(tmp, vals + (size_t)m * B, (size_t)B * sizeof *tmp);
        iv.hi = eval_percentile(tmp, B, 1 - a);
        set_interval(s, m, iv);
    }
    free(tmp);
    return 0;
}

static double ece_or_nan(const double *score, const uint8_t *label, int64_t n, int n_bins)
{
    ecgx_calibration cal;
    for (int64_t i = 0; i < n; i++)
        if (!(score[i] >= 0 && score[i] <= 1)) return NAN; /* not probabilities */
    if (ecgx_eval_calibration(score, label, n, n_bins, &cal)) return NAN;
    double e = cal.ece;
    ecgx_calibration_free(&cal);
    return e;
}

int ecgx_eval_multilabel(const double *scores, const uint8_t *labels, int64_t n, int n_classes,
                         const ecgx_eval_options *opt_in, ecgx_eval_result **out)
{
    *out = NULL;
    ecgx_eval_options opt;
    if (opt_in) opt = *opt_in; else ecgx_eval_options_default(&opt);
    if (!scores || !labels || n <= 0 || n_classes <= 0)
        return ecgx_error(ECGX_ERR_ARG, "eval: need records and classes (n = %lld, classes = %d)",
                          (long long)n, n_classes);
    if (opt.n_bootstrap < 0 || opt.n_bootstrap > 1000000)
        return ecgx_error(ECGX_ERR_ARG, "eval: %d bootstrap resamples (must be 0..1000000)", opt.n_bootstrap);
    if (!(opt.ci_level > 0 && opt.ci_level < 1))
        return ecgx_error(ECGX_ERR_ARG, "eval: confidence level %g is not in (0, 1)", opt.ci_level);
    int rc = eval_check_inputs("eval", scores, labels, n * n_classes);
    if (rc) return rc;
    if ((size_t)n > SIZE_MAX / 16 / (size_t)n_classes) return ecgx_error(ECGX_ERR_NOMEM, "eval: too many records");

    size_t nf = (size_t)n * (size_t)n_classes;
    const int B = opt.n_bootstrap, C = n_classes;
    ecgx_eval_result *res = calloc(1, sizeof *res);
    class_data *cd = ecgx_calloc_array((size_t)C, sizeof *cd, "eval classes");
    double *col_score = ecgx_malloc_array(nf, sizeof(double), "eval scores");
    uint8_t *col_label = ecgx_malloc_array(nf, 1, "eval labels");
    int64_t *micro_order = NULL;
    eval_view micro_view = {0};
    double *boot = NULL, *wbuf = NULL;
    rc = ECGX_ERR_NOMEM;
    if (!res || !cd || !col_score || !col_label) goto fail;
    res->classes = ecgx_calloc_array((size_t)C, sizeof *res->classes, "eval class results");
    if (!res->classes) goto fail;
    res->n_classes = C;
    res->n = n;
    res->n_bootstrap = B;
    res->ci_level = opt.ci_level;

    /* Per-class columns, orders and thresholds. */
    for (int c = 0; c < C; c++) {
        class_data *d = &cd[c];
        d->score = col_score + (size_t)c * n;
        d->label = col_label + (size_t)c * n;
        for (int64_t i = 0; i < n; i++) {
            d->score[i] = scores[(size_t)i * C + c];
            d->label[i] = labels[(size_t)i * C + c];
        }
        if ((rc = eval_sort_ascending(d->score, n, &d->order))) goto fail;
        double P, N;
        eval_class_weights(d->label, NULL, n, &P, &N);
        ecgx_eval_class *r = &res->classes[c];
        r->n_pos = (int64_t)P;
        r->n_neg = (int64_t)N;
        d->defined = r->defined = P > 0 && N > 0;
        if (opt.thresholds) {
            d->thr = opt.thresholds[c];
            if (!isfinite(d->thr)) { rc = ecgx_error(ECGX_ERR_ARG, "eval: threshold of class %d is not finite", c); goto fail; }
        } else if (opt.rule == ECGX_THRESHOLD_FIXED) {
            d->thr = opt.target;
        } else if (P > 0 && (N > 0 || opt.rule != ECGX_THRESHOLD_YOUDEN)) {
            if ((rc = ecgx_eval_choose_threshold(d->score, d->label, n, opt.rule, opt.target, &d->thr))) goto fail;
        } else {
            d->thr = NAN;
        }
        ecgx_confusion cm;
        eval_confusion(d->score, d->label, NULL, n, d->thr, &cm);
        r->s.auroc = eval_auroc_sorted(d->score, d->label, d->order, NULL, n);
        r->s.auprc = eval_ap_sorted(d->score, d->label, d->order, NULL, n);
        ecgx_eval_metrics_from_confusion(&cm, d->thr, &r->s.at);
        r->s.ece = ece_or_nan(d->score, d->label, n, opt.n_bins);
        nan_intervals(&r->s);
        if (opt.n_bootstrap > 0 && (rc = eval_view_build(d->score, d->label, d->order, n, 1, d->thr, &d->view))) goto fail;
    }

    /* Macro: the mean over defined classes; micro: pooled pairs. */
    {
        ecgx_eval_summary *ma = &res->macro, *mi = &res->micro;
        double v[N_METRICS], acc[N_METRICS] = {0}, ece_acc = 0;
        int cnt[N_METRICS] = {0}, ece_cnt = 0;
        ecgx_confusion pooled = {0, 0, 0, 0};
        for (int c = 0; c < C; c++) {
            ecgx_eval_summary *s = &res->classes[c].s;
            pooled.tp += s->at.cm.tp; pooled.fp += s->at.cm.fp;
            pooled.tn += s->at.cm.tn; pooled.fn += s->at.cm.fn;
            if (!cd[c].defined) continue;
            metrics_vector(s->auroc, s->auprc, &s->at.cm, v);
            for (int m = 0; m < N_METRICS; m++)
                if (isfinite(v[m])) { acc[m] += v[m]; cnt[m]++; }
            if (isfinite(s->ece)) { ece_acc += s->ece; ece_cnt++; }
        }
        for (int m = 0; m < N_METRICS; m++) v[m] = cnt[m] ? acc[m] / cnt[m] : NAN;
        memset(ma, 0, sizeof *ma);
        ma->auroc = v[M_AUROC];
        ma->auprc = v[M_AUPRC];
        ma->at.threshold = NAN;
        ma->at.cm = pooled;
        ma->at.sensitivity = v[M_SENS];
        ma->at.specificity = v[M_SPEC];
        ma->at.ppv = v[M_PPV];
        ma->at.npv = v[M_NPV];
        ma->at.f1 = v[M_F1];
        ma->at.accuracy = NAN;
        ma->ece = ece_cnt ? ece_acc / ece_cnt : NAN;
        nan_intervals(ma);

        if ((rc = eval_sort_ascending(scores, (int64_t)nf, &micro_order))) goto fail;
        mi->auroc = eval_auroc_sorted(scores, labels, micro_order, NULL, (int64_t)nf);
        mi->auprc = eval_ap_sorted(scores, labels, micro_order, NULL, (int64_t)nf);
        ecgx_eval_metrics_from_confusion(&pooled, NAN, &mi->at);
        mi->ece = ece_or_nan(scores, labels, (int64_t)nf, opt.n_bins);
        nan_intervals(mi);
    }

    if (B > 0) {
        /* boot layout: class c at [(c * N_METRICS + m) * B + b], then macro, then micro. */
        size_t per = (size_t)N_METRICS * B;
        boot = ecgx_malloc_array((size_t)(C + 2) * per, sizeof(double), "bootstrap values");
        int nth = omp_get_max_threads();
        if (nth < 1) nth = 1;
        if ((rc = eval_view_build(scores, labels, micro_order, (int64_t)nf, C, NAN, &micro_view))) goto fail;
        size_t wstride = (size_t)n + 2 * nf; /* weights, then group sums (positive, negative) */
        wbuf = ecgx_malloc_array((size_t)nth * wstride, sizeof(double), "bootstrap weights");
        if (!boot || !wbuf) { rc = ECGX_ERR_NOMEM; goto fail; }
        int n_def = 0;
        for (int c = 0; c < C; c++) n_def += cd[c].defined;
#pragma omp parallel num_threads(nth)
        {
            double *w = wbuf + (size_t)omp_get_thread_num() * wstride;
            double *gp = w + n, *gn = gp + nf;
#pragma omp for schedule(dynamic, 4)
            for (int b = 0; b < B; b++) {
                eval_resample(opt.seed, b, w, n);
                double v[N_METRICS], macro_acc[N_METRICS] = {0};
                int macro_cnt[N_METRICS] = {0}, macro_ok = n_def > 0;
                ecgx_confusion pooled = {0, 0, 0, 0};
                for (int c = 0; c < C; c++) {
                    class_data *d = &cd[c];
                    ecgx_confusion cm;
                    double auc, ap;
                    eval_view_metrics(&d->view, w, gp, gn, &auc, &ap, &cm);
                    pooled.tp += cm.tp; pooled.fp += cm.fp; pooled.tn += cm.tn; pooled.fn += cm.fn;
                    int ok = d->defined && cm.tp + cm.fn > 0 && cm.tn + cm.fp > 0;
                    if (ok) {
                        metrics_vector(auc, ap, &cm, v);
                        for (int m = 0; m < N_METRICS; m++)
                            if (isfinite(v[m])) { macro_acc[m] += v[m]; macro_cnt[m]++; }
                    } else {
                        for (int m = 0; m < N_METRICS; m++) v[m] = NAN;
                        if (d->defined) macro_ok = 0;
                    }
                    for (int m = 0; m < N_METRICS; m++) boot[((size_t)c * N_METRICS + m) * B + b] = v[m];
                }
                for (int m = 0; m < N_METRICS; m++)
                    boot[((size_t)C * N_METRICS + m) * B + b] =
                        macro_ok && macro_cnt[m] ? macro_acc[m] / macro_cnt[m] : NAN;
                /* micro: every pair weighted by its record's count */
                if (pooled.tp + pooled.fn > 0 && pooled.tn + pooled.fp > 0) {
                    double auc, ap;
                    eval_view_metrics(&micro_view, w, gp, gn, &auc, &ap, NULL);
                    metrics_vector(auc, ap, &pooled, v);
                } else {
                    for (int m = 0; m < N_METRICS; m++) v[m] = NAN;
                }
                for (int m = 0; m < N_METRICS; m++) boot[((size_t)(C + 1) * N_METRICS + m) * B + b] = v[m];
            }
        }
        /* A resample was skipped for a class when its AUROC could not be computed. */
        for (int c = 0; c < C + 2; c++) {
            int skipped = 0;
            for (int b = 0; b < B; b++) skipped += isnan(boot[((size_t)c * N_METRICS + M_AUROC) * B + b]);
            ecgx_eval_summary *s = c < C ? &res->classes[c].s : c == C ? &res->macro : &res->micro;
            if (c < C) res->classes[c].n_skipped = skipped;
            else if (c == C) res->macro_n_skipped = skipped;
            else res->micro_n_skipped = skipped;
            if ((rc = intervals_from(boot + (size_t)c * per, B, opt.ci_level, s))) goto fail;
        }
    }
    for (int c = 0; c < C; c++) { free(cd[c].order); eval_view_free(&cd[c].view); }
    eval_view_free(&micro_view);
    free(cd); free(col_score); free(col_label); free(micro_order); free(boot); free(wbuf);
    *out = res;
    return 0;
fail:
    if (cd) for (int c = 0; c < C; c++) { free(cd[c].order); eval_view_free(&cd[c].view); }
    eval_view_free(&micro_view);
    free(cd); free(col_score); free(col_label); free(micro_order); free(boot); free(wbuf);
    ecgx_eval_result_free(res);
    return rc < 0 ? rc : ECGX_ERR_NOMEM;
}
