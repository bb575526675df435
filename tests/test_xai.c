/* Attribution methods against their defining identities, on small ecgx
 * models with randomised batch-norm statistics:
 *   - Integrated Gradients: completeness (sum = f(x) - f(x0)) within 1 % at
 *     64 steps, every baseline, both quadratures, on the input and at a layer;
 *   - LRP-epsilon (epsilon -> 0) equals gradient x input on ReLU networks
 *     (Ancona et al. 2018), with biases; conservation (sum = logit) of the
 *     epsilon, gamma, alpha-beta and z-box rules on a model without biases;
 *   - DeepLIFT summation-to-delta;
 *   - Grad-CAM / HiResCAM / Grad-CAM++ / LayerCAM equal the formulas computed
 *     here from the layer's activations and gradients, placed at the
 *     receptive-field centres;
 *   - occlusion, ablation and gradients of a model that reads one lead only
 *     are zero on the other leads;
 *   - noise tunnel with zero noise equals the method; bad input is refused. */
#include "check.h"
#include "ecgx/nn.h"
#include "ecgx/xai.h"

#include <stdint.h>

static int heavy(void) { return getenv("ECGX_SANITIZER") == NULL; }

static uint64_t rs = 12345;
static double urand(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) * 0x1.0p-53;
}

/* A model with non-trivial batch norm; nobias: zero every bias/shift. */
static ecgx_model *make_model(const char *arch, int nclass, int nobias)
{
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, nclass, 3};
    if (ecgx_model_create(arch, &cfg, &m) < 0) return NULL;
    for (int i = 0; i < ecgx_model_param_count(m); i++) {
        ecgx_param p;
        ecgx_model_param(m, i, &p);
        size_t ln = strlen(p.name);
        int is_bn = 0;
        for (int l = 0; l < ecgx_model_layer_count(m); l++) {
            const char *nm = ecgx_model_layer_name(m, l);
            size_t k = strlen(nm);
            if (ecgx_model_layer_type(m, l) == ECGX_LAYER_BATCHNORM1D && !strncmp(p.name, nm, k) && p.name[k] == '.')
                is_bn = 1;
        }
        if (ln > 12 && !strcmp(p.name + ln - 12, "running_mean"))
            for (int64_t j = 0; j < p.size; j++) p.data[j] = nobias ? 0 : (float)(0.2 * (urand() - 0.5));
        if (ln > 11 && !strcmp(p.name + ln - 11, "running_var"))
            for (int64_t j = 0; j < p.size; j++) p.data[j] = (float)(0.5 + urand());
        if (is_bn && !strcmp(p.name + ln - 6, "weight"))
            for (int64_t j = 0; j < p.size; j++) p.data[j] = (float)(0.7 + 0.6 * urand());
        if (!strcmp(p.name + ln - 4, "bias"))
            for (int64_t j = 0; j < p.size; j++) p.data[j] = nobias ? 0 : (float)(is_bn ? 0.2 * (urand() - 0.5) : p.data[j]);
    }
    return m;
}

static float *make_input(int L)
{
    float *x = malloc(sizeof(float) * 12 * L);
    for (int c = 0; c < 12; c++)
        for (int t = 0; t < L; t++)
            x[c * L + t] = (float)(0.5 * sin(0.07 * t * (1 + 0.1 * c)) +
                                   (1.5 - 0.2 * c) * exp(-0.5 * pow(((t + 3 * c) % 50 - 25) / 2.5, 2)));
    return x;
}

static double max_abs(const float *a, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(a[i]) > m) m = fabs(a[i]);
    return m;
}

static void ig_case(ecgx_model *m, const float *x, int L, ecgx_xai_baseline b, ecgx_xai_quadrature q,
                    const char *layer)
{
    ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_IG);
    o.baseline = b;
    o.quadrature = q;
    o.steps = q == ECGX_QUAD_TRAPEZOID ? 64 : 128; /* Gauss-Legendre suffers more from ReLU kinks */
    o.target = 1;
    o.layer = layer;
    ecgx_attribution *a = NULL;
    CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
    if (!a) return;
    double d = a->logit - a->logit_baseline;
    fprintf(stderr, "    IG %s %s %s: sum %.5f, f(x)-f(x0) %.5f, gap %.2e\n", ecgx_xai_baseline_name(b),
            q ? "GL" : "trapezoid", layer ? layer : "input", a->sum, d, a->completeness_gap);
    CHECK_MSG(fabs(a->sum - d) <= 0.01 * fabs(d), "IG completeness: sum %.6f vs %.6f", a->sum, d);
    CHECK_NEAR(a->completeness_gap, fabs(a->sum - d) / fabs(d), 1e-3);
    CHECK(fabs(d) > 1e-4); /* the test means something */
    ecgx_attribution_free(a);
}

