/* ecgx eval end to end (ECGX_BIN, set by tests/run.sh) on synthetic folders
 * written here: the shipped model evaluated on a folder whose records are
 * all in the test split (its own thresholds; no validation split needed),
 * --thresholds overriding them, a clear error when thresholds must be chosen
 * on a validation split that is not there, --bootstrap 0 without
 * "[nan, nan]", a text table whose columns line up, and a Challenge folder
 * (SNOMED CT #Dx) evaluated against the model's PTB-XL superclasses through
 * the documented mapping. */
#include "check.h"

#include <ctype.h>
#include <sys/stat.h>

static const char *bin, *tmp;
static const char *model = "models/resnet1d_wang_ptbxl_superdiag.safetensors";

static int run(const char *args, char *out, size_t n) { return test_run_cmd(bin, args, out, n, 0); }

/* A folder of 8 synthetic 100 Hz records (normal and LBBB), every one in the
 * test split, labelled with the PTB-XL superclasses (normal: NORM, LBBB: CD). */
static void write_test_only(const char *dir)
{
    char args[2048], out[8192], p[1024];
    snprintf(args, sizeof args, "synth --n 8 --condition normal,lbbb --fs 100 --seed 5 -o %s", dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    char *orig = test_slurp(p, NULL);
    CHECK(orig != NULL);
    FILE *f = fopen(p, "w");
    fprintf(f, "record,split,filename,CD,HYP,MI,NORM,STTC\n");
    /* synth's rows: record,split,filename,NORM,LBBB */
    char *save = NULL, *line = strtok_r(orig, "\n", &save);
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char rec[64], split[16], file[64];
        int norm, lbbb;
        if (sscanf(line, "%63[^,],%15[^,],%63[^,],%d,%d", rec, split, file, &norm, &lbbb) != 5) continue;
        fprintf(f, "%s,test,%s,%d,0,0,%d,0\n", rec, file, lbbb, norm);
    }
    fclose(f);
    free(orig);
}

static void test_test_only_folder(void)
{
    char dir[600], args[2048], out[16384];
    snprintf(dir, sizeof dir, "%s/testonly", tmp);
    write_test_only(dir);
    /* the model's own thresholds: no validation split is needed */
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --json --bootstrap 20", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"n\":8") && strstr(out, "\"thresholds_from\":\"the model's (f1 on the validation split"),
              "%s", out);
    /* --thresholds overrides, one for all classes or per class */
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --json --bootstrap 0 --thresholds 0.25", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"thresholds_from\":\"--thresholds\"") && strstr(out, "\"threshold\":0.25,"), "%s", out);
    snprintf(args, sizeof args,
             "eval --model %s --data %s --split test --json --bootstrap 0 --thresholds CD:0.1,HYP:0.2,MI:0.3,NORM:0.4,STTC:0.5",
             model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"CD\":{\"n_pos\":") && strstr(out, "\"threshold\":0.1,") && strstr(out, "\"threshold\":0.5,"),
              "%s", out);
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --thresholds CD:0.1", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 2 && strstr(out, "no threshold for class HYP"), "%s", out);
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --thresholds 1.5", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 2 && strstr(out, "--thresholds 1.5: must be in [0, 1]"), "%s", out);
    /* thresholds to be chosen on a validation split the folder lacks: said so */
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --thresholds val", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 1 && strstr(out, "no validation records"), "%s", out);
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --threshold-rule nope", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 2 && strstr(out, "threshold rule 'nope'"), "%s", out);

    /* --bootstrap 0: no interval, and no "[nan, nan]" */
    snprintf(args, sizeof args, "eval --model %s --data %s --split test --bootstrap 0 --quiet", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(!strstr(out, "nan") && !strstr(out, "NaN"), "%s", out);
    /* the columns line up: under each header word of the table a value starts
     * (left-aligned columns) or ends (the right-aligned threshold) */
    for (int boot = 0; boot < 2; boot++) {
        snprintf(args, sizeof args, "eval --model %s --data %s --split test --bootstrap %d --quiet", model, dir,
                 boot ? 30 : 0);
        CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
        char *hdr = strstr(out, "  class ");
        CHECK(hdr != NULL);
        if (!hdr) return;
        char *hend = strchr(hdr, '\n');
        const char *words[] = {"AUROC", "AUPRC", "sensitivity", "specificity"};
        int rows = 0;
        for (char *row = hend + 1; row && *row == ' '; row = strchr(row, '\n') ? strchr(row, '\n') + 1 : NULL) {
            char *rend = strchr(row, '\n');
            size_t rlen = rend ? (size_t)(rend - row) : strlen(row);
            for (int w = 0; w < 4; w++) {
                size_t at = (size_t)(strstr(hdr, words[w]) - hdr);
                CHECK_MSG(at < rlen && (isdigit((unsigned char)row[at]) || row[at] == 'n') && row[at - 1] == ' ',
                          "column %s misaligned:\n%.*s\n%.*s", words[w], (int)(hend - hdr), hdr, (int)rlen, row);
            }
            size_t tend = (size_t)(strstr(hdr, "threshold") - hdr) + 8;
            CHECK_MSG(tend < rlen && isdigit((unsigned char)row[tend]) && row[tend + 1] == ' ',
                      "threshold column misaligned:\n%.*s\n%.*s", (int)(hend - hdr), hdr, (int)rlen, row);
            rows++;
        }
        CHECK(rows == 5);
    }
}

