/* ecgx info / ecgx convert as a user runs them: exit codes 0 ok, 1 bad
 * input (one line naming the file and what is wrong), 2 usage; --json that
 * parses; a convert round trip. Runs the binary named by ECGX_BIN. */
#include "check.h"
#include "ecgx/io.h"

#include <cjson/cJSON.h>
#include <sys/wait.h>

static const char *bin;
static char dir[4096];
static char out_text[65536], err_text[8192];

/* Run `ecgx ARGS`, capture stdout and stderr, return the exit code. */
static int run(const char *args)
{
    char cmd[16384], o[4200], e[4200];
    snprintf(o, sizeof o, "%s/out.txt", dir);
    snprintf(e, sizeof e, "%s/err.txt", dir);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", bin, args, o, e);
    int st = system(cmd);
    out_text[0] = err_text[0] = '\0';
    FILE *f = fopen(o, "r");
    if (f) { size_t n = fread(out_text, 1, sizeof out_text - 1, f); out_text[n] = 0; fclose(f); }
    f = fopen(e, "r");
    if (f) { size_t n = fread(err_text, 1, sizeof err_text - 1, f); err_text[n] = 0; fclose(f); }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void write_text(const char *name, const char *text)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); exit(1); }
    fputs(text, f);
    fclose(f);
}

static void test_usage(void)
{
    CHECK(run("info --help") == 0 && strstr(out_text, "usage: ecgx info"));
    CHECK(run("convert --help") == 0 && strstr(out_text, "usage: ecgx convert"));
    CHECK(run("info") == 2 && strstr(err_text, "ecgx info:"));
    CHECK(run("info a b") == 2);
    CHECK(run("info --bogus x") == 2 && strstr(err_text, "--bogus"));
    CHECK(run("info --fs") == 2);
    CHECK(run("info --fs abc x.csv") == 2);
    CHECK(run("info x.csv") == 2 && strstr(err_text, "--fs"));
    CHECK(run("convert onlyone") == 2);
    CHECK(run("convert a.csv b") == 2 && strstr(err_text, "--fs"));
    CHECK(run("convert a b --gain -3") == 2);
    CHECK(run("--help") == 0 && strstr(out_text, "info") && strstr(out_text, "convert"));
}

static void test_bad_input(void)
{
    char args[16384];
    snprintf(args, sizeof args, "info %s/nothere", dir);
    CHECK(run(args) == 1 && lines(err_text) == 1 && strstr(err_text, "nothere.hea"));
    write_text("bad.hea", "bad 1 500 10\nbad.dat 16 1o00/mV\n");
    snprintf(args, sizeof args, "info %s/bad", dir);
    CHECK(run(args) == 1 && lines(err_text) == 1 && strstr(err_text, "bad.hea") && strstr(err_text, "gain"));
    write_text("bad2.hea", "bad2 1 500 10\nbad2.dat 16\n");
    write_text("bad2.dat", "abc");
    snprintf(args, sizeof args, "info %s/bad2", dir);
    CHECK(run(args) == 1 && lines(err_text) == 1 && strstr(err_text, "bad2.dat"));
    write_text("huge.hea", "huge 1 500 1000000000000\nbad2.dat 16\n");
    snprintf(args, sizeof args, "info %s/huge", dir);
    CHECK(run(args) == 1 && lines(err_text) == 1 && strstr(err_text, "1000000000000"));
    write_text("m.hea", "m 1 500 10\nm.mat 16+24\n");
    write_text("m.mat", "MATLAB 5.0 MAT-file, written by something else entirely");
    snprintf(args, sizeof args, "info %s/m", dir);
    CHECK(run(args) == 1 && lines(err_text) == 1 && strstr(err_text, "m.mat") && strstr(err_text, "MAT type"));
    write_text("c.csv", "I,II\n1,2\n3,x\n");
    snprintf(args, sizeof args, "info --fs 500 %s/c.csv", dir);
    CHECK(run(args) == 1 && lines(err_text) == 1 && strstr(err_text, "c.csv: line 3"));
    snprintf(args, sizeof args, "convert %s/c.csv %s/c_out --fs 500", dir, dir);
    CHECK(run(args) == 1 && lines(err_text) == 1);
    snprintf(args, sizeof args, "%s/c_out.hea", dir);
    CHECK(access(args, F_OK) != 0);
}

