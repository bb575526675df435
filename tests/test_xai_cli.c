/* ecgx explain / analyze / xai-bench end to end on synthetic records and a
 * small model: the CSV carries the same relevance as the library computes
 * (rows = the record's samples, a header of lead names), JSON parses with
 * its diagnostics, the data-set aggregation writes its tables, xai-bench
 * reports localisation from the truth file, and the exit codes follow the
 * rule (0 ok, 1 bad input, 2 usage). Skips when ECGX_BIN is not set. */
#include "check.h"
#include "ecgx/io.h"
#include "ecgx/nn.h"
#include "ecgx/synth.h"
#include "ecgx/xai.h"

#include <cjson/cJSON.h>
#include <sys/wait.h>

static const char *bin, *tmp;

static int run(const char *args, const char *out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s/%s 2>%s/err.txt", bin, args, tmp, out ? out : "stdout.txt", tmp);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", tmp, name);
    return test_slurp(p, NULL);
}

static void test_explain(void)
{
    char model[512], rec[512], args[2048];
    snprintf(model, sizeof model, "%s/m.safetensors", tmp);
    snprintf(rec, sizeof rec, "%s/r1", tmp);
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, 2, 4};
    CHECK_OK(ecgx_model_create("fcn_wang", &cfg, &m));
    ecgx_model_set_meta(m, "classes", "NORM,STE");
    ecgx_model_set_meta(m, "fs", "100");
    CHECK_OK(ecgx_model_save(m, model));
    ecgx_synth_options so = ecgx_synth_options_default();
    so.fs = 100;
    so.duration = 4;
    so.conditions = ECGX_SYNTH_FLAG(ECGX_SYNTH_STE);
    ecgx_record *r = NULL;
    CHECK_OK(ecgx_synth_write(rec, &so, 0, &r, NULL));
    if (!r) return;
    /* CSV: the output ecgx predict displays is the maximum over the model's
     * windows (250 samples every 125 here), so the window that gave it is
     * explained, placed in the record's time; --whole explains one pass
     * over the whole record */
    float *x = NULL;
    int L = 0;
    double fs;
    ecgx_record_free(r);
    r = NULL;
    CHECK_OK(ecgx_record_read(rec, &r)); /* as stored: format 16 quantises */
    if (!r) return;
    CHECK_OK(ecgx_model_prepare_record(m, r, 0, &x, &L, &fs, NULL, 0));
    CHECK(L == 400);
    for (int whole = 0; whole < 2; whole++) {
        snprintf(args, sizeof args, "explain --model %s %s --method gxi --target STE --csv%s", model, rec,
                 whole ? " --whole" : "");
        CHECK(run(args, "out.csv") == 0);
        char *csv = slurp("out.csv");
        CHECK(csv && !strncmp(csv, "I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6\n", 39));
        ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_GXI);
        o.target = 1;
        ecgx_attribution *a = NULL;
        if (whole) CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
        else {
            CHECK_OK(ecgx_xai_attribute_windowed(m, x, L, 250, 125, &o, &a, NULL));
            /* windows start at 0 and 125, and 150 (the flush with the end) */
            CHECK(a && a->n_windows == 3 && a->window_length == 250 && a->length == L);
            CHECK(a && (a->window_start == 0 || a->window_start == 125 || a->window_start == 150));
        }
        if (csv && a) {
            int rows = 0, outside = 0;
            double maxd = 0, maxv = 0;
            char *line = strchr(csv, '\n') + 1;
            while (line && *line) {
                char *end;
                for (int c = 0; c < 12; c++) {
                    double v = strtod(line, &end);
                    maxd = fmax(maxd, fabs(v - a->relevance[c * L + rows]));
                    maxv = fmax(maxv, fabs(a->relevance[c * L + rows]));
                    if (!whole && (rows < a->window_start || rows >= a->window_start + 250)) outside += v != 0;
                    line = end + 1;
                }
                rows++;
            }
            CHECK(rows == 400);
            CHECK_MSG(maxd <= 1e-5 * maxv, "CSV (%s) differs from the library by %.3g", whole ? "whole" : "window", maxd);
            CHECK_MSG(outside == 0, "%d nonzero values outside the explained window", outside);
        }
        ecgx_attribution_free(a);
        free(csv);
    }
    /* JSON */
    snprintf(args, sizeof args, "explain --model %s %s --method ig --steps 16 --json", model, rec);
    CHECK(run(args, "out.json") == 0);
    char *js = slurp("out.json");
    cJSON *j = js ? cJSON_Parse(js) : NULL;
    CHECK(j != NULL);
    if (j) {
        cJSON *d = cJSON_GetObjectItem(j, "diagnostics");
        CHECK(d && cJSON_IsNumber(cJSON_GetObjectItem(d, "completeness_gap")));
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "leads")) == 12);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "relevance")) == 12);
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "method")), "ig"));
        /* it names the output it explains: the displayed probability is the explained one */
        cJSON *p = cJSON_GetObjectItem(j, "probability"), *pe = cJSON_GetObjectItem(j, "probability_explained");
        CHECK(cJSON_IsNumber(p) && cJSON_IsNumber(pe) && fabs(p->valuedouble - pe->valuedouble) < 1e-5);
        cJSON *xo = cJSON_GetObjectItem(j, "explained_output");
        CHECK(xo && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(xo, "kind")), "window"));
        CHECK(xo && cJSON_GetNumberValue(cJSON_GetObjectItem(xo, "window_end_s")) -
                            cJSON_GetNumberValue(cJSON_GetObjectItem(xo, "window_start_s")) == 2.5);
        /* the default baseline of a 12-lead model, with its own probabilities */
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "baseline")), "normal"));
        cJSON *bp = cJSON_GetObjectItem(j, "baseline_probabilities");
        CHECK(cJSON_GetArraySize(bp) == 2 && cJSON_IsNumber(cJSON_GetObjectItem(bp, "STE")));
        CHECK(cJSON_IsBool(cJSON_GetObjectItem(j, "baseline_scores_target")));
    }
    cJSON_Delete(j);
    free(js);
    /* summary, -o */
    snprintf(args, sizeof args, "explain --model %s %s --method lrp -o %s/o.csv", model, rec, tmp);
    CHECK(run(args, "sum.txt") == 0);
    char *sum = slurp("sum.txt"), *o2 = slurp("o.csv");
    CHECK(sum && strstr(sum, "% of positive relevance") && strstr(sum, "LRP conservation"));
    CHECK(o2 && !strncmp(o2, "I,II", 4));
    free(sum);
    free(o2);
    /* exit codes */
    CHECK(run("explain --help", NULL) == 0);
    snprintf(args, sizeof args, "explain %s", rec);
    CHECK(run(args, NULL) == 2);
    snprintf(args, sizeof args, "explain --model %s %s --method nope", model, rec);
    CHECK(run(args, NULL) == 2);
    snprintf(args, sizeof args, "explain --model %s %s/none", model, tmp);
    CHECK(run(args, NULL) == 1);
    snprintf(args, sizeof args, "explain --model %s %s --target XYZ", model, rec);
    CHECK(run(args, NULL) == 1);
    snprintf(args, sizeof args, "explain --model %s %s --layer nope", model, rec);
    CHECK(run(args, NULL) == 1);
    /* xai-bench with the truth file */
    snprintf(args, sizeof args, "xai-bench --model %s %s --methods gxi,gradcam --target STE --json", model, rec);
    CHECK(run(args, "bench.json") == 0);
    js = slurp("bench.json");
    j = js ? cJSON_Parse(js) : NULL;
    cJSON *g = j ? cJSON_GetObjectItem(cJSON_GetObjectItem(j, "methods"), "gxi") : NULL;
    CHECK(g && cJSON_IsNumber(cJSON_GetObjectItem(g, "mass_in_mask")) && cJSON_IsNumber(cJSON_GetObjectItem(g, "deletion_auc")));
    cJSON_Delete(j);
    free(js);
    free(x);
    ecgx_record_free(r);
    ecgx_model_free(m);
}

