/* Evaluation statistics against independent values: closed forms and hand
 * computations, an O(n^2) DeLong from the structural-component definition,
 * explicit record duplication for the bootstrap weights, and scikit-learn
 * (Debian's python3-sklearn, skipped when absent) on random data. */
#include "check.h"
#include "ecgx/eval.h"
#include "eval/eval_internal.h"

#include <stdint.h>
#include <sys/wait.h>
#include <cjson/cJSON.h>
#include "ecgx/outfile.h"

static uint64_t lcg_state = 12345;
static double urand(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg_state >> 11) / 9007199254740992.0;
}

static void test_closed_forms(void)
{
    double s[6] = {0.1, 0.2, 0.3, 0.7, 0.8, 0.9};
    uint8_t sep[6] = {0, 0, 0, 1, 1, 1}, rev[6] = {1, 1, 1, 0, 0, 0};
    double tied[6] = {0.4, 0.4, 0.4, 0.4, 0.4, 0.4};
    double a;
    CHECK_OK(ecgx_eval_auroc(s, sep, 6, &a));
    CHECK_NEAR(a, 1.0, 0);
    CHECK_OK(ecgx_eval_auroc(s, rev, 6, &a));
    CHECK_NEAR(a, 0.0, 0);
    CHECK_OK(ecgx_eval_auroc(tied, sep, 6, &a));
    CHECK_NEAR(a, 0.5, 0);
    CHECK_OK(ecgx_eval_auprc(s, sep, 6, &a));
    CHECK_NEAR(a, 1.0, 1e-15);
    /* all tied: one threshold, precision = prevalence, recall 0 -> 1 */
    CHECK_OK(ecgx_eval_auprc(tied, sep, 6, &a));
    CHECK_NEAR(a, 0.5, 1e-15);

    /* Hand example with a tie across classes:
     * positives 0.5, 0.8; negatives 0.5, 0.2 -> pairs 0.5, 1, 1, 1 -> 3.5/4.
     * AP: at 0.8 P=1 R=1/2; at 0.5 P=2/3 R=1 -> 1/2*1 + 1/2*2/3. */
    double h[4] = {0.5, 0.5, 0.2, 0.8};
    uint8_t y[4] = {1, 0, 0, 1};
    CHECK_OK(ecgx_eval_auroc(h, y, 4, &a));
    CHECK_NEAR(a, 0.875, 1e-15);
    CHECK_OK(ecgx_eval_auprc(h, y, 4, &a));
    CHECK_NEAR(a, 0.5 + 0.5 * 2.0 / 3.0, 1e-15);

    ecgx_binary_metrics m;
    CHECK_OK(ecgx_eval_at_threshold(h, y, 4, 0.5, &m));
    CHECK(m.cm.tp == 2 && m.cm.fp == 1 && m.cm.tn == 1 && m.cm.fn == 0);
    CHECK_NEAR(m.sensitivity, 1.0, 0);
    CHECK_NEAR(m.specificity, 0.5, 0);
    CHECK_NEAR(m.ppv, 2.0 / 3.0, 1e-15);
    CHECK_NEAR(m.npv, 1.0, 0);
    CHECK_NEAR(m.f1, 0.8, 1e-15);
    CHECK_NEAR(m.accuracy, 0.75, 0);
    CHECK_OK(ecgx_eval_at_threshold(h, y, 4, 0.9, &m));
    CHECK(isnan(m.ppv) && m.sensitivity == 0);

    /* Youden: J(0.8) = 0.5, J(0.5) = 1 - 0.5 = 0.5 -> tie -> higher, 0.8.
     * F1: F1(0.8) = 2/3, F1(0.5) = 0.8 -> 0.5. Sensitivity >= 0.9 -> 0.5. */
    double t;
    CHECK_OK(ecgx_eval_choose_threshold(h, y, 4, ECGX_THRESHOLD_YOUDEN, 0, &t));
    CHECK_NEAR(t, 0.8, 0);
    CHECK_OK(ecgx_eval_choose_threshold(h, y, 4, ECGX_THRESHOLD_F1, 0, &t));
    CHECK_NEAR(t, 0.5, 0);
    CHECK_OK(ecgx_eval_choose_threshold(h, y, 4, ECGX_THRESHOLD_SENSITIVITY, 0.9, &t));
    CHECK_NEAR(t, 0.5, 0);
    CHECK_OK(ecgx_eval_choose_threshold(h, y, 4, ECGX_THRESHOLD_SENSITIVITY, 0.5, &t));
    CHECK_NEAR(t, 0.8, 0);
    CHECK(ecgx_threshold_rule_parse("Youden") == ECGX_THRESHOLD_YOUDEN);
    CHECK(ecgx_threshold_rule_parse("nope") == -1);

    /* errors, not crashes */
    uint8_t none[4] = {0, 0, 0, 0}, bad[4] = {0, 2, 0, 1};
    CHECK(ecgx_eval_auroc(h, none, 4, &a) == ECGX_ERR_RANGE);
    CHECK(ecgx_eval_auprc(h, none, 4, &a) == ECGX_ERR_RANGE);
    CHECK(ecgx_eval_auroc(h, bad, 4, &a) == ECGX_ERR_RANGE);
    double nanv[2] = {NAN, 1};
    CHECK(ecgx_eval_auroc(nanv, y, 2, &a) == ECGX_ERR_RANGE);
    CHECK(ecgx_eval_auroc(h, y, 0, &a) == ECGX_ERR_ARG);
}

