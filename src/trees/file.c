/* The trees file: one JSON document, "format": "ecgx-trees", version 1,
 * holding per class the XGBoost model as XGBoost's own JSON, as a string
 * (any XGBoost loads it: xgboost.Booster().load_model(bytearray(s, "utf-8"))),
 * its feature subset, threshold and elimination curve. Also the accessors
 * and the destructor of the model. */
#include "trees/internal.h"
#include "ecgx/outfile.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void trees_class_free(trees_class *k)
{
    if (k->bst) XGBoosterFree(k->bst);
    for (int j = 0; k->features && j < k->nf; j++) free(k->features[j]);
    free(k->features);
    free(k->name);
    free(k->rfe_nf);
    free(k->rfe_auroc);
    memset(k, 0, sizeof *k);
}

void ecgx_trees_free(ecgx_trees *m)
{
    if (!m) return;
    for (int c = 0; c < m->n_classes && m->cls; c++) trees_class_free(&m->cls[c]);
    free(m->cls);
    free(m->label_set);
    free(m);
}

int ecgx_trees_n_classes(const ecgx_trees *m) { return m->n_classes; }
const char *ecgx_trees_class_name(const ecgx_trees *m, int c) { return c >= 0 && c < m->n_classes ? m->cls[c].name : NULL; }
const char *ecgx_trees_label_set(const ecgx_trees *m) { return m->label_set; }
double ecgx_trees_threshold(const ecgx_trees *m, int c) { return m->cls[c].threshold; }
double ecgx_trees_age_threshold(const ecgx_trees *m) { return m->age_threshold; }
int ecgx_trees_n_features(const ecgx_trees *m, int c) { return m->cls[c].nf; }
const char *ecgx_trees_feature(const ecgx_trees *m, int c, int j) { return m->cls[c].features[j]; }
int ecgx_trees_best_iteration(const ecgx_trees *m, int c) { return m->cls[c].best_iteration; }
int ecgx_trees_rfe_curve(const ecgx_trees *m, int c, int *n_steps, const int **n_features, const double **auroc)
{
    if (c < 0 || c >= m->n_classes) return ecgx_error(ECGX_ERR_ARG, "trees: no class %d", c);
    *n_steps = m->cls[c].n_rfe;
    *n_features = m->cls[c].rfe_nf;
    *auroc = m->cls[c].rfe_auroc;
    return 0;
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

int ecgx_trees_save(const ecgx_trees *m, const char *path)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "ecgx-trees");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "label_set", m->label_set);
    cJSON_AddItemToObject(root, "age_threshold", num(m->age_threshold));
    cJSON *tr = cJSON_AddObjectToObject(root, "training");
    cJSON_AddNumberToObject(tr, "num_rounds", m->opt.num_rounds);
    cJSON_AddNumberToObject(tr, "early_stopping", m->opt.early_stopping);
    cJSON_AddBoolToObject(tr, "class_weights", m->opt.class_weights);
    cJSON_AddBoolToObject(tr, "rfe", m->opt.rfe);
    cJSON_AddNumberToObject(tr, "rfe_drop", m->opt.rfe_drop);
    cJSON_AddNumberToObject(tr, "rfe_min", m->opt.rfe_min);
    cJSON_AddNumberToObject(tr, "rfe_tolerance", m->opt.rfe_tolerance);
    cJSON *pa = cJSON_AddObjectToObject(tr, "params");
    for (int k = 0; k < m->opt.n_params; k++) cJSON_AddStringToObject(pa, m->opt.params[k][0], m->opt.params[k][1]);
    cJSON *arr = cJSON_AddArrayToObject(root, "classes");
    int rc = 0;
    for (int c = 0; !rc && c < m->n_classes; c++) {
        const trees_class *k = &m->cls[c];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", k->name);
        cJSON_AddNumberToObject(o, "label_column", k->source_class);
        cJSON_AddItemToObject(o, "threshold", num(k->threshold));
        cJSON_AddNumberToObject(o, "best_iteration", k->best_iteration);
        cJSON_AddItemToObject(o, "val_auroc", num(k->val_auroc));
        cJSON_AddItemToObject(o, "scale_pos_weight", num(k->scale_pos_weight));
        cJSON_AddNumberToObject(o, "train_positives", k->n_pos);
        cJSON_AddNumberToObject(o, "train_negatives", k->n_neg);
        cJSON *f = cJSON_AddArrayToObject(o, "features");
        for (int j = 0; j < k->nf; j++) cJSON_AddItemToArray(f, cJSON_CreateString(k->features[j]));
        cJSON *rfe = cJSON_AddArrayToObject(o, "rfe");
        for (int s = 0; s < k->n_rfe; s++) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddNumberToObject(p, "features", k->rfe_nf[s]);
            cJSON_AddItemToObject(p, "val_auroc", num(k->rfe_auroc[s]));
            cJSON_AddItemToArray(rfe, p);
        }
        bst_ulong len = 0;
        const char *buf = NULL;
        if (XGBoosterSaveModelToBuffer(k->bst, "{\"format\": \"json\"}", &len, &buf)) { rc = trees_xgb_error("save"); break; }
        /* kept as text: XGBoost's parser tells 1 from 1.0, which a re-printed cJSON tree would not keep */
        char *txt = malloc((size_t)len + 1);
        if (!txt) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); break; }
        memcpy(txt, buf, (size_t)len);
        txt[len] = 0;
        cJSON_AddStringToObject(o, "xgboost", txt);
        free(txt);
    }
    char *s = rc ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (rc) return rc;
    if (!s) return ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
    ecgx_outfile of = {0};
    rc = ecgx_outfile_open(&of, path);
    if (!rc) {
        fputs(s, of.fp);
        fputc('\n', of.fp);
        rc = ecgx_outfile_commit(&of);
    }
    free(s);
    return rc;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = NULL;
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0) sz = ftell(f);
    if (sz >= 0 && fseek(f, 0, SEEK_SET) == 0) b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) { free(b); b = NULL; }
    fclose(f);
    if (b) { b[sz] = 0; *n = (size_t)sz; }
    return b;
}

