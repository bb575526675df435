/* Winograd convolution: see winograd.h for the idea. The derivation: the
 * correlation y = C(w) d of an r-tap kernel over a tile of alpha = m + r - 1
 * inputs is the transpose of the polynomial product h = T(w) u (u of degree
 * m - 1). Toom-Cook evaluates that product at alpha points:
 * T(w) = Vinv diag(Vr w) Vm, with V* the evaluation (Vandermonde) matrices,
 * so C(w) = Vm^T diag(Vr w) Vinv^T: A^T = Vm^T, G = Vr, B^T = Vinv^T.
 * The weight gradient's correlation of a tile's inputs with its m output
 * gradients swaps the roles of m and r: dw = Vr^T ((Vm dy) . (B^T d)). */
#include "nn/winograd.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define A NN_WINO_ALPHA
/* The per-m loops are written once and stamped out for each m, so that the
 * compiler sees m as a constant (unrolled, vectorised over tiles). */
#define WINO_INLINE static inline __attribute__((always_inline))

/* Rows of the evaluation matrix of a polynomial with n coefficients: at the
 * finite points, then at infinity (its leading coefficient). */
static void vandermonde(int n, double V[A][A])
{
    static const double pts[A - 1] = {0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5};
    for (int j = 0; j < A - 1; j++) {
        double p = 1.0;
        for (int k = 0; k < n; k++) {
            V[j][k] = p;
            p *= pts[j];
        }
    }
    for (int k = 0; k < n; k++) V[A - 1][k] = k == n - 1 ? 1.0 : 0.0;
}

/* Gauss-Jordan with partial pivoting; the matrix is well conditioned. */
static int invert(double M[A][A], double Minv[A][A])
{
    double a[A][2 * A];
    for (int i = 0; i < A; i++)
        for (int j = 0; j < A; j++) {
            a[i][j] = M[i][j];
            a[i][A + j] = i == j;
        }
    for (int c = 0; c < A; c++) {
        int p = c;
        for (int i = c + 1; i < A; i++)
            if (fabs(a[i][c]) > fabs(a[p][c])) p = i;
        if (fabs(a[p][c]) < 1e-12) return -1;
        for (int j = 0; j < 2 * A; j++) {
            double t = a[c][j];
            a[c][j] = a[p][j];
            a[p][j] = t;
        }
        double d = a[c][c];
        for (int j = 0; j < 2 * A; j++) a[c][j] /= d;
        for (int i = 0; i < A; i++) {
            if (i == c || a[i][c] == 0.0) continue;
            double f = a[i][c];
            for (int j = 0; j < 2 * A; j++) a[i][j] -= f * a[c][j];
        }
    }
    for (int i = 0; i < A; i++)
        for (int j = 0; j < A; j++) Minv[i][j] = a[i][A + j];
    return 0;
}

int nn_wino_init(nn_wino *w, int r)
{
    if (r < 2 || r > A - 1) return -1;
    memset(w, 0, sizeof *w);
    w->r = r;
    w->m = A + 1 - r;
    double Va[A][A] = {{0}}, Vm[A][A] = {{0}}, Vr[A][A] = {{0}}, Vinv[A][A];
    vandermonde(A, Va);
    vandermonde(w->m, Vm);
    vandermonde(r, Vr);
    if (invert(Va, Vinv)) return -1;
    for (int p = 0; p < A; p++) {
        for (int i = 0; i < w->m; i++) w->AT[i][p] = (float)Vm[p][i];
        for (int k = 0; k < r; k++) w->G[p][k] = (float)Vr[p][k];
        for (int i = 0; i < A; i++) w->BT[p][i] = (float)Vinv[i][p];
    }
    return 0;
}

