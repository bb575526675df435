/* The output an explanation explains, and the baseline it explains it
 * against:
 *   - ecgx_xai_attribute_windowed explains the window ecgx_model_predict_windows
 *     takes the maximum from: its logit is that maximum (so the displayed
 *     probability is the explained one), its relevance is the window's own
 *     attribution placed in the input's time and zero elsewhere;
 *   - the normal baseline is the synthetic normal ECG with the model's
 *     preprocessing, linear in its scale, refused for inputs that are not 12
 *     leads; ecgx_xai_normal_scale picks the scale whose largest class
 *     probability is smallest (checked by brute force over the same grids);
 *   - the random-order deletion reference is deterministic for a seed;
 *   - on the shipped PTB-XL model the default baseline scores every class
 *     below its threshold (0.5: the model stores none yet), where the zero
 *     baseline scores CD 0.997. */
#include "check.h"
#include "ecgx/nn.h"
#include "ecgx/xai.h"

#include <math.h>
#include <stdint.h>

#define SHIPPED "models/resnet1d_wang_ptbxl_superdiag.safetensors"

static float *make_input(int L)
{
    float *x = malloc(sizeof(float) * 12 * L);
    for (int c = 0; c < 12; c++)
        for (int t = 0; t < L; t++)
            x[c * L + t] = (float)(0.5 * sin(0.07 * t * (1 + 0.1 * c)) +
                                   (1.5 - 0.2 * c) * exp(-0.5 * pow(((t + 3 * c) % 50 - 25) / 2.5, 2)) +
                                   (t > 500 && t < 600 ? 2.0 * sin(0.9 * t) : 0)); /* something in one window */
    return x;
}

static void test_windowed(void)
{
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, 3, 4};
    CHECK_OK(ecgx_model_create("resnet1d_wang", &cfg, &m));
    if (!m) return;
    const int L = 1000, W = 250, S = 125;
    float *x = make_input(L);
    int nw = ecgx_windows_count(L, W, S);
    float probs[3], *wl = malloc(sizeof(float) * nw * 3);
    CHECK_OK(ecgx_model_predict_windows(m, x, L, W, S, probs, wl));
    for (int target = 0; target < 3; target++)
        for (int method = 0; method < 2; method++) {
            ecgx_xai_options o = ecgx_xai_options_default(method ? ECGX_XAI_IG : ECGX_XAI_GXI);
            o.target = target;
            o.steps = 16;
            o.baseline = ECGX_BASELINE_ZERO;
            ecgx_attribution *a = NULL;
            CHECK_OK(ecgx_xai_attribute_windowed(m, x, L, W, S, &o, &a, NULL));
            if (!a) continue;
            int best = 0;
            for (int w = 1; w < nw; w++)
                if (wl[w * 3 + target] > wl[best * 3 + target]) best = w;
            int start = best * S + W > L ? L - W : best * S;
            CHECK(a->n_windows == nw && a->window_length == W && a->window_start == start && a->length == L);
            /* the explained probability is the displayed one */
            double pe = 1 / (1 + exp(-a->logit));
            CHECK_MSG(fabs(pe - probs[target]) < 1e-5, "explained %.6f, displayed %.6f", pe, probs[target]);
            /* the window's own attribution, placed; zero outside */
            float *xw = malloc(sizeof(float) * 12 * W);
            for (int c = 0; c < 12; c++) memcpy(xw + c * W, x + c * L + start, sizeof(float) * W);
            ecgx_attribution *b = NULL;
            CHECK_OK(ecgx_xai_attribute(m, xw, W, &o, &b));
            double d = 0, out = 0;
            for (int c = 0; b && c < 12; c++)
                for (int t = 0; t < L; t++) {
                    float v = a->relevance[c * L + t];
                    if (t >= start && t < start + W) d = fmax(d, fabs(v - b->relevance[c * W + t - start]));
                    else out = fmax(out, fabs(v));
                }
            CHECK_MSG(d == 0 && out == 0, "placed relevance differs by %g, %g outside the window", d, out);
            ecgx_attribution_free(b);
            free(xw);
            ecgx_attribution_free(a);
        }
    /* target -1: the class with the largest displayed probability */
    ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_SALIENCY);
    ecgx_attribution *a = NULL;
    CHECK_OK(ecgx_xai_attribute_windowed(m, x, L, W, S, &o, &a, NULL));
    int top = 0;
    for (int k = 1; k < 3; k++)
        if (probs[k] > probs[top]) top = k;
    CHECK(a && a->target == top);
    ecgx_attribution_free(a);
    /* shorter than a window: the whole input, one window */
    a = NULL;
    CHECK_OK(ecgx_xai_attribute_windowed(m, x, 200, W, S, &o, &a, NULL));
    CHECK(a && a->n_windows == 1 && a->window_start == 0 && a->window_length == 200 && a->length == 200);
    ecgx_attribution_free(a);
    free(wl);
    free(x);
    ecgx_model_free(m);
}