/* DeLong from its definition: psi(x, y) = 1, 1/2, 0; V10_i = mean_j psi(X_i, Y_j),
 * V01_j = mean_i psi(X_i, Y_j); S = sample covariances; var = S10/m + S01/n. */
static void delong_reference(const double *a, const double *b, const uint8_t *y, int n, double *auc_a,
                             double *auc_b, double *var_diff)
{
    int m = 0, k = 0;
    for (int i = 0; i < n; i++) m += y[i];
    k = n - m;
    double *v10[2], *v01[2];
    const double *sc[2] = {a, b};
    double auc[2];
    for (int s = 0; s < 2; s++) {
        v10[s] = calloc((size_t)m, sizeof(double));
        v01[s] = calloc((size_t)k, sizeof(double));
        int ip = 0;
        auc[s] = 0;
        for (int i = 0; i < n; i++) {
            if (!y[i]) continue;
            int in = 0;
            for (int j = 0; j < n; j++) {
                if (y[j]) continue;
                double psi = sc[s][i] > sc[s][j] ? 1 : sc[s][i] == sc[s][j] ? 0.5 : 0;
                v10[s][ip] += psi / k;
                v01[s][in] += psi / m;
                auc[s] += psi / ((double)m * k);
                in++;
            }
            ip++;
        }
    }
    double s10[2][2], s01[2][2];
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) {
            double c = 0;
            for (int i = 0; i < m; i++) c += (v10[p][i] - auc[p]) * (v10[q][i] - auc[q]);
            s10[p][q] = c / (m - 1);
            c = 0;
            for (int j = 0; j < k; j++) c += (v01[p][j] - auc[p]) * (v01[q][j] - auc[q]);
            s01[p][q] = c / (k - 1);
        }
    *auc_a = auc[0];
    *auc_b = auc[1];
    *var_diff = (s10[0][0] + s10[1][1] - 2 * s10[0][1]) / m + (s01[0][0] + s01[1][1] - 2 * s01[0][1]) / k;
    for (int s = 0; s < 2; s++) { free(v10[s]); free(v01[s]); }
}

/* Per-class thresholds: each class as the single-class rule gives it
 * (checked against brute force over every candidate threshold), NaN for a
 * class the data cannot decide; rule specs; thresholds printed apart from 0
 * and 1. */
