/* Winograd (Toom-Cook) convolution for stride-1 1-D convolutions (internal).
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

/* Where a batch's tiles lie: sample stride of x and y, lengths, padding. */
typedef struct nn_wino_io {
    int cin, cout;
    int L, pad;          /* input length; zero padding on the left */
    int Lout;            /* output length */
    int64_t xs, ys;      /* floats from one sample to the next in x, y */
} nn_wino_io;

/* Tiles per sample. */
static inline int nn_wino_tiles(const nn_wino *w, int Lout) { return (Lout + w->m - 1) / w->m; }

/* Transformed weights U [alpha][cout][cin] from W [cout][cin][r]. With
 * `flip`, the kernel of the input gradient: U [alpha][cin][cout] from
 * W reversed in time and with its channels swapped. */
void nn_wino_weights(const nn_wino *w, int cout, int cin, const float *W, int flip, float *U);

/* Floats of workspace for a block of nb tiles. */
int64_t nn_wino_ws_floats(const nn_wino_io *io, int nb);

/* y (= or += with acc) the convolution for the tiles [n0, n1) of the batch
 * (tile n = sample n / tiles + tile n % tiles); bias may be NULL. */
void nn_wino_fwd(const nn_wino *w, const nn_wino_io *io, const float *U, const float *bias, const float *x,
                 float *y, int acc, int64_t n0, int64_t n1, float *ws);

/* dWp [alpha][cout][cin] += the weight gradient's transform-domain products
 * for the tiles [n0, n1), dy laid out like y in nn_wino_fwd. */
void nn_wino_dw(const nn_wino *w, const nn_wino_io *io, const float *x, const float *dy, int64_t n0, int64_t n1,
                float *dWp, float *ws);
/* dW [cout][cin][r] += the kernel-space weight gradient of dWp. */
void nn_wino_dw_finish(const nn_wino *w, int cout, int cin, const float *dWp, float *dW);

#endif
