#include "record_check_cli.h"

#include <stdio.h>
#include <string.h>

int cli_record_check(const char *cmd, const ecgx_record *rec, cli_record_use use, int model_channels,
                     ecgx_record_check_report *report)
{
    ecgx_record_check_report local, *rep = report ? report : &local;
    ecgx_record_requirements req;
    memset(&req, 0, sizeof req);
    if (use == CLI_USE_MODEL || use == CLI_USE_EXPLAIN) req = ecgx_record_requirements_model(model_channels);
    if (use == CLI_USE_MEASURE) req.need_mv = 1;
    if (use == CLI_USE_EXPLAIN) {
        req.max_seconds = CLI_EXPLAIN_MAX_SECONDS;
        req.too_long = "cut a window first (ecgx convert RECORD window.hea --start S --duration 10) and "
                       "explain that";
    }
    int rc = ecgx_record_check(rec, &req, rep);
    if (rc == 0 && rep->warning[0]) fprintf(stderr, "ecgx %s: %s: %s\n", cmd, rec->name, rep->warning);
    return rc;
}
