/* Clinical aggregation and trust measures on hand-made inputs whose answers
 * are known: segment labels from fiducials, per-lead/segment sums, the
 * sentence for relevance placed in the ST segments of V2-V4, the average
 * beat, Spearman with ties, localisation, deletion/insertion end points,
 * the randomisation check's restoring of the weights. */
#include "check.h"
#include "ecgx/xai.h"

#include <stdint.h>

static ecgx_fiducials *three_beats(void)
{
    ecgx_fiducials *f = ecgx_fiducials_new(3, 0);
    for (int b = 0; b < 3; b++) {
        int64_t o = 100 + 100 * b;
        ecgx_beat *B = &f->beats[b];
        B->r = o + 25;
        B->wave[ECGX_WAVE_P] = (ecgx_wave){o, o + 5, o + 10};
        B->wave[ECGX_WAVE_QRS] = (ecgx_wave){o + 20, o + 25, o + 30};
        B->wave[ECGX_WAVE_T] = (ecgx_wave){o + 45, o + 55, o + 65};
    }
    return f;
}

static void test_segments(void)
{
    ecgx_fiducials *f = three_beats();
    int64_t n = 420;
    uint8_t *lab = malloc(12 * n);
    CHECK_OK(ecgx_xai_segment_labels(f, 12, n, lab));
    CHECK(lab[50] == ECGX_SEG_OTHER);
    CHECK(lab[100] == ECGX_SEG_P && lab[110] == ECGX_SEG_P);
    CHECK(lab[111] == ECGX_SEG_PR && lab[119] == ECGX_SEG_PR);
    CHECK(lab[120] == ECGX_SEG_QRS && lab[130] == ECGX_SEG_QRS);
    CHECK(lab[131] == ECGX_SEG_ST && lab[144] == ECGX_SEG_ST);
    CHECK(lab[145] == ECGX_SEG_T && lab[165] == ECGX_SEG_T);
    CHECK(lab[166] == ECGX_SEG_TP && lab[199] == ECGX_SEG_TP);
    CHECK(lab[200] == ECGX_SEG_P);
    CHECK(lab[366] == ECGX_SEG_OTHER); /* after the last T: no next beat */
    CHECK(lab[11 * n + 131] == ECGX_SEG_ST);
    /* relevance 1 in the ST segments of V2, V3, V4; 0.1 in every QRS */
    ecgx_attribution a = {0};
    a.channels = 12;
    a.length = (int)n;
    a.relevance = calloc(12 * n, sizeof(float));
    for (int l = 0; l < 12; l++)
        for (int64_t t = 0; t < n; t++) {
            uint8_t s = lab[l * n + t];
            if (s == ECGX_SEG_ST && l >= ECGX_LEAD_V2 && l <= ECGX_LEAD_V4) a.relevance[l * n + t] = 1.0f;
            if (s == ECGX_SEG_QRS) a.relevance[l * n + t] = 0.1f;
            if (s == ECGX_SEG_TP) a.relevance[l * n + t] = -0.5f;
        }
    ecgx_xai_summary s;
    CHECK_OK(ecgx_xai_summarize(&a, lab, &s));
    double st = 3 * 3 * 14, qrs = 12 * 3 * 11 * 0.1;
    CHECK_NEAR(s.pos_total, st + qrs, 1e-3);
    CHECK_NEAR(s.neg_total, -0.5 * 12 * 2 * 34, 1e-3);
    CHECK_NEAR(s.seg_pos[ECGX_LEAD_V3][ECGX_SEG_ST], 42, 1e-4);
    CHECK_NEAR(s.seg_n[ECGX_LEAD_I][ECGX_SEG_QRS], 33, 0);
    CHECK_NEAR(s.lead_pos[ECGX_LEAD_I], 3.3, 1e-4);
    char text[2048];
    ecgx_xai_sentences(&s, "STE", text, sizeof text);
    fprintf(stderr, "%s", text);
    char want[128];
    snprintf(want, sizeof want, "STE: %d %% of positive relevance in the ST segments of all leads, %d %% in those of the top "
             "leads V2-V4", (int)lround(100 * st / (st + qrs)), (int)lround(100 * st / (st + qrs)));
    CHECK_MSG(strstr(text, want) != NULL, "expected '%s'", want);
    CHECK(strstr(text, "anterior") != NULL);
    /* truncated output stays a string */
    char small[20];
    int k = ecgx_xai_sentences(&s, "STE", small, sizeof small);
    CHECK(k < (int)sizeof small && strlen(small) == (size_t)k);
    /* average beat: an impulse 5 samples after each R */
    memset(a.relevance, 0, sizeof(float) * 12 * n);
    int64_t r[3] = {125, 225, 325};
    for (int b = 0; b < 3; b++) a.relevance[2 * n + r[b] + 5] = (float)(b + 1);
    float beat[12 * 60];
    CHECK(ecgx_xai_average_beat(&a, r, 3, 20, 40, beat) == 3);
    CHECK_NEAR(beat[2 * 60 + 25], 2.0, 1e-6);
    CHECK_NEAR(beat[2 * 60 + 24], 0.0, 1e-6);
    float *big = malloc(sizeof(float) * 12 * 240);
    CHECK(ecgx_xai_average_beat(&a, r, 3, 200, 40, big) == 2); /* the first too close to the start */
    CHECK_NEAR(big[2 * 240 + 205], 2.5, 1e-6);
    free(big);
    /* data set: two records of class 1 */
    ecgx_xai_dataset_stats d;
    CHECK_OK(ecgx_xai_dataset_stats_init(&d, 2, 12, 60));
    CHECK_OK(ecgx_xai_dataset_stats_add(&d, 1, 0.9, &s, NULL));
    CHECK_OK(ecgx_xai_dataset_stats_add(&d, 1, 0.8, &s, beat));
    CHECK(ecgx_xai_dataset_stats_add(&d, 2, 0.8, &s, NULL) < 0);
    ecgx_xai_summary ms;
    ecgx_xai_dataset_stats_summary(&d, 1, &ms);
    CHECK_NEAR(ms.pos_total, 1.0, 1e-9);
    CHECK_NEAR(ms.seg_pos[ECGX_LEAD_V2][ECGX_SEG_ST], 42 / (st + qrs), 1e-9);
    CHECK(d.n_points == 2 && d.beat_count[1] == 1 && d.count[1] == 2);
    ecgx_xai_dataset_stats_free(&d);
    free(a.relevance);
    free(lab);
    ecgx_fiducials_free(f);
}

