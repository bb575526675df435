/* The drawing surface every figure is laid out on, in millimetres (y down).
 * Two backends: an anti-aliased RGB raster and an SVG document. Layout code
 * draws once; the backend decides how. */
#ifndef ECGX_RENDER_CANVAS_H
#define ECGX_RENDER_CANVAS_H

#include "ecgx/render.h"

#include <stddef.h>

typedef struct rgb8 { uint8_t r, g, b; } rgb8;

typedef struct svg_buf {
    char *s;
    size_t len, cap;
    int failed;
} svg_buf;

typedef struct canvas {
    ecgx_render_format format;
    double w_mm, h_mm, ppmm; /* pixels per millimetre */
    /* raster */
    ecgx_image img;
    uint8_t *cov;            /* per-pixel coverage scratch for one polyline (lazily allocated) */
    rgb8 *cov_col;           /* colour of the segment that set the coverage (lazily allocated) */
    int32_t *touched;        /* pixels with nonzero coverage in the current polyline */
    size_t n_touched, cap_touched;
    /* svg */
    svg_buf svg;
    int failed;              /* an allocation failed: the figure is unusable */
} canvas;

enum { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT };

int cv_init(canvas *cv, ecgx_render_format format, double w_mm, double h_mm, double dpi, rgb8 background);
/* Hand the result over as a figure (the canvas is emptied either way). */
int cv_finish(canvas *cv, ecgx_figure **out);
void cv_free(canvas *cv);

void cv_rect(canvas *cv, double x, double y, double w, double h, rgb8 c, double alpha);
void cv_rect_outline(canvas *cv, double x, double y, double w, double h, double width, rgb8 c);
void cv_line(canvas *cv, double x0, double y0, double x1, double y1, double width, rgb8 c);
/* A connected line through n points; seg (n-1 colours) or, when NULL, c. */
void cv_polyline(canvas *cv, const double *x, const double *y, int n, double width, const rgb8 *seg, rgb8 c);
/* ECG paper: background, minor lines every 1 mm and major every 5 mm from
 * (x, y). Raster lines are snapped to whole pixels so they stay crisp. */
void cv_grid(canvas *cv, double x, double y, double w, double h, rgb8 bg, rgb8 minor, rgb8 major);
/* A band of n equal-width cells across [x, x+w) x [y, y+h), cell k tinted
 * with colour c[k] at opacity a[k] (cells with a[k] < 0.01 are left alone).
 * The raster backend reuses the blended row wherever the paper below repeats,
 * so a relevance band costs about a copy of the rows it covers. */
void cv_band(canvas *cv, double x, double y, double w, double h, int n, const rgb8 *c, const double *a);
/* Text with its baseline at y; size = cap height in mm. */
void cv_text(canvas *cv, double x, double y, double size, const char *s, rgb8 c, int align);
/* Width of text in mm at that size (as the raster font draws it). */
double cv_text_width(double size, const char *s);

/* Raster grid-line pixel span for a line at mm position p (for layout code
 * and tests): first pixel and count. */
void cv_grid_line_span(double ppmm, double p_mm, int major, int *first, int *count);

/* svg helpers */
void svg_printf(svg_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void svg_escape(svg_buf *b, const char *s);

/* The 5x7 bitmap font: row bits (bit 4 = leftmost column) of glyph ch. */
void font5x7_rows(unsigned char ch, uint8_t rows[7]);
/* Rows the glyph hangs below the baseline (2 for g, p, q, y). */
int font5x7_descent(unsigned char ch);

#endif
