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

/* Set o->baseline to XAI_CLI_BASELINE_UNSET before parsing; after the model
 * is loaded, xai_cli_resolve_baseline puts the model's default baseline
 * (ecgx_xai_default_baseline) where --baseline did not choose one. */
#define XAI_CLI_BASELINE_UNSET ((ecgx_xai_baseline)-1)
void xai_cli_resolve_baseline(const ecgx_model *m, ecgx_xai_options *o);

/* The target spelled on the command line: "top", a class name or an index. */
int xai_cli_target(const ecgx_model *m, const char *spec, int *target);

/* The model's per-class decision thresholds: its own when it stores them,
 * else 0.5. The one place the explanation commands take them from (the
 * model's thresholds get a library reader with issue 11 item 2; switch here).
 * Returns 1 when they are the model's. */
int xai_cli_thresholds(const ecgx_model *m, double *thr);

typedef struct xai_explained {
    ecgx_record *rec;          /* as read */
    float *x;                  /* model input [C][L] */
    int L;
    double fs;                 /* model rate */
    float *probs;              /* the displayed probabilities [n_classes]: as ecgx predict, the max over
                                  the model's windows (the whole input when shorter than a window) */
    float *probs_whole;        /* one pass over the whole input [n_classes] */
    float *baseline_probs;     /* the explanation's baseline, scored by the model [n_classes] */
    double p_explained;        /* sigmoid of the explained logit (a->logit) */
    int window, stride;        /* the model's windows, samples at fs */
    double thr[64];            /* decision thresholds (xai_cli_thresholds) */
    int thr_from_model;
    ecgx_attribution *a;
    ecgx_fiducials *fid;       /* at the model rate, NULL when delineation failed */
    uint8_t *seg;              /* C * L segment labels */
    ecgx_xai_summary sum;
    double seconds;            /* attribution time */
} xai_explained;

/* Read (if rec is NULL, from path), prepare and explain: the window that gave
 * the displayed (maximum) probability of the target, placed in the record's
 * time (ecgx_xai_attribute_windowed), or with `whole` one pass over the whole
 * record. */
int xai_cli_explain(ecgx_model *m, const char *path, ecgx_record *rec, const ecgx_xai_options *o, int whole,
                    xai_explained *e);

/* One line that names the output explained, e.g. "CD probability 0.510, the
 * maximum over 7 windows of 2.5 s: window 5.00-7.50 s" (no newline). */
void xai_cli_explained_output(const xai_explained *e, const char *cls, char *buf, size_t n);
/* One line with the baseline's own probabilities, saying which classes it
 * already scores at or above threshold; "" when the method uses no baseline. */
void xai_cli_baseline_line(const ecgx_model *m, const xai_explained *e, char *buf, size_t n);
void xai_explained_free(xai_explained *e);

#endif
