/* Figures: freeing, PNG encoding through libspng, atomic writing. */
#include "ecgx/outfile.h"
#include "render/canvas.h"
#include "render/render_internal.h"
#include "core/strutil.h"

#include <spng.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void ecgx_figure_free(ecgx_figure *fig)
{
    if (!fig) return;
    free(fig->image.rgb);
    free(fig->svg);
    free(fig);
}

int render_encode_png(const ecgx_image *img, int level, int filter, int strategy, double dpi, void **png, size_t *len)
{
    *png = NULL;
    *len = 0;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
        return ecgx_error(ECGX_ERR_ARG, "PNG: no image to encode");
    if (level < 0) level = 1;
    if (level > 9) level = 9;
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (!ctx) return ecgx_error(ECGX_ERR_NOMEM, "PNG: cannot create encoder");
    struct spng_ihdr ihdr = {0};
    ihdr.width = (uint32_t)img->width;
    ihdr.height = (uint32_t)img->height;
    ihdr.bit_depth = 8;
    ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
    int err = spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    if (!err) err = spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, level);
    if (!err) err = spng_set_option(ctx, SPNG_FILTER_CHOICE, filter);
    if (!err) err = spng_set_option(ctx, SPNG_IMG_COMPRESSION_STRATEGY, strategy);
    if (!err) err = spng_set_ihdr(ctx, &ihdr);
    if (!err && dpi > 0) {
        struct spng_phys phys = {0};
        phys.ppu_x = phys.ppu_y = (uint32_t)(dpi / 0.0254 + 0.5);
        phys.unit_specifier = 1; /* metre */
        err = spng_set_phys(ctx, &phys);
    }
    if (!err) err = spng_encode_image(ctx, img->rgb, (size_t)img->width * img->height * 3, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    if (err) {
        spng_ctx_free(ctx);
        return ecgx_error(ECGX_ERR_IO, "PNG: encoding failed: %s", spng_strerror(err));
    }
    void *buf = spng_get_png_buffer(ctx, len, &err);
    spng_ctx_free(ctx);
    if (!buf || err) return ecgx_error(ECGX_ERR_IO, "PNG: encoding failed: %s", spng_strerror(err));
    *png = buf;
    return 0;
}

static int encode_level(const ecgx_image *img, int png_level, double dpi, void **png, size_t *len)
{
    if (png_level < 0) return render_png_fast(img, dpi, png, len);
    return render_encode_png(img, png_level, SPNG_FILTER_CHOICE_ALL, Z_DEFAULT_STRATEGY, dpi, png, len);
}

int ecgx_image_encode_png(const ecgx_image *img, int png_level, void **png, size_t *len)
{
    return encode_level(img, png_level, 0, png, len);
}

int ecgx_figure_write(const ecgx_figure *fig, const char *path, int png_level)
{
    if (!fig || !path) return ecgx_error(ECGX_ERR_ARG, "render: no figure or path");
    if (fig->format == ECGX_RENDER_SVG) return ecgx_write_file_atomic(path, fig->svg, fig->svg_len);
    void *png;
    size_t len;
    int rc = encode_level(&fig->image, png_level, fig->dpi, &png, &len);
    if (rc) return ecgx_error(rc, "%s: %s", path, ecgx_last_error());
    rc = ecgx_write_file_atomic(path, png, len);
    free(png);
    return rc;
}

int render_format_from_path(const char *path, ecgx_render_format *fmt)
{
    if (ecgx_ends_with(path, ".png") || ecgx_ends_with(path, ".PNG")) { *fmt = ECGX_RENDER_PNG; return 0; }
    if (ecgx_ends_with(path, ".svg") || ecgx_ends_with(path, ".SVG")) { *fmt = ECGX_RENDER_SVG; return 0; }
    return ecgx_error(ECGX_ERR_ARG, "%s: unknown figure format (use .png or .svg)", path);
}

