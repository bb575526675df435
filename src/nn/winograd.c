/* Winograd convolution: see winograd.h for the idea. The derivation: the
 * correlation y = C(w) d of an r-tap kernel over a tile of alpha = m + r - 1
 * inputs is the transpose of the polynomial product h = T(w) u (u of degree
 * m - 1). Toom-Cook evaluates that product at alpha points:
 * T(w) = Vinv diag(Vr w) Vm, with V* the evaluation (Vandermonde) matrices,
 * so C(w) = Vm^T diag(Vr w) Vinv^T: A^T = Vm^T, G = Vr, B^T = Vinv^T.
 * The weight gradient's correlation of a tile's inputs with its m output
 * gradients swaps the roles of m and r: dw = Vr^T ((Vm dy) . (B^T d)). */
#include "nn/winograd.h"

#include "nn/panel_gemm.h"

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
    /* the transforms rely on the symmetry of the points (see input_tiles_m):
     * check it on the derived matrices */
    for (int i = 0; i < A; i++) {
        if ((i % 2 == 1 && fabs(Vinv[i][0]) > 1e-12) || (i % 2 == 0 && fabs(Vinv[i][A - 1]) > 1e-12)) return -1;
        for (int k = 1; k < A - 1; k += 2)
            if (fabs(Vinv[i][k + 1] - (i % 2 ? -1.0 : 1.0) * Vinv[i][k]) > 1e-12 * (1.0 + fabs(Vinv[i][k]))) return -1;
    }
    for (int p = 0; p < A; p++) {
        for (int i = 0; i < w->m; i++) w->AT[i][p] = (float)Vm[p][i];
        for (int k = 0; k < r; k++) w->G[p][k] = (float)Vr[p][k];
        for (int i = 0; i < A; i++) w->BT[p][i] = (float)Vinv[i][p];
    }
    return 0;
}

void nn_wino_weights(const nn_wino *w, int cout, int cin, int k, int step, const float *W, int flip, float *U)
{
    int r = w->r, cv = cin * step; /* taps per phase; channels the transform sees */
    int rows = flip ? cv : cout, cols = flip ? cout : cv;
    for (int o = 0; o < cout; o++)
        for (int v = 0; v < cv; v++) {
            int i = v % cin, ph = v / cin;
            const float *kr = W + ((int64_t)o * cin + i) * k;
            float tap[NN_WINO_ALPHA];
            for (int j = 0; j < r; j++) {
                int kk = step * (flip ? r - 1 - j : j) + ph;
                tap[j] = kk < k ? kr[kk] : 0.0f;
            }
            int64_t at = flip ? (int64_t)v * cols + o : (int64_t)o * cols + v;
            for (int p = 0; p < A; p++) {
                float s = 0.0f;
                for (int j = 0; j < r; j++) s += w->G[p][j] * tap[j];
                U[(int64_t)p * rows * cols + at] = s;
            }
        }
}

/* Scratch rows of phase arrays: up to 8 phases of a segment plus 4 tiles of
 * overlap, rounded up. */
int64_t nn_wino_scratch_floats(int nb) { return (int64_t)A * (nb + 4); }

