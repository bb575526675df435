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
                 "and RR intervals. By default all leads are fused; --lead uses one.\n\n"
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
    int64_t *pk = NULL;
    int np = 0;
    if (ecgx_qrs_detect(rec, lead, &pk, &np) < 0) {
        cli_fail_file("peaks", path);
        ecgx_record_free(rec);
        return EXIT_BAD_INPUT;
    }
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
        cJSON *b = cJSON_AddArrayToObject(o, "rr_ms");
        for (int i = 0; i < nrr; i++) cJSON_AddItemToArray(b, cJSON_CreateNumber(rr[i]));
        char *s = cJSON_PrintUnformatted(o);
        if (s) puts(s);
        free(s);
        cJSON_Delete(o);
    } else {
        printf("# %s: %d beats (%s)", rec->name, np, lead >= 0 ? rec->leads[lead].name : "all leads");
        if (nrr) printf(", mean HR %.1f bpm", 60000.0 / mean);
        printf("\n# sample\ttime_s\trr_ms\n");
        for (int i = 0; i < np; i++) {
            printf("%lld\t%.3f\t", (long long)pk[i], (double)pk[i] / rec->fs);
            if (i > 0) printf("%.1f", rr[i - 1]);
            printf("\n");
        }
    }
    free(rr);
    free(pk);
    ecgx_record_free(rec);
    return EXIT_OK;
}
