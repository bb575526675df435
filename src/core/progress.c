#include "ecgx/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double ecgx_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ecgx_progress_begin(ecgx_progress *p, const char *label, int64_t total, int quiet)
{
    memset(p, 0, sizeof *p);
    p->label = label;
    p->total = total;
    p->quiet = quiet;
    p->tty = isatty(fileno(stderr));
    p->t_start = ecgx_now();
    p->t_last = -1e9;
}

void ecgx_progress_set_extra(ecgx_progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->extra, sizeof p->extra, fmt, ap);
    va_end(ap);
}

static void draw(ecgx_progress *p, double now, int final)
{
    double el = now - p->t_start;
    double frac = p->total > 0 ? (double)p->done / (double)p->total : 0;
    double eta = frac > 0 ? el * (1 - frac) / frac : 0;
    if (p->tty) {
        char bar[31];
        int fill = (int)(frac * 30 + 0.5);
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%s [%s] %lld/%lld %.0fs eta %.0fs %s\033[K%s", p->label, bar, (long long)p->done,
                (long long)p->total, el, eta, p->extra, final ? "\n" : "");
    } else {
        fprintf(stderr, "%s: %lld/%lld (%.0f%%) %.1fs %s\n", p->label, (long long)p->done, (long long)p->total,
                100 * frac, el, p->extra);
    }
    fflush(stderr);
}

void ecgx_progress_update(ecgx_progress *p, int64_t done)
{
    p->done = done;
    if (p->quiet) return;
    double now = ecgx_now();
    if (now - p->t_last < (p->tty ? 0.1 : 5.0)) return;
    p->t_last = now;
    draw(p, now, 0);
}

void ecgx_progress_end(ecgx_progress *p)
{
    if (p->quiet) return;
    draw(p, ecgx_now(), 1);
}
