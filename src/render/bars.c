/* Horizontal bar charts of signed values on the diverging scale: relevance
 * per lead, per segment (P, PR, QRS, ST, T, TP), or any labelled list. */
#include "render/render_internal.h"

#include <stdio.h>
#include <string.h>

int ecgx_render_bars(const char *title, const char *const *labels, const double *values, int n, double dpi,
                     ecgx_render_format format, ecgx_figure **out)
{
    *out = NULL;
    if (!labels || !values || n < 1 || n > 1000) return ecgx_error(ECGX_ERR_ARG, "bar chart: need 1..1000 labelled values");
    double vmax = 0, lab_w = 0;
    int neg = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(values[i])) return ecgx_error(ECGX_ERR_ARG, "bar chart: value %d is not finite", i);
        if (fabs(values[i]) > vmax) vmax = fabs(values[i]);
        neg |= values[i] < 0;
        double w = cv_text_width(2.6, labels[i] ? labels[i] : "");
        if (w > lab_w) lab_w = w;
    }
    if (!(vmax > 0)) vmax = 1;
    double margin = 6, top = title ? 13 : 6, row = 7, bar_h = 4.6, plot_w = 90;
    double x_lab = margin + lab_w, x0 = x_lab + 4;
    double zero = neg ? x0 + plot_w / 2 : x0, half = neg ? plot_w / 2 : plot_w;
    double W = x0 + plot_w + 22, H = top + n * row + 8;
    canvas cv;
    int rc = cv_init(&cv, format, W, H, dpi, WHITE);
    if (rc) return rc;
    if (title) cv_text(&cv, margin, 8, 3.0, title, TEXT_INK, ALIGN_LEFT);
    /* light guide lines at quarters of the scale */
    for (int k = -4; k <= 4; k++) {
        if (!neg && k < 0) continue;
        double x = zero + half * k / 4;
        cv_line(&cv, x, top - 1, x, top + n * row, k == 0 ? 0.25 : 0.1, k == 0 ? TEXT_INK : (rgb8){215, 215, 220});
    }
    for (int i = 0; i < n; i++) {
        double y = top + i * row, v = values[i] / vmax;
        double x = v >= 0 ? zero : zero + half * v, w = half * fabs(v);
        rgb8 c = render_cmap(neg ? v : fmax(v, 0.15));
        cv_rect(&cv, x, y + (row - bar_h) / 2, w, bar_h, c, 1);
        if (w > 0.3) cv_rect_outline(&cv, x, y + (row - bar_h) / 2, w, bar_h, 0.12, (rgb8){120, 120, 130});
        cv_text(&cv, x_lab, y + row / 2 + 1.3, 2.6, labels[i] ? labels[i] : "", TEXT_INK, ALIGN_RIGHT);
        char num[32];
        snprintf(num, sizeof num, "%.2f", values[i]);
        if (v >= 0) cv_text(&cv, zero + w + 1.5, y + row / 2 + 1.0, 2.0, num, TEXT_INK, ALIGN_LEFT);
        else cv_text(&cv, x - 1.5, y + row / 2 + 1.0, 2.0, num, TEXT_INK, ALIGN_RIGHT);
    }
    return cv_finish(&cv, out);
}
