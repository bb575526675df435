/* Progress for long jobs: a bar redrawn in place on a terminal, plain
 * timestamped lines (at most one every few seconds) when stderr is a file or
 * a pipe, nothing when quiet. */
#ifndef ECGX_PROGRESS_H
#define ECGX_PROGRESS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ecgx_progress {
    const char *label;
    int64_t total, done;
    int tty, quiet;
    double t_start, t_last;
    char extra[128]; /* free text shown after the counts (loss, AUROC, ...) */
} ecgx_progress;

void ecgx_progress_begin(ecgx_progress *p, const char *label, int64_t total, int quiet);
/* Set progress to `done` units and redraw if enough time has passed. */
void ecgx_progress_update(ecgx_progress *p, int64_t done);
void ecgx_progress_set_extra(ecgx_progress *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void ecgx_progress_end(ecgx_progress *p);

/* Monotonic seconds, for progress and benchmarks. */
double ecgx_now(void);

#ifdef __cplusplus
}
#endif
#endif
