/* SHAP figures drawn with ecgx's own canvas (src/render): the beeswarm
 * summary (one row per feature, a dot per record at its SHAP value, coloured
 * by the feature's value) and the dependence plot (value against SHAP). */
#include "trees/internal.h"
#include "render/canvas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INK ((rgb8){40, 40, 48})
#define GUIDE ((rgb8){215, 215, 220})
#define MISSING ((rgb8){160, 160, 160})

/* Blue (low) to red (high), as the SHAP package colours feature values. */
static rgb8 value_colour(double u)
{
    if (!isfinite(u)) return MISSING;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    return (rgb8){(uint8_t)(30 + 200 * u), (uint8_t)(100 - 60 * fabs(u - 0.5) * 2 + 20), (uint8_t)(230 - 200 * u)};
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 5th and 95th percentiles of a feature's finite values: the colour range,
 * so that one outlier does not wash the rest into one colour. */
static void range_of(const double *xf, int n, int nf, int j, double *lo, double *hi)
{
    double *v = malloc(sizeof *v * (size_t)(n + 1));
    int k = 0;
    for (int i = 0; v && i < n; i++) if (isfinite(xf[(size_t)i * nf + j])) v[k++] = xf[(size_t)i * nf + j];
    *lo = *hi = NAN;
    if (k) {
        qsort(v, (size_t)k, sizeof *v, cmp_d);
        *lo = v[(int)(0.05 * (k - 1))];
        *hi = v[(int)(0.95 * (k - 1))];
    }
    free(v);
}

static void dot(canvas *cv, double x, double y, double r, rgb8 c)
{
    cv_rect(cv, x - r, y - r, 2 * r, 2 * r, c, 0.85);
}

typedef struct rank { int j; double v; } rank;
static int cmp_rank(const void *a, const void *b)
{
    const rank *x = a, *y = b;
    return (x->v < y->v) - (x->v > y->v);
}

static void nice_label(double v, char *buf, size_t n) { snprintf(buf, n, "%.3g", v); }

int ecgx_trees_render_beeswarm(const ecgx_trees *m, int c, const double *phi, const double *xf, int n, int top_k,
                               double dpi, ecgx_render_format format, ecgx_figure **out)
{
    *out = NULL;
    if (!m || c < 0 || c >= m->n_classes || !phi || !xf || n < 1 || top_k < 1)
        return ecgx_error(ECGX_ERR_ARG, "beeswarm: bad arguments");
    int nf = m->cls[c].nf, rows = top_k < nf ? top_k : nf;
    rank *rk = malloc(sizeof *rk * (size_t)(nf + 1));
    int *bins = NULL;
    if (!rk) return ecgx_error(ECGX_ERR_NOMEM, "beeswarm: out of memory");
    double vmax = 0;
    for (int j = 0; j < nf; j++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double v = phi[(size_t)i * (nf + 1) + j];
            s += fabs(v);
            if (fabs(v) > vmax) vmax = fabs(v);
        }
        rk[j] = (rank){j, s / n};
    }
    qsort(rk, (size_t)nf, sizeof *rk, cmp_rank);
    if (!(vmax > 0)) vmax = 1;
    char words[128], unit[32], lab[200];
    double lab_w = 0;
    for (int r = 0; r < rows; r++) {
        ecgx_trees_feature_words(m->cls[c].features[rk[r].j], words, sizeof words, unit, sizeof unit);
        snprintf(lab, sizeof lab, "%s%s%s%s", words, *unit ? " (" : "", unit, *unit ? ")" : "");
        double w = 1.1 * cv_text_width(2.4, lab); /* some slack: the raster font runs a little wide */
        if (w > lab_w) lab_w = w;
    }
    double margin = 6, top = 14, row = 8, plot_w = 110;
    double x0 = margin + lab_w + 4, zero = x0 + plot_w / 2, half = plot_w / 2 - 2;
    double W = x0 + plot_w + 26, H = top + rows * row + 16;
    canvas cv;
    int rc = cv_init(&cv, format, W, H, dpi, (rgb8){255, 255, 255});
    if (rc) { free(rk); return rc; }
    char title[160];
    snprintf(title, sizeof title, "SHAP values, %s (log-odds; dots: records)", m->cls[c].name);
    cv_text(&cv, margin, 8, 3.0, title, INK, ALIGN_LEFT);
    for (int k = -4; k <= 4; k++) {
        double x = zero + half * k / 4;
        cv_line(&cv, x, top - 1, x, top + rows * row, k == 0 ? 0.25 : 0.1, k == 0 ? INK : GUIDE);
    }
    /* dots are stacked upwards and downwards within a row where they collide: a histogram of 0.8 mm bins */
    int nbins = (int)(plot_w / 0.8) + 2;
    bins = calloc((size_t)nbins, sizeof *bins);
    if (!bins) { cv_free(&cv); free(rk); return ecgx_error(ECGX_ERR_NOMEM, "beeswarm: out of memory"); }
    for (int r = 0; r < rows; r++) {
        int j = rk[r].j;
        double y = top + r * row + row / 2, lo, hi;
        range_of(xf, n, nf, j, &lo, &hi);
        memset(bins, 0, sizeof *bins * (size_t)nbins);
        for (int i = 0; i < n; i++) {
            double v = phi[(size_t)i * (nf + 1) + j], x = zero + half * v / vmax;
            int b = (int)((x - x0) / 0.8);
            if (b < 0) b = 0;
            if (b >= nbins) b = nbins - 1;
            int k = bins[b]++;
            double dy = (k % 2 ? 1 : -1) * ((k + 1) / 2) * 0.45;
            if (fabs(dy) > row / 2 - 0.5) dy = fmod(dy, row / 2 - 0.5);
            double xv = xf[(size_t)i * nf + j];
            double u = isfinite(xv) && isfinite(lo) ? (hi > lo ? (xv - lo) / (hi - lo) : 0.5) : NAN;
            dot(&cv, x, y + dy, 0.35, value_colour(u));
        }
        ecgx_trees_feature_words(m->cls[c].features[j], words, sizeof words, unit, sizeof unit);
        snprintf(lab, sizeof lab, "%s%s%s%s", words, *unit ? " (" : "", unit, *unit ? ")" : "");
        cv_text(&cv, x0 - 3, y + 1.2, 2.4, lab, INK, ALIGN_RIGHT);
    }
    char num[32];
    for (int k = -2; k <= 2; k++) {
        nice_label(vmax * k / 2, num, sizeof num);
        cv_text(&cv, zero + half * k / 2, top + rows * row + 5, 2.0, num, INK, ALIGN_CENTER);
    }
    cv_text(&cv, zero, top + rows * row + 11, 2.4, "SHAP value (impact on the log-odds)", INK, ALIGN_CENTER);
    /* colour key */
    double kx = x0 + plot_w + 8, ky = top, kh = rows * row * 0.6;
    for (int s = 0; s < 40; s++) cv_rect(&cv, kx, ky + kh * (39 - s) / 40, 3, kh / 40 + 0.05, value_colour(s / 39.0), 1);
    cv_text(&cv, kx + 1.5, ky - 1.5, 2.0, "high", INK, ALIGN_CENTER);
    cv_text(&cv, kx + 1.5, ky + kh + 3.5, 2.0, "low", INK, ALIGN_CENTER);
    cv_rect(&cv, kx, ky + kh + 6, 3, 2, MISSING, 1);
    cv_text(&cv, kx + 1.5, ky + kh + 11, 2.0, "n/a", INK, ALIGN_CENTER);
    free(bins);
    free(rk);
    return cv_finish(&cv, out);
}