static void test_thresholds_per_class(void)
{
    enum { N = 60, C = 3 };
    double s[N * C], col[N];
    uint8_t y[N * C], ycol[N];
    for (int i = 0; i < N; i++) {
        for (int c = 0; c < C; c++) {
            y[i * C + c] = c == 2 ? 0 : urand() < 0.35; /* class 2: no positive */
            s[i * C + c] = round((0.4 * y[i * C + c] + urand()) * 20) / 20; /* ties */
        }
    }
    double thr[C];
    int chosen = -1;
    CHECK_OK(ecgx_eval_choose_thresholds(s, y, N, C, ECGX_THRESHOLD_F1, 0, thr, &chosen));
    CHECK(chosen == 2 && isnan(thr[2]));
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < N; i++) {
            col[i] = s[i * C + c];
            ycol[i] = y[i * C + c];
        }
        /* brute force: F1 at every observed score, ties to the higher threshold */
        double best = -1, best_t = NAN;
        for (int j = 0; j < N; j++) {
            double t = col[j], tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < N; i++) {
                int pred = col[i] >= t;
                tp += pred && ycol[i];
                fp += pred && !ycol[i];
                fn += !pred && ycol[i];
            }
            double f1 = 2 * tp / (2 * tp + fp + fn);
            if (f1 > best || (f1 == best && t > best_t)) { best = f1; best_t = t; }
        }
        CHECK_NEAR(thr[c], best_t, 0);
        double one;
        CHECK_OK(ecgx_eval_choose_threshold(col, ycol, N, ECGX_THRESHOLD_YOUDEN, 0, &one));
        double thr_y[C];
        CHECK_OK(ecgx_eval_choose_thresholds(s, y, N, C, ECGX_THRESHOLD_YOUDEN, 0, thr_y, NULL));
        CHECK_NEAR(thr_y[c], one, 0);
    }
    CHECK(ecgx_eval_choose_thresholds(s, y, 0, C, ECGX_THRESHOLD_F1, 0, thr, NULL) == ECGX_ERR_ARG);

    ecgx_threshold_rule r;
    double t;
    CHECK_OK(ecgx_threshold_spec_parse("f1", &r, &t));
    CHECK(r == ECGX_THRESHOLD_F1);
    CHECK_OK(ecgx_threshold_spec_parse("sensitivity:0.8", &r, &t));
    CHECK(r == ECGX_THRESHOLD_SENSITIVITY && t == 0.8);
    CHECK_OK(ecgx_threshold_spec_parse("sensitivity", &r, &t));
    CHECK(t == 0.9);
    CHECK(ecgx_threshold_spec_parse("sensitivity:1.5", &r, &t) == ECGX_ERR_ARG);
    CHECK(ecgx_threshold_spec_parse("youden:0.3", &r, &t) == ECGX_ERR_ARG);
    CHECK(ecgx_threshold_spec_parse("fixed", &r, &t) == ECGX_ERR_ARG);
    char buf[64];
    ecgx_threshold_spec_format(ECGX_THRESHOLD_SENSITIVITY, 0.85, buf, sizeof buf);
    CHECK(!strcmp(buf, "sensitivity:0.85"));

    /* printed thresholds: never "1.000" or "0.000" for a value strictly between */
    ecgx_threshold_format(0.9996, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "0.9996"), "%s", buf);
    ecgx_threshold_format(0.99999993, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "0.9999999"), "%s", buf);
    ecgx_threshold_format(0.00004, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "0.00004"), "%s", buf);
    ecgx_threshold_format(0.2417, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "0.242"), "%s", buf);
    ecgx_threshold_format(1, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "1.000"), "%s", buf);
}

static void test_delong(void)
{
    enum { N = 300 };
    double a[N], b[N];
    uint8_t y[N];
    for (int trial = 0; trial < 3; trial++) {
        for (int i = 0; i < N; i++) {
            y[i] = urand() < 0.3;
            double signal = y[i] ? 1.0 : 0.0;
            /* quantised scores make plenty of ties */
            a[i] = round((signal * 0.8 + urand()) * (trial == 2 ? 5 : 50)) / 50.0;
            b[i] = round((signal * 0.5 + urand()) * 50) / 50.0;
        }
        ecgx_delong d;
        CHECK_OK(ecgx_eval_delong(a, b, y, N, &d));
        double ra, rb, rv;
        delong_reference(a, b, y, N, &ra, &rb, &rv);
        CHECK_NEAR(d.auc_a, ra, 1e-12);
        CHECK_NEAR(d.auc_b, rb, 1e-12);
        double var = d.var_a + d.var_b - 2 * d.cov_ab;
        CHECK_NEAR(var, rv, 1e-12);
        double z = (ra - rb) / sqrt(rv);
        CHECK_NEAR(d.z, z, 1e-9);
        /* p from the normal tail, independently via the complementary error function's series-free identity */
        CHECK_NEAR(d.p_value, 2 * (1 - 0.5 * (1 + erf(fabs(z) / sqrt(2.0)))), 1e-9);
        double auc;
        CHECK_OK(ecgx_eval_auroc(a, y, N, &auc));
        CHECK_NEAR(auc, d.auc_a, 1e-12);
    }
    /* identical scores: difference 0, p = 1 */
    ecgx_delong d;
    CHECK_OK(ecgx_eval_delong(a, a, y, N, &d));
    CHECK(d.diff == 0 && d.p_value == 1.0);
    uint8_t one[4] = {1, 0, 0, 0};
    CHECK(ecgx_eval_delong(a, b, one, 4, &d) == ECGX_ERR_RANGE);
}

