/* A record made ready for a model: the preprocessing the model file names
 * (the nn training's: band-pass 0.5-40 Hz as a zero-phase 2nd-order
 * Butterworth high-pass and low-pass, resampling to the model's rate,
 * z-score per lead), at the record's full length. Interim: to be replaced
 * by the nn module's predict path once that is a library API. */
#include "xai/xai_internal.h"

#include "core/alloc.h"
#include "ecgx/delineate.h"
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

static int64_t scale_idx(int64_t v, double f) { return v < 0 ? -1 : (int64_t)llround((double)v * f); }

static void scale_beat(ecgx_beat *dst, const ecgx_beat *src, double f)
{
    dst->r = scale_idx(src->r, f);
    dst->type = src->type;
    for (int w = 0; w < ECGX_N_WAVES; w++) {
        dst->wave[w].onset = scale_idx(src->wave[w].onset, f);
        dst->wave[w].peak = scale_idx(src->wave[w].peak, f);
        dst->wave[w].offset = scale_idx(src->wave[w].offset, f);
    }
}

int ecgx_xai_record_fiducials(const ecgx_record *rec, double fs_to, ecgx_fiducials **out)
{
    *out = NULL;
    ecgx_fiducials *f = NULL;
    int rc = ecgx_delineate(rec, NULL, 0, &f);
    if (rc < 0) return rc;
    ecgx_fiducials *g = ecgx_fiducials_new(f->n_beats, ECGX_N_STD_LEADS);
    if (!g) {
        ecgx_fiducials_free(f);
        return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    }
    double k = fs_to / rec->fs;
    for (int b = 0; b < f->n_beats; b++) scale_beat(&g->beats[b], &f->beats[b], k);
    for (int l = 0; l < rec->n_leads && l < f->n_leads; l++) {
        int s = rec->leads[l].std_index;
        if (s < 0 || s >= ECGX_N_STD_LEADS) continue;
        for (int b = 0; b < f->n_beats; b++)
            scale_beat(&g->per_lead[(size_t)s * f->n_beats + b], &f->per_lead[(size_t)l * f->n_beats + b], k);
    }
    ecgx_fiducials_free(f);
    *out = g;
    return 0;
}

int ecgx_xai_resample_relevance(const float *rel, int channels, int n_in, double fs_in, float *out, int64_t n_out,
                                double fs_out)
{
    if (!rel || !out || n_in < 1 || n_out < 1 || !(fs_in > 0) || !(fs_out > 0))
        return ecgx_error(ECGX_ERR_ARG, "xai: bad relevance resampling arguments");
    double k = fs_in / fs_out;
    for (int c = 0; c < channels; c++) {
        const float *r = rel + (size_t)c * n_in;
        float *o = out + (size_t)c * n_out;
        for (int64_t t = 0; t < n_out; t++) {
            double u = t * k;
            int i = (int)u;
            double f = u - i;
            double v = i + 1 < n_in ? (1 - f) * r[i < n_in ? i : n_in - 1] + f * r[i + 1] : r[n_in - 1];
            o[t] = (float)(v * k);
        }
    }
    return 0;
}
