/* Modified backward passes, walked layer by layer over the model's DAG with
 * the layer descriptions of ecgx_model_layer_info and the activations of
 * one forward pass:
 *
 *   DeepLIFT (rescale): multipliers. Affine layers (conv, linear, batch norm
 *     in evaluation mode, average pools, add, flatten, concat, scale,
 *     dropout in evaluation mode) pass them on as the gradient does; ReLU
 *     uses dy/dx = (y - y0)/(x - x0) (the gradient where |x - x0| < 1e-6);
 *     max pools (and the max half of the concat pool) give half of each
 *     window's contribution m*(y - y0) to the arg-max of x and half to the
 *     arg-max of the reference, as captum's DeepLift does (all of it to one
 *     of them when the other did not change, where captum loses it). The contributions
 *     then sum to f(x) - f(x0) (summation-to-delta).
 *   LRP: relevance. Each convolution or linear layer followed by its own
 *     batch norm is folded with it (w' = w*g/sd, b' = (b - mu)*g/sd + beta);
 *     a batch norm that feeds only a linear layer (the head's BN -> dropout ->
 *     linear) is folded into that layer; any other batch norm is an
 *     element-wise affine layer (epsilon rule); the rule of an affine layer is epsilon, gamma, alpha-beta
 *     or z-box; ReLU and dropout pass relevance unchanged; max pools give it to
 *     the winner; average pools and residual additions split it in proportion
 *     to the contributions x_i (epsilon-stabilised).
 * Both start at the target logit and stop at the input or at a chosen layer. */
#include "xai/xai_internal.h"

#include "core/alloc.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TINY 1e-9

/* An affine map in convolution form (linear: k = 1, length 1; folded
 * conv+bn: w and b owned). */
typedef struct unit {
    const float *w, *b;
    float *w_own, *b_own;
    int cin, cout, k, stride, pad, dil, groups;
} unit;

static int out_len(const unit *u, int lin)
{
    return (lin + 2 * u->pad - u->dil * (u->k - 1) - 1) / u->stride + 1;
}

/* y[cout][lout] = W * x (no bias), through im2col and sgemm per group. */
static void conv_fwd(const unit *u, const float *w, const float *x, int lin, float *y, int lout, float *col)
{
    int cig = u->cin / u->groups, cog = u->cout / u->groups, K = cig * u->k;
    for (int g = 0; g < u->groups; g++) {
        for (int ci = 0; ci < cig; ci++) {
            const float *xr = x + (size_t)(g * cig + ci) * lin;
            for (int kk = 0; kk < u->k; kk++) {
                float *cr = col + (size_t)(ci * u->k + kk) * lout;
                int off = kk * u->dil - u->pad;
                for (int t = 0; t < lout; t++) {
                    int j = t * u->stride + off;
                    cr[t] = (j >= 0 && j < lin) ? xr[j] : 0.0f;
                }
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cog, lout, K, 1.0f, w + (size_t)g * cog * K, K, col,
                    lout, 0.0f, y + (size_t)g * cog * lout, lout);
    }
}

/* dx[cin][lin] = W^T * s (transposed convolution; overwrites dx). */
static void conv_bwd(const unit *u, const float *w, const float *s, int lout, float *dx, int lin, float *col)
{
    int cig = u->cin / u->groups, cog = u->cout / u->groups, K = cig * u->k;
    memset(dx, 0, sizeof(float) * (size_t)u->cin * lin);
    for (int g = 0; g < u->groups; g++) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, lout, cog, 1.0f, w + (size_t)g * cog * K, K,
                    s + (size_t)g * cog * lout, lout, 0.0f, col, lout);
        for (int ci = 0; ci < cig; ci++) {
            float *xr = dx + (size_t)(g * cig + ci) * lin;
            for (int kk = 0; kk < u->k; kk++) {
                const float *cr = col + (size_t)(ci * u->k + kk) * lout;
                int off = kk * u->dil - u->pad;
                for (int t = 0; t < lout; t++) {
                    int j = t * u->stride + off;
                    if (j >= 0 && j < lin) xr[j] += cr[t];
                }
            }
        }
    }
}

typedef enum { R_EPS, R_GAMMA, R_AB, R_ZBOX } unit_rule;

