/* Models as safetensors files: 8 bytes little-endian header length, a JSON
 * header {"__metadata__": {str: str}, name: {"dtype", "shape",
 * "data_offsets": [begin, end]}}, then the raw little-endian tensor bytes.
 * Loading is strict, like torch's load_state_dict(strict=True): every
 * tensor the architecture needs must be there with its shape, and nothing
 * else may be; every offset is checked against the file before it is read. */
#include "nn/model_internal.h"

#include "ecgx/outfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX_FILE ((size_t)4 << 30)
#define ST_MAX_HEADER ((uint64_t)100 << 20)

static uint64_t rd_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static int dtype_size(const char *dt)
{
    if (!strcmp(dt, "F32") || !strcmp(dt, "I32")) return 4;
    if (!strcmp(dt, "F64") || !strcmp(dt, "I64")) return 8;
    if (!strcmp(dt, "F16") || !strcmp(dt, "BF16")) return 2;
    return 0;
}

static float half_to_float(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, f = h & 1023;
    float v;
    if (e == 0) v = ldexpf((float)f, -24);
    else if (e == 31) v = f ? NAN : INFINITY;
    else v = ldexpf((float)(f | 1024), e - 25);
    return s ? -v : v;
}

static void convert(const unsigned char *src, const char *dt, int64_t n, float *dst)
{
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *p = src + i * dtype_size(dt);
        if (!strcmp(dt, "F32")) {
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            memcpy(&dst[i], &u, 4);
        } else if (!strcmp(dt, "F64")) {
            uint64_t u = rd_u64(p);
            double d;
            memcpy(&d, &u, 8);
            dst[i] = (float)d;
        } else if (!strcmp(dt, "F16")) {
            dst[i] = half_to_float((uint16_t)(p[0] | p[1] << 8));
        } else if (!strcmp(dt, "BF16")) {
            uint32_t u = (uint32_t)(p[0] | p[1] << 8) << 16;
            memcpy(&dst[i], &u, 4);
        } else if (!strcmp(dt, "I64")) {
            dst[i] = (float)(int64_t)rd_u64(p);
        } else {
            int32_t v = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
            dst[i] = (float)v;
        }
    }
}

/* Check one tensor entry and return a pointer to its bytes. */
static int tensor_entry(const char *path, const cJSON *t, const unsigned char *data, uint64_t data_len,
                        const char **dtype, int *ndim, int64_t shape[8], const unsigned char **bytes, int64_t *n)
{
    const char *name = t->string;
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s': needs dtype, shape and data_offsets", path, name);
    *dtype = dt->valuestring;
    int es = dtype_size(*dtype);
    if (!es) return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: tensor '%s': dtype %s not supported", path, name, *dtype);
    int nd = cJSON_GetArraySize(sh);
    if (nd > 8) return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s': %d dimensions", path, name, nd);
    int64_t count = 1;
    for (int i = 0; i < nd; i++) {
        const cJSON *d = cJSON_GetArrayItem(sh, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 1e12 || d->valuedouble != floor(d->valuedouble))
            return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s': bad shape", path, name);
        shape[i] = (int64_t)d->valuedouble;
        count *= shape[i];
        if (count > (int64_t)1 << 40) return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s': absurd shape", path, name);
    }
    const cJSON *b0 = cJSON_GetArrayItem(off, 0), *b1 = cJSON_GetArrayItem(off, 1);
    if (!cJSON_IsNumber(b0) || !cJSON_IsNumber(b1) || b0->valuedouble < 0 || b1->valuedouble < b0->valuedouble)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s': bad data_offsets", path, name);
    uint64_t begin = (uint64_t)b0->valuedouble, end = (uint64_t)b1->valuedouble;
    if (end > data_len)
        return ecgx_error(ECGX_ERR_FORMAT,
                          "%s: tensor '%s': data_offsets [%llu, %llu] run past the end of the data (%llu bytes; "
                          "file truncated?)",
                          path, name, (unsigned long long)begin, (unsigned long long)end, (unsigned long long)data_len);
    if (end - begin != (uint64_t)count * es)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s': %llu bytes for %lld elements of %s", path, name,
                          (unsigned long long)(end - begin), (long long)count, *dtype);
    *ndim = nd;
    *bytes = data + begin;
    *n = count;
    return 0;
}

