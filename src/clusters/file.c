/* Fitted clusters as a safetensors file: the numbers as tensors (mean, sd,
 * weight, means, vars, and each class's serialised surrogate as U8 bytes),
 * everything needed to use them safely in __metadata__: the hash of the
 * model's parameters, the layers, k, the standardisation and rate. A
 * safetensors file because the models are ones: the same tools read both. */
#include "ecgx/clusters.h"
#include "ecgx/outfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STANDARDISATION "zscore per feature (mean, sd over every time step of the fitting records)"

void ecgx_clusters_free(ecgx_clusters *c)
{
    if (!c) return;
    free(c->mean);
    free(c->sd);
    free(c->pca);
    ecgx_gmm_free(&c->gmm);
    for (int i = 0; i < 16; i++) free(c->surrogate[i]);
    free(c);
}

typedef struct wtensor {
    char name[64];
    const char *dtype;
    int ndim;
    int64_t shape[2];
    const void *data;
    size_t bytes;
} wtensor;

static void add_tensor(cJSON *root, const wtensor *t, uint64_t *off)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "dtype", t->dtype);
    cJSON *sh = cJSON_AddArrayToObject(o, "shape");
    for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[d]));
    cJSON *of = cJSON_AddArrayToObject(o, "data_offsets");
    cJSON_AddItemToArray(of, cJSON_CreateNumber((double)*off));
    *off += t->bytes;
    cJSON_AddItemToArray(of, cJSON_CreateNumber((double)*off));
    cJSON_AddItemToObject(root, t->name, o);
}

static const char *class_at(const char *list, int i, char *buf, size_t n)
{
    const char *p = list;
    for (int k = 0; k < i && p; k++) {
        p = strchr(p, ',');
        if (p) p++;
    }
    if (!p) return NULL;
    size_t l = strcspn(p, ",");
    if (l >= n) l = n - 1;
    memcpy(buf, p, l);
    buf[l] = 0;
    return buf;
}

