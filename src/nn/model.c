/* The model container: layers in execution order, parameters in one flat
 * buffer (gradients in another), activations and their gradients in arenas
 * planned for the largest batch*length seen, so repeated calls allocate
 * nothing. Forward runs sample-major in evaluation mode when there are at
 * least as many samples as threads (a sample's activations stay in cache
 * through the network), layer-major otherwise (training needs whole-batch
 * statistics; a single record is split over time instead). */
#include "nn/model_internal.h"

#include "core/alloc.h"
#include "nn/panel_gemm.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---------- building ---------- */

ecgx_model *nn_model_new(const char *arch, int in_channels, int n_classes, uint64_t seed)
{
    ecgx_model *m = calloc(1, sizeof *m);
    if (!m) {
        ecgx_error(ECGX_ERR_NOMEM, "model: out of memory");
        return NULL;
    }
    snprintf(m->arch, sizeof m->arch, "%s", arch);
    m->in_channels = in_channels;
    m->n_classes = n_classes;
    m->rng = seed ^ 0x5DEECE66Dull;
    m->nthreads = omp_get_max_threads();
    /* The library parallelises itself; a second pool inside sgemm would
     * oversubscribe the cores. */
    openblas_set_num_threads(1);
    return m;
}

static int add_layer(ecgx_model *m, const char *name, ecgx_layer_type type, int n_in, const int *ins)
{
    if (n_in < 1 || n_in > ECGX_LAYER_MAX_INPUTS)
        return ecgx_error(ECGX_ERR_ARG, "model: layer %s: %d inputs", name, n_in);
    for (int i = 0; i < n_in; i++)
        if (ins[i] < ECGX_MODEL_INPUT || ins[i] >= m->n_layers)
            return ecgx_error(ECGX_ERR_ARG, "model: layer %s: input %d is not an earlier layer", name, ins[i]);
    if (m->n_layers == m->cap_layers) {
        int cap = m->cap_layers ? 2 * m->cap_layers : 32;
        nn_layer *l = realloc(m->layers, sizeof *l * cap);
        if (!l) return ecgx_error(ECGX_ERR_NOMEM, "model: out of memory");
        m->layers = l;
        m->cap_layers = cap;
    }
    nn_layer *L = &m->layers[m->n_layers];
    memset(L, 0, sizeof *L);
    snprintf(L->name, sizeof L->name, "%s", name);
    L->type = type;
    L->n_in = n_in;
    memcpy(L->in, ins, sizeof(int) * n_in);
    L->w = L->b = L->rm = L->rv = -1;
    L->conv.k = L->conv.stride = L->conv.dil = L->conv.groups = 1;
    return m->n_layers++;
}

static int add_param(ecgx_model *m, const char *layer, const char *suffix, nn_param_kind kind, int ndim,
                     const int64_t *shape)
{
    if (m->n_params == m->cap_params) {
        int cap = m->cap_params ? 2 * m->cap_params : 64;
        nn_param *p = realloc(m->params, sizeof *p * cap);
        if (!p) return ecgx_error(ECGX_ERR_NOMEM, "model: out of memory");
        m->params = p;
        m->cap_params = cap;
    }
    nn_param *p = &m->params[m->n_params];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s.%s", layer, suffix);
    p->kind = kind;
    p->ndim = ndim;
    p->size = 1;
    for (int i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        p->size *= shape[i];
    }
    if (kind == NN_PARAM_TRAINABLE) {
        p->offset = m->n_trainable;
        m->n_trainable += p->size;
    } else {
        p->offset = m->n_buffer;
        m->n_buffer += p->size;
    }
    return m->n_params++;
}

int nn_add_conv(ecgx_model *m, const char *name, int in, int cin, int cout, int k, int stride, int pad,
                int dil, int groups, int bias)
{
    if (cin <= 0 || cout <= 0 || k <= 0 || stride <= 0 || pad < 0 || dil <= 0 || groups <= 0 ||
        cin % groups || cout % groups)
        return ecgx_error(ECGX_ERR_ARG, "model: conv %s: bad shape", name);
    int i = add_layer(m, name, ECGX_LAYER_CONV1D, 1, &in);
    if (i < 0) return i;
    nn_layer *L = &m->layers[i];
    L->conv = (nn_conv_shape){cin, cout, k, stride, pad, dil, groups};
    int64_t ws[3] = {cout, cin / groups, k};
    int w = add_param(m, name, "weight", NN_PARAM_TRAINABLE, 3, ws);
    if (w < 0) return w;
    m->layers[i].w = w;
    if (bias) {
        int64_t bs[1] = {cout};
        int b = add_param(m, name, "bias", NN_PARAM_TRAINABLE, 1, bs);
        if (b < 0) return b;
        m->layers[i].b = b;
    }
    return i;
}

int nn_add_bn(ecgx_model *m, const char *name, int in, int C)
{
    int i = add_layer(m, name, ECGX_LAYER_BATCHNORM1D, 1, &in);
    if (i < 0) return i;
    m->layers[i].in_features = C;
    m->layers[i].eps = 1e-5f;
    m->layers[i].momentum = 0.1f;
    int64_t s[1] = {C};
    int w = add_param(m, name, "weight", NN_PARAM_TRAINABLE, 1, s);
    int b = add_param(m, name, "bias", NN_PARAM_TRAINABLE, 1, s);
    int rm = add_param(m, name, "running_mean", NN_PARAM_BUFFER, 1, s);
    int rv = add_param(m, name, "running_var", NN_PARAM_BUFFER, 1, s);
    if (w < 0 || b < 0 || rm < 0 || rv < 0) return ECGX_ERR_NOMEM;
    nn_layer *L = &m->layers[i];
    L->w = w;
    L->b = b;
    L->rm = rm;
    L->rv = rv;
    return i;
}

int nn_add_relu(ecgx_model *m, const char *name, int in)
{
    return add_layer(m, name, ECGX_LAYER_RELU, 1, &in);
}

int nn_add_maxpool(ecgx_model *m, const char *name, int in, int k, int stride, int pad, int ceil_mode)
{
    if (k <= 0 || stride <= 0 || pad < 0 || pad > k / 2)
        return ecgx_error(ECGX_ERR_ARG, "model: maxpool %s: bad shape", name);
    int i = add_layer(m, name, ECGX_LAYER_MAXPOOL1D, 1, &in);
    if (i < 0) return i;
    m->layers[i].conv.k = k;
    m->layers[i].conv.stride = stride;
    m->layers[i].conv.pad = pad;
    m->layers[i].ceil_mode = ceil_mode;
    return i;
}

int nn_add_avgpool(ecgx_model *m, const char *name, int in, int k, int stride, int pad, int ceil_mode,
                   int count_include_pad)
{
    if (k <= 0 || stride <= 0 || pad < 0 || pad > k / 2)
        return ecgx_error(ECGX_ERR_ARG, "model: avgpool %s: bad shape", name);
    int i = add_layer(m, name, ECGX_LAYER_AVGPOOL1D, 1, &in);
    if (i < 0) return i;
    m->layers[i].conv.k = k;
    m->layers[i].conv.stride = stride;
    m->layers[i].conv.pad = pad;
    m->layers[i].ceil_mode = ceil_mode;
    m->layers[i].count_include_pad = count_include_pad;
    return i;
}

int nn_add_concat_pool(ecgx_model *m, const char *name, int in)
{
    return add_layer(m, name, ECGX_LAYER_CONCAT_POOL, 1, &in);
}

int nn_add_gap(ecgx_model *m, const char *name, int in)
{
    return add_layer(m, name, ECGX_LAYER_GLOBAL_AVGPOOL, 1, &in);
}