static int meta_int(const char *path, const cJSON *meta, const char *key, int lo, int hi, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
    if (!cJSON_IsString(v))
        return ecgx_error(ECGX_ERR_FORMAT, "%s: __metadata__ has no \"%s\" (needed to rebuild the model)", path, key);
    char *end;
    errno = 0;
    long x = strtol(v->valuestring, &end, 10);
    if (errno || end == v->valuestring || *end || x < lo || x > hi)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: __metadata__ \"%s\" = \"%s\" is not a number in [%d, %d]", path, key,
                          v->valuestring, lo, hi);
    *out = (int)x;
    return 0;
}

static int load_from(const char *path, const unsigned char *buf, size_t size, ecgx_model **out)
{
    if (size < 8) return ecgx_error(ECGX_ERR_FORMAT, "%s: %zu bytes is too short for a safetensors file", path, size);
    uint64_t hlen = rd_u64(buf);
    if (hlen > ST_MAX_HEADER || hlen > size - 8)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: header length %llu does not fit the file's %zu bytes (not safetensors, "
                          "or truncated)", path, (unsigned long long)hlen, size);
    cJSON *root = cJSON_ParseWithLength((const char *)buf + 8, (size_t)hlen);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: header is not a JSON object", path);
    }
    const unsigned char *data = buf + 8 + hlen;
    uint64_t data_len = size - 8 - hlen;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
    int rc, in_ch = 0, ncls = 0;
    ecgx_model *m = NULL;
    const cJSON *arch = meta ? cJSON_GetObjectItemCaseSensitive(meta, "arch") : NULL;
    if (!cJSON_IsObject(meta) || !cJSON_IsString(arch)) {
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: __metadata__ must name the architecture (\"arch\")", path);
        goto done;
    }
    if ((rc = meta_int(path, meta, "in_channels", 1, 4096, &in_ch)) < 0) goto done;
    if ((rc = meta_int(path, meta, "n_classes", 1, 100000, &ncls)) < 0) goto done;
    m = nn_model_new(arch->valuestring, in_ch, ncls, 0);
    if (!m) { rc = ECGX_ERR_NOMEM; goto done; }
    if ((rc = nn_build_arch(m)) < 0 || (rc = nn_model_finalize(m)) < 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", ecgx_last_error());
        rc = ecgx_error(rc, "%s: %s", path, msg);
        goto done;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, meta)
    {
        if (!cJSON_IsString(it)) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: __metadata__ \"%s\" is not a string", path, it->string);
            goto done;
        }
        if ((rc = ecgx_model_set_meta(m, it->string, it->valuestring)) < 0) goto done;
    }
    char *seen = calloc((size_t)m->n_params + 1, 1);
    if (!seen) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path); goto done; }
    cJSON_ArrayForEach(it, root)
    {
        if (!strcmp(it->string, "__metadata__")) continue;
        const char *dt = "F32";
        int nd = 0;
        int64_t shape[8] = {0}, n = 0;
        const unsigned char *bytes = NULL;
        if ((rc = tensor_entry(path, it, data, data_len, &dt, &nd, shape, &bytes, &n)) < 0) break;
        size_t ln = strlen(it->string);
        const char *suf = ".num_batches_tracked";
        size_t ls = strlen(suf);
        if (ln > ls && !strcmp(it->string + ln - ls, suf)) {
            char lname[NN_NAME_MAX];
            snprintf(lname, sizeof lname, "%.*s", (int)(ln - ls), it->string);
            int li = ecgx_model_layer_find(m, lname);
            if (li >= 0 && m->layers[li].type == ECGX_LAYER_BATCHNORM1D && n == 1) {
                float v;
                convert(bytes, dt, 1, &v);
                m->layers[li].num_batches_tracked = (int64_t)v;
                continue;
            }
        }
        int pi = ecgx_model_param_find(m, it->string);
        const char *alias = strstr(it->string, ".convpath.0.");
        if (pi < 0 && alias) {
            /* fastai's xresnet ResBlock registers `convs` twice (also as
             * convpath.0), so benchmark checkpoints carry every tensor under
             * both names: the convs copy is the one loaded */
            char canon[NN_NAME_MAX + 16];
            snprintf(canon, sizeof canon, "%.*s.convs.%s", (int)(alias - it->string), it->string, alias + 12);
            if (ecgx_model_param_find(m, canon) >= 0) continue;
        }
        if (pi < 0) {
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s' is not a parameter of %s", path, it->string, m->arch);
            break;
        }
        nn_param *p = &m->params[pi];
        int same = nd == p->ndim;
        for (int i = 0; same && i < nd; i++) same = shape[i] == p->shape[i];
        if (!same) {
            char want[64], got[64];
            int w = 0, g = 0;
            for (int i = 0; i < p->ndim; i++) w += snprintf(want + w, sizeof want - w, "%s%lld", i ? "," : "", (long long)p->shape[i]);
            for (int i = 0; i < nd && g < 50; i++) g += snprintf(got + g, sizeof got - g, "%s%lld", i ? "," : "", (long long)shape[i]);
            if (!p->ndim) want[0] = 0;
            if (!nd) got[0] = 0;
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s' has shape [%s], %s needs [%s]", path, it->string, got,
                            m->arch, want);
            break;
        }
        float *dst = p->kind == NN_PARAM_TRAINABLE ? m->pdata + p->offset : m->bdata + p->offset;
        convert(bytes, dt, n, dst);
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(dst[i])) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value at element %lld", path,
                                it->string, (long long)i);
                break;
            }
        if (rc < 0) break;
        seen[pi] = 1;
    }
    m->forms = 0; /* the conv weights' forms are stale */
    if (rc >= 0)
        for (int i = 0; i < m->n_params; i++)
            if (!seen[i]) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: tensor '%s' is missing", path, m->params[i].name);
                break;
            }
    free(seen);
