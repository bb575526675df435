/* The same options and messages across commands (ECGX_BIN, set by
 * tests/run.sh), on records written here: every record-reading command
 * takes --fs for a CSV (predict could not read one); a library message that
 * already names the record is not prefixed with it again ("101: 101: ...");
 * render --start past the end is an error; dataset info says why records
 * are unused; a folder of plain WFDB records is not called a Challenge
 * folder. */
#include "check.h"

static const char *bin, *tmp;
static const char *model = "models/resnet1d_wang_ptbxl_superdiag.safetensors";

static int run(const char *args, char *out, size_t n) { return test_run_cmd(bin, args, out, n, 0); }

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

static void test_csv_everywhere(void)
{
    char args[2048], out[16384], rec[600], csv[600];
    snprintf(rec, sizeof rec, "%s/lbbb", tmp);
    snprintf(csv, sizeof csv, "%s/lbbb.csv", tmp);
    snprintf(args, sizeof args, "synth --condition lbbb --fs 100 -o %s", rec);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    snprintf(args, sizeof args, "convert %s %s", rec, csv);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    /* predict reads the CSV at the rate given, with the same probabilities as from WFDB */
    char a[16384];
    snprintf(args, sizeof args, "predict --model %s %s --csv", model, rec);
    CHECK_MSG(test_run_cmd(bin, args, a, sizeof a, 1) == 0, "%s", a);
    snprintf(args, sizeof args, "predict --model %s %s --fs 100 --csv", model, csv);
    CHECK_MSG(test_run_cmd(bin, args, out, sizeof out, 1) == 0, "%s", out);
    const char *la = strchr(a, '\n'), *lb = strchr(out, '\n');
    const char *pa = la ? strchr(la + 1, ',') : NULL, *pb = lb ? strchr(lb + 1, ',') : NULL;
    CHECK_MSG(pa && pb && !strcmp(pa, pb), "WFDB %s / CSV %s", pa ? pa : "-", pb ? pb : "-");
    /* the model's stored thresholds mark the positive classes (text '*', JSON "positive") */
    snprintf(args, sizeof args, "predict --model %s %s --fs 100 --json", model, csv);
    CHECK_MSG(test_run_cmd(bin, args, out, sizeof out, 1) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"thresholds\":{\"CD\":0.777897894,") && strstr(out, "\"positive\":[\"CD\"]"), "%s", out);
    snprintf(args, sizeof args, "predict --model %s %s", model, rec);
    CHECK_MSG(test_run_cmd(bin, args, out, sizeof out, 1) == 0, "%s", out);
    CHECK_MSG(strstr(out, "at or above the model's threshold; f1 on the validation split, 250 records") &&
                  strstr(out, ": CD 0.99") && strstr(out, "* HYP"),
              "%s", out);
    /* without --fs: the one message, naming the file once */
    snprintf(args, sizeof args, "predict --model %s %s", model, csv);
    CHECK_MSG(run(args, out, sizeof out) == 1 && strstr(out, "--fs") && count(out, csv) == 1, "%s", out);
    snprintf(args, sizeof args, "predict --model %s %s --fs 0", model, csv);
    CHECK_MSG(run(args, out, sizeof out) == 2 && strstr(out, "--fs 0: must be in (0, 1e+06]"), "%s", out);
    const char *cmds[] = {"info", "features", "peaks", "delineate"};
    for (int i = 0; i < 4; i++) {
        snprintf(args, sizeof args, "%s %s --fs 100", cmds[i], csv);
        CHECK_MSG(run(args, out, sizeof out) == 0, "%s: %s", cmds[i], out);
    }
    snprintf(args, sizeof args, "xai-bench --model %s %s --fs 100 --methods saliency --json", model, csv);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
}

/* a 3-lead WFDB record named "101": the library says "101: needs the 12
 * standard leads", and the command names the path once */
static void test_file_named_once(void)
{
    char p[700], args[2048], out[8192];
    snprintf(p, sizeof p, "%s/101.hea", tmp);
    FILE *f = fopen(p, "w");
    fprintf(f, "101 3 100 1000\n");
    for (int l = 0; l < 3; l++) fprintf(f, "101.dat 16 1000(0)/mV 16 0 0 0 0 %s\n", l == 0 ? "I" : l == 1 ? "II" : "V1");
    fclose(f);
    snprintf(p, sizeof p, "%s/101.dat", tmp);
    f = fopen(p, "wb");
    for (int i = 0; i < 3000; i++) {
        int16_t v = (int16_t)(i % 97);
        fwrite(&v, 2, 1, f);
    }
    fclose(f);
    snprintf(p, sizeof p, "%s/101", tmp);
    snprintf(args, sizeof args, "predict --model %s %s", model, p);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "12 standard leads") && !strstr(out, "101: 101:") && count(out, "101") == 1, "%s", out);
    /* every command that takes a model and a record says it the same way */
    const char *cmds[] = {"explain --model %s %s --target CD", "report --model %s %s -o never_written.html"};
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        snprintf(args, sizeof args, cmds[c], model, p);
        CHECK(run(args, out, sizeof out) != 0);
        CHECK_MSG(strstr(out, "12 standard leads") && !strstr(out, "101: 101:"), "%s: %s", cmds[c], out);
    }
}

