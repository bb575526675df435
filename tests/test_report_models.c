/* ecgx report --trees / --clusters end to end on a synthetic LBBB record
 * with the shipped CNN: the measurement model's section (trained here on a
 * synthetic measurement table, classes CD and NORM both "QRS >= 120 ms", so
 * that on LBBB the trees call NORM present where the CNN does not: a
 * disagreement the report must flag, and CD where both agree) holds the same
 * numbers and reasons as `ecgx trees explain --json` on the record; the
 * clusters section (fitted here on a small synthetic data set) holds the
 * same proportions and mean entropy as `ecgx clusters apply --json`; a bad
 * trees or clusters file is exit 1 naming it, and no report is left; the
 * page with both sections renders in headless Chromium (when present).
 * Skips when ECGX_BIN is not set or the shipped model is absent. */
#include "browser_test.h"

#include "ecgx/io.h"
#include "ecgx/report.h"
#include "ecgx/synth.h"
#include "ecgx/trees.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <sys/wait.h>

#define MODEL "models/resnet1d_wang_ptbxl_superdiag.safetensors"

static const char *bin, *tmp;
static char rec[512], html[512], trees[512], clusters[512];
static char out[1 << 20];

static int run(const char *args, int stdout_only) { return test_run_cmd(bin, args, out, sizeof out, stdout_only); }

static double frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static char *sdup(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

/* A trees file of two classes named like the CNN's, CD and NORM, both
 * learnt as "QRS duration >= 120 ms" from a synthetic table. */
static int make_trees(const char *path)
{
    enum { N = 400, NC = 3 };
    const char *names[NC] = {"QRS_ms", "age_years", "sex_female"};
    ecgx_trees_table *t = calloc(1, sizeof *t);
    t->n_rows = N;
    t->n_cols = NC;
    t->cols = malloc(sizeof *t->cols * NC);
    for (int c = 0; c < NC; c++) t->cols[c] = sdup(names[c]);
    t->x = malloc(sizeof *t->x * N * NC);
    t->ids = malloc(sizeof *t->ids * N);
    t->paths = malloc(sizeof *t->paths * N);
    t->errors = calloc(N, sizeof *t->errors);
    t->fold = calloc(N, sizeof *t->fold);
    t->split = malloc(sizeof *t->split * N);
    t->n_classes = 2;
    t->classes = malloc(sizeof *t->classes * 2);
    t->classes[0] = sdup("CD");
    t->classes[1] = sdup("NORM");
    t->label_set = sdup("superdiagnostic");
    t->y = malloc(sizeof *t->y * N * 2);
    uint64_t seed = 9;
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "r%d", i);
        t->ids[i] = sdup(id);
        t->paths[i] = sdup(id);
        t->split[i] = i % 4 == 3 ? ECGX_SPLIT_VAL : ECGX_SPLIT_TRAIN;
        double *x = t->x + (size_t)i * NC;
        x[0] = 70 + 110 * frand(&seed);
        x[1] = 20 + 70 * frand(&seed);
        x[2] = frand(&seed) < 0.5;
        t->y[2 * i] = t->y[2 * i + 1] = x[0] >= 120;
    }
    ecgx_trees_options o;
    ecgx_trees_options_default(&o);
    o.num_rounds = 30;
    o.rfe = 0;
    o.quiet = 1;
    ecgx_trees *m = NULL;
    int rc = ecgx_trees_train(t, &o, NAN, &m);
    if (!rc) rc = ecgx_trees_save(m, path);
    ecgx_trees_free(m);
    ecgx_trees_table_free(t);
    return rc;
}

static cJSON *get(cJSON *o, const char *k) { return o ? cJSON_GetObjectItem(o, k) : NULL; }

