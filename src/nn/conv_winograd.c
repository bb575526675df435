/* Conv layers computed by Winograd convolution (winograd.h): which layers
 * qualify, their transformed weights, and the forward and backward passes
 * over ranges of tiles and samples that the model's threads share out.
 * Also the packed weights of the other conv layers' im2col products. */
#include "nn/model_internal.h"

#include "core/alloc.h"
#include "nn/panel_gemm.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Taps per phase: k for stride 1, ceil(k/2) for stride 2 (each phase of
 * the input sees every other tap). */
static int taps(const nn_conv_shape *s) { return (s->k + s->stride - 1) / s->stride; }

static int qualifies(const nn_conv_shape *s)
{
    if (s->dil != 1 || s->groups != 1 || (s->stride != 1 && s->stride != 2)) return 0;
    int r = taps(s);
    /* stride 1: the input gradient is the flipped kernel with padding
     * k - 1 - pad, which must not be negative */
    return r >= 2 && r <= NN_WINO_ALPHA - 1 && (s->stride == 2 || s->pad <= s->k - 1);
}

int nn_conv_wino_taps(const ecgx_model *m, const nn_conv_shape *s)
{
    return m->no_winograd || !qualifies(s) ? 0 : taps(s);
}

void nn_conv_forms_free(nn_layer *L)
{
    free(L->wino);
    free(L->wU);
    free(L->wUflip);
    free(L->wsrc);
    free(L->wUp);
    free(L->wUflipp);
    free(L->wpack);
    L->wino = NULL;
    L->wU = L->wUflip = L->wsrc = L->wUp = L->wUflipp = L->wpack = NULL;
}

/* Up [n] = the n matrices U [n][rows][cols] packed for nn_panel_gemm */
static int pack_all(const float *U, int n, int rows, int cols, float **Up)
{
    int64_t per = nn_panel_floats(rows, cols);
    if (!*Up && !(*Up = ecgx_malloc_array((size_t)(n * per), sizeof(float), "packed weights"))) return ECGX_ERR_NOMEM;
    for (int p = 0; p < n; p++) nn_panel_pack(U + (int64_t)p * rows * cols, rows, cols, cols, *Up + p * per);
    return 0;
}

/* Make the forms of the weights that L's passes use from W. */
static int make_forms(nn_layer *L, const float *W, int wino, int pack)
{
    const nn_conv_shape *s = &L->conv;
    if (!wino) /* im2col: each group's [cout/G][cin/G * k] */
        return pack ? pack_all(W, s->groups, s->cout / s->groups, s->cin / s->groups * s->k, &L->wpack) : 0;
    if (!L->wino) {
        int64_t nu = nn_conv_wino_dwp_floats(L);
        L->wino = malloc(sizeof *L->wino);
        L->wU = ecgx_malloc_array((size_t)nu, sizeof(float), "Winograd weights");
        L->wUflip = ecgx_malloc_array((size_t)nu, sizeof(float), "Winograd weights");
        if (!L->wino || !L->wU || !L->wUflip) return ECGX_ERR_NOMEM;
        nn_wino_init(L->wino, taps(s));
    }
    nn_wino_weights(L->wino, s->cout, s->cin, s->k, s->stride, W, 0, L->wU);
    nn_wino_weights(L->wino, s->cout, s->cin, s->k, s->stride, W, 1, L->wUflip);
    if (pack && (pack_all(L->wU, NN_WINO_ALPHA, s->cout, s->cin * s->stride, &L->wUp) < 0 ||
                 pack_all(L->wUflip, NN_WINO_ALPHA, s->cin * s->stride, s->cout, &L->wUflipp) < 0))
        return ECGX_ERR_NOMEM;
    return 0;
}

int nn_conv_prepare(ecgx_model *m, nn_layer *L)
{
    const nn_conv_shape *s = &L->conv;
    int wino = !m->no_winograd && qualifies(s), pack = nn_panel_available();
    if ((!wino) != !L->wino) nn_conv_forms_free(L); /* the algorithm changed */
    if (!wino && !pack) return 0;                     /* im2col on sgemm: W as it is */
    int64_t nw = (int64_t)s->cout * (s->cin / s->groups) * s->k;
    const float *W = nn_P(m, L->w);
    if (!L->wsrc) {
        if (!(L->wsrc = ecgx_malloc_array((size_t)nw, sizeof(float), "weights copy")))
            return ecgx_error(ECGX_ERR_NOMEM, "layer %s: out of memory for its weights' forms", L->name);
    } else if (memcmp(L->wsrc, W, sizeof(float) * (size_t)nw) == 0 && (!pack || (wino ? L->wUp : L->wpack))) {
        return 0; /* weights unchanged since the forms were made */
    }
    memcpy(L->wsrc, W, sizeof(float) * (size_t)nw);
    if (make_forms(L, W, wino, pack) < 0) {
        nn_conv_forms_free(L);
        return ecgx_error(ECGX_ERR_NOMEM, "layer %s: out of memory for its weights' forms", L->name);
    }
    return 0;
}

const float *nn_conv_packed(const float *Up) { return nn_panel_available() ? Up : NULL; }