void nn_wino_weights(const nn_wino *w, int cout, int cin, const float *W, int flip, float *U)
{
    int r = w->r;
    int rows = flip ? cin : cout, cols = flip ? cout : cin;
    for (int o = 0; o < cout; o++)
        for (int i = 0; i < cin; i++) {
            const float *k = W + ((int64_t)o * cin + i) * r;
            int64_t at = flip ? (int64_t)i * cols + o : (int64_t)o * cols + i;
            for (int p = 0; p < A; p++) {
                float s = 0.0f;
                for (int j = 0; j < r; j++) s += w->G[p][j] * k[flip ? r - 1 - j : j];
                U[(int64_t)p * rows * cols + at] = s;
            }
        }
}

/* Scratch rows of phase arrays: up to 8 phases of a segment plus 4 tiles of
 * overlap, rounded up. */
static int64_t phase_floats(int nb) { return (int64_t)A * (nb + 4); }

int64_t nn_wino_ws_floats(const nn_wino_io *io, int nb)
{
    /* V [A][cin][nb], M [A][cout][nb], phase arrays */
    return (int64_t)A * nb * (io->cin + io->cout) + phase_floats(nb);
}

/* A block of tiles [n0, n1) is a run of segments, each a range of tiles
 * [j0, j1) of one sample b, at offset `off` in the block. */
typedef struct segment {
    int64_t b;
    int j0, j1, off;
} segment;

static int next_segment(int nt, int64_t n0, int64_t n1, int64_t *n, segment *sg)
{
    if (*n >= n1) return 0;
    sg->b = *n / nt;
    sg->j0 = (int)(*n % nt);
    sg->j1 = (int64_t)nt - sg->j0 < n1 - *n ? nt : (int)(sg->j0 + (n1 - *n));
    sg->off = (int)(*n - n0);
    *n += sg->j1 - sg->j0;
    return 1;
}

/* Phase arrays: X[q * ld + j] = x[start + M*j + q] for q < M, j < n, zero
 * outside [0, L). Strided reads, contiguous writes; M is a constant in each
 * call site below so the copies vectorise. */
WINO_INLINE void deinterleave_m(const float *x, int L, int start, const int M, int n, float *X, int ld)
{
    if (start >= 0 && start + M * n <= L) {
        for (int j = 0; j < n; j++)
            for (int q = 0; q < M; q++) X[q * ld + j] = x[start + M * j + q];
        return;
    }
    for (int j = 0; j < n; j++)
        for (int q = 0; q < M; q++) {
            int u = start + M * j + q;
            X[q * ld + j] = u >= 0 && u < L ? x[u] : 0.0f;
        }
}

static void deinterleave(const float *x, int L, int start, int M, int n, float *X, int ld)
{
    switch (M) {
    case 2: deinterleave_m(x, L, start, 2, n, X, ld); break;
    case 3: deinterleave_m(x, L, start, 3, n, X, ld); break;
    case 4: deinterleave_m(x, L, start, 4, n, X, ld); break;
    case 5: deinterleave_m(x, L, start, 5, n, X, ld); break;
    case 6: deinterleave_m(x, L, start, 6, n, X, ld); break;
    default: deinterleave_m(x, L, start, 7, n, X, ld); break;
    }
}

/* y[M*j + q] (= or +=) O[q * ld + j] for the positions below Lout. */
WINO_INLINE void interleave_m(float *y, int Lout, int start, const int M, int n, const float *O, int ld, int acc)
{
    int full = start + M * n <= Lout ? n : (Lout - start) / M;
    if (acc) {
        for (int j = 0; j < full; j++)
            for (int q = 0; q < M; q++) y[start + M * j + q] += O[q * ld + j];
    } else {
        for (int j = 0; j < full; j++)
            for (int q = 0; q < M; q++) y[start + M * j + q] = O[q * ld + j];
    }
    for (int j = full; j < n; j++)
        for (int q = 0; q < M && start + M * j + q < Lout; q++) {
            float v = O[q * ld + j];
            y[start + M * j + q] = acc ? y[start + M * j + q] + v : v;
        }
}

