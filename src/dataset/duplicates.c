/* Records whose signals are byte-identical: the same recording listed twice
 * (under two ids, or in two folders) inflates a test set, and one copy in
 * train and one in test leaks. Each record's samples (with lead count,
 * length and rate) are hashed; records of equal hash are compared sample
 * for sample, so a reported pair is identical, not merely colliding. */
#include "dataset/internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct hashed {
    uint64_t h;
    int i;
} hashed;

static int cmp_hashed(const void *a, const void *b)
{
    const hashed *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->i - y->i;
}

static int signal_hash(const ecgx_dataset *ds, int i, uint64_t *h)
{
    ecgx_record *r = NULL;
    int rc = ecgx_dataset_load(ds, i, &r);
    if (rc < 0) return rc;
    uint64_t v = ds_fnv1a(DS_FNV_INIT, &r->n_leads, sizeof r->n_leads);
    v = ds_fnv1a(v, &r->n_samples, sizeof r->n_samples);
    v = ds_fnv1a(v, &r->fs, sizeof r->fs);
    *h = ds_fnv1a(v, r->data, sizeof(float) * (size_t)r->n_leads * (size_t)r->n_samples);
    ecgx_record_free(r);
    return 0;
}

static int same_signal(const ecgx_dataset *ds, int a, int b, int *same)
{
    ecgx_record *x = NULL, *y = NULL;
    int rc = ecgx_dataset_load(ds, a, &x);
    if (!rc) rc = ecgx_dataset_load(ds, b, &y);
    *same = !rc && x->n_leads == y->n_leads && x->n_samples == y->n_samples && x->fs == y->fs &&
            memcmp(x->data, y->data, sizeof(float) * (size_t)x->n_leads * (size_t)x->n_samples) == 0;
    ecgx_record_free(x);
    ecgx_record_free(y);
    return rc;
}

int ecgx_dataset_find_duplicates(const ecgx_dataset *ds, ecgx_dataset_duplicate **pairs, int *n_pairs,
                                 int *n_unreadable)
{
    *pairs = NULL;
    *n_pairs = 0;
    if (n_unreadable) *n_unreadable = 0;
    int n_all = ecgx_dataset_size(ds), rc = 0, cap = 0, n = 0;
    if (n_all < 2) return 0;
    hashed *hs = malloc(sizeof *hs * (size_t)n_all);
    if (!hs) return ecgx_error(ECGX_ERR_NOMEM, "duplicates: out of memory");
    for (int i = 0; i < n_all; i++) {
        hs[n].i = i;
        if (signal_hash(ds, i, &hs[n].h) == 0) n++;
        else if (n_unreadable) (*n_unreadable)++;
    }
    qsort(hs, (size_t)n, sizeof *hs, cmp_hashed);
    /* within a run of equal hashes, each record against the run's first
     * record it is identical to: one pair per extra copy */
    for (int a = 0; a < n && !rc;) {
        int b = a + 1;
        while (b < n && hs[b].h == hs[a].h) b++;
        for (int j = a + 1; j < b && !rc; j++)
            for (int k = a; k < j && !rc; k++) {
                int same = 0;
                if (same_signal(ds, hs[k].i, hs[j].i, &same) < 0 || !same) continue;
                if (*n_pairs == cap) {
                    cap = cap ? 2 * cap : 8;
                    ecgx_dataset_duplicate *np = realloc(*pairs, sizeof *np * (size_t)cap);
                    if (!np) { rc = ecgx_error(ECGX_ERR_NOMEM, "duplicates: out of memory"); break; }
                    *pairs = np;
                }
                (*pairs)[(*n_pairs)++] = (ecgx_dataset_duplicate){hs[k].i, hs[j].i};
                break;
            }
        a = b;
    }
    free(hs);
    if (rc) {
        free(*pairs);
        *pairs = NULL;
        *n_pairs = 0;
    }
    return rc;
}