static void test_trees_section(void)
{
    char args[4096];
    snprintf(args, sizeof args, "report --model " MODEL " %s -o %s --trees %s --clusters %s --steps 8 --json", rec, html,
             trees, clusters);
    int rc = run(args, 1);
    CHECK_MSG(rc == 0, "report exit %d", rc);
    cJSON *j = cJSON_Parse(out);
    CHECK_MSG(j != NULL, "report --json does not parse: %.200s", out);
    snprintf(args, sizeof args, "trees explain --trees %s %s --json --top 5", trees, rec);
    CHECK(run(args, 1) == 0);
    cJSON *e = cJSON_Parse(out);
    CHECK_MSG(e != NULL, "trees explain --json does not parse: %.200s", out);
    cJSON *tc = get(get(j, "trees"), "classes"), *ec = get(e, "classes");
    CHECK_MSG(tc && ec, "no trees section in the report's JSON");
    int n = 0, disagree = 0;
    for (cJSON *c = tc ? tc->child : NULL; c; c = c->next, n++) {
        cJSON *x = get(ec, c->string);
        CHECK_MSG(x != NULL, "class %s not in trees explain", c->string);
        if (!x) continue;
        /* the same record, measured and run through the same trees: the same numbers */
        static const char *keys[] = {"probability", "margin", "base", "threshold"};
        for (int k = 0; k < 4; k++)
            CHECK_MSG(fabs(get(c, keys[k])->valuedouble - get(x, keys[k])->valuedouble) < 1e-9, "%s %s: report %g, explain %g",
                      c->string, keys[k], get(c, keys[k])->valuedouble, get(x, keys[k])->valuedouble);
        CHECK(cJSON_IsTrue(get(c, "positive")) == cJSON_IsTrue(get(x, "positive")));
        /* the reasons: explain's top five, in its order, and their SHAP values */
        cJSON *rr = get(c, "reasons"), *er = get(x, "reasons");
        CHECK(cJSON_GetArraySize(rr) >= 1 && cJSON_GetArraySize(rr) <= cJSON_GetArraySize(er));
        for (int i = 0; i < cJSON_GetArraySize(rr); i++)
            CHECK_MSG(!strcmp(cJSON_GetArrayItem(rr, i)->valuestring, cJSON_GetArrayItem(er, i)->valuestring),
                      "%s reason %d: '%s' against '%s'", c->string, i, cJSON_GetArrayItem(rr, i)->valuestring,
                      cJSON_GetArrayItem(er, i)->valuestring);
        for (cJSON *s = get(c, "shap")->child; s; s = s->next)
            CHECK(fabs(s->valuedouble - get(get(x, "shap"), s->string)->valuedouble) < 1e-9);
        /* beside the CNN: its probability as the report's own table, and the flag */
        double cp = get(c, "cnn_probability")->valuedouble;
        double shown = get(get(j, "probabilities"), c->string)->valuedouble;
        double thr = get(get(j, "thresholds"), c->string)->valuedouble;
        CHECK(fabs(cp - shown) < 1e-6);
        int cnn_pos = shown >= thr;
        CHECK(cJSON_IsTrue(get(c, "cnn_positive")) == cnn_pos);
        int d = cJSON_IsTrue(get(c, "disagree"));
        CHECK(d == (cnn_pos != cJSON_IsTrue(get(c, "positive"))));
        disagree += d;
        fprintf(stderr, "    %s: trees %.3f (%s), CNN %.3f (%s)%s; %s\n", c->string, get(c, "probability")->valuedouble,
                cJSON_IsTrue(get(c, "positive")) ? "present" : "absent", shown, cnn_pos ? "present" : "absent",
                d ? " DISAGREE" : "", cJSON_GetArrayItem(rr, 0)->valuestring);
    }
    CHECK(n == 2);
    /* the design of the trees: both "QRS >= 120 ms"; on LBBB both call present, the CNN NORM absent */
    CHECK(cJSON_IsTrue(get(get(tc, "CD"), "positive")) && cJSON_IsTrue(get(get(tc, "NORM"), "positive")));
    CHECK(cJSON_IsTrue(get(get(tc, "NORM"), "disagree")) && !cJSON_IsTrue(get(get(tc, "CD"), "disagree")));
    CHECK(disagree == 1 && get(get(j, "trees"), "n_disagree")->valueint == 1);
    CHECK(strstr(cJSON_GetArrayItem(get(get(tc, "CD"), "reasons"), 0)->valuestring, "QRS duration") != NULL);

    char *h = test_slurp(html, NULL);
    CHECK(h && strstr(h, "id=\"trees-table\"") && strstr(h, "id=\"trees-disagree\""));
    CHECK(h && strstr(h, "disagree on 1 class: NORM"));
    CHECK(h && strstr(h, "pushes CD up by"));
    free(h);
    cJSON_Delete(j);
    cJSON_Delete(e);
}