static void test_info_and_convert(void)
{
    const char *d = shared_data_dir();
    if (!d) { fprintf(stderr, "    (../shared/data absent: real-record CLI runs skipped)\n"); return; }
    char args[16384];
    snprintf(args, sizeof args, "info %s/cinc/ChapmanShaoxing_Ningbo/JS00001 --json", d);
    CHECK(run(args) == 0);
    cJSON *j = cJSON_Parse(out_text);
    CHECK(j != NULL);
    if (j) {
        CHECK(cJSON_GetObjectItem(j, "fs")->valuedouble == 500);
        CHECK(cJSON_GetObjectItem(j, "n_samples")->valuedouble == 5000);
        CHECK(cJSON_GetObjectItem(j, "duration_s")->valuedouble == 10);
        CHECK(strcmp(cJSON_GetObjectItem(j, "format")->valuestring, "mat") == 0);
        CHECK(cJSON_GetObjectItem(j, "signal_format")->valuedouble == 16);
        CHECK(cJSON_GetObjectItem(j, "age")->valuedouble == 85);
        CHECK(strcmp(cJSON_GetObjectItem(j, "sex")->valuestring, "male") == 0);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "labels")) == 3);
        cJSON *leads = cJSON_GetObjectItem(j, "leads");
        CHECK(cJSON_GetArraySize(leads) == 12);
        cJSON *l3 = cJSON_GetArrayItem(leads, 3);
        CHECK(l3 && strcmp(cJSON_GetObjectItem(l3, "name")->valuestring, "aVR") == 0);
        CHECK(l3 && strcmp(cJSON_GetObjectItem(l3, "units")->valuestring, "mV") == 0);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "warnings")) == 0);
        CHECK(cJSON_GetObjectItem(j, "invalid_samples")->valuedouble == 0);
        CHECK(strcmp(cJSON_GetObjectItem(j, "base_time")->valuestring, "20:20:47") == 0); /* JS00001.hea */
        CHECK(strcmp(cJSON_GetObjectItem(j, "base_date")->valuestring, "23-Mar-2021") == 0);
    }
    cJSON_Delete(j);
    snprintf(args, sizeof args, "info %s/mitdb/101", d);
    CHECK(run(args) == 0 && strstr(out_text, "360 Hz") && strstr(out_text, "650000") && strstr(out_text, "212"));
    CHECK(strstr(out_text, "MLII"));
    /* WFDB -> CSV -> WFDB through the CLI, then the adc bytes compared */
    snprintf(args, sizeof args, "convert %s/ptbxl/records100/00000/00317_lr %s/x.csv", d, dir);
    CHECK(run(args) == 0);
    snprintf(args, sizeof args, "info %s/x.csv --fs 100 --json", dir);
    CHECK(run(args) == 0 && strstr(out_text, "\"n_samples\":\t1000"));
    snprintf(args, sizeof args, "convert %s/x.csv %s/y.hea --fs 100", dir, dir);
    CHECK(run(args) == 0);
    snprintf(args, sizeof args, "cmp -s %s/ptbxl/records100/00000/00317_lr.dat %s/y.dat", d, dir);
    CHECK(system(args) == 0);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || !*bin) bin = "build/ecgx";
    if (access(bin, X_OK) != 0) SKIP("the ecgx binary is absent (set ECGX_BIN)");
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    RUN(test_usage);
    RUN(test_bad_input);
    RUN(test_info_and_convert);
    return check_finish();
}
