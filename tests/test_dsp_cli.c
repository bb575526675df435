/* The dsp commands end to end: ecgx peaks / delineate / features on records
 * written here, their output formats and exit codes. */
#include "check.h"
#include "ecgx/io.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const char *bin(void)
{
    const char *b = getenv("ECGX_BIN");
    return b && *b ? b : "build/ecgx";
}

/* Run a command, capture stdout into buf; return the exit status. */
static int run(const char *args, char *buf, size_t n) { return test_run_cmd(bin(), args, buf, n, 1); }

static void write_record(const char *path, int n_leads)
{
    static const char *names[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
    ecgx_record *r = ecgx_record_new(n_leads, 5000, 500);
    snprintf(r->name, sizeof r->name, "%s", strrchr(path, '/') + 1);
    for (int l = 0; l < n_leads; l++) {
        ecgx_record_set_lead(r, l, names[l], "mV");
        for (int i = 0; i < 5000; i++) {
            double t = i / 500.0, v = 0;
            for (double R = 0.4; R < 10; R += 0.75)
                v += 0.12 * exp(-0.5 * pow((t - R + 0.16) / 0.02, 2)) + exp(-0.5 * pow((t - R) / 0.012, 2)) +
                     0.3 * exp(-0.5 * pow((t - R - 0.3) / 0.045, 2));
            ecgx_record_lead(r, l)[i] = (float)v;
        }
    }
    CHECK_OK(ecgx_record_write(path, r));
    ecgx_record_free(r);
}

int main(void)
{
    if (access(bin(), X_OK) != 0) SKIP("%s not built", bin());
    char dir[512], rec[600], rec2[600], args[2048];
    static char out[1 << 20];
    snprintf(dir, sizeof dir, "%s/recs", test_tmpdir());
    mkdir(dir, 0755);
    snprintf(rec, sizeof rec, "%s/a", dir);
    snprintf(rec2, sizeof rec2, "%s/b", dir);
    write_record(rec, 12);
    write_record(rec2, 2);

    snprintf(args, sizeof args, "peaks %s --json", rec);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "\"n_beats\":13") != NULL);
    snprintf(args, sizeof args, "peaks %s --lead V2", rec);
    CHECK(run(args, out, sizeof out) == 0 && strstr(out, "13 beats (V2)"));
    snprintf(args, sizeof args, "peaks %s --lead X9", rec);
    CHECK(run(args, out, sizeof out) == 1);

    snprintf(args, sizeof args, "delineate %s --csv", rec);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strncmp(out, "record,lead,wave,onset,peak,offset\n", 35) == 0);
    int rows = 0, p = 0, qrs = 0, t = 0, bad = 0;
    for (char *line = strchr(out, '\n') + 1; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char recn[64], lead[16], wave[8];
        long on, pk, off;
        rows++;
        if (sscanf(line, "%63[^,],%15[^,],%7[^,],%ld,%ld,%ld", recn, lead, wave, &on, &pk, &off) != 6) { bad++; continue; }
        if (strcmp(recn, "a") != 0 || !(on <= pk && pk <= off)) bad++;
        p += !strcmp(wave, "P"); qrs += !strcmp(wave, "QRS"); t += !strcmp(wave, "T");
    }
    CHECK_MSG(bad == 0 && qrs >= 12 * 12 && p >= 12 * 11 && t >= 12 * 11, "rows %d bad %d P %d QRS %d T %d", rows, bad, p, qrs, t);
    snprintf(args, sizeof args, "delineate %s --json", rec);
    CHECK(run(args, out, sizeof out) == 0 && strstr(out, "\"leads\":{\"I\":[") != NULL);

    snprintf(args, sizeof args, "features %s --csv --quiet", dir);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strncmp(out, "record,HR_Global,", 17) == 0);
    CHECK(strstr(out, "\na,8") != NULL && strstr(out, "\nb,8") != NULL); /* 80 bpm */
    char csv[700];
    snprintf(csv, sizeof csv, "%s/feat.csv", test_tmpdir());
    snprintf(args, sizeof args, "features %s -o %s --quiet", rec, csv);
    CHECK(run(args, out, sizeof out) == 0 && access(csv, R_OK) == 0);
    snprintf(args, sizeof args, "features %s --json", rec);
    CHECK(run(args, out, sizeof out) == 0 && strstr(out, "\"QTcB_Global\":"));

    /* a paced record made by ecgx synth: peaks --json lists the spikes and
     * marks the paced beats; a lead-off record reports its unreadable stretch */
    char paced[700];
    snprintf(paced, sizeof paced, "%s/paced", dir);
    snprintf(args, sizeof args, "synth -o %s --pace ventricular --spike-amp 10 --spike-width 1 --duration 10 --quiet", paced);
    CHECK(run(args, out, sizeof out) == 0);
    snprintf(args, sizeof args, "peaks %s --json", paced);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "\"pace_spikes\":[") && !strstr(out, "\"pace_spikes\":[]"));
    CHECK(strstr(out, "\"pace\":[\"V\"") != NULL);
    CHECK(strstr(out, "\"unreadable\":[]") != NULL);
    snprintf(args, sizeof args, "synth -o %s --lead-off 3 --duration 12 --seed 4 --noise low --quiet", paced);
    CHECK(run(args, out, sizeof out) == 0);
    snprintf(args, sizeof args, "peaks %s", paced);
    CHECK(run(args, out, sizeof out) == 0);
    CHECK(strstr(out, "# unreadable: samples") != NULL);
    CHECK(run("synth -o x --pace quadruple", out, sizeof out) == 2);

    CHECK(run("peaks /nonexistent/rec", out, sizeof out) == 1);
    CHECK(run("delineate /nonexistent/rec --csv", out, sizeof out) == 1);
    CHECK(run("features /nonexistent/rec", out, sizeof out) == 1);
    CHECK(run("peaks", out, sizeof out) == 2);
    CHECK(run("delineate a --bogus", out, sizeof out) == 2);
    CHECK(run("features --help", out, sizeof out) == 0 && strstr(out, "usage: ecgx features"));
    return check_finish();
}
