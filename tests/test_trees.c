/* trees: SHAP additivity, TreeSHAP against a brute-force Shapley enumeration
 * over the dumped trees (path-dependent expectations weighted by cover),
 * against python3-xgboost when present, missing values kept missing, the
 * file round trip, the words, the figures and bad input. */
#include "check.h"
#include "ecgx/trees.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* ---- a small synthetic problem: 4 features, one of them often missing ---- */
#define NF 4
static double frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static char *sdup(const char *s) { char *d = malloc(strlen(s) + 1); strcpy(d, s); return d; }

static ecgx_trees_table *synth_table(int n, uint64_t seed)
{
    ecgx_trees_table *t = calloc(1, sizeof *t);
    const char *names[NF] = {"QRS_ms", "R_amp_V5_mV", "age_years", "sex_female"};
    t->n_rows = n;
    t->n_cols = NF;
    t->cols = malloc(sizeof *t->cols * NF);
    for (int c = 0; c < NF; c++) t->cols[c] = sdup(names[c]);
    t->x = malloc(sizeof *t->x * (size_t)n * NF);
    t->ids = malloc(sizeof *t->ids * (size_t)n);
    t->paths = malloc(sizeof *t->paths * (size_t)n);
    t->errors = calloc((size_t)n, sizeof *t->errors);
    t->fold = calloc((size_t)n, sizeof *t->fold);
    t->split = malloc(sizeof *t->split * (size_t)n);
    t->n_classes = 1;
    t->classes = malloc(sizeof *t->classes);
    t->classes[0] = sdup("CD");
    t->label_set = sdup("superdiagnostic");
    t->y = malloc(sizeof *t->y * (size_t)n);
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "r%d", i);
        t->ids[i] = sdup(id);
        t->paths[i] = sdup(id);
        t->split[i] = i % 4 == 3 ? ECGX_SPLIT_VAL : ECGX_SPLIT_TRAIN;
        double qrs = 80 + 80 * frand(&seed), r5 = 3 * frand(&seed), age = 20 + 70 * frand(&seed);
        double sex = frand(&seed) < 0.5;
        double *x = t->x + (size_t)i * NF;
        x[0] = qrs;
        x[1] = frand(&seed) < 0.25 ? NAN : r5; /* a quarter missing */
        x[2] = age;
        x[3] = frand(&seed) < 0.1 ? NAN : sex;
        double logit = (qrs - 120) / 10 + (isfinite(x[1]) ? (x[1] - 1.5) : 0) + 0.02 * (age - 50) + 0.8 * (frand(&seed) - 0.5);
        t->y[i] = logit > 0;
    }
    return t;
}

static ecgx_trees *train_small(ecgx_trees_table *t, int rounds, int rfe)
{
    ecgx_trees_options o;
    ecgx_trees_options_default(&o);
    o.num_rounds = rounds;
    o.rfe = rfe;
    o.quiet = 1;
    ecgx_trees_options_set(&o, "max_depth=3");
    ecgx_trees_options_set(&o, "eta=0.3");
    ecgx_trees_options_set(&o, "subsample=1");
    ecgx_trees_options_set(&o, "colsample_bytree=1");
    ecgx_trees *m = NULL;
    CHECK_OK(ecgx_trees_train(t, &o, NAN, &m));
    return m;
}

