/* The two canvas backends. The raster one is a small anti-aliased
 * rasteriser: filled rectangles with fractional edge coverage, thick lines by
 * distance-to-segment coverage, and a polyline mode that keeps, per pixel,
 * the largest coverage of any of its segments (so joints are not painted
 * twice and stay as smooth as the segments). The SVG one writes elements in a
 * millimetre viewBox. */
#include "render/canvas.h"
#include "core/alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- svg text buffer ---------------- */

void svg_printf(svg_buf *b, const char *fmt, ...)
{
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) { b->failed = 1; return; }
        if ((size_t)n < b->cap - b->len) { b->len += (size_t)n; return; }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) { b->failed = 1; return; }
        b->s = s;
        b->cap = cap;
    }
}

void svg_escape(svg_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': svg_printf(b, "&lt;"); break;
        case '>': svg_printf(b, "&gt;"); break;
        case '&': svg_printf(b, "&amp;"); break;
        case '"': svg_printf(b, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 32 || *s == '\t') svg_printf(b, "%c", *s);
        }
    }
}

static void svg_color(char out[8], rgb8 c) { snprintf(out, 8, "#%02x%02x%02x", c.r, c.g, c.b); }

/* ---------------- setup ---------------- */

int cv_init(canvas *cv, ecgx_render_format format, double w_mm, double h_mm, double dpi, rgb8 bg)
{
    memset(cv, 0, sizeof *cv);
    if (!(dpi >= 10 && dpi <= 2400)) return ecgx_error(ECGX_ERR_ARG, "render: dpi %g is outside 10..2400", dpi);
    cv->format = format;
    cv->w_mm = w_mm;
    cv->h_mm = h_mm;
    cv->ppmm = dpi / 25.4;
    int w = (int)ceil(w_mm * cv->ppmm), h = (int)ceil(h_mm * cv->ppmm);
    if (w < 1 || h < 1 || (double)w * h > 4e8)
        return ecgx_error(ECGX_ERR_RANGE, "render: a %d x %d pixel figure is too large (lower the dpi)", w, h);
    cv->img.width = w;
    cv->img.height = h;
    if (format == ECGX_RENDER_PNG) {
        cv->img.rgb = ecgx_malloc_array((size_t)w * h, 3, "figure pixels");
        if (!cv->img.rgb) return ECGX_ERR_NOMEM;
        uint8_t *p = cv->img.rgb;
        for (size_t i = 0; i < (size_t)w; i++) { p[3 * i] = bg.r; p[3 * i + 1] = bg.g; p[3 * i + 2] = bg.b; }
        for (int y = 1; y < h; y++) memcpy(p + (size_t)y * w * 3, p, (size_t)w * 3);
    } else {
        char c[8];
        svg_color(c, bg);
        svg_printf(&cv->svg,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %.3f %.3f\">\n"
                   "<rect x=\"0\" y=\"0\" width=\"%.3f\" height=\"%.3f\" fill=\"%s\"/>\n",
                   w, h, w_mm, h_mm, w_mm, h_mm, c);
    }
    return 0;
}

void cv_free(canvas *cv)
{
    free(cv->img.rgb);
    free(cv->cov);
    free(cv->cov_col);
    free(cv->touched);
    free(cv->svg.s);
    memset(cv, 0, sizeof *cv);
}

int cv_finish(canvas *cv, ecgx_figure **out)
{
    *out = NULL;
    if (cv->format == ECGX_RENDER_SVG) svg_printf(&cv->svg, "</svg>\n");
    if (cv->failed || cv->svg.failed) {
        cv_free(cv);
        return ecgx_error(ECGX_ERR_NOMEM, "render: out of memory while drawing");
    }
    ecgx_figure *f = calloc(1, sizeof *f);
    if (!f) { cv_free(cv); return ecgx_error(ECGX_ERR_NOMEM, "render: out of memory"); }
    f->format = cv->format;
    f->width_mm = cv->w_mm;
    f->height_mm = cv->h_mm;
    f->dpi = cv->ppmm * 25.4;
    f->image.width = cv->img.width;
    f->image.height = cv->img.height;
    f->image.rgb = cv->img.rgb;
    f->svg = cv->svg.s;
    f->svg_len = cv->svg.len;
    cv->img.rgb = NULL;
    cv->svg.s = NULL;
    cv_free(cv);
    *out = f;
    return 0;
}

/* ---------------- raster primitives ---------------- */

