/* Median beats: the sample-wise median of each lead over beat windows
 * aligned on R, with the mean relevance over the same windows, and the
 * panel figure that shows them (one small ECG-paper plot per lead). */
#include "render/render_internal.h"
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int ecgx_median_beats(const ecgx_record *rec, const int64_t *r_peaks, int n_peaks, double pre_s, double post_s,
                      const float *relevance, float **beats, float **beat_rel, int *beat_len)
{
    *beats = NULL;
    if (beat_rel) *beat_rel = NULL;
    *beat_len = 0;
    if (!rec || !r_peaks || n_peaks <= 0) return ecgx_error(ECGX_ERR_ARG, "median beats: no R peaks");
    if (!(pre_s >= 0 && post_s > 0 && pre_s + post_s <= 10))
        return ecgx_error(ECGX_ERR_ARG, "median beats: window %g s before, %g s after R is not sensible", pre_s, post_s);
    int64_t pre = (int64_t)llround(pre_s * rec->fs), post = (int64_t)llround(post_s * rec->fs);
    int64_t len = pre + post;
    if (len < 2) return ecgx_error(ECGX_ERR_ARG, "median beats: window shorter than two samples");
    int *ok = ecgx_malloc_array((size_t)n_peaks, sizeof *ok, "beat list");
    if (!ok) return ECGX_ERR_NOMEM;
    int m = 0;
    for (int k = 0; k < n_peaks; k++)
        if (r_peaks[k] - pre >= 0 && r_peaks[k] + post <= rec->n_samples) ok[m++] = k;
    if (m == 0) {
        free(ok);
        return ecgx_error(ECGX_ERR_RANGE, "median beats: no beat window fits inside the record");
    }
    float *b = ecgx_malloc_array((size_t)rec->n_leads * len, sizeof *b, "median beats");
    float *br = relevance && beat_rel ? ecgx_calloc_array((size_t)rec->n_leads * len, sizeof *br, "beat relevance") : NULL;
    float *col = ecgx_malloc_array((size_t)m, sizeof *col, "beat column");
    if (!b || !col || (relevance && beat_rel && !br)) { free(ok); free(b); free(br); free(col); return ECGX_ERR_NOMEM; }
    for (int l = 0; l < rec->n_leads; l++) {
        const float *x = ecgx_record_lead(rec, l);
        const float *r = relevance ? relevance + (size_t)l * rec->n_samples : NULL;
        for (int64_t j = 0; j < len; j++) {
            int c = 0;
            double rs = 0;
            for (int k = 0; k < m; k++) {
                int64_t i = r_peaks[ok[k]] - pre + j;
                if (isfinite(x[i])) col[c++] = x[i];
                if (r && isfinite(r[i])) rs += r[i];
            }
            float med = 0;
            if (c) {
                qsort(col, (size_t)c, sizeof *col, cmp_float);
                med = c % 2 ? col[c / 2] : 0.5f * (col[c / 2 - 1] + col[c / 2]);
            }
            b[(size_t)l * len + j] = med;
            if (br) br[(size_t)l * len + j] = (float)(rs / m);
        }
    }
    free(ok);
    free(col);
    *beats = b;
    if (beat_rel) *beat_rel = br;
    *beat_len = (int)len;
    return 0;
}

void ecgx_median_options_default(ecgx_median_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->dpi = 200;
    opt->speed_mm_s = 50;
    opt->gain_mm_mv = 10;
    opt->r_offset_s = 0.3;
}