int ecgx_clusters_save(const ecgx_clusters *c, const char *path)
{
    int K = c->gmm.k, D = c->dim, G = c->gmm.dim;
    wtensor t[6 + 16];
    int nt = 0;
    t[nt++] = (wtensor){"mean", "F32", 1, {D, 0}, c->mean, sizeof(float) * (size_t)D};
    t[nt++] = (wtensor){"sd", "F32", 1, {D, 0}, c->sd, sizeof(float) * (size_t)D};
    t[nt++] = (wtensor){"weight", "F64", 1, {K, 0}, c->gmm.weight, sizeof(double) * (size_t)K};
    t[nt++] = (wtensor){"means", "F32", 2, {K, G}, c->gmm.mean, sizeof(float) * (size_t)K * G};
    t[nt++] = (wtensor){"vars", "F32", 2, {K, G}, c->gmm.var, sizeof(float) * (size_t)K * G};
    if (c->pca_dims > 0)
        t[nt++] = (wtensor){"pca", "F32", 2, {D, c->pca_dims}, c->pca, sizeof(float) * (size_t)D * c->pca_dims};
    for (int i = 0; i < c->n_classes && i < 16; i++) {
        if (!c->surrogate[i]) continue;
        char cn[48];
        if (!class_at(c->classes, i, cn, sizeof cn)) snprintf(cn, sizeof cn, "%d", i);
        wtensor w = {"", "U8", 1, {(int64_t)c->surrogate_len[i], 0}, c->surrogate[i], c->surrogate_len[i]};
        snprintf(w.name, sizeof w.name, "surrogate.%s", cn);
        t[nt++] = w;
    }
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_CreateObject();
    if (!root || !meta) {
        cJSON_Delete(root), cJSON_Delete(meta);
        return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    }
    cJSON_AddItemToObject(root, "__metadata__", meta);
    char buf[4096];
    snprintf(buf, sizeof buf, "%016" PRIx64, c->model_hash);
    cJSON_AddStringToObject(meta, "kind", "ecgx clusters");
    cJSON_AddStringToObject(meta, "model_hash", buf);
    buf[0] = 0;
    for (int l = 0; l < c->n_layers; l++) {
        strncat(buf, l ? "," : "", sizeof buf - strlen(buf) - 1);
        strncat(buf, c->layer_names[l], sizeof buf - strlen(buf) - 1);
    }
    cJSON_AddStringToObject(meta, "layers", buf);
    snprintf(buf, sizeof buf, "%d", K);
    cJSON_AddStringToObject(meta, "k", buf);
    snprintf(buf, sizeof buf, "%d", D);
    cJSON_AddStringToObject(meta, "dim", buf);
    snprintf(buf, sizeof buf, "%.17g", c->fs);
    cJSON_AddStringToObject(meta, "fs", buf);
    cJSON_AddStringToObject(meta, "standardisation", STANDARDISATION);
    snprintf(buf, sizeof buf, "%d", c->pca_dims);
    cJSON_AddStringToObject(meta, "pca_dims", buf);
    snprintf(buf, sizeof buf, "%d", c->window);
    cJSON_AddStringToObject(meta, "window", buf);
    snprintf(buf, sizeof buf, "%d", c->stride);
    cJSON_AddStringToObject(meta, "window_stride", buf);
    cJSON_AddStringToObject(meta, "surrogate_features",
                            c->surrogate_features == 4 ? "window_proportions,window_soft,window_entropy,window_changes,max_over_windows"
                            : c->surrogate_features == 3 ? "window_proportions,max_over_windows"
                            : c->surrogate_features == 2 ? "proportions,window_max" : "proportions");
    cJSON_AddStringToObject(meta, "surrogate_target", c->surrogate_target == 1 ? "probabilities" : "calls");
    snprintf(buf, sizeof buf, "%.6g", c->pca_explained);
    cJSON_AddStringToObject(meta, "pca_explained", buf);
    cJSON_AddStringToObject(meta, "mixture", "diagonal gaussian, k-means++ init, EM");
    cJSON_AddStringToObject(meta, "classes", c->classes);
    buf[0] = 0;
    for (int i = 0; i < c->n_classes && i < 16; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, "%s%.9g", i ? "," : "", c->thresholds[i]);
    }
    cJSON_AddStringToObject(meta, "thresholds", buf);
    buf[0] = 0;
    for (int j = 0; j < K; j++) {
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, "%s%d", j ? "," : "", c->wave_of[j]);
    }
    cJSON_AddStringToObject(meta, "wave_of", buf);
    snprintf(buf, sizeof buf, "%" PRId64, c->n_points);
    cJSON_AddStringToObject(meta, "n_points", buf);
    snprintf(buf, sizeof buf, "%d", c->n_records);
    cJSON_AddStringToObject(meta, "n_records", buf);
    snprintf(buf, sizeof buf, "%.10g", c->loglik);
    cJSON_AddStringToObject(meta, "loglik", buf);
    snprintf(buf, sizeof buf, "%.10g", c->bic);
    cJSON_AddStringToObject(meta, "bic", buf);
    cJSON_AddStringToObject(meta, "k_rule", c->k_rule);
    uint64_t off = 0;
    for (int i = 0; i < nt; i++) add_tensor(root, &t[i], &off);
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    size_t jl = strlen(json), padded = (jl + 7) / 8 * 8;
    ecgx_outfile f;
    int rc = ecgx_outfile_open(&f, path);
    if (rc < 0) {
        free(json);
        return rc;
    }
    unsigned char hdr[8];
    for (int i = 0; i < 8; i++) hdr[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    fwrite(hdr, 1, 8, f.fp);
    fwrite(json, 1, jl, f.fp);
    for (size_t i = jl; i < padded; i++) fputc(' ', f.fp);
    free(json);
    /* little-endian hosts only (x86-64, as the model files) */
    for (int i = 0; i < nt; i++) fwrite(t[i].data, 1, t[i].bytes, f.fp);
    return ecgx_outfile_commit(&f);
}

/* ---- load ---- */

