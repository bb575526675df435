/* The model's preprocessing (ECGX_NN_PREPROCESSING), built on the dsp
 * module. The shipped models were trained with this filter as a cascade of
 * two RBJ/bilinear 2nd-order Butterworth sections, run forward and backward
 * over the signal extended by 3 s of odd reflection, each section started in
 * its steady state (scipy's sosfiltfilt with padlen = 3 s): ecgx_butter
 * gives the same sections and ecgx_sos_filter runs them; the padding and
 * the steady-state start are done here because ecgx_sos_filtfilt pads only
 * 15 samples (scipy's default) — the 0.5 Hz high-pass needs seconds to
 * settle, and the first and last second would differ from what the models
 * saw by up to 1e-3 sd (2.5e-2 on a 1.5 s record). */
#include "ecgx/nn.h"

#include "core/alloc.h"
#include "ecgx/dsp.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAD_SECONDS 3.0

/* High-pass 0.5 Hz and, below Nyquist, low-pass 40 Hz as one cascade. */
static int bandpass(double fs, ecgx_sos *out, double c[12])
{
    ecgx_sos *hp = NULL, *lp = NULL;
    int rc = ecgx_butter(2, ECGX_HIGHPASS, 0.5, 0, fs, &hp);
    if (!rc && 40.0 < 0.49 * fs) rc = ecgx_butter(2, ECGX_LOWPASS, 40.0, 0, fs, &lp);
    if (!rc && (hp->n != 1 || (lp && lp->n != 1)))
        rc = ecgx_error(ECGX_ERR_STATE, "preprocess: unexpected filter sections");
    if (!rc) {
        memcpy(c, hp->c, 6 * sizeof(double));
        if (lp) memcpy(c + 6, lp->c, 6 * sizeof(double));
        out->n = lp ? 2 : 1;
        out->c = c;
    }
    ecgx_sos_free(hp);
    ecgx_sos_free(lp);
    return rc;
}

/* Zero-phase band-pass of one lead into y[n], through w[n + 2 pad]: as
 * scipy's sosfiltfilt(sos, x, padtype="odd", padlen=pad). A pass started in
 * the steady state of its first value v is, by linearity, a pass from rest
 * over x - v plus the cascade's DC gain times v. */
static double dc_gain(const ecgx_sos *s)
{
    double g = 1;
    for (int k = 0; k < s->n; k++) {
        const double *c = s->c + 6 * k;
        g *= (c[0] + c[1] + c[2]) / (c[3] + c[4] + c[5]);
    }
    return g;
}

static void steady_pass(const ecgx_sos *s, double dc, float *w, int64_t m)
{
    float v = w[0];
    for (int64_t i = 0; i < m; i++) w[i] -= v;
    ecgx_sos_filter(s, w, m);
    for (int64_t i = 0; i < m; i++) w[i] += (float)(dc * v);
}

static void reverse(float *w, int64_t m)
{
    for (int64_t i = 0; i < m / 2; i++) {
        float t = w[i];
        w[i] = w[m - 1 - i];
        w[m - 1 - i] = t;
    }
}

static void filter_lead(const ecgx_sos *s, const float *x, int64_t n, int64_t pad, float *w, float *y)
{
    int64_t m = n + 2 * pad;
    double dc = dc_gain(s);
    for (int64_t i = 0; i < pad; i++) w[i] = (float)(2.0 * x[0] - x[pad - i]);
    memcpy(w + pad, x, sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < pad; i++) w[pad + n + i] = (float)(2.0 * x[n - 1] - x[n - 2 - i]);
    steady_pass(s, dc, w, m);
    reverse(w, m);
    steady_pass(s, dc, w, m);
    reverse(w, m);
    memcpy(y, w + pad, sizeof(float) * (size_t)n);
}

int ecgx_nn_preprocess(const float *x, int leads, int64_t n, double fs_in, double fs_out, float **out, int64_t *n_out)
{
    *out = NULL;
    if (!x || leads < 1 || n < 2 || !(fs_in > 0) || !(fs_out > 0) || !isfinite(fs_in) || !isfinite(fs_out))
        return ecgx_error(ECGX_ERR_ARG, "preprocess: %lld samples at %g Hz", (long long)n, fs_in);
    for (int64_t i = 0; i < (int64_t)leads * n; i++)
        if (!isfinite(x[i]))
            return ecgx_error(ECGX_ERR_RANGE, "sample %lld of lead %lld is not a finite number", (long long)(i % n),
                              (long long)(i / n) + 1);
    int up = 1, down = 1, resample = fs_in != fs_out;
    if (resample) {
        int rf = ecgx_resample_factor(fs_in, fs_out, &up, &down);
        if (rf < 0) return rf;
    }
    int64_t m = resample ? ecgx_resample_length(n, up, down) : n;
    int64_t pad = (int64_t)(PAD_SECONDS * fs_in);
    if (pad > n - 1) pad = n - 1;
    ecgx_sos s;
    double c[12];
    int rc = bandpass(fs_in, &s, c);
    if (rc < 0) return rc;
    float *y = ecgx_malloc_array((size_t)leads * (size_t)m, sizeof(float), "preprocessed signal");
    float *w = ecgx_malloc_array((size_t)(n + 2 * pad), sizeof(float), "filter buffer");
    float *f = resample ? ecgx_malloc_array((size_t)n, sizeof(float), "filtered lead") : NULL;
    if (!y || !w || (resample && !f)) rc = ECGX_ERR_NOMEM;
    for (int l = 0; l < leads && !rc; l++) {
        float *yl = y + (int64_t)l * m;
        filter_lead(&s, x + (int64_t)l * n, n, pad, w, resample ? f : yl);
        if (resample) rc = ecgx_resample_poly(f, n, up, down, yl);
        if (!rc) ecgx_zscore(yl, m);
    }
    free(w);
    free(f);
    if (rc < 0) {
        free(y);
        return rc;
    }
    *out = y;
    *n_out = m;
    return 0;
}