static void test_normal_baseline(void)
{
    const int L = 250;
    float *a = malloc(sizeof(float) * 12 * L), *b = malloc(sizeof(float) * 12 * L);
    CHECK_OK(ecgx_xai_make_baseline(NULL, 12, L, ECGX_BASELINE_NORMAL, 1.0, 100, a));
    CHECK_OK(ecgx_xai_make_baseline(NULL, 12, L, ECGX_BASELINE_NORMAL, 0.5, 100, b));
    double d = 0, amp = 0;
    for (int i = 0; i < 12 * L; i++) {
        d = fmax(d, fabs(0.5 * a[i] - b[i]));
        amp = fmax(amp, fabs(a[i]));
    }
    CHECK_MSG(d < 1e-6, "not linear in the scale: %g", d);
    /* z-scored leads of an ECG: R peaks several SD tall */
    CHECK_MSG(amp > 2 && amp < 20, "max |x0| %g", amp);
    /* lead II's R waves (70 bpm: about 3 beats in 2.5 s) stand out */
    int peaks = 0;
    for (int t = 1; t + 1 < L; t++) {
        float v = a[1 * L + t];
        if (v > 2 && v >= a[L + t - 1] && v > a[L + t + 1]) peaks++;
    }
    CHECK_MSG(peaks >= 2 && peaks <= 4, "%d R peaks in lead II", peaks);
    CHECK(ecgx_xai_make_baseline(NULL, 2, L, ECGX_BASELINE_NORMAL, 1.0, 100, a) == ECGX_ERR_UNSUPPORTED);
    CHECK(ecgx_xai_baseline_from_name("normal") == ECGX_BASELINE_NORMAL);
    free(a);
    free(b);

    /* the scale the model finds least like any class, by brute force */
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, 4, 4};
    CHECK_OK(ecgx_model_create("resnet1d_wang", &cfg, &m));
    if (!m) return;
    CHECK(ecgx_xai_default_baseline(m) == ECGX_BASELINE_NORMAL);
    double scale = 0, pmax = 0, best_s = 0, best_p = 2;
    CHECK_OK(ecgx_xai_normal_scale(m, L, 100, &scale, &pmax));
    float *x0 = malloc(sizeof(float) * 12 * L), lg[4];
    double grid_s = 0, grid_p = 2;
    for (int j = 0; j < 71 + 15; j++) {
        /* the coarse grid (0.05 steps), then every 0.01 step: the search must be the
         * coarse best refined within +-0.02 */
        double s = j < 15 ? 0.30 + 0.05 * j : 0.30 + 0.01 * (j - 15), p = 0;
        ecgx_xai_make_baseline(NULL, 12, L, ECGX_BASELINE_NORMAL, s, 100, x0);
        ecgx_xai_logits(m, x0, 1, L, 1, lg);
        for (int k = 0; k < 4; k++) p = fmax(p, 1 / (1 + exp(-lg[k])));
        if (j < 15 && p < grid_p) grid_p = p, grid_s = s;
        if (j == 14) best_p = grid_p, best_s = grid_s;
        if (j >= 15 && fabs(s - grid_s) <= 0.02 + 1e-9 && p < best_p) best_p = p, best_s = s;
    }
    CHECK_NEAR(scale, best_s, 1e-9);
    CHECK_NEAR(pmax, best_p, 1e-5);
    /* an attribution with the normal baseline and no scale uses that scale */
    float *x = make_input(L);
    ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_IG);
    o.baseline = ECGX_BASELINE_NORMAL;
    o.steps = 32;
    ecgx_attribution *at = NULL;
    CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &at));
    CHECK_MSG(at && fabs(at->baseline_param - scale) < 1e-9, "scale %g vs %g", at ? at->baseline_param : NAN, scale);
    /* f(baseline) is the model's logit of that very baseline */
    ecgx_xai_make_baseline(NULL, 12, L, ECGX_BASELINE_NORMAL, scale, 100, x0);
    ecgx_xai_logits(m, x0, 1, L, 1, lg);
    CHECK(at && fabs(at->logit_baseline - lg[at->target]) < 1e-4);
    ecgx_attribution_free(at);
    /* a model of 2 leads defaults to zero */
    ecgx_model *m2 = NULL;
    ecgx_model_config c2 = {2, 2, 4};
    CHECK_OK(ecgx_model_create("resnet1d_wang", &c2, &m2));
    CHECK(ecgx_xai_default_baseline(m2) == ECGX_BASELINE_ZERO);
    /* the random-order deletion reference: the same for the same seed */
    float *z = calloc(12 * L, sizeof(float));
    double r1 = -1, r2 = -2, r3 = -3;
    CHECK_OK(ecgx_xai_perturbation_curve_random(m, x, z, L, 1, 0, 10, 10, 3, 5, &r1));
    CHECK_OK(ecgx_xai_perturbation_curve_random(m, x, z, L, 1, 0, 10, 10, 3, 5, &r2));
    CHECK_OK(ecgx_xai_perturbation_curve_random(m, x, z, L, 1, 0, 10, 10, 3, 6, &r3));
    CHECK(r1 == r2 && r1 >= 0 && r1 <= 1 && r3 != r1);
    free(z);
    free(x);
    free(x0);
    ecgx_model_free(m2);
    ecgx_model_free(m);
}

