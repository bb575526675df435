#include "cli.h"
#include "core/strutil.h"
#include "ecgx/common.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_json_num(double v) { printf(isfinite(v) ? "%.6f" : "null", v); }

int cli_fail(const char *cmd)
{
    const char *msg = ecgx_last_error();
    fprintf(stderr, "ecgx %s: %s\n", cmd, *msg ? msg : "failed");
    return EXIT_BAD_INPUT;
}

/* Whether msg starts with prefix (len n) followed by ": ". */
static int starts_with_name(const char *msg, const char *prefix, size_t n)
{
    return n > 0 && strncmp(msg, prefix, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ';
}

const char *cli_file_message(const char *path, const char *msg, char *buf, size_t n)
{
    if (!path || !*path) return msg;
    size_t plen = strlen(path);
    /* about the path itself, or a file beside it (path.hea, path.dat): as it is */
    if (strncmp(msg, path, plen) == 0 && (msg[plen] == ':' || (msg[plen] == '.' && strchr(msg + plen, ':')))) return msg;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* the record's name as the library gives it: without .hea/.csv/.mat/.dat */
    const char *dot = strrchr(base, '.');
    size_t stem = dot && (!strcmp(dot, ".hea") || !strcmp(dot, ".csv") || !strcmp(dot, ".mat") || !strcmp(dot, ".dat"))
                      ? (size_t)(dot - base)
                      : strlen(base);
    const char *rest = msg;
    if (starts_with_name(msg, base, strlen(base))) rest = msg + strlen(base) + 2;
    else if (starts_with_name(msg, base, stem)) rest = msg + stem + 2;
    snprintf(buf, n, "%s: %s", path, *rest ? rest : "failed");
    return buf;
}

int cli_fail_file(const char *cmd, const char *path)
{
    char buf[2048];
    fprintf(stderr, "ecgx %s: %s\n", cmd, cli_file_message(path, ecgx_last_error(), buf, sizeof buf));
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

int cli_check_int(const char *cmd, const char *opt, long long v, long long lo, long long hi)
{
    if (v >= lo && v <= hi) return 0;
    if (hi == CLI_NO_MAX) return cli_usage_error(cmd, "%s %lld: must be >= %lld", opt, v, lo);
    return cli_usage_error(cmd, "%s %lld: must be in %lld..%lld", opt, v, lo, hi);
}

int cli_check_double(const char *cmd, const char *opt, double v, double lo, double hi, int open)
{
    int lo_ok = (open & CLI_LO_OPEN) ? v > lo : v >= lo, hi_ok = (open & CLI_HI_OPEN) ? v < hi : v <= hi;
    if (lo_ok && hi_ok) return 0;
    if (isinf(hi)) return cli_usage_error(cmd, "%s %g: must be %s %g", opt, v, (open & CLI_LO_OPEN) ? ">" : ">=", lo);
    if (isinf(lo)) return cli_usage_error(cmd, "%s %g: must be %s %g", opt, v, (open & CLI_HI_OPEN) ? "<" : "<=", hi);
    return cli_usage_error(cmd, "%s %g: must be in %c%g, %g%c", opt, v, (open & CLI_LO_OPEN) ? '(' : '[', lo, hi,
                           (open & CLI_HI_OPEN) ? ')' : ']');
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
