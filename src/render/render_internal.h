/* Shared internals of the render module. */
#ifndef ECGX_RENDER_INTERNAL_H
#define ECGX_RENDER_INTERNAL_H

#include "render/canvas.h"

#include <math.h>

/* PNG through libspng with an explicit filter choice and zlib strategy
 * (the benchmark compares them); dpi > 0 writes a pHYs chunk. */
int render_encode_png(const ecgx_image *img, int level, int filter, int strategy, double dpi, void **png, size_t *len);
/* The fast paper-aware PNG encoder (png_fast.c). */
int render_png_fast(const ecgx_image *img, double dpi, void **png, size_t *len);
int render_format_from_path(const char *path, ecgx_render_format *fmt);

/* The default relevance scale over the shown spans: the 99th percentile of
 * |relevance| (the maximum when that is 0; 1 when all are 0). */
double render_relevance_scale(const float *const *spans, const int64_t *lens, int n_spans);

rgb8 render_cmap(double v);                  /* diverging map, v in [-1, 1] */
rgb8 render_trace_color(double v, rgb8 ink); /* trace colour for relevance v in [-1, 1] */
/* Horizontal colour bar for [-vmax, vmax] with its labels below and title left. */
void render_colorbar(canvas *cv, double x, double y, double w, double h, double vmax, const char *title, rgb8 ink);

/* Paper colours. */
#define PAPER_BG ((rgb8){255, 250, 249})
#define GRID_MINOR ((rgb8){246, 196, 192})
#define GRID_MAJOR ((rgb8){229, 128, 122})
#define INK ((rgb8){17, 17, 22})
#define TEXT_INK ((rgb8){40, 40, 48})
#define WHITE ((rgb8){255, 255, 255})

#define TRACE_WIDTH_MM 0.22

#endif
