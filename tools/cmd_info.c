/* ecgx info: what a record holds (rate, leads, length, format, metadata). */
#include "cli.h"
#include "core/strutil.h"
#include "ecgx/io.h"
#include "ecgx/record_check.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out, "usage: ecgx info RECORD [--json] [--fs HZ]\n\n"
                 "Describe a record: sampling rate, leads (names, units), samples, duration,\n"
                 "signal format, age/sex/labels where the header gives them, samples that are\n"
                 "not numbers and flat leads (the checks every command makes), and warnings\n"
                 "(e.g. checksum mismatches).\n\n"
                 "  RECORD     WFDB record (\"rec\" or \"rec.hea\"; Challenge .mat records too)\n"
                 "             or a CSV file (\"rec.csv\", which needs --fs)\n"
                 "  --json     machine-readable output\n"
                 "  --fs HZ    sampling rate of a CSV file\n\n"
                 "exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

static const char *sex_name(ecgx_sex s)
{
    return s == ECGX_SEX_MALE ? "male" : s == ECGX_SEX_FEMALE ? "female" : "unknown";
}

static void print_json(const ecgx_record *rec, const ecgx_read_info *info, const ecgx_record_check_report *ck)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "record", rec->name);
    cJSON_AddStringToObject(o, "format", info->format);
    if (info->signal_format || strcmp(info->format, "csv") != 0)
        cJSON_AddNumberToObject(o, "signal_format", info->signal_format);
    cJSON_AddNumberToObject(o, "fs", rec->fs);
    cJSON_AddNumberToObject(o, "n_samples", (double)rec->n_samples);
    cJSON_AddNumberToObject(o, "duration_s", (double)rec->n_samples / rec->fs);
    cJSON_AddNumberToObject(o, "n_leads", rec->n_leads);
    cJSON *leads = cJSON_AddArrayToObject(o, "leads");
    for (int i = 0; i < rec->n_leads; i++) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", rec->leads[i].name);
        cJSON_AddStringToObject(l, "units", rec->leads[i].units);
        const char *std = ecgx_lead_std_name(rec->leads[i].std_index);
        if (std) cJSON_AddStringToObject(l, "standard", std);
        else cJSON_AddNullToObject(l, "standard");
        cJSON_AddNumberToObject(l, "invalid_samples", (double)ck->invalid[i]);
        cJSON_AddBoolToObject(l, "flat", ck->flat[i]);
        cJSON_AddItemToArray(leads, l);
    }
    if (rec->age >= 0) cJSON_AddNumberToObject(o, "age", rec->age);
    else cJSON_AddNullToObject(o, "age");
    cJSON_AddStringToObject(o, "sex", sex_name(rec->sex));
    cJSON *labels = cJSON_AddArrayToObject(o, "labels");
    for (int i = 0; i < rec->n_labels; i++) cJSON_AddItemToArray(labels, cJSON_CreateString(rec->labels[i]));
    /* NaN or infinite samples however they came (WFDB's invalid-sample code, a
     * CSV's "nan" or empty field), and leads without signal */
    cJSON_AddNumberToObject(o, "invalid_samples", (double)ck->n_invalid);
    cJSON *flat = cJSON_AddArrayToObject(o, "flat_leads");
    for (int i = 0; i < rec->n_leads; i++)
        if (ck->flat[i]) cJSON_AddItemToArray(flat, cJSON_CreateString(rec->leads[i].name));
    cJSON_AddBoolToObject(o, "units_mv", ck->n_not_mv == 0);
    if (info->base_time[0]) cJSON_AddStringToObject(o, "base_time", info->base_time);
    if (info->base_date[0]) cJSON_AddStringToObject(o, "base_date", info->base_date);
    cJSON_AddNumberToObject(o, "checksum_mismatches", info->checksum_mismatches);
    cJSON *warn = cJSON_AddArrayToObject(o, "warnings");
    if (info->warning[0]) cJSON_AddItemToArray(warn, cJSON_CreateString(info->warning));
    if (ck->warning[0]) cJSON_AddItemToArray(warn, cJSON_CreateString(ck->warning));
    char *s = cJSON_Print(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
}

static void print_text(const ecgx_record *rec, const ecgx_read_info *info, const ecgx_record_check_report *ck)
{
    printf("record    %s\n", rec->name);
    if (strcmp(info->format, "csv") == 0) printf("format    csv\n");
    else printf("format    %s (signal format %d)\n", info->format, info->signal_format);
    printf("rate      %g Hz\n", rec->fs);
    printf("samples   %lld (%.3f s)\n", (long long)rec->n_samples, (double)rec->n_samples / rec->fs);
    printf("leads     %d:", rec->n_leads);
    for (int i = 0; i < rec->n_leads; i++)
        printf("%s %s [%s]", i ? "," : "", rec->leads[i].name, rec->leads[i].units[0] ? rec->leads[i].units : "?");
    printf("\n");
    if (rec->age >= 0) printf("age       %g\n", rec->age);
    if (rec->sex != ECGX_SEX_UNKNOWN) printf("sex       %s\n", sex_name(rec->sex));
    if (rec->n_labels) {
        printf("labels   ");
        for (int i = 0; i < rec->n_labels; i++) printf("%s %s", i ? "," : "", rec->labels[i]);
        printf("\n");
    }
    if (info->base_time[0] || info->base_date[0]) printf("start     %s %s\n", info->base_time, info->base_date);
    if (ck->n_invalid) printf("invalid   %lld samples are not numbers (NaN or infinite)\n", (long long)ck->n_invalid);
    if (ck->n_flat) {
        printf("flat     ");
        for (int i = 0, k = 0; i < rec->n_leads; i++)
            if (ck->flat[i]) printf("%s %s", k++ ? "," : "", rec->leads[i].name);
        printf("\n");
    }
    if (ck->n_not_mv) printf("units     amplitudes in '%s', not mV\n", ck->unit);
    if (info->warning[0]) printf("warning   %s\n", info->warning);
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, err = 0;
    double fs = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { help(stdout); return EXIT_OK; }
        if (strcmp(argv[i], "--json") == 0) { json = 1; continue; }
        if ((r = cli_opt_double("info", argc, argv, &i, "--fs", &fs, &err)) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (cli_check_double("info", "--fs", fs, 0, 1e6, CLI_LO_OPEN)) return EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("info", "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error("info", "one record at a time ('%s' and '%s')", path, argv[i]);
        path = argv[i];
    }
    if (!path) return cli_usage_error("info", "which record?");
    size_t n = strlen(path);
    if (n > 4 && strcasecmp_ascii(path + n - 4, ".csv") == 0 && fs <= 0)
        return cli_usage_error("info", "%s: a CSV file has no sampling rate; pass --fs HZ", path);
    ecgx_record *rec;
    ecgx_read_info info;
    if (ecgx_record_read_ex(path, fs, &rec, &info) < 0) return cli_fail("info");
    ecgx_record_check_report ck;
    ecgx_record_check(rec, NULL, &ck); /* measure only: info describes, it refuses nothing */
    if (json) print_json(rec, &info, &ck);
    else print_text(rec, &info, &ck);
    ecgx_record_free(rec);
    return EXIT_OK;
}
