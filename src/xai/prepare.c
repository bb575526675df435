/* What explanations need around a model's input: class names from the
 * model's metadata, fiducials at the model's rate, relevance brought back
 * to the record's rate. (The input itself: ecgx_model_prepare_record.) */
#include "xai/xai_internal.h"

#include "core/alloc.h"
#include "ecgx/delineate.h"
#include "ecgx/dsp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