/* The weighted kernels equal the metrics on the explicitly duplicated data. */
static void test_weights_are_duplicates(void)
{
    enum { N = 60 };
    double s[N], w[N], big_s[N * 4];
    uint8_t y[N], big_y[N * 4];
    int nb = 0;
    for (int i = 0; i < N; i++) {
        s[i] = round(urand() * 20) / 20;
        y[i] = urand() < 0.4;
        w[i] = (double)(int)(urand() * 4);
        for (int r = 0; r < (int)w[i]; r++) { big_s[nb] = s[i]; big_y[nb] = y[i]; nb++; }
    }
    int64_t *order;
    CHECK_OK(eval_sort_ascending(s, N, &order));
    double ref;
    CHECK_OK(ecgx_eval_auroc(big_s, big_y, nb, &ref));
    CHECK_NEAR(eval_auroc_sorted(s, y, order, w, N), ref, 1e-12);
    CHECK_OK(ecgx_eval_auprc(big_s, big_y, nb, &ref));
    CHECK_NEAR(eval_ap_sorted(s, y, order, w, N), ref, 1e-12);
    ecgx_binary_metrics m;
    ecgx_confusion cm;
    CHECK_OK(ecgx_eval_at_threshold(big_s, big_y, nb, 0.5, &m));
    eval_confusion(s, y, w, N, 0.5, &cm);
    CHECK(cm.tp == m.cm.tp && cm.fp == m.cm.fp && cm.tn == m.cm.tn && cm.fn == m.cm.fn);
    /* the bootstrap's grouped view gives the same numbers as the kernels */
    double thrs[6] = {0.5, s[7], 0.4999, 2.0, -1.0, NAN};
    for (int k = 0; k < 6; k++) {
        eval_view v;
        CHECK_OK(eval_view_build(s, y, order, N, 1, thrs[k], &v));
        double gp[N], gn[N], auc, ap;
        ecgx_confusion vc, rc_;
        eval_view_metrics(&v, w, gp, gn, &auc, &ap, &vc);
        eval_confusion(s, y, w, N, thrs[k], &rc_);
        CHECK_NEAR(auc, eval_auroc_sorted(s, y, order, w, N), 1e-12);
        CHECK_NEAR(ap, eval_ap_sorted(s, y, order, w, N), 1e-12);
        CHECK_MSG(vc.tp == rc_.tp && vc.fp == rc_.fp && vc.tn == rc_.tn && vc.fn == rc_.fn, "threshold %g", thrs[k]);
        eval_view_free(&v);
    }
    free(order);
    /* percentile: numpy linear interpolation */
    double v[5] = {3, 1, NAN, 2, 4};
    CHECK_NEAR(eval_percentile(v, 5, 0.25), 1.75, 1e-15);
}

static void test_bootstrap(void)
{
    enum { N = 20, C = 2 };
    double s[N * C];
    uint8_t y[N * C];
    for (int i = 0; i < N; i++) {
        y[i * C + 0] = i == 7;            /* one positive: many resamples miss it */
        y[i * C + 1] = i % 2;
        s[i * C + 0] = urand();
        s[i * C + 1] = 0.3 * y[i * C + 1] + 0.7 * urand();
    }
    ecgx_eval_options opt;
    ecgx_eval_options_default(&opt);
    int B = getenv("ECGX_SANITIZER") ? 1000 : 4000;
    opt.n_bootstrap = B;
    opt.seed = 42;
    ecgx_eval_result *r1 = NULL, *r2 = NULL;
    CHECK_OK(ecgx_eval_multilabel(s, y, N, C, &opt, &r1));
    CHECK_OK(ecgx_eval_multilabel(s, y, N, C, &opt, &r2));
    if (!r1 || !r2) { ecgx_eval_result_free(r1); ecgx_eval_result_free(r2); return; }
    /* P(resample misses the positive) = (1 - 1/N)^N */
    double p = pow(1 - 1.0 / N, N), sd = sqrt(B * p * (1 - p));
    CHECK_MSG(fabs(r1->classes[0].n_skipped - B * p) < 5 * sd, "skipped %d, expected %.0f +- %.0f",
              r1->classes[0].n_skipped, B * p, sd);
    CHECK(r1->classes[1].n_skipped < B / 100);
    CHECK(r1->macro_n_skipped >= r1->classes[0].n_skipped);
    /* same seed, same intervals */
    CHECK(r1->classes[1].s.auroc_ci.lo == r2->classes[1].s.auroc_ci.lo);
    CHECK(r1->macro.f1_ci.hi == r2->macro.f1_ci.hi);
    const ecgx_eval_summary *c1 = &r1->classes[1].s;
    CHECK(c1->auroc_ci.lo <= c1->auroc && c1->auroc <= c1->auroc_ci.hi);
    CHECK(c1->auroc_ci.hi - c1->auroc_ci.lo > 0.05);
    CHECK(c1->sensitivity_ci.lo <= c1->at.sensitivity + 1e-12 && c1->at.sensitivity <= c1->sensitivity_ci.hi + 1e-12);
    /* a different seed moves the interval a little */
    opt.seed = 43;
    ecgx_eval_result *r3 = NULL;
    CHECK_OK(ecgx_eval_multilabel(s, y, N, C, &opt, &r3));
    if (r3) {
        CHECK(r3->classes[1].s.auroc_ci.lo != r1->classes[1].s.auroc_ci.lo ||
              r3->classes[1].s.auroc_ci.hi != r1->classes[1].s.auroc_ci.hi);
        CHECK(fabs(r3->classes[1].s.auroc_ci.lo - r1->classes[1].s.auroc_ci.lo) < 0.05);
    }
    ecgx_eval_result_free(r1);
    ecgx_eval_result_free(r2);
    ecgx_eval_result_free(r3);

    /* normal-theory check: the bootstrap SE of AUROC on a large sample is close
     * to DeLong's standard error (both estimate the same sampling spread). */
    enum { M = 2000 };
    double *sa = malloc(M * sizeof *sa);
    uint8_t *ya = malloc(M);
    for (int i = 0; i < M; i++) { ya[i] = urand() < 0.3; sa[i] = ya[i] * 0.6 + urand(); }
    opt.n_bootstrap = getenv("ECGX_SANITIZER") ? 300 : 2000;
    opt.ci_level = 0.6827; /* +-1 sd */
    ecgx_eval_result *r = NULL;
    ecgx_delong d;
    CHECK_OK(ecgx_eval_multilabel(sa, ya, M, 1, &opt, &r));
    CHECK_OK(ecgx_eval_delong(sa, sa, ya, M, &d));
    if (r) {
        double half = 0.5 * (r->classes[0].s.auroc_ci.hi - r->classes[0].s.auroc_ci.lo);
        CHECK_MSG(fabs(half / sqrt(d.var_a) - 1) < 0.15, "bootstrap half-width %g vs DeLong se %g", half, sqrt(d.var_a));
    }
    ecgx_eval_result_free(r);
    free(sa);
    free(ya);
}