static void test_additivity(void)
{
    ecgx_trees_table *t = synth_table(600, 1);
    ecgx_trees *m = train_small(t, 60, 0);
    if (!m) { ecgx_trees_table_free(t); return; }
    int nf = ecgx_trees_n_features(m, 0);
    CHECK(nf == NF);
    double *phi = malloc(sizeof *phi * (size_t)t->n_rows * (nf + 1)), *mg = malloc(sizeof *mg * (size_t)t->n_rows);
    CHECK_OK(ecgx_trees_shap(m, 0, t->x, t->n_rows, t->cols, t->n_cols, phi));
    CHECK_OK(ecgx_trees_predict(m, 0, t->x, t->n_rows, t->cols, t->n_cols, mg, NULL));
    double worst = 0;
    for (int i = 0; i < t->n_rows; i++) {
        double s = 0;
        for (int j = 0; j <= nf; j++) s += phi[(size_t)i * (nf + 1) + j];
        if (fabs(s - mg[i]) > worst) worst = fabs(s - mg[i]);
    }
    CHECK_MSG(worst < 1e-4, "base + sum SHAP vs margin: worst %g over %d records", worst, t->n_rows);
    /* a record with every feature missing still adds up, and its QRS SHAP is what the default branch gives */
    double allnan[NF] = {NAN, NAN, NAN, NAN}, p1[NF + 1], m1;
    CHECK_OK(ecgx_trees_shap(m, 0, allnan, 1, t->cols, t->n_cols, p1));
    CHECK_OK(ecgx_trees_predict(m, 0, allnan, 1, t->cols, t->n_cols, &m1, NULL));
    double s1 = 0;
    for (int j = 0; j <= nf; j++) s1 += p1[j];
    CHECK_NEAR(s1, m1, 1e-4);
    /* interactions: symmetric, rows sum to the SHAP values */
    double *ia = malloc(sizeof *ia * 20 * (nf + 1) * (nf + 1));
    CHECK_OK(ecgx_trees_shap_interactions(m, 0, t->x, 20, t->cols, t->n_cols, ia));
    double wi = 0, ws = 0;
    for (int i = 0; i < 20; i++)
        for (int a = 0; a < nf; a++) {
            double s = 0;
            for (int b = 0; b <= nf; b++) {
                s += ia[((size_t)i * (nf + 1) + a) * (nf + 1) + b];
                ws = fmax(ws, fabs(ia[((size_t)i * (nf + 1) + a) * (nf + 1) + b] - ia[((size_t)i * (nf + 1) + b) * (nf + 1) + a]));
            }
            wi = fmax(wi, fabs(s - phi[(size_t)i * (nf + 1) + a]));
        }
    CHECK_MSG(wi < 1e-4, "interaction rows vs SHAP: worst %g", wi);
    CHECK_MSG(ws < 1e-5, "interaction symmetry: worst %g", ws);
    free(ia); free(phi); free(mg);
    ecgx_trees_free(m);
    ecgx_trees_table_free(t);
}

/* ---- brute force: Shapley values by enumerating subsets ---- */
typedef struct tree { int n; int *left, *right, *feat, *dleft; double *cond, *cover; } tree;

/* E[f(x) | x_S] as TreeSHAP defines it: follow x where the split feature is
 * in S, otherwise average the children weighted by their training cover. */
static double cond_exp(const tree *t, int node, const float *x, unsigned S)
{
    if (t->left[node] < 0) return t->cond[node]; /* leaves keep their value in split_conditions */
    int f = t->feat[node], l = t->left[node], r = t->right[node];
    if (S >> f & 1) {
        if (isnan(x[f])) return cond_exp(t, t->dleft[node] ? l : r, x, S);
        return cond_exp(t, x[f] < (float)t->cond[node] ? l : r, x, S);
    }
    return (t->cover[l] * cond_exp(t, l, x, S) + t->cover[r] * cond_exp(t, r, x, S)) / (t->cover[l] + t->cover[r]);
}

static double *json_doubles(cJSON *a, int *n)
{
    *n = cJSON_GetArraySize(a);
    double *v = malloc(sizeof *v * (size_t)(*n + 1));
    for (int i = 0; i < *n; i++) v[i] = cJSON_GetArrayItem(a, i)->valuedouble;
    return v;
}
static int *json_ints(cJSON *a)
{
    int n = cJSON_GetArraySize(a);
    int *v = malloc(sizeof *v * (size_t)(n + 1));
    for (int i = 0; i < n; i++) v[i] = cJSON_GetArrayItem(a, i)->valueint;
    return v;
}