/* The rule an affine layer (conv or linear) gets: the composite gives z-box
 * to the layer that reads the input, gamma to the other convolutions and
 * epsilon to the linear layers. */
static unit_rule unit_rule_for(ecgx_lrp_rule rule, int src, ecgx_layer_type type)
{
    int first = src == ECGX_MODEL_INPUT;
    switch (rule) {
    case ECGX_LRP_COMPOSITE: return first ? R_ZBOX : type == ECGX_LAYER_CONV1D ? R_GAMMA : R_EPS;
    case ECGX_LRP_GAMMA: return R_GAMMA;
    case ECGX_LRP_ALPHABETA: return R_AB;
    case ECGX_LRP_ZBOX: return first ? R_ZBOX : R_EPS;
    case ECGX_LRP_EPSILON: break;
    }
    return R_EPS;
}

typedef struct lrp_params {
    double eps, gamma, alpha;
    const float *lo, *hi; /* z-box bounds per input channel */
} lrp_params;

static float sgn_stab(double z, double e) { return (float)(z >= 0 ? z + e : z - e); }

/* Rin += k * a . (W^T s): one term of a rule's redistribution to the input
 * (c, col: scratch of the input's and the im2col size). */
static void add_input_relevance(const unit *u, const float *w, const float *s, int lout, int lin, float *col, float *c,
                                const float *a, float k, float *Rin)
{
    conv_bwd(u, w, s, lout, c, lin, col);
    size_t nx = (size_t)u->cin * lin;
    for (size_t i = 0; i < nx; i++) Rin[i] += k * a[i] * c[i];
}

/* Relevance R [cout][lout] of an affine unit to its input x [cin][lin],
 * accumulated into Rin. */