static inline void blend(uint8_t *p, rgb8 c, double a)
{
    if (a >= 1) { p[0] = c.r; p[1] = c.g; p[2] = c.b; return; }
    p[0] = (uint8_t)(p[0] + (c.r - p[0]) * a + 0.5);
    p[1] = (uint8_t)(p[1] + (c.g - p[1]) * a + 0.5);
    p[2] = (uint8_t)(p[2] + (c.b - p[2]) * a + 0.5);
}

static double overlap(double a0, double a1, int p) /* length of [a0,a1) within pixel [p, p+1) */
{
    double lo = a0 > p ? a0 : p, hi = a1 < p + 1 ? a1 : p + 1;
    return hi > lo ? hi - lo : 0;
}

static void raster_rect(canvas *cv, double x0, double y0, double x1, double y1, rgb8 c, double alpha)
{
    int W = cv->img.width, H = cv->img.height;
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > W) x1 = W;
    if (y1 > H) y1 = H;
    if (!(x1 > x0 && y1 > y0)) return;
    int px0 = (int)floor(x0), px1 = (int)ceil(x1), py0 = (int)floor(y0), py1 = (int)ceil(y1);
    /* Column coverages once, as 8.8 fixed-point weights: a band of relevance
     * is thousands of such rectangles, so the blend is kept to integer ops. */
    int nx = px1 - px0;
    uint16_t ia_small[64], *ia = nx <= 64 ? ia_small : malloc((size_t)nx * sizeof *ia);
    double cx_small[64], *cx = nx <= 64 ? cx_small : malloc((size_t)nx * sizeof *cx);
    if (!ia || !cx) {
        if (ia != ia_small) free(ia);
        if (cx != cx_small) free(cx);
        cv->failed = 1;
        return;
    }
    for (int px = px0; px < px1; px++) cx[px - px0] = overlap(x0, x1, px);
    double last_cy = -1;
    for (int py = py0; py < py1; py++) {
        double cy = alpha * overlap(y0, y1, py);
        if (cy != last_cy) {
            for (int k = 0; k < nx; k++) ia[k] = (uint16_t)(cy * cx[k] * 256 + 0.5);
            last_cy = cy;
        }
        uint8_t *p = cv->img.rgb + ((size_t)py * W + px0) * 3;
        for (int k = 0; k < nx; k++, p += 3) {
            int a = ia[k];
            p[0] = (uint8_t)(p[0] + (((c.r - p[0]) * a + 128) >> 8));
            p[1] = (uint8_t)(p[1] + (((c.g - p[1]) * a + 128) >> 8));
            p[2] = (uint8_t)(p[2] + (((c.b - p[2]) * a + 128) >> 8));
        }
    }
    if (ia != ia_small) free(ia);
    if (cx != cx_small) free(cx);
}

static int touch(canvas *cv, int32_t idx)
{
    if (cv->n_touched == cv->cap_touched) {
        size_t cap = cv->cap_touched ? cv->cap_touched * 2 : 65536;
        int32_t *t = realloc(cv->touched, cap * sizeof *t);
        if (!t) { cv->failed = 1; return -1; }
        cv->touched = t;
        cv->cap_touched = cap;
    }
    cv->touched[cv->n_touched++] = idx;
    return 0;
}

/* Coverage of one segment (pixel units) into the scratch buffer. */
static void raster_segment_cov(canvas *cv, double ax, double ay, double bx, double by, double hw, double scale,
                               const rgb8 *col)
{
    int W = cv->img.width, H = cv->img.height;
    double r = hw + 1.0;
    int x0 = (int)floor(fmin(ax, bx) - r), x1 = (int)ceil(fmax(ax, bx) + r);
    int y0 = (int)floor(fmin(ay, by) - r), y1 = (int)ceil(fmax(ay, by) + r);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > W - 1) x1 = W - 1;
    if (y1 > H - 1) y1 = H - 1;
    double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    double inv = len2 > 1e-12 ? 1.0 / len2 : 0;
    double outer2 = (hw + 0.5) * (hw + 0.5), inner2 = hw > 0.5 ? (hw - 0.5) * (hw - 0.5) : -1;
    for (int py = y0; py <= y1; py++) {
        double qy = py + 0.5 - ay;
        for (int px = x0; px <= x1; px++) {
            double qx = px + 0.5 - ax;
            double t = (qx * dx + qy * dy) * inv;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double ex = qx - t * dx, ey = qy - t * dy;
            double d2 = ex * ex + ey * ey, c;
            if (d2 >= outer2) continue;  /* no coverage: most of the box */
            if (d2 <= inner2) c = 1;     /* fully inside: no square root */
            else c = fmin(1, hw + 0.5 - sqrt(d2));
            int cv8 = (int)(c * scale * 255 + 0.5);
            size_t idx = (size_t)py * W + px;
            if (cv8 > cv->cov[idx]) {
                if (cv->cov[idx] == 0 && touch(cv, (int32_t)idx)) return;
                cv->cov[idx] = (uint8_t)cv8;
                if (col) cv->cov_col[idx] = *col;
            }
        }
    }
}