static void test_brute_force(void)
{
    ecgx_trees_table *t = synth_table(400, 7);
    ecgx_trees *m = train_small(t, 25, 0);
    if (!m) { ecgx_trees_table_free(t); return; }
    char path[512];
    snprintf(path, sizeof path, "%s/small.json", test_tmpdir());
    CHECK_OK(ecgx_trees_save(m, path));
    char *s = test_slurp(path, NULL);
    cJSON *root = s ? cJSON_Parse(s) : NULL;
    CHECK(root != NULL);
    cJSON *cls = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "classes"), 0);
    cJSON *xg = cJSON_Parse(cJSON_GetObjectItem(cls, "xgboost")->valuestring);
    CHECK(xg != NULL);
    cJSON *learner = cJSON_GetObjectItem(xg, "learner");
    double base_score = atof(cJSON_GetObjectItem(cJSON_GetObjectItem(learner, "learner_model_param"), "base_score")->valuestring);
    double base_margin = log(base_score / (1 - base_score));
    cJSON *trees = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(learner, "gradient_booster"), "model"), "trees");
    int nt = cJSON_GetArraySize(trees);
    CHECK(nt == ecgx_trees_best_iteration(m, 0) + 1);
    tree *T = calloc((size_t)nt, sizeof *T);
    for (int k = 0; k < nt; k++) {
        cJSON *o = cJSON_GetArrayItem(trees, k);
        T[k].left = json_ints(cJSON_GetObjectItem(o, "left_children"));
        T[k].right = json_ints(cJSON_GetObjectItem(o, "right_children"));
        T[k].feat = json_ints(cJSON_GetObjectItem(o, "split_indices"));
        T[k].dleft = json_ints(cJSON_GetObjectItem(o, "default_left"));
        T[k].cond = json_doubles(cJSON_GetObjectItem(o, "split_conditions"), &T[k].n);
        T[k].cover = json_doubles(cJSON_GetObjectItem(o, "sum_hessian"), &T[k].n);
    }
    /* Shapley weights |S|! (M - |S| - 1)! / M! */
    double fact[NF + 1] = {1};
    for (int k = 1; k <= NF; k++) fact[k] = fact[k - 1] * k;
    int nrec = 40;
    double *phi = malloc(sizeof *phi * (size_t)nrec * (NF + 1)), worst = 0, worst_margin = 0;
    CHECK_OK(ecgx_trees_shap(m, 0, t->x, nrec, t->cols, t->n_cols, phi));
    for (int i = 0; i < nrec; i++) {
        float x[NF];
        for (int j = 0; j < NF; j++) x[j] = (float)t->x[(size_t)i * NF + j];
        double v[1 << NF];
        for (unsigned S = 0; S < (1u << NF); S++) {
            v[S] = base_margin;
            for (int k = 0; k < nt; k++) v[S] += cond_exp(&T[k], 0, x, S);
        }
        for (int j = 0; j < NF; j++) {
            double sh = 0;
            for (unsigned S = 0; S < (1u << NF); S++) {
                if (S >> j & 1) continue;
                int sz = __builtin_popcount(S);
                sh += fact[sz] * fact[NF - sz - 1] / fact[NF] * (v[S | 1u << j] - v[S]);
            }
            worst = fmax(worst, fabs(sh - phi[(size_t)i * (NF + 1) + j]));
        }
        worst = fmax(worst, fabs(v[0] - phi[(size_t)i * (NF + 1) + NF])); /* the base value is E[f] */
        double mg;
        CHECK_OK(ecgx_trees_predict(m, 0, t->x + (size_t)i * NF, 1, t->cols, t->n_cols, &mg, NULL));
        worst_margin = fmax(worst_margin, fabs(v[(1 << NF) - 1] - mg));
    }
    CHECK_MSG(worst < 1e-4, "TreeSHAP vs brute-force Shapley: worst %g over %d records", worst, nrec);
    CHECK_MSG(worst_margin < 1e-4, "tree walk vs XGBoost's margin: worst %g", worst_margin);
    for (int k = 0; k < nt; k++) { free(T[k].left); free(T[k].right); free(T[k].feat); free(T[k].dleft); free(T[k].cond); free(T[k].cover); }
    free(T);
    free(phi);
    cJSON_Delete(xg);
    cJSON_Delete(root);
    free(s);
    ecgx_trees_free(m);
    ecgx_trees_table_free(t);
}