static void test_ig_completeness(void)
{
    const char *archs[2] = {"fcn_wang", "resnet1d_wang"};
    for (int k = 0; k < 2; k++) {
        ecgx_model *m = make_model(archs[k], 3, 0);
        CHECK(m != NULL);
        if (!m) return;
        int L = 200;
        float *x = make_input(L);
        ig_case(m, x, L, ECGX_BASELINE_ZERO, ECGX_QUAD_TRAPEZOID, NULL);
        ig_case(m, x, L, ECGX_BASELINE_BLURRED, ECGX_QUAD_TRAPEZOID, NULL);
        if (heavy()) {
            ig_case(m, x, L, ECGX_BASELINE_FILTERED, ECGX_QUAD_TRAPEZOID, NULL);
            ig_case(m, x, L, ECGX_BASELINE_ZERO, ECGX_QUAD_GAUSS_LEGENDRE, NULL);
            /* at a layer every path goes through (fcn) or a residual block's output */
            ig_case(m, x, L, ECGX_BASELINE_ZERO, ECGX_QUAD_TRAPEZOID, k ? "4.0.relu2" : "1.0.2");
        }
        free(x);
        ecgx_model_free(m);
    }
}

/* IG does not depend on how its alpha steps are batched: the default (one
 * step per thread) equals batches of 1 and of 16 up to float rounding. */
static void test_ig_batch_independent(void)
{
    ecgx_model *m = make_model("resnet1d_wang", 3, 0);
    CHECK(m != NULL);
    if (!m) return;
    int L = 200;
    float *x = make_input(L);
    ecgx_attribution *a[3] = {NULL, NULL, NULL};
    int batches[3] = {0, 1, 16};
    for (int k = 0; k < 3; k++) {
        ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_IG);
        CHECK(o.batch == 0);
        o.target = 1;
        o.batch = batches[k];
        CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a[k]));
    }
    if (a[0] && a[1] && a[2]) {
        double scale = max_abs(a[0]->relevance, (int64_t)12 * L), e1 = 0, e16 = 0;
        for (int64_t i = 0; i < (int64_t)12 * L; i++) {
            e1 = fmax(e1, fabs(a[0]->relevance[i] - a[1]->relevance[i]));
            e16 = fmax(e16, fabs(a[0]->relevance[i] - a[2]->relevance[i]));
        }
        CHECK(scale > 0);
        CHECK_MSG(e1 <= 1e-4 * scale && e16 <= 1e-4 * scale, "batch 1: %.3g, batch 16: %.3g (scale %.3g)", e1, e16,
                  scale);
    }
    for (int k = 0; k < 3; k++) ecgx_attribution_free(a[k]);
    free(x);
    ecgx_model_free(m);
}

/* LRP-epsilon with a vanishing epsilon is gradient x input on ReLU nets. */
static void test_lrp_epsilon_is_gxi(void)
{
    const char *archs[2] = {"fcn_wang", "resnet1d_wang"};
    for (int k = 0; k < 2; k++) {
        ecgx_model *m = make_model(archs[k], 3, 0);
        if (!m) continue;
        int L = 160;
        float *x = make_input(L);
        ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_LRP);
        o.lrp_rule = ECGX_LRP_EPSILON;
        o.lrp_epsilon = 1e-12;
        o.target = 2;
        ecgx_attribution *lrp = NULL, *gxi = NULL;
        CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &lrp));
        ecgx_xai_options og = ecgx_xai_options_default(ECGX_XAI_GXI);
        og.target = 2;
        CHECK_OK(ecgx_xai_attribute(m, x, L, &og, &gxi));
        if (lrp && gxi) {
            double md = 0, mx = max_abs(gxi->relevance, 12 * L);
            for (int i = 0; i < 12 * L; i++) md = fmax(md, fabs(lrp->relevance[i] - gxi->relevance[i]));
            fprintf(stderr, "    %s: max |LRP-eps - gxi| / max |gxi| = %.2e\n", archs[k], md / mx);
            CHECK_MSG(md <= 1e-3 * mx, "%s: LRP-eps differs from gxi by %.3g of max", archs[k], md / mx);
            CHECK(mx > 0);
        }
        /* at a layer too: relevance = activation x gradient there */
        o.layer = og.layer = k ? "5.0.relu2" : "2.0.2";
        ecgx_attribution *l1 = NULL, *l2 = NULL;
        CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &l1));
        CHECK_OK(ecgx_xai_attribute(m, x, L, &og, &l2));
        if (l1 && l2) {
            CHECK(l1->channels == l2->channels && l1->length == l2->length && l1->channels == 128);
            int64_t n = (int64_t)l1->channels * l1->length;
            double md = 0, mx = max_abs(l2->relevance, n);
            for (int64_t i = 0; i < n; i++) md = fmax(md, fabs(l1->relevance[i] - l2->relevance[i]));
            CHECK_MSG(md <= 1e-3 * mx, "layer LRP-eps vs gxi %.3g", md / mx);
        }
        ecgx_attribution_free(l1);
        ecgx_attribution_free(l2);
        ecgx_attribution_free(lrp);
        ecgx_attribution_free(gxi);
        free(x);
        ecgx_model_free(m);
    }
}