static void test_clusters_section(void)
{
    char args[4096];
    snprintf(args, sizeof args, "report --model " MODEL " %s -o %s --trees %s --clusters %s --steps 8 --json", rec, html,
             trees, clusters);
    CHECK(run(args, 1) == 0);
    cJSON *j = cJSON_Parse(out);
    snprintf(args, sizeof args, "clusters apply --model " MODEL " --clusters %s %s --json", clusters, rec);
    CHECK(run(args, 1) == 0);
    cJSON *a = cJSON_Parse(out);
    CHECK_MSG(j && a, "JSON does not parse");
    cJSON *c = get(j, "clusters");
    CHECK_MSG(c != NULL, "no clusters section in the report's JSON");
    if (c && a) {
        int k = get(c, "k")->valueint;
        CHECK(k == 4 && k == get(a, "k")->valueint);
        CHECK(fabs(get(c, "mean_entropy")->valuedouble - get(a, "mean_entropy")->valuedouble) < 1e-5);
        CHECK(fabs(get(c, "max_entropy")->valuedouble - log(4.0)) < 1e-12);
        double sum = 0;
        for (int i = 0; i < k; i++) {
            cJSON *ci = cJSON_GetArrayItem(get(c, "clusters"), i);
            double p = get(ci, "proportion")->valuedouble;
            CHECK(fabs(p - cJSON_GetArrayItem(get(a, "proportions"), i)->valuedouble) < 1e-5);
            const char *nm = get(ci, "name")->valuestring;
            CHECK_MSG(strstr(nm, "-like") || !strncmp(nm, "cluster ", 8), "cluster name '%s'", nm);
            sum += p;
        }
        CHECK(fabs(sum - 1) < 1e-6);
        fprintf(stderr, "    clusters: k %d, mean entropy %.4f nats\n", k, get(c, "mean_entropy")->valuedouble);
    }
    char *h = test_slurp(html, NULL);
    CHECK(h && strstr(h, "id=\"clusters-figure\"") && strstr(h, "id=\"clusters-table\"") && strstr(h, "Mean entropy"));
    free(h);
    cJSON_Delete(j);
    cJSON_Delete(a);
}

/* In the library: a record whose measurement failed (features NULL) still
 * gets the section, marked, with every measurement missing to the trees. */
static void test_unmeasured(void)
{
    ecgx_record *r = NULL;
    CHECK_OK(ecgx_record_read(rec, &r));
    if (!r) return;
    ecgx_report_prediction p[2] = {{"CD", NULL, 0.9, 0.5, 1}, {"NORM", NULL, 0.1, 0.5, 0}};
    ecgx_report_trees *t = NULL;
    CHECK_OK(ecgx_report_trees_build(trees, r, NULL, p, 2, &t));
    if (t) {
        CHECK(t->measured == 0 && t->n_classes == 2);
        for (int k = 0; k < t->n_classes; k++) {
            CHECK(t->classes[k].has_cnn);
            CHECK(fabs(t->classes[k].margin - (t->classes[k].probability > 0 ? log(t->classes[k].probability /
                                                                                 (1 - t->classes[k].probability))
                                                                             : -INFINITY)) < 1e-5);
            for (int q = 0; q < t->classes[k].n_reasons; q++)
                CHECK_MSG(!strcmp(t->classes[k].reason_feature[q], "QRS_ms") ? isnan(t->classes[k].reason_value[q]) : 1,
                          "QRS duration known without measurements");
            CHECK(t->classes[k].disagree == (t->classes[k].positive != p[k].positive));
        }
        ecgx_report rep = {0};
        rep.record = r;
        rep.trees = t;
        rep.inline_svg = 1;
        char *h = NULL;
        CHECK_OK(ecgx_report_html(&rep, &h, NULL));
        CHECK(h && strstr(h, "id=\"trees-unmeasured\"") && strstr(h, "id=\"trees-table\""));
        free(h);
    }
    /* a trees file that is not there: an error naming it, nothing built */
    ecgx_report_trees *u = NULL;
    char nope[600];
    snprintf(nope, sizeof nope, "%s/nope.json", tmp);
    CHECK(ecgx_report_trees_build(nope, r, NULL, p, 2, &u) < 0 && u == NULL && strstr(ecgx_last_error(), nope));
    ecgx_report_trees_free(t);
    ecgx_record_free(r);
}

