/* Decisions at a threshold and the rules that choose one. */
#include "eval/eval_internal.h"
#include "core/strutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double ratio(double a, double b) { return b > 0 ? a / b : NAN; }

void ecgx_eval_metrics_from_confusion(const ecgx_confusion *cm, double threshold, ecgx_binary_metrics *out)
{
    out->threshold = threshold;
    out->cm = *cm;
    out->sensitivity = ratio(cm->tp, cm->tp + cm->fn);
    out->specificity = ratio(cm->tn, cm->tn + cm->fp);
    out->ppv = ratio(cm->tp, cm->tp + cm->fp);
    out->npv = ratio(cm->tn, cm->tn + cm->fn);
    out->f1 = ratio(2 * cm->tp, 2 * cm->tp + cm->fp + cm->fn);
    out->accuracy = ratio(cm->tp + cm->tn, cm->tp + cm->tn + cm->fp + cm->fn);
}

int ecgx_eval_at_threshold(const double *score, const uint8_t *label, int64_t n, double threshold,
                           ecgx_binary_metrics *out)
{
    int rc = eval_check_inputs("threshold metrics", score, label, n);
    if (rc) return rc;
    if (isnan(threshold)) return ecgx_error(ECGX_ERR_ARG, "threshold metrics: threshold is NaN");
    ecgx_confusion cm;
    eval_confusion(score, label, NULL, n, threshold, &cm);
    ecgx_eval_metrics_from_confusion(&cm, threshold, out);
    return 0;
}

int ecgx_eval_choose_threshold(const double *score, const uint8_t *label, int64_t n,
                               ecgx_threshold_rule rule, double target, double *threshold)
{
    int rc = eval_check_inputs("threshold choice", score, label, n);
    if (rc) return rc;
    if (rule == ECGX_THRESHOLD_FIXED) {
        if (!isfinite(target)) return ecgx_error(ECGX_ERR_ARG, "threshold choice: fixed threshold is not finite");
        *threshold = target;
        return 0;
    }
    if (rule != ECGX_THRESHOLD_YOUDEN && rule != ECGX_THRESHOLD_F1 && rule != ECGX_THRESHOLD_SENSITIVITY)
        return ecgx_error(ECGX_ERR_ARG, "threshold choice: unknown rule %d", (int)rule);
    if (rule == ECGX_THRESHOLD_SENSITIVITY && !(target > 0 && target <= 1))
        return ecgx_error(ECGX_ERR_ARG, "threshold choice: target sensitivity %g is not in (0, 1]", target);
    double P, N;
    eval_class_weights(label, NULL, n, &P, &N);
    if (P == 0) return ecgx_error(ECGX_ERR_RANGE, "threshold choice: no positive record");
    if (N == 0 && rule == ECGX_THRESHOLD_YOUDEN)
        return ecgx_error(ECGX_ERR_RANGE, "threshold choice: no negative record (Youden needs both)");
    int64_t *order;
    if ((rc = eval_sort_ascending(score, n, &order))) return rc;
    /* Walk the distinct scores from the highest down; at each, "positive" means
     * score >= that value. Strict improvement keeps the higher threshold on ties. */
    double tp = 0, fp = 0, best = -INFINITY, best_t = score[order[n - 1]];
    int64_t b = n;
    while (b > 0) {
        double s = score[order[b - 1]];
        int64_t a = b;
        for (; a > 0 && score[order[a - 1]] == s; a--) {
            if (label[order[a - 1]]) tp++; else fp++;
        }
        b = a;
        double v;
        if (rule == ECGX_THRESHOLD_YOUDEN) v = tp / P - fp / N;
        else if (rule == ECGX_THRESHOLD_F1) v = 2 * tp / (2 * tp + fp + (P - tp));
        else {
            if (tp / P >= target) { best_t = s; break; }
            continue;
        }
        if (v > best) { best = v; best_t = s; }
    }
    free(order);
    *threshold = best_t;
    return 0;
}

static const char *const rule_names[] = {"fixed", "youden", "f1", "sensitivity"};