int ecgx_trees_render_dependence(const ecgx_trees *m, int c, int j, const double *phi, const double *xf, int n,
                                 double dpi, ecgx_render_format format, ecgx_figure **out)
{
    *out = NULL;
    if (!m || c < 0 || c >= m->n_classes || j < 0 || j >= m->cls[c].nf || !phi || !xf || n < 1)
        return ecgx_error(ECGX_ERR_ARG, "dependence plot: bad arguments");
    int nf = m->cls[c].nf;
    double xlo = INFINITY, xhi = -INFINITY, ymax = 0;
    int nmiss = 0;
    for (int i = 0; i < n; i++) {
        double x = xf[(size_t)i * nf + j], y = phi[(size_t)i * (nf + 1) + j];
        if (fabs(y) > ymax) ymax = fabs(y);
        if (!isfinite(x)) { nmiss++; continue; }
        if (x < xlo) xlo = x;
        if (x > xhi) xhi = x;
    }
    if (!isfinite(xlo)) { xlo = 0; xhi = 1; }
    if (!(xhi > xlo)) { xlo -= 0.5; xhi += 0.5; }
    if (!(ymax > 0)) ymax = 1;
    double W = 140, H = 100, px = 22, py = 14, pw = 108, ph = 66, zero = py + ph / 2;
    canvas cv;
    int rc = cv_init(&cv, format, W, H, dpi, (rgb8){255, 255, 255});
    if (rc) return rc;
    char words[128], unit[32], t[256];
    ecgx_trees_feature_words(m->cls[c].features[j], words, sizeof words, unit, sizeof unit);
    snprintf(t, sizeof t, "%s: SHAP for %s against its value", words, m->cls[c].name);
    cv_text(&cv, 6, 8, 2.8, t, INK, ALIGN_LEFT);
    cv_rect_outline(&cv, px, py, pw, ph, 0.15, INK);
    cv_line(&cv, px, zero, px + pw, zero, 0.2, GUIDE);
    for (int i = 0; i < n; i++) {
        double x = xf[(size_t)i * nf + j], y = phi[(size_t)i * (nf + 1) + j];
        double yy = zero - (ph / 2 - 1) * y / ymax;
        if (!isfinite(x)) dot(&cv, px + pw + 4, yy, 0.45, MISSING); /* missing values in a column of their own */
        else dot(&cv, px + 1 + (pw - 2) * (x - xlo) / (xhi - xlo), yy, 0.45, (rgb8){200, 40, 60});
    }
    char a[32], b[32];
    nice_label(xlo, a, sizeof a);
    nice_label(xhi, b, sizeof b);
    cv_text(&cv, px, py + ph + 5, 2.0, a, INK, ALIGN_LEFT);
    cv_text(&cv, px + pw, py + ph + 5, 2.0, b, INK, ALIGN_RIGHT);
    snprintf(t, sizeof t, "%s%s%s%s", words, *unit ? " (" : "", unit, *unit ? ")" : "");
    cv_text(&cv, px + pw / 2, py + ph + 11, 2.4, t, INK, ALIGN_CENTER);
    if (nmiss) cv_text(&cv, px + pw + 4, py + ph + 5, 2.0, "n/a", INK, ALIGN_CENTER);
    nice_label(ymax, a, sizeof a);
    nice_label(-ymax, b, sizeof b);
    cv_text(&cv, px - 2, py + 2, 2.0, a, INK, ALIGN_RIGHT);
    cv_text(&cv, px - 2, zero + 0.7, 2.0, "0", INK, ALIGN_RIGHT);
    cv_text(&cv, px - 2, py + ph, 2.0, b, INK, ALIGN_RIGHT);
    cv_text(&cv, 6, py + ph + 17, 2.2, "y: SHAP value (log-odds)", INK, ALIGN_LEFT);
    return cv_finish(&cv, out);
}