static void test_render_start(void)
{
    char args[2048], out[8192], rec[600], png[600];
    snprintf(rec, sizeof rec, "%s/short", tmp);
    snprintf(png, sizeof png, "%s/short.png", tmp);
    snprintf(args, sizeof args, "synth --condition normal --duration 4 -o %s", rec);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    snprintf(args, sizeof args, "render %s --start 4 -o %s", rec, png);
    CHECK_MSG(run(args, out, sizeof out) == 1 && strstr(out, "start 4 s is at or past the end of the record (4 s long)"),
              "%s", out);
    CHECK(access(png, F_OK) != 0);
    snprintf(args, sizeof args, "render %s --start 3 -o %s", rec, png);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    /* the other limits named by option, as every command names them */
    snprintf(args, sizeof args, "render %s --dpi 5 -o %s", rec, png);
    CHECK_MSG(run(args, out, sizeof out) == 2 && strstr(out, "ecgx render: --dpi 5: must be in [10, 2400]"), "%s", out);
    snprintf(args, sizeof args, "render %s --duration 0 -o %s", rec, png);
    CHECK_MSG(run(args, out, sizeof out) == 2 && strstr(out, "--duration 0: must be in (0, 120]"), "%s", out);
    const char *cmds[] = {"features", "peaks", "delineate", "info"};
    for (int i = 0; i < 4; i++) {
        snprintf(args, sizeof args, "%s %s.csv --fs -3", cmds[i], rec);
        CHECK_MSG(run(args, out, sizeof out) == 2 && strstr(out, "--fs -3: must be in (0, 1e+06]"), "%s: %s", cmds[i], out);
    }
}

static void test_dataset_messages(void)
{
    char dir[600], args[2048], out[16384], p[700];
    /* a folder of ecgx synth records (WFDB, '#Dx: lbbb'): not a Challenge folder */
    snprintf(dir, sizeof dir, "%s/wfdb", tmp);
    mkdir(dir, 0755);
    snprintf(args, sizeof args, "synth --condition lbbb -o %s/a", dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    snprintf(args, sizeof args, "dataset info %s", dir);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "not a Challenge folder") && !strstr(out, "is not a SNOMED CT code") &&
                  !strstr(out, "not available in a Challenge folder"),
              "%s", out);
    snprintf(args, sizeof args, "dataset info %s --labels dx", dir);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "not a Challenge folder") && strstr(out, "label set 'dx' is not available"), "%s", out);
    /* a real Challenge header with a non-SNOMED #Dx is still an error naming the line */
    snprintf(p, sizeof p, "%s/b.hea", dir);
    char *h = NULL;
    snprintf(args, sizeof args, "%s/a.hea", dir);
    h = test_slurp(args, NULL);
    FILE *f = fopen(p, "w");
    if (h) {
        char *dx = strstr(h, "#Dx");
        fwrite(h, 1, dx ? (size_t)(dx - h) : strlen(h), f);
    }
    fprintf(f, "#Dx: 164889003\n");
    fclose(f);
    free(h);
    snprintf(args, sizeof args, "cp %s/a.dat %s/b.dat", dir, dir);
    CHECK(system(args) == 0);
    snprintf(args, sizeof args, "dataset info %s", dir);
    CHECK(run(args, out, sizeof out) == 1);
    CHECK_MSG(strstr(out, "a.hea:") && strstr(out, "is not a SNOMED CT code"), "%s", out);

    /* unused records: counted and explained */
    snprintf(dir, sizeof dir, "%s/unused", tmp);
    snprintf(args, sizeof args, "synth --n 10 --condition normal,af --fs 100 --duration 3 -o %s", dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    f = fopen(p, "w");
    fprintf(f, "record,split,filename,NORM,AF\n");
    for (int i = 0; i < 10; i++)
        fprintf(f, "r%d,train,synth_%05d,%d,%d\n", i, i, i < 3, i >= 3 && i < 6); /* 4 rows without a class */
    fprintf(f, "gone,train,synth_00099,1,0\n");
    fclose(f);
    snprintf(args, sizeof args, "dataset info %s", dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "10 records indexed, 1 listed but absent, 6 used") &&
                  strstr(out, "unused: 4 records without a value of the label set 'labels'") &&
                  strstr(out, "unused: 1 record listed whose signal files are absent"),
              "%s", out);
    snprintf(args, sizeof args, "dataset info %s --json", dir);
    CHECK_MSG(run(args, out, sizeof out) == 0 && strstr(out, "\"unused_no_label\":\t4"), "%s", out);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK)) SKIP("ECGX_BIN is not set (run through make test)");
    if (access(model, R_OK)) SKIP("run from the repository root");
    tmp = test_tmpdir();
    RUN(test_csv_everywhere);
    RUN(test_file_named_once);
    RUN(test_render_start);
    RUN(test_dataset_messages);
    return check_finish();
}