done:
    cJSON_Delete(root);
    if (rc < 0) {
        ecgx_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int ecgx_model_load(const char *path, ecgx_model **out)
{
    *out = NULL;
    char *buf = NULL;
    size_t n = 0;
    int rc = ecgx_read_file(path, ST_MAX_FILE, &buf, &n);
    if (rc < 0) return rc;
    rc = load_from(path, (const unsigned char *)buf, n, out);
    free(buf);
    return rc;
}

static void wr_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

int ecgx_model_save(const ecgx_model *m, const char *path)
{
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_CreateObject();
    if (!root || !meta) {
        cJSON_Delete(root);
        cJSON_Delete(meta);
        return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", path);
    }
    cJSON_AddItemToObject(root, "__metadata__", meta);
    for (int i = 0; i < m->n_meta; i++) cJSON_AddStringToObject(meta, m->meta[i].key, m->meta[i].value);
    if (!cJSON_GetObjectItemCaseSensitive(meta, "arch")) cJSON_AddStringToObject(meta, "arch", m->arch);
    uint64_t off = 0;
    for (int l = 0; l < m->n_layers; l++) {
        const nn_layer *L = &m->layers[l];
        int idx[4] = {L->w, L->b, L->rm, L->rv};
        for (int j = 0; j < 4; j++) {
            if (idx[j] < 0) continue;
            const nn_param *p = &m->params[idx[j]];
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "dtype", "F32");
            cJSON *sh = cJSON_AddArrayToObject(t, "shape");
            for (int d = 0; d < p->ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)p->shape[d]));
            cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
            cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
            off += (uint64_t)p->size * 4;
            cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
            cJSON_AddItemToObject(root, p->name, t);
        }
        if (L->type == ECGX_LAYER_BATCHNORM1D) {
            char name[NN_NAME_MAX + 32];
            snprintf(name, sizeof name, "%s.num_batches_tracked", L->name);
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "dtype", "I64");
            cJSON_AddArrayToObject(t, "shape");
            cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
            cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
            off += 8;
            cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
            cJSON_AddItemToObject(root, name, t);
        }
    }
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
    wr_u64(hdr, padded);
    fwrite(hdr, 1, 8, f.fp);
    fwrite(json, 1, jl, f.fp);
    for (size_t i = jl; i < padded; i++) fputc(' ', f.fp);
    free(json);
    for (int l = 0; l < m->n_layers; l++) {
        const nn_layer *L = &m->layers[l];
        int idx[4] = {L->w, L->b, L->rm, L->rv};
        for (int j = 0; j < 4; j++) {
            if (idx[j] < 0) continue;
            const nn_param *p = &m->params[idx[j]];
            const float *src = p->kind == NN_PARAM_TRAINABLE ? m->pdata + p->offset : m->bdata + p->offset;
            for (int64_t i = 0; i < p->size; i++) {
                uint32_t u;
                memcpy(&u, &src[i], 4);
                unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                                      (unsigned char)(u >> 24)};
                fwrite(b, 1, 4, f.fp);
            }
        }
        if (L->type == ECGX_LAYER_BATCHNORM1D) {
            unsigned char b[8];
            wr_u64(b, (uint64_t)L->num_batches_tracked);
            fwrite(b, 1, 8, f.fp);
        }
    }
    return ecgx_outfile_commit(&f);
}
