/* Layer kernels. Convolutions are im2col + sgemm (OpenBLAS, single-threaded:
 * the caller parallelises over batch and time); a 1x1 stride-1 convolution
 * skips im2col and multiplies the input in place. Everything else is a
 * plain loop the compiler vectorises. */
#include "nn/kernels.h"

#include "nn/panel_gemm.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

int nn_conv_out_len(const nn_conv_shape *s, int L)
{
    int n = L + 2 * s->pad - s->dil * (s->k - 1) - 1;
    return n < 0 ? 0 : n / s->stride + 1;
}

int64_t nn_conv_ws_floats(const nn_conv_shape *s, int cols)
{
    return (int64_t)(s->cin / s->groups) * s->k * cols;
}

static int is_pointwise(const nn_conv_shape *s)
{
    return s->k == 1 && s->stride == 1 && s->pad == 0;
}

/* col[(ci*k + kk)][t - t0] = x[ci][t*stride - pad + kk*dil], zero outside. */
static void im2col(const nn_conv_shape *s, int cin, const float *x, int L, int t0, int t1, float *col)
{
    int n = t1 - t0;
    for (int ci = 0; ci < cin; ci++) {
        const float *xc = x + (int64_t)ci * L;
        for (int kk = 0; kk < s->k; kk++) {
            float *row = col + ((int64_t)ci * s->k + kk) * n;
            int off = kk * s->dil - s->pad;
            /* valid t: 0 <= t*stride + off < L */
            int lo = off >= 0 ? 0 : (-off + s->stride - 1) / s->stride;
            int hi = (L - 1 - off) < 0 ? -1 : (L - 1 - off) / s->stride; /* inclusive */
            if (lo < t0) lo = t0;
            if (hi > t1 - 1) hi = t1 - 1;
            if (hi < lo) { memset(row, 0, sizeof(float) * n); continue; }
            for (int t = t0; t < lo; t++) row[t - t0] = 0.0f;
            if (s->stride == 1) {
                memcpy(row + (lo - t0), xc + lo + off, sizeof(float) * (hi - lo + 1));
            } else {
                for (int t = lo; t <= hi; t++) row[t - t0] = xc[t * s->stride + off];
            }
            for (int t = hi + 1; t < t1; t++) row[t - t0] = 0.0f;
        }
    }
}

/* dx[ci][t*stride - pad + kk*dil] += dcol[(ci*k + kk)][t - t0] */
static void col2im_acc(const nn_conv_shape *s, int cin, const float *dcol, int L, int t0, int t1, float *dx)
{
    int n = t1 - t0;
    for (int ci = 0; ci < cin; ci++) {
        float *xc = dx + (int64_t)ci * L;
        for (int kk = 0; kk < s->k; kk++) {
            const float *row = dcol + ((int64_t)ci * s->k + kk) * n;
            int off = kk * s->dil - s->pad;
            int lo = off >= 0 ? 0 : (-off + s->stride - 1) / s->stride;
            int hi = (L - 1 - off) < 0 ? -1 : (L - 1 - off) / s->stride;
            if (lo < t0) lo = t0;
            if (hi > t1 - 1) hi = t1 - 1;
            if (s->stride == 1) {
                float *d = xc + off;
                for (int t = lo; t <= hi; t++) d[t] += row[t - t0];
            } else {
                for (int t = lo; t <= hi; t++) xc[t * s->stride + off] += row[t - t0];
            }
        }
    }
}

void nn_conv_fwd_sample(const nn_conv_shape *s, const float *x, int L, float *y, int Lout, int t0,
                        int t1, const float *W, const float *Wp, const float *bias, float *col)
{
    int G = s->groups, cing = s->cin / G, coutg = s->cout / G, KK = cing * s->k, n = t1 - t0;
    if (n <= 0) return;
    for (int g = 0; g < G; g++) {
        const float *xg = x + (int64_t)g * cing * L;
        const float *B;
        int ldb;
        if (is_pointwise(s)) {
            B = xg + t0;
            ldb = L;
        } else {
            im2col(s, cing, xg, L, t0, t1, col);
            B = col;
            ldb = n;
        }
        if (Wp)
            nn_panel_gemm(coutg, n, KK, Wp + g * nn_panel_floats(coutg, KK), B, ldb, y + (int64_t)g * coutg * Lout + t0,
                          Lout);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, coutg, n, KK, 1.0f, W + (int64_t)g * coutg * KK, KK,
                        B, ldb, 0.0f, y + (int64_t)g * coutg * Lout + t0, Lout);
    }
    if (bias) {
        for (int co = 0; co < s->cout; co++) {
            float *yr = y + (int64_t)co * Lout;
            float b = bias[co];
            for (int t = t0; t < t1; t++) yr[t] += b;
        }
    }
}