/* The same model in python3-xgboost (Debian's build): pred_contribs agree. */
static void test_python_xgboost(void)
{
    /* Debian's python (a pyenv one may shadow it on PATH) */
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char probe[256];
    snprintf(probe, sizeof probe, "%s -c 'import xgboost' >/dev/null 2>&1", py);
    if (system(probe) != 0) {
        fprintf(stderr, "  (python3-xgboost absent: comparison skipped)\n");
        return;
    }
    ecgx_trees_table *t = synth_table(300, 3);
    ecgx_trees *m = train_small(t, 30, 0);
    if (!m) { ecgx_trees_table_free(t); return; }
    char mp[512], xp[512], cmd[2048];
    snprintf(mp, sizeof mp, "%s/py.json", test_tmpdir());
    snprintf(xp, sizeof xp, "%s/py_x.csv", test_tmpdir());
    CHECK_OK(ecgx_trees_save(m, mp));
    FILE *f = fopen(xp, "w");
    int n = 50;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < NF; j++) fprintf(f, "%.17g%c", t->x[(size_t)i * NF + j], j + 1 < NF ? ',' : '\n');
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s -c \"import json,sys,numpy as np,xgboost as xgb\n"
             "d=json.load(open('%s'));b=xgb.Booster();b.load_model(bytearray(d['classes'][0]['xgboost'],'utf-8'))\n"
             "x=np.genfromtxt('%s',delimiter=',').astype(np.float32)\n"
             "c=b.predict(xgb.DMatrix(x,missing=np.nan,feature_names=d['classes'][0]['features']),pred_contribs=True)\n"
             "print(' '.join('%%.9g'%%v for v in c.ravel()))\"",
             py, mp, xp);
    FILE *p = popen(cmd, "r");
    double *phi = malloc(sizeof *phi * (size_t)n * (NF + 1));
    CHECK_OK(ecgx_trees_shap(m, 0, t->x, n, t->cols, t->n_cols, phi));
    int got = 0;
    double worst = 0, v;
    while (p && got < n * (NF + 1) && fscanf(p, "%lf", &v) == 1) { worst = fmax(worst, fabs(v - phi[got])); got++; }
    if (p) pclose(p);
    CHECK_MSG(got == n * (NF + 1), "python printed %d values, expected %d", got, n * (NF + 1));
    CHECK_MSG(worst < 1e-5, "python3-xgboost pred_contribs vs ecgx: worst %g", worst);
    free(phi);
    ecgx_trees_free(m);
    ecgx_trees_table_free(t);
}

