/* ecgx — git-style dispatcher: `ecgx <command> [options]`. Each command is a
 * thin layer over the library: parse arguments, call, print. */
#include "cli.h"
#include "ecgx/common.h"

#include <string.h>

typedef struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
#define CMD(name, fn, summary) {name, fn, summary},
#include "commands.h"
#undef CMD
    {NULL, NULL, NULL}, /* keeps the table valid while it is short */
};

static void usage(FILE *out)
{
    fprintf(out, "usage: ecgx <command> [options]   (ecgx <command> --help for details)\n\n"
                 "ecgx %s: explainable deep learning for the 12-lead ECG\n\ncommands:\n", ecgx_version());
    for (size_t i = 0; commands[i].name; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input, 2 usage error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) { usage(stderr); return EXIT_USAGE; }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) { usage(stdout); return EXIT_OK; }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("ecgx %s\n", ecgx_version());
        return EXIT_OK;
    }
    for (size_t i = 0; commands[i].name; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ecgx: '%s' is not a command\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
