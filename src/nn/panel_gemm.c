/* Packed-A matrix products on AVX-512 (see panel_gemm.h). The register
 * block is 8 rows of C by 48 columns (24 accumulators of 16 floats): each
 * step of k loads 48 floats of a row of B, broadcasts 8 packed values of A
 * and does 24 fused multiply-adds. Columns past N are masked, so any N
 * works without copying B. The products are summed over k in order, in
 * single precision, like a naive dot product. */
#include "nn/panel_gemm.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PANEL_X86 1
#endif

#define MR NN_PANEL_ROWS
#define NR 48

int64_t nn_panel_floats(int M, int K) { return (int64_t)(M + MR - 1) / MR * MR * K; }

void nn_panel_pack(const float *A, int M, int K, int lda, float *Ap)
{
    for (int i = 0; i < M; i += MR)
        for (int k = 0; k < K; k++)
            for (int r = 0; r < MR; r++)
                *Ap++ = i + r < M ? A[(int64_t)(i + r) * lda + k] : 0.0f;
}

static int panel_off;
void nn_panel_enable(int on) { panel_off = !on; }

#ifdef PANEL_X86
int nn_panel_available(void)
{
    /* no __builtin_cpu_init: the runtime's constructor has run by now */
    return !panel_off && __builtin_cpu_supports("avx512f");
}

__attribute__((target("avx512f"))) static inline __mmask16 cols_mask(int n)
{
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* C rows [0, rows) x columns [0, ncols) of one block of NZ vectors of 16
 * columns, ncols <= 16 * NZ (the columns past ncols are masked). */
__attribute__((target("avx512f"), always_inline)) static inline void block(const int NZ, int K, const float *ap,
                                                                           const float *B, int64_t ldb, float *C,
                                                                           int64_t ldc, int rows, int ncols)
{
    __mmask16 mk[3];
    __m512 c[MR][3], b[3];
#pragma GCC unroll 3
    for (int z = 0; z < NZ; z++) mk[z] = cols_mask(ncols - 16 * z);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
        for (int z = 0; z < NZ; z++) c[r][z] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const float *bk = B + (int64_t)k * ldb;
#pragma GCC unroll 3
        for (int z = 0; z < NZ; z++) b[z] = _mm512_maskz_loadu_ps(mk[z], bk + 16 * z);
        const float *a = ap + (int64_t)k * MR;
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            __m512 s = _mm512_set1_ps(a[r]);
#pragma GCC unroll 3
            for (int z = 0; z < NZ; z++) c[r][z] = _mm512_fmadd_ps(s, b[z], c[r][z]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
#pragma GCC unroll 3
        for (int z = 0; z < NZ; z++) _mm512_mask_storeu_ps(C + (int64_t)r * ldc + 16 * z, mk[z], c[r][z]);
    }
}

__attribute__((target("avx512f"))) void nn_panel_gemm(int M, int N, int K, const float *Ap, const float *B,
                                                      int64_t ldb, float *C, int64_t ldc)
{
    /* column blocks outside, so that a block of B (K x 48) stays in L1
     * while every panel of A passes over it; the last block is as narrow
     * as the columns left allow */
    for (int j = 0; j < N; j += NR) {
        int nc = N - j < NR ? N - j : NR;
        for (int i = 0; i < M; i += MR) {
            const float *ap = Ap + (int64_t)i * K, *bj = B + j;
            float *cij = C + (int64_t)i * ldc + j;
            int rows = M - i < MR ? M - i : MR;
            if (nc > 32)
                block(3, K, ap, bj, ldb, cij, ldc, rows, nc);
            else if (nc > 16)
                block(2, K, ap, bj, ldb, cij, ldc, rows, nc);
            else
                block(1, K, ap, bj, ldb, cij, ldc, rows, nc);
        }
    }
}
#else
int nn_panel_available(void) { return 0; }

void nn_panel_gemm(int M, int N, int K, const float *Ap, const float *B, int64_t ldb, float *C, int64_t ldc)
{
    (void)M; (void)N; (void)K; (void)Ap; (void)B; (void)ldb; (void)C; (void)ldc;
}
#endif