static void raster_polyline(canvas *cv, const double *x, const double *y, int n, double width_mm,
                            const rgb8 *seg, rgb8 c)
{
    if (n < 2 || cv->failed) return;
    size_t npx = (size_t)cv->img.width * cv->img.height;
    if (!cv->cov && !(cv->cov = calloc(npx, 1))) { cv->failed = 1; return; }
    if (seg && !cv->cov_col && !(cv->cov_col = malloc(npx * sizeof *cv->cov_col))) { cv->failed = 1; return; }
    /* never thinner than 1.25 px: a thinner line on a half-pixel offset would
     * spread into two pale pixels and the trace would look grey at low dpi */
    double w = fmax(width_mm * cv->ppmm, 1.25), hw = w / 2, scale = 1;
    cv->n_touched = 0;
    double s = cv->ppmm;
    for (int i = 0; i + 1 < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || !isfinite(x[i + 1]) || !isfinite(y[i + 1])) continue;
        raster_segment_cov(cv, x[i] * s, y[i] * s, x[i + 1] * s, y[i + 1] * s, hw, scale, seg ? &seg[i] : NULL);
        if (cv->failed) break;
    }
    uint8_t *img = cv->img.rgb;
    for (size_t k = 0; k < cv->n_touched; k++) {
        size_t idx = (size_t)cv->touched[k];
        blend(img + 3 * idx, seg ? cv->cov_col[idx] : c, cv->cov[idx] / 255.0);
        cv->cov[idx] = 0;
    }
    cv->n_touched = 0;
}

/* ---------------- public primitives ---------------- */

void cv_rect(canvas *cv, double x, double y, double w, double h, rgb8 c, double alpha)
{
    if (!(w > 0 && h > 0) || alpha <= 0) return;
    if (cv->format == ECGX_RENDER_PNG) {
        double s = cv->ppmm;
        raster_rect(cv, x * s, y * s, (x + w) * s, (y + h) * s, c, alpha > 1 ? 1 : alpha);
    } else {
        char col[8];
        svg_color(col, c);
        svg_printf(&cv->svg, "<rect x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" fill=\"%s\"", x, y, w, h, col);
        if (alpha < 1) svg_printf(&cv->svg, " fill-opacity=\"%.3f\"", alpha);
        svg_printf(&cv->svg, "/>\n");
    }
}

void cv_line(canvas *cv, double x0, double y0, double x1, double y1, double width, rgb8 c)
{
    double xs[2] = {x0, x1}, ys[2] = {y0, y1};
    cv_polyline(cv, xs, ys, 2, width, NULL, c);
}

void cv_rect_outline(canvas *cv, double x, double y, double w, double h, double width, rgb8 c)
{
    double xs[5] = {x, x + w, x + w, x, x}, ys[5] = {y, y, y + h, y + h, y};
    cv_polyline(cv, xs, ys, 5, width, NULL, c);
}

