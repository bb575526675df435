/* The commands' side of the shared input check (ecgx_record_check): which
 * requirements a use has, and saying what the check found. */
#ifndef ECGX_TOOLS_RECORD_CHECK_CLI_H
#define ECGX_TOOLS_RECORD_CHECK_CLI_H

#include "ecgx/record_check.h"

typedef enum cli_record_use {
    CLI_USE_VIEW,    /* drawn or timed (render, peaks): any leads, any unit (said when not mV) */
    CLI_USE_MEASURE, /* amplitudes measured (features): mV */
    CLI_USE_MODEL,   /* a model's input (predict, eval, train): the model's leads, none flat */
    CLI_USE_EXPLAIN  /* explained by a model (explain, analyze, report): as MODEL, at most 60 s */
} cli_record_use;

/* The longest record `ecgx explain` takes at once: IG keeps a batch's
 * activations for the backward pass, 32 MB per 10 s sample for
 * resnet1d_wang; 60 s keeps a run under 0.5 GB and a few seconds. */
#define CLI_EXPLAIN_MAX_SECONDS 60.0

/* Check `rec` for `use` (model_channels: the model's input channels, 0 for
 * no model). Warnings go to stderr as "ecgx CMD: NAME: ..."; returns 0, or
 * the negative status with ecgx_last_error saying why the record is
 * refused. `report` (may be NULL) receives the measurements. */
int cli_record_check(const char *cmd, const ecgx_record *rec, cli_record_use use, int model_channels,
                     ecgx_record_check_report *report);

#endif