static void test_round_trip_and_rfe(void)
{
    ecgx_trees_table *t = synth_table(500, 11);
    ecgx_trees *m = train_small(t, 40, 1);
    if (!m) { ecgx_trees_table_free(t); return; }
    int ns;
    const int *nf;
    const double *au;
    CHECK_OK(ecgx_trees_rfe_curve(m, 0, &ns, &nf, &au));
    CHECK(ns >= 2 && nf[0] == NF && nf[ns - 1] == 1);
    for (int s = 1; s < ns; s++) CHECK(nf[s] < nf[s - 1]);
    /* the chosen subset is one of the curve's points, within tolerance of the best */
    double best = 0;
    int found = 0;
    for (int s = 0; s < ns; s++) best = fmax(best, au[s]);
    for (int s = 0; s < ns; s++) found |= nf[s] == ecgx_trees_n_features(m, 0) && au[s] >= best - 0.005;
    CHECK(found);
    /* QRS duration drives this target: it must survive elimination */
    int has_qrs = 0;
    for (int j = 0; j < ecgx_trees_n_features(m, 0); j++) has_qrs |= !strcmp(ecgx_trees_feature(m, 0, j), "QRS_ms");
    CHECK(has_qrs);
    char path[512];
    snprintf(path, sizeof path, "%s/rt.json", test_tmpdir());
    CHECK_OK(ecgx_trees_save(m, path));
    ecgx_trees *m2 = NULL;
    CHECK_OK(ecgx_trees_load(path, &m2));
    if (m2) {
        double a[50], b[50];
        CHECK_OK(ecgx_trees_predict(m, 0, t->x, 50, t->cols, t->n_cols, a, NULL));
        CHECK_OK(ecgx_trees_predict(m2, 0, t->x, 50, t->cols, t->n_cols, b, NULL));
        int same = 1;
        for (int i = 0; i < 50; i++) same &= a[i] == b[i];
        CHECK(same);
        CHECK_NEAR(ecgx_trees_threshold(m, 0), ecgx_trees_threshold(m2, 0), 1e-12);
        CHECK(!strcmp(ecgx_trees_class_name(m2, 0), "CD"));
        /* columns in another order and extra ones: matched by name */
        char *cols2[5] = {"extra", "sex_female", "age_years", "R_amp_V5_mV", "QRS_ms"};
        double x2[5 * 50];
        for (int i = 0; i < 50; i++) {
            x2[i * 5] = 99;
            for (int j = 0; j < NF; j++) x2[i * 5 + 4 - j] = t->x[(size_t)i * NF + j];
        }
        CHECK_OK(ecgx_trees_predict(m2, 0, x2, 50, cols2, 5, b, NULL));
        same = 1;
        for (int i = 0; i < 50; i++) same &= a[i] == b[i];
        CHECK(same);
    }
    ecgx_trees_free(m2);
    ecgx_trees_free(m);
    ecgx_trees_table_free(t);
}

static void test_columns_and_words(void)
{
    ecgx_features f = {0};
    char names[5][ECGX_FEATURE_NAME_MAX] = {"QRS_Global", "HR_Global", "QT_Global", "R_amp_V5", "QRS_axis_Global"};
    double vals[5] = {172, 75, NAN, 1.5, 30};
    f.n = 5;
    f.names = names;
    f.values = vals;
    ecgx_features *c = NULL;
    CHECK_OK(ecgx_trees_record_columns(&f, "mV", -1, ECGX_SEX_UNKNOWN, &c));
    if (c) {
        CHECK(ecgx_features_get(c, "QRS_ms") == 172);
        CHECK(ecgx_features_get(c, "HR_bpm") == 75);
        CHECK(ecgx_features_get(c, "R_amp_V5_mV") == 1.5);
        CHECK(ecgx_features_get(c, "QRS_axis_deg") == 30);
        /* missing stays missing: no QT -> no QTc, unknown age and sex are NaN, not 0 */
        CHECK(isnan(ecgx_features_get(c, "QT_ms")));
        CHECK(isnan(ecgx_features_get(c, "QTcHodges_ms")));
        CHECK(isnan(ecgx_features_get(c, "age_years")));
        CHECK(isnan(ecgx_features_get(c, "sex_female")));
        int has_age_col = 0;
        for (int i = 0; i < c->n; i++) has_age_col |= !strcmp(c->names[i], "age_years");
        CHECK(has_age_col);
    }
    ecgx_features_free(c);
    vals[2] = 400;
    CHECK_OK(ecgx_trees_record_columns(&f, "z", 64, ECGX_SEX_MALE, &c));
    if (c) {
        CHECK(ecgx_features_get(c, "R_amp_V5_z") == 1.5);
        CHECK(isnan(ecgx_features_get(c, "R_amp_V5_mV")));
        CHECK(ecgx_features_get(c, "QRS_axis_deg_z") == 30);
        CHECK(ecgx_features_get(c, "QRS_ms") == 172); /* durations do not depend on the unit */
        CHECK_NEAR(ecgx_features_get(c, "QTcHodges_ms"), 400 + 1.75 * 15, 1e-9);
        CHECK(ecgx_features_get(c, "age_years") == 64);
        CHECK(ecgx_features_get(c, "sex_female") == 0);
    }
    ecgx_features_free(c);
    char buf[256];
    ecgx_trees_reason("QRS_ms", 172, 2.1, "CD", buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "QRS duration 172 ms pushes CD up by 2.1 log-odds"), "%s", buf);
    ecgx_trees_reason("ST60_V2_mV", 0.21, -0.5, "MI", buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "ST level at J+60 ms in V2 0.21 mV pushes MI down by 0.5 log-odds"), "%s", buf);
    ecgx_trees_reason("Q_amp_AVF_mV", NAN, 0.3, "MI", buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "Q amplitude in aVF missing pushes MI up by 0.3 log-odds"), "%s", buf);
    ecgx_trees_reason("sex_female", 1, 0.8, "female", buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "sex (female) pushes female up by 0.8 log-odds"), "%s", buf);
}