int ecgx_threshold_rule_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp_ascii(s, rule_names[i]) == 0) return i;
    return -1;
}

const char *ecgx_threshold_rule_name(ecgx_threshold_rule rule)
{
    return (unsigned)rule < 4 ? rule_names[rule] : "unknown";
}

int ecgx_threshold_spec_parse(const char *s, ecgx_threshold_rule *rule, double *target)
{
    const char *colon = s ? strchr(s, ':') : NULL;
    char name[32];
    size_t len = colon ? (size_t)(colon - s) : (s ? strlen(s) : 0);
    if (!s || len >= sizeof name) return ecgx_error(ECGX_ERR_ARG, "threshold rule '%s': use f1, youden or sensitivity:S", s ? s : "");
    memcpy(name, s, len);
    name[len] = 0;
    int r = ecgx_threshold_rule_parse(name);
    if (r != ECGX_THRESHOLD_F1 && r != ECGX_THRESHOLD_YOUDEN && r != ECGX_THRESHOLD_SENSITIVITY)
        return ecgx_error(ECGX_ERR_ARG, "threshold rule '%s': use f1, youden or sensitivity:S", s);
    double t = r == ECGX_THRESHOLD_SENSITIVITY ? 0.9 : 0;
    if (colon && (r != ECGX_THRESHOLD_SENSITIVITY || ecgx_parse_double(colon + 1, &t) || !(t > 0 && t <= 1)))
        return ecgx_error(ECGX_ERR_ARG, "threshold rule '%s': %s", s,
                          r == ECGX_THRESHOLD_SENSITIVITY ? "the target sensitivity must be in (0, 1]"
                                                          : "only sensitivity takes a value");
    *rule = (ecgx_threshold_rule)r;
    *target = t;
    return 0;
}

void ecgx_threshold_spec_format(ecgx_threshold_rule rule, double target, char *buf, size_t n)
{
    if (rule == ECGX_THRESHOLD_SENSITIVITY) snprintf(buf, n, "sensitivity:%g", target);
    else snprintf(buf, n, "%s", ecgx_threshold_rule_name(rule));
}

int ecgx_eval_choose_thresholds(const double *scores, const uint8_t *labels, int64_t n, int n_classes,
                                ecgx_threshold_rule rule, double target, double *thr, int *n_chosen)
{
    if (n_classes < 1 || n < 1 || !scores || !labels || !thr)
        return ecgx_error(ECGX_ERR_ARG, "threshold choice: need records and classes (n = %lld, classes = %d)",
                          (long long)n, n_classes);
    double *s = malloc(sizeof(double) * (size_t)n);
    uint8_t *y = malloc((size_t)n);
    if (!s || !y) {
        free(s);
        free(y);
        return ecgx_error(ECGX_ERR_NOMEM, "threshold choice: out of memory");
    }
    int rc = 0, chosen = 0;
    for (int c = 0; c < n_classes && !rc; c++) {
        int64_t pos = 0;
        for (int64_t i = 0; i < n; i++) {
            s[i] = scores[i * n_classes + c];
            y[i] = labels[i * n_classes + c];
            pos += y[i] != 0;
        }
        thr[c] = NAN;
        /* a class this data cannot decide keeps NaN; only bad input is an error */
        if (pos == 0 || (rule == ECGX_THRESHOLD_YOUDEN && pos == n)) continue;
        rc = ecgx_eval_choose_threshold(s, y, n, rule, target, &thr[c]);
        chosen += rc == 0;
    }
    free(s);
    free(y);
    if (n_chosen) *n_chosen = chosen;
    return rc;
}

void ecgx_threshold_format(double t, char *buf, size_t n)
{
    snprintf(buf, n, "%.3f", t);
    if (!isfinite(t) || t <= 0 || t >= 1) return;
    /* the fewest decimals whose rounding stays strictly inside (0, 1) */
    for (int d = 3; d <= 11; d++) {
        snprintf(buf, n, "%.*f", d, t);
        double back = strtod(buf, NULL);
        if (back > 0 && back < 1) return;
    }
}