void nn_conv_bwd_sample(const nn_conv_shape *s, const float *x, int L, const float *dy, int Lout,
                        const float *W, float *dW, float *db, float *dx, int acc, float *ws, int chunk)
{
    int G = s->groups, cing = s->cin / G, coutg = s->cout / G, KK = cing * s->k;
    int pw = is_pointwise(s);
    if (dx && !acc && !pw) memset(dx, 0, sizeof(float) * (size_t)s->cin * L);
    for (int t0 = 0; t0 < Lout; t0 += chunk) {
        int n = Lout - t0 < chunk ? Lout - t0 : chunk;
        for (int g = 0; g < G; g++) {
            const float *xg = x + (int64_t)g * cing * L;
            const float *dyg = dy + (int64_t)g * coutg * Lout + t0;
            const float *Wg = W + (int64_t)g * coutg * KK;
            float *col = ws, *dcol = ws + (int64_t)KK * n;
            if (dW) {
                const float *B;
                int ldb;
                if (pw) {
                    B = xg + t0;
                    ldb = L;
                } else {
                    im2col(s, cing, xg, L, t0, t0 + n, col);
                    B = col;
                    ldb = n;
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, coutg, KK, n, 1.0f, dyg, Lout, B,
                            ldb, 1.0f, dW + (int64_t)g * coutg * KK, KK);
            }
            if (dx) {
                float *dxg = dx + (int64_t)g * cing * L;
                if (pw) {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cing, n, coutg, 1.0f, Wg, KK,
                                dyg, Lout, acc ? 1.0f : 0.0f, dxg + t0, L);
                } else {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, KK, n, coutg, 1.0f, Wg, KK, dyg,
                                Lout, 0.0f, dcol, n);
                    col2im_acc(s, cing, dcol, L, t0, t0 + n, dxg);
                }
            }
        }
    }
    if (db) nn_conv_bias_grad(s->cout, Lout, dy, db);
}

void nn_conv_bias_grad(int cout, int Lout, const float *dy, float *db)
{
    for (int co = 0; co < cout; co++) {
        const float *r = dy + (int64_t)co * Lout;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int t = 0; t < Lout; t++) sum += r[t];
        db[co] += sum;
    }
}

void nn_bn_eval_coeffs(int C, const float *gamma, const float *beta, const float *mean,
                       const float *var, float eps, float *scale, float *shift)
{
    for (int c = 0; c < C; c++) {
        float inv = 1.0f / sqrtf(var[c] + eps);
        float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        scale[c] = g * inv;
        shift[c] = b - mean[c] * g * inv;
    }
}

void nn_affine_sample(int C, int L, const float *x, const float *scale, const float *shift, float *y)
{
    for (int c = 0; c < C; c++) {
        const float *xr = x + (int64_t)c * L;
        float *yr = y + (int64_t)c * L;
        float a = scale[c], b = shift[c];
#pragma omp simd
        for (int t = 0; t < L; t++) yr[t] = xr[t] * a + b;
    }
}

/* Training-mode batch norm of channel c once its batch mean and (biased)
 * variance over N values are known: the saved statistics for backward, the
 * output, and the running statistics (PyTorch's unbiased variance). One
 * process's pass and the sharded pass (sums all-reduced over ranks) share it. */
static void bn_train_channel(int B, int C, int L, int c, const float *x, float *y, const float *gamma,
                             const float *beta, double mean, double var, double N, float *rmean, float *rvar,
                             float eps, float momentum, float *save)
{
    float mf = (float)mean;
    float inv = (float)(1.0 / sqrt(var + eps));
    save[c] = mf;
    save[C + c] = inv;
    float g = gamma ? gamma[c] : 1.0f, bb = beta ? beta[c] : 0.0f;
    float a = g * inv, sh = bb - mf * g * inv;
    for (int b = 0; b < B; b++) {
        const float *xr = x + ((int64_t)b * C + c) * L;
        float *yr = y + ((int64_t)b * C + c) * L;
#pragma omp simd
        for (int t = 0; t < L; t++) yr[t] = xr[t] * a + sh;
    }
    if (rmean) {
        double unbiased = N > 1 ? var * N / (N - 1) : var;
        rmean[c] = (float)((1.0 - momentum) * rmean[c] + momentum * mean);
        rvar[c] = (float)((1.0 - momentum) * rvar[c] + momentum * unbiased);
    }
}

