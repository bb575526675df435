/* ecgx peaks: QRS detection (R peaks and RR intervals) of a record. */
#include "cli.h"
#include "record_check_cli.h"
#include "ecgx/io.h"
#include "ecgx/qrs.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out, "usage: ecgx peaks RECORD [--lead NAME] [--json] [--fs HZ]\n\n"
                 "Detect QRS complexes: R-peak sample indices (at the record's rate), times\n"
                 "and RR intervals. By default all leads are fused; --lead uses one. Also\n"
                 "lists pacemaker spikes (records at 250 Hz or more), marks each beat that a\n"
                 "spike precedes (pace: A atrial, V ventricular, AV both) and the unreadable\n"
                 "stretches (every lead flat or saturated), where no beats are reported.\n\n"
                 "  --lead NAME  detect on this lead only (name as in the record, e.g. MLII)\n"
                 "  --json       machine-readable output\n"
                 "  --fs HZ      sampling rate of a CSV record\n\n"
                 "exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

int cmd_peaks(int argc, char **argv)
{
    const char *path = NULL, *lead_name = NULL;
    int json = 0, err = 0;
    double fs = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { help(stdout); return EXIT_OK; }
        if (strcmp(argv[i], "--json") == 0) { json = 1; continue; }
        if ((r = cli_opt("peaks", argc, argv, &i, "--lead", &lead_name)) != 0) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("peaks", argc, argv, &i, "--fs", &fs, &err)) != 0) {
            if (r < 0 || cli_check_double("peaks", "--fs", fs, 0, 1e6, CLI_LO_OPEN)) return EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("peaks", "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error("peaks", "one record at a time ('%s' and '%s')", path, argv[i]);
        path = argv[i];
    }
    if (!path) return cli_usage_error("peaks", "which record?");
    ecgx_record *rec;
    if (ecgx_record_read_ex(path, fs, &rec, NULL) < 0) return cli_fail("peaks");
    if (cli_record_check("peaks", rec, CLI_USE_VIEW, 0, NULL) < 0) {
        ecgx_record_free(rec);
        return cli_fail("peaks");
    }
    int lead = -1;
    if (lead_name) {
        lead = ecgx_record_find_lead(rec, lead_name);
        if (lead < 0) {
            fprintf(stderr, "ecgx peaks: %s: no lead named '%s'\n", path, lead_name);
            ecgx_record_free(rec);
            return EXIT_BAD_INPUT;
        }
    }
    ecgx_qrs_result *res = NULL;
    if (ecgx_qrs_analyze(rec, lead, &res) < 0) {
        cli_fail_file("peaks", path);
        ecgx_record_free(rec);
        return EXIT_BAD_INPUT;
    }
    const int64_t *pk = res->r;
    int np = res->n_beats;
    double *rr = malloc(sizeof *rr * (size_t)(np > 1 ? np : 1));
    int nrr = rr ? ecgx_rr_series(pk, np, rec->fs, rr) : 0;
    double mean = 0;
    for (int i = 0; i < nrr; i++) mean += rr[i];
    mean = nrr ? mean / nrr : 0;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "record", rec->name);
        cJSON_AddNumberToObject(o, "fs", rec->fs);
        cJSON_AddStringToObject(o, "lead", lead >= 0 ? rec->leads[lead].name : "all");
        cJSON_AddNumberToObject(o, "n_beats", np);
        if (nrr) cJSON_AddNumberToObject(o, "hr_bpm", 60000.0 / mean);
        else cJSON_AddNullToObject(o, "hr_bpm");
        cJSON *a = cJSON_AddArrayToObject(o, "peaks");
        for (int i = 0; i < np; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)pk[i]));
        cJSON *pc = cJSON_AddArrayToObject(o, "pace");
        for (int i = 0; i < np; i++) {
            char t[2] = {res->pace[i], 0};
            cJSON_AddItemToArray(pc, res->pace[i] ? cJSON_CreateString(t) : cJSON_CreateNull());
        }
        cJSON *b = cJSON_AddArrayToObject(o, "rr_ms");
        for (int i = 0; i < nrr; i++) cJSON_AddItemToArray(b, cJSON_CreateNumber(rr[i]));
        cJSON *sp = cJSON_AddArrayToObject(o, "pace_spikes");
        for (int i = 0; i < res->n_spikes; i++) cJSON_AddItemToArray(sp, cJSON_CreateNumber((double)res->spikes[i]));
        cJSON *u = cJSON_AddArrayToObject(o, "unreadable");
        for (int i = 0; i < res->n_unreadable; i++) {
            cJSON *iv = cJSON_CreateArray();
            cJSON_AddItemToArray(iv, cJSON_CreateNumber((double)res->bad_start[i]));
            cJSON_AddItemToArray(iv, cJSON_CreateNumber((double)res->bad_end[i]));
            cJSON_AddItemToArray(u, iv);
        }
        char *s = cJSON_PrintUnformatted(o);
        if (s) puts(s);
        free(s);
        cJSON_Delete(o);
    } else {
        printf("# %s: %d beats (%s)", rec->name, np, lead >= 0 ? rec->leads[lead].name : "all leads");
        if (nrr) printf(", mean HR %.1f bpm", 60000.0 / mean);
        if (res->n_spikes) printf(", %d pacemaker spikes", res->n_spikes);
        for (int i = 0; i < res->n_unreadable; i++)
            printf("\n# unreadable: samples %lld-%lld (%.2f-%.2f s)", (long long)res->bad_start[i],
                   (long long)res->bad_end[i], (double)res->bad_start[i] / rec->fs, (double)res->bad_end[i] / rec->fs);
        printf("\n# sample\ttime_s\trr_ms\tpace\n");
        for (int i = 0; i < np; i++) {
            printf("%lld\t%.3f\t", (long long)pk[i], (double)pk[i] / rec->fs);
            if (i > 0) printf("%.1f", rr[i - 1]);
            printf("\t%s\n", res->pace[i] == 'A' ? "A" : res->pace[i] == 'V' ? "V" : res->pace[i] == 'D' ? "AV" : "");
        }
    }
    free(rr);
    ecgx_qrs_result_free(res);
    ecgx_record_free(rec);
    return EXIT_OK;
}