static void test_lrp_conservation(void)
{
    const char *archs[2] = {"fcn_wang", "resnet1d_wang"};
    ecgx_lrp_rule rules[4] = {ECGX_LRP_EPSILON, ECGX_LRP_GAMMA, ECGX_LRP_ALPHABETA, ECGX_LRP_ZBOX};
    for (int k = 0; k < 2; k++) {
        ecgx_model *m = make_model(archs[k], 2, 1);
        if (!m) continue;
        int L = 160;
        float *x = make_input(L);
        for (int r = 0; r < 4; r++) {
            ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_LRP);
            o.lrp_rule = rules[r];
            o.lrp_epsilon = 1e-9;
            o.target = 0;
            ecgx_attribution *a = NULL;
            CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
            if (!a) continue;
            fprintf(stderr, "    %s LRP-%s: sum %.6f logit %.6f (conservation %.5f)\n", archs[k],
                    ecgx_lrp_rule_name(rules[r]), a->sum, a->logit, a->conservation);
            CHECK_MSG(fabs(a->sum - a->logit) <= 1e-3 * fabs(a->logit), "%s %s: not conserved",
                      archs[k], ecgx_lrp_rule_name(rules[r]));
            CHECK_NEAR(a->lrp_absorbed, a->logit - a->sum, 1e-6 * fmax(1, fabs(a->logit)));
            ecgx_attribution_free(a);
        }
        free(x);
        ecgx_model_free(m);
    }
}

static void test_deeplift_summation(void)
{
    const char *archs[2] = {"fcn_wang", "resnet1d_wang"};
    for (int k = 0; k < 2; k++) {
        ecgx_model *m = make_model(archs[k], 3, 0);
        if (!m) continue;
        int L = 160;
        float *x = make_input(L);
        for (int b = 0; b < 3; b++) {
            ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_DEEPLIFT);
            o.baseline = b;
            o.target = 0;
            ecgx_attribution *a = NULL;
            CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
            if (!a) continue;
            double d = a->logit - a->logit_baseline;
            fprintf(stderr, "    %s DeepLIFT %s: sum %.6f delta %.6f\n", archs[k], ecgx_xai_baseline_name(b), a->sum, d);
            CHECK_MSG(fabs(a->sum - d) <= 1e-3 * fmax(fabs(d), 1e-3), "summation-to-delta: %.6f vs %.6f", a->sum, d);
            ecgx_attribution_free(a);
        }
        free(x);
        ecgx_model_free(m);
    }
}

/* The CAM formulas, by hand, at the layer's own time steps: the input map at
 * a receptive-field centre c(k) = a k + b must equal the hand value. */