static void test_tables(void)
{
    char pred[512], truth[512], bad[512];
    snprintf(pred, sizeof pred, "%s/pred.csv", test_tmpdir());
    snprintf(truth, sizeof truth, "%s/truth.csv", test_tmpdir());
    snprintf(bad, sizeof bad, "%s/bad.csv", test_tmpdir());
    FILE *f = fopen(pred, "w");
    fprintf(f, "record,AF,NORM,LBBB\nr2,0.9,0.1,0.3\nr1,0.2,0.8,0.1\n\"r3\",0.5,0.5,0.5\n");
    fclose(f);
    f = fopen(truth, "w");
    fprintf(f, "record,NORM,AF\r\nr1,1,0\r\nr2,0,1\r\n");
    fclose(f);
    ecgx_eval_table *p = NULL, *t = NULL;
    CHECK_OK(ecgx_eval_table_read(pred, &p));
    CHECK_OK(ecgx_eval_table_read(truth, &t));
    if (!p || !t) { ecgx_eval_table_free(p); ecgx_eval_table_free(t); return; }
    CHECK(p->n_rows == 3 && p->n_classes == 3 && strcmp(p->records[2], "r3") == 0);
    double *s;
    uint8_t *l;
    CHECK_OK(ecgx_eval_align(p, pred, t, truth, &s, &l));
    /* truth order: r1 (NORM, AF), r2 */
    CHECK(s[0] == 0.8 && s[1] == 0.2 && s[2] == 0.1 && s[3] == 0.9);
    CHECK(l[0] == 1 && l[1] == 0 && l[2] == 0 && l[3] == 1);
    free(s);
    free(l);
    ecgx_eval_table_free(t);
    /* rows named by path (as `ecgx predict` writes them) match truth ids by stem */
    f = fopen(bad, "w");
    fprintf(f, "record,AF\n../data/x/r1.hea,0.25\n/abs/r2,0.75\n");
    fclose(f);
    ecgx_eval_table *pp = NULL;
    CHECK_OK(ecgx_eval_table_read(bad, &pp));
    f = fopen(truth, "w");
    fprintf(f, "record,AF\nr2,1\nr1,0\n");
    fclose(f);
    CHECK_OK(ecgx_eval_table_read(truth, &t));
    if (pp && t) {
        CHECK_OK(ecgx_eval_align(pp, bad, t, truth, &s, &l));
        CHECK(s && s[0] == 0.75 && s[1] == 0.25);
        free(s);
        free(l);
    }
    ecgx_eval_table_free(pp);
    ecgx_eval_table_free(t);
    /* a truth record missing from the predictions */
    f = fopen(truth, "w");
    fprintf(f, "record,AF\nr1,1\nr9,0\n");
    fclose(f);
    CHECK_OK(ecgx_eval_table_read(truth, &t));
    CHECK(ecgx_eval_align(p, pred, t, truth, &s, &l) == ECGX_ERR_FORMAT);
    CHECK(strstr(ecgx_last_error(), "r9") && strstr(ecgx_last_error(), "pred.csv"));
    ecgx_eval_table_free(t);
    /* a class missing, a non-binary truth */
    f = fopen(truth, "w");
    fprintf(f, "record,STE\nr1,1\n");
    fclose(f);
    CHECK_OK(ecgx_eval_table_read(truth, &t));
    CHECK(ecgx_eval_align(p, pred, t, truth, &s, &l) == ECGX_ERR_FORMAT && strstr(ecgx_last_error(), "STE"));
    ecgx_eval_table_free(t);
    f = fopen(truth, "w");
    fprintf(f, "record,AF\nr1,0.5\n");
    fclose(f);
    CHECK_OK(ecgx_eval_table_read(truth, &t));
    CHECK(ecgx_eval_align(p, pred, t, truth, &s, &l) == ECGX_ERR_FORMAT && strstr(ecgx_last_error(), "0 or 1"));
    ecgx_eval_table_free(t);
    ecgx_eval_table_free(p);
    /* malformed files */
    const char *cases[] = {"", "rec,AF\nr1,1\n", "record,AF\nr1,1,2\n", "record,AF\nr1,x\n",
                           "record,AF\nr1,1\nr1,0\n", "record,AF,AF\nr1,1,1\n", "record,AF\n", "record,AF\nr1,nan\n"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        f = fopen(bad, "w");
        fputs(cases[i], f);
        fclose(f);
        t = NULL;
        int rc = ecgx_eval_table_read(bad, &t);
        CHECK_MSG(rc == ECGX_ERR_FORMAT && t == NULL, "case %zu: rc %d", i, rc);
        CHECK(strstr(ecgx_last_error(), "bad.csv") != NULL);
    }
}