int nn_add_flatten(ecgx_model *m, const char *name, int in)
{
    return add_layer(m, name, ECGX_LAYER_FLATTEN, 1, &in);
}

int nn_add_linear(ecgx_model *m, const char *name, int in, int fin, int fout, int bias)
{
    if (fin <= 0 || fout <= 0) return ecgx_error(ECGX_ERR_ARG, "model: linear %s: bad shape", name);
    int i = add_layer(m, name, ECGX_LAYER_LINEAR, 1, &in);
    if (i < 0) return i;
    m->layers[i].in_features = fin;
    m->layers[i].out_features = fout;
    int64_t ws[2] = {fout, fin};
    int w = add_param(m, name, "weight", NN_PARAM_TRAINABLE, 2, ws);
    if (w < 0) return w;
    m->layers[i].w = w;
    if (bias) {
        int64_t bs[1] = {fout};
        int b = add_param(m, name, "bias", NN_PARAM_TRAINABLE, 1, bs);
        if (b < 0) return b;
        m->layers[i].b = b;
    }
    return i;
}

int nn_add_dropout(ecgx_model *m, const char *name, int in, float p)
{
    if (!(p >= 0.0f && p < 1.0f)) return ecgx_error(ECGX_ERR_ARG, "model: dropout %s: p = %g", name, p);
    int i = add_layer(m, name, ECGX_LAYER_DROPOUT, 1, &in);
    if (i >= 0) m->layers[i].p = p;
    return i;
}

int nn_add_add(ecgx_model *m, const char *name, int n, const int *ins)
{
    return add_layer(m, name, ECGX_LAYER_ADD, n, ins);
}

int nn_add_concat(ecgx_model *m, const char *name, int n, const int *ins)
{
    return add_layer(m, name, ECGX_LAYER_CONCAT, n, ins);
}

int nn_add_scale(ecgx_model *m, const char *name, int in, float s)
{
    int i = add_layer(m, name, ECGX_LAYER_SCALE, 1, &in);
    if (i >= 0) m->layers[i].p = s;
    return i;
}

int nn_model_finalize(ecgx_model *m)
{
    m->pdata = ecgx_calloc_array((size_t)m->n_trainable, sizeof(float), "model parameters");
    m->gdata = ecgx_calloc_array((size_t)m->n_trainable, sizeof(float), "model gradients");
    m->bdata = ecgx_calloc_array((size_t)m->n_buffer + 1, sizeof(float), "model buffers");
    m->grad_init = calloc((size_t)m->n_layers + 1, 1);
    m->slot_of = ecgx_calloc_array((size_t)m->n_layers * 3 + 1, sizeof(int64_t), "buffer plan");
    int64_t nbn = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].type == ECGX_LAYER_BATCHNORM1D) nbn += 4 * (int64_t)m->layers[i].in_features;
    m->bn_scratch = ecgx_calloc_array((size_t)nbn + 1, sizeof(float), "batch-norm scratch");
    if (!m->pdata || !m->gdata || !m->bdata || !m->grad_init || !m->bn_scratch || !m->slot_of)
        return ecgx_error(ECGX_ERR_NOMEM, "model %s: out of memory for parameters", m->arch);
    float *bs = m->bn_scratch;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *L = &m->layers[i];
        if (L->type == ECGX_LAYER_BATCHNORM1D) {
            L->save = bs;
            L->coef = bs + 2 * L->in_features;
            bs += 4 * L->in_features;
        }
    }
    /* PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
     * for conv and linear weights and biases (kaiming_uniform with a=sqrt(5));
     * batch norm gamma 1, beta 0, running mean 0, running var 1. */
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *L = &m->layers[i];
        if (L->type == ECGX_LAYER_CONV1D || L->type == ECGX_LAYER_LINEAR) {
            nn_param *w = &m->params[L->w];
            int64_t fan_in = w->size / w->shape[0];
            float bound = 1.0f / sqrtf((float)fan_in);
            float *d = m->pdata + w->offset;
            for (int64_t j = 0; j < w->size; j++) d[j] = (2.0f * nn_rng_uniform(&m->rng) - 1.0f) * bound;
            if (L->b >= 0) {
                nn_param *b = &m->params[L->b];
                float *bd = m->pdata + b->offset;
                for (int64_t j = 0; j < b->size; j++) bd[j] = (2.0f * nn_rng_uniform(&m->rng) - 1.0f) * bound;
            }
        } else if (L->type == ECGX_LAYER_BATCHNORM1D) {
            int C = L->in_features;
            float *g = m->pdata + m->params[L->w].offset, *b = m->pdata + m->params[L->b].offset;
            float *rv = m->bdata + m->params[L->rv].offset, *rm = m->bdata + m->params[L->rm].offset;
            for (int c = 0; c < C; c++) {
                g[c] = 1.0f;
                b[c] = 0.0f;
                rm[c] = 0.0f;
                rv[c] = 1.0f;
            }
        }
    }
    return 0;
}

/* ---------- public: lifetime, metadata ---------- */

static const char *const arch_names[] = {"resnet1d_wang", "fcn_wang", "inception1d", "xresnet1d50",
                                         "xresnet1d101", "ribeiro_resnet", NULL};

const char *const *ecgx_model_arch_names(void) { return arch_names; }

int ecgx_model_create(const char *arch, const ecgx_model_config *cfg, ecgx_model **out)
{
    *out = NULL;
    if (!arch || !cfg) return ecgx_error(ECGX_ERR_ARG, "model: no architecture or configuration");
    if (cfg->in_channels <= 0 || cfg->in_channels > 4096)
        return ecgx_error(ECGX_ERR_ARG, "model %s: in_channels %d", arch, cfg->in_channels);
    if (cfg->n_classes <= 0 || cfg->n_classes > 100000)
        return ecgx_error(ECGX_ERR_ARG, "model %s: n_classes %d", arch, cfg->n_classes);
    ecgx_model *m = nn_model_new(arch, cfg->in_channels, cfg->n_classes, cfg->seed);
    if (!m) return ECGX_ERR_NOMEM;
    int rc = nn_build_arch(m);
    if (rc >= 0) rc = nn_model_finalize(m);
    if (rc < 0) {
        ecgx_model_free(m);
        return rc;
    }
    char buf[32];
    ecgx_model_set_meta(m, "arch", arch);
    snprintf(buf, sizeof buf, "%d", cfg->in_channels);
    ecgx_model_set_meta(m, "in_channels", buf);
    snprintf(buf, sizeof buf, "%d", cfg->n_classes);
    ecgx_model_set_meta(m, "n_classes", buf);
    *out = m;
    return 0;
}

void ecgx_model_free(ecgx_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_layers; i++) nn_conv_forms_free(&m->layers[i]);
    free(m->layers);
    free(m->params);
    free(m->pdata);
    free(m->gdata);
    free(m->bdata);
    free(m->bn_scratch);
    for (int i = 0; i < m->n_meta; i++) {
        free(m->meta[i].key);
        free(m->meta[i].value);
    }
    free(m->meta);
    free(m->act);
    free(m->grads_arena);
    free(m->mask_arena);
    free(m->ws);
    free(m->input);
    free(m->input_grad);
    free(m->win_x);
    free(m->win_logits);
    free(m->arg_arena);
    free(m->grad_init);
    free(m->slot_of);
    free(m);
}

const char *ecgx_model_meta(const ecgx_model *m, const char *key)
{
    for (int i = 0; i < m->n_meta; i++)
        if (strcmp(m->meta[i].key, key) == 0) return m->meta[i].value;
    return NULL;
}