static int lrp_unit(const unit *u, const float *x, int lin, const float *R, unit_rule rule, const lrp_params *p,
                    float *Rin)
{
    int lout = out_len(u, lin);
    size_t nw = (size_t)u->cout * (u->cin / u->groups) * u->k, nx = (size_t)u->cin * lin,
           ny = (size_t)u->cout * lout;
    size_t ncol = (size_t)(u->cin / u->groups) * u->k * lout;
    float *wp = malloc(sizeof(float) * nw), *wn = malloc(sizeof(float) * nw);
    float *xp = malloc(sizeof(float) * nx), *xn = malloc(sizeof(float) * nx), *c = malloc(sizeof(float) * nx);
    float *z = malloc(sizeof(float) * ny), *z2 = malloc(sizeof(float) * ny), *s = malloc(sizeof(float) * ny);
    float *s2 = malloc(sizeof(float) * ny), *col = malloc(sizeof(float) * (ncol ? ncol : 1));
    int rc = (wp && wn && xp && xn && c && z && z2 && s && s2 && col) ? 0 : ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    if (rc) goto out;
    for (size_t i = 0; i < nw; i++) {
        wp[i] = u->w[i] > 0 ? u->w[i] : 0;
        wn[i] = u->w[i] < 0 ? u->w[i] : 0;
    }
    for (size_t i = 0; i < nx; i++) {
        xp[i] = x[i] > 0 ? x[i] : 0;
        xn[i] = x[i] < 0 ? x[i] : 0;
    }
    switch (rule) {
    case R_EPS:
        conv_fwd(u, u->w, x, lin, z, lout, col);
        for (size_t i = 0; i < ny; i++) {
            double zi = z[i] + (u->b ? u->b[i / lout] : 0);
            s[i] = R[i] / sgn_stab(zi, p->eps > 0 ? p->eps : TINY);
        }
        add_input_relevance(u, u->w, s, lout, lin, col, c, x, 1.0f, Rin);
        break;
    case R_GAMMA: {
        /* gamma boosts the contributions of the output's own sign (positive
         * contributions x+ w+ and x- w- for z >= 0, the negative ones for
         * z < 0), with the bias as one more contribution (Montavon et al.
         * 2019; zennit's Gamma); |z_gamma| >= |z|, so no new zeros appear */
        float *zp = malloc(sizeof(float) * ny), *zn = malloc(sizeof(float) * ny), *t = malloc(sizeof(float) * ny);
        if (!zp || !zn || !t) {
            free(zp);
            free(zn);
            free(t);
            rc = ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
            break;
        }
        double g = p->gamma;
        conv_fwd(u, u->w, x, lin, z, lout, col);
        conv_fwd(u, wp, xp, lin, zp, lout, col);
        conv_fwd(u, wn, xn, lin, t, lout, col);
        for (size_t i = 0; i < ny; i++) zp[i] += t[i];
        conv_fwd(u, wn, xp, lin, zn, lout, col);
        conv_fwd(u, wp, xn, lin, t, lout, col);
        for (size_t i = 0; i < ny; i++) zn[i] += t[i];
        for (size_t i = 0; i < ny; i++) {
            double b = u->b ? u->b[i / lout] : 0, z0 = z[i] + b;
            double zg = z0 >= 0 ? z0 + g * (zp[i] + (b > 0 ? b : 0)) : z0 + g * (zn[i] + (b < 0 ? b : 0));
            float si = R[i] / sgn_stab(zg, TINY);
            s[i] = si;
            s2[i] = z0 >= 0 ? si : 0; /* positive outputs */
            t[i] = z0 >= 0 ? 0 : si;  /* negative outputs */
        }
        add_input_relevance(u, u->w, s, lout, lin, col, c, x, 1.0f, Rin);
        add_input_relevance(u, wp, s2, lout, lin, col, c, xp, (float)g, Rin);
        add_input_relevance(u, wn, s2, lout, lin, col, c, xn, (float)g, Rin);
        add_input_relevance(u, wn, t, lout, lin, col, c, xp, (float)g, Rin);
        add_input_relevance(u, wp, t, lout, lin, col, c, xn, (float)g, Rin);
        free(zp);
        free(zn);
        free(t);
        break;
    }
    case R_AB: {
        double al = p->alpha, be = p->alpha - 1;
        conv_fwd(u, wp, xp, lin, z, lout, col);
        conv_fwd(u, wn, xn, lin, z2, lout, col);
        /* the bias joins the positive or the negative part by its sign */
        for (size_t i = 0; i < ny; i++) {
            double b = u->b ? u->b[i / lout] : 0;
            s[i] = (float)(al * R[i] / (z[i] + z2[i] + (b > 0 ? b : 0) + TINY)); /* z+ >= 0 */
        }
        conv_fwd(u, wn, xp, lin, z, lout, col);
        conv_fwd(u, wp, xn, lin, z2, lout, col);
        for (size_t i = 0; i < ny; i++) {
            double b = u->b ? u->b[i / lout] : 0;
            s2[i] = (float)(be * R[i] / (z[i] + z2[i] + (b < 0 ? b : 0) - TINY)); /* z- <= 0 */
        }
        add_input_relevance(u, wp, s, lout, lin, col, c, xp, 1.0f, Rin);
        add_input_relevance(u, wn, s, lout, lin, col, c, xn, 1.0f, Rin);
        add_input_relevance(u, wn, s2, lout, lin, col, c, xp, -1.0f, Rin);
        add_input_relevance(u, wp, s2, lout, lin, col, c, xn, -1.0f, Rin);
        break;
    }
    case R_ZBOX: {
        /* xp, xn reused as the bounds broadcast over time */
        for (int ci = 0; ci < u->cin; ci++)
            for (int t = 0; t < lin; t++) {
                xp[(size_t)ci * lin + t] = p->lo[ci];
                xn[(size_t)ci * lin + t] = p->hi[ci];
            }
        conv_fwd(u, u->w, x, lin, z, lout, col);
        conv_fwd(u, wp, xp, lin, z2, lout, col);
        for (size_t i = 0; i < ny; i++) z[i] -= z2[i];
        conv_fwd(u, wn, xn, lin, z2, lout, col);
        for (size_t i = 0; i < ny; i++) s[i] = R[i] / sgn_stab(z[i] - z2[i], TINY);
        add_input_relevance(u, u->w, s, lout, lin, col, c, x, 1.0f, Rin);
        add_input_relevance(u, wp, s, lout, lin, col, c, xp, -1.0f, Rin);
        add_input_relevance(u, wn, s, lout, lin, col, c, xn, -1.0f, Rin);
        break;
    }
    }
out:
    free(wp);
    free(wn);
    free(xp);
    free(xn);
    free(c);
    free(z);
    free(z2);
    free(s);
    free(s2);
    free(col);
    return rc;
}