void nn_bn_train_fwd(int B, int C, int L, const float *x, float *y, const float *gamma,
                     const float *beta, float *rmean, float *rvar, float eps, float momentum,
                     float *save)
{
    double N = (double)B * L;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double sum = 0.0;
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((int64_t)b * C + c) * L;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (int t = 0; t < L; t++) s += xr[t];
            sum += s;
        }
        double mean = sum / N, ss = 0.0;
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((int64_t)b * C + c) * L;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (int t = 0; t < L; t++) {
                double d = (double)xr[t] - mean;
                s += d * d;
            }
            ss += s;
        }
        double var = ss / N;
        bn_train_channel(B, C, L, c, x, y, gamma, beta, mean, var, N, rmean, rvar, eps, momentum, save);
    }
}

void nn_bn_bwd(int B, int C, int L, const float *x, const float *dy, const float *gamma,
               const float *save, int train, float *dgamma, float *dbeta, float *dx, int acc)
{
    double N = (double)B * L;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float mean = save[c], inv = save[C + c];
        double sdy = 0.0, sdyx = 0.0;
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((int64_t)b * C + c) * L;
            const float *dr = dy + ((int64_t)b * C + c) * L;
            double s1 = 0.0, s2 = 0.0;
#pragma omp simd reduction(+ : s1, s2)
            for (int t = 0; t < L; t++) {
                s1 += dr[t];
                s2 += (double)dr[t] * ((double)xr[t] - mean);
            }
            sdy += s1;
            sdyx += s2;
        }
        double dg = sdyx * inv; /* sum dy * xhat */
        if (dgamma) dgamma[c] += (float)dg;
        if (dbeta) dbeta[c] += (float)sdy;
        if (!dx) continue;
        float g = gamma ? gamma[c] : 1.0f;
        float k = g * inv;
        float mdy = train ? (float)(sdy / N) : 0.0f;
        float mdg = train ? (float)(dg / N) : 0.0f;
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((int64_t)b * C + c) * L;
            const float *dr = dy + ((int64_t)b * C + c) * L;
            float *o = dx + ((int64_t)b * C + c) * L;
            /* the simd pragmas (here and in nn_bn_train_fwd): the output
             * may alias the inputs for all GCC knows, so without them it
             * left these loops scalar; batch norm was a quarter of
             * xresnet1d50's training step in perf, and the step is now
             * 1.03-1.07x faster */
#pragma omp simd
            for (int t = 0; t < L; t++) {
                float xhat = (xr[t] - mean) * inv;
                float v = k * (dr[t] - mdy - xhat * mdg);
                o[t] = acc ? o[t] + v : v;
            }
        }
    }
}

/* scratch: at least 2 * C doubles. */
void nn_bn_train_fwd_sharded(int B, int C, int L, int n_shards, const float *x, float *y, const float *gamma,
                             const float *beta, float *rmean, float *rvar, float eps, float momentum, float *save,
                             double *scratch, void (*reduce)(double *, int, void *), void *user)
{
    double N = (double)B * L * n_shards, *sum = scratch, *ss = scratch + C;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double acc = 0.0;
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((int64_t)b * C + c) * L;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (int t = 0; t < L; t++) s += xr[t];
            acc += s;
        }
        sum[c] = acc;
    }
    reduce(sum, C, user);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double mean = sum[c] / N, acc = 0.0;
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((int64_t)b * C + c) * L;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (int t = 0; t < L; t++) {
                double d = (double)xr[t] - mean;
                s += d * d;
            }
            acc += s;
        }
        ss[c] = acc;
    }
    reduce(ss, C, user);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double mean = sum[c] / N, var = ss[c] / N;
        bn_train_channel(B, C, L, c, x, y, gamma, beta, mean, var, N, rmean, rvar, eps, momentum, save);
    }
}