/* ColorBrewer's RdBu anchors, reversed: blue for negative, red for positive. */
void ecgx_colormap_diverging(double v, uint8_t rgb[3])
{
    static const double anchor[5][3] = {
        {33, 102, 172}, {146, 197, 222}, {247, 247, 247}, {244, 165, 130}, {178, 24, 43}};
    if (!(v == v)) v = 0;
    if (v < -1) v = -1;
    if (v > 1) v = 1;
    double p = (v + 1) * 2; /* 0..4 */
    int k = (int)p;
    if (k > 3) k = 3;
    double f = p - k;
    for (int c = 0; c < 3; c++) rgb[c] = (uint8_t)(anchor[k][c] + (anchor[k + 1][c] - anchor[k][c]) * f + 0.5);
}

rgb8 render_cmap(double v)
{
    uint8_t c[3];
    ecgx_colormap_diverging(v, c);
    return (rgb8){c[0], c[1], c[2]};
}

rgb8 render_trace_color(double v, rgb8 ink)
{
    /* the trace keeps its ink at zero relevance and takes the scale's
     * saturated end as |v| grows (white would vanish on the paper) */
    if (!(v == v)) v = 0;
    double t = fabs(v);
    if (t > 1) t = 1;
    t = pow(t, 0.75);
    rgb8 hue = v >= 0 ? (rgb8){200, 16, 32} : (rgb8){24, 80, 200};
    return (rgb8){(uint8_t)(ink.r + (hue.r - ink.r) * t + 0.5), (uint8_t)(ink.g + (hue.g - ink.g) * t + 0.5),
                  (uint8_t)(ink.b + (hue.b - ink.b) * t + 0.5)};
}

void render_colorbar(canvas *cv, double x, double y, double w, double h, double vmax, const char *title, rgb8 ink)
{
    int n = 64;
    for (int i = 0; i < n; i++) {
        double v = -1 + 2 * (i + 0.5) / n;
        cv_rect(cv, x + w * i / n, y, w / n + 0.02, h, render_cmap(v), 1);
    }
    cv_rect_outline(cv, x, y, w, h, 0.15, ink);
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.3g", -vmax);
    snprintf(hi, sizeof hi, "+%.3g", vmax);
    double ts = 1.8;
    cv_text(cv, x, y + h + 2.6, ts, lo, ink, ALIGN_LEFT);
    cv_text(cv, x + w / 2, y + h + 2.6, ts, "0", ink, ALIGN_CENTER);
    cv_text(cv, x + w, y + h + 2.6, ts, hi, ink, ALIGN_RIGHT);
    if (title) cv_text(cv, x - 2, y + h - 0.2, ts, title, ink, ALIGN_RIGHT);
}

static int cmp_abs_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double render_relevance_scale(const float *const *spans, const int64_t *lens, int n_spans)
{
    /* Explanations are peaky: scaled by their maximum, one sample would set
     * the colours and the rest would look white. The 99th percentile of |r|
     * keeps the scale robust; larger values saturate. */
    int64_t total = 0;
    for (int i = 0; i < n_spans; i++) total += lens[i] > 0 ? lens[i] : 0;
    if (total <= 0) return 1;
    float *v = malloc((size_t)total * sizeof *v);
    double mx = 0;
    int64_t m = 0;
    for (int i = 0; i < n_spans; i++)
        for (int64_t k = 0; k < lens[i]; k++) {
            float a = fabsf(spans[i][k]);
            if (!isfinite(a)) continue;
            if (a > mx) mx = a;
            if (v) v[m++] = a;
        }
    double q = mx;
    if (v && m > 0) {
        qsort(v, (size_t)m, sizeof *v, cmp_abs_float);
        q = v[(int64_t)floor(0.99 * (double)(m - 1))];
    }
    free(v);
    if (!(q > 0)) q = mx;
    return q > 0 ? q : 1;
}