static void interleave(float *y, int Lout, int start, int M, int n, const float *O, int ld, int acc)
{
    switch (M) {
    case 2: interleave_m(y, Lout, start, 2, n, O, ld, acc); break;
    case 3: interleave_m(y, Lout, start, 3, n, O, ld, acc); break;
    case 4: interleave_m(y, Lout, start, 4, n, O, ld, acc); break;
    case 5: interleave_m(y, Lout, start, 5, n, O, ld, acc); break;
    case 6: interleave_m(y, Lout, start, 6, n, O, ld, acc); break;
    default: interleave_m(y, Lout, start, 7, n, O, ld, acc); break;
    }
}

/* One channel's segment: v[p][j] = sum_i BT[p][i] d_i(j), with tile j's
 * input i at phase i % M, tile j + i / M; all 8 outputs of a tile are
 * accumulated in registers. */
WINO_INLINE void input_tiles_m(const nn_wino *w, const float *X, int ld, const int M, int ns, float *v,
                                 int64_t vstride)
{
#pragma omp simd
    for (int j = 0; j < ns; j++) {
        float d[A];
#pragma GCC unroll 8
        for (int i = 0; i < A; i++) d[i] = X[(i % M) * ld + i / M + j];
#pragma GCC unroll 8
        for (int p = 0; p < A; p++) {
            float s = 0.0f;
#pragma GCC unroll 8
            for (int i = 0; i < A; i++) s += w->BT[p][i] * d[i];
            v[p * vstride + j] = s;
        }
    }
}

static void input_tiles(const nn_wino *w, const float *X, int ld, int ns, float *v, int64_t vstride)
{
    switch (w->m) {
    case 2: input_tiles_m(w, X, ld, 2, ns, v, vstride); break;
    case 3: input_tiles_m(w, X, ld, 3, ns, v, vstride); break;
    case 4: input_tiles_m(w, X, ld, 4, ns, v, vstride); break;
    case 5: input_tiles_m(w, X, ld, 5, ns, v, vstride); break;
    case 6: input_tiles_m(w, X, ld, 6, ns, v, vstride); break;
    default: input_tiles_m(w, X, ld, 7, ns, v, vstride); break;
    }
}

/* V [A][cin][nb] = B^T applied to each tile of each input channel. */
static void input_transform(const nn_wino *w, const nn_wino_io *io, const float *x, int64_t n0, int64_t n1,
                            float *X, float *V)
{
    int m = w->m, nb = (int)(n1 - n0), nt = nn_wino_tiles(w, io->Lout);
    int extra = (A - 1) / m; /* tiles of overlap the last tile reads */
    segment sg;
    int64_t n = n0;
    while (next_segment(nt, n0, n1, &n, &sg)) {
        int ns = sg.j1 - sg.j0, ld = ns + extra;
        for (int c = 0; c < io->cin; c++) {
            const float *xr = x + sg.b * io->xs + (int64_t)c * io->L;
            deinterleave(xr, io->L, m * sg.j0 - io->pad, m, ld, X, ld);
            input_tiles(w, X, ld, ns, V + (int64_t)c * nb + sg.off, (int64_t)io->cin * nb);
        }
    }
}

/* One channel's segment: o[i][j] = b0 + sum_p AT[i][p] M_p(j). */
WINO_INLINE void output_tiles_m(const nn_wino *w, const float *Mc, int64_t mstride, const int M, int ns, float b0,
                                  float *O)
{
#pragma omp simd
    for (int j = 0; j < ns; j++) {
        float q[A];
#pragma GCC unroll 8
        for (int p = 0; p < A; p++) q[p] = Mc[p * mstride + j];
#pragma GCC unroll 8
        for (int i = 0; i < M; i++) {
            float s = b0;
#pragma GCC unroll 8
            for (int p = 0; p < A; p++) s += w->AT[i][p] * q[p];
            O[i * ns + j] = s;
        }
    }
}

static void output_tiles(const nn_wino *w, const float *Mc, int64_t mstride, int ns, float b0, float *O)
{
    switch (w->m) {
    case 2: output_tiles_m(w, Mc, mstride, 2, ns, b0, O); break;
    case 3: output_tiles_m(w, Mc, mstride, 3, ns, b0, O); break;
    case 4: output_tiles_m(w, Mc, mstride, 4, ns, b0, O); break;
    case 5: output_tiles_m(w, Mc, mstride, 5, ns, b0, O); break;
    case 6: output_tiles_m(w, Mc, mstride, 6, ns, b0, O); break;
    default: output_tiles_m(w, Mc, mstride, 7, ns, b0, O); break;
    }
}