/* scratch: at least 4 * C doubles. */
void nn_bn_bwd_sharded(int B, int C, int L, int n_shards, const float *x, const float *dy, const float *gamma,
                       const float *save, float *dgamma, float *dbeta, float *dx, int acc, double *scratch,
                       void (*reduce)(double *, int, void *), void *user)
{
    double N = (double)B * L * n_shards, *loc = scratch, *glob = scratch + 2 * C;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float mean = save[c];
        double sdy = 0.0, sdyx = 0.0;
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((int64_t)b * C + c) * L;
            const float *dr = dy + ((int64_t)b * C + c) * L;
            double s1 = 0.0, s2 = 0.0;
#pragma omp simd reduction(+ : s1, s2)
            for (int t = 0; t < L; t++) {
                s1 += dr[t];
                s2 += (double)dr[t] * ((double)xr[t] - mean);
            }
            sdy += s1;
            sdyx += s2;
        }
        loc[c] = glob[c] = sdy;
        loc[C + c] = glob[C + c] = sdyx;
    }
    reduce(glob, 2 * C, user);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float mean = save[c], inv = save[C + c];
        if (dgamma) dgamma[c] += (float)(loc[C + c] * inv); /* this shard's part */
        if (dbeta) dbeta[c] += (float)loc[c];
        if (!dx) continue;
        float g = gamma ? gamma[c] : 1.0f;
        float k = g * inv;
        float mdy = (float)(glob[c] / N);
        float mdg = (float)(glob[C + c] * inv / N);
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((int64_t)b * C + c) * L;
            const float *dr = dy + ((int64_t)b * C + c) * L;
            float *o = dx + ((int64_t)b * C + c) * L;
#pragma omp simd
            for (int t = 0; t < L; t++) {
                float xhat = (xr[t] - mean) * inv;
                float v = k * (dr[t] - mdy - xhat * mdg);
                o[t] = acc ? o[t] + v : v;
            }
        }
    }
}

