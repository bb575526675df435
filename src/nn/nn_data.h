/* Training and evaluation data for the nn commands, in memory and
 * preprocessed: every source and label set the dataset module offers
 * (ecgx_dataset_open: PTB-XL's sets, labels.csv classes, Challenge #Dx,
 * sex), read through it (its cache when present), in the standard 12-lead
 * order, with the library's preprocessing (ecgx_nn_preprocess). */
#ifndef ECGX_NN_NN_DATA_H
#define ECGX_NN_NN_DATA_H

#include <stdint.h>

typedef struct nn_data {
    int n, n_leads, n_classes;
    char **classes;      /* n_classes names, sorted */
    char **ids;          /* record paths (without extension), as the dataset gives them */
    int *split;          /* 0 train, 1 val, 2 test */
    int *fold;           /* 1..10, 0 unknown (the dataset module's) */
    int64_t *offset;     /* start of record i in x (floats) */
    int *length;         /* samples per lead of record i */
    float *x;            /* record i: [n_leads][length[i]] at offset[i] */
    float *y;            /* [n][n_classes] */
    double fs;
    char label_set[64];  /* the set the labels really are, from the folders (a labels.csv of
                            other classes is "labels" whatever name was asked for); "mixed" */
    int n_skipped;       /* records left out (too short, NaN, unreadable), each reported on stderr */
    int regression;      /* the label set is a regression target ("age"): y holds its value */
    int n_no_target[3];  /* regression: records of each split (train, val, test) left out because
                            their target is unknown (age < 0); counted, not named one by one */
} nn_data;

/* Load every record of the comma-separated folders, with the label set
 * ("superdiagnostic"), preprocessed at rate fs. Records without any label
 * of the set are dropped (as the PTB-XL benchmark does); for "age", records
 * whose age is unknown are dropped and counted per split in n_no_target. */
int nn_data_load(const char *dirs, const char *label_set, double fs, int min_length, int quiet, nn_data *out);
/* The same with a labels CSV from anywhere and/or one label column of it
 * (ecgx_dataset_options.labels_file / label_column; NULL: none). */
int nn_data_load_ex(const char *dirs, const char *label_set, const char *labels_file, const char *label_column,
                    double fs, int min_length, int quiet, nn_data *out);
void nn_data_free(nn_data *d);

/* Indices of a split: "train", "val", "test", "all", "fold:N". malloc'd. */
int nn_data_split(const nn_data *d, const char *which, int **idx, int *n);

#endif
