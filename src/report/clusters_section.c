/* The network's time-localised clusters (ecgx clusters) in the report: the
 * record assigned by a clusters file fitted on the report's model, each
 * cluster named by the wave it mostly covers, its share of the record and
 * the mean assignment entropy. The same path as `ecgx clusters apply`
 * (ecgx_clusters_assign_record), so the numbers agree on the same record. */
#include "ecgx/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecgx_report_clusters_free(ecgx_report_clusters *c)
{
    if (!c) return;
    ecgx_clusters_record_free(&c->assignment);
    ecgx_clusters_free(c->clusters);
    free(c);
}

int ecgx_report_clusters_build(const char *path, ecgx_model *m, const ecgx_record *rec, ecgx_report_clusters **out)
{
    *out = NULL;
    if (!path || !m || !rec) return ecgx_error(ECGX_ERR_ARG, "report: clusters: no file, model or record");
    ecgx_report_clusters *c = calloc(1, sizeof *c);
    if (!c) return ecgx_error(ECGX_ERR_NOMEM, "report: out of memory");
    int rc;
    /* assigning needs the mixture, not the surrogate (most of the file) */
    if ((rc = ecgx_clusters_load_ex(path, ECGX_CLUSTERS_NO_SURROGATE, &c->clusters)) < 0 ||
        (rc = ecgx_clusters_check_model(c->clusters, m, path)) < 0 ||
        (rc = ecgx_clusters_assign_record(c->clusters, m, rec, &c->assignment)) < 0) {
        ecgx_report_clusters_free(c);
        return rc;
    }
    snprintf(c->source, sizeof c->source, "%s", path);
    c->k = c->assignment.k;
    for (int j = 0; j < c->k; j++) {
        int w = c->clusters->wave_of[j];
        if (w < 0 || w >= ECGX_CW_N) snprintf(c->name[j], sizeof c->name[j], "cluster %d", j);
        else snprintf(c->name[j], sizeof c->name[j], "%s-like", ecgx_clusters_wave_name(w));
        c->proportion[j] = c->assignment.proportion[j];
    }
    c->mean_entropy = c->assignment.mean_entropy;
    c->max_entropy = log((double)c->k);
    c->lead = 1; /* II, the rhythm lead */
    if (c->lead >= rec->n_leads) c->lead = 0;
    *out = c;
    return 0;
}

int ecgx_report_clusters_json(const ecgx_report_clusters *c, char **json)
{
    *json = NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return ecgx_error(ECGX_ERR_NOMEM, "report: out of memory");
    cJSON_AddStringToObject(o, "source", c->source);
    cJSON_AddNumberToObject(o, "k", c->k);
    cJSON_AddNumberToObject(o, "mean_entropy", c->mean_entropy);
    cJSON_AddNumberToObject(o, "max_entropy", c->max_entropy);
    cJSON *cs = cJSON_AddArrayToObject(o, "clusters");
    for (int j = 0; j < c->k; j++) {
        cJSON *x = cJSON_CreateObject();
        int w = c->clusters->wave_of[j];
        cJSON_AddNumberToObject(x, "cluster", j);
        cJSON_AddStringToObject(x, "name", c->name[j]);
        if (w >= 0 && w < ECGX_CW_N) cJSON_AddStringToObject(x, "wave", ecgx_clusters_wave_name(w));
        else cJSON_AddNullToObject(x, "wave");
        cJSON_AddNumberToObject(x, "proportion", c->proportion[j]);
        cJSON_AddItemToArray(cs, x);
    }
    *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *json ? 0 : ecgx_error(ECGX_ERR_NOMEM, "report: out of memory");
}