int ecgx_model_set_meta(ecgx_model *m, const char *key, const char *value)
{
    for (int i = 0; i < m->n_meta; i++)
        if (strcmp(m->meta[i].key, key) == 0) {
            char *v = strdup(value);
            if (!v) return ecgx_error(ECGX_ERR_NOMEM, "model: out of memory");
            free(m->meta[i].value);
            m->meta[i].value = v;
            return 0;
        }
    nn_meta *nm = realloc(m->meta, sizeof *nm * (m->n_meta + 1));
    if (!nm) return ecgx_error(ECGX_ERR_NOMEM, "model: out of memory");
    m->meta = nm;
    nm[m->n_meta].key = strdup(key);
    nm[m->n_meta].value = strdup(value);
    if (!nm[m->n_meta].key || !nm[m->n_meta].value) {
        free(nm[m->n_meta].key);
        free(nm[m->n_meta].value);
        return ecgx_error(ECGX_ERR_NOMEM, "model: out of memory");
    }
    m->n_meta++;
    return 0;
}

const char *ecgx_model_arch(const ecgx_model *m) { return m->arch; }
int ecgx_model_in_channels(const ecgx_model *m) { return m->in_channels; }
int ecgx_model_n_classes(const ecgx_model *m) { return m->n_classes; }
void ecgx_model_set_training(ecgx_model *m, int training) { m->training = training != 0; }
int ecgx_model_is_training(const ecgx_model *m) { return m->training; }
void ecgx_model_set_winograd(ecgx_model *m, int on) { m->no_winograd = !on; }
void ecgx_model_seed(ecgx_model *m, uint64_t seed) { m->rng = seed ^ 0x5DEECE66Dull; }
void ecgx_nn_set_threads(int n) { omp_set_num_threads(n > 0 ? n : omp_get_num_procs()); }

/* ---------- planning ---------- */

static int out_shape(const ecgx_model *m, const nn_layer *L, int L_in_len, int *c, int *l)
{
    const nn_layer *src0 = L->in[0] == ECGX_MODEL_INPUT ? NULL : &m->layers[L->in[0]];
    int cin = src0 ? src0->c : m->in_channels, lin = src0 ? src0->l : L_in_len;
    switch (L->type) {
    case ECGX_LAYER_CONV1D:
        if (cin != L->conv.cin)
            return ecgx_error(ECGX_ERR_ARG, "layer %s: expects %d channels, gets %d", L->name, L->conv.cin, cin);
        *c = L->conv.cout;
        *l = nn_conv_out_len(&L->conv, lin);
        break;
    case ECGX_LAYER_BATCHNORM1D:
        if (cin != L->in_features)
            return ecgx_error(ECGX_ERR_ARG, "layer %s: expects %d channels, gets %d", L->name, L->in_features, cin);
        *c = cin;
        *l = lin;
        break;
    case ECGX_LAYER_MAXPOOL1D:
    case ECGX_LAYER_AVGPOOL1D:
        *c = cin;
        *l = nn_pool_out_len(lin, L->conv.k, L->conv.stride, L->conv.pad, L->ceil_mode);
        break;
    case ECGX_LAYER_CONCAT_POOL:
        *c = 2 * cin;
        *l = 1;
        break;
    case ECGX_LAYER_GLOBAL_AVGPOOL:
        *c = cin;
        *l = 1;
        break;
    case ECGX_LAYER_FLATTEN:
        *c = cin * lin;
        *l = 1;
        break;
    case ECGX_LAYER_LINEAR:
        if (cin * lin != L->in_features)
            return ecgx_error(ECGX_ERR_ARG, "layer %s: expects %d features, gets %d", L->name, L->in_features,
                              cin * lin);
        *c = L->out_features;
        *l = 1;
        break;
    case ECGX_LAYER_ADD:
    case ECGX_LAYER_CONCAT: {
        int tc = 0;
        for (int j = 0; j < L->n_in; j++) {
            const nn_layer *s = L->in[j] == ECGX_MODEL_INPUT ? NULL : &m->layers[L->in[j]];
            int cj = s ? s->c : m->in_channels, lj = s ? s->l : L_in_len;
            if (lj != lin || (L->type == ECGX_LAYER_ADD && cj != cin))
                return ecgx_error(ECGX_ERR_ARG, "layer %s: inputs of shapes [%d][%d] and [%d][%d] do not match",
                                  L->name, cin, lin, cj, lj);
            tc += cj;
        }
        *c = L->type == ECGX_LAYER_ADD ? cin : tc;
        *l = lin;
        break;
    }
    default:
        *c = cin;
        *l = lin;
    }
    if (*l <= 0)
        return ecgx_error(ECGX_ERR_RANGE, "layer %s: input of %d samples is too short for this model", L->name,
                          L_in_len);
    return 0;
}

int nn_grow(void **p, int64_t *cap, int64_t need, size_t elem, const char *what)
{
    if (need <= *cap) return 0;
    void *n = ecgx_malloc_array((size_t)need, elem, what);
    if (!n) return ECGX_ERR_NOMEM;
    free(*p);
    *p = n;
    *cap = need;
    return 0;
}

/* A batch's Winograd convolution with fewer tiles than this is computed as
 * one block that the threads share (nn_conv_wino_fwd_shared) rather than
 * in blocks per thread, which would be narrow. */
static int64_t wino_shared_below(const ecgx_model *m)
{
    return m->nthreads > 1 ? (int64_t)m->nthreads * NN_WINO_BLOCK : 0;
}

/* The length of a layer's (first) input, once earlier layers are planned. */
static int layer_in_len(const ecgx_model *m, const nn_layer *L, int len)
{
    return L->in[0] == ECGX_MODEL_INPUT ? len : m->layers[L->in[0]].l;
}

/* ecgx_model_infer's outputs, once the layers' shapes are planned: a
 * layer's output lives from the layer to its last reader, and a buffer is
 * taken again once its holder is dead, by a layer of the same size per
 * sample only (so that a sample's part of a buffer is the same for every
 * holder, and the thread groups of the group-major pass never overlap).
 * Sets m->slot_of[i] to layer i's offset in the arena; returns the floats
 * needed. resnet1d_wang on one 10 s record: 2.7 MB of outputs instead of 8.6. */
static int64_t share_outputs(ecgx_model *m, int B)
{
    int n = m->n_layers, nslots = 0;
    int64_t *last = m->slot_of + n, *holder = m->slot_of + 2 * n, total = 0;
    for (int i = 0; i < n; i++) last[i] = i;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m->layers[i].n_in; j++)
            if (m->layers[i].in[j] >= 0) last[m->layers[i].in[j]] = i;
    last[n - 1] = n; /* the logits outlive the pass */
    for (int i = 0; i < n; i++) {
        int64_t size = (int64_t)m->layers[i].c * m->layers[i].l;
        int s = 0;
        while (s < nslots && (last[holder[s]] >= i || (int64_t)m->layers[holder[s]].c * m->layers[holder[s]].l != size))
            s++;
        if (s == nslots) {
            nslots++;
            m->slot_of[i] = total;
            total += B * size;
        } else {
            m->slot_of[i] = m->slot_of[holder[s]];
        }
        holder[s] = i;
    }
    return total;
}