static const char *meta_str(const cJSON *meta, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The bytes of tensor `name` with dtype and shape checked; NULL + error otherwise. */
static int get_tensor(const char *path, const cJSON *root, const char *name, const char *dtype, int64_t d0,
                      int64_t d1, uint64_t data_len, size_t *offset, size_t *bytes)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!t) {
        return ecgx_error(ECGX_ERR_FORMAT, "%s: no tensor '%s' (not an ecgx clusters file?)", path, name);
    }
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype"), *sh = cJSON_GetObjectItemCaseSensitive(t, "shape"),
                *of = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    if (!cJSON_IsString(dt) || strcmp(dt->valuestring, dtype)) {
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s' is not %s", path, name, dtype);
    }
    int nd = cJSON_IsArray(sh) ? cJSON_GetArraySize(sh) : -1;
    int want = d1 > 0 ? 2 : 1;
    double s0 = nd >= 1 ? cJSON_GetArrayItem(sh, 0)->valuedouble : -1, s1 = nd >= 2 ? cJSON_GetArrayItem(sh, 1)->valuedouble : -1;
    if (nd != want || (d0 >= 0 && s0 != (double)d0) || (want == 2 && s1 != (double)d1) || s0 < 0) {
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s' has the wrong shape (want [%lld%s%lld])", path, name,
                          (long long)d0, want == 2 ? "," : "", want == 2 ? (long long)d1 : 0LL);
    }
    size_t esz = !strcmp(dtype, "F64") ? 8 : !strcmp(dtype, "F32") ? 4 : 1;
    size_t need = (size_t)s0 * (want == 2 ? (size_t)s1 : 1) * esz;
    if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2) {
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s' has no data_offsets", path, name);
    }
    double a = cJSON_GetArrayItem(of, 0)->valuedouble, b = cJSON_GetArrayItem(of, 1)->valuedouble;
    if (a < 0 || b < a || b > (double)data_len || (size_t)(b - a) != need) {
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s' data_offsets [%.0f, %.0f] do not fit the file", path, name, a, b);
    }
    *bytes = need;
    *offset = (size_t)a;
    return 0;
}

/* Only the header and the tensors wanted are read (fseek + fread): `apply`
 * skips the surrogate's bytes, most of the file. */
static int read_at(FILE *f, const char *path, uint64_t base, size_t off, void *dst, size_t n)
{
    if (fseeko(f, (off_t)(base + off), SEEK_SET) != 0 || fread(dst, 1, n, f) != n)
        return ecgx_error(ECGX_ERR_IO, "%s: cannot read %zu bytes at %llu", path, n, (unsigned long long)(base + off));
    return 0;
}

int ecgx_clusters_load(const char *path, ecgx_clusters **out) { return ecgx_clusters_load_ex(path, 0, out); }