int ecgx_trees_load(const char *path, ecgx_trees **out)
{
    *out = NULL;
    size_t n = 0;
    char *s = slurp(path, &n);
    if (!s) return ecgx_error(ECGX_ERR_IO, "%s: cannot read the trees file", path);
    cJSON *root = cJSON_ParseWithLength(s, n);
    free(s);
    if (!root) return ecgx_error(ECGX_ERR_FORMAT, "%s: not JSON", path);
    int rc = 0;
    ecgx_trees *m = calloc(1, sizeof *m);
    cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    cJSON *ls = cJSON_GetObjectItemCaseSensitive(root, "label_set");
    cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "age_threshold");
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "classes");
    if (!m) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); goto done; }
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "ecgx-trees")) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: not an ecgx trees file (\"format\" is not \"ecgx-trees\")", path); goto done; }
    if (!cJSON_IsNumber(ver) || ver->valueint != 1) { rc = ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: trees file version is not 1", path); goto done; }
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: \"classes\" is missing or empty", path); goto done; }
    ecgx_trees_options_default(&m->opt);
    m->opt.train_split = m->opt.val_split = NULL;
    m->label_set = strdup(cJSON_IsString(ls) ? ls->valuestring : "");
    m->age_threshold = cJSON_IsNumber(at) ? at->valuedouble : NAN;
    m->n_classes = cJSON_GetArraySize(arr);
    m->cls = calloc((size_t)m->n_classes, sizeof *m->cls);
    if (!m->label_set || !m->cls) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); goto done; }
    cJSON *tr = cJSON_GetObjectItemCaseSensitive(root, "training");
    cJSON *pa = cJSON_GetObjectItemCaseSensitive(tr, "params"), *it;
    cJSON_ArrayForEach(it, pa) {
        if (!cJSON_IsString(it) || strlen(it->string) >= 64 || strlen(it->valuestring) >= 64 || m->opt.n_params == ECGX_TREES_MAX_PARAMS) continue;
        snprintf(m->opt.params[m->opt.n_params][0], 64, "%s", it->string);
        snprintf(m->opt.params[m->opt.n_params++][1], 64, "%s", it->valuestring);
    }
    for (int c = 0; !rc && c < m->n_classes; c++) {
        cJSON *o = cJSON_GetArrayItem(arr, c);
        trees_class *k = &m->cls[c];
        cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
        cJSON *feats = cJSON_GetObjectItemCaseSensitive(o, "features");
        cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "xgboost");
        cJSON *th = cJSON_GetObjectItemCaseSensitive(o, "threshold");
        if (!cJSON_IsString(name) || !cJSON_IsArray(feats) || !cJSON_IsString(model)) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: class %d lacks \"name\", \"features\" or \"xgboost\"", path, c);
            break;
        }
        k->name = strdup(name->valuestring);
        k->threshold = cJSON_IsNumber(th) ? th->valuedouble : NAN;
        cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "label_column");
        k->source_class = cJSON_IsNumber(v) ? v->valueint : c;
        v = cJSON_GetObjectItemCaseSensitive(o, "best_iteration");
        k->best_iteration = cJSON_IsNumber(v) ? v->valueint : -1;
        v = cJSON_GetObjectItemCaseSensitive(o, "val_auroc");
        k->val_auroc = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        k->nf = cJSON_GetArraySize(feats);
        k->features = calloc((size_t)k->nf + 1, sizeof *k->features);
        if (!k->name || !k->features) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); break; }
        for (int j = 0; j < k->nf; j++) {
            cJSON *f = cJSON_GetArrayItem(feats, j);
            if (!cJSON_IsString(f)) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: class %s: feature %d is not a string", path, k->name, j); break; }
            if (!(k->features[j] = strdup(f->valuestring))) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); break; }
        }
        cJSON *rfe = cJSON_GetObjectItemCaseSensitive(o, "rfe");
        k->n_rfe = cJSON_IsArray(rfe) ? cJSON_GetArraySize(rfe) : 0;
        k->rfe_nf = calloc((size_t)k->n_rfe + 1, sizeof *k->rfe_nf);
        k->rfe_auroc = calloc((size_t)k->n_rfe + 1, sizeof *k->rfe_auroc);
        if (!k->rfe_nf || !k->rfe_auroc) { rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory"); break; }
        for (int s2 = 0; s2 < k->n_rfe; s2++) {
            cJSON *p = cJSON_GetArrayItem(rfe, s2), *a = cJSON_GetObjectItemCaseSensitive(p, "features"),
                  *b = cJSON_GetObjectItemCaseSensitive(p, "val_auroc");
            k->rfe_nf[s2] = cJSON_IsNumber(a) ? a->valueint : 0;
            k->rfe_auroc[s2] = cJSON_IsNumber(b) ? b->valuedouble : NAN;
        }
        if (rc) break;
        const char *ms = model->valuestring;
        char what[160];
        snprintf(what, sizeof what, "%s: class %s: the XGBoost model", path, k->name);
        if ((rc = trees_xgb_model_check(ms, k->nf, what)) < 0) break;
        if (XGBoosterCreate(NULL, 0, &k->bst) || XGBoosterLoadModelFromBuffer(k->bst, ms, (bst_ulong)strlen(ms))) {
            snprintf(what, sizeof what, "model of class %s in %s", k->name, path);
            rc = trees_xgb_error(what);
        }
        /* a saved model does not keep nthread; single-threaded unless the training said otherwise */
        const char *nthread = "1";
        for (int q = 0; q < m->opt.n_params; q++) if (!strcmp(m->opt.params[q][0], "nthread")) nthread = m->opt.params[q][1];
        if (!rc && XGBoosterSetParam(k->bst, "nthread", nthread)) rc = trees_xgb_error("parameter nthread");
        bst_ulong nfeat = 0;
        if (!rc && XGBoosterGetNumFeature(k->bst, &nfeat)) rc = trees_xgb_error("feature count");
        if (!rc && (int)nfeat != k->nf)
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: class %s: the XGBoost model has %d features, \"features\" lists %d", path,
                            k->name, (int)nfeat, k->nf);
        /* warm up: XGBoost configures its predictor and caches each tree's
         * node means on the first contributions call; pay that here, once,
         * rather than inside the first explanation */
        if (!rc) {
            DMatrixHandle d = NULL;
            int map1 = -1;
            double nan1 = NAN, *phi = malloc(sizeof *phi * (size_t)(k->nf + 1));
            int *map = malloc(sizeof *map * (size_t)(k->nf + 1));
            if (!phi || !map) rc = ecgx_error(ECGX_ERR_NOMEM, "trees: out of memory");
            for (int j = 0; !rc && j < k->nf; j++) map[j] = map1;
            if (!rc) rc = trees_dmatrix(&nan1, 1, NULL, 1, map, k->nf, NULL, NULL, &d);
            if (!rc) rc = trees_predict_dm(k->bst, d, 2, (size_t)k->nf + 1, phi);
            if (d) XGDMatrixFree(d);
            free(phi);
            free(map);
        }
    }
done:
    cJSON_Delete(root);
    if (rc) { ecgx_trees_free(m); return rc; }
    *out = m;
    return 0;
}
