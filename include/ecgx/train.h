/* Training a 12-lead CNN with the PTB-XL benchmark's recipe (Strodthoff et
 * al. 2021), as a library call: ecgx train is a thin layer over it.
 *
 * The recipe: random crops of `window_s` seconds, batches of `batch` (the
 * last partial batch of each epoch's shuffle dropped), AdamW with a
 * one-cycle schedule (momentum cycled 0.95-0.85), BCE-with-logits; after
 * every epoch the validation macro AUROC over sliding windows (stride half
 * the window, max over windows), and the best epoch's weights are what
 * `out` receives. After every epoch a checkpoint (<out>.ckpt and
 * <out>.ckpt.optim) lets `resume` continue after a kill, losing at most the
 * epoch that was running; a finished run removes them unless
 * `keep_checkpoints`. At the end per-class decision thresholds are chosen
 * on the validation split's predictions of the best epoch (`rule`, see
 * ecgx_eval_choose_thresholds) and stored in the model. A run that cannot
 * learn (a class without positives or without negatives in training, fewer
 * training records than one batch, no epoch that improved on validation)
 * is an error, not a model.
 *
 * Label set "age" is a regression: one output trained with MSE on the age
 * standardised by the training split's mean and SD (stored in the model),
 * records of unknown age left out, the epoch with the lowest validation MAE
 * kept (windows aggregated by their mean). */
#ifndef ECGX_TRAIN_H
#define ECGX_TRAIN_H

#include "ecgx/eval.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ecgx_train_options {
    const char *data;          /* comma-separated data folders (required) */
    const char *out;           /* the model file; NULL only with export_dir */
    const char *labels;        /* label set: "superdiagnostic" (default), ..., "age" */
    const char *labels_file;   /* a labels CSV from anywhere, or NULL */
    const char *label_column;  /* one column of the labels CSV as the label, or NULL */
    const char *arch;          /* "resnet1d_wang" (default), "fcn_wang" */
    const char *export_dir;    /* write the preprocessed tensors there first (NULL: no) */
    int epochs, batch, seed;   /* 50, 128, 1 */
    double lr, wd;             /* 1e-2, 1e-2 */
    double fs, window_s;       /* 100 Hz, 2.5 s */
    ecgx_threshold_rule rule;  /* ECGX_THRESHOLD_F1 */
    double rule_target;        /* the sensitivity for ECGX_THRESHOLD_SENSITIVITY */
    int resume;                /* continue from <out>.ckpt when it exists */
    int keep_checkpoints;      /* keep <out>.ckpt(.optim) after a finished run */
    int quiet;                 /* no notes from the data loader */
} ecgx_train_options;

/* The defaults above. */
void ecgx_train_options_default(ecgx_train_options *o);

/* What the progress callback is told. */
typedef enum ecgx_train_event_kind {
    ECGX_TRAIN_NOTE = 1,   /* text: a note or warning (loading, resuming, a left-out batch) */
    ECGX_TRAIN_EPOCH_BEGIN, /* epoch (1-based), epochs, steps */
    ECGX_TRAIN_STEP,       /* step (1-based) done; loss: the epoch's mean so far */
    ECGX_TRAIN_EPOCH_END   /* loss: the epoch's mean; val: macro AUROC (classification) or
                              MAE in years (regression), NAN without a validation split;
                              val_rmse: regression RMSE */
} ecgx_train_event_kind;

typedef struct ecgx_train_event {
    ecgx_train_event_kind kind;
    int epoch, epochs, step, steps;
    int regression;
    double loss, val, val_rmse;
    const char *text;
} ecgx_train_event;

/* Called from the training thread; return non-zero to stop the run (an
 * error, the last checkpoint kept). */
typedef int (*ecgx_train_progress_fn)(const ecgx_train_event *ev, void *user);

typedef struct ecgx_train_result {
    int regression;
    int n_classes;
    char **classes;            /* n_classes names */
    char label_set[64];        /* the set the labels really are (ecgx_dataset) */
    int n_records, n_train, n_val, n_skipped;
    int n_no_target[3];        /* regression: records left out per split for an unknown target */
    int best_epoch;
    double best;               /* val macro AUROC, or val MAE (years) */
    double *best_auc;          /* [n_classes] per-class val AUROC of the best epoch (NAN: none) */
    double best_rmse;          /* regression: val RMSE of the best epoch */
    double mean_mae;           /* regression: val MAE of predicting the training mean */
    double target_mean, target_sd;
    double *thresholds;        /* [n_classes], valid when thresholds_rule[0] */
    char thresholds_rule[160]; /* how they were chosen; "" when none were stored */
    double final_loss;         /* the last epoch's mean training loss */
    double load_seconds, train_seconds;
    int exported_only;         /* export_dir written and no out: nothing trained */
    int n_ranks, rank;         /* data-parallel ranks (1: one process) and this one's number:
                                  only rank 0's result holds the scores and wrote the model */
    double data_seconds;       /* of train_seconds: assembling batches */
    double comm_seconds;       /* of train_seconds: all-reduce and broadcast (0 on one rank) */
    double val_seconds;        /* of train_seconds: validation (rank 0) */
} ecgx_train_result;

/* Runs the recipe. 0 on success, a negative ecgx error otherwise (the
 * message, naming the data or file, in ecgx_last_error).
 * *res is filled as far as the run got; free it with ecgx_train_result_free. */
int ecgx_train_run(const ecgx_train_options *opt, ecgx_train_progress_fn cb, void *user, ecgx_train_result *res);
void ecgx_train_result_free(ecgx_train_result *res);

/* Data parallelism: started by `mpirun -np N`, ecgx_train_run shards each
 * global batch of `batch` records over the N ranks (batch must divide by
 * N), starts every rank from rank 0's weights, sums the gradients and the
 * batch-norm statistics over the ranks (so N ranks compute the model one
 * process would, to float rounding), and rank 0 alone validates, calls the
 * callback, checkpoints and writes the model; a rank that fails prints why
 * and ends the job. 1 when this build has MPI (else mpirun of several
 * copies is refused). */
int ecgx_train_parallel_available(void);

#ifdef __cplusplus
}
#endif

#endif
