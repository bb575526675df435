/* Shared by the explanation commands (explain, analyze, xai-bench): method
 * options from the command line, and one record explained end to end
 * (read, the model's preprocessing, attribution, fiducials, summary). */
#ifndef ECGX_TOOLS_XAI_CLI_H
#define ECGX_TOOLS_XAI_CLI_H

#include "ecgx/xai.h"

#include <stdio.h>

/* Parse one method option at argv[*i] into o (the method itself with
 * --method). Returns 1 when consumed, 0 when not an option of ours, -1 on a
 * usage error (printed). */
int xai_cli_option(const char *cmd, int argc, char **argv, int *i, ecgx_xai_options *o, const char **target);
/* Help text for those options. */
void xai_cli_option_help(FILE *out);

/* The target spelled on the command line: "top", a class name or an index. */
int xai_cli_target(const ecgx_model *m, const char *spec, int *target);

typedef struct xai_explained {
    ecgx_record *rec;          /* as read */
    float *x;                  /* model input [C][L] */
    int L;
    double fs;                 /* model rate */
    float *probs;              /* sigmoid of the logits on the whole record [n_classes] */
    ecgx_attribution *a;
    ecgx_fiducials *fid;       /* at the model rate, NULL when delineation failed */
    uint8_t *seg;              /* C * L segment labels */
    ecgx_xai_summary sum;
    double seconds;            /* attribution time */
} xai_explained;

/* Read (if rec is NULL, from path), prepare and explain. */
int xai_cli_explain(ecgx_model *m, const char *path, ecgx_record *rec, const ecgx_xai_options *o, xai_explained *e);
void xai_explained_free(xai_explained *e);

#endif