void nn_wino_fwd(const nn_wino *w, const nn_wino_io *io, const float *U, const float *bias, const float *x,
                 float *y, int acc, int64_t n0, int64_t n1, float *ws)
{
    int nb = (int)(n1 - n0), m = w->m, nt = nn_wino_tiles(w, io->Lout);
    if (nb <= 0) return;
    float *V = ws, *M = V + (int64_t)A * io->cin * nb, *X = M + (int64_t)A * io->cout * nb;
    input_transform(w, io, x, n0, n1, X, V);
    for (int p = 0; p < A; p++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, io->cout, nb, io->cin, 1.0f,
                    U + (int64_t)p * io->cout * io->cin, io->cin, V + (int64_t)p * io->cin * nb, nb, 0.0f,
                    M + (int64_t)p * io->cout * nb, nb);
    /* outputs: O [m][segment] = A^T M for each channel, then back to the
     * samples' time axis */
    segment sg;
    int64_t n = n0;
    while (next_segment(nt, n0, n1, &n, &sg)) {
        int ns = sg.j1 - sg.j0;
        for (int c = 0; c < io->cout; c++) {
            output_tiles(w, M + (int64_t)c * nb + sg.off, (int64_t)io->cout * nb, ns, bias ? bias[c] : 0.0f, X);
            interleave(y + sg.b * io->ys + (int64_t)c * io->Lout, io->Lout, m * sg.j0, m, ns, X, ns, acc);
        }
    }
}

void nn_wino_dw(const nn_wino *w, const nn_wino_io *io, const float *x, const float *dy, int64_t n0, int64_t n1,
                float *dWp, float *ws)
{
    int nb = (int)(n1 - n0), m = w->m, nt = nn_wino_tiles(w, io->Lout);
    if (nb <= 0) return;
    float *V = ws, *M = V + (int64_t)A * io->cin * nb, *X = M + (int64_t)A * io->cout * nb;
    input_transform(w, io, x, n0, n1, X, V);
    /* M [A][cout][nb] = Vm dy per tile (A^T transposed); outputs past the
     * end of a sample count as zero */
    segment sg;
    int64_t n = n0;
    while (next_segment(nt, n0, n1, &n, &sg)) {
        int ns = sg.j1 - sg.j0;
        for (int c = 0; c < io->cout; c++) {
            deinterleave(dy + sg.b * io->ys + (int64_t)c * io->Lout, io->Lout, m * sg.j0, m, ns, X, ns);
            for (int p = 0; p < A; p++) {
                float *mp = M + ((int64_t)p * io->cout + c) * nb + sg.off;
                for (int j = 0; j < ns; j++) mp[j] = 0.0f;
                for (int i = 0; i < m; i++) {
                    float a = w->AT[i][p];
                    if (a == 0.0f) continue;
                    const float *d = X + i * ns;
#pragma omp simd
                    for (int j = 0; j < ns; j++) mp[j] += a * d[j];
                }
            }
        }
    }
    for (int p = 0; p < A; p++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, io->cout, io->cin, nb, 1.0f,
                    M + (int64_t)p * io->cout * nb, nb, V + (int64_t)p * io->cin * nb, nb, 1.0f,
                    dWp + (int64_t)p * io->cout * io->cin, io->cin);
}

void nn_wino_dw_finish(const nn_wino *w, int cout, int cin, const float *dWp, float *dW)
{
    int64_t n = (int64_t)cout * cin;
    for (int64_t oc = 0; oc < n; oc++)
        for (int k = 0; k < w->r; k++) {
            float s = 0.0f;
            for (int p = 0; p < A; p++) s += w->G[p][k] * dWp[(int64_t)p * n + oc];
            dW[oc * w->r + k] += s;
        }
}
