/* Records in batches for the passes over a data set: the nn engine is
 * several times faster per record when one forward pass carries several
 * records (docs/nn.md: batch-major OpenMP, larger matrix products), so the
 * passes load up to CLUSTERS_BATCH records, run each stretch of
 * consecutive records with the same prepared length as one batch, and then
 * read every record's activations by its index in the batch. Records are
 * still consumed in data set order, so the sums and the reservoir see the
 * same sequence as one record at a time. */
#include "clusters/internal.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int name_record(const ecgx_dataset *ds, int idx, int rc)
{
    ecgx_dataset_entry e;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", ecgx_last_error());
    if (ecgx_dataset_record_info(ds, idx, &e) == 0) rc = ecgx_error(rc, "%s: %s", e.path, msg);
    return rc;
}

/* Batches pay only when OpenMP has more than one thread to spread the
 * batch over: on one thread (OMP_NUM_THREADS=1, quiet machine) the default
 * fit took 43.5 s in batches of 8 against 37.3 s one record at a time
 * (the activations of 8 records leave the cache), with two threads 24.6 s
 * in batches of 8. The results are byte-identical either way. */
int clusters_batch_size(void)
{
    return omp_get_max_threads() > 1 ? CLUSTERS_BATCH : 1;
}

void clusters_batch_clear(clusters_batch *b)
{
    for (int j = 0; j < b->n; j++) {
        free(b->x[j]);
        ecgx_record_free(b->rec[j]);
        b->x[j] = NULL;
        b->rec[j] = NULL;
    }
    b->n = 0;
}

void clusters_batch_free(clusters_batch *b)
{
    clusters_batch_clear(b);
    free(b->X);
    memset(b, 0, sizeof *b);
}

int clusters_batch_load(clusters_batch *b, const ecgx_model *m, const ecgx_dataset *ds, const int *idx, int n, int i0,
                        int size)
{
    clusters_batch_clear(b);
    if (size < 1) size = 1;
    if (size > CLUSTERS_BATCH) size = CLUSTERS_BATCH;
    for (int i = i0; i < n && b->n < size; i++) {
        int j = b->n;
        int rc = ecgx_dataset_load(ds, idx[i], &b->rec[j]);
        if (!rc) rc = ecgx_model_prepare_record(m, b->rec[j], 0, &b->x[j], &b->L[j], NULL, NULL, 0);
        b->idx[j] = idx[i];
        b->n++;
        if (rc) return name_record(ds, idx[i], rc);
    }
    return 0;
}

int clusters_batch_forward(clusters_batch *b, ecgx_model *m, const ecgx_dataset *ds, int j0, int *j1)
{
    int L = b->L[j0], j = j0;
    while (j < b->n && b->L[j] == L) j++;
    *j1 = j;
    int cin = ecgx_model_in_channels(m), cnt = j - j0;
    size_t per = (size_t)cin * L, need = per * cnt;
    if (need > b->cap) {
        float *X = realloc(b->X, sizeof(float) * need);
        if (!X) return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory for a batch of %d records", cnt);
        b->X = X;
        b->cap = need;
    }
    for (int q = 0; q < cnt; q++) memcpy(b->X + per * q, b->x[j0 + q], sizeof(float) * per);
    int was_training = ecgx_model_is_training(m);
    ecgx_model_set_training(m, 0);
    int rc = ecgx_model_forward(m, b->X, cnt, L, NULL);
    ecgx_model_set_training(m, was_training);
    return rc < 0 ? name_record(ds, b->idx[j0], rc) : 0;
}