static void test_figures(void)
{
    ecgx_trees_table *t = synth_table(300, 5);
    ecgx_trees *m = train_small(t, 20, 0);
    if (!m) { ecgx_trees_table_free(t); return; }
    int n = t->n_rows, nf = ecgx_trees_n_features(m, 0);
    double *phi = malloc(sizeof *phi * (size_t)n * (nf + 1));
    CHECK_OK(ecgx_trees_shap(m, 0, t->x, n, t->cols, t->n_cols, phi));
    ecgx_figure *fig = NULL;
    CHECK_OK(ecgx_trees_render_beeswarm(m, 0, phi, t->x, n, 10, 150, ECGX_RENDER_PNG, &fig));
    if (fig) {
        long coloured = 0;
        for (long p = 0; p < (long)fig->image.width * fig->image.height; p++) {
            const uint8_t *q = fig->image.rgb + 3 * p;
            coloured += q[0] != q[1] || q[1] != q[2];
        }
        CHECK(fig->image.width > 300 && coloured > 200); /* dots in colour, not an empty page */
    }
    ecgx_figure_free(fig);
    fig = NULL;
    CHECK_OK(ecgx_trees_render_dependence(m, 0, 0, phi, t->x, n, 100, ECGX_RENDER_SVG, &fig));
    CHECK(fig && fig->svg && strstr(fig->svg, "<svg") && strstr(fig->svg, "QRS duration"));
    ecgx_figure_free(fig);
    CHECK(ecgx_trees_render_dependence(m, 0, nf, phi, t->x, n, 100, ECGX_RENDER_SVG, &fig) < 0);
    free(phi);
    ecgx_trees_free(m);
    ecgx_trees_table_free(t);
}

static void write_file(const char *p, const char *s)
{
    FILE *f = fopen(p, "w");
    fputs(s, f);
    fclose(f);
}