/* ---- scikit-learn ---- */
static const char *SKLEARN_PY =
    "import sys, numpy as np\n"
    "from sklearn.metrics import roc_auc_score, average_precision_score, precision_score, recall_score, f1_score, confusion_matrix\n"
    "from sklearn.calibration import calibration_curve\n"
    "d = np.loadtxt(sys.argv[1], delimiter=',')\n"
    "C = int(sys.argv[2]); S = d[:, :C]; Y = d[:, C:2*C].astype(int); T = d[0, 2*C:3*C]\n"
    "for c in range(C):\n"
    "    s, y, t = S[:, c], Y[:, c], T[c]\n"
    "    p = (s >= t).astype(int)\n"
    "    tn, fp, fn, tp = confusion_matrix(y, p, labels=[0, 1]).ravel()\n"
    "    pt, pp = calibration_curve(y, s, n_bins=10, strategy='uniform')\n"
    "    ids = np.searchsorted(np.linspace(0, 1, 11)[1:-1], s); cnt = np.bincount(ids, minlength=10); cnt = cnt[cnt > 0]\n"
    "    ece = np.sum(cnt / len(s) * np.abs(pt - pp))\n"
    "    print(c, repr(roc_auc_score(y, s)), repr(average_precision_score(y, s)), repr(recall_score(y, p)),\n"
    "          repr(tn / (tn + fp)), repr(precision_score(y, p)), repr(f1_score(y, p)), repr(ece))\n"
    "print('macro', repr(roc_auc_score(Y, S, average='macro')), repr(average_precision_score(Y, S, average='macro')))\n"
    "print('micro', repr(roc_auc_score(Y, S, average='micro')), repr(average_precision_score(Y, S, average='micro')),\n"
    "      repr(f1_score(Y, (S >= T).astype(int), average='micro')))\n";

static int have_sklearn(void)
{
    return system("/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1") == 0;
}