/* ---- the walk ---- */

typedef struct walk {
    ecgx_model *m;
    int nl, C, L, rows; /* rows of the forward: 1 (LRP) or 2 (x, x0: DeepLIFT) */
    const float *x[2];
    ecgx_layer_info *info;
    int *consumers;
    float **sig;        /* per layer, per sample [c][l] */
    float *sig_in;      /* [C][L] */
} walk;

static const float *act(const walk *w, int layer, int row)
{
    if (row >= w->rows) row = 0; /* one row: the reference is x itself (plain gradient) */
    if (layer < 0) return w->x[row];
    int c, l;
    const float *a = ecgx_model_activation(w->m, layer, NULL, &c, &l);
    return a + (size_t)row * c * l;
}
static void shape(const walk *w, int layer, int *c, int *l)
{
    if (layer < 0) {
        *c = w->C;
        *l = w->L;
    } else {
        *c = w->info[layer].out_channels;
        *l = w->info[layer].out_length;
    }
}
static float *sig_of(walk *w, int layer)
{
    if (layer < 0) return w->sig_in;
    if (!w->sig[layer]) {
        int c, l;
        shape(w, layer, &c, &l);
        w->sig[layer] = ecgx_calloc_array((size_t)c * l, sizeof(float), "relevance");
    }
    return w->sig[layer];
}

static void bn_coef(const ecgx_layer_info *LI, int c, double *a, double *b)
{
    double g = LI->weight ? LI->weight[c] : 1, be = LI->bias ? LI->bias[c] : 0;
    double mu = LI->running_mean ? LI->running_mean[c] : 0, var = LI->running_var ? LI->running_var[c] : 1;
    *a = g / sqrt(var + LI->eps);
    *b = be - mu * *a;
}

static void unit_from(const ecgx_layer_info *LI, unit *u)
{
    memset(u, 0, sizeof *u);
    u->w = LI->weight;
    u->b = LI->bias;
    if (LI->type == ECGX_LAYER_LINEAR) {
        u->cin = LI->in_channels;
        u->cout = LI->out_channels;
        u->k = u->stride = u->dil = u->groups = 1;
    } else {
        u->cin = LI->in_channels;
        u->cout = LI->out_channels;
        u->k = LI->kernel;
        u->stride = LI->stride;
        u->pad = LI->padding;
        u->dil = LI->dilation;
        u->groups = LI->groups;
    }
}

/* Pool window bounds [j0, j1) of output t. */
static void window(const ecgx_layer_info *LI, int t, int lin, int *j0, int *j1)
{
    int s = t * LI->stride - LI->padding;
    *j0 = s < 0 ? 0 : s;
    *j1 = s + LI->kernel > lin ? lin : s + LI->kernel;
}

static int argmax_range(const float *v, int j0, int j1)
{
    int b = j0;
    for (int j = j0 + 1; j < j1; j++)
        if (v[j] > v[b]) b = j;
    return b;
}

/* DeepLIFT's max rule for one window: contribution m*dy split between the
 * arg-maxes of x and x0, turned back into multipliers. */
static void deeplift_max(const float *x, const float *x0, int j0, int j1, double y, double y0, float m, float *min)
{
    int a = argmax_range(x, j0, j1), b = argmax_range(x0, j0, j1);
    if (a == b) {
        min[a] += m;
        return;
    }
    /* When one arg-max did not move (|dx| tiny: a ReLU zero in both), the
     * other takes the whole contribution, so nothing is lost; both cannot
     * be still unless dy is 0 too. */
    double dy = m * (y - y0), da = x[a] - x0[a], db = x[b] - x0[b];
    int ua = fabs(da) > 1e-6, ub = fabs(db) > 1e-6;
    if (ua && ub) {
        min[a] += (float)(0.5 * dy / da);
        min[b] += (float)(0.5 * dy / db);
    } else if (ua) {
        min[a] += (float)(dy / da);
    } else if (ub) {
        min[b] += (float)(dy / db);
    }
}