static void test_spearman_localisation(void)
{
    float a[4] = {1, 2, 2, 3}, b[4] = {1, 3, 2, 4}, c[4] = {4, 3, 2, 1}, e[4] = {0.1f, 0.2f, 5, 7};
    CHECK_NEAR(ecgx_xai_spearman(a, b, 4, 0), 4.5 / sqrt(22.5), 1e-12); /* ties averaged */
    CHECK_NEAR(ecgx_xai_spearman(e, c, 4, 0), -1.0, 1e-12);
    float d[4] = {-4, 1, -2, 3};
    CHECK_NEAR(ecgx_xai_spearman(d, c, 4, 1), 0.2, 1e-12); /* ranks of |d| 4 1 2 3 against 4 3 2 1 */
    ecgx_attribution at = {0};
    float rel[2 * 10] = {0};
    at.channels = 2;
    at.length = 10;
    at.relevance = rel;
    rel[13] = 3; /* lead 1, t 3 */
    rel[4] = 1;
    rel[5] = -2;
    uint8_t mask[20] = {0};
    mask[4] = 1;
    mask[15] = 1;
    double mass;
    int hit;
    CHECK_OK(ecgx_xai_localisation(&at, mask, 0, &mass, &hit));
    CHECK_NEAR(mass, 0.25, 1e-12);
    CHECK(hit == 0);
    CHECK_OK(ecgx_xai_localisation(&at, mask, 2, &mass, &hit));
    CHECK(hit == 1);
}

