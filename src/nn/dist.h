/* Data-parallel training's communication (internal): MPI when ecgx was
 * built with it (ECGX_HAVE_MPI) and the process was started by mpirun,
 * otherwise one rank and calls that do nothing. Collective calls take the
 * time they spend into nn_dist_seconds (the "all-reduce" share of a step). */
#ifndef ECGX_NN_DIST_H
#define ECGX_NN_DIST_H

/* Joins the job: *rank and *size (0 and 1 when not under mpirun). An error
 * when mpirun started several copies of an ecgx built without MPI (each
 * would train the whole model alone and write the same files). */
int nn_dist_begin(int *rank, int *size);
/* Leaves the job (MPI_Finalize when nn_dist_begin initialised MPI). */
void nn_dist_end(void);
/* In-place sums over all ranks; identical results on every rank. */
void nn_dist_sum_f64(double *buf, int n);
void nn_dist_sum_f32(float *buf, long n);
/* Rank 0's buffer to every rank. */
void nn_dist_bcast_f32(float *buf, long n);
void nn_dist_bcast_f64(double *buf, int n);
/* Ends every rank of the job (after the caller printed why). */
void nn_dist_abort(int code);
/* Seconds spent in the collective calls since nn_dist_begin. */
double nn_dist_seconds(void);
/* 1 when built with MPI. */
int nn_dist_available(void);

#endif
