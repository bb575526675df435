/* The model container's insides, shared by the architecture builders
 * (arch.c), the forward/backward engine (model.c) and the safetensors
 * reader/writer. Not part of the public API. */
#ifndef ECGX_NN_MODEL_INTERNAL_H
#define ECGX_NN_MODEL_INTERNAL_H

#include "ecgx/nn.h"
#include "nn/kernels.h"
#include "nn/winograd.h"

#include <stdint.h>

#define NN_NAME_MAX 96
/* Tiles per Winograd block: a block's transformed inputs and products
 * (8 x 128 channels x 128 tiles x 2 x 4 bytes = 1 MB) stay in L2. */
#define NN_WINO_BLOCK 128

/* Output columns per im2col block: keeps the block in L2, gives a single
 * record enough blocks for two threads, and fixes the blocks' boundaries
 * (the same in every path, so results do not depend on the batch size). */
#define NN_CONV_CHUNK 128

typedef enum nn_param_kind { NN_PARAM_TRAINABLE, NN_PARAM_BUFFER } nn_param_kind;

typedef struct nn_param {
    char name[NN_NAME_MAX];
    nn_param_kind kind;
    int ndim;
    int64_t shape[4];
    int64_t size;
    int64_t offset; /* into params (trainable) or buffers */
} nn_param;

typedef struct nn_layer {
    char name[NN_NAME_MAX];
    ecgx_layer_type type;
    int n_in;
    int in[ECGX_LAYER_MAX_INPUTS];
    nn_conv_shape conv;    /* conv; pools use k, stride, pad */
    int ceil_mode, count_include_pad;
    int in_features, out_features; /* linear; channels for bn */
    float eps, momentum, p;
    int w, b, rm, rv;      /* param indices, -1 when absent */
    int64_t num_batches_tracked;
    /* planned for the current batch/length */
    int c, l;              /* output channels and length per sample */
    float *out, *grad;     /* [B][c][l] views into the arenas */
    int32_t *arg;          /* max-pool argmax */
    float *mask;           /* dropout mask */
    float *save;           /* bn: mean, invstd (2C) */
    float *coef;           /* bn eval: scale, shift (2C) */
    /* conv by Winograd (NULL: im2col): transforms, transformed weights for
     * the forward pass and the input gradient, and a copy of the weights
     * they were made from (they are remade when the weights change) */
    nn_wino *wino;
    float *wU, *wUflip, *wsrc;
    float *wUp, *wUflipp; /* the same packed for nn_panel_gemm, or NULL */
    float *wpack;         /* not by Winograd: W packed for the im2col products */
} nn_layer;

typedef struct nn_meta {
    char *key, *value;
} nn_meta;

struct ecgx_model {
    char arch[64];
    int in_channels, n_classes;
    nn_layer *layers;
    int n_layers, cap_layers;
    nn_param *params;
    int n_params, cap_params;
    float *pdata, *gdata, *bdata; /* trainable, their grads, buffers */
    int64_t n_trainable, n_buffer;
    float *bn_scratch;            /* save + coef for all bn layers */
    nn_meta *meta;
    int n_meta;
    int training;
    int no_winograd;
    uint64_t rng;
    /* plan */
    int batch, length;            /* of the last forward */
    int64_t act_cap, grad_cap, arg_cap, mask_cap, ws_cap, in_cap, in_grad_cap;
    float *act, *grads_arena, *mask_arena, *ws, *input, *input_grad;
    int32_t *arg_arena;
    float *win_x, *win_logits;    /* ecgx_model_predict_windows' batch */
    int64_t win_x_cap, win_logits_cap;
    int nthreads;
    int have_forward, have_backward;
    int inferred;                 /* the last pass was ecgx_model_infer */
    int64_t *slot_of;             /* ecgx_model_infer's plan: [3][n_layers] */
    /* The conv layers' weight forms were made for these settings (Winograd
     * and packing flags, 0: not made); the weights may have been written
     * through pointers the model handed out (then they are checked at
     * every pass, since such writes cannot be seen otherwise). Anything
     * inside ecgx that writes weights sets forms = 0. */
    int forms, weights_exposed;
    char *grad_init;              /* per layer, during backward */
    /* Data parallelism (nn_model_set_shard): this model sees shard `shard`
     * of `n_shards` equal parts of each global batch; training-mode batch
     * norm reduces its statistics over all shards through `reduce` (sums
     * of doubles, in place), and dropout draws the whole global batch's
     * masks, keeping its own part, so that the shards together compute what
     * one model would on the global batch. n_shards 0 or 1: none. */
    int shard, n_shards;
    void (*reduce)(double *buf, int n, void *user);
    void *reduce_user;
};

/* Makes m one of n_shards data-parallel replicas (see above); reduce sums
 * a buffer of doubles over all replicas in place. n_shards <= 1: alone. */
