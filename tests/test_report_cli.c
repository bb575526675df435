/* ecgx report end to end with the shipped model on a synthetic LBBB record
 * the test generates (ecgx synth): exit 0, the HTML holds every element id
 * docs/report.md lists, the JSON's probabilities equal `ecgx predict
 * --json`'s (a different code path: its own WFDB reader), the explanation's
 * top leads include one of the leads that carry LBBB's evidence (I, aVL,
 * V1, V5, V6), bad inputs give exit 1 naming the file and leave no output
 * behind, and (when Debian's chromium is there and not under a sanitizer)
 * the report renders headless to a screenshot that is not blank.
 * Skips when ECGX_BIN is not set or the shipped model is absent. */
#include "browser_test.h"

#include <cjson/cJSON.h>
#include <spng.h>
#include <stdint.h>
#include <sys/wait.h>

#define MODEL "models/resnet1d_wang_ptbxl_superdiag.safetensors"

static const char *bin, *tmp;
static char rec[512], html[512];

/* Run the CLI with stdout and stderr into tmp/out.txt and tmp/err.txt. */
static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s/out.txt 2>%s/err.txt", bin, args, tmp, tmp);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp_tmp(const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", tmp, name);
    return test_slurp(p, NULL);
}

static const char *steps_arg(void)
{
    /* integrated gradients at 64 steps is the point of the report; under the
     * sanitizers a few steps exercise the same code */
    return getenv("ECGX_SANITIZER") ? "--steps 4" : "";
}

static void test_report_ok(void)
{
    char args[2048];
    snprintf(args, sizeof args, "report --model " MODEL " %s -o %s --json %s", rec, html, steps_arg());
    int rc = run(args);
    char *err = slurp_tmp("err.txt");
    CHECK_MSG(rc == 0, "exit %d: %s", rc, err ? err : "");
    free(err);
    char *h = test_slurp(html, NULL);
    CHECK_MSG(h != NULL, "no report at %s", html);
    if (h) {
        static const char *ids[] = {"record-info",  "disclaimer",   "predictions-table", "ecg-plain",
                                    "explanation-0", "ecg-relevance-0", "lead-bars-0",    "segment-bars-0",
                                    "median-0",     "method-table", "measurements-table"};
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
            char needle[64];
            snprintf(needle, sizeof needle, "id=\"%s\"", ids[i]);
            CHECK_MSG(strstr(h, needle) != NULL, "report lacks %s", needle);
        }
        CHECK(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL && strstr(h, "<script") == NULL);
        CHECK(strstr(h, "conduction disturbance") != NULL);
        CHECK(strstr(h, "deletion AUC") != NULL);
    }
    free(h);

    char *js = slurp_tmp("out.txt");
    cJSON *j = js ? cJSON_Parse(js) : NULL;
    CHECK_MSG(j != NULL, "report --json does not parse: %.200s", js ? js : "(none)");
    /* the independent path: ecgx predict --json on the same record */
    snprintf(args, sizeof args, "predict --model " MODEL " %s --json", rec);
    CHECK(run(args) == 0);
    char *ps = slurp_tmp("out.txt");
    cJSON *p = ps ? cJSON_Parse(ps) : NULL;
    CHECK(p && cJSON_IsArray(p) && cJSON_GetArraySize(p) == 1);
    cJSON *rp = j ? cJSON_GetObjectItem(j, "probabilities") : NULL;
    cJSON *pp = p ? cJSON_GetObjectItem(cJSON_GetArrayItem(p, 0), "probabilities") : NULL;
    CHECK(rp && pp && cJSON_GetArraySize(rp) == 5 && cJSON_GetArraySize(pp) == 5);
    int n_cmp = 0;
    for (cJSON *it = pp ? pp->child : NULL; it; it = it->next) {
        cJSON *o = cJSON_GetObjectItem(rp, it->string);
        CHECK_MSG(o && cJSON_IsNumber(o), "report lacks class %s", it->string);
        if (o) {
            CHECK_NEAR(o->valuedouble, it->valuedouble, 1e-6);
            n_cmp++;
        }
    }
    CHECK(n_cmp == 5);
    /* the model calls CD on an LBBB record; the explanation is of CD and its
     * top three leads include one that carries LBBB's evidence */
    cJSON *pos = j ? cJSON_GetObjectItem(j, "positives") : NULL;
    int cd_pos = 0;
    for (cJSON *it = pos ? pos->child : NULL; it; it = it->next) cd_pos |= cJSON_IsString(it) && !strcmp(it->valuestring, "CD");
    CHECK_MSG(cd_pos, "CD not positive on an LBBB record");
    cJSON *ex = j ? cJSON_GetObjectItem(j, "explanations") : NULL;
    cJSON *cd = NULL;
    for (cJSON *it = ex ? ex->child : NULL; it; it = it->next) {
        cJSON *c = cJSON_GetObjectItem(it, "class");
        if (c && cJSON_IsString(c) && !strcmp(c->valuestring, "CD")) cd = it;
    }
    CHECK(cd != NULL);
    if (cd) {
        cJSON *lr = cJSON_GetObjectItem(cd, "lead_relevance");
        CHECK(lr && cJSON_GetArraySize(lr) == 12);
        double sum = 0;
        const char *top[3] = {0};
        double topv[3] = {-1, -1, -1};
        for (cJSON *it = lr ? lr->child : NULL; it; it = it->next) {
            double v = it->valuedouble;
            sum += v;
            for (int k = 0; k < 3; k++)
                if (v > topv[k]) {
                    for (int m = 2; m > k; m--) topv[m] = topv[m - 1], top[m] = top[m - 1];
                    topv[k] = v, top[k] = it->string;
                    break;
                }
        }
        CHECK_NEAR(sum, 1.0, 1e-6); /* shares of the positive relevance */
        int lbbb_lead = 0;
        static const char *evidence[] = {"I", "aVL", "V1", "V5", "V6"};
        for (int k = 0; k < 3; k++)
            for (int e = 0; e < 5; e++) lbbb_lead |= top[k] && !strcmp(top[k], evidence[e]);
        CHECK_MSG(lbbb_lead, "top leads %s %s %s: none of I, aVL, V1, V5, V6", top[0], top[1], top[2]);
        cJSON *sr = cJSON_GetObjectItem(cd, "segment_relevance");
        cJSON *qrs = sr ? cJSON_GetObjectItem(sr, "QRS") : NULL;
        CHECK_MSG(qrs && qrs->valuedouble > 0.3, "QRS share %g", qrs ? qrs->valuedouble : -1);
        cJSON *s = cJSON_GetObjectItem(cd, "sentences");
        CHECK(s && cJSON_GetArraySize(s) >= 1);
        cJSON *auc = cJSON_GetObjectItem(cd, "deletion_auc");
        CHECK(auc && cJSON_IsNumber(auc) && auc->valuedouble >= 0 && auc->valuedouble <= 1);
    }
    cJSON_Delete(j);
    cJSON_Delete(p);
    free(js);
    free(ps);
}

