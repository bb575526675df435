/* nn_dist_*: see dist.h. The MPI calls live only here so that a build
 * without MPI (make MPI=0) keeps everything else unchanged. */
#include "nn/dist.h"

#include "ecgx/common.h"
#include "ecgx/progress.h"

#include <limits.h>
#include <stdlib.h>

#ifdef ECGX_HAVE_MPI
#include <mpi.h>
static int we_initialised; /* nn_dist_begin called MPI_Init */
#endif

static double comm_s;

/* Whether a launcher started several copies of this process. */
static int launched_size(void)
{
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v);
    }
    return 1;
}

int nn_dist_available(void)
{
#ifdef ECGX_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

int nn_dist_begin(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    comm_s = 0;
    int launched = launched_size();
#ifdef ECGX_HAVE_MPI
    if (launched > 1) {
        int init = 0;
        MPI_Initialized(&init);
        if (!init) {
            if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
                return ecgx_error(ECGX_ERR_STATE, "MPI_Init failed (started by mpirun, but MPI could not start)");
            we_initialised = 1;
        }
        MPI_Comm_rank(MPI_COMM_WORLD, rank);
        MPI_Comm_size(MPI_COMM_WORLD, size);
    }
    return 0;
#else
    if (launched > 1)
        return ecgx_error(ECGX_ERR_UNSUPPORTED,
                          "started as %d copies (mpirun?) but this ecgx was built without MPI: rebuild it with "
                          "libopenmpi-dev installed (make MPI=1) or run it without mpirun",
                          launched);
    return 0;
#endif
}

void nn_dist_end(void)
{
#ifdef ECGX_HAVE_MPI
    if (we_initialised) {
        MPI_Finalize();
        we_initialised = 0;
    }
#endif
}

void nn_dist_sum_f64(double *buf, int n)
{
#ifdef ECGX_HAVE_MPI
    if (!we_initialised) return;
    double t = ecgx_now();
    MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    comm_s += ecgx_now() - t;
#else
    (void)buf;
    (void)n;
#endif
}

void nn_dist_sum_f32(float *buf, long n)
{
#ifdef ECGX_HAVE_MPI
    if (!we_initialised) return;
    double t = ecgx_now();
    for (long o = 0; o < n; o += INT_MAX / 2) { /* MPI counts are int */
        long k = n - o < INT_MAX / 2 ? n - o : INT_MAX / 2;
        MPI_Allreduce(MPI_IN_PLACE, buf + o, (int)k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    comm_s += ecgx_now() - t;
#else
    (void)buf;
    (void)n;
#endif
}

void nn_dist_bcast_f32(float *buf, long n)
{
#ifdef ECGX_HAVE_MPI
    if (!we_initialised) return;
    double t = ecgx_now();
    for (long o = 0; o < n; o += INT_MAX / 2) {
        long k = n - o < INT_MAX / 2 ? n - o : INT_MAX / 2;
        MPI_Bcast(buf + o, (int)k, MPI_FLOAT, 0, MPI_COMM_WORLD);
    }
    comm_s += ecgx_now() - t;
#else
    (void)buf;
    (void)n;
#endif
}

void nn_dist_bcast_f64(double *buf, int n)
{
#ifdef ECGX_HAVE_MPI
    if (!we_initialised) return;
    double t = ecgx_now();
    MPI_Bcast(buf, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    comm_s += ecgx_now() - t;
#else
    (void)buf;
    (void)n;
#endif
}

void nn_dist_abort(int code)
{
#ifdef ECGX_HAVE_MPI
    if (we_initialised) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    exit(code);
}

double nn_dist_seconds(void) { return comm_s; }