static int plan(ecgx_model *m, int B, int len, int shared_outputs)
{
    int64_t act = 0, args = 0, masks = 0, ws = 0;
    /* conv weights' forms (Winograd's transforms, packed weights): made
     * once, and checked against the current weights (and remade) layer by
     * layer, on all threads, in every pass once the weights have been
     * handed out for writing (ecgx_model_flat_params, ecgx_model_param) */
    int forms = !m->no_winograd + 2 * nn_panel_available() + 4;
    if (m->weights_exposed || m->forms != forms) {
        int prc = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(min : prc)
        for (int i = 0; i < m->n_layers; i++)
            if (m->layers[i].type == ECGX_LAYER_CONV1D) {
                int r = nn_conv_prepare(m, &m->layers[i]);
                if (r < prc) prc = r;
            }
        if (prc < 0) /* the message was set on the failing thread */
            return ecgx_error(prc, "model %s: out of memory for the conv weights' forms", m->arch);
        m->forms = forms;
    }
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *L = &m->layers[i];
        int rc = out_shape(m, L, len, &L->c, &L->l);
        if (rc < 0) return rc;
        int64_t n = (int64_t)B * L->c * L->l;
        act += n;
        if (L->type == ECGX_LAYER_MAXPOOL1D || L->type == ECGX_LAYER_CONCAT_POOL) args += n;
        if (L->type == ECGX_LAYER_DROPOUT) masks += n;
        if (L->type == ECGX_LAYER_CONV1D) {
            int ch = L->l < NN_CONV_CHUNK ? L->l : NN_CONV_CHUNK;
            int64_t w = 2 * nn_conv_ws_floats(&L->conv, ch) + (int64_t)L->conv.cout * (L->conv.cin / L->conv.groups) * L->conv.k + L->conv.cout;
            if (L->wino) {
                /* and the backward pass's products of the weight gradient */
                int64_t wv = nn_conv_wino_ws_floats(L, layer_in_len(m, L, len)) + nn_conv_wino_dwp_floats(L) +
                             L->conv.cout;
                if (wv > w) w = wv;
            }
            if (w > ws) ws = w;
            if (L->wino && B * (int64_t)nn_conv_wino_tiles(L) < wino_shared_below(m)) {
                int64_t sh = nn_conv_wino_shared_floats(L, layer_in_len(m, L, len), B * (int64_t)nn_conv_wino_tiles(L),
                                                        m->nthreads);
                int64_t per = (sh + m->nthreads - 1) / m->nthreads;
                if (per > ws) ws = per;
            }
        }
    }
    int T = m->nthreads > 0 ? m->nthreads : 1;
    int64_t in = (int64_t)B * m->in_channels * len;
    int rc = 0;
    if (shared_outputs) act = share_outputs(m, B);
    rc |= nn_grow((void **)&m->act, &m->act_cap, act, sizeof(float), "activations");
    rc |= nn_grow((void **)&m->arg_arena, &m->arg_cap, args + 1, sizeof(int32_t), "pooling indices");
    rc |= nn_grow((void **)&m->mask_arena, &m->mask_cap, masks + 1, sizeof(float), "dropout masks");
    rc |= nn_grow((void **)&m->ws, &m->ws_cap, ws * T + 1, sizeof(float), "workspace");
    rc |= nn_grow((void **)&m->input, &m->in_cap, in, sizeof(float), "input copy");
    if (rc) return ECGX_ERR_NOMEM;
    float *a = m->act, *mk = m->mask_arena;
    int32_t *ag = m->arg_arena;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *L = &m->layers[i];
        int64_t n = (int64_t)B * L->c * L->l;
        if (shared_outputs) {
            L->out = m->act + m->slot_of[i];
        } else {
            L->out = a;
            a += n;
        }
        L->arg = NULL;
        L->mask = NULL;
        if (L->type == ECGX_LAYER_MAXPOOL1D || L->type == ECGX_LAYER_CONCAT_POOL) { L->arg = ag; ag += n; }
        if (L->type == ECGX_LAYER_DROPOUT) { L->mask = mk; mk += n; }
    }
    m->batch = B;
    m->length = len;
    return 0;
}

/* ---------- forward ---------- */

static float *BUF(const ecgx_model *m, int idx) { return idx < 0 ? NULL : m->bdata + m->params[idx].offset; }

static const float *src_out(const ecgx_model *m, int idx, int b, int *c, int *l)
{
    if (idx == ECGX_MODEL_INPUT) {
        *c = m->in_channels;
        *l = m->length;
        return m->input + (int64_t)b * m->in_channels * m->length;
    }
    const nn_layer *s = &m->layers[idx];
    *c = s->c;
    *l = s->l;
    return s->out + (int64_t)b * s->c * s->l;
}

static float *thread_ws(ecgx_model *m)
{
    return m->ws + (int64_t)omp_get_thread_num() * (m->ws_cap / (m->nthreads > 0 ? m->nthreads : 1));
}

/* y = the sum of an add layer's inputs for sample b, elements [off, off + n)
 * of each */
static void add_inputs(const ecgx_model *m, const nn_layer *L, int b, int64_t off, int64_t n, float *y)
{
    int c, l;
    const float *x = src_out(m, L->in[0], b, &c, &l) + off;
    if (L->n_in == 1) memcpy(y, x, sizeof(float) * (size_t)n);
    for (int j = 1; j < L->n_in; j++) {
        nn_add_fwd(n, x, src_out(m, L->in[j], b, &c, &l) + off, y);
        x = y;
    }
}

/* One layer on one sample (everything but training-mode batch norm and
 * dropout, which need the whole batch). */
static void layer_fwd_sample(ecgx_model *m, nn_layer *L, int b, float *ws)
{
    int cin, lin;
    const float *x = src_out(m, L->in[0], b, &cin, &lin);
    int64_t on = (int64_t)L->c * L->l;
    float *y = L->out + b * on;
    switch (L->type) {
    case ECGX_LAYER_CONV1D:
        for (int t0 = 0; t0 < L->l; t0 += NN_CONV_CHUNK) {
            int t1 = t0 + NN_CONV_CHUNK < L->l ? t0 + NN_CONV_CHUNK : L->l;
            nn_conv_fwd_sample(&L->conv, x, lin, y, L->l, t0, t1, nn_P(m, L->w), nn_conv_packed(L->wpack), nn_P(m, L->b),
                               ws);
        }
        break;
    case ECGX_LAYER_BATCHNORM1D:
        nn_affine_sample(L->c, L->l, x, L->coef, L->coef + L->c, y);
        break;
    case ECGX_LAYER_RELU: nn_relu_fwd(on, x, y); break;
    case ECGX_LAYER_MAXPOOL1D:
        nn_maxpool_fwd_sample(cin, lin, L->l, L->conv.k, L->conv.stride, L->conv.pad, x, y, L->arg + b * on);
        break;
    case ECGX_LAYER_AVGPOOL1D:
        nn_avgpool_fwd_sample(cin, lin, L->l, L->conv.k, L->conv.stride, L->conv.pad, L->count_include_pad, x, y);
        break;
    case ECGX_LAYER_CONCAT_POOL: nn_concat_pool_fwd_sample(cin, lin, x, y, L->arg + b * on); break;
    case ECGX_LAYER_GLOBAL_AVGPOOL: nn_gap_fwd_sample(cin, lin, x, y); break;
    case ECGX_LAYER_FLATTEN:
    case ECGX_LAYER_DROPOUT: /* evaluation: identity (training handled per batch) */
        memcpy(y, x, sizeof(float) * on);
        break;
    case ECGX_LAYER_LINEAR: nn_linear_fwd(1, L->in_features, L->out_features, x, nn_P(m, L->w), nn_P(m, L->b), y); break;
    case ECGX_LAYER_SCALE: nn_axpy_acc(on, L->p, x, y, 0); break;
    case ECGX_LAYER_ADD: add_inputs(m, L, b, 0, on, y); break;
    case ECGX_LAYER_CONCAT: {
        float *d = y;
        for (int j = 0; j < L->n_in; j++) {
            int c2, l2;
            const float *x2 = src_out(m, L->in[j], b, &c2, &l2);
            memcpy(d, x2, sizeof(float) * (size_t)c2 * l2);
            d += (int64_t)c2 * l2;
        }
        break;
    }
    }
}

