/* How many threads are worth starting now. The library's layer loops meet at
 * a barrier per layer; on a machine whose cores are already busy with other
 * processes, a thread that is descheduled holds every barrier up for a time
 * slice, hundreds of times a pass. Measured on 2 cores with other jobs
 * running: `ecgx explain` (IG, 64 steps, resnet1d_wang, 12 x 1000) took 2.0 s
 * with 2 threads and 0.65 s with 1. So a short command counts the tasks that
 * are runnable right now (the fourth field of /proc/loadavg, itself included)
 * and leaves the busy cores alone. OpenMP's own dynamic adjustment uses the
 * 15-minute load average instead, which lags and counts ecgx's own threads. */
#include "ecgx/nn.h"

#include <omp.h>
#include <stdio.h>

int ecgx_nn_threads_for_load(const char *loadavg, int ncpu, int want)
{
    if (want < 1) want = 1;
    double l1, l5, l15;
    int running = 0, total = 0;
    if (!loadavg || sscanf(loadavg, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &running, &total) != 5 || running < 1)
        return want; /* unreadable: no opinion */
    int free_cpus = ncpu - (running - 1); /* the caller is one of the runnable */
    if (free_cpus < 1) free_cpus = 1;
    return free_cpus < want ? free_cpus : want;
}

int ecgx_nn_threads_available(void)
{
    int want = omp_get_max_threads();
    char line[128] = "";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        fclose(f);
    }
    return ecgx_nn_threads_for_load(line[0] ? line : NULL, omp_get_num_procs(), want);
}
