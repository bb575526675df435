/* ecgx render — ECG paper and explanation figures, to PNG and SVG.
 *
 * The 12-lead paper layouts (3x4 with a rhythm strip, 6x2, 12x1) at the usual
 * speeds and gains on a 1 mm / 5 mm grid with calibration pulses, lead labels
 * and a header; relevance (an explanation) drawn on the trace with a
 * diverging blue-white-red scale; the median beat of each lead with its
 * relevance; bar charts of relevance per lead or per segment.
 *
 * Every figure is laid out in millimetres and drawn either to an RGB raster
 * (anti-aliased, our own small rasteriser; PNG through libspng) or to SVG
 * (millimetre viewBox). The result is an ecgx_figure, written with
 * ecgx_figure_write or encoded to memory for embedding. */
#ifndef ECGX_RENDER_H
#define ECGX_RENDER_H

#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ecgx_render_format { ECGX_RENDER_PNG = 0, ECGX_RENDER_SVG = 1 } ecgx_render_format;

/* An RGB raster, row-major, 3 bytes per pixel, no padding. */
typedef struct ecgx_image {
    int width, height;
    uint8_t *rgb;
} ecgx_image;

typedef struct ecgx_figure {
    ecgx_render_format format;
    double width_mm, height_mm, dpi;
    ecgx_image image;  /* PNG figures */
    char *svg;         /* SVG figures: the document, NUL-terminated */
    size_t svg_len;
} ecgx_figure;

void ecgx_figure_free(ecgx_figure *fig);
/* Write a figure to `path` atomically (PNG figures as PNG; SVG as SVG).
 * png_level: ECGX_PNG_FAST (-1, the default) for ecgx's fast paper-aware
 * encoder, or a zlib level 0..9 for libspng (smaller files, slower). */
int ecgx_figure_write(const ecgx_figure *fig, const char *path, int png_level);
/* Encode a PNG figure to a malloc'd buffer (for embedding in HTML). */
int ecgx_image_encode_png(const ecgx_image *img, int png_level, void **png, size_t *len);

/* The fast encoder: per-row "up"/"sub" filter, zero runs as distance-1
 * matches in one fixed-Huffman deflate block (a standard PNG); see
 * docs/render.md for the measurements that chose it. */
#define ECGX_PNG_FAST (-1)

/* ---- ECG paper ---- */

/* 12x1 on a record that lacks some of the 12 standard leads (e.g. MIT-BIH's
 * MLII and V1) shows the record's own leads, in its order, one per row (at
 * most 12). */
typedef enum ecgx_layout { ECGX_LAYOUT_3X4 = 0, ECGX_LAYOUT_6X2 = 1, ECGX_LAYOUT_12X1 = 2 } ecgx_layout;
/* True when rec holds all 12 standard leads. */
int ecgx_render_has_standard12(const ecgx_record *rec);
/* "3x4", "6x2", "12x1"; -1 when unknown. */
int ecgx_layout_parse(const char *s);

/* What the header says. NaN (or NULL) fields are not printed. */
typedef struct ecgx_ecg_header {
    const char *title;     /* NULL: the record's name */
    double rate_bpm, pr_ms, qrs_ms, qt_ms, qtc_ms, axis_deg;
    const char *note;      /* a free line, e.g. a finding; NULL for none */
} ecgx_ecg_header;

typedef struct ecgx_render_options {
    ecgx_layout layout;
    double dpi;            /* raster resolution (SVG: its nominal pixel size) */
    double speed_mm_s;     /* paper speed: 25 or 50 */
    double gain_mm_mv;     /* 5, 10 or 20 */
    double t_start_s;      /* first second shown */
    double duration_s;     /* seconds shown per full-width row (10) */
    int rhythm_lead;       /* ECGX_LEAD_* of the rhythm strip (II); -1: none. 12x1 has none. */
    int show_header;
    ecgx_ecg_header header;
    /* Relevance, lead-major like the record's data (n_leads x n_samples), or
     * NULL. Shown as trace colour and a light band; scaled symmetric around 0
     * by relevance_max (0: the 99th percentile of |relevance| over the part
     * shown, so one extreme sample does not wash out the rest; larger values
     * saturate). */
    const float *relevance;
    double relevance_max;
    int relevance_band;
    const char *relevance_title; /* colour-bar caption, e.g. "Integrated gradients, AF" */
} ecgx_render_options;

/* 3x4, 300 dpi, 25 mm/s, 10 mm/mV, 10 s from 0, rhythm II, header on, band on. */
void ecgx_render_options_default(ecgx_render_options *opt);