/* Layers that act on each channel alone (in evaluation mode). */
static int channelwise(const ecgx_model *m, const nn_layer *L)
{
    return !m->training && (L->type == ECGX_LAYER_BATCHNORM1D || L->type == ECGX_LAYER_RELU || L->type == ECGX_LAYER_ADD);
}

/* A channelwise layer on channels [c0, c1) of sample b. */
static void layer_fwd_channels(ecgx_model *m, nn_layer *L, int b, int c0, int c1)
{
    int cin, lin;
    int64_t off = (int64_t)c0 * L->l, n = (int64_t)(c1 - c0) * L->l;
    const float *x = src_out(m, L->in[0], b, &cin, &lin) + off;
    float *y = L->out + (int64_t)b * L->c * L->l + off;
    if (L->type == ECGX_LAYER_BATCHNORM1D) {
        nn_affine_sample(c1 - c0, L->l, x, L->coef + c0, L->coef + L->c + c0, y);
    } else if (L->type == ECGX_LAYER_RELU) {
        nn_relu_fwd(n, x, y);
    } else {
        add_inputs(m, L, b, off, n, y);
    }
}

/* One layer on the samples [b0, b1): a Winograd convolution takes their
 * tiles as one block (wider matrix products), the rest goes sample by
 * sample. */
static void layer_fwd_range(ecgx_model *m, nn_layer *L, int b0, int b1, float *ws)
{
    if (L->type == ECGX_LAYER_CONV1D && L->wino) {
        int cin, lin;
        const float *x = src_out(m, L->in[0], 0, &cin, &lin);
        int64_t nt = nn_conv_wino_tiles(L);
        nn_conv_wino_fwd(m, L, x, lin, b0 * nt, b1 * nt, ws);
        return;
    }
    for (int b = b0; b < b1; b++) layer_fwd_sample(m, L, b, ws);
}

/* Samples per group in the group-major pass: enough for a full Winograd
 * block at the narrowest convolution (narrow matrix products are slow),
 * few enough to keep every thread busy. */
static int group_size(const ecgx_model *m, int batch, int T)
{
    int most = 1;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].wino) {
            int nt = nn_conv_wino_tiles(&m->layers[i]);
            int g = nt >= NN_WINO_BLOCK ? 1 : (NN_WINO_BLOCK + nt - 1) / nt;
            if (g > most) most = g;
        }
    int fair = (batch + T - 1) / T;
    return most < fair ? most : fair;
}

static void bn_prepare_eval(ecgx_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *L = &m->layers[i];
        if (L->type != ECGX_LAYER_BATCHNORM1D) continue;
        int C = L->in_features;
        const float *rm = BUF(m, L->rm), *rv = BUF(m, L->rv);
        nn_bn_eval_coeffs(C, nn_P(m, L->w), nn_P(m, L->b), rm, rv, L->eps, L->coef, L->coef + C);
        for (int c = 0; c < C; c++) {
            L->save[c] = rm[c];
            L->save[C + c] = 1.0f / sqrtf(rv[c] + L->eps);
        }
    }
}

static int forward(ecgx_model *m, const float *x, int batch, int length, float *logits, int infer)
{
    if (!m || !x || batch <= 0 || length <= 0)
        return ecgx_error(ECGX_ERR_ARG, "model forward: bad arguments (batch %d, length %d)", batch, length);
    if ((int64_t)batch * length > (int64_t)1 << 31)
        return ecgx_error(ECGX_ERR_RANGE, "model forward: batch %d x length %d is too large", batch, length);
    /* The number of threads is fixed (OMP_NUM_THREADS or
     * ecgx_nn_set_threads). OpenMP's dynamic adjustment is not used: libgomp
     * bases it on the load average, which ecgx's own threads raise, so a
     * long run on a 2-core machine throttled itself to one thread. */
    m->nthreads = omp_get_max_threads();
    int rc = plan(m, batch, length, infer);
    if (rc < 0) return rc;
    m->have_forward = 0;
    m->have_backward = 0;
    m->inferred = infer;
    memcpy(m->input, x, sizeof(float) * (size_t)batch * m->in_channels * length);
    int T = m->nthreads;
    if (!m->training) bn_prepare_eval(m);
    if (!m->training && batch >= T && (batch % T == 0 || batch >= 3 * T)) {
        /* group-major: the batch split evenly between the threads, each
         * taking its share through every layer in groups of a few samples.
         * (Dynamically scheduled groups left one thread idle at the end:
         * static shares are 1.15-1.23x faster at batch 32, 1.04-1.11x at
         * 64.) A small odd batch (3, 5 on 2 threads) would leave a thread a
         * whole sample behind: it goes layer by layer instead (1.19x at 3). */
        int G = group_size(m, batch, T);
#pragma omp parallel
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            int s0 = (int)((int64_t)batch * t / nt), s1 = (int)((int64_t)batch * (t + 1) / nt);
            int ng = (s1 - s0 + G - 1) / G;
            float *ws = thread_ws(m);
            for (int g = 0; g < ng; g++) {
                int b0 = s0 + (s1 - s0) * g / ng, b1 = s0 + (s1 - s0) * (g + 1) / ng;
                for (int i = 0; i < m->n_layers; i++) layer_fwd_range(m, &m->layers[i], b0, b1, ws);
            }
        }
    } else {
        for (int i = 0; i < m->n_layers; i++) {
            nn_layer *L = &m->layers[i];
            if (m->training && L->type == ECGX_LAYER_BATCHNORM1D) {
                int c, l;
                const float *xin = src_out(m, L->in[0], 0, &c, &l);
                if (m->n_shards > 1) {
                    double *scr = malloc(sizeof(double) * 2 * (size_t)c);
                    if (!scr) return ecgx_error(ECGX_ERR_NOMEM, "model: out of memory for batch-norm sums");
                    nn_bn_train_fwd_sharded(batch, c, l, m->n_shards, xin, L->out, nn_P(m, L->w), nn_P(m, L->b),
                                            BUF(m, L->rm), BUF(m, L->rv), L->eps, L->momentum, L->save, scr, m->reduce,
                                            m->reduce_user);
                    free(scr);
                } else {
                    nn_bn_train_fwd(batch, c, l, xin, L->out, nn_P(m, L->w), nn_P(m, L->b), BUF(m, L->rm),
                                    BUF(m, L->rv), L->eps, L->momentum, L->save);
                }
                L->num_batches_tracked++;
            } else if (m->training && L->type == ECGX_LAYER_DROPOUT) {
                int c, l;
                const float *xin = src_out(m, L->in[0], 0, &c, &l);
                int64_t n = (int64_t)batch * c * l;
                float keep = 1.0f - L->p, sc = keep > 0 ? 1.0f / keep : 0.0f;
                /* a shard draws the masks of the shards before it too (and
                 * after it, below), so that the global batch gets the one
                 * sequence a single model would draw */
                int before = m->n_shards > 1 ? m->shard : 0, after = m->n_shards > 1 ? m->n_shards - 1 - m->shard : 0;
                for (int64_t j = 0; j < n * before; j++) (void)nn_rng_uniform(&m->rng);
                for (int64_t j = 0; j < n; j++) {
                    L->mask[j] = nn_rng_uniform(&m->rng) < keep ? sc : 0.0f;
                    L->out[j] = xin[j] * L->mask[j];
                }
                for (int64_t j = 0; j < n * after; j++) (void)nn_rng_uniform(&m->rng);
            } else if (L->type == ECGX_LAYER_CONV1D && L->wino) {
                /* blocks of tiles across the batch, shared by the threads */
                int cin, lin;
                const float *xin = src_out(m, L->in[0], 0, &cin, &lin);
                int64_t ntiles = (int64_t)batch * nn_conv_wino_tiles(L);
                if (ntiles < wino_shared_below(m)) {
                    nn_conv_wino_fwd_shared(m, L, xin, lin, ntiles, m->ws);
                    continue;
                }
                int64_t nblk = (ntiles + NN_WINO_BLOCK - 1) / NN_WINO_BLOCK;
                if (nblk < T) nblk = ntiles < T ? ntiles : T;
#pragma omp parallel for schedule(dynamic, 1)
                for (int64_t k = 0; k < nblk; k++)
                    nn_conv_wino_fwd(m, L, xin, lin, ntiles * k / nblk, ntiles * (k + 1) / nblk, thread_ws(m));
            } else if (L->type == ECGX_LAYER_CONV1D && batch < T) {
                /* few samples: split each over time, at the same chunk
                 * boundaries as the sample-major path, so that a record gives
                 * bit-identical outputs alone or in a batch */
                int cw = NN_CONV_CHUNK;
                int nch = (L->l + cw - 1) / cw;
                int tasks = batch * nch;
#pragma omp parallel for schedule(dynamic, 1)
                for (int task = 0; task < tasks; task++) {
                    int b = task / nch, ch = task % nch;
                    int t0 = ch * cw, t1 = t0 + cw < L->l ? t0 + cw : L->l;
                    int cin, lin;
                    const float *xin = src_out(m, L->in[0], b, &cin, &lin);
                    nn_conv_fwd_sample(&L->conv, xin, lin, L->out + (int64_t)b * L->c * L->l, L->l, t0, t1,
                                       nn_P(m, L->w), nn_conv_packed(L->wpack), nn_P(m, L->b), thread_ws(m));
                }
            } else if (batch < T && channelwise(m, L)) {
                /* few samples: split each over its channels */
                int parts = T;
#pragma omp parallel for schedule(static)
                for (int task = 0; task < batch * parts; task++) {
                    int b = task / parts, k = task % parts;
                    layer_fwd_channels(m, L, b, L->c * k / parts, L->c * (k + 1) / parts);
                }
            } else {
#pragma omp parallel for schedule(static) if (batch > 1)
                for (int b = 0; b < batch; b++) layer_fwd_sample(m, L, b, thread_ws(m));
            }
        }
    }
    m->have_forward = !infer;
    if (logits) {
        const nn_layer *last = &m->layers[m->n_layers - 1];
        if (last->c * last->l != m->n_classes)
            return ecgx_error(ECGX_ERR_STATE, "model %s: last layer gives %d outputs, expected %d", m->arch,
                              last->c * last->l, m->n_classes);
        memcpy(logits, last->out, sizeof(float) * (size_t)batch * m->n_classes);
    }
    return 0;
}

