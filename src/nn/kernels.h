/* Per-layer forward and backward kernels (internal). Each works on one
 * batch element ("_sample") or on the whole batch ("_batch"), so the model
 * can run either layer-major (training) or sample-major (inference, where a
 * sample's activations stay in cache from one layer to the next). Arrays are
 * [channel][time] per sample. `acc` = add into the destination instead of
 * overwriting it (gradients of a layer read by several consumers). */
#ifndef ECGX_NN_KERNELS_H
#define ECGX_NN_KERNELS_H

#include <stdint.h>

typedef struct nn_conv_shape {
    int cin, cout, k, stride, pad, dil, groups;
} nn_conv_shape;

int nn_conv_out_len(const nn_conv_shape *s, int L);
/* Floats of workspace one conv call needs for a chunk of `cols` outputs. */
int64_t nn_conv_ws_floats(const nn_conv_shape *s, int cols);

/* y[:, t0:t1] for one sample; col = workspace (nn_conv_ws_floats(t1-t0)).
 * Wp: W packed per group for nn_panel_gemm (panel_gemm.h), or NULL for sgemm. */
void nn_conv_fwd_sample(const nn_conv_shape *s, const float *x, int L, float *y, int Lout, int t0,
                        int t1, const float *W, const float *Wp, const float *bias, float *col);
/* One sample's backward: dW += (dW may be NULL), db += (may be NULL),
 * dx = or += (acc) (dx may be NULL). ws: 2*nn_conv_ws_floats(chunk). */
void nn_conv_bwd_sample(const nn_conv_shape *s, const float *x, int L, const float *dy, int Lout,
                        const float *W, float *dW, float *db, float *dx, int acc, float *ws, int chunk);
/* db += the output gradient summed over time, one sample. */
void nn_conv_bias_grad(int cout, int Lout, const float *dy, float *db);

/* Batch norm. Eval: y = x*scale[c] + shift[c]. */
void nn_bn_eval_coeffs(int C, const float *gamma, const float *beta, const float *mean,
                       const float *var, float eps, float *scale, float *shift);
void nn_affine_sample(int C, int L, const float *x, const float *scale, const float *shift, float *y);
/* Training forward over the batch: uses batch statistics, saves mean and
 * invstd (save[0:C], save[C:2C]), updates running stats as PyTorch. */
void nn_bn_train_fwd(int B, int C, int L, const float *x, float *y, const float *gamma,
                     const float *beta, float *rmean, float *rvar, float eps, float momentum,
                     float *save);
/* nn_bn_train_fwd / nn_bn_bwd (train) for one of several data-parallel
 * shards of a batch: the per-channel sums are completed by reduce (a sum
 * over the shards, in place) and N_total = B * L * n_shards; the same
 * two-pass mean and variance as nn_bn_train_fwd. dgamma and dbeta get
 * this shard's part (the caller sums gradients over shards). */
void nn_bn_train_fwd_sharded(int B, int C, int L, int n_shards, const float *x, float *y, const float *gamma,
                             const float *beta, float *rmean, float *rvar, float eps, float momentum, float *save,
                             double *scratch, void (*reduce)(double *, int, void *), void *user);
void nn_bn_bwd_sharded(int B, int C, int L, int n_shards, const float *x, const float *dy, const float *gamma,
                       const float *save, float *dgamma, float *dbeta, float *dx, int acc, double *scratch,
                       void (*reduce)(double *, int, void *), void *user);
/* Backward over the batch. train: through batch statistics; else through
 * the fixed (running) statistics. save holds mean/invstd used in forward. */
void nn_bn_bwd(int B, int C, int L, const float *x, const float *dy, const float *gamma,
               const float *save, int train, float *dgamma, float *dbeta, float *dx, int acc);

void nn_relu_fwd(int64_t n, const float *x, float *y);
/* y = a + b elementwise (y may be a or b); one thread */
void nn_add_fwd(int64_t n, const float *a, const float *b, float *y);
void nn_relu_bwd(int64_t n, const float *y, const float *dy, float *dx, int acc);

int nn_pool_out_len(int L, int k, int s, int pad, int ceil_mode);
void nn_maxpool_fwd_sample(int C, int L, int Lout, int k, int s, int pad, const float *x, float *y,
                           int32_t *arg);
void nn_maxpool_bwd_sample(int C, int L, int Lout, const int32_t *arg, const float *dy, float *dx,
                           int acc);
void nn_avgpool_fwd_sample(int C, int L, int Lout, int k, int s, int pad, int count_include_pad,
                           const float *x, float *y);
void nn_avgpool_bwd_sample(int C, int L, int Lout, int k, int s, int pad, int count_include_pad,
                           const float *dy, float *dx, int acc);

/* [max ; mean] over time: y [2C]; arg [C] = argmax positions. */
void nn_concat_pool_fwd_sample(int C, int L, const float *x, float *y, int32_t *arg);
void nn_concat_pool_bwd_sample(int C, int L, const int32_t *arg, const float *dy, float *dx, int acc);
void nn_gap_fwd_sample(int C, int L, const float *x, float *y);
void nn_gap_bwd_sample(int C, int L, const float *dy, float *dx, int acc);

/* Linear over a batch: y [B][O] = x [B][I] W^T + b. */
void nn_linear_fwd(int B, int nin, int nout, const float *x, const float *W, const float *b, float *y);
void nn_linear_bwd(int B, int nin, int nout, const float *x, const float *dy, const float *W, float *dW,
                   float *db, float *dx, int acc);

void nn_axpy_acc(int64_t n, float a, const float *x, float *y, int acc); /* y (=|+=) a*x */

#endif
