/* The nn commands' data in memory: records of the dataset module
 * (ecgx_dataset_open/split/load, its cache when present) in the standard
 * 12-lead order, through the model's preprocessing (ecgx_nn_preprocess). */
#include "nn_data.h"
#include "nn_regression.h"

#include "ecgx/common.h"
#include "ecgx/dataset.h"
#include "ecgx/nn.h"
#include "ecgx/record.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Record i, preprocessed, as 12 standard leads at fs. */
static int load_one(const ecgx_dataset *ds, int i, double fs, float **x, int *n)
{
    ecgx_record *rec = NULL, *std = NULL;
    int rc = ecgx_dataset_load(ds, i, &rec);
    unsigned missing = 0;
    if (!rc && !(std = ecgx_record_to_standard12(rec, &missing))) rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    if (!rc && missing) {
        char names[128] = "";
        for (int l = 0; l < ECGX_N_STD_LEADS; l++)
            if (missing & (1u << l)) {
                size_t k = strlen(names);
                snprintf(names + k, sizeof names - k, "%s%s", k ? ", " : "", ecgx_lead_std_name(l));
            }
        rc = ecgx_error(ECGX_ERR_FORMAT, "needs the 12 standard leads; missing %s", names);
    }
    int64_t m = 0;
    if (!rc) rc = ecgx_nn_preprocess(std->data, ECGX_N_STD_LEADS, std->n_samples, std->fs, fs, x, &m);
    if (!rc && m > INT_MAX / ECGX_N_STD_LEADS) {
        free(*x);
        *x = NULL;
        rc = ecgx_error(ECGX_ERR_RANGE, "%lld samples is too long", (long long)m);
    }
    if (!rc) *n = (int)m;
    ecgx_record_free(std);
    ecgx_record_free(rec);
    return rc;
}

int nn_data_load(const char *dirs, const char *label_set, double fs, int min_length, int quiet, nn_data *d)
{
    return nn_data_load_ex(dirs, label_set, NULL, NULL, fs, min_length, quiet, d);
}