int64_t nn_wino_ws_floats(const nn_wino_io *io, int nb)
{
    /* V [A][cin][nb], M [A][cout][nb], phase arrays */
    return (int64_t)A * nb * (io->cin + io->cout) + nn_wino_scratch_floats(nb);
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

/* The tiles [lo, hi) of n whose M samples start + S*(M*j + q) all lie in
 * [0, len) and (for outputs) whose virtual positions M*j + q lie below vmax:
 * no bounds checks there. */
static void inside(int start, int S, int M, int n, int len, int vmax, int *lo, int *hi)
{
    int SM = S * M;
    int a = start >= 0 ? 0 : (-start + SM - 1) / SM;
    int last = len - 1 - start - S * (M - 1); /* S*M*j <= last */
    int b = last < 0 ? 0 : last / SM + 1;
    int c = vmax / M;
    if (b > c) b = c;
    if (a > n) a = n;
    if (b > n) b = n;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

/* Phase arrays: X[q * ld + j] = x[start + S*(M*j + q)] for q < M, j < n,
 * zero outside [0, L). Strided reads, contiguous writes. */
WINO_INLINE void deinterleave_sm(const float *x, int L, int start, const int S, const int M, int n, float *X, int ld)
{
    int lo, hi;
    inside(start, S, M, n, L, M * n, &lo, &hi);
    for (int j = lo; j < hi; j++)
#pragma GCC unroll 8
        for (int q = 0; q < M; q++) X[q * ld + j] = x[start + S * (M * j + q)];
    for (int j = 0; j < n; j++) {
        if (j == lo) j = hi;
        if (j >= n) break;
        for (int q = 0; q < M; q++) {
            int u = start + S * (M * j + q);
            X[q * ld + j] = u >= 0 && u < L ? x[u] : 0.0f;
        }
    }
}

/* y[start + S*(M*j + q)] (= or +=) O[q * ld + j] for the positions in
 * [0, len) whose virtual position M*j + q is below vmax. */
WINO_INLINE void interleave_sm(float *y, int len, int start, const int S, const int M, int n, const float *O, int ld,
                               int acc, int vmax)
{
    int lo, hi;
    inside(start, S, M, n, len, vmax, &lo, &hi);
    if (acc) {
        for (int j = lo; j < hi; j++)
#pragma GCC unroll 8
            for (int q = 0; q < M; q++) y[start + S * (M * j + q)] += O[q * ld + j];
    } else {
        for (int j = lo; j < hi; j++)
#pragma GCC unroll 8
            for (int q = 0; q < M; q++) y[start + S * (M * j + q)] = O[q * ld + j];
    }
    for (int j = 0; j < n; j++) {
        if (j == lo) j = hi;
        if (j >= n) break;
        for (int q = 0; q < M; q++) {
            int u = start + S * (M * j + q);
            if (u < 0 || u >= len || M * j + q >= vmax) continue;
            y[u] = acc ? y[u] + O[q * ld + j] : O[q * ld + j];
        }
    }
}

/* Stamp out the per-m loops for m = 2..7 (CALL(m)), and for the (step, m)
 * pairs with step 1 or 2 (CALL(step, m)). */
#define WINO_DISPATCH_M(M, CALL)                                                                                       \
    do {                                                                                                               \
        switch (M) {                                                                                                   \
        case 2: CALL(2); break;                                                                                        \
        case 3: CALL(3); break;                                                                                        \
        case 4: CALL(4); break;                                                                                        \
        case 5: CALL(5); break;                                                                                        \
        case 6: CALL(6); break;                                                                                        \
        default: CALL(7); break;                                                                                       \
        }                                                                                                              \
    } while (0)
#define WINO_STEP1(m_) STEP_CALL(1, m_)
#define WINO_STEP2(m_) STEP_CALL(2, m_)
#define WINO_DISPATCH(S, M)                                                                                            \
    do {                                                                                                               \
        if ((S) == 1)                                                                                                  \
            WINO_DISPATCH_M(M, WINO_STEP1);                                                                            \
        else                                                                                                           \
            WINO_DISPATCH_M(M, WINO_STEP2);                                                                            \
    } while (0)

static void deinterleave(const float *x, int L, int start, int S, int M, int n, float *X, int ld)
{
#define STEP_CALL(s_, m_) deinterleave_sm(x, L, start, s_, m_, n, X, ld)
    WINO_DISPATCH(S, M);
#undef STEP_CALL
}

static void interleave(float *y, int len, int start, int S, int M, int n, const float *O, int ld, int acc, int vmax)
{
#define STEP_CALL(s_, m_) interleave_sm(y, len, start, s_, m_, n, O, ld, acc, vmax)
    WINO_DISPATCH(S, M);
#undef STEP_CALL
}

/* One channel's segment: v[p][j] = sum_i BT[p][i] d_i(j), with tile j's
 * input i at phase i % M, tile j + i / M; all 8 outputs of a tile are
 * accumulated in registers. */
WINO_INLINE void input_tiles_m(const nn_wino *w, const float *X, int ld, const int M, int ns, float *v,
                               int64_t vstride)
{
    /* Rows 2k-1 and 2k (points p and -p) differ only in the sign of the
     * odd inputs' terms: one even sum and one odd sum give both. Row 0
     * (point 0) has only even terms, row 7 (infinity) only odd ones. */
    const float(*B)[A] = w->BT;
#pragma omp simd
    for (int j = 0; j < ns; j++) {
        float d[A];
#pragma GCC unroll 8
        for (int i = 0; i < A; i++) d[i] = X[(i % M) * ld + i / M + j];
        v[j] = B[0][0] * d[0] + B[0][2] * d[2] + B[0][4] * d[4] + B[0][6] * d[6];
        v[7 * vstride + j] = B[7][1] * d[1] + B[7][3] * d[3] + B[7][5] * d[5] + B[7][7] * d[7];
#pragma GCC unroll 3
        for (int k = 1; k < A - 1; k += 2) {
            float e = B[k][0] * d[0] + B[k][2] * d[2] + B[k][4] * d[4] + B[k][6] * d[6];
            float o = B[k][1] * d[1] + B[k][3] * d[3] + B[k][5] * d[5] + B[k][7] * d[7];
            v[k * vstride + j] = e + o;
            v[(k + 1) * vstride + j] = e - o;
        }
    }
}

static void input_tiles(const nn_wino *w, const float *X, int ld, int ns, float *v, int64_t vstride)
{
#define CALL(m_) input_tiles_m(w, X, ld, m_, ns, v, vstride)
    WINO_DISPATCH_M(w->m, CALL);
#undef CALL
}

/* V [A][cin][nb] = B^T applied to each tile of each input channel. With
 * in_step 2 the channels are the input's two phases (even samples, then odd
 * samples of every channel). */
void nn_wino_fwd_input(const nn_wino *w, const nn_wino_io *io, const float *x, int64_t n0, int64_t n1, int c0,
                       int c1, float *V, float *X)
{
    int m = w->m, nb = (int)(n1 - n0), nt = nn_wino_tiles(w, io->Lout);
    int S = io->in_step, creal = io->cin / S;
    int extra = (A - 1) / m; /* tiles of overlap the last tile reads */
    segment sg;
    int64_t n = n0;
    while (next_segment(nt, n0, n1, &n, &sg)) {
        int ns = sg.j1 - sg.j0, ld = ns + extra;
        for (int c = c0; c < c1; c++) {
            const float *xr = x + sg.b * io->xs + (int64_t)(c % creal) * io->L;
            deinterleave(xr, io->L, S * m * sg.j0 + c / creal - io->pad, S, m, ld, X, ld);
            input_tiles(w, X, ld, ns, V + (int64_t)c * nb + sg.off, (int64_t)io->cin * nb);
        }
    }
}

/* One channel's segment: o[i][j] = b0 + sum_p AT[i][p] M_p(j). */
WINO_INLINE void output_tiles_m(const nn_wino *w, const float *Mc, int64_t mstride, const int M, int ns, float b0,
                                float *O)
{
    /* A^T[i][p] = p^i: the products at p and -p enter output i as their
     * sum (i even) or difference (i odd); point 0 only output 0, infinity
     * only output m - 1 */
    const float(*T)[A] = w->AT;
#pragma omp simd
    for (int j = 0; j < ns; j++) {
        float q[A], sd[2][3];
#pragma GCC unroll 8
        for (int p = 0; p < A; p++) q[p] = Mc[p * mstride + j];
#pragma GCC unroll 3
        for (int k = 0; k < 3; k++) {
            sd[0][k] = q[2 * k + 1] + q[2 * k + 2];
            sd[1][k] = q[2 * k + 1] - q[2 * k + 2];
        }
#pragma GCC unroll 8
        for (int i = 0; i < M; i++) {
            float s = b0 + T[i][1] * sd[i & 1][0] + T[i][3] * sd[i & 1][1] + T[i][5] * sd[i & 1][2];
            if (i == 0) s += q[0];
            if (i == M - 1) s += q[7];
            O[i * ns + j] = s;
        }
    }
}

static void output_tiles(const nn_wino *w, const float *Mc, int64_t mstride, int ns, float b0, float *O)
{
#define CALL(m_) output_tiles_m(w, Mc, mstride, m_, ns, b0, O)
    WINO_DISPATCH_M(w->m, CALL);
#undef CALL
}

void nn_wino_fwd_gemm(const nn_wino_io *io, const float *U, const float *Up, int nb, int p0, int p1, const float *V,
                      float *M)
{
    int64_t per = nn_panel_floats(io->cout, io->cin);
    for (int p = p0; p < p1; p++)
        if (Up)
            nn_panel_gemm(io->cout, nb, io->cin, Up + p * per, V + (int64_t)p * io->cin * nb, nb,
                          M + (int64_t)p * io->cout * nb, nb);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, io->cout, nb, io->cin, 1.0f,
                    U + (int64_t)p * io->cout * io->cin, io->cin, V + (int64_t)p * io->cin * nb, nb, 0.0f,
                    M + (int64_t)p * io->cout * nb, nb);
}

void nn_wino_fwd_output(const nn_wino *w, const nn_wino_io *io, const float *bias, float *y, int acc, int64_t n0,
                        int64_t n1, int c0, int c1, const float *M, float *X)
{
    int nb = (int)(n1 - n0), m = w->m, nt = nn_wino_tiles(w, io->Lout);
    int S = io->out_step, creal = io->cout / S;
    /* O [m][segment] = A^T M for each channel, then back to the samples'
     * time axis */
    segment sg;
    int64_t n = n0;
    while (next_segment(nt, n0, n1, &n, &sg)) {
        int ns = sg.j1 - sg.j0;
        for (int c = c0; c < c1; c++) {
            output_tiles(w, M + (int64_t)c * nb + sg.off, (int64_t)io->cout * nb, ns, bias ? bias[c] : 0.0f, X);
            interleave(y + sg.b * io->ys + (int64_t)(c % creal) * io->out_len, io->out_len,
                       S * m * sg.j0 + c / creal - io->out_pad, S, m, ns, X, ns, acc, io->Lout - m * sg.j0);
        }
    }
}

void nn_wino_fwd(const nn_wino *w, const nn_wino_io *io, const float *U, const float *Up, const float *bias,
                 const float *x, float *y, int acc, int64_t n0, int64_t n1, float *ws)
{
    int nb = (int)(n1 - n0);
    if (nb <= 0) return;
    float *V = ws, *M = V + (int64_t)A * io->cin * nb, *X = M + (int64_t)A * io->cout * nb;
    nn_wino_fwd_input(w, io, x, n0, n1, 0, io->cin, V, X);
    nn_wino_fwd_gemm(io, U, Up, nb, 0, A, V, M);
    nn_wino_fwd_output(w, io, bias, y, acc, n0, n1, 0, io->cout, M, X);
}

/* One channel's segment of output gradients: mp[p][j] = sum_i AT[i][p]
 * g_i(j), the transpose of output_tiles (same pairing of p and -p). */
WINO_INLINE void grad_tiles_m(const nn_wino *w, const float *X, int ns, const int M, float *mp, int64_t mstride)
{
    const float(*T)[A] = w->AT;
#pragma omp simd
    for (int j = 0; j < ns; j++) {
        float g[A];
#pragma GCC unroll 8
        for (int i = 0; i < M; i++) g[i] = X[i * ns + j];
        mp[j] = g[0];
        mp[7 * mstride + j] = g[M - 1];
#pragma GCC unroll 3
        for (int k = 1; k < A - 1; k += 2) {
            float e = 0.0f, o = 0.0f;
#pragma GCC unroll 8
            for (int i = 0; i < M; i += 2) e += T[i][k] * g[i];
#pragma GCC unroll 8
            for (int i = 1; i < M; i += 2) o += T[i][k] * g[i];
            mp[k * mstride + j] = e + o;
            mp[(k + 1) * mstride + j] = e - o;
        }
    }
}

static void grad_tiles(const nn_wino *w, const float *X, int ns, float *mp, int64_t mstride)
{
#define CALL(m_) grad_tiles_m(w, X, ns, m_, mp, mstride)
    WINO_DISPATCH_M(w->m, CALL);
#undef CALL
}

void nn_wino_dw(const nn_wino *w, const nn_wino_io *io, const float *x, const float *dy, int64_t n0, int64_t n1,
                float *dWp, float *ws)
{
    int nb = (int)(n1 - n0), m = w->m, nt = nn_wino_tiles(w, io->Lout);
    if (nb <= 0) return;
    float *V = ws, *M = V + (int64_t)A * io->cin * nb, *X = M + (int64_t)A * io->cout * nb;
    nn_wino_fwd_input(w, io, x, n0, n1, 0, io->cin, V, X);
    /* M [A][cout][nb] = Vm dy per tile (A^T transposed); outputs past the
     * end of a sample count as zero */
    segment sg;
    int64_t n = n0;
    while (next_segment(nt, n0, n1, &n, &sg)) {
        int ns = sg.j1 - sg.j0;
        for (int c = 0; c < io->cout; c++) {
            deinterleave(dy + sg.b * io->ys + (int64_t)c * io->Lout, io->Lout, m * sg.j0, 1, m, ns, X, ns);
            grad_tiles(w, X, ns, M + (int64_t)c * nb + sg.off, (int64_t)io->cout * nb);
        }
    }
    for (int p = 0; p < A; p++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, io->cout, io->cin, nb, 1.0f,
                    M + (int64_t)p * io->cout * nb, nb, V + (int64_t)p * io->cin * nb, nb, 1.0f,
                    dWp + (int64_t)p * io->cout * io->cin, io->cin);
}

void nn_wino_dw_finish(const nn_wino *w, int cout, int cin, int k, int step, const float *dWp, float *dW)
{
    int cv = cin * step;
    int64_t n = (int64_t)cout * cv;
    for (int o = 0; o < cout; o++)
        for (int v = 0; v < cv; v++) {
            int i = v % cin, ph = v / cin;
            float *kr = dW + ((int64_t)o * cin + i) * k;
            for (int j = 0; j < w->r; j++) {
                int kk = step * j + ph;
                if (kk >= k) continue;
                float s = 0.0f;
                for (int p = 0; p < A; p++) s += w->G[p][j] * dWp[(int64_t)p * n + (int64_t)o * cv + v];
                kr[kk] += s;
            }
        }
}