static int same(rgb8 a, rgb8 b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

void cv_polyline(canvas *cv, const double *x, const double *y, int n, double width, const rgb8 *seg, rgb8 c)
{
    if (n < 2) return;
    if (cv->format == ECGX_RENDER_PNG) { raster_polyline(cv, x, y, n, width, seg, c); return; }
    /* SVG: one <polyline> per run of equal colour, sharing the run's end points */
    int a = 0;
    while (a < n - 1) {
        rgb8 col = seg ? seg[a] : c;
        int b = a + 1;
        while (seg && b < n - 1 && same(seg[b], col)) b++;
        char cs[8];
        svg_color(cs, col);
        svg_printf(&cv->svg, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.3f\" stroke-linejoin=\"round\" "
                             "stroke-linecap=\"round\" points=\"", cs, width);
        for (int i = a; i <= b; i++) svg_printf(&cv->svg, "%s%.2f,%.2f", i > a ? " " : "", x[i], y[i]); /* 0.01 mm */
        svg_printf(&cv->svg, "\"/>\n");
        a = b;
    }
}

void cv_band(canvas *cv, double x, double y, double w, double h, int n, const rgb8 *c, const double *a)
{
    if (n < 1 || !(w > 0 && h > 0)) return;
    if (cv->format == ECGX_RENDER_SVG) {
        for (int k = 0; k < n; k++) {
            if (a[k] < 0.01) continue;
            int j = k + 1; /* merge equal neighbours */
            while (j < n && same(c[j], c[k]) && fabs(a[j] - a[k]) < 1e-3) j++;
            cv_rect(cv, x + w * k / n, y, w * (j - k) / n, h, c[k], a[k]);
            k = j - 1;
        }
        return;
    }
    int W = cv->img.width, H = cv->img.height;
    double s = cv->ppmm;
    int px0 = (int)lround(x * s), px1 = (int)lround((x + w) * s), py0 = (int)lround(y * s), py1 = (int)lround((y + h) * s);
    if (px0 < 0) px0 = 0;
    if (py0 < 0) py0 = 0;
    if (px1 > W) px1 = W;
    if (py1 > H) py1 = H;
    int nx = px1 - px0;
    if (nx <= 0 || py1 <= py0) return;
    size_t bytes = (size_t)nx * 3;
    uint8_t *src = malloc(bytes), *dst = malloc(bytes);
    uint16_t *ia = malloc((size_t)nx * sizeof *ia);
    rgb8 *col = malloc((size_t)nx * sizeof *col);
    if (!src || !dst || !ia || !col) { free(src); free(dst); free(ia); free(col); cv->failed = 1; return; }
    for (int i = 0; i < nx; i++) {
        int k = (int)(((px0 + i + 0.5) / s - x) / w * n);
        if (k < 0) k = 0;
        if (k > n - 1) k = n - 1;
        double al = a[k] < 0.01 ? 0 : a[k] > 1 ? 1 : a[k];
        ia[i] = (uint16_t)(al * 256 + 0.5);
        col[i] = c[k];
    }
    int have = 0;
    for (int py = py0; py < py1; py++) {
        uint8_t *p = cv->img.rgb + ((size_t)py * W + px0) * 3;
        if (have && memcmp(p, src, bytes) == 0) { memcpy(p, dst, bytes); continue; }
        memcpy(src, p, bytes);
        for (int i = 0; i < nx; i++) {
            int al = ia[i];
            uint8_t *q = p + 3 * i;
            q[0] = (uint8_t)(q[0] + (((col[i].r - q[0]) * al + 128) >> 8));
            q[1] = (uint8_t)(q[1] + (((col[i].g - q[1]) * al + 128) >> 8));
            q[2] = (uint8_t)(q[2] + (((col[i].b - q[2]) * al + 128) >> 8));
        }
        memcpy(dst, p, bytes);
        have = 1;
    }
    free(src); free(dst); free(ia); free(col);
}

void cv_grid_line_span(double ppmm, double p_mm, int major, int *first, int *count)
{
    int minw = (int)lround(ppmm * 0.08), majw = (int)lround(ppmm * 0.16);
    if (minw < 1) minw = 1;
    if (majw < minw) majw = minw;
    int w = major ? majw : minw;
    *count = w;
    *first = (int)lround(p_mm * ppmm - (w - 1) / 2.0);
}

void cv_grid(canvas *cv, double x, double y, double w, double h, rgb8 bg, rgb8 minor, rgb8 major)
{
    int nx = (int)floor(w + 1e-9), ny = (int)floor(h + 1e-9);
    if (cv->format == ECGX_RENDER_SVG) {
        char cb[8], cmi[8], cma[8];
        svg_color(cb, bg);
        svg_color(cmi, minor);
        svg_color(cma, major);
        svg_printf(&cv->svg, "<g id=\"grid\">\n<rect x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" fill=\"%s\"/>\n",
                   x, y, w, h, cb);
        for (int pass = 0; pass < 2; pass++) {
            svg_printf(&cv->svg, "<path class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" d=\"",
                       pass ? "major" : "minor", pass ? cma : cmi, pass ? "0.16" : "0.08");
            for (int k = 0; k <= nx; k++)
                if ((k % 5 == 0) == pass) svg_printf(&cv->svg, "M%.3f %.3fV%.3f", x + k, y, y + h);
            for (int k = 0; k <= ny; k++)
                if ((k % 5 == 0) == pass) svg_printf(&cv->svg, "M%.3f %.3fH%.3f", x, y + k, x + w);
            svg_printf(&cv->svg, "\"/>\n");
        }
        svg_printf(&cv->svg, "</g>\n");
        return;
    }
    /* Raster: three template rows (plain, minor line, major line), copied. */
    int W = cv->img.width, H = cv->img.height;
    double s = cv->ppmm;
    int gx0 = (int)lround(x * s), gx1 = (int)lround((x + w) * s) + 1;
    int gy0 = (int)lround(y * s), gy1 = (int)lround((y + h) * s) + 1;
    if (gx0 < 0) gx0 = 0;
    if (gy0 < 0) gy0 = 0;
    if (gx1 > W) gx1 = W;
    if (gy1 > H) gy1 = H;
    if (gx1 <= gx0 || gy1 <= gy0) return;
    int span = gx1 - gx0, rows = gy1 - gy0;
    uint8_t *colk = calloc((size_t)span, 1), *rowk = calloc((size_t)rows, 1);
    uint8_t *tpl = malloc((size_t)span * 3 * 3);
    if (!colk || !rowk || !tpl) { free(colk); free(rowk); free(tpl); cv->failed = 1; return; }
    for (int pass = 1; pass <= 2; pass++) /* minor, then major on top */
        for (int axis = 0; axis < 2; axis++) {
            int nk = axis ? ny : nx;
            for (int k = 0; k <= nk; k++) {
                int maj = k % 5 == 0;
                if (maj != (pass == 2)) continue;
                int first, count;
                cv_grid_line_span(s, (axis ? y : x) + k, maj, &first, &count);
                for (int q = first; q < first + count; q++) {
                    int rel = q - (axis ? gy0 : gx0);
                    if (rel >= 0 && rel < (axis ? rows : span)) (axis ? rowk : colk)[rel] = (uint8_t)pass;
                }
            }
        }
    rgb8 kinds[3] = {bg, minor, major};
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < span; i++) {
            int k = colk[i] > t ? colk[i] : t; /* the darker of the row's and the column's line */
            uint8_t *p = tpl + ((size_t)t * span + i) * 3;
            p[0] = kinds[k].r; p[1] = kinds[k].g; p[2] = kinds[k].b;
        }
    for (int r = 0; r < rows; r++)
        memcpy(cv->img.rgb + ((size_t)(gy0 + r) * W + gx0) * 3, tpl + (size_t)rowk[r] * span * 3, (size_t)span * 3);
    free(colk);
    free(rowk);
    free(tpl);
}