/* A bad trees or clusters file: exit 1, one line naming it, no report. */
static void expect_bad(const char *opt, const char *file)
{
    char args[4096], o[600];
    snprintf(o, sizeof o, "%s/bad.html", tmp);
    snprintf(args, sizeof args, "report --model " MODEL " %s -o %s --steps 4 %s %s", rec, o, opt, file);
    int rc = run(args, 0);
    CHECK_MSG(rc == 1, "%s %s: exit %d: %s", opt, file, rc, out);
    CHECK_MSG(strstr(out, "ecgx report: ") && strstr(out, file), "%s %s: error does not name it: %s", opt, file, out);
    int lines = 0;
    for (const char *p = out; *p; p++) lines += *p == '\n';
    CHECK_MSG(lines == 1, "%s: %d lines: %s", opt, lines, out);
    CHECK_MSG(access(o, F_OK) != 0, "%s %s: report left behind", opt, file);
}

static void test_bad_files(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/garbage.json", tmp);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("{\"format\": \"ecgx-trees\", \"classes\": [", f);
        fclose(f);
    }
    expect_bad("--trees", p);
    snprintf(p, sizeof p, "%s/absent.json", tmp);
    expect_bad("--trees", p);
    /* a trees file is not a clusters file */
    expect_bad("--clusters", trees);
    snprintf(p, sizeof p, "%s/cut.safetensors", tmp);
    size_t n = 0;
    char *b = test_slurp(clusters, &n);
    f = fopen(p, "wb");
    if (f && b) fwrite(b, 1, n / 2, f);
    if (f) fclose(f);
    free(b);
    expect_bad("--clusters", p);
}

static void test_chromium(void)
{
    if (!test_browser_usable()) return;
    char shot[600], profile[600], cmd[4096];
    snprintf(shot, sizeof shot, "%s/models.png", tmp);
    snprintf(profile, sizeof profile, "%s/chromium-profile", tmp);
    if (!test_screenshot(html, 1200, 3000, profile, shot)) return;
    uint32_t w = 0, h = 0;
    size_t sz = 0;
    uint8_t *img = test_png_rgb(shot, &w, &h, &sz);
    CHECK_MSG(img != NULL, "screenshot unreadable");
    if (img) {
        size_t npx = sz / 3, nonwhite = 0;
        for (size_t i = 0; i < npx; i++) nonwhite += img[3 * i] < 240 || img[3 * i + 1] < 240 || img[3 * i + 2] < 240;
        CHECK_MSG(nonwhite > npx / 10, "screenshot nearly blank (%zu of %zu)", nonwhite, npx);
    }
    free(img);
    if (getenv("ECGX_KEEP_REPORT")) {
        snprintf(cmd, sizeof cmd, "cp %s %s %s", shot, html, getenv("ECGX_KEEP_REPORT"));
        if (system(cmd) != 0) fprintf(stderr, "  (could not keep the screenshot)\n");
    }
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || !*bin) SKIP("ECGX_BIN is not set (run through make test)");
    if (access(MODEL, R_OK) != 0) SKIP("%s is absent (run from the repository root)", MODEL);
    tmp = test_tmpdir();
    snprintf(rec, sizeof rec, "%s/lbbb", tmp);
    snprintf(html, sizeof html, "%s/report.html", tmp);
    snprintf(trees, sizeof trees, "%s/trees.json", tmp);
    snprintf(clusters, sizeof clusters, "%s/c.safetensors", tmp);
    char args[2048], dir[600];
    snprintf(args, sizeof args, "synth --condition lbbb --seed 3 --noise low -o %s", rec);
    CHECK(run(args, 0) == 0);
    CHECK_OK(make_trees(trees));
    /* clusters of the shipped model on a small synthetic set (as test_clusters_cli) */
    snprintf(dir, sizeof dir, "%s/syn", tmp);
    ecgx_synth_dataset_options d;
    memset(&d, 0, sizeof d);
    d.n = 12;
    d.n_classes = 2;
    d.classes[0] = ECGX_SYNTH_FLAG(ecgx_synth_condition_from_name("normal"));
    d.classes[1] = ECGX_SYNTH_FLAG(ecgx_synth_condition_from_name("lbbb"));
    d.base = ecgx_synth_options_default();
    d.base.vary = 1;
    d.base.seed = 5;
    d.quiet = 1;
    CHECK_OK(ecgx_synth_write_dataset(dir, &d));
    snprintf(args, sizeof args, "clusters fit --model " MODEL " --data %s --split all -k 4 --points 4000 --quiet -o %s", dir,
             clusters);
    CHECK_MSG(run(args, 0) == 0, "clusters fit: %s", out);
    if (check_failures == 0) {
        RUN(test_trees_section);
        RUN(test_clusters_section);
        RUN(test_unmeasured);
        RUN(test_bad_files);
        RUN(test_chromium);
    }
    return check_finish();
}