void nn_model_set_shard(ecgx_model *m, int shard, int n_shards, void (*reduce)(double *, int, void *), void *user);

/* *p holds at least `need` elements of `elem` bytes (grown, contents not
 * kept, when *cap is smaller); a negative status when out of memory. */
int nn_grow(void **p, int64_t *cap, int64_t need, size_t elem, const char *what);

/* Parameters, their gradients and buffers of a layer (NULL for index -1). */
static inline float *nn_P(const ecgx_model *m, int idx) { return idx < 0 ? NULL : m->pdata + m->params[idx].offset; }
static inline float *nn_G(const ecgx_model *m, int idx) { return idx < 0 ? NULL : m->gdata + m->params[idx].offset; }

/* Winograd convolution layers (conv_winograd.c). `prepare` decides whether
 * a conv layer runs by Winograd and refreshes its transformed weights (or,
 * not by Winograd, its weights packed for the im2col products); the
 * forward pass covers the tiles [n0, n1) of the batch (tile = sample *
 * tiles + tile within it) from input x [B][cin][lin]; the backward pass
 * covers samples [b0, b1), adding the weight gradient's products to dWp
 * ([8][cout][cin], may be NULL) and setting or adding (acc) dx. */
int nn_conv_prepare(ecgx_model *m, nn_layer *L);
/* Packed weights (wUp, wUflipp, wpack) when the packed products are in use
 * (nn_panel_available), else NULL: the callers then use sgemm. */
const float *nn_conv_packed(const float *Up);
int nn_conv_wino_taps(const ecgx_model *m, const nn_conv_shape *s); /* 0: not by Winograd */
int64_t nn_conv_wino_ws_floats(const nn_layer *L, int lin);
int64_t nn_conv_wino_dwp_floats(const nn_layer *L); /* the weight gradient's products */
int nn_conv_wino_tiles(const nn_layer *L);
void nn_conv_wino_fwd(const ecgx_model *m, const nn_layer *L, const float *x, int lin, int64_t n0, int64_t n1,
                      float *ws);
/* The forward pass of a batch too small to split by tiles: one block of all
 * its tiles, the threads sharing out channels and points (workspace:
 * nn_conv_wino_shared_floats). */
int64_t nn_conv_wino_shared_floats(const nn_layer *L, int lin, int64_t ntiles, int threads);
void nn_conv_wino_fwd_shared(const ecgx_model *m, const nn_layer *L, const float *x, int lin, int64_t ntiles,
                             float *ws);
void nn_conv_wino_bwd(const nn_layer *L, const float *x, int lin, int b0, int b1, float *dWp, float *dx,
                      int acc, float *ws);
void nn_conv_forms_free(nn_layer *L); /* Winograd's and the packed weights */

/* Builders: return the new layer's index, or a negative status. `in` is a
 * layer index or ECGX_MODEL_INPUT. Names are PyTorch module paths. */
int nn_add_conv(ecgx_model *m, const char *name, int in, int cin, int cout, int k, int stride,
                int pad, int dil, int groups, int bias);
int nn_add_bn(ecgx_model *m, const char *name, int in, int C);
int nn_add_relu(ecgx_model *m, const char *name, int in);
int nn_add_maxpool(ecgx_model *m, const char *name, int in, int k, int stride, int pad, int ceil_mode);
int nn_add_avgpool(ecgx_model *m, const char *name, int in, int k, int stride, int pad, int ceil_mode,
                   int count_include_pad);
int nn_add_concat_pool(ecgx_model *m, const char *name, int in);
int nn_add_gap(ecgx_model *m, const char *name, int in);
int nn_add_flatten(ecgx_model *m, const char *name, int in);
int nn_add_linear(ecgx_model *m, const char *name, int in, int fin, int fout, int bias);
int nn_add_dropout(ecgx_model *m, const char *name, int in, float p);
int nn_add_add(ecgx_model *m, const char *name, int n, const int *ins);
int nn_add_concat(ecgx_model *m, const char *name, int n, const int *ins);
int nn_add_scale(ecgx_model *m, const char *name, int in, float s);

/* An empty model and the step that allocates and initialises parameters
 * once all layers are added. */
ecgx_model *nn_model_new(const char *arch, int in_channels, int n_classes, uint64_t seed);
int nn_model_finalize(ecgx_model *m);

/* Build an architecture's layers into an empty model (arch.c). */
int nn_build_arch(ecgx_model *m);

/* Seeded random numbers (splitmix64): no global state. */
static inline uint64_t nn_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline float nn_rng_uniform(uint64_t *s) /* [0, 1) */
{
    return (float)(nn_rng_next(s) >> 40) * (1.0f / 16777216.0f);
}

#endif
