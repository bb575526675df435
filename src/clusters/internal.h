/* Shared insides of the clusters module: not part of the public API. */
#ifndef ECGX_CLUSTERS_INTERNAL_H
#define ECGX_CLUSTERS_INTERNAL_H

#include "ecgx/clusters.h"

/* Layer indices of c's layer names in m; error naming the missing one. */
int clusters_layer_indices(const ecgx_clusters *c, const ecgx_model *m, int *idx);

/* ecgx_clusters_features without the forward pass: the activations of
 * sample b of the model's last forward (a batch of inputs of `length`
 * samples each; b = 0 for a single record). */
int clusters_collect(const ecgx_model *m, const int *layers, int n_layers, int length, int b, float *feat, int *dim,
                     int shift);

/* Standardised features and posterior of the input of the model's last
 * forward pass (one input of `length` samples): resp [length][k]
 * (malloc'd into *resp). */
int clusters_posterior(const ecgx_clusters *c, const ecgx_model *m, const int *idx, int length, int b, float **resp);
/* ecgx_clusters_assign_input after its forward pass: everything the clusters
 * add to the network's own work (timed apart by bench/bench_clusters). */
int clusters_assign_forwarded(const ecgx_clusters *c, const ecgx_model *m, int length, int b, ecgx_clusters_record *out);

/* The surrogate's features of a record: its cluster proportions, and (when
 * c->surrogate_features is 2) each cluster's largest proportion over the
 * model's windows. */
int clusters_surrogate_dim(const ecgx_clusters *c);
void clusters_surrogate_features(const ecgx_clusters *c, const ecgx_clusters_record *r, float *f);
/* Per-window modes (3, 4): the features of window w [clusters_window_dim]:
 * its proportions, and in mode 4 also window_extra's k + 2. */
int clusters_window_dim(const ecgx_clusters *c);
void clusters_window_features(const ecgx_clusters *c, const ecgx_clusters_record *r, int w, float *f);
/* Surrogate modes that work per window. */
#define CLUSTERS_PER_WINDOW(c) ((c)->surrogate_features >= 3)

/* What one pass over records gives (records.c). */
typedef struct clusters_pass_out {
    int n;
    float *prop;          /* [n][k] cluster proportions */
    float *sfeat;         /* [n][clusters_surrogate_dim] the surrogate's features */
    /* per window (surrogate mode 3): proportions [n_win][k], the CNN's window
     * logits [n_win][n_classes], and record i's windows win_off[i]..win_off[i+1]-1 */
    int n_win, cap_win;
    float *wprop, *wlogit; /* wprop rows: clusters_window_dim features */
    int *win_off;
    double *entropy;      /* [n] mean entropy */
    float *cnn;           /* [n][n_classes] CNN probabilities */
    float *y;             /* [n][n_classes] true labels */
    double *contingency;  /* [k][ECGX_CW_N] model-rate samples */
    int n_delineated;
} clusters_pass_out;
int clusters_pass(const ecgx_clusters *c, ecgx_model *m, const ecgx_dataset *ds, const int *idx, int n,
                  const char *label, int quiet, clusters_pass_out *o);
void clusters_pass_free(clusters_pass_out *o);

/* Up to CLUSTERS_BATCH records loaded and prepared for the model (batch.c):
 * clusters_batch_forward runs records j0.. that share j0's length as one
 * batch (their activations are then sample j - j0 of the model's) and sets
 * *j1 to the first record it did not take. 8 records of 10 s keep every
 * layer's activations of resnet1d_wang in about 80 MB. */
#define CLUSTERS_BATCH 8
typedef struct clusters_batch {
    int n;
    ecgx_record *rec[CLUSTERS_BATCH];
    float *x[CLUSTERS_BATCH];
    int L[CLUSTERS_BATCH], idx[CLUSTERS_BATCH];
    float *X;
    size_t cap;
} clusters_batch;
int clusters_batch_load(clusters_batch *b, const ecgx_model *m, const ecgx_dataset *ds, const int *idx, int n, int i0,
                        int size);
int clusters_batch_forward(clusters_batch *b, ecgx_model *m, const ecgx_dataset *ds, int j0, int *j1);
void clusters_batch_clear(clusters_batch *b);
/* Records per batch: CLUSTERS_BATCH with more than one OpenMP thread, else 1. */
int clusters_batch_size(void);
void clusters_batch_free(clusters_batch *b);

/* Monotonic seconds. */
double clusters_now(void);

#endif