int64_t nn_conv_wino_dwp_floats(const nn_layer *L)
{
    return (int64_t)NN_WINO_ALPHA * L->conv.cout * L->conv.cin * L->conv.stride;
}

static nn_wino_io fwd_io(const nn_layer *L, int lin)
{
    const nn_conv_shape *s = &L->conv;
    return (nn_wino_io){s->cin * s->stride, s->cout, lin, s->pad, L->l, (int64_t)s->cin * lin,
                        (int64_t)s->cout * L->l, s->stride, 1, L->l, 0};
}

/* The input gradient as a stride-1 convolution of the output gradient with
 * the flipped kernel; for stride 2, one per phase of the input, covering
 * ceil((lin + pad) / 2) positions of each. */
static nn_wino_io bwd_io(const nn_layer *L, int lin)
{
    const nn_conv_shape *s = &L->conv;
    int r = taps(s);
    int n = s->stride == 1 ? lin : (lin + s->pad + 1) / 2;
    return (nn_wino_io){s->cout, s->cin * s->stride, L->l, s->stride == 1 ? s->k - 1 - s->pad : r - 1, n,
                        (int64_t)s->cout * L->l, (int64_t)s->cin * lin, 1, s->stride, lin,
                        s->stride == 1 ? 0 : s->pad};
}

int nn_conv_wino_tiles(const nn_layer *L) { return nn_wino_tiles(L->wino, L->l); }

int64_t nn_conv_wino_ws_floats(const nn_layer *L, int lin)
{
    nn_wino_io f = fwd_io(L, lin), b = bwd_io(L, lin);
    int64_t a = nn_wino_ws_floats(&f, NN_WINO_BLOCK), c = nn_wino_ws_floats(&b, NN_WINO_BLOCK);
    return a > c ? a : c;
}

void nn_conv_wino_fwd(const ecgx_model *m, const nn_layer *L, const float *x, int lin, int64_t n0, int64_t n1,
                      float *ws)
{
    nn_wino_io io = fwd_io(L, lin);
    for (int64_t a = n0; a < n1; a += NN_WINO_BLOCK) {
        int64_t e = a + NN_WINO_BLOCK < n1 ? a + NN_WINO_BLOCK : n1;
        nn_wino_fwd(L->wino, &io, L->wU, nn_conv_packed(L->wUp), nn_P(m, L->b), x, L->out, 0, a, e, ws);
    }
}

int64_t nn_conv_wino_shared_floats(const nn_layer *L, int lin, int64_t ntiles, int threads)
{
    nn_wino_io io = fwd_io(L, lin);
    return (int64_t)NN_WINO_ALPHA * ntiles * (io.cin + io.cout) + threads * nn_wino_scratch_floats((int)ntiles);
}

void nn_conv_wino_fwd_shared(const ecgx_model *m, const nn_layer *L, const float *x, int lin, int64_t ntiles,
                             float *ws)
{
    nn_wino_io io = fwd_io(L, lin);
    int nb = (int)ntiles;
    float *V = ws, *M = V + (int64_t)NN_WINO_ALPHA * io.cin * nb, *scratch = M + (int64_t)NN_WINO_ALPHA * io.cout * nb;
    const float *bias = nn_P(m, L->b);
#pragma omp parallel
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        float *X = scratch + t * nn_wino_scratch_floats(nb);
        nn_wino_fwd_input(L->wino, &io, x, 0, ntiles, io.cin * t / T, io.cin * (t + 1) / T, V, X);
#pragma omp barrier
        nn_wino_fwd_gemm(&io, L->wU, nn_conv_packed(L->wUp), nb, NN_WINO_ALPHA * t / T, NN_WINO_ALPHA * (t + 1) / T, V,
                         M);
#pragma omp barrier
        nn_wino_fwd_output(L->wino, &io, bias, L->out, 0, 0, ntiles, io.cout * t / T, io.cout * (t + 1) / T, M, X);
    }
}

void nn_conv_wino_bwd(const nn_layer *L, const float *x, int lin, int b0, int b1, float *dWp, float *dx,
                      int acc, float *ws)
{
    if (dWp) {
        nn_wino_io io = fwd_io(L, lin);
        int nt = nn_wino_tiles(L->wino, L->l);
        for (int64_t a = (int64_t)b0 * nt; a < (int64_t)b1 * nt; a += NN_WINO_BLOCK) {
            int64_t e = a + NN_WINO_BLOCK < (int64_t)b1 * nt ? a + NN_WINO_BLOCK : (int64_t)b1 * nt;
            nn_wino_dw(L->wino, &io, x, L->grad, a, e, dWp, ws);
        }
    }
    if (dx) {
        nn_wino_io io = bwd_io(L, lin);
        int nt = nn_wino_tiles(L->wino, io.Lout);
        for (int64_t a = (int64_t)b0 * nt; a < (int64_t)b1 * nt; a += NN_WINO_BLOCK) {
            int64_t e = a + NN_WINO_BLOCK < (int64_t)b1 * nt ? a + NN_WINO_BLOCK : (int64_t)b1 * nt;
            nn_wino_fwd(L->wino, &io, L->wUflip, nn_conv_packed(L->wUflipp), NULL, L->grad, dx, acc, a, e, ws);
        }
    }
}