static void test_bad_input(void)
{
    ecgx_trees *m = NULL;
    char p[512];
    CHECK(ecgx_trees_load("/nonexistent/t.json", &m) < 0 && strstr(ecgx_last_error(), "/nonexistent/t.json"));
    snprintf(p, sizeof p, "%s/bad1.json", test_tmpdir());
    write_file(p, "{not json");
    CHECK(ecgx_trees_load(p, &m) < 0 && strstr(ecgx_last_error(), "not JSON"));
    write_file(p, "{\"format\": \"other\", \"version\": 1, \"classes\": []}");
    CHECK(ecgx_trees_load(p, &m) < 0 && strstr(ecgx_last_error(), "ecgx-trees"));
    write_file(p, "{\"format\": \"ecgx-trees\", \"version\": 1, \"classes\": [{\"name\": \"CD\", \"features\": [\"QRS_ms\"], \"xgboost\": \"{\\\"learner\\\": 3}\"}]}");
    CHECK(ecgx_trees_load(p, &m) < 0 && strstr(ecgx_last_error(), "XGBoost"));
    CHECK(m == NULL);
    ecgx_trees_options o;
    ecgx_trees_options_default(&o);
    CHECK(ecgx_trees_options_set(&o, "max_depth") < 0);
    CHECK(ecgx_trees_options_set(&o, "=3") < 0);
    CHECK_OK(ecgx_trees_options_set(&o, "max_depth=5"));
    CHECK_OK(ecgx_trees_options_set(&o, "max_depth=6"));
    CHECK(o.n_params == 1 && !strcmp(o.params[0][1], "6"));
    /* a parameter XGBoost rejects names itself in the error */
    ecgx_trees_table *t = synth_table(200, 2);
    o.quiet = 1;
    o.num_rounds = 5;
    ecgx_trees_options_set(&o, "max_depth=abc");
    CHECK(ecgx_trees_train(t, &o, NAN, &m) < 0 && strstr(ecgx_last_error(), "max_depth"));
    /* a class without positives in validation */
    for (int i = 0; i < t->n_rows; i++) if (t->split[i] == ECGX_SPLIT_VAL) t->y[i] = 0;
    ecgx_trees_options_default(&o);
    o.quiet = 1;
    CHECK(ecgx_trees_train(t, &o, NAN, &m) < 0 && strstr(ecgx_last_error(), "positives"));
    /* an age label set needs a threshold */
    free(t->label_set);
    t->label_set = sdup("age");
    CHECK(ecgx_trees_train(t, &o, NAN, &m) < 0 && strstr(ecgx_last_error(), "threshold"));
    ecgx_trees_table_free(t);
    /* the CLI: bad input exits 1 with one line naming the file; usage errors exit 2 */
    const char *bin = getenv("ECGX_BIN");
    if (bin) {
        char out[4096];
        CHECK(test_run_cmd(bin, "trees explain --trees /nonexistent/t.json data/demo/lbbb", out, sizeof out, 0) == 1 &&
              strstr(out, "/nonexistent/t.json"));
        CHECK(test_run_cmd(bin, "trees train --data x", out, sizeof out, 0) == 2);
        CHECK(test_run_cmd(bin, "trees frobnicate", out, sizeof out, 0) == 2);
        CHECK(test_run_cmd(bin, "trees train --data x --labels superdiagnostic -o y --param nokey", out, sizeof out, 0) == 2);
    }
}

/* On real data: the table keeps missing values missing (no age in
 * ptbxl-filtered; mV and z amplitudes never in the same row). */