int nn_data_load_ex(const char *dirs, const char *label_set, const char *labels_file, const char *label_column,
                    double fs, int min_length, int quiet, nn_data *d)
{
    memset(d, 0, sizeof *d);
    d->fs = fs;
    d->n_leads = ECGX_N_STD_LEADS;
    ecgx_dataset_options opt;
    ecgx_dataset_options_init(&opt);
    opt.label_set = label_set;
    opt.labels_file = labels_file;
    opt.label_column = label_column;
    d->regression = nn_label_set_is_regression(label_set);
    /* the dataset would drop records of unknown age silently; keep them in
     * the index (NaN target) so that they can be counted per split */
    if (d->regression) opt.keep_unlabeled = 1;
    ecgx_dataset *ds = NULL;
    int rc = ecgx_dataset_open(dirs, &opt, &ds);
    if (rc < 0) return rc;
    const char *warn = ecgx_dataset_warnings(ds);
    if (!quiet && warn && *warn) fprintf(stderr, "ecgx: %s\n", warn);
    int np = ecgx_dataset_size(ds);
    d->n_classes = ecgx_dataset_n_classes(ds);
    for (int s = 0; s < ecgx_dataset_n_sources(ds); s++) {
        ecgx_dataset_source si;
        ecgx_dataset_source_info(ds, s, &si);
        if (s == 0) snprintf(d->label_set, sizeof d->label_set, "%s", si.label_set);
        else if (strcmp(d->label_set, si.label_set)) snprintf(d->label_set, sizeof d->label_set, "mixed");
    }
    if (np < 1 || d->n_classes < 1) {
        ecgx_dataset_free(ds);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: no record has a label of the set '%s'", dirs, label_set);
    }
    d->classes = calloc((size_t)d->n_classes, sizeof(char *));
    d->ids = calloc((size_t)np, sizeof(char *));
    d->split = calloc((size_t)np, sizeof(int));
    d->fold = calloc((size_t)np, sizeof(int));
    d->offset = calloc((size_t)np, sizeof(int64_t));
    d->length = calloc((size_t)np, sizeof(int));
    d->y = calloc((size_t)np * d->n_classes, sizeof(float));
    if (!d->classes || !d->ids || !d->split || !d->fold || !d->offset || !d->length || !d->y) rc = ECGX_ERR_NOMEM;
    for (int c = 0; c < d->n_classes && !rc; c++)
        if (!(d->classes[c] = strdup(ecgx_dataset_class_name(ds, c)))) rc = ECGX_ERR_NOMEM;
    int64_t xcap = 0, xn = 0;
    for (int i = 0; i < np && !rc; i++) {
        ecgx_dataset_entry info;
        float *x = NULL;
        int n = 0, k = d->n;
        if ((rc = ecgx_dataset_record_info(ds, i, &info)) < 0) break;
        int labelled = ecgx_dataset_labels(ds, i, d->y + (int64_t)k * d->n_classes) == 0;
        for (int c = 0; labelled && c < d->n_classes; c++) labelled = isfinite(d->y[(int64_t)k * d->n_classes + c]);
        if (!labelled && d->regression) {
            if (info.split >= 0 && info.split < 3) d->n_no_target[info.split]++;
            continue;
        }
        if (!labelled) { /* e.g. unknown sex */
            if (!quiet) fprintf(stderr, "ecgx: skipping %s: no value for the label set\n", info.path);
            d->n_skipped++;
            continue;
        }
        if (load_one(ds, i, fs, &x, &n) < 0 || n < min_length) {
            if (!quiet)
                fprintf(stderr, "ecgx: skipping %s: %s\n", info.path,
                        x ? "shorter than the model's input window" : ecgx_last_error());
            free(x);
            d->n_skipped++;
            continue;
        }
        if (xn + 12 * (int64_t)n > xcap) {
            int64_t nc = (xn + 12 * (int64_t)n) * 2;
            float *nx = realloc(d->x, sizeof(float) * (size_t)nc);
            if (!nx) {
                free(x);
                rc = ECGX_ERR_NOMEM;
                break;
            }
            d->x = nx;
            xcap = nc;
        }
        memcpy(d->x + xn, x, sizeof(float) * 12 * (size_t)n);
        free(x);
        d->offset[k] = xn;
        d->length[k] = n;
        xn += 12 * (int64_t)n;
        d->ids[k] = strdup(info.path);
        d->split[k] = (int)info.split;
        d->fold[k] = info.fold;
        if (!d->ids[k]) rc = ECGX_ERR_NOMEM;
        d->n++;
    }
    ecgx_dataset_free(ds);
    if (rc == ECGX_ERR_NOMEM) rc = ecgx_error(rc, "%s: out of memory", dirs);
    if (!rc && d->n == 0)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: no usable record%s", dirs, d->regression ? " with a known age" : "");
    if (rc < 0) nn_data_free(d);
    return rc;
}

void nn_data_free(nn_data *d)
{
    for (int i = 0; d->ids && i < d->n; i++) free(d->ids[i]);
    for (int i = 0; d->classes && i < d->n_classes; i++) free(d->classes[i]);
    free(d->classes);
    free(d->ids);
    free(d->split);
    free(d->fold);
    free(d->offset);
    free(d->length);
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

int nn_data_split(const nn_data *d, const char *which, int **idx, int *n)
{
    int want = -1, fold = 0;
    if (!strcmp(which, "train")) want = 0;
    else if (!strcmp(which, "val")) want = 1;
    else if (!strcmp(which, "test")) want = 2;
    else if (!strcmp(which, "all")) want = 3;
    else if (!strncmp(which, "fold:", 5) && (fold = atoi(which + 5)) >= 1 && fold <= 10) want = 4;
    else return ecgx_error(ECGX_ERR_ARG, "split '%s': use train, val, test, all or fold:N", which);
    *idx = malloc(sizeof(int) * (d->n + 1));
    *n = 0;
    for (int i = 0; i < d->n; i++)
        if (want == 3 || (want < 3 && d->split[i] == want) || (want == 4 && d->fold[i] == fold)) (*idx)[(*n)++] = i;
    return 0;
}
