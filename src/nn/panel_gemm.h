/* Matrix products C = A B whose A is reused many times (Winograd's
 * transformed weights): A is packed once into panels of NN_PANEL_ROWS rows,
 * B and C are read and written in place, row-major. This skips the
 * packing of B that a general sgemm does on every call, which for the
 * narrow products of a single record cost as much as a sixth of the time.
 * AVX-512 only; nn_panel_available() says whether this CPU has it, and
 * callers fall back to cblas_sgemm otherwise. */
#ifndef ECGX_NN_PANEL_GEMM_H
#define ECGX_NN_PANEL_GEMM_H

#include <stdint.h>

#define NN_PANEL_ROWS 8

/* Whether the packed products are used: the CPU has AVX-512 and they were
 * not switched off (nn_panel_enable(0), for tests and A/B benchmarks). */
int nn_panel_available(void);
void nn_panel_enable(int on);

/* Floats of a packed M x K matrix: rows rounded up to whole panels. */
int64_t nn_panel_floats(int M, int K);

/* Ap [panel][k][NN_PANEL_ROWS] from A [M][K] (row stride lda); the rows past
 * M are zero. */
void nn_panel_pack(const float *A, int M, int K, int lda, float *Ap);

/* C [M][N] (row stride ldc) = A B with A packed by nn_panel_pack and
 * B [K][N] of row stride ldb. Needs nn_panel_available(). */
void nn_panel_gemm(int M, int N, int K, const float *Ap, const float *B, int64_t ldb, float *C, int64_t ldc);

#endif