double cv_text_width(double size, const char *s)
{
    size_t n = strlen(s);
    return n ? (double)(6 * n - 1) * size / 7.0 : 0;
}

void cv_text(canvas *cv, double x, double y, double size, const char *s, rgb8 c, int align)
{
    if (!s || !*s) return;
    if (cv->format == ECGX_RENDER_SVG) {
        char cs[8];
        svg_color(cs, c);
        static const char *const anchors[3] = {"start", "middle", "end"};
        svg_printf(&cv->svg, "<text x=\"%.3f\" y=\"%.3f\" font-size=\"%.3f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
                             "fill=\"%s\" text-anchor=\"%s\" xml:space=\"preserve\" style=\"white-space:pre\">", x, y, size / 0.72, cs, anchors[align]);
        svg_escape(&cv->svg, s);
        svg_printf(&cv->svg, "</text>\n");
        return;
    }
    double s_px = size * cv->ppmm;
    int cell = (int)lround(s_px / 7);
    if (cell < 1) cell = 1;
    int n = (int)strlen(s);
    int width = (6 * n - 1) * cell;
    int px = (int)lround(x * cv->ppmm), base = (int)lround(y * cv->ppmm);
    if (align == ALIGN_CENTER) px -= width / 2;
    else if (align == ALIGN_RIGHT) px -= width;
    int W = cv->img.width, H = cv->img.height;
    for (int i = 0; i < n; i++) {
        uint8_t rows[7];
        font5x7_rows((unsigned char)s[i], rows);
        int gx = px + i * 6 * cell;
        for (int r = 0; r < 7; r++)
            for (int col = 0; col < 5; col++) {
                if (!(rows[r] >> (4 - col) & 1)) continue;
                int x0 = gx + col * cell, y0 = base - (7 - r - font5x7_descent((unsigned char)s[i])) * cell;
                for (int yy = y0; yy < y0 + cell; yy++) {
                    if (yy < 0 || yy >= H) continue;
                    for (int xx = x0; xx < x0 + cell; xx++) {
                        if (xx < 0 || xx >= W) continue;
                        uint8_t *p = cv->img.rgb + ((size_t)yy * W + xx) * 3;
                        p[0] = c.r; p[1] = c.g; p[2] = c.b;
                    }
                }
            }
    }
}
