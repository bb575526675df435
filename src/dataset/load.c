/* Reading a record's signal: in place from the folder's cache when one is
 * attached, otherwise through the io module. */
#include "dataset/internal.h"

#include "core/strutil.h"
#include "ecgx/io.h"
#include "ecgx/record_check.h"

#include <string.h>

static int set_metadata(const ecgx_dataset *ds, int i, ecgx_record *rec)
{
    const ds_rec *r = &ds->recs[i];
    const ds_entry *e = &ds->sources[r->source].entries[r->entry];
    if (e->age >= 0) rec->age = e->age;
    if (e->sex != ECGX_SEX_UNKNOWN) rec->sex = (ecgx_sex)e->sex;
    if (ds->set == SET_SEX || ds->set == SET_AGE) return 0;
    const float *y = ds->y + (size_t)i * (size_t)ds->n_classes;
    for (int c = 0; c < ds->n_classes; c++) {
        if (y[c] != 1.0f) continue;
        int rc = ecgx_record_add_label(rec, ds->classes[c]);
        if (rc) return rc;
    }
    return 0;
}

int ecgx_dataset_load(const ecgx_dataset *ds, int i, ecgx_record **out)
{
    *out = NULL;
    int rc = ds_check_index(ds, i);
    if (rc) return rc;
    const ds_rec *r = &ds->recs[i];
    const ds_source *src = &ds->sources[r->source];
    ecgx_record *rec = NULL;
    if (src->cache && r->cache_entry >= 0) {
        const float *data;
        int n_leads;
        int64_t n_samples;
        double fs;
        rc = ds_cache_samples(src->cache, r->cache_entry, 1, &data, &n_leads, &n_samples, &fs);
        if (rc) return rc;
        rec = ecgx_record_new(n_leads, n_samples, fs);
        if (!rec) return ECGX_ERR_NOMEM;
        memcpy(rec->data, data, (size_t)n_leads * (size_t)n_samples * sizeof *data);
        for (int l = 0; l < n_leads; l++) {
            const char *name, *unit;
            ds_cache_lead(src->cache, r->cache_entry, l, &name, &unit);
            ecgx_record_set_lead(rec, l, name, unit);
        }
        ecgx_path_stem(r->path, rec->name, sizeof rec->name);
    } else {
        rc = ecgx_record_read(r->path, &rec);
        if (rc) return rc;
    }
    /* the input check every command makes (no lead or unit named here: the
     * model's preprocessing decides those); a record of NaN trains nothing */
    ecgx_record_requirements req = {0};
    if ((rc = ecgx_record_check(rec, &req, NULL)) || (rc = set_metadata(ds, i, rec))) {
        ecgx_record_free(rec);
        return rc;
    }
    *out = rec;
    return 0;
}