void nn_relu_fwd(int64_t n, const float *x, float *y)
{
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void nn_add_fwd(int64_t n, const float *a, const float *b, float *y)
{
    /* the simd pragma: y may alias a or b, so without it GCC at -O2 leaves
     * the loop scalar (it took 91 us on a 128 x 1000 activation) */
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

/* Elementwise loops over a whole batch run on all threads once they are big
 * enough to pay for the fork. */
#define NN_PAR_MIN 32768

void nn_relu_bwd(int64_t n, const float *y, const float *dy, float *dx, int acc)
{
    if (acc) {
#pragma omp parallel for simd schedule(static) if (n > NN_PAR_MIN)
        for (int64_t i = 0; i < n; i++) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
    } else {
#pragma omp parallel for simd schedule(static) if (n > NN_PAR_MIN)
        for (int64_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    }
}

int nn_pool_out_len(int L, int k, int s, int pad, int ceil_mode)
{
    int num = L + 2 * pad - k;
    if (num < 0) return 0;
    int out = (num + (ceil_mode ? s - 1 : 0)) / s + 1;
    if (ceil_mode && (out - 1) * s >= L + pad) out--;
    return out;
}

void nn_maxpool_fwd_sample(int C, int L, int Lout, int k, int s, int pad, const float *x, float *y,
                           int32_t *arg)
{
    for (int c = 0; c < C; c++) {
        const float *xr = x + (int64_t)c * L;
        for (int o = 0; o < Lout; o++) {
            int a = o * s - pad, e = a + k;
            if (a < 0) a = 0;
            if (e > L) e = L;
            float m = -INFINITY;
            int am = a;
            for (int t = a; t < e; t++)
                if (xr[t] > m || isnan(xr[t])) { m = xr[t]; am = t; if (isnan(m)) break; }
            y[(int64_t)c * Lout + o] = m;
            arg[(int64_t)c * Lout + o] = am;
        }
    }
}

void nn_maxpool_bwd_sample(int C, int L, int Lout, const int32_t *arg, const float *dy, float *dx,
                           int acc)
{
    if (!acc) memset(dx, 0, sizeof(float) * (size_t)C * L);
    for (int c = 0; c < C; c++)
        for (int o = 0; o < Lout; o++)
            dx[(int64_t)c * L + arg[(int64_t)c * Lout + o]] += dy[(int64_t)c * Lout + o];
}

/* PyTorch's divisor: the window clipped to the padded input (count_include_pad)
 * or to the real input. */
static void avg_window(int o, int k, int s, int pad, int L, int cip, int *a, int *e, float *div)
{
    int hs = o * s - pad, he = hs + k;
    if (he > L + pad) he = L + pad;
    int psize = he - hs;
    if (hs < 0) hs = 0;
    if (he > L) he = L;
    *a = hs;
    *e = he;
    *div = (float)(cip ? psize : (he - hs));
    if (*div <= 0) *div = 1;
}

void nn_avgpool_fwd_sample(int C, int L, int Lout, int k, int s, int pad, int count_include_pad,
                           const float *x, float *y)
{
    for (int o = 0; o < Lout; o++) {
        int a, e;
        float d;
        avg_window(o, k, s, pad, L, count_include_pad, &a, &e, &d);
        for (int c = 0; c < C; c++) {
            const float *xr = x + (int64_t)c * L;
            float sum = 0.0f;
            for (int t = a; t < e; t++) sum += xr[t];
            y[(int64_t)c * Lout + o] = sum / d;
        }
    }
}

void nn_avgpool_bwd_sample(int C, int L, int Lout, int k, int s, int pad, int count_include_pad,
                           const float *dy, float *dx, int acc)
{
    if (!acc) memset(dx, 0, sizeof(float) * (size_t)C * L);
    for (int o = 0; o < Lout; o++) {
        int a, e;
        float d;
        avg_window(o, k, s, pad, L, count_include_pad, &a, &e, &d);
        for (int c = 0; c < C; c++) {
            float g = dy[(int64_t)c * Lout + o] / d;
            float *xr = dx + (int64_t)c * L;
            for (int t = a; t < e; t++) xr[t] += g;
        }
    }
}

void nn_concat_pool_fwd_sample(int C, int L, const float *x, float *y, int32_t *arg)
{
    /* vector max and sum first, then the first position of the maximum
     * (or of a NaN, which propagates as in PyTorch); the scalar loop with
     * the argmax inside took 39 us for 128 x 250 */
    for (int c = 0; c < C; c++) {
        const float *xr = x + (int64_t)c * L;
        float m = -INFINITY, sum = 0.0f;
        int nan = 0;
#pragma omp simd reduction(max : m) reduction(+ : sum) reduction(| : nan)
        for (int t = 0; t < L; t++) {
            m = xr[t] > m ? xr[t] : m;
            sum += xr[t];
            nan |= xr[t] != xr[t];
        }
        int am = 0;
        while (am < L - 1 && (nan ? xr[am] == xr[am] : xr[am] != m)) am++;
        y[c] = nan ? NAN : m;
        y[C + c] = sum / (float)L;
        arg[c] = am;
    }
}

void nn_concat_pool_bwd_sample(int C, int L, const int32_t *arg, const float *dy, float *dx, int acc)
{
    for (int c = 0; c < C; c++) {
        float *r = dx + (int64_t)c * L;
        float g = dy[C + c] / (float)L;
        if (acc) for (int t = 0; t < L; t++) r[t] += g;
        else for (int t = 0; t < L; t++) r[t] = g;
        r[arg[c]] += dy[c];
    }
}

void nn_gap_fwd_sample(int C, int L, const float *x, float *y)
{
    for (int c = 0; c < C; c++) {
        const float *xr = x + (int64_t)c * L;
        float sum = 0.0f;
        for (int t = 0; t < L; t++) sum += xr[t];
        y[c] = sum / (float)L;
    }
}

void nn_gap_bwd_sample(int C, int L, const float *dy, float *dx, int acc)
{
    for (int c = 0; c < C; c++) {
        float *r = dx + (int64_t)c * L;
        float g = dy[c] / (float)L;
        if (acc) for (int t = 0; t < L; t++) r[t] += g;
        else for (int t = 0; t < L; t++) r[t] = g;
    }
}

void nn_linear_fwd(int B, int nin, int nout, const float *x, const float *W, const float *b, float *y)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nout, nin, 1.0f, x, nin, W, nin, 0.0f, y, nout);
    if (b)
        for (int i = 0; i < B; i++)
            for (int o = 0; o < nout; o++) y[(int64_t)i * nout + o] += b[o];
}

void nn_linear_bwd(int B, int nin, int nout, const float *x, const float *dy, const float *W, float *dW,
                   float *db, float *dx, int acc)
{
    if (dW) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nout, nin, B, 1.0f, dy, nout, x, nin, 1.0f, dW, nin);
    if (db)
        for (int i = 0; i < B; i++)
            for (int o = 0; o < nout; o++) db[o] += dy[(int64_t)i * nout + o];
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nin, nout, 1.0f, dy, nout, W, nin,
                    acc ? 1.0f : 0.0f, dx, nin);
}

void nn_axpy_acc(int64_t n, float a, const float *x, float *y, int acc)
{
    if (acc) {
#pragma omp parallel for simd schedule(static) if (n > NN_PAR_MIN)
        for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
    } else {
#pragma omp parallel for simd schedule(static) if (n > NN_PAR_MIN)
        for (int64_t i = 0; i < n; i++) y[i] = a * x[i];
    }
}