static void test_sklearn(void)
{
    if (!have_sklearn()) {
        fprintf(stderr, "  (scikit-learn unavailable in /usr/bin/python3: sklearn comparison skipped)\n");
        return;
    }
    enum { N = 700, C = 4 };
    static double s[N * C];
    static uint8_t y[N * C];
    for (int i = 0; i < N; i++)
        for (int c = 0; c < C; c++) {
            y[i * C + c] = urand() < 0.1 + 0.15 * c;
            double v = 0.35 * y[i * C + c] + 0.65 * urand();
            /* class 1 heavily quantised (ties), others on a fine grid exactly representable in decimal */
            s[i * C + c] = c == 1 ? round(v * 10) / 10 : round(v * 1e6) / 1e6;
        }
    ecgx_eval_options opt;
    ecgx_eval_options_default(&opt);
    opt.rule = ECGX_THRESHOLD_F1;
    opt.n_bootstrap = 0;
    ecgx_eval_result *r = NULL;
    CHECK_OK(ecgx_eval_multilabel(s, y, N, C, &opt, &r));
    if (!r) return;
    char data[512], py[512], outp[512], cmd[2048];
    snprintf(data, sizeof data, "%s/sk.csv", test_tmpdir());
    snprintf(py, sizeof py, "%s/sk.py", test_tmpdir());
    snprintf(outp, sizeof outp, "%s/sk.out", test_tmpdir());
    FILE *f = fopen(data, "w");
    for (int i = 0; i < N; i++) {
        for (int c = 0; c < C; c++) fprintf(f, "%.17g,", s[i * C + c]);
        for (int c = 0; c < C; c++) fprintf(f, "%d,", y[i * C + c]);
        for (int c = 0; c < C; c++) fprintf(f, "%.17g%s", r->classes[c].s.at.threshold, c + 1 < C ? "," : "\n");
    }
    fclose(f);
    f = fopen(py, "w");
    fputs(SKLEARN_PY, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %d > %s 2>&1", py, data, C, outp);
    int rc = system(cmd);
    CHECK_MSG(rc == 0, "python failed (see %s)", outp);
    f = fopen(outp, "r");
    if (!f) { ecgx_eval_result_free(r); return; }
    char line[1024];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        double v[7];
        int c;
        if (sscanf(line, "%d %lf %lf %lf %lf %lf %lf %lf", &c, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) == 8 &&
            c >= 0 && c < C) {
            const ecgx_eval_summary *e = &r->classes[c].s;
            CHECK_NEAR(e->auroc, v[0], 1e-9);
            CHECK_NEAR(e->auprc, v[1], 1e-9);
            CHECK_NEAR(e->at.sensitivity, v[2], 1e-9);
            CHECK_NEAR(e->at.specificity, v[3], 1e-9);
            CHECK_NEAR(e->at.ppv, v[4], 1e-9);
            CHECK_NEAR(e->at.f1, v[5], 1e-9);
            CHECK_NEAR(e->ece, v[6], 1e-9);
            seen++;
        } else if (sscanf(line, "macro %lf %lf", &v[0], &v[1]) == 2) {
            CHECK_NEAR(r->macro.auroc, v[0], 1e-9);
            CHECK_NEAR(r->macro.auprc, v[1], 1e-9);
            seen++;
        } else if (sscanf(line, "micro %lf %lf %lf", &v[0], &v[1], &v[2]) == 3) {
            CHECK_NEAR(r->micro.auroc, v[0], 1e-9);
            CHECK_NEAR(r->micro.auprc, v[1], 1e-9);
            CHECK_NEAR(r->micro.at.f1, v[2], 1e-9);
            seen++;
        } else {
            fprintf(stderr, "python: %s", line);
        }
    }
    fclose(f);
    CHECK_MSG(seen == C + 2, "read %d of %d result lines from scikit-learn", seen, C + 2);

    /* The reliability table itself against calibration_curve, on class 2. */
    double col[N];
    uint8_t ly[N];
    for (int i = 0; i < N; i++) { col[i] = s[i * C + 2]; ly[i] = y[i * C + 2]; }
    ecgx_calibration cal;
    CHECK_OK(ecgx_eval_calibration(col, ly, N, 7, &cal));
    snprintf(data, sizeof data, "%s/cal.csv", test_tmpdir());
    f = fopen(data, "w");
    for (int i = 0; i < N; i++) fprintf(f, "%.17g,%d\n", col[i], ly[i]);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy as np; from sklearn.calibration import calibration_curve as cc; "
             "d=np.loadtxt('%s',delimiter=','); t,p=cc(d[:,1],d[:,0],n_bins=7); "
             "[print(repr(a),repr(b)) for a,b in zip(t,p)]\" > %s 2>&1", data, outp);
    CHECK(system(cmd) == 0);
    f = fopen(outp, "r");
    int k = 0, rows = 0;
    while (f && fgets(line, sizeof line, f)) {
        double pt, pp;
        if (sscanf(line, "%lf %lf", &pt, &pp) != 2) { fprintf(stderr, "python: %s", line); continue; }
        while (k < cal.n_bins && cal.bins[k].count == 0) k++;
        if (k >= cal.n_bins) { CHECK(!"more sklearn bins than ours"); break; }
        CHECK_NEAR(cal.bins[k].frac_pos, pt, 1e-12);
        CHECK_NEAR(cal.bins[k].mean_score, pp, 1e-12);
        k++;
        rows++;
    }
    if (f) fclose(f);
    int nonempty = 0;
    for (int b = 0; b < cal.n_bins; b++) nonempty += cal.bins[b].count > 0;
    CHECK(rows == nonempty && rows > 3);
    ecgx_calibration_free(&cal);
    ecgx_eval_result_free(r);
}

static void test_calibration_closed_form(void)
{
    /* perfectly calibrated in each bin: scores 0.25 with 1 of 4 positive, 0.75 with 3 of 4 */
    double s[8] = {0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75};
    uint8_t y[8] = {1, 0, 0, 0, 1, 1, 1, 0};
    ecgx_calibration cal;
    CHECK_OK(ecgx_eval_calibration(s, y, 8, 4, &cal));
    CHECK_NEAR(cal.ece, 0, 1e-15);
    /* a score on an inner edge belongs to the lower bin: 0.25 -> (0, 0.25], 0.75 -> (0.5, 0.75] */
    CHECK(cal.bins[0].count == 4 && cal.bins[2].count == 4 && cal.bins[1].count == 0 && cal.bins[3].count == 0);
    ecgx_calibration_free(&cal);
    /* always predicting 1 for negatives: ECE = 1 */
    double one[2] = {1, 1};
    uint8_t neg[2] = {0, 0};
    CHECK_OK(ecgx_eval_calibration(one, neg, 2, 10, &cal));
    CHECK_NEAR(cal.ece, 1, 0);
    CHECK(cal.bins[9].count == 2);
    ecgx_calibration_free(&cal);
    double out[1] = {1.5};
    CHECK(ecgx_eval_calibration(out, neg, 1, 10, &cal) == ECGX_ERR_RANGE);
}