int ecgx_render_median_beats(const float *beats, const float *beat_rel, int n_leads, const char *const *names,
                             int beat_len, double fs, const ecgx_median_options *opt_in, ecgx_render_format format,
                             ecgx_figure **out)
{
    *out = NULL;
    ecgx_median_options o;
    if (opt_in) o = *opt_in; else ecgx_median_options_default(&o);
    if (!beats || n_leads < 1 || n_leads > ECGX_MAX_LEADS || beat_len < 2 || !(fs > 0))
        return ecgx_error(ECGX_ERR_ARG, "median beat figure: no beats to draw");
    if (!(o.speed_mm_s >= 5 && o.speed_mm_s <= 200) || !(o.gain_mm_mv >= 1 && o.gain_mm_mv <= 100))
        return ecgx_error(ECGX_ERR_ARG, "median beat figure: speed %g mm/s or gain %g mm/mV out of range", o.speed_mm_s, o.gain_mm_mv);
    double beat_s = beat_len / fs;
    if (beat_s * o.speed_mm_s > 400) return ecgx_error(ECGX_ERR_ARG, "median beat figure: beats of %g s are too long", beat_s);
    /* standard 12: the paper's 3 rows x 4 columns; otherwise 4 per row */
    int std12 = n_leads == 12;
    int cols = 4, rows = (n_leads + cols - 1) / cols;
    double cell_w = 5 * ceil(beat_s * o.speed_mm_s / 5), cell_h = 35, gap = 4, margin = 8, top = o.title ? 16 : 8;
    double foot = beat_rel ? 16 : 8;
    double W = 2 * margin + cols * cell_w + (cols - 1) * gap, H = top + rows * cell_h + (rows - 1) * gap + foot;
    canvas cv;
    int rc = cv_init(&cv, format, W, H, o.dpi, WHITE);
    if (rc) return rc;
    double rmax = o.relevance_max;
    if (beat_rel && !(rmax > 0)) {
        const float *spans[1] = {beat_rel};
        int64_t lens[1] = {(int64_t)n_leads * beat_len};
        rmax = render_relevance_scale(spans, lens, 1);
    }
    if (o.title) cv_text(&cv, margin, 9, 3.2, o.title, TEXT_INK, ALIGN_LEFT);
    double *xs = ecgx_malloc_array((size_t)beat_len, sizeof *xs, "beat points");
    double *ys = ecgx_malloc_array((size_t)beat_len, sizeof *ys, "beat points");
    rgb8 *cs = ecgx_malloc_array((size_t)beat_len, sizeof *cs, "beat colours");
    if (!xs || !ys || !cs) { free(xs); free(ys); free(cs); cv_free(&cv); return ECGX_ERR_NOMEM; }
    for (int l = 0; l < n_leads; l++) {
        /* 3x4 order: column = l / 3 for the standard leads (I II III | aVR aVL aVF | V1-V3 | V4-V6) */
        int r = std12 ? l % 3 : l / cols, c = std12 ? l / 3 : l % cols;
        double x0 = margin + c * (cell_w + gap), y0 = top + r * (cell_h + gap);
        cv_grid(&cv, x0, y0, cell_w, cell_h, PAPER_BG, GRID_MINOR, GRID_MAJOR);
        double base = y0 + 20;
        const float *b = beats + (size_t)l * beat_len;
        const float *rl = beat_rel ? beat_rel + (size_t)l * beat_len : NULL;
        if (rl) {
            for (int j = 0; j + 1 < beat_len; j++) {
                double v = 0.5 * (rl[j] + rl[j + 1]) / rmax;
                cs[j] = render_cmap(v);
                ys[j] = 0.55 * fmin(1, fabs(v));
            }
            cv_band(&cv, x0, y0 + 0.5, (beat_len - 1) / fs * o.speed_mm_s, cell_h - 1, beat_len - 1, cs, ys);
        }
        /* R marker */
        double xr = x0 + o.r_offset_s * o.speed_mm_s;
        cv_line(&cv, xr, y0 + cell_h - 3, xr, y0 + cell_h - 1, 0.2, TEXT_INK);
        int n = 0;
        for (int j = 0; j < beat_len; j++) {
            double v = isfinite(b[j]) ? fmax(-50, fmin(50, b[j])) : 0;
            xs[n] = x0 + j / fs * o.speed_mm_s;
            ys[n] = base - v * o.gain_mm_mv;
            if (rl && j > 0) cs[j - 1] = render_trace_color(0.5 * (rl[j - 1] + rl[j]) / rmax, INK);
            n++;
        }
        cv_polyline(&cv, xs, ys, n, 0.3, rl ? cs : NULL, INK);
        const char *nm = names && names[l] ? names[l] : "?";
        cv_text(&cv, x0 + 1.5, y0 + 4.5, 2.6, nm, INK, ALIGN_LEFT);
    }
    free(xs);
    free(ys);
    free(cs);
    char foot_s[128];
    snprintf(foot_s, sizeof foot_s, "median beats   %g mm/s   %g mm/mV", o.speed_mm_s, o.gain_mm_mv);
    double fy = H - foot + 5;
    cv_text(&cv, margin, fy, 2.2, foot_s, TEXT_INK, ALIGN_LEFT);
    if (beat_rel)
        render_colorbar(&cv, W - margin - 50, fy - 2.5, 50, 3, rmax, o.relevance_unit ? o.relevance_unit : "relevance",
                        TEXT_INK);
    return cv_finish(&cv, out);
}
