/* Shared helpers for the ecgx command line. */
#ifndef ECGX_TOOLS_CLI_H
#define ECGX_TOOLS_CLI_H

#include <stdio.h>

#define EXIT_OK 0
#define EXIT_BAD_INPUT 1
#define EXIT_USAGE 2

#define CMD(name, fn, summary) int fn(int argc, char **argv);
#include "commands.h"
#undef CMD

/* Print "ecgx <cmd>: <library error>" and return EXIT_BAD_INPUT. */
int cli_fail(const char *cmd);
/* Print "ecgx <cmd>: <path>: <library error>" naming the file once: the
 * library's messages usually start with the file or record name already
 * ("101: needs the 12 standard leads"), and a caller that prefixes the path
 * gave "101: 101: ...". A message that starts with the path (or a file
 * beside it, "<path>.hea: ...") is printed as it is; a leading "<record
 * name>: " is replaced by the path.
 * Returns EXIT_BAD_INPUT. */
int cli_fail_file(const char *cmd, const char *path);
/* The message msg about path as cli_fail_file prints it (after "ecgx <cmd>: "):
 * msg itself or buf. */
const char *cli_file_message(const char *path, const char *msg, char *buf, size_t n);

/* Print "ecgx <cmd>: <message>" and a hint to use --help; return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A number on stdout for JSON: "%.6f", or null when it is not finite (JSON
 * has no NaN or infinity). */
void cli_json_num(double v);

/* Range checks of option values, with one message form for every command:
 * "ecgx train: --epochs 0: must be >= 1", "--fs 5: must be in [10, 10000]".
 * 0 when v is in range; otherwise the usage error is printed and EXIT_USAGE
 * returned. CLI_NO_MAX: no upper bound; for doubles -INFINITY / INFINITY,
 * and CLI_LO_OPEN / CLI_HI_OPEN make a bound exclusive (NaN never passes). */
#define CLI_NO_MAX 0x7fffffffffffffffLL
#define CLI_LO_OPEN 1
#define CLI_HI_OPEN 2
int cli_check_int(const char *cmd, const char *opt, long long v, long long lo, long long hi);
int cli_check_double(const char *cmd, const char *opt, double v, double lo, double hi, int open);

/* True when argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/* Option parsing for "--name value" and "--name=value". Returns 1 and sets
 * *value when argv[*i] is that option (advancing *i past a separate value),
 * 0 when it is another argument, -1 (after printing) when the value is missing. */
int cli_opt(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value);
int cli_opt_double(const char *cmd, int argc, char **argv, int *i, const char *name, double *out, int *err);
int cli_opt_int(const char *cmd, int argc, char **argv, int *i, const char *name, int *out, int *err);

#endif