static void test_analyze(void)
{
    char dir[512], args[2048];
    snprintf(dir, sizeof dir, "%s/set", tmp);
    ecgx_synth_dataset_options d;
    memset(&d, 0, sizeof d);
    d.n = 4;
    d.n_classes = 2;
    d.classes[0] = ECGX_SYNTH_FLAG(ECGX_SYNTH_NORMAL);
    d.classes[1] = ECGX_SYNTH_FLAG(ECGX_SYNTH_STE);
    d.base = ecgx_synth_options_default();
    d.base.fs = 100;
    d.base.duration = 4;
    d.quiet = 1;
    CHECK_OK(ecgx_synth_write_dataset(dir, &d));
    snprintf(args, sizeof args, "analyze --model %s/m.safetensors --data %s --split all --method gxi -o %s/an", tmp, dir, tmp);
    int rc = run(args, "an.txt");
    CHECK(rc == 0);
    if (rc) {
        char *e = slurp("err.txt");
        fprintf(stderr, "%s\n", e ? e : "");
        free(e);
    }
    char *leads = slurp("an/leads.csv"), *segs = slurp("an/segments.csv"), *js = slurp("an/summary.json");
    CHECK(leads && !strncmp(leads, "class,n,lead,positive_fraction\nNORM,2,I,", 40));
    CHECK(segs && strstr(segs, "STE,all,ST,"));
    cJSON *j = js ? cJSON_Parse(js) : NULL;
    CHECK(j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "classes")) == 2);
    cJSON_Delete(j);
    free(leads);
    free(segs);
    free(js);
    snprintf(args, sizeof args, "analyze --model %s/m.safetensors --data %s", tmp, dir);
    CHECK(run(args, NULL) == 2);

    /* a class name longer than 6 characters is printed whole, and a CAM (a
     * time-only map) gets no per-lead numbers or sentences (the old code cut
     * the name to "ST_ELE" and printed "I 8 %, II 8 %, ...") */
    char p[1024];
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    char *lab = test_slurp(p, NULL), *nl = lab ? strchr(lab, '\n') : NULL;
    CHECK(lab && nl && strstr(lab, ",STE\n") == nl - 4);
    if (!lab || !nl) return;
    FILE *f = fopen(p, "w");
    fprintf(f, "record,split,filename,NORM,ST_ELEVATION%s", nl);
    fclose(f);
    free(lab);
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, 2, 4};
    CHECK_OK(ecgx_model_create("fcn_wang", &cfg, &m));
    ecgx_model_set_meta(m, "classes", "NORM,ST_ELEVATION");
    ecgx_model_set_meta(m, "fs", "100");
    snprintf(p, sizeof p, "%s/m_long.safetensors", tmp);
    CHECK_OK(ecgx_model_save(m, p));
    ecgx_model_free(m);
    for (int cam = 0; cam < 2; cam++) {
        snprintf(args, sizeof args, "analyze --model %s --data %s --split all --method %s", p, dir, cam ? "gradcam" : "gxi");
        CHECK(run(args, "an2.txt") == 0);
        char *t = slurp("an2.txt");
        CHECK_MSG(t && strstr(t, "\nST_ELEVATION "), "class name cut: %s", t ? t : "");
        if (cam) {
            CHECK_MSG(t && strstr(t, "no lead information") && strstr(t, "time-only map") && !strstr(t, "top leads") &&
                          !strstr(t, "by region"), "per-lead numbers from a time-only map: %s", t ? t : "");
        } else {
            CHECK(t && strstr(t, "top leads") && !strstr(t, "no lead information"));
            CHECK_MSG(!t || !strstr(t, "baseline normal"), "gxi uses no baseline: %s", t ? t : "");
        }
        free(t);
        snprintf(args, sizeof args, "analyze --model %s --data %s --split all --method %s --json", p, dir,
                 cam ? "gradcam" : "gxi");
        CHECK(run(args, "an2.json") == 0);
        char *js2 = slurp("an2.json");
        cJSON *j2 = js2 ? cJSON_Parse(js2) : NULL;
        cJSON *c1 = j2 ? cJSON_GetArrayItem(cJSON_GetObjectItem(j2, "classes"), 1) : NULL;
        CHECK(c1 && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c1, "class")), "ST_ELEVATION"));
        CHECK(c1 && cJSON_IsNull(cJSON_GetObjectItem(c1, "lead_positive_fraction")) == cam);
        cJSON_Delete(j2);
        free(js2);
    }
    /* IG names its baseline and the baseline's own probabilities */
    snprintf(args, sizeof args, "analyze --model %s --data %s --split all --method ig --steps 8", p, dir);
    CHECK(run(args, "an3.txt") == 0);
    char *t = slurp("an3.txt");
    CHECK_MSG(t && strstr(t, "baseline normal (scale ") && strstr(t, "scored NORM "), "%s", t ? t : "");
    CHECK(t && strstr(t, "explained: in each record, the window that gave the class's displayed (maximum) probability"));
    free(t);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK) != 0) SKIP("ECGX_BIN not set (run through make test)");
    tmp = test_tmpdir();
    RUN(test_explain);
    RUN(test_analyze);
    return check_finish();
}
