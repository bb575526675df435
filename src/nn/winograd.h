/* Winograd (Toom-Cook) convolution for 1-D convolutions of stride 1 and 2
 * (internal; stride 2 through the input's two phases, see nn_wino_io).
 *
 * A convolution with r taps computes m = 9 - r outputs of a tile from 8
 * transformed inputs with 8 multiplications per channel pair instead of
 * m * r (2.5x fewer for r = 5, 2.25x for r = 3). The tiles' transformed
 * inputs are multiplied by the transformed weights as 8 matrix products
 * (sgemm), one per evaluation point, over blocks of tiles that may span
 * several samples of the batch. The same transforms give the two backward
 * passes: the input gradient is the convolution of the output gradient with
 * the flipped, transposed kernel, and the weight gradient is the Toom-Cook
 * correlation with the roles of kernel and outputs swapped.
 *
 * Points 0, +-1, +-2, +-1/2 and infinity (the usual well-conditioned set);
 * the transform matrices are derived in double precision from the
 * Vandermonde matrices, so every r from 2 to 7 uses one construction. */
#ifndef ECGX_NN_WINOGRAD_H
#define ECGX_NN_WINOGRAD_H

#include <stdint.h>

#define NN_WINO_ALPHA 8

typedef struct nn_wino {
    int r, m;                                 /* taps; outputs per tile (9 - r) */
    float AT[NN_WINO_ALPHA][NN_WINO_ALPHA];   /* [m][alpha]: outputs from products */
    float G[NN_WINO_ALPHA][NN_WINO_ALPHA];    /* [alpha][r]: kernel transform */
    float BT[NN_WINO_ALPHA][NN_WINO_ALPHA];   /* [alpha][alpha]: input transform */
} nn_wino;

/* Transforms for an r-tap kernel; -1 when r is outside 2..7. */
int nn_wino_init(nn_wino *w, int r);

/* Where a batch's tiles lie. A stride-2 convolution is computed as a
 * stride-1 one over the input's two phases (x[2s + ph - pad], ph = 0, 1:
 * the channels as the transform sees them are the even phases of all
 * channels, then the odd ones) with ceil(k/2) taps; its input gradient is
 * a stride-1 convolution whose outputs go back to the two phases. */
typedef struct nn_wino_io {
    int cin, cout;       /* channels as the transform sees them */
    int L, pad;          /* input length per channel; its left zero padding */
    int Lout;            /* outputs the tiles cover, per channel */
    int64_t xs, ys;      /* floats from one sample to the next in x, y */
    int in_step;         /* 2: read the input as its two phases (cin = 2 x channels) */
    int out_step;        /* 2: write the outputs to the two phases of y (cout = 2 x channels) */
    int out_len, out_pad; /* y's length per channel, and its shift: output v of phase ph goes to
                           * out_step * v + ph - out_pad */
} nn_wino_io;

/* Tiles per sample. */
static inline int nn_wino_tiles(const nn_wino *w, int Lout) { return (Lout + w->m - 1) / w->m; }

/* Transformed weights U [alpha][cout][cin * step] from W [cout][cin][k]
 * (step 2: the taps of each phase, ceil(k/2) of them). With `flip`, the
 * kernel of the input gradient: U [alpha][cin * step][cout] from W reversed
 * in time and with its channels swapped. */
void nn_wino_weights(const nn_wino *w, int cout, int cin, int k, int step, const float *W, int flip, float *U);

/* Floats of workspace for a block of nb tiles. */
int64_t nn_wino_ws_floats(const nn_wino_io *io, int nb);

/* y (= or += with acc) the convolution for the tiles [n0, n1) of the batch
 * (tile n = sample n / tiles + tile n % tiles); bias may be NULL. Up: U
 * packed for nn_panel_gemm per point (panel_gemm.h), or NULL for sgemm. */
void nn_wino_fwd(const nn_wino *w, const nn_wino_io *io, const float *U, const float *Up, const float *bias,
                 const float *x, float *y, int acc, int64_t n0, int64_t n1, float *ws);

/* nn_wino_fwd's three steps, for threads sharing one block: the input
 * transform of channels [c0, c1) into V [alpha][cin][nb]; the products of
 * points [p0, p1) into M [alpha][cout][nb]; the outputs of channels
 * [c0, c1). X: a thread's scratch of nn_wino_scratch_floats(nb). */
void nn_wino_fwd_input(const nn_wino *w, const nn_wino_io *io, const float *x, int64_t n0, int64_t n1, int c0,
                       int c1, float *V, float *X);
void nn_wino_fwd_gemm(const nn_wino_io *io, const float *U, const float *Up, int nb, int p0, int p1, const float *V,
                      float *M);
void nn_wino_fwd_output(const nn_wino *w, const nn_wino_io *io, const float *bias, float *y, int acc, int64_t n0,
                        int64_t n1, int c0, int c1, const float *M, float *X);
int64_t nn_wino_scratch_floats(int nb);

/* dWp [alpha][cout][cin] += the weight gradient's transform-domain products
 * for the tiles [n0, n1), dy laid out like y in nn_wino_fwd. */
void nn_wino_dw(const nn_wino *w, const nn_wino_io *io, const float *x, const float *dy, int64_t n0, int64_t n1,
                float *dWp, float *ws);
/* dW [cout][cin][k] += the kernel-space weight gradient of dWp
 * ([alpha][cout][cin * step]). */
void nn_wino_dw_finish(const nn_wino *w, int cout, int cin, int k, int step, const float *dWp, float *dW);

#endif
