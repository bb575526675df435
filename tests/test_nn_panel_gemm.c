/* The packed-panel matrix product (nn/panel_gemm.h) against a sum in
 * double, for shapes that leave partial row panels and partial column
 * vectors, and row strides wider than the matrices. */
#include "check.h"
#include "nn/model_internal.h"
#include "nn/panel_gemm.h"

#include <stdlib.h>

static uint64_t rs = 7;

static void one(int M, int N, int K, double *worst)
{
    int64_t ldb = N + 3, ldc = N + 5;
    float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * ldb);
    float *C = malloc(sizeof(float) * (size_t)(M + 1) * ldc), *Ap = malloc(sizeof(float) * (size_t)nn_panel_floats(M, K));
    for (int64_t i = 0; i < (int64_t)M * K; i++) A[i] = 2.0f * nn_rng_uniform(&rs) - 1.0f;
    for (int64_t i = 0; i < (int64_t)K * ldb; i++) B[i] = 2.0f * nn_rng_uniform(&rs) - 1.0f;
    /* a sentinel everywhere: only C [M][N] may be written */
    for (int64_t i = 0; i < (int64_t)(M + 1) * ldc; i++) C[i] = 1234.5f;
    nn_panel_pack(A, M, K, K, Ap);
    nn_panel_gemm(M, N, K, Ap, B, ldb, C, ldc);
    double e = 0;
    int outside = 0;
    for (int i = 0; i < M + 1; i++)
        for (int j = 0; j < ldc; j++) {
            float c = C[(int64_t)i * ldc + j];
            if (i >= M || j >= N) {
                outside += c != 1234.5f;
                continue;
            }
            double s = 0;
            for (int k = 0; k < K; k++) s += (double)A[(int64_t)i * K + k] * B[(int64_t)k * ldb + j];
            /* relative to the sum of magnitudes, the scale of float rounding */
            double mag = 0;
            for (int k = 0; k < K; k++) mag += fabs((double)A[(int64_t)i * K + k] * B[(int64_t)k * ldb + j]);
            e = fmax(e, fabs(c - s) / (mag > 0 ? mag : 1));
        }
    CHECK_MSG(outside == 0, "M %d N %d K %d: %d values written outside C", M, N, K, outside);
    CHECK_MSG(e < 1e-6, "M %d N %d K %d: relative error %.3g", M, N, K, e);
    *worst = fmax(*worst, e);
    free(A); free(B); free(C); free(Ap);
}

static void test_shapes(void)
{
    const int Ms[] = {1, 7, 8, 9, 24, 130}, Ns[] = {1, 15, 16, 17, 32, 33, 48, 49, 125, 200}, Ks[] = {1, 5, 128};
    double worst = 0;
    for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
        for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
            for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++) one(Ms[a], Ns[b], Ks[c], &worst);
    printf("  180 shapes, worst error relative to the sum of |terms|: %.2e\n", worst);
}

/* Rows past M are zero in the packed matrix (the kernel reads whole panels). */
static void test_pack(void)
{
    float A[3 * 2] = {1, 2, 3, 4, 5, 6}, Ap[8 * 2];
    CHECK(nn_panel_floats(3, 2) == 16);
    nn_panel_pack(A, 3, 2, 2, Ap);
    const float want[16] = {1, 3, 5, 0, 0, 0, 0, 0, 2, 4, 6, 0, 0, 0, 0, 0};
    for (int i = 0; i < 16; i++) CHECK_NEAR(Ap[i], want[i], 0);
}

int main(void)
{
    RUN(test_pack);
    if (!nn_panel_available()) SKIP("this CPU has no AVX-512: the packed products are not used");
    RUN(test_shapes);
    return check_finish();
}