/* A Challenge-style folder (WFDB headers with #Dx SNOMED CT codes) of
 * synthetic records: LBBB records coded 164909002 (+ sinus rhythm), normal
 * ones 426783006 alone; a 1st-degree AV block with sinus rhythm is CD, not
 * NORM; an AF-only record has no superclass and is left out. */
static void test_challenge_external(void)
{
    char dir[600], args[4096], out[16384];
    snprintf(dir, sizeof dir, "%s/challenge", tmp);
    mkdir(dir, 0755);
    const char *conds[] = {"lbbb", "lbbb", "lbbb", "normal", "normal", "normal", "avb1", "af"};
    const char *dx[] = {"164909002,426783006", "733534002", "164909002", "426783006", "426783006", "426783006",
                        "270492004,426783006", "164889003"};
    for (int i = 0; i < 8; i++) {
        char rec[700], hea[760];
        snprintf(rec, sizeof rec, "%s/c%d", dir, i);
        snprintf(args, sizeof args, "synth --condition %s --fs 500 --seed %d -o %s", conds[i], 10 + i, rec);
        CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
        snprintf(hea, sizeof hea, "%s.hea", rec);
        char *h = test_slurp(hea, NULL);
        CHECK(h != NULL);
        if (!h) return;
        FILE *f = fopen(hea, "w");
        for (char *save = NULL, *line = strtok_r(h, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            fprintf(f, "%s\n", strncmp(line, "#Dx", 3) ? line : "");
        fprintf(f, "#Dx: %s\n", dx[i]);
        fclose(f);
        free(h);
        char fid[760];
        snprintf(fid, sizeof fid, "%s.fid", rec);
        remove(fid);
    }
    snprintf(args, sizeof args, "dataset info %s --labels superdiagnostic --json", dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"n_records\":\t7"), "the AF-only record should be left out: %s", out);
    snprintf(args, sizeof args, "eval --model %s --data %s --split all --json --bootstrap 0 --quiet", model, dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"n\":7") && strstr(out, "\"CD\":{\"n_pos\":4,\"n_neg\":3") &&
                  strstr(out, "\"NORM\":{\"n_pos\":3,\"n_neg\":4"),
              "%s", out);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK)) SKIP("ECGX_BIN is not set (run through make test)");
    if (access(model, R_OK)) SKIP("run from the repository root");
    tmp = test_tmpdir();
    RUN(test_test_only_folder);
    RUN(test_challenge_external);
    return check_finish();
}