static double model_fs(const ecgx_model *m)
{
    const char *v = ecgx_model_meta(m, "fs");
    char *end = NULL;
    double d = v ? strtod(v, &end) : 0;
    return v && end != v && isfinite(d) && d > 0 ? d : 100.0;
}

static void append(char *note, size_t n, const char *text)
{
    if (!note || !n) return;
    size_t k = strlen(note);
    snprintf(note + k, n - k, "%s%s", k ? "; " : "", text);
}

int ecgx_model_prepare_record(const ecgx_model *m, const ecgx_record *rec, int flags, float **x, int *length,
                              double *fs, char *note, size_t note_n)
{
    *x = NULL;
    if (note && note_n) note[0] = 0;
    if (!m || !rec || rec->n_samples < 2 || !(rec->fs > 0))
        return ecgx_error(ECGX_ERR_ARG, "%s: empty record or no sampling rate", rec ? rec->name : "record");
    int C = ecgx_model_in_channels(m);
    double fs_m = model_fs(m);
    ecgx_record *r = NULL;
    char text[256];
    if (C == ECGX_N_STD_LEADS) {
        unsigned missing = 0;
        r = ecgx_record_to_standard12(rec, &missing);
        if (!r) return ecgx_error(ECGX_ERR_FORMAT, "%s: cannot arrange the leads into the standard 12", rec->name);
        if (missing == 0xFFFu) {
            ecgx_record_free(r);
            return ecgx_error(ECGX_ERR_FORMAT, "%s: none of the 12 standard leads is present", rec->name);
        }
        if (missing) {
            size_t k = (size_t)snprintf(text, sizeof text, "missing leads");
            for (int l = 0; l < ECGX_N_STD_LEADS && k < sizeof text; l++)
                if (missing & (1u << l))
                    k += (size_t)snprintf(text + k, sizeof text - k, " %s,", ecgx_lead_std_name(l));
            if (k < sizeof text && text[k - 1] == ',') text[k - 1] = 0;
            if (flags & ECGX_PREPARE_STRICT) {
                ecgx_record_free(r);
                return ecgx_error(ECGX_ERR_FORMAT, "%s: needs the 12 standard leads; %s", rec->name, text);
            }
            size_t t = strlen(text);
            snprintf(text + t, sizeof text - t, " (zeros)");
            append(note, note_n, text);
        }
    } else {
        if (rec->n_leads != C)
            return ecgx_error(ECGX_ERR_FORMAT, "%s: %d leads, the model expects %d", rec->name, rec->n_leads, C);
        r = ecgx_record_clone(rec);
        if (!r) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", rec->name);
    }
    int64_t bad = 0;
    if (!(flags & ECGX_PREPARE_STRICT))
        for (int l = 0; l < r->n_leads; l++) {
            int64_t b = ecgx_dsp_sanitize(ecgx_record_lead(r, l), r->n_samples);
            /* a lead of NaN alone would be "interpolated" into zeros, a flat
             * line the model scores like any other (CD 0.997 for a CSV of NaN) */
            if (b == r->n_samples) {
                int rc0 = ecgx_error(ECGX_ERR_FORMAT, "%s: lead %s has no sample that is a number", rec->name,
                                     r->leads[l].name);
                ecgx_record_free(r);
                return rc0;
            }
            bad += b;
        }
    if (bad) {
        snprintf(text, sizeof text, "%lld non-finite samples interpolated", (long long)bad);
        append(note, note_n, text);
    }
    float *y = NULL;
    int64_t n = 0;
    int rc = ecgx_nn_preprocess(r->data, C, r->n_samples, r->fs, fs_m, &y, &n);
    if (rc < 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", ecgx_last_error());
        rc = ecgx_error(rc, "%s: %s", rec->name, msg);
    } else if (n > INT_MAX / C) {
        free(y);
        rc = ecgx_error(ECGX_ERR_RANGE, "%s: %lld samples is too long", rec->name, (long long)n);
    } else {
        if (r->fs != fs_m) {
            snprintf(text, sizeof text, "resampled from %g Hz to the model's %g Hz", r->fs, fs_m);
            append(note, note_n, text);
        }
        *x = y;
        *length = (int)n;
        if (fs) *fs = fs_m;
    }
    ecgx_record_free(r);
    return rc;
}