int ecgx_model_forward(ecgx_model *m, const float *x, int batch, int length, float *logits)
{
    return forward(m, x, batch, length, logits, 0);
}

int ecgx_model_infer(ecgx_model *m, const float *x, int batch, int length, float *logits)
{
    if (!logits) return ecgx_error(ECGX_ERR_ARG, "model infer: no logits to write");
    return forward(m, x, batch, length, logits, 1);
}

/* ---------- backward ---------- */

static float *grad_dst(ecgx_model *m, int idx, int want_input, int *acc)
{
    if (idx == ECGX_MODEL_INPUT) {
        *acc = m->grad_init[m->n_layers];
        if (!want_input) return NULL;
        m->grad_init[m->n_layers] = 1;
        return m->input_grad;
    }
    *acc = m->grad_init[idx];
    m->grad_init[idx] = 1;
    return m->layers[idx].grad;
}

static void conv_bwd(ecgx_model *m, nn_layer *L, float *dx, int acc, int param_grads)
{
    int B = m->batch, T = m->nthreads > 0 ? m->nthreads : 1;
    int64_t wsz = (int64_t)L->conv.cout * (L->conv.cin / L->conv.groups) * L->conv.k;
    int chunk = L->l < NN_CONV_CHUNK ? L->l : NN_CONV_CHUNK;
    int64_t colsz = 2 * nn_conv_ws_floats(&L->conv, chunk);
    int cin0, lin0;
    const float *xin0 = src_out(m, L->in[0], 0, &cin0, &lin0); /* the batch's input */
    if (L->wino) {
        /* per slot: Winograd workspace, then the products of the weight
         * gradient in the transform domain [8][cout][cin], then db */
        colsz = nn_conv_wino_ws_floats(L, lin0);
        wsz = nn_conv_wino_dwp_floats(L);
    }
    float *dW = param_grads ? nn_G(m, L->w) : NULL, *db = param_grads ? nn_G(m, L->b) : NULL;
    int64_t stride_ws = m->ws_cap / T;
    /* T fixed slots, each a fixed block of samples with its own partial sums,
     * reduced in slot order: the result does not depend on how many threads
     * OpenMP actually gives, so training stays bit-reproducible from a seed. */
#pragma omp parallel num_threads(T)
    {
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < T; u++) {
            float *ws = m->ws + (int64_t)u * stride_ws;
            float *my_dw = ws + colsz, *my_db = my_dw + wsz;
            if (dW) memset(my_dw, 0, sizeof(float) * wsz);
            if (db) memset(my_db, 0, sizeof(float) * L->conv.cout);
            int b0 = (int)((int64_t)B * u / T), b1 = (int)((int64_t)B * (u + 1) / T);
            if (L->wino) {
                nn_conv_wino_bwd(L, xin0, lin0, b0, b1, dW ? my_dw : NULL, dx, acc, ws);
                if (db)
                    for (int b = b0; b < b1; b++) nn_conv_bias_grad(L->c, L->l, L->grad + (int64_t)b * L->c * L->l, my_db);
                continue;
            }
            for (int b = b0; b < b1; b++) {
                int cin, lin;
                const float *xin = src_out(m, L->in[0], b, &cin, &lin);
                nn_conv_bwd_sample(&L->conv, xin, lin, L->grad + (int64_t)b * L->c * L->l, L->l, nn_P(m, L->w),
                                   dW ? my_dw : NULL, db ? my_db : NULL, dx ? dx + (int64_t)b * cin * lin : NULL, acc,
                                   ws, chunk);
            }
        }
        if (dW) {
            /* Winograd: the slots' products summed into the first slot's,
             * then brought back to the kernel's taps */
            float *sum = m->ws + colsz;
#pragma omp for schedule(static)
            for (int64_t j = 0; j < wsz; j++) {
                float s = 0.0f;
                for (int u = 0; u < T; u++) s += (m->ws + (int64_t)u * stride_ws + colsz)[j];
                if (L->wino) sum[j] = s;
                else dW[j] += s;
            }
            if (L->wino) {
#pragma omp single
                nn_wino_dw_finish(L->wino, L->conv.cout, L->conv.cin, L->conv.k, L->conv.stride, sum, dW);
            }
        }
        if (db) {
#pragma omp for schedule(static)
            for (int j = 0; j < L->conv.cout; j++) {
                float s = 0.0f;
                for (int u = 0; u < T; u++) s += (m->ws + (int64_t)u * stride_ws + colsz + wsz)[j];
                db[j] += s;
            }
        }
    }
}