static void test_shipped_model_baselines(void)
{
    ecgx_model *m = NULL;
    if (ecgx_model_load(SHIPPED, &m) < 0) {
        CHECK_MSG(0, "%s: %s", SHIPPED, ecgx_last_error());
        return;
    }
    const int W = 250;
    int K = ecgx_model_n_classes(m);
    float *x0 = malloc(sizeof(float) * 12 * W), lg[8];
    char cb[64];
    /* the zero baseline: "CD, p 0.997" (why the default is not zero) */
    ecgx_xai_make_baseline(NULL, 12, W, ECGX_BASELINE_ZERO, 0, 100, x0);
    CHECK_OK(ecgx_xai_logits(m, x0, 1, W, 1, lg));
    int cd = ecgx_xai_class_from_name(m, "CD");
    CHECK(cd >= 0 && 1 / (1 + exp(-lg[cd])) > 0.99);
    /* the default baseline, at the scale the model picks: every class below its threshold */
    CHECK(ecgx_xai_default_baseline(m) == ECGX_BASELINE_NORMAL);
    double scale = 0, pmax = 0;
    CHECK_OK(ecgx_xai_normal_scale(m, W, 100, &scale, &pmax));
    CHECK_OK(ecgx_xai_make_baseline(NULL, 12, W, ECGX_BASELINE_NORMAL, scale, 100, x0));
    CHECK_OK(ecgx_xai_logits(m, x0, 1, W, 1, lg));
    double thr[8], pbig = 0;
    CHECK(K <= 8 && ecgx_model_thresholds(m, thr, NULL) == 1); /* the shipped model carries its thresholds */
    fprintf(stderr, "    normal baseline, scale %.2f:", scale);
    for (int k = 0; k < K && k < 8; k++) {
        double p = 1 / (1 + exp(-lg[k]));
        pbig = fmax(pbig, p);
        fprintf(stderr, " %s %.3f (threshold %.3f)", ecgx_xai_class_name(m, k, cb, sizeof cb), p, thr[k]);
        CHECK_MSG(p < thr[k], "the default baseline scores %s %.3f >= its threshold %.3f", cb, p, thr[k]);
    }
    fprintf(stderr, "\n");
    CHECK_MSG(fabs(pmax - pbig) < 1e-5, "p_max %.6f, largest probability %.6f", pmax, pbig);
    free(x0);
    ecgx_model_free(m);
}

int main(void)
{
    RUN(test_windowed);
    RUN(test_normal_baseline);
    RUN(test_shipped_model_baselines);
    return check_finish();
}