static void test_cams_by_hand(void)
{
    ecgx_model *m = make_model("resnet1d_wang", 3, 0);
    if (!m) return;
    int L = 200;
    float *x = make_input(L);
    const char *layer = "5.0.relu2"; /* stride 4: centres at 4k */
    int li = ecgx_model_layer_find(m, layer);
    CHECK(li >= 0);
    ecgx_xai_method ms[4] = {ECGX_XAI_GRADCAM, ECGX_XAI_HIRESCAM, ECGX_XAI_GRADCAMPP, ECGX_XAI_LAYERCAM};
    for (int mi = 0; mi < 8; mi++) {
        int sg = mi >= 4;
        ecgx_xai_options o = ecgx_xai_options_default(ms[mi % 4]);
        o.target = 1;
        o.layer = layer;
        o.cam_signed = sg;
        ecgx_attribution *a = NULL;
        CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
        if (!a) continue;
        /* activations and gradients of the same target, independently */
        float *dl = calloc(3, sizeof(float)), lg[3];
        dl[1] = 1;
        ecgx_model_forward(m, x, 1, L, lg);
        ecgx_model_backward(m, dl, NULL, ECGX_BACKWARD_NO_PARAM_GRADS);
        free(dl);
        int K, T;
        const float *A = ecgx_model_activation(m, li, NULL, &K, &T), *G = ecgx_model_gradient(m, li, NULL, &K, &T);
        CHECK(T == 50);
        double maxerr = 0, maxv = 0;
        for (int t = 0; t < T; t++) {
            double h = 0;
            for (int k = 0; k < K; k++) {
                double gk = 0, ak = 0, w = 0;
                for (int u = 0; u < T; u++) gk += G[k * T + u], ak += A[k * T + u];
                if (ms[mi % 4] == ECGX_XAI_GRADCAM) h += gk / T * A[k * T + t];
                if (ms[mi % 4] == ECGX_XAI_HIRESCAM) h += G[k * T + t] * A[k * T + t];
                if (ms[mi % 4] == ECGX_XAI_LAYERCAM) h += fmax(G[k * T + t], 0) * A[k * T + t];
                if (ms[mi % 4] == ECGX_XAI_GRADCAMPP) {
                    for (int u = 0; u < T; u++) {
                        double g = G[k * T + u];
                        double al = g != 0 ? g * g / (2 * g * g + ak * g * g * g) : 0;
                        w += al * fmax(g, 0);
                    }
                    h += w * A[k * T + t];
                }
            }
            if (!sg) h = fmax(h, 0);
            for (int lead = 0; lead < 12; lead++) {
                double v = a->relevance[lead * L + 4 * t];
                maxerr = fmax(maxerr, fabs(v - h));
            }
            maxv = fmax(maxv, fabs(h));
            /* halfway between centres: the mean of the two */
            if (t + 1 < T) {
                double h2 = a->relevance[4 * t + 2];
                double e = 0.5 * (a->relevance[4 * t] + a->relevance[4 * t + 4]);
                maxerr = fmax(maxerr, fabs(h2 - e));
            }
        }
        fprintf(stderr, "    %s at %s: max |map - hand| = %.2e (max %.3g)\n", ecgx_xai_method_name(ms[mi % 4]), layer, maxerr, maxv);
        if (sg) CHECK(maxv > 0);
        CHECK_MSG(maxerr <= 1e-5 * fmax(maxv, 1e-6), "%s differs from its formula", ecgx_xai_method_name(ms[mi % 4]));
        CHECK(a->time_only == 1);
        ecgx_attribution_free(a);
    }
    free(x);
    ecgx_model_free(m);
}

/* A model that reads lead 3 only: its first convolution ignores the others. */
static void test_one_lead_model(void)
{
    ecgx_model *m = make_model("fcn_wang", 2, 0);
    if (!m) return;
    ecgx_param p;
    ecgx_model_param(m, ecgx_model_param_find(m, "0.0.0.weight"), &p);
    for (int64_t o = 0; o < p.shape[0]; o++)
        for (int64_t c = 0; c < p.shape[1]; c++)
            if (c != 3)
                for (int64_t k = 0; k < p.shape[2]; k++) p.data[(o * p.shape[1] + c) * p.shape[2] + k] = 0;
    int L = 200;
    float *x = make_input(L);
    ecgx_xai_method ms[5] = {ECGX_XAI_OCCLUSION, ECGX_XAI_ABLATION, ECGX_XAI_SALIENCY, ECGX_XAI_IG, ECGX_XAI_LRP};
    for (int mi = 0; mi < 5; mi++) {
        ecgx_xai_options o = ecgx_xai_options_default(ms[mi % 4]);
        o.target = 0;
        o.window = 20;
        o.stride = 10;
        o.steps = 16;
        ecgx_attribution *a = NULL;
        CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
        if (!a) continue;
        double other = 0, mine = 0;
        for (int c = 0; c < 12; c++)
            for (int t = 0; t < L; t++) {
                double v = fabs(a->relevance[c * L + t]);
                if (c == 3) mine += v;
                else other += v;
            }
        fprintf(stderr, "    %s: |relevance| lead 4 %.4g, other leads %.4g\n", ecgx_xai_method_name(ms[mi % 4]), mine, other);
        CHECK_MSG(other == 0, "%s gives relevance %.3g to leads the model does not read", ecgx_xai_method_name(ms[mi % 4]), other);
        CHECK(mine > 0);
        if (ms[mi % 4] == ECGX_XAI_ABLATION) {
            /* the lead's total is the drop of the logit when it is zeroed */
            float *xz = malloc(sizeof(float) * 12 * L), lg[2];
            memcpy(xz, x, sizeof(float) * 12 * L);
            memset(xz + 3 * L, 0, sizeof(float) * L);
            ecgx_model_forward(m, xz, 1, L, lg);
            CHECK_NEAR(a->sum, a->logit - lg[0], 1e-4 * fmax(1, fabs(a->logit)));
            free(xz);
        }
        ecgx_attribution_free(a);
    }
    free(x);
    ecgx_model_free(m);
}

