/* A record made ready for a model: the preprocessing the model file names
 * (the nn training's: band-pass 0.5-40 Hz as a zero-phase 2nd-order
 * Butterworth high-pass and low-pass, resampling to the model's rate,
 * z-score per lead), at the record's full length. Interim: to be replaced
 * by the nn module's predict path once that is a library API. */
#include "xai/xai_internal.h"

#include "core/alloc.h"
#include "ecgx/dsp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double meta_double(const ecgx_model *m, const char *key, double dflt)
{
    const char *v = ecgx_model_meta(m, key);
    if (!v) return dflt;
    char *end;
    double d = strtod(v, &end);
    return end != v && isfinite(d) && d > 0 ? d : dflt;
}

int ecgx_xai_prepare_record(const ecgx_model *m, const ecgx_record *rec, float **x, int *length, double *fs_out)
{
    *x = NULL;
    if (!rec || rec->n_samples <= 0 || rec->fs <= 0)
        return ecgx_error(ECGX_ERR_ARG, "%s: empty record or no sampling rate", rec ? rec->name : "record");
    int C = ecgx_model_in_channels(m);
    double fs = meta_double(m, "fs", 100);
    ecgx_record *r = NULL;
    if (C == 12) {
        unsigned missing = 0;
        r = ecgx_record_to_standard12(rec, &missing);
        if (!r) return ecgx_error(ECGX_ERR_FORMAT, "%s: cannot arrange the leads into the standard 12", rec->name);
        if (missing == 0xFFFu) {
            ecgx_record_free(r);
            return ecgx_error(ECGX_ERR_FORMAT, "%s: none of the 12 standard leads is present", rec->name);
        }
    } else {
        if (rec->n_leads != C) return ecgx_error(ECGX_ERR_FORMAT, "%s: %d leads, the model expects %d", rec->name, rec->n_leads, C);
        r = ecgx_record_clone(rec);
        if (!r) return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    }
    int rc = 0;
    for (int l = 0; l < r->n_leads && !rc; l++) {
        float *v = ecgx_record_lead(r, l);
        ecgx_dsp_sanitize(v, r->n_samples);
        if (r->n_samples > 12) {
            rc = ecgx_filter_butter(v, r->n_samples, r->fs, 2, ECGX_HIGHPASS, 0.5, 0);
            if (!rc && 40.0 < 0.49 * r->fs) rc = ecgx_filter_butter(v, r->n_samples, r->fs, 2, ECGX_LOWPASS, 40.0, 0);
        }
    }
    if (!rc && fabs(r->fs - fs) > 1e-9) {
        ecgx_record *rr = NULL;
        rc = ecgx_record_resample(r, fs, &rr);
        if (!rc) {
            ecgx_record_free(r);
            r = rr;
        }
    }
    if (!rc && r->n_samples > 2000000) rc = ecgx_error(ECGX_ERR_RANGE, "%s: %lld samples is too long to explain", rec->name, (long long)r->n_samples);
    if (!rc) {
        *x = ecgx_malloc_array((size_t)C * r->n_samples, sizeof(float), "model input");
        if (!*x) rc = ECGX_ERR_NOMEM;
    }
    if (!rc) {
        for (int l = 0; l < C; l++) {
            memcpy(*x + (size_t)l * r->n_samples, ecgx_record_lead(r, l), sizeof(float) * r->n_samples);
            ecgx_zscore(*x + (size_t)l * r->n_samples, r->n_samples);
        }
        *length = (int)r->n_samples;
        if (fs_out) *fs_out = fs;
    }
    ecgx_record_free(r);
    return rc;
}

const char *ecgx_xai_class_name(const ecgx_model *m, int i, char *buf, size_t n)
{
    const char *cl = ecgx_model_meta(m, "classes");
    snprintf(buf, n, "class%d", i);
    if (!cl) return buf;
    for (int k = 0; *cl; k++) {
        const char *e = strchr(cl, ',');
        size_t len = e ? (size_t)(e - cl) : strlen(cl);
        if (k == i) {
            if (len >= n) len = n - 1;
            memcpy(buf, cl, len);
            buf[len] = 0;
            return buf;
        }
        if (!e) break;
        cl = e + 1;
    }
    return buf;
}

int ecgx_xai_class_from_name(const ecgx_model *m, const char *name)
{
    char b[128];
    for (int i = 0; i < ecgx_model_n_classes(m); i++)
        if (!strcmp(ecgx_xai_class_name(m, i, b, sizeof b), name)) return i;
    return -1;
}