static void write_csv(const char *path, int leads, int rows)
{
    static const char *names[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
    FILE *f = fopen(path, "w");
    if (!f) return;
    for (int l = 0; l < leads; l++) fprintf(f, "%s%s", l ? "," : "", names[l]);
    fputc('\n', f);
    for (int r = 0; r < rows; r++) {
        for (int l = 0; l < leads; l++) fprintf(f, "%s%.3f", l ? "," : "", 0.1 * sin(0.05 * r + l));
        fputc('\n', f);
    }
    fclose(f);
}

/* One bad input: exit 1, the named file in the one-line error, no report. */
static void expect_bad(const char *args, const char *named)
{
    char out[600], full[2048];
    snprintf(out, sizeof out, "%s/bad.html", tmp);
    snprintf(full, sizeof full, "report %s -o %s", args, out);
    int rc = run(full);
    char *err = slurp_tmp("err.txt");
    CHECK_MSG(rc == 1, "'%s': exit %d", args, rc);
    CHECK_MSG(err && strstr(err, named) && strstr(err, "ecgx report: "), "'%s': error does not name %s: %s", args, named,
              err ? err : "");
    int lines = 0;
    for (const char *c = err; c && *c; c++) lines += *c == '\n';
    CHECK_MSG(lines == 1, "'%s': %d lines of error", args, lines);
    CHECK_MSG(access(out, F_OK) != 0, "'%s': output left behind", args);
    free(err);
}

static void test_bad_inputs(void)
{
    char args[2048], path[600], bad_model[600];
    /* missing model */
    snprintf(path, sizeof path, "%s/nope.safetensors", tmp);
    snprintf(args, sizeof args, "--model %s %s", path, rec);
    expect_bad(args, path);
    /* corrupt model: the shipped one cut in half */
    snprintf(bad_model, sizeof bad_model, "%s/cut.safetensors", tmp);
    char *m = NULL;
    FILE *f = fopen(MODEL, "rb");
    long n = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        m = malloc((size_t)n);
        if (m && fread(m, 1, (size_t)n, f) != (size_t)n) n = 0;
        fclose(f);
    }
    f = fopen(bad_model, "wb");
    if (f && m) fwrite(m, 1, (size_t)n / 2, f);
    if (f) fclose(f);
    free(m);
    snprintf(args, sizeof args, "--model %s %s", bad_model, rec);
    expect_bad(args, bad_model);
    /* unreadable record */
    snprintf(path, sizeof path, "%s/missing_record", tmp);
    snprintf(args, sizeof args, "--model " MODEL " %s", path);
    expect_bad(args, path);
    /* a record with a truncated signal file */
    char hea[600], dat[600];
    snprintf(hea, sizeof hea, "%s/trunc.hea", tmp);
    snprintf(dat, sizeof dat, "%s/trunc.dat", tmp);
    f = fopen(hea, "w");
    if (f) {
        fprintf(f, "trunc 12 500 5000\n");
        static const char *names[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
        for (int l = 0; l < 12; l++) fprintf(f, "trunc.dat 16 1000/mV 16 0 0 0 0 %s\n", names[l]);
        fclose(f);
    }
    f = fopen(dat, "wb");
    if (f) {
        for (int i = 0; i < 100; i++) fputc(0, f);
        fclose(f);
    }
    snprintf(args, sizeof args, "--model " MODEL " %s", hea);
    expect_bad(args, "trunc");
    /* wrong lead count: three leads */
    snprintf(path, sizeof path, "%s/three.csv", tmp);
    write_csv(path, 3, 5000);
    snprintf(args, sizeof args, "--model " MODEL " %s --fs 500", path);
    expect_bad(args, path);
    /* too short: 12 leads, 0.2 s */
    snprintf(path, sizeof path, "%s/short.csv", tmp);
    write_csv(path, 12, 100);
    snprintf(args, sizeof args, "--model " MODEL " %s --fs 500", path);
    expect_bad(args, path);
    /* usage errors are exit 2 */
    snprintf(args, sizeof args, "report --model " MODEL " %s", rec);
    CHECK(run(args) == 2);
    snprintf(args, sizeof args, "report --model " MODEL " %s -o %s/x.html --method nosuch", rec, tmp);
    CHECK(run(args) == 2);
}

static void test_chromium(void)
{
    if (!test_browser_usable()) return;
    if (access(html, R_OK) != 0) {
        CHECK(!"no report to open");
        return;
    }
    char shot[600], profile[600], cmd[4096];
    snprintf(shot, sizeof shot, "%s/report.png", tmp);
    snprintf(profile, sizeof profile, "%s/chromium-profile", tmp);
    if (!test_screenshot(html, 1200, 2400, profile, shot)) return;
    uint32_t w = 0, h = 0;
    size_t sz = 0;
    uint8_t *img = test_png_rgb(shot, &w, &h, &sz);
    CHECK_MSG(img != NULL, "screenshot unreadable");
    if (img) {
        size_t npx = sz / 3, nonwhite = 0, red = 0, dark = 0;
        for (size_t i = 0; i < npx; i++) {
            const uint8_t *q = img + 3 * i;
            nonwhite += q[0] < 240 || q[1] < 240 || q[2] < 240;
            red += q[0] > 150 && q[0] - q[1] > 40 && q[0] - q[2] > 40; /* grid, probability bars, relevance */
            dark += q[0] < 80 && q[1] < 80 && q[2] < 80;               /* traces and text */
        }
        CHECK_MSG(w == 1200 && h == 2400, "screenshot %ux%u", w, h);
        CHECK_MSG(nonwhite > npx / 10, "screenshot nearly blank (%zu of %zu pixels not white)", nonwhite, npx);
        CHECK_MSG(red > 5000, "no ECG paper or bars (%zu red pixels)", red);
        CHECK_MSG(dark > 5000, "no traces or text (%zu dark pixels)", dark);
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
    char args[1024];
    snprintf(args, sizeof args, "synth --condition lbbb --seed 3 --noise low -o %s", rec);
    if (run(args) != 0) {
        CHECK(!"ecgx synth failed");
        return check_finish();
    }
    RUN(test_report_ok);
    RUN(test_bad_inputs);
    RUN(test_chromium);
    return check_finish();
}