/* ecgx compare: the JSON it prints equals the library's numbers. */
static void test_compare_cli(void)
{
    const char *bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK) != 0) {
        fprintf(stderr, "  (ECGX_BIN not set: CLI test skipped)\n");
        return;
    }
    enum { N = 150 };
    double a[N], b[N];
    uint8_t y[N];
    char pa[512], pb[512], pt[512], out[512], cmd[4096];
    snprintf(pa, sizeof pa, "%s/a.csv", test_tmpdir());
    snprintf(pb, sizeof pb, "%s/b.csv", test_tmpdir());
    snprintf(pt, sizeof pt, "%s/t.csv", test_tmpdir());
    snprintf(out, sizeof out, "%s/cmp.json", test_tmpdir());
    FILE *fa = fopen(pa, "w"), *fb = fopen(pb, "w"), *ft = fopen(pt, "w");
    fprintf(fa, "record,AF,X\n");
    fprintf(fb, "record,X,AF\n"); /* other column order */
    fprintf(ft, "record,AF\n");
    for (int i = 0; i < N; i++) {
        y[i] = urand() < 0.3;
        a[i] = round((0.5 * y[i] + urand()) * 1000) / 1000;
        b[i] = round((0.2 * y[i] + urand()) * 1000) / 1000;
        fprintf(fa, "rec%d,%.3f,0.5\n", i, a[i]);
        fprintf(ft, "rec%d,%d\n", i, y[i]);
    }
    for (int i = N - 1; i >= 0; i--) fprintf(fb, "rec%d,0.1,%.3f\n", i, b[i]); /* other row order */
    fclose(fa); fclose(fb); fclose(ft);
    snprintf(cmd, sizeof cmd, "%s compare --a %s --b %s --truth %s --json --bootstrap 200 > %s", bin, pa, pb, pt, out);
    CHECK(system(cmd) == 0);
    char *text = NULL;
    size_t len;
    CHECK_OK(ecgx_read_file(out, 1 << 20, &text, &len));
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    CHECK(root != NULL);
    if (root) {
        cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "classes"), 0);
        ecgx_delong d;
        CHECK_OK(ecgx_eval_delong(a, b, y, N, &d));
        CHECK(c0 && strcmp(cJSON_GetObjectItem(c0, "class")->valuestring, "AF") == 0);
        CHECK_NEAR(cJSON_GetObjectItem(c0, "auroc_a")->valuedouble, d.auc_a, 1e-12);
        CHECK_NEAR(cJSON_GetObjectItem(c0, "auroc_b")->valuedouble, d.auc_b, 1e-12);
        CHECK_NEAR(cJSON_GetObjectItem(c0, "delong_p")->valuedouble, d.p_value, 1e-12);
        cJSON *ci = cJSON_GetObjectItem(c0, "auroc_a_ci");
        CHECK(cJSON_GetArrayItem(ci, 0)->valuedouble <= d.auc_a && d.auc_a <= cJSON_GetArrayItem(ci, 1)->valuedouble);
    }
    cJSON_Delete(root);
    free(text);
    /* a record missing from B: exit 1 with the file named */
    fb = fopen(pb, "w");
    fprintf(fb, "record,AF\nrec0,0.5\n");
    fclose(fb);
    snprintf(cmd, sizeof cmd, "%s compare --a %s --b %s --truth %s 2> %s", bin, pa, pb, pt, out);
    CHECK(WEXITSTATUS(system(cmd)) == 1);
    CHECK_OK(ecgx_read_file(out, 1 << 20, &text, &len));
    if (text) CHECK(strstr(text, "b.csv") && strstr(text, "rec1"));
    free(text);
    snprintf(cmd, sizeof cmd, "%s compare --a %s >/dev/null 2>&1", bin, pa);
    CHECK(WEXITSTATUS(system(cmd)) == 2);
}

int main(void)
{
    RUN(test_closed_forms);
    RUN(test_delong);
    RUN(test_thresholds_per_class);
    RUN(test_weights_are_duplicates);
    RUN(test_calibration_closed_form);
    RUN(test_bootstrap);
    RUN(test_tables);
    RUN(test_sklearn);
    RUN(test_compare_cli);
    return check_finish();
}