static void test_noise_tunnel_and_errors(void)
{
    ecgx_model *m = make_model("fcn_wang", 2, 0);
    if (!m) return;
    int L = 120;
    float *x = make_input(L);
    ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_SMOOTHGRAD);
    o.nt_sigma = 0;
    o.nt_samples = 3;
    o.target = 1;
    ecgx_attribution *a = NULL, *b = NULL;
    CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
    ecgx_xai_options s = ecgx_xai_options_default(ECGX_XAI_SALIENCY);
    s.target = 1;
    CHECK_OK(ecgx_xai_attribute(m, x, L, &s, &b));
    if (a && b)
        for (int i = 0; i < 12 * L; i++) CHECK_NEAR(a->relevance[i], b->relevance[i], 1e-6 + 1e-5 * fabs(b->relevance[i]));
    ecgx_attribution_free(a);
    /* noise changes it */
    o.nt_sigma = 0.2;
    a = NULL;
    CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
    if (a && b) {
        double d = 0;
        for (int i = 0; i < 12 * L; i++) d += fabs(a->relevance[i] - b->relevance[i]);
        CHECK(d > 0);
        CHECK(a->method == ECGX_XAI_SMOOTHGRAD && a->steps == 3);
    }
    ecgx_attribution_free(a);
    ecgx_attribution_free(b);
    /* errors */
    a = NULL;
    s.layer = "no.such.layer";
    CHECK(ecgx_xai_attribute(m, x, L, &s, &a) < 0 && a == NULL);
    CHECK(strstr(ecgx_last_error(), "no.such.layer") != NULL);
    s.layer = NULL;
    s.target = 7;
    CHECK(ecgx_xai_attribute(m, x, L, &s, &a) < 0);
    s.target = -1;
    x[5] = NAN;
    CHECK(ecgx_xai_attribute(m, x, L, &s, &a) < 0);
    x[5] = 0;
    s.method = ECGX_XAI_OCCLUSION;
    s.layer = "1.0.2";
    CHECK(ecgx_xai_attribute(m, x, L, &s, &a) < 0);
    CHECK(ecgx_xai_method_from_name("ig") == ECGX_XAI_IG && ecgx_xai_method_from_name("gradcampp") == ECGX_XAI_GRADCAMPP);
    CHECK(ecgx_xai_method_from_name("bogus") == -1);
    /* target -1 picks the top class */
    s.method = ECGX_XAI_GXI;
    s.layer = NULL;
    CHECK_OK(ecgx_xai_attribute(m, x, L, &s, &a));
    float lg[2];
    ecgx_model_forward(m, x, 1, L, lg);
    if (a) CHECK(a->target == (lg[1] > lg[0] ? 1 : 0));
    ecgx_attribution_free(a);
    free(x);
    ecgx_model_free(m);
}

int main(void)
{
    RUN(test_ig_completeness);
    RUN(test_ig_batch_independent);
    RUN(test_lrp_epsilon_is_gxi);
    RUN(test_lrp_conservation);
    RUN(test_deeplift_summation);
    RUN(test_cams_by_hand);
    RUN(test_one_lead_model);
    RUN(test_noise_tunnel_and_errors);
    return check_finish();
}