static int walk_layer(walk *w, int i, int lrp, const ecgx_xai_options *o, int stop, char *skip, const lrp_params *lp0)
{
    const ecgx_layer_info *LI = &w->info[i];
    const float *S = w->sig[i];
    int c, l, ci, li;
    shape(w, i, &c, &l);
    int src = LI->inputs[0];
    shape(w, src, &ci, &li);
    const float *x = act(w, src, 0), *x0 = act(w, src, 1);
    const float *y = act(w, i, 0), *y0 = act(w, i, 1);
    float *D = NULL;
    if (LI->type != ECGX_LAYER_ADD && LI->type != ECGX_LAYER_CONCAT) {
        D = sig_of(w, src);
        if (!D) return ECGX_ERR_NOMEM;
    }
    size_t n = (size_t)c * l;
    lrp_params lp = *lp0;
    /* epsilon of the epsilon rule: the user's, else 1e-6 for the pure
     * epsilon rule and 0.25 in the upper (linear) layers of the others */
    double eps_lin = o->lrp_epsilon > 0 ? o->lrp_epsilon : (o->lrp_rule == ECGX_LRP_EPSILON ? 1e-6 : 0.25);
    switch (LI->type) {
    case ECGX_LAYER_CONV1D:
    case ECGX_LAYER_LINEAR: {
        unit u;
        unit_from(LI, &u);
        if (!lrp) {
            float *col = malloc(sizeof(float) * (size_t)(u.cin / u.groups) * u.k * l + 1), *tmp = malloc(sizeof(float) * (size_t)ci * li);
            if (!col || !tmp) {
                free(col);
                free(tmp);
                return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
            }
            int lin_ = LI->type == ECGX_LAYER_LINEAR ? 1 : li; /* linear: [in_features][1] */
            conv_bwd(&u, u.w, S, LI->type == ECGX_LAYER_LINEAR ? 1 : l, tmp, lin_, col);
            for (size_t j = 0; j < (size_t)ci * li; j++) D[j] += tmp[j];
            free(col);
            free(tmp);
            return 0;
        }
        /* A batch norm feeding this linear layer (through an evaluation-mode
         * dropout), and nothing else, is folded into it: w' = w * g/sd,
         * b' = b + w * (beta - mu g/sd). Keeping it as a separate element-wise
         * layer would make the epsilon rule absorb relevance wherever
         * g/sd x + shift is small. */
        int bn = -1, drop = -1, s0 = src;
        if (LI->type == ECGX_LAYER_LINEAR && s0 >= 0 && s0 > stop && w->info[s0].type == ECGX_LAYER_DROPOUT &&
            w->consumers[s0] == 1) {
            drop = s0;
            s0 = w->info[s0].inputs[0];
        }
        if (LI->type == ECGX_LAYER_LINEAR && s0 >= 0 && s0 > stop && w->info[s0].type == ECGX_LAYER_BATCHNORM1D &&
            w->consumers[s0] == 1)
            bn = s0;
        if (bn >= 0) {
            const ecgx_layer_info *B = &w->info[bn];
            int bsrc = B->inputs[0];
            float *BD = sig_of(w, bsrc);
            u.w_own = malloc(sizeof(float) * (size_t)u.cout * u.cin);
            u.b_own = malloc(sizeof(float) * u.cout);
            if (!BD || !u.w_own || !u.b_own) {
                free(u.w_own);
                free(u.b_own);
                return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
            }
            for (int oc = 0; oc < u.cout; oc++) {
                double bb = LI->bias ? LI->bias[oc] : 0;
                for (int ic = 0; ic < u.cin; ic++) {
                    double a, b;
                    bn_coef(B, ic, &a, &b);
                    u.w_own[(size_t)oc * u.cin + ic] = (float)(a * LI->weight[(size_t)oc * u.cin + ic]);
                    bb += LI->weight[(size_t)oc * u.cin + ic] * b;
                }
                u.b_own[oc] = (float)bb;
            }
            u.w = u.w_own;
            u.b = u.b_own;
            lp.eps = eps_lin;
            int rc = lrp_unit(&u, act(w, bsrc, 0), 1, S, o->lrp_rule == ECGX_LRP_GAMMA ? R_GAMMA
                                                           : o->lrp_rule == ECGX_LRP_ALPHABETA ? R_AB : R_EPS, &lp, BD);
            free(u.w_own);
            free(u.b_own);
            skip[bn] = 1;
            if (drop >= 0) skip[drop] = 1;
            return rc;
        }
        unit_rule r = unit_rule_for(o->lrp_rule, src, LI->type);
        lp.eps = eps_lin;
        return lrp_unit(&u, x, LI->type == ECGX_LAYER_LINEAR ? 1 : li, S, r, &lp, D);
    }
    case ECGX_LAYER_BATCHNORM1D: {
        if (lrp && src >= 0 && src > stop && w->consumers[src] == 1 &&
            (w->info[src].type == ECGX_LAYER_CONV1D || w->info[src].type == ECGX_LAYER_LINEAR)) {
            /* fold into the preceding affine layer and skip it */
            const ecgx_layer_info *P = &w->info[src];
            unit u;
            unit_from(P, &u);
            size_t per = (size_t)(u.cin / u.groups) * u.k;
            u.w_own = malloc(sizeof(float) * per * u.cout);
            u.b_own = malloc(sizeof(float) * u.cout);
            if (!u.w_own || !u.b_own) {
                free(u.w_own);
                free(u.b_own);
                return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
            }
            for (int oc = 0; oc < u.cout; oc++) {
                double a, b;
                bn_coef(LI, oc, &a, &b);
                for (size_t j = 0; j < per; j++) u.w_own[oc * per + j] = (float)(a * P->weight[oc * per + j]);
                u.b_own[oc] = (float)(b + a * (P->bias ? P->bias[oc] : 0));
            }
            u.w = u.w_own;
            u.b = u.b_own;
            int psrc = P->inputs[0], pc, pl;
            shape(w, psrc, &pc, &pl);
            float *PD = sig_of(w, psrc);
            unit_rule r = unit_rule_for(o->lrp_rule, psrc, P->type);
            lp.eps = eps_lin;
            int rc = PD ? lrp_unit(&u, act(w, psrc, 0), P->type == ECGX_LAYER_LINEAR ? 1 : pl, S, r, &lp, PD)
                        : ECGX_ERR_NOMEM;
            free(u.w_own);
            free(u.b_own);
            skip[src] = 1;
            return rc;
        }
        for (int ch = 0; ch < c; ch++) {
            double a, b;
            bn_coef(LI, ch, &a, &b);
            for (int t = 0; t < l; t++) {
                size_t j = (size_t)ch * l + t;
                if (!lrp) D[j] += (float)(a * S[j]);
                else {
                    double z = a * x[j];
                    D[j] += (float)(z / sgn_stab(z + b, eps_lin) * S[j]);
                }
            }
        }
        return 0;
    }
    case ECGX_LAYER_RELU:
        for (size_t j = 0; j < n; j++) {
            if (lrp) D[j] += S[j];
            else {
                double dx = x[j] - x0[j];
                D[j] += fabs(dx) > 1e-6 ? (float)(S[j] * (y[j] - y0[j]) / dx) : (x[j] > 0 ? S[j] : 0.0f);
            }
        }
        return 0;
    case ECGX_LAYER_DROPOUT:
    case ECGX_LAYER_FLATTEN:
        for (size_t j = 0; j < n; j++) D[j] += S[j];
        return 0;
    case ECGX_LAYER_SCALE:
        for (size_t j = 0; j < n; j++) D[j] += lrp ? S[j] : LI->p * S[j];
        return 0;
    case ECGX_LAYER_MAXPOOL1D:
    case ECGX_LAYER_AVGPOOL1D:
        for (int ch = 0; ch < c; ch++) {
            const float *xr = x + (size_t)ch * li, *x0r = x0 ? x0 + (size_t)ch * li : NULL;
            float *dr = D + (size_t)ch * li;
            for (int t = 0; t < l; t++) {
                float s = S[(size_t)ch * l + t];
                int j0, j1;
                window(LI, t, li, &j0, &j1);
                if (j1 <= j0) continue;
                if (LI->type == ECGX_LAYER_MAXPOOL1D) {
                    if (lrp) dr[argmax_range(xr, j0, j1)] += s;
                    else deeplift_max(xr, x0r, j0, j1, y[(size_t)ch * l + t], y0[(size_t)ch * l + t], s, dr);
                } else if (lrp) {
                    double zs = 0;
                    for (int j = j0; j < j1; j++) zs += xr[j];
                    float f = (float)(s / sgn_stab(zs, TINY));
                    for (int j = j0; j < j1; j++) dr[j] += xr[j] * f;
                } else {
                    int div = LI->count_include_pad ? LI->kernel : j1 - j0;
                    for (int j = j0; j < j1; j++) dr[j] += s / div;
                }
            }
        }
        return 0;
    case ECGX_LAYER_CONCAT_POOL:
    case ECGX_LAYER_GLOBAL_AVGPOOL: {
        int cp = LI->type == ECGX_LAYER_CONCAT_POOL;
        for (int ch = 0; ch < ci; ch++) {
            const float *xr = x + (size_t)ch * li, *x0r = x0 ? x0 + (size_t)ch * li : NULL;
            float *dr = D + (size_t)ch * li;
            if (cp) { /* max half first, as fastai */
                float s = S[ch];
                if (lrp) dr[argmax_range(xr, 0, li)] += s;
                else deeplift_max(xr, x0r, 0, li, y[ch], y0[ch], s, dr);
            }
            float s = S[cp ? ci + ch : ch];
            if (lrp) {
                double zs = 0;
                for (int j = 0; j < li; j++) zs += xr[j];
                float f = (float)(s / sgn_stab(zs, TINY));
                for (int j = 0; j < li; j++) dr[j] += xr[j] * f;
            } else {
                for (int j = 0; j < li; j++) dr[j] += s / li;
            }
        }
        return 0;
    }
    case ECGX_LAYER_ADD: {
        double *zs = NULL;
        if (lrp) {
            zs = calloc(n, sizeof(double));
            if (!zs) return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
            for (int k = 0; k < LI->n_inputs; k++) {
                const float *xk = act(w, LI->inputs[k], 0);
                for (size_t j = 0; j < n; j++) zs[j] += xk[j];
            }
        }
        for (int k = 0; k < LI->n_inputs; k++) {
            float *Dk = sig_of(w, LI->inputs[k]);
            if (!Dk) {
                free(zs);
                return ECGX_ERR_NOMEM;
            }
            const float *xk = act(w, LI->inputs[k], 0);
            for (size_t j = 0; j < n; j++) Dk[j] += lrp ? (float)(xk[j] / sgn_stab(zs[j], TINY) * S[j]) : S[j];
        }
        free(zs);
        return 0;
    }
    case ECGX_LAYER_CONCAT: {
        size_t off = 0;
        for (int k = 0; k < LI->n_inputs; k++) {
            int ck, lk;
            shape(w, LI->inputs[k], &ck, &lk);
            float *Dk = sig_of(w, LI->inputs[k]);
            if (!Dk) return ECGX_ERR_NOMEM;
            for (size_t j = 0; j < (size_t)ck * lk; j++) Dk[j] += S[off + j];
            off += (size_t)ck * lk;
        }
        return 0;
    }
    }
    return ecgx_error(ECGX_ERR_UNSUPPORTED, "xai: layer %s of type %s has no propagation rule", LI->name,
                      ecgx_layer_type_name(LI->type));
}