int ecgx_model_backward(ecgx_model *m, const float *dlogits, float *dinput, int flags)
{
    if (!m || !dlogits) return ecgx_error(ECGX_ERR_ARG, "model backward: bad arguments");
    if (!m->have_forward)
        return ecgx_error(ECGX_ERR_STATE, m->inferred ? "model backward: the last pass was ecgx_model_infer, which "
                                                        "keeps no activations; use ecgx_model_forward"
                                                      : "model backward: no forward pass to go back through");
    int B = m->batch;
    int param_grads = !(flags & ECGX_BACKWARD_NO_PARAM_GRADS);
    int64_t act = 0;
    for (int i = 0; i < m->n_layers; i++) act += (int64_t)B * m->layers[i].c * m->layers[i].l;
    int64_t in = (int64_t)B * m->in_channels * m->length;
    if (nn_grow((void **)&m->grads_arena, &m->grad_cap, act, sizeof(float), "gradients") < 0) return ECGX_ERR_NOMEM;
    if (nn_grow((void **)&m->input_grad, &m->in_grad_cap, in, sizeof(float), "input gradient") < 0)
        return ECGX_ERR_NOMEM;
    float *g = m->grads_arena;
    for (int i = 0; i < m->n_layers; i++) {
        m->layers[i].grad = g;
        g += (int64_t)B * m->layers[i].c * m->layers[i].l;
    }
    memset(m->grad_init, 0, (size_t)m->n_layers + 1);
    nn_layer *last = &m->layers[m->n_layers - 1];
    memcpy(last->grad, dlogits, sizeof(float) * (size_t)B * last->c * last->l);
    m->grad_init[m->n_layers - 1] = 1;
    /* The input gradient is always computed (explanations read it through
     * ecgx_model_input_grad); it costs one extra product at the first layer. */
    int want_input = 1;
    for (int i = m->n_layers - 1; i >= 0; i--) {
        nn_layer *L = &m->layers[i];
        if (!m->grad_init[i]) continue; /* does not reach the output */
        int acc;
        int64_t on = (int64_t)L->c * L->l;
        switch (L->type) {
        case ECGX_LAYER_CONV1D: {
            float *dx = grad_dst(m, L->in[0], want_input, &acc);
            conv_bwd(m, L, dx, acc, param_grads);
            break;
        }
        case ECGX_LAYER_BATCHNORM1D: {
            int c, l;
            const float *x = src_out(m, L->in[0], 0, &c, &l);
            float *dx = grad_dst(m, L->in[0], want_input, &acc);
            if (m->training && m->n_shards > 1) {
                double *scr = malloc(sizeof(double) * 4 * (size_t)c);
                if (!scr) return ecgx_error(ECGX_ERR_NOMEM, "model: out of memory for batch-norm sums");
                nn_bn_bwd_sharded(B, c, l, m->n_shards, x, L->grad, nn_P(m, L->w), L->save,
                                  param_grads ? nn_G(m, L->w) : NULL, param_grads ? nn_G(m, L->b) : NULL, dx, acc, scr,
                                  m->reduce, m->reduce_user);
                free(scr);
            } else {
                nn_bn_bwd(B, c, l, x, L->grad, nn_P(m, L->w), L->save, m->training, param_grads ? nn_G(m, L->w) : NULL,
                          param_grads ? nn_G(m, L->b) : NULL, dx, acc);
            }
            break;
        }
        case ECGX_LAYER_RELU: {
            float *dx = grad_dst(m, L->in[0], want_input, &acc);
            if (dx) nn_relu_bwd((int64_t)B * on, L->out, L->grad, dx, acc);
            break;
        }
        case ECGX_LAYER_LINEAR: {
            int c, l;
            const float *x = src_out(m, L->in[0], 0, &c, &l);
            float *dx = grad_dst(m, L->in[0], want_input, &acc);
            nn_linear_bwd(B, L->in_features, L->out_features, x, L->grad, nn_P(m, L->w),
                          param_grads ? nn_G(m, L->w) : NULL, param_grads ? nn_G(m, L->b) : NULL, dx, acc);
            break;
        }
        case ECGX_LAYER_DROPOUT:
        case ECGX_LAYER_FLATTEN:
        case ECGX_LAYER_SCALE: {
            float *dx = grad_dst(m, L->in[0], want_input, &acc);
            if (!dx) break;
            int64_t n = (int64_t)B * on;
            if (L->type == ECGX_LAYER_DROPOUT && m->training) {
                for (int64_t j = 0; j < n; j++) dx[j] = (acc ? dx[j] : 0.0f) + L->grad[j] * L->mask[j];
            } else {
                nn_axpy_acc(n, L->type == ECGX_LAYER_SCALE ? L->p : 1.0f, L->grad, dx, acc);
            }
            break;
        }
        case ECGX_LAYER_ADD:
            for (int j = 0; j < L->n_in; j++) {
                float *dx = grad_dst(m, L->in[j], want_input, &acc);
                if (dx) nn_axpy_acc((int64_t)B * on, 1.0f, L->grad, dx, acc);
            }
            break;
        case ECGX_LAYER_CONCAT: {
            int64_t off = 0;
            for (int j = 0; j < L->n_in; j++) {
                int c2, l2;
                src_out(m, L->in[j], 0, &c2, &l2);
                float *dx = grad_dst(m, L->in[j], want_input, &acc);
                int64_t n2 = (int64_t)c2 * l2;
                if (dx)
                    for (int b = 0; b < B; b++)
                        nn_axpy_acc(n2, 1.0f, L->grad + b * on + off, dx + b * n2, acc);
                off += n2;
            }
            break;
        }
        case ECGX_LAYER_MAXPOOL1D:
        case ECGX_LAYER_AVGPOOL1D:
        case ECGX_LAYER_CONCAT_POOL:
        case ECGX_LAYER_GLOBAL_AVGPOOL: {
            int c, l;
            src_out(m, L->in[0], 0, &c, &l);
            float *dx = grad_dst(m, L->in[0], want_input, &acc);
            if (!dx) break;
            int64_t in_n = (int64_t)c * l;
#pragma omp parallel for schedule(static) if (B > 1)
            for (int b = 0; b < B; b++) {
                const float *dy = L->grad + b * on;
                float *d = dx + b * in_n;
                if (L->type == ECGX_LAYER_MAXPOOL1D)
                    nn_maxpool_bwd_sample(c, l, L->l, L->arg + b * on, dy, d, acc);
                else if (L->type == ECGX_LAYER_AVGPOOL1D)
                    nn_avgpool_bwd_sample(c, l, L->l, L->conv.k, L->conv.stride, L->conv.pad, L->count_include_pad,
                                          dy, d, acc);
                else if (L->type == ECGX_LAYER_CONCAT_POOL)
                    nn_concat_pool_bwd_sample(c, l, L->arg + b * on, dy, d, acc);
                else
                    nn_gap_bwd_sample(c, l, dy, d, acc);
            }
            break;
        }
        }
    }
    if (!m->grad_init[m->n_layers]) memset(m->input_grad, 0, sizeof(float) * (size_t)in);
    if (dinput) memcpy(dinput, m->input_grad, sizeof(float) * (size_t)in);
    m->have_backward = 1;
    return 0;
}

void ecgx_model_zero_grad(ecgx_model *m)
{
    memset(m->gdata, 0, sizeof(float) * (size_t)m->n_trainable);
}

/* ---------- introspection ---------- */

int ecgx_model_layer_count(const ecgx_model *m) { return m->n_layers; }

const char *ecgx_model_layer_name(const ecgx_model *m, int i)
{
    return i >= 0 && i < m->n_layers ? m->layers[i].name : NULL;
}

ecgx_layer_type ecgx_model_layer_type(const ecgx_model *m, int i)
{
    return i >= 0 && i < m->n_layers ? m->layers[i].type : (ecgx_layer_type)0;
}

