#include "cli.h"
#include "core/strutil.h"
#include "ecgx/common.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_json_num(double v) { printf(isfinite(v) ? "%.6f" : "null", v); }

void cli_fmt_threshold(double t, char *buf, size_t n)
{
    if (!isfinite(t) || t <= 0 || t >= 1) {
        snprintf(buf, n, "%.3f", t);
        return;
    }
    for (int d = 3; d < 12; d++) {
        snprintf(buf, n, "%.*f", d, t);
        double back = atof(buf);
        if (back > 0 && back < 1) return;
    }
    snprintf(buf, n, "%.9g", t);
}

int cli_fail(const char *cmd)
{
    const char *msg = ecgx_last_error();
    fprintf(stderr, "ecgx %s: %s\n", cmd, *msg ? msg : "failed");
    return EXIT_BAD_INPUT;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ecgx %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'ecgx %s --help')\n", cmd);
    return EXIT_USAGE;
}

int cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

int cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') { *value = a + n + 1; return 1; }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_opt_double(const char *cmd, int argc, char **argv, int *i, const char *name, double *out, int *err)
{
    const char *v;
    int r = cli_opt(cmd, argc, argv, i, name, &v);
    if (r <= 0) { if (r < 0) *err = 1; return r; }
    if (ecgx_parse_double(v, out)) {
        cli_usage_error(cmd, "option %s: '%s' is not a number", name, v);
        *err = 1;
        return -1;
    }
    return 1;
}

int cli_opt_int(const char *cmd, int argc, char **argv, int *i, const char *name, int *out, int *err)
{
    const char *v;
    int r = cli_opt(cmd, argc, argv, i, name, &v);
    if (r <= 0) { if (r < 0) *err = 1; return r; }
    if (ecgx_parse_int(v, out)) {
        cli_usage_error(cmd, "option %s: '%s' is not an integer", name, v);
        *err = 1;
        return -1;
    }
    return 1;
}