/* Where the layout puts things (millimetres from the page's top-left; y grows
 * downwards). One panel is one lead over one time span. */
typedef struct ecgx_render_panel {
    int std_lead;           /* ECGX_LEAD_*; -1 for a non-standard lead (records' own leads in 12x1) */
    char label[ECGX_NAME_MAX];
    int record_lead;        /* index in the record, -1 when the record lacks it */
    double x_mm, width_mm;  /* where t0_s is drawn, and the panel's width */
    double baseline_mm;     /* y of 0 mV */
    double t0_s, t1_s;      /* record time shown */
    int row;
} ecgx_render_panel;

#define ECGX_RENDER_MAX_PANELS 16
#define ECGX_RENDER_MAX_ROWS 13

typedef struct ecgx_render_geometry {
    double page_w_mm, page_h_mm;
    double grid_x_mm, grid_y_mm, grid_w_mm, grid_h_mm; /* grid lines every 1 mm from (grid_x, grid_y) */
    double px_per_mm;
    int width_px, height_px;
    int n_rows;
    double row_baseline_mm[ECGX_RENDER_MAX_ROWS];
    double cal_x_mm;        /* the calibration pulse's rising edge (every row) */
    double cal_w_mm;        /* its width: 200 ms at the paper speed */
    double trace_x_mm;      /* where t_start_s is drawn */
    int n_panels;
    ecgx_render_panel panels[ECGX_RENDER_MAX_PANELS];
} ecgx_render_geometry;

int ecgx_render_ecg_geometry(const ecgx_record *rec, const ecgx_render_options *opt, ecgx_render_geometry *geo);
/* Draw the record on ECG paper. opt NULL: defaults. */
int ecgx_render_ecg(const ecgx_record *rec, const ecgx_render_options *opt, ecgx_render_format format,
                    ecgx_figure **out);
/* Render and write, choosing the format from the extension (.png / .svg). */
int ecgx_render_ecg_file(const ecgx_record *rec, const ecgx_render_options *opt, const char *path);

/* Read relevance for `rec` from CSV (the form `ecgx explain --csv` writes):
 * a header of lead names, then one row per sample, one column per lead. Leads
 * are matched to the record's by name; the record's leads absent from the
 * file get zero relevance. The row count must equal rec->n_samples. *out is
 * malloc'd, n_leads x n_samples lead-major. */
int ecgx_relevance_read_csv(const char *path, const ecgx_record *rec, float **out);

/* ---- Median beats ---- */

/* The median beat of each lead over windows [r - pre_s, r + post_s) around
 * the given R peaks (samples), and the mean relevance over the same windows
 * when relevance is given. Peaks whose window leaves the record are skipped.
 * *beats (and *beat_rel when relevance != NULL) are malloc'd, n_leads x
 * *beat_len. Error when no peak fits. */
int ecgx_median_beats(const ecgx_record *rec, const int64_t *r_peaks, int n_peaks, double pre_s, double post_s,
                      const float *relevance, float **beats, float **beat_rel, int *beat_len);

typedef struct ecgx_median_options {
    double dpi, speed_mm_s, gain_mm_mv;
    double r_offset_s;      /* where R lies in the beat (pre_s) */
    double relevance_max;   /* 0: 99th percentile of |relevance| */
    const char *title;
    const char *relevance_unit; /* the colour bar's caption (NULL: "relevance"), e.g. "% of positive total per 10 ms" */
} ecgx_median_options;

void ecgx_median_options_default(ecgx_median_options *opt);

/* A panel figure: one small plot per lead (3 columns x 4 rows in 3x4 order
 * when the leads are the standard 12), the beat coloured by relevance
 * (NULL: plain), on a 1 mm / 5 mm grid at the given speed and gain. */
int ecgx_render_median_beats(const float *beats, const float *beat_rel, int n_leads, const char *const *lead_names,
                             int beat_len, double fs, const ecgx_median_options *opt, ecgx_render_format format,
                             ecgx_figure **out);

/* ---- Bar charts ---- */

/* A horizontal bar chart of signed values (e.g. relevance per lead, or per
 * segment P, PR, QRS, ST, T, TP), bars coloured on the diverging scale. */
int ecgx_render_bars(const char *title, const char *const *labels, const double *values, int n, double dpi,
                     ecgx_render_format format, ecgx_figure **out);

/* The diverging colour map: v in [-1, 1] -> blue (-1), white (0), red (+1). */
void ecgx_colormap_diverging(double v, uint8_t rgb[3]);

#ifdef __cplusplus
}
#endif
#endif