const char *ecgx_layer_type_name(ecgx_layer_type t)
{
    switch (t) {
    case ECGX_LAYER_CONV1D: return "conv1d";
    case ECGX_LAYER_BATCHNORM1D: return "batchnorm1d";
    case ECGX_LAYER_RELU: return "relu";
    case ECGX_LAYER_MAXPOOL1D: return "maxpool1d";
    case ECGX_LAYER_AVGPOOL1D: return "avgpool1d";
    case ECGX_LAYER_CONCAT_POOL: return "concat_pool";
    case ECGX_LAYER_GLOBAL_AVGPOOL: return "global_avgpool";
    case ECGX_LAYER_FLATTEN: return "flatten";
    case ECGX_LAYER_LINEAR: return "linear";
    case ECGX_LAYER_DROPOUT: return "dropout";
    case ECGX_LAYER_ADD: return "add";
    case ECGX_LAYER_CONCAT: return "concat";
    case ECGX_LAYER_SCALE: return "scale";
    }
    return "unknown";
}

int ecgx_model_layer_find(const ecgx_model *m, const char *name)
{
    for (int i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

int ecgx_model_layer_info(const ecgx_model *m, int i, ecgx_layer_info *info)
{
    if (i < 0 || i >= m->n_layers) return ecgx_error(ECGX_ERR_ARG, "model: no layer %d", i);
    const nn_layer *L = &m->layers[i];
    memset(info, 0, sizeof *info);
    info->name = L->name;
    info->type = L->type;
    info->n_inputs = L->n_in;
    memcpy(info->inputs, L->in, sizeof(int) * L->n_in);
    info->out_channels = L->c;
    info->out_length = L->l;
    info->in_channels = L->type == ECGX_LAYER_LINEAR ? L->in_features : L->conv.cin;
    if (L->type == ECGX_LAYER_LINEAR) info->out_channels = L->out_features;
    if (L->type == ECGX_LAYER_BATCHNORM1D) info->in_channels = L->in_features;
    info->kernel = L->conv.k;
    info->stride = L->conv.stride;
    info->padding = L->conv.pad;
    info->dilation = L->conv.dil;
    info->groups = L->conv.groups;
    info->ceil_mode = L->ceil_mode;
    info->count_include_pad = L->count_include_pad;
    info->eps = L->eps;
    info->momentum = L->momentum;
    info->running_mean = BUF(m, L->rm);
    info->running_var = BUF(m, L->rv);
    info->weight = nn_P(m, L->w);
    info->bias = nn_P(m, L->b);
    info->p = L->p;
    return 0;
}

const float *ecgx_model_activation(const ecgx_model *m, int i, int *batch, int *channels, int *length)
{
    if (!m->have_forward || i < 0 || i >= m->n_layers) return NULL;
    if (batch) *batch = m->batch;
    if (channels) *channels = m->layers[i].c;
    if (length) *length = m->layers[i].l;
    return m->layers[i].out;
}

const float *ecgx_model_gradient(const ecgx_model *m, int i, int *batch, int *channels, int *length)
{
    if (!m->have_backward || i < 0 || i >= m->n_layers || !m->grad_init[i]) return NULL;
    if (batch) *batch = m->batch;
    if (channels) *channels = m->layers[i].c;
    if (length) *length = m->layers[i].l;
    return m->layers[i].grad;
}

const float *ecgx_model_input_grad(const ecgx_model *m)
{
    return m->have_backward ? m->input_grad : NULL;
}

int ecgx_model_param_count(const ecgx_model *m) { return m->n_params; }

int ecgx_model_param(ecgx_model *m, int i, ecgx_param *p)
{
    if (i < 0 || i >= m->n_params) return ecgx_error(ECGX_ERR_ARG, "model: no parameter %d", i);
    const nn_param *q = &m->params[i];
    p->name = q->name;
    p->ndim = q->ndim;
    memcpy(p->shape, q->shape, sizeof p->shape);
    p->size = q->size;
    if (q->kind == NN_PARAM_TRAINABLE) {
        p->data = m->pdata + q->offset;
        p->grad = m->gdata + q->offset;
        m->weights_exposed = 1;
    } else {
        p->data = m->bdata + q->offset;
        p->grad = NULL;
    }
    return 0;
}

int ecgx_model_param_find(const ecgx_model *m, const char *name)
{
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0) return i;
    return -1;
}

int64_t ecgx_model_n_trainable(const ecgx_model *m) { return m->n_trainable; }
float *ecgx_model_flat_params(ecgx_model *m)
{
    m->weights_exposed = 1;
    return m->pdata;
}
float *ecgx_model_flat_grads(ecgx_model *m) { return m->gdata; }

/* Both counts in one walk over the shapes: `executed` counts a Winograd
 * convolution's products in the transform domain (8 per tile and channel
 * pair) instead of the direct sum's. */
static double forward_flops(const ecgx_model *m, int length, int executed)
{
    /* shapes without touching the plan */
    int n = m->n_layers;
    int *c = malloc(sizeof(int) * 2 * (size_t)n);
    if (!c) return 0;
    int *l = c + n;
    double fl = 0;
    for (int i = 0; i < n; i++) {
        const nn_layer *L = &m->layers[i];
        int src = L->in[0];
        int cin = src < 0 ? m->in_channels : c[src], lin = src < 0 ? length : l[src];
        int co = cin, lo = lin, r;
        switch (L->type) {
        case ECGX_LAYER_CONV1D:
            co = L->conv.cout;
            lo = nn_conv_out_len(&L->conv, lin);
            r = executed ? nn_conv_wino_taps(m, &L->conv) : 0;
            if (r) /* 8 products per channel pair per tile of 9 - r outputs */
                fl += 2.0 * NN_WINO_ALPHA * co * (double)L->conv.cin * L->conv.stride *
                      ((lo + NN_WINO_ALPHA - r) / (NN_WINO_ALPHA + 1 - r));
            else
                fl += 2.0 * co * lo * (double)(L->conv.cin / L->conv.groups) * L->conv.k;
            break;
        case ECGX_LAYER_LINEAR:
            co = L->out_features;
            lo = 1;
            fl += 2.0 * L->in_features * L->out_features;
            break;
        case ECGX_LAYER_MAXPOOL1D:
        case ECGX_LAYER_AVGPOOL1D:
            lo = nn_pool_out_len(lin, L->conv.k, L->conv.stride, L->conv.pad, L->ceil_mode);
            break;
        case ECGX_LAYER_CONCAT_POOL: co = 2 * cin; lo = 1; break;
        case ECGX_LAYER_GLOBAL_AVGPOOL: lo = 1; break;
        case ECGX_LAYER_FLATTEN: co = cin * lin; lo = 1; break;
        case ECGX_LAYER_CONCAT:
            co = 0;
            for (int j = 0; j < L->n_in; j++) co += L->in[j] < 0 ? m->in_channels : c[L->in[j]];
            break;
        default: break;
        }
        c[i] = co;
        l[i] = lo;
    }
    free(c);
    return fl;
}

double ecgx_model_forward_flops(const ecgx_model *m, int length) { return forward_flops(m, length, 0); }
double ecgx_model_forward_flops_executed(const ecgx_model *m, int length) { return forward_flops(m, length, 1); }

void nn_model_set_shard(ecgx_model *m, int shard, int n_shards, void (*reduce)(double *, int, void *), void *user)
{
    m->shard = n_shards > 1 ? shard : 0;
    m->n_shards = n_shards > 1 ? n_shards : 0;
    m->reduce = reduce;
    m->reduce_user = user;
}