int ecgx_clusters_load_ex(const char *path, int flags, ecgx_clusters **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ecgx_error(ECGX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char h8[8];
    uint64_t hl = 0, size = 0;
    if (fseeko(fp, 0, SEEK_END) == 0) size = (uint64_t)ftello(fp);
    if (size >= 8 && fseeko(fp, 0, SEEK_SET) == 0 && fread(h8, 1, 8, fp) == 8)
        for (int i = 0; i < 8; i++) hl |= (uint64_t)h8[i] << (8 * i);
    if (size < 8 || hl > size - 8 || hl > ((uint64_t)1 << 26)) {
        fclose(fp);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: not a safetensors file (header length)", path);
    }
    char *buf = malloc((size_t)hl + 1);
    if (!buf || fread(buf, 1, (size_t)hl, fp) != (size_t)hl) {
        free(buf);
        fclose(fp);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: truncated safetensors header", path);
    }
    cJSON *root = cJSON_ParseWithLength(buf, (size_t)hl);
    free(buf);
    const cJSON *meta = root ? cJSON_GetObjectItemCaseSensitive(root, "__metadata__") : NULL;
    const char *kind = meta ? meta_str(meta, "kind") : NULL;
    if (!root || !kind || strcmp(kind, "ecgx clusters")) {
        cJSON_Delete(root);
        fclose(fp);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: not an ecgx clusters file (no __metadata__ kind 'ecgx clusters')", path);
    }
    uint64_t base = 8 + hl, data_len = size - 8 - hl;
    ecgx_clusters *c = calloc(1, sizeof *c);
    if (!c) {
        cJSON_Delete(root);
        fclose(fp);
        return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    }
    const char *s;
    int K = 0, D = 0;
    int rc = 0;
    if (!(s = meta_str(meta, "model_hash")) || sscanf(s, "%" SCNx64, &c->model_hash) != 1)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: metadata model_hash missing or bad", path);
    else if (!(s = meta_str(meta, "k")) || sscanf(s, "%d", &K) != 1 || K < 1 || K > ECGX_CLUSTERS_MAX_K)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: metadata k missing or out of 1..%d", path, ECGX_CLUSTERS_MAX_K);
    else if (!(s = meta_str(meta, "dim")) || sscanf(s, "%d", &D) != 1 || D < 1 || D > (1 << 20))
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: metadata dim missing or bad", path);
    else if (!(s = meta_str(meta, "fs")) || sscanf(s, "%lf", &c->fs) != 1 || !(c->fs > 0))
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: metadata fs missing or bad", path);
    else if (!(s = meta_str(meta, "layers")) || !*s)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: metadata layers missing", path);
    if (!rc) {
        const char *p = s;
        while (*p && !rc) {
            size_t l = strcspn(p, ",");
            if (c->n_layers >= ECGX_CLUSTERS_MAX_LAYERS || l >= sizeof c->layer_names[0])
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: metadata layers: too many or too long", path);
            else {
                memcpy(c->layer_names[c->n_layers], p, l);
                c->layer_names[c->n_layers++][l] = 0;
            }
            p += l + (p[l] == ',');
        }
    }
    if (!rc) {
        c->dim = D;
        const char *cl = meta_str(meta, "classes");
        snprintf(c->classes, sizeof c->classes, "%s", cl ? cl : "");
        c->n_classes = 0;
        if (*c->classes) {
            c->n_classes = 1;
            for (const char *p = c->classes; *p; p++) c->n_classes += *p == ',';
        }
        if (c->n_classes > 16) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: more than 16 classes", path);
        const char *th = meta_str(meta, "thresholds");
        for (int i = 0; i < c->n_classes && !rc; i++) {
            c->thresholds[i] = 0.5;
            if (th) {
                c->thresholds[i] = strtod(th, NULL);
                th = strchr(th, ',');
                if (th) th++;
            }
        }
        const char *wo = meta_str(meta, "wave_of");
        for (int j = 0; j < K; j++) {
            c->wave_of[j] = -1;
            if (wo && *wo) {
                c->wave_of[j] = (int)strtol(wo, NULL, 10);
                wo = strchr(wo, ',');
                if (wo) wo++;
            }
        }
        if ((s = meta_str(meta, "n_points"))) c->n_points = strtoll(s, NULL, 10);
        if ((s = meta_str(meta, "n_records"))) c->n_records = atoi(s);
        if ((s = meta_str(meta, "loglik"))) c->loglik = strtod(s, NULL);
        if ((s = meta_str(meta, "bic"))) c->bic = strtod(s, NULL);
        if ((s = meta_str(meta, "k_rule"))) snprintf(c->k_rule, sizeof c->k_rule, "%s", s);
    }
    int P = 0;
    if (!rc && (s = meta_str(meta, "pca_dims")) && (sscanf(s, "%d", &P) != 1 || P < 0 || P > D))
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: metadata pca_dims '%s' out of 0..dim", path, s);
    if (!rc && (s = meta_str(meta, "pca_explained"))) c->pca_explained = strtod(s, NULL);
    if (!rc && (s = meta_str(meta, "window"))) c->window = atoi(s);
    if (!rc && (s = meta_str(meta, "window_stride"))) c->stride = atoi(s);
    if (c->window < 0 || c->stride < 0) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: metadata window/window_stride negative", path);
    c->surrogate_features = 1;
    if (!rc && (s = meta_str(meta, "surrogate_features"))) {
        if (!strcmp(s, "proportions,window_max")) c->surrogate_features = 2;
        else if (!strcmp(s, "window_proportions,max_over_windows")) c->surrogate_features = 3;
        else if (!strcmp(s, "window_proportions,window_soft,window_entropy,window_changes,max_over_windows")) c->surrogate_features = 4;
        else if (strcmp(s, "proportions")) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: unknown surrogate_features '%s'", path, s);
    }
    c->surrogate_target = 0; /* files before the key: calls */
    if (!rc && (s = meta_str(meta, "surrogate_target"))) {
        if (!strcmp(s, "probabilities")) c->surrogate_target = 1;
        else if (strcmp(s, "calls")) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: unknown surrogate_target '%s'", path, s);
    }
    c->pca_dims = P;
    int G = P > 0 ? P : D;
    /* the sizes the header claims must fit in the file before anything is allocated for them */
    double need = 4.0 * (2.0 * D + 2.0 * K * G + (double)D * P) + 8.0 * K;
    if (!rc && need > (double)data_len)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: k = %d, dim = %d, pca_dims = %d need %.0f bytes of tensors, the file has %llu",
                        path, K, D, P, need, (unsigned long long)data_len);
    if (!rc) rc = ecgx_gmm_alloc(&c->gmm, K, G);
    if (!rc && P > 0 && !(c->pca = malloc(sizeof(float) * (size_t)D * P))) rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    if (!rc) {
        c->mean = malloc(sizeof(float) * (size_t)D);
        c->sd = malloc(sizeof(float) * (size_t)D);
        if (!c->mean || !c->sd) rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    }
    struct { const char *n, *dt; int64_t d0, d1; void *dst; } want[] = {
        {"mean", "F32", D, 0, c->mean}, {"sd", "F32", D, 0, c->sd}, {"weight", "F64", K, 0, c->gmm.weight},
        {"means", "F32", K, G, c->gmm.mean}, {"vars", "F32", K, G, c->gmm.var}, {"pca", "F32", D, P, c->pca}};
    for (int i = 0; i < (P > 0 ? 6 : 5) && !rc; i++) {
        size_t bytes, off;
        rc = get_tensor(path, root, want[i].n, want[i].dt, want[i].d0, want[i].d1, data_len, &off, &bytes);
        if (!rc) rc = read_at(fp, path, base, off, want[i].dst, bytes);
    }
    for (int i = 0; i < K * G && !rc; i++)
        if (!(c->gmm.var[i] > 0) || !isfinite(c->gmm.mean[i]))
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tensor vars/means: entry %d is not a finite positive variance", path, i);
    for (int i = 0; i < D && !rc; i++)
        if (!(c->sd[i] > 0) || !isfinite(c->mean[i])) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tensor sd: entry %d is not positive", path, i);
    /* the surrogate's offsets are checked against the file even when its bytes are skipped: a
     * truncated file is an error for every reader, not only for the one that reads to its end */
    for (int i = 0; i < c->n_classes && !rc; i++) {
        char cn[48], tn[64];
        if (!class_at(c->classes, i, cn, sizeof cn)) continue;
        snprintf(tn, sizeof tn, "surrogate.%s", cn);
        if (!cJSON_GetObjectItemCaseSensitive(root, tn)) continue;
        size_t bytes, off;
        rc = get_tensor(path, root, tn, "U8", -1, 0, data_len, &off, &bytes);
        if (flags & ECGX_CLUSTERS_NO_SURROGATE) continue;
        if (!rc && !(c->surrogate[i] = malloc(bytes + 1))) rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
        if (!rc) rc = read_at(fp, path, base, off, c->surrogate[i], bytes);
        if (!rc) c->surrogate_len[i] = bytes;
    }
    cJSON_Delete(root);
    fclose(fp);
    if (rc) {
        ecgx_clusters_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int ecgx_clusters_check_model(const ecgx_clusters *c, const ecgx_model *m, const char *path)
{
    uint64_t h = ecgx_clusters_model_hash(m);
    if (h != c->model_hash)
        return ecgx_error(ECGX_ERR_ARG,
                          "%s: fitted on another model (model hash %016" PRIx64 ", this model's %016" PRIx64 ")",
                          path, c->model_hash, h);
    for (int l = 0; l < c->n_layers; l++)
        if (ecgx_model_layer_find(m, c->layer_names[l]) < 0)
            return ecgx_error(ECGX_ERR_ARG, "%s: layer '%s' is not in the model", path, c->layer_names[l]);
    return 0;
}
