/* The measurement model (ecgx trees) beside the CNN in the report: the same
 * record's measurements through a trees file, per class the probability,
 * the call at the trees' stored threshold, the reasons with the largest
 * |SHAP| in clinical words, and whether the call differs from the CNN's.
 * The computation is the one `ecgx trees explain` makes (record columns in
 * the record's unit, ecgx_trees_predict, ecgx_trees_shap, ecgx_trees_reason),
 * so the two agree on the same record. */
#include "ecgx/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecgx_report_trees_free(ecgx_report_trees *t)
{
    if (!t) return;
    free(t->classes);
    free(t);
}

int ecgx_report_trees_build(const char *path, const ecgx_record *rec, const ecgx_features *f,
                            const ecgx_report_prediction *cnn, int n_cnn, ecgx_report_trees **out)
{
    *out = NULL;
    if (!path || !rec) return ecgx_error(ECGX_ERR_ARG, "report: trees: no file or record");
    ecgx_trees *m = NULL;
    ecgx_features *cols = NULL;
    ecgx_report_trees *t = NULL;
    char **names = NULL;
    double *phi = NULL;
    int rc = ecgx_trees_load(path, &m);
    if (rc < 0) return rc; /* the trees module's message names the file */
    const char *unit = rec->n_leads ? rec->leads[0].units : "";
    if ((rc = ecgx_trees_record_columns(f, unit, rec->age, rec->sex, &cols)) < 0) goto done;
    int K = ecgx_trees_n_classes(m);
    t = calloc(1, sizeof *t);
    names = malloc(sizeof *names * (size_t)(cols->n > 0 ? cols->n : 1));
    if (!t || !names || !(t->classes = calloc((size_t)(K > 0 ? K : 1), sizeof *t->classes))) {
        rc = ecgx_error(ECGX_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    for (int j = 0; j < cols->n; j++) names[j] = cols->names[j];
    snprintf(t->source, sizeof t->source, "%s", path);
    snprintf(t->label_set, sizeof t->label_set, "%s", ecgx_trees_label_set(m) ? ecgx_trees_label_set(m) : "");
    t->n_classes = K;
    t->measured = f != NULL;
    for (int k = 0; k < K; k++) {
        ecgx_report_tree_class *c = &t->classes[k];
        int nf = ecgx_trees_n_features(m, k);
        free(phi);
        if (!(phi = malloc(sizeof *phi * (size_t)(nf + 1)))) {
            rc = ecgx_error(ECGX_ERR_NOMEM, "report: out of memory");
            goto done;
        }
        if ((rc = ecgx_trees_predict(m, k, cols->values, 1, names, cols->n, &c->margin, &c->probability)) < 0 ||
            (rc = ecgx_trees_shap(m, k, cols->values, 1, names, cols->n, phi)) < 0)
            goto done;
        snprintf(c->label, sizeof c->label, "%s", ecgx_trees_class_name(m, k));
        c->base = phi[nf];
        c->threshold = ecgx_trees_threshold(m, k);
        c->positive = c->probability >= c->threshold;
        c->cnn_probability = c->cnn_threshold = NAN;
        for (int i = 0; cnn && i < n_cnn; i++)
            if (cnn[i].label && !strcmp(cnn[i].label, c->label)) {
                c->has_cnn = 1;
                c->cnn_probability = cnn[i].probability;
                c->cnn_threshold = cnn[i].threshold;
                c->cnn_positive = cnn[i].positive;
                c->disagree = c->cnn_positive != c->positive;
                t->n_disagree += c->disagree;
            }
        /* the top reasons: selection by |SHAP|, largest first (ties: the model's feature order) */
        int used[ECGX_REPORT_TREE_REASONS];
        for (int r = 0; r < ECGX_REPORT_TREE_REASONS && r < nf; r++) {
            int best = -1;
            for (int j = 0; j < nf; j++) {
                int taken = 0;
                for (int q = 0; q < r; q++) taken |= used[q] == j;
                if (!taken && (best < 0 || fabs(phi[j]) > fabs(phi[best]))) best = j;
            }
            if (best < 0 || phi[best] == 0) break; /* a feature the trees never split on says nothing */
            used[r] = best;
            const char *fn = ecgx_trees_feature(m, k, best);
            double v = ecgx_features_get(cols, fn);
            snprintf(c->reason_feature[r], sizeof c->reason_feature[r], "%s", fn);
            c->reason_value[r] = v;
            c->reason_shap[r] = phi[best];
            ecgx_trees_reason(fn, v, phi[best], c->label, c->reason[r], sizeof c->reason[r]);
            c->n_reasons = r + 1;
        }
    }
    *out = t;
    t = NULL;
    rc = 0;
done:
    free(phi);
    free(names);
    ecgx_report_trees_free(t);
    ecgx_features_free(cols);
    ecgx_trees_free(m);
    return rc;
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

int ecgx_report_trees_json(const ecgx_report_trees *t, char **json)
{
    *json = NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return ecgx_error(ECGX_ERR_NOMEM, "report: out of memory");
    cJSON_AddStringToObject(o, "source", t->source);
    cJSON_AddStringToObject(o, "label_set", t->label_set);
    cJSON_AddNumberToObject(o, "n_disagree", t->n_disagree);
    cJSON_AddBoolToObject(o, "measured", t->measured);
    cJSON *cs = cJSON_AddObjectToObject(o, "classes");
    for (int k = 0; k < t->n_classes; k++) {
        const ecgx_report_tree_class *c = &t->classes[k];
        cJSON *x = cJSON_AddObjectToObject(cs, c->label);
        cJSON_AddItemToObject(x, "probability", num_or_null(c->probability));
        cJSON_AddItemToObject(x, "threshold", num_or_null(c->threshold));
        cJSON_AddBoolToObject(x, "positive", c->positive);
        cJSON_AddItemToObject(x, "margin", num_or_null(c->margin));
        cJSON_AddItemToObject(x, "base", num_or_null(c->base));
        if (c->has_cnn) {
            cJSON_AddItemToObject(x, "cnn_probability", num_or_null(c->cnn_probability));
            cJSON_AddItemToObject(x, "cnn_threshold", num_or_null(c->cnn_threshold));
            cJSON_AddBoolToObject(x, "cnn_positive", c->cnn_positive);
            cJSON_AddBoolToObject(x, "disagree", c->disagree);
        } else {
            cJSON_AddNullToObject(x, "cnn_probability");
            cJSON_AddNullToObject(x, "disagree");
        }
        cJSON *rs = cJSON_AddArrayToObject(x, "reasons");
        cJSON *sh = cJSON_AddObjectToObject(x, "shap");
        for (int r = 0; r < c->n_reasons; r++) {
            cJSON_AddItemToArray(rs, cJSON_CreateString(c->reason[r]));
            cJSON_AddNumberToObject(sh, c->reason_feature[r], c->reason_shap[r]);
        }
    }
    *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *json ? 0 : ecgx_error(ECGX_ERR_NOMEM, "report: out of memory");
}