static void test_curves_and_randomisation(void)
{
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, 2, 5};
    CHECK_OK(ecgx_model_create("fcn_wang", &cfg, &m));
    if (!m) return;
    int L = 100;
    float *x = malloc(sizeof(float) * 12 * L), *x0 = calloc(12 * L, sizeof(float));
    for (int i = 0; i < 12 * L; i++) x[i] = (float)sin(0.3 * i) + (i % 37 == 0);
    ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_GXI);
    o.target = 1;
    ecgx_attribution *a = NULL;
    CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
    if (!a) return;
    float lg[4], probs[11], probs2[11];
    memcpy(x0 + 12 * L / 2, x, 0);
    float xx[2 * 12 * 100];
    memcpy(xx, x, sizeof(float) * 12 * L);
    memcpy(xx + 12 * L, x0, sizeof(float) * 12 * L);
    CHECK_OK(ecgx_xai_logits(m, xx, 2, L, 1, lg));
    double auc, auc2;
    CHECK_OK(ecgx_xai_perturbation_curve(m, x, x0, L, a, 0, 10, 1, probs, &auc));
    CHECK_NEAR(probs[0], 1 / (1 + exp(-lg[1])), 1e-5);
    CHECK_NEAR(probs[10], 1 / (1 + exp(-lg[3])), 1e-5);
    CHECK_OK(ecgx_xai_perturbation_curve(m, x, x0, L, a, 1, 10, 5, probs2, &auc2));
    CHECK_NEAR(probs2[0], probs[10], 1e-5);
    CHECK_NEAR(probs2[10], probs[0], 1e-5);
    double s = 0;
    for (int j = 1; j <= 10; j++) s += 0.05 * (probs[j] + probs[j - 1]);
    CHECK_NEAR(auc, s, 1e-6);
    /* randomisation: the weights come back */
    double rho[32];
    int n_rho = 32;
    CHECK_OK(ecgx_xai_randomization(m, x, L, &o, 3, rho, &n_rho));
    CHECK(n_rho == 10); /* 3 conv, 3 bn; head: bn, linear, bn, linear */
    for (int i = 0; i < n_rho; i++) CHECK(rho[i] >= -1 && rho[i] <= 1);
    fprintf(stderr, "    rho:");
    for (int i = 0; i < n_rho; i++) fprintf(stderr, " %.2f", rho[i]);
    fprintf(stderr, "\n");
    CHECK(rho[n_rho - 1] < 0.9);
    float lg2[4];
    CHECK_OK(ecgx_xai_logits(m, xx, 2, L, 1, lg2));
    CHECK_MSG(lg2[1] == lg[1] && lg2[3] == lg[3], "logits %.9g %.9g, before %.9g %.9g", lg2[1], lg2[3], lg[1], lg[3]);
    ecgx_attribution_free(a);
    free(x);
    free(x0);
    ecgx_model_free(m);
}

/* The leads named in the first sentence and in "top leads" are one list
 * (on the old code the first named the leads of the dominant segment, the
 * second the leads overall: here V1, V2 against V5, V6). */
static void test_sentences_one_top_list(void)
{
    ecgx_xai_summary s;
    memset(&s, 0, sizeof s);
    s.leads = 12;
    /* ST dominates overall through many leads' small shares; V5 and V6 carry the most relevance, in T */
    for (int l = 0; l < 12; l++) s.seg_pos[l][ECGX_SEG_ST] = 1.0;
    s.seg_pos[ECGX_LEAD_V1][ECGX_SEG_ST] = 2.0;
    s.seg_pos[ECGX_LEAD_V2][ECGX_SEG_ST] = 2.0;
    s.seg_pos[ECGX_LEAD_V5][ECGX_SEG_T] = 4.0;
    s.seg_pos[ECGX_LEAD_V6][ECGX_SEG_T] = 4.0;
    for (int l = 0; l < 12; l++) {
        for (int g = 0; g < ECGX_N_SEGMENTS; g++) s.lead_pos[l] += s.seg_pos[l][g];
        s.pos_total += s.lead_pos[l];
    }
    char text[2048];
    ecgx_xai_sentences(&s, "X", text, sizeof text);
    fprintf(stderr, "%s", text);
    CHECK_MSG(strstr(text, "X: top leads V5 (") && strstr(text, "), V6 ("), "top leads: %s", text);
    CHECK_MSG(strstr(text, "in those of the top leads V5 and V6."), "first sentence names other leads: %s", text);
    CHECK(!strstr(text, "of V1 and V2"));
}

int main(void)
{
    RUN(test_sentences_one_top_list);
    RUN(test_segments);
    RUN(test_spearman_localisation);
    RUN(test_curves_and_randomisation);
    return check_finish();
}
