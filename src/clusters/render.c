/* A figure of one record's clusters: a lead on ECG paper, under it the
 * cluster strip (one colour per cluster, by the wave the cluster mostly
 * covers: P blues, QRS reds, T greens, TP/other greys) and the uncertainty
 * band (the assignment's entropy over time, as a line and a grey tint
 * scaled to log k, the entropy of a uniform assignment), then a legend that
 * names each cluster ("QRS-like") with its share of the record. Drawn with
 * the render module's canvas (PNG or SVG), in millimetres at 25 mm/s and
 * 10 mm/mV. Hooking it into `ecgx report` is left to the report's owner. */
#include "clusters/internal.h"
#include "render/canvas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Family base colours and how far each further cluster of the family is lightened. */
static rgb8 cluster_colour(const ecgx_clusters *c, int j)
{
    static const rgb8 base[ECGX_CW_N + 1] = {{33, 102, 172}, {202, 0, 32}, {26, 152, 80}, {110, 110, 110}, {160, 120, 40}};
    int w = c->wave_of[j] >= 0 && c->wave_of[j] < ECGX_CW_N ? c->wave_of[j] : ECGX_CW_N;
    int rank = 0;
    for (int q = 0; q < j; q++) rank += c->wave_of[q] == c->wave_of[j];
    double f = fmin(0.75, 0.16 * rank); /* towards white */
    rgb8 o = base[w];
    o.r = (uint8_t)(o.r + f * (255 - o.r));
    o.g = (uint8_t)(o.g + f * (255 - o.g));
    o.b = (uint8_t)(o.b + f * (255 - o.b));
    return o;
}

static int cmpf(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

int ecgx_clusters_render(const ecgx_record *rec, const ecgx_clusters *c, const ecgx_clusters_record *r, int lead,
                         double dpi, ecgx_render_format format, ecgx_figure **out)
{
    *out = NULL;
    if (!rec || !r || r->n != rec->n_samples || lead < 0 || lead >= rec->n_leads || r->k != c->gmm.k)
        return ecgx_error(ECGX_ERR_ARG, "clusters: render: the assignment does not belong to this record or lead %d is out of range", lead);
    const double speed = 25, gain = 10, margin = 10;
    double dur = fmin(10.0, rec->n_samples / rec->fs);
    int64_t n = (int64_t)floor(dur * rec->fs);
    if (n < 2) return ecgx_error(ECGX_ERR_ARG, "clusters: render: record too short");
    double tw = dur * speed, W = tw + 2 * margin;
    int K = r->k, legend_rows = (K + 3) / 4;
    double y_ecg = 12, h_ecg = 40, y_strip = y_ecg + h_ecg + 3, h_strip = 6, y_ent = y_strip + h_strip + 2, h_ent = 12,
           y_leg = y_ent + h_ent + 7, H = y_leg + 6 * legend_rows + 4;
    canvas cv;
    rgb8 white = {255, 255, 255}, ink = {20, 20, 20}, minor = {252, 215, 215}, major = {240, 150, 150};
    int rc = cv_init(&cv, format, W, H, dpi > 0 ? dpi : 150, white);
    if (rc) return rc;
    char buf[600];
    snprintf(buf, sizeof buf, "%.200s, lead %.60s: time-localised clusters (k = %d), mean entropy %.3f nats", rec->name,
             rec->leads[lead].name, K, r->mean_entropy);
    cv_text(&cv, margin, 7, 2.2, buf, ink, ALIGN_LEFT);
    /* the lead on paper, baseline at the median so a wandering record stays in view */
    cv_grid(&cv, margin, y_ecg, tw, h_ecg, white, minor, major);
    const float *v = ecgx_record_lead(rec, lead);
    float *srt = malloc(sizeof(float) * (size_t)n);
    double *px = malloc(sizeof(double) * (size_t)n), *py = malloc(sizeof(double) * (size_t)n);
    rgb8 *cols = malloc(sizeof(rgb8) * (size_t)(n > 0 ? n : 1));
    double *alpha = malloc(sizeof(double) * (size_t)n);
    if (!srt || !px || !py || !cols || !alpha) {
        free(srt), free(px), free(py), free(cols), free(alpha), cv_free(&cv);
        return ecgx_error(ECGX_ERR_NOMEM, "clusters: out of memory");
    }
    int fin = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i])) srt[fin++] = v[i];
    double med = 0;
    if (fin) {
        qsort(srt, (size_t)fin, sizeof(float), cmpf);
        med = srt[fin / 2];
    }
    double base = y_ecg + h_ecg / 2;
    for (int64_t i = 0; i < n; i++) {
        px[i] = margin + i / rec->fs * speed;
        double yv = isfinite(v[i]) ? base - (v[i] - med) * gain : base;
        py[i] = fmin(y_ecg + h_ecg, fmax(y_ecg, yv));
    }
    cv_polyline(&cv, px, py, (int)n, 0.25, NULL, ink);
    /* cluster strip */
    for (int64_t i = 0; i < n; i++) cols[i] = cluster_colour(c, r->cluster[i]), alpha[i] = 1;
    cv_band(&cv, margin, y_strip, tw, h_strip, (int)n, cols, alpha);
    cv_text(&cv, margin - 1, y_strip + 4.5, 1.6, "clusters", ink, ALIGN_RIGHT);
    /* uncertainty: grey tint and the entropy as a line, full height = log k */
    double hmax = log((double)K);
    rgb8 grey = {90, 90, 90};
    for (int64_t i = 0; i < n; i++) {
        double e = hmax > 0 ? fmin(1, r->entropy[i] / hmax) : 0;
        cols[i] = grey, alpha[i] = 0.6 * e;
        py[i] = y_ent + h_ent - e * h_ent;
    }
    cv_rect_outline(&cv, margin, y_ent, tw, h_ent, 0.15, grey);
    cv_band(&cv, margin, y_ent, tw, h_ent, (int)n, cols, alpha);
    cv_polyline(&cv, px, py, (int)n, 0.25, NULL, ink);
    snprintf(buf, sizeof buf, "entropy (0..%.2f nats)", hmax);
    cv_text(&cv, margin, y_ent + h_ent + 3, 1.6, buf, ink, ALIGN_LEFT);
    /* legend */
    for (int j = 0; j < K; j++) {
        double x = margin + (j % 4) * (tw / 4), y = y_leg + 6 * (j / 4);
        cv_rect(&cv, x, y - 3, 5, 3.5, cluster_colour(c, j), 1);
        if (c->wave_of[j] >= 0)
            snprintf(buf, sizeof buf, "%d %s-like %.0f %%", j, ecgx_clusters_wave_name(c->wave_of[j]), 100 * r->proportion[j]);
        else
            snprintf(buf, sizeof buf, "%d %.0f %%", j, 100 * r->proportion[j]);
        cv_text(&cv, x + 6.5, y, 2.0, buf, ink, ALIGN_LEFT);
    }
    free(srt), free(px), free(py), free(cols), free(alpha);
    return cv_finish(&cv, out);
}

