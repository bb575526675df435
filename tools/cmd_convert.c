/* ecgx convert: WFDB <-> CSV, chosen by the file extensions. */
#include "cli.h"
#include "core/strutil.h"
#include "ecgx/io.h"
#include "ecgx/record_check.h"

#include <math.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out, "usage: ecgx convert IN OUT [--fs HZ] [--gain G] [--start S] [--duration S]\n\n"
                 "Convert a record between WFDB and CSV; the extensions decide:\n"
                 "  *.csv      CSV: a header row of lead names, one row per sample, values in\n"
                 "             the record's units (mV for ECG), as many digits as a float needs\n"
                 "  otherwise  WFDB format 16 (\"out\" or \"out.hea\" writes out.hea + out.dat)\n\n"
                 "  --fs HZ    sampling rate of a CSV input (CSV files carry none)\n"
                 "  --gain G   WFDB output: adc units per physical unit for every lead (default:\n"
                 "             1000 where the signal fits in 16 bits, less where it does not)\n"
                 "  --start S, --duration S   keep only this part of the record (seconds; a\n"
                 "             window of a long recording for a method that takes 10 s, say)\n\n"
                 "Output files are written atomically. exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

static int is_csv(const char *p)
{
    size_t n = strlen(p);
    return n > 4 && strcasecmp_ascii(p + n - 4, ".csv") == 0;
}

int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    double fs = 0, gain = 0, start = 0, duration = 0;
    int err = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { help(stdout); return EXIT_OK; }
        if ((r = cli_opt_double("convert", argc, argv, &i, "--fs", &fs, &err)) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (cli_check_double("convert", "--fs", fs, 0, 1e6, CLI_LO_OPEN)) return EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt_double("convert", argc, argv, &i, "--gain", &gain, &err)) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (cli_check_double("convert", "--gain", gain, 0, INFINITY, CLI_LO_OPEN)) return EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt_double("convert", argc, argv, &i, "--start", &start, &err)) != 0 ||
            (r = cli_opt_double("convert", argc, argv, &i, "--duration", &duration, &err)) != 0) {
            if (r < 0) return EXIT_USAGE;
            if (!(start >= 0) || !(duration >= 0)) return cli_usage_error("convert", "--start and --duration must be >= 0");
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("convert", "unknown option '%s'", argv[i]);
        if (!in) in = argv[i];
        else if (!out) out = argv[i];
        else return cli_usage_error("convert", "too many arguments ('%s')", argv[i]);
    }
    if (!in || !out) return cli_usage_error("convert", "needs IN and OUT");
    if (is_csv(in) && fs <= 0) return cli_usage_error("convert", "%s: a CSV file has no sampling rate; pass --fs HZ", in);
    ecgx_record *rec;
    if (ecgx_record_read_ex(in, fs, &rec, NULL) < 0) return cli_fail("convert");
    if (start > 0 || duration > 0) {
        ecgx_record *part = ecgx_record_slice(rec, start, duration);
        ecgx_record_free(rec);
        if (!part) return cli_fail("convert");
        rec = part;
    }
    int rc = is_csv(out) ? ecgx_csv_write(out, rec) : ecgx_wfdb_write(out, rec, gain);
    ecgx_record_free(rec);
    if (rc < 0) return cli_fail("convert");
    return EXIT_OK;
}
