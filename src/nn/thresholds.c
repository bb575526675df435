/* Decision thresholds carried in a model's metadata, so that every command
 * (predict, eval, report) calls a class positive at the same point, chosen
 * once on validation data (ecgx train, ecgx eval --store-thresholds). */
#include "ecgx/nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Class k's name: the k-th of "classes", else "class<k>". */
static void class_name(const ecgx_model *m, int k, char *buf, size_t n)
{
    const char *p = ecgx_model_meta(m, "classes");
    for (int i = 0; p && *p; i++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (i == k) {
            snprintf(buf, n, "%.*s", (int)len, p);
            return;
        }
        if (!e) break;
        p = e + 1;
    }
    snprintf(buf, n, "class%d", k);
}

int ecgx_model_thresholds(const ecgx_model *m, double *thr, const char **rule)
{
    int K = ecgx_model_n_classes(m), got = 0;
    char name[128];
    for (int k = 0; k < K; k++) thr[k] = NAN;
    if (rule) *rule = ecgx_model_meta(m, "thresholds_rule");
    const char *all = ecgx_model_meta(m, "thresholds");
    char *copy = all ? strdup(all) : NULL, *save = NULL;
    int idx = 0;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save), idx++) {
        char *colon = strchr(tok, ':'), *end;
        if (colon) {
            *colon = 0;
            double v = strtod(colon + 1, &end);
            for (int k = 0; k < K && end != colon + 1; k++) {
                class_name(m, k, name, sizeof name);
                if (!strcmp(name, tok)) thr[k] = v;
            }
        } else if (idx < K) {
            double v = strtod(tok, &end);
            if (end != tok) thr[idx] = v;
        }
    }
    free(copy);
    for (int k = 0; k < K; k++) {
        char key[160];
        class_name(m, k, name, sizeof name);
        snprintf(key, sizeof key, "threshold_%s", name);
        const char *v = ecgx_model_meta(m, key);
        char *end;
        double d = v ? strtod(v, &end) : NAN;
        if (v && end != v) thr[k] = d;
    }
    for (int k = 0; k < K; k++) got += isfinite(thr[k]) && thr[k] >= 0 && thr[k] <= 1;
    return got == K;
}

int ecgx_model_set_thresholds(ecgx_model *m, const double *thr, const char *rule)
{
    int K = ecgx_model_n_classes(m);
    size_t cap = (size_t)K * 160 + 1, len = 0;
    char *buf = malloc(cap), name[128];
    if (!buf) return ecgx_error(ECGX_ERR_NOMEM, "thresholds: out of memory");
    buf[0] = 0;
    for (int k = 0; k < K; k++) {
        class_name(m, k, name, sizeof name);
        if (!(isfinite(thr[k]) && thr[k] >= 0 && thr[k] <= 1)) {
            free(buf);
            return ecgx_error(ECGX_ERR_RANGE, "thresholds: class %s: %g is not a probability in [0, 1]", name, thr[k]);
        }
        /* %.17g: the stored value is exactly the one chosen, so a score equal
         * to it is called positive here as where it was chosen */
        len += (size_t)snprintf(buf + len, cap - len, "%s%s:%.17g", k ? "," : "", name, thr[k]);
    }
    int rc = ecgx_model_set_meta(m, "thresholds", buf);
    if (!rc) rc = ecgx_model_set_meta(m, "thresholds_rule", rule ? rule : "unstated");
    free(buf);
    return rc;
}
