/* ecgx clusters fit|apply|eval on a small synthetic data set: exit codes
 * (0 ok, 1 bad input with a one-line error naming the file, 2 usage), the
 * CSV of apply (one row per sample of the record: sample,cluster,entropy),
 * the JSON keys the issue fixes, a clusters file applied to another model,
 * and nothing written under the output name when fitting fails. Skips when
 * ECGX_BIN is not set. */
#include "check.h"
#include "ecgx/nn.h"
#include "ecgx/synth.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <unistd.h>

#define MODEL "models/resnet1d_wang_ptbxl_superdiag.safetensors"

static const char *bin, *tmp;
static char out[1 << 20];

static int run(const char *args, int stdout_only) { return test_run_cmd(bin, args, out, sizeof out, stdout_only); }

static void test_cli(void)
{
    char dir[600], args[4096], cpath[700], rec[700], other[700];
    snprintf(dir, sizeof dir, "%s/syn", tmp);
    ecgx_synth_dataset_options d;
    memset(&d, 0, sizeof d);
    d.n = 16;
    d.n_classes = 2;
    d.classes[0] = ECGX_SYNTH_FLAG(ecgx_synth_condition_from_name("normal"));
    d.classes[1] = ECGX_SYNTH_FLAG(ecgx_synth_condition_from_name("rbbb"));
    d.base = ecgx_synth_options_default();
    d.base.vary = 1;
    d.base.seed = 5;
    d.quiet = 1;
    CHECK_OK(ecgx_synth_write_dataset(dir, &d));
    snprintf(cpath, sizeof cpath, "%s/c.safetensors", tmp);
    snprintf(rec, sizeof rec, "%s/synth_00003", dir);

    snprintf(args, sizeof args, "clusters fit --model %s --data %s --split all -k 4 --points 4000 --quiet --json -o %s",
             MODEL, dir, cpath);
    CHECK_MSG(run(args, 0) == 0, "%s", out);
    cJSON *j = cJSON_Parse(out);
    CHECK(j && cJSON_GetObjectItem(j, "k") && cJSON_GetObjectItem(j, "k")->valueint == 4);
    cJSON_Delete(j);

    /* apply --csv: header + one row per sample (10 s at 500 Hz) */
    snprintf(args, sizeof args, "clusters apply --model %s --clusters %s %s --csv", MODEL, cpath, rec);
    CHECK(run(args, 1) == 0);
    CHECK(!strncmp(out, "sample,cluster,entropy\n", 23));
    int rows = 0, bad = 0;
    for (char *p = strchr(out, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        long s;
        int c;
        double h;
        if (sscanf(p + 1, "%ld,%d,%lf", &s, &c, &h) != 3 || s != rows || c < 0 || c > 3 || h < 0 || h > log(4.0) + 1e-4) bad++;
        rows++;
    }
    CHECK_MSG(rows == 5000 && !bad, "%d rows, %d bad", rows, bad);

    snprintf(args, sizeof args, "clusters apply --model %s --clusters %s %s --json", MODEL, cpath, rec);
    CHECK(run(args, 1) == 0);
    j = cJSON_Parse(out);
    CHECK(j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "cluster")) == 5000 &&
          cJSON_GetArraySize(cJSON_GetObjectItem(j, "proportions")) == 4 && cJSON_GetObjectItem(j, "mean_entropy"));
    cJSON_Delete(j);

    /* the figure: PNG and SVG, with the legend naming clusters by wave */
    char fig[800];
    snprintf(fig, sizeof fig, "%s/strip.png", tmp);
    snprintf(args, sizeof args, "clusters apply --model %s --clusters %s %s --figure %s", MODEL, cpath, rec, fig);
    CHECK(run(args, 1) == 0);
    size_t fn = 0;
    char *png = test_slurp(fig, &fn);
    CHECK(png && fn > 1000 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8));
    free(png);
    snprintf(fig, sizeof fig, "%s/strip.svg", tmp);
    snprintf(args, sizeof args, "clusters apply --model %s --clusters %s %s --figure %s --lead V1", MODEL, cpath, rec, fig);
    CHECK(run(args, 1) == 0);
    char *svg = test_slurp(fig, &fn);
    CHECK(svg && strstr(svg, "<svg") && strstr(svg, "-like") && strstr(svg, "lead V1"));
    free(svg);

    snprintf(args, sizeof args, "clusters eval --model %s --clusters %s --data %s --split all --json --quiet", MODEL, cpath, dir);
    CHECK_MSG(run(args, 1) == 0, "%s", out);
    j = cJSON_Parse(out);
    const char *keys[] = {"fidelity", "surrogate_macro_auroc", "cnn_macro_auroc", "nmi_waves"};
    for (int i = 0; i < 4; i++) CHECK_MSG(j && cJSON_GetObjectItem(j, keys[i]), "no key %s", keys[i]);
    cJSON *f = j ? cJSON_GetObjectItem(j, "fidelity") : NULL;
    CHECK(f && cJSON_IsNumber(f) && f->valuedouble >= 0 && f->valuedouble <= 1);
    cJSON_Delete(j);

    /* another model: a clear error naming the clusters file, exit 1 */
    snprintf(other, sizeof other, "%s/other.safetensors", tmp);
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {12, 5, 99};
    CHECK_OK(ecgx_model_create("resnet1d_wang", &cfg, &m));
    if (m) {
        ecgx_model_set_meta(m, "fs", "100");
        CHECK_OK(ecgx_model_save(m, other));
        ecgx_model_free(m);
    }
    snprintf(args, sizeof args, "clusters apply --model %s --clusters %s %s --csv", other, cpath, rec);
    CHECK(run(args, 0) == 1);
    CHECK_MSG(strstr(out, "another model") && strstr(out, cpath) && !strchr(strchr(out, '\n') ? strchr(out, '\n') + 1 : "", '\n'),
              "%s", out);
    snprintf(args, sizeof args, "clusters eval --model %s --clusters %s --data %s", other, cpath, dir);
    CHECK(run(args, 0) == 1);

    /* a model file given as clusters */
    snprintf(args, sizeof args, "clusters apply --model %s --clusters %s %s", MODEL, MODEL, rec);
    CHECK(run(args, 0) == 1 && strstr(out, "not an ecgx clusters file"));

    /* failing fit writes nothing */
    char nope[700];
    snprintf(nope, sizeof nope, "%s/nope.safetensors", tmp);
    snprintf(args, sizeof args, "clusters fit --model %s --data %s/missing --quiet -o %s", MODEL, tmp, nope);
    CHECK(run(args, 0) == 1);
    CHECK(access(nope, F_OK) != 0);

    /* usage */
    snprintf(args, sizeof args, "clusters fit --model %s --data %s", MODEL, dir);
    CHECK(run(args, 0) == 2);
    CHECK(run("clusters frob", 0) == 2);
    CHECK(run("clusters", 0) == 2);
    CHECK(run("clusters --help", 1) == 0 && strstr(out, "sample,cluster,entropy"));
    snprintf(args, sizeof args, "clusters apply --model %s --clusters %s %s --csv --json", MODEL, cpath, rec);
    CHECK(run(args, 0) == 2);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK) != 0) SKIP("ECGX_BIN not set (run through make test)");
    if (access(MODEL, R_OK)) SKIP("run from the repository root (needs %s)", MODEL);
    tmp = test_tmpdir();
    RUN(test_cli);
    return check_finish();
}
