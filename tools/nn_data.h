/* Training data for the nn commands, in memory and preprocessed.
 *
 * INTERIM ADAPTER: this reads PTB-XL (ptbxl_database.csv) and labels.csv
 * folders and WFDB format-16 records itself, because the dataset and io
 * modules were not on main when the nn engine was written. Everything the nn
 * commands need from the data goes through the functions below, so switching
 * to ecgx_dataset_open / ecgx_dataset_load touches only nn_data.c.
 *
 * Preprocessing is the library's (ecgx_nn_preprocess, ECGX_NN_PREPROCESSING
 * in ecgx/nn.h), the same for every source. */
#ifndef ECGX_TOOLS_NN_DATA_H
#define ECGX_TOOLS_NN_DATA_H

#include <stdint.h>

typedef struct nn_data {
    int n, n_leads, n_classes;
    char **classes;      /* n_classes names, sorted */
    char **ids;          /* record ids ("ptbxl:1", "ptbxl-filtered:519") */
    int *split;          /* 0 train, 1 val, 2 test */
    int *fold;           /* 1..10, 0 unknown */
    int64_t *offset;     /* start of record i in x (floats) */
    int *length;         /* samples per lead of record i */
    float *x;            /* record i: [n_leads][length[i]] at offset[i] */
    float *y;            /* [n][n_classes] */
    double fs;
    int n_skipped;       /* records left out (too short, NaN, unreadable), each reported on stderr */
} nn_data;

/* Load every record of the comma-separated folders, with the label set
 * ("superdiagnostic"), preprocessed at rate fs. Records without any label
 * of the set are dropped (as the PTB-XL benchmark does). */
int nn_data_load(const char *dirs, const char *label_set, double fs, int min_length, int quiet, nn_data *out);
void nn_data_free(nn_data *d);

/* Indices of a split: "train", "val", "test", "all", "fold:N". malloc'd. */
int nn_data_split(const nn_data *d, const char *which, int **idx, int *n);

/* A record read from a WFDB header path (with or without .hea), as 12
 * standard leads [12][n], preprocessed at rate fs. *fs_in receives the
 * record's own rate. */
int nn_record_load(const char *path, double fs, float **x, int *n, double *fs_in);

#endif
