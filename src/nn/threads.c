/* How many threads are worth starting now. The library's layer loops meet at
 * a barrier per layer; on a machine whose cores are already busy with other
 * processes, a thread that is descheduled holds every barrier up for a time
 * slice, hundreds of times a pass. Measured on 2 cores with other jobs
 * running: `ecgx explain` (IG, 64 steps, resnet1d_wang, 12 x 1000) took 2.0 s
 * with 2 threads and 0.65 s with 1. So a short command counts the tasks that
 * are runnable right now (the fourth field of /proc/loadavg) and leaves the
 * busy cores alone; the caller and its own runnable threads (OpenMP workers
 * spin for a while after a parallel region) are not counted as others.
 * OpenMP's own dynamic adjustment uses the 15-minute load average instead,
 * which lags and counts ecgx's own threads. */
#include "ecgx/nn.h"

#include <dirent.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

int ecgx_nn_threads_for_load(const char *loadavg, int ncpu, int want, int own)
{
    if (want < 1) want = 1;
    double l1, l5, l15;
    int running = 0, total = 0;
    if (!loadavg || sscanf(loadavg, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &running, &total) != 5 || running < 1)
        return want; /* unreadable: no opinion */
    int others = running - 1 - (own > 0 ? own : 0); /* the caller and its own threads are not others */
    int free_cpus = ncpu - (others > 0 ? others : 0);
    if (free_cpus < 1) free_cpus = 1;
    return free_cpus < want ? free_cpus : want;
}

/* This process's threads other than the caller that are runnable now. */
static int own_running(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    char path[300], buf[256];
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = 0;
        const char *p = strrchr(buf, ')'); /* "tid (comm) S ...": the state follows the name */
        if (p && p[1] == ' ' && p[2] == 'R') n++;
    }
    closedir(d);
    return n > 0 ? n - 1 : 0; /* the caller is counted apart */
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
    return ecgx_nn_threads_for_load(line[0] ? line : NULL, omp_get_num_procs(), want, own_running());
}