/* mode 0: DeepLIFT or LRP by o->method; mode 1: the plain gradient of the
 * target logit at `layer` (DeepLIFT's walk with the input as its own
 * reference: every rescale rule falls back to the gradient), which stops at
 * the layer instead of going down to the input as the engine's backward
 * does. */
static int propagate(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target, int layer,
                     int grad_mode, ecgx_attribution **out)
{
    int lrp = !grad_mode && o->method == ECGX_XAI_LRP;
    walk w;
    memset(&w, 0, sizeof w);
    w.m = m;
    w.nl = ecgx_model_layer_count(m);
    w.C = ecgx_model_in_channels(m);
    w.L = L;
    w.rows = lrp || grad_mode ? 1 : 2;
    int nc = ecgx_model_n_classes(m);
    size_t nx = (size_t)w.C * L;
    float *xx = malloc(sizeof(float) * nx * 2), lg[2 * 64], *lgp = nc <= 64 ? lg : malloc(sizeof(float) * 2 * nc);
    float *lo = calloc(w.C, sizeof(float)), *hi = calloc(w.C, sizeof(float));
    char *skip = calloc(w.nl, 1);
    w.info = calloc(w.nl, sizeof *w.info);
    w.consumers = calloc(w.nl, sizeof(int));
    w.sig = calloc(w.nl, sizeof(float *));
    w.sig_in = calloc(nx, sizeof(float));
    ecgx_attribution *a = NULL;
    int rc = (xx && lgp && lo && hi && skip && w.info && w.consumers && w.sig && w.sig_in)
                 ? 0 : ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    if (rc) goto out;
    memcpy(xx, x, sizeof(float) * nx);
    if (!lrp && !grad_mode) rc = ecgx_xai_make_baseline(x, w.C, L, o->baseline, o->baseline_param, o->fs, xx + nx);
    if (!rc) rc = ecgx_model_forward(m, xx, w.rows, L, lgp);
    if (rc) goto out;
    w.x[0] = xx;
    w.x[1] = xx + nx;
    for (int i = 0; i < w.nl && !rc; i++) {
        rc = ecgx_model_layer_info(m, i, &w.info[i]);
        for (int k = 0; !rc && k < w.info[i].n_inputs; k++)
            if (w.info[i].inputs[k] >= 0) w.consumers[w.info[i].inputs[k]]++;
    }
    if (rc) goto out;
    /* z-box bounds: per lead, the input's range */
    for (int ch = 0; ch < w.C; ch++) {
        lo[ch] = hi[ch] = x[(size_t)ch * L];
        for (int t = 1; t < L; t++) {
            float v = x[(size_t)ch * L + t];
            if (v < lo[ch]) lo[ch] = v;
            if (v > hi[ch]) hi[ch] = v;
        }
    }
    lrp_params lp = {0, o->lrp_gamma > 0 ? o->lrp_gamma : 0.25, o->lrp_alpha >= 1 ? o->lrp_alpha : 2.0, lo, hi};
    int last = w.nl - 1;
    float *top = sig_of(&w, last);
    if (!top) {
        rc = ECGX_ERR_NOMEM;
        goto out;
    }
    top[target] = lrp ? lgp[target] : 1.0f;
    if (layer == last) goto done;
    for (int i = last; i > layer && !rc; i--) {
        if (!w.sig[i] || skip[i]) continue;
        rc = walk_layer(&w, i, lrp, o, layer, skip, &lp);
    }
    if (rc) goto out;
done:;
    int c, l;
    shape(&w, layer, &c, &l);
    const float *S = layer >= 0 ? w.sig[layer] : w.sig_in;
    if (!(a = xai_attribution_new(o->method, target, c, l))) {
        rc = ECGX_ERR_NOMEM;
        goto out;
    }
    if (S) {
        const float *a1 = act(&w, layer, 0), *a0 = act(&w, layer, 1);
        for (size_t j = 0; j < (size_t)c * l; j++)
            a->relevance[j] = lrp || grad_mode ? S[j] : S[j] * (a1[j] - a0[j]);
    }
    xai_attribution_finish(a);
    if (grad_mode) {
    } else if (lrp) {
        a->lrp_absorbed = lgp[target] - a->sum;
        a->conservation = a->sum / (fabs(lgp[target]) > 1e-12 ? lgp[target] : 1e-12);
    } else {
        a->logit_baseline = lgp[nc + target];
        double d = lgp[target] - lgp[nc + target];
        a->completeness_gap = fabs(a->sum - d) / fmax(fabs(d), 1e-6);
    }
    a->steps = 1;
    a->logit = lgp[target];
    *out = a;
out:
    if (w.sig)
        for (int i = 0; i < w.nl; i++) free(w.sig[i]);
    free(w.sig);
    free(w.sig_in);
    free(w.info);
    free(w.consumers);
    free(skip);
    free(lo);
    free(hi);
    free(xx);
    if (lgp != lg) free(lgp);
    return rc;
}

int xai_propagate(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target, int layer,
                  ecgx_attribution **out)
{
    return propagate(m, x, L, o, target, layer, 0, out);
}

int xai_layer_gradient(ecgx_model *m, const float *x, int L, int target, int layer, ecgx_attribution **out)
{
    ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_SALIENCY);
    return propagate(m, x, L, &o, target, layer, 1, out);
}