static void test_real_table(void)
{
    char a[1024], b[1024], dirs[2100];
    if (!shared_data_dir()) { fprintf(stderr, "  (../shared/data absent: real table skipped)\n"); return; }
    require_shared_data("ptbxl", a, sizeof a);
    require_shared_data("ptbxl-filtered", b, sizeof b);
    snprintf(dirs, sizeof dirs, "%s,%s", a, b);
    ecgx_dataset *ds = NULL;
    CHECK_OK(ecgx_dataset_open(dirs, NULL, &ds));
    if (!ds) return;
    ecgx_trees_table *t = NULL;
    CHECK_OK(ecgx_trees_table_build(ds, "val", 1, &t));
    if (t) {
        int age = ecgx_trees_table_col(t, "age_years"), qrs = ecgx_trees_table_col(t, "QRS_ms");
        int rmv = ecgx_trees_table_col(t, "R_amp_V5_mV"), rz = ecgx_trees_table_col(t, "R_amp_V5_z");
        CHECK(age >= 0 && qrs >= 0 && rmv >= 0 && rz >= 0);
        int n_mv = 0, n_z = 0, mixed = 0, zero_age = 0, nan_age_mv = 0;
        for (int i = 0; i < t->n_rows && age >= 0 && rmv >= 0 && rz >= 0; i++) {
            const double *x = t->x + (size_t)i * t->n_cols;
            int is_mv = isfinite(x[rmv]), is_z = isfinite(x[rz]);
            n_mv += is_mv;
            n_z += is_z;
            mixed += is_mv && is_z;
            zero_age += x[age] == 0;
            if (is_mv && !isfinite(x[age])) nan_age_mv++;
            if (is_z) CHECK(isnan(x[age])); /* the filtered copy has no ages: missing, not 0 */
        }
        CHECK(n_mv > 50 && n_z > 100 && mixed == 0 && zero_age == 0);
        CHECK(nan_age_mv == 0);
        for (int c = 0; c < t->n_cols; c++) {
            const char *s = t->cols[c];
            size_t L = strlen(s);
            int unit = (L > 3 && !strcmp(s + L - 3, "_ms")) || (L > 3 && !strcmp(s + L - 3, "_mV")) ||
                       (L > 2 && !strcmp(s + L - 2, "_z")) || (L > 4 && !strcmp(s + L - 4, "_bpm")) ||
                       (L > 4 && !strcmp(s + L - 4, "_deg")) || (L > 6 && !strcmp(s + L - 6, "_deg_z")) ||
                       !strcmp(s, "age_years") || !strcmp(s, "sex_female");
            CHECK_MSG(unit, "column %s has no unit", s);
        }
    }
    ecgx_trees_table_free(t);
    ecgx_dataset_free(ds);
}

/* Models XGBoost loads but then crashes on are refused before it sees them:
 * the fuzz findings (a garbled "num_trees" key and two parallel trees: a
 * SEGV in PredictContribution; two trees with one id: a double free in its
 * loader) and a tree whose child points back at its root (a cycle). Each a
 * clean error naming the model. */
static void test_malformed_models(void)
{
    ecgx_trees *m = NULL;
    CHECK(ecgx_trees_load("fuzz/corpus/fuzz_trees/regress_segv_num_trees.json", &m) < 0 && !m);
    CHECK_MSG(strstr(ecgx_last_error(), "the XGBoost model") != NULL, "%s", ecgx_last_error());
    /* the second finding: two trees with one "id" (XGBoost freed a tree twice) */
    CHECK(ecgx_trees_load("fuzz/corpus/fuzz_trees/regress_double_free_tree_id.json", &m) < 0 && !m);
    CHECK_MSG(strstr(ecgx_last_error(), "its \"id\" is not 1") != NULL, "%s", ecgx_last_error());
    size_t n = 0;
    char *ok = test_slurp("fuzz/corpus/fuzz_trees/sex_tiny.json", &n);
    CHECK(ok != NULL);
    if (!ok) return;
    CHECK_OK(ecgx_trees_load("fuzz/corpus/fuzz_trees/sex_tiny.json", &m)); /* the unmutated file loads */
    ecgx_trees_free(m);
    m = NULL;
    char *at = strstr(ok, "left_children\\\":[1,");
    CHECK(at != NULL);
    if (at) {
        at[strlen("left_children\\\":[")] = '0';
        char path[600];
        snprintf(path, sizeof path, "%s/cycle.json", test_tmpdir());
        FILE *f = fopen(path, "wb");
        fwrite(ok, 1, n, f);
        fclose(f);
        CHECK(ecgx_trees_load(path, &m) < 0 && !m);
        CHECK_MSG(strstr(ecgx_last_error(), "out of order or range") != NULL, "%s", ecgx_last_error());
    }
    free(ok);
}

int main(void)
{
    RUN(test_columns_and_words);
    RUN(test_additivity);
    RUN(test_brute_force);
    RUN(test_python_xgboost);
    RUN(test_round_trip_and_rfe);
    RUN(test_figures);
    RUN(test_bad_input);
    RUN(test_malformed_models);
    RUN(test_real_table);
    return check_finish();
}
