/* The 12-lead paper: layouts (3x4 + rhythm, 6x2 + rhythm, 12x1), the grid,
 * calibration pulses, traces (coloured by relevance when given), labels,
 * header and footer. All geometry is in millimetres; see
 * ecgx_render_ecg_geometry for where things go. */
#include "render/render_internal.h"
#include "core/alloc.h"
#include "core/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN_MM 8.0
#define HEADER_MM 24.0
#define NO_HEADER_MM 8.0
#define FOOTER_MM 12.0
#define FOOTER_REL_MM 16.0

void ecgx_render_options_default(ecgx_render_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->layout = ECGX_LAYOUT_3X4;
    opt->dpi = 300;
    opt->speed_mm_s = 25;
    opt->gain_mm_mv = 10;
    opt->t_start_s = 0;
    opt->duration_s = 10;
    opt->rhythm_lead = ECGX_LEAD_II;
    opt->show_header = 1;
    opt->relevance_band = 1;
    opt->header.rate_bpm = opt->header.pr_ms = opt->header.qrs_ms = NAN;
    opt->header.qt_ms = opt->header.qtc_ms = opt->header.axis_deg = NAN;
}

int ecgx_layout_parse(const char *s)
{
    if (!s) return -1;
    if (strcasecmp_ascii(s, "3x4") == 0) return ECGX_LAYOUT_3X4;
    if (strcasecmp_ascii(s, "6x2") == 0) return ECGX_LAYOUT_6X2;
    if (strcasecmp_ascii(s, "12x1") == 0) return ECGX_LAYOUT_12X1;
    return -1;
}

static const int LEADS_3X4[3][4] = {{ECGX_LEAD_I, ECGX_LEAD_AVR, ECGX_LEAD_V1, ECGX_LEAD_V4},
                                    {ECGX_LEAD_II, ECGX_LEAD_AVL, ECGX_LEAD_V2, ECGX_LEAD_V5},
                                    {ECGX_LEAD_III, ECGX_LEAD_AVF, ECGX_LEAD_V3, ECGX_LEAD_V6}};

static int find_std(const ecgx_record *rec, int std)
{
    for (int l = 0; l < rec->n_leads; l++)
        if (rec->leads[l].std_index == std) return l;
    return -1;
}

static int check_options(const ecgx_record *rec, const ecgx_render_options *o)
{
    if (!rec || !rec->data || rec->n_leads < 1 || rec->n_samples < 1 || !(rec->fs > 0))
        return ecgx_error(ECGX_ERR_ARG, "render: empty record");
    if ((unsigned)o->layout > ECGX_LAYOUT_12X1) return ecgx_error(ECGX_ERR_ARG, "render: unknown layout %d", (int)o->layout);
    if (!(o->dpi >= 10 && o->dpi <= 2400)) return ecgx_error(ECGX_ERR_ARG, "render: dpi %g is outside 10..2400", o->dpi);
    if (!(o->speed_mm_s >= 5 && o->speed_mm_s <= 200))
        return ecgx_error(ECGX_ERR_ARG, "render: paper speed %g mm/s is outside 5..200", o->speed_mm_s);
    if (!(o->gain_mm_mv >= 1 && o->gain_mm_mv <= 100))
        return ecgx_error(ECGX_ERR_ARG, "render: gain %g mm/mV is outside 1..100", o->gain_mm_mv);
    if (!(o->duration_s > 0 && o->duration_s <= 120))
        return ecgx_error(ECGX_ERR_ARG, "render: duration %g s is outside (0, 120]", o->duration_s);
    if (!(o->t_start_s >= 0) || !isfinite(o->t_start_s))
        return ecgx_error(ECGX_ERR_ARG, "render: start time %g s is negative", o->t_start_s);
    /* past the end there is nothing to draw: an empty grid would pass for a flat ECG */
    double len_s = (double)rec->n_samples / rec->fs;
    if (o->t_start_s >= len_s)
        return ecgx_error(ECGX_ERR_RANGE, "render: start %g s is at or past the end of the record (%g s long)",
                          o->t_start_s, len_s);
    if (o->rhythm_lead >= ECGX_N_STD_LEADS) return ecgx_error(ECGX_ERR_ARG, "render: rhythm lead %d is not a standard lead", o->rhythm_lead);
    return 0;
}

int ecgx_render_has_standard12(const ecgx_record *rec)
{
    for (int l = 0; l < ECGX_N_STD_LEADS; l++)
        if (find_std(rec, l) < 0) return 0;
    return 1;
}

int ecgx_render_ecg_geometry(const ecgx_record *rec, const ecgx_render_options *opt_in, ecgx_render_geometry *g)
{
    ecgx_render_options o;
    if (opt_in) o = *opt_in; else ecgx_render_options_default(&o);
    int rc = check_options(rec, &o);
    if (rc) return rc;
    memset(g, 0, sizeof *g);
    int rhythm = o.layout != ECGX_LAYOUT_12X1 && o.rhythm_lead >= 0;
    int own = o.layout == ECGX_LAYOUT_12X1 && !ecgx_render_has_standard12(rec); /* the record's own leads */
    int n_own = rec->n_leads < 12 ? rec->n_leads : 12;
    int n_main = o.layout == ECGX_LAYOUT_3X4 ? 3 : o.layout == ECGX_LAYOUT_6X2 ? 6 : own ? n_own : 12;
    double pitch = o.layout == ECGX_LAYOUT_3X4 ? 40 : o.layout == ECGX_LAYOUT_6X2 ? 30 : 25;
    double base_off = o.layout == ECGX_LAYOUT_3X4 ? 25 : o.layout == ECGX_LAYOUT_6X2 ? 20 : 15;
    g->n_rows = n_main + rhythm;
    /* calibration pulse: 200 ms wide, centred in a box of whole 5 mm squares */
    g->cal_w_mm = 0.2 * o.speed_mm_s;
    double cal_box = 5.0 * ceil((g->cal_w_mm + 5.0) / 5.0);
    g->grid_x_mm = MARGIN_MM;
    g->grid_y_mm = o.show_header ? HEADER_MM : NO_HEADER_MM;
    g->cal_x_mm = g->grid_x_mm + (cal_box - g->cal_w_mm) / 2;
    g->trace_x_mm = g->grid_x_mm + cal_box;
    double trace_w = o.duration_s * o.speed_mm_s;
    g->grid_w_mm = 5.0 * ceil((cal_box + trace_w) / 5.0 - 1e-9);
    g->grid_h_mm = g->n_rows * pitch;
    g->page_w_mm = g->grid_x_mm + g->grid_w_mm + MARGIN_MM;
    g->page_h_mm = g->grid_y_mm + g->grid_h_mm + (o.relevance ? FOOTER_REL_MM : FOOTER_MM);
    g->px_per_mm = o.dpi / 25.4;
    g->width_px = (int)ceil(g->page_w_mm * g->px_per_mm);
    g->height_px = (int)ceil(g->page_h_mm * g->px_per_mm);
    for (int r = 0; r < g->n_rows; r++) g->row_baseline_mm[r] = g->grid_y_mm + r * pitch + base_off;

    int np = 0;
    double t0 = o.t_start_s, dur = o.duration_s;
    if (o.layout == ECGX_LAYOUT_3X4) {
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) {
                ecgx_render_panel *p = &g->panels[np++];
                p->std_lead = LEADS_3X4[r][c];
                p->row = r;
                p->t0_s = t0 + c * dur / 4;
                p->t1_s = t0 + (c + 1) * dur / 4;
            }
    } else if (o.layout == ECGX_LAYOUT_6X2) {
        for (int c = 0; c < 2; c++)
            for (int r = 0; r < 6; r++) {
                ecgx_render_panel *p = &g->panels[np++];
                p->std_lead = c * 6 + r;
                p->row = r;
                p->t0_s = t0 + c * dur / 2;
                p->t1_s = t0 + (c + 1) * dur / 2;
            }
    } else {
        for (int r = 0; r < n_main; r++) {
            ecgx_render_panel *p = &g->panels[np++];
            p->std_lead = own ? rec->leads[r].std_index : r;
            p->record_lead = own ? r : -1;
            p->row = r;
            p->t0_s = t0;
            p->t1_s = t0 + dur;
        }
    }
    if (rhythm) {
        ecgx_render_panel *p = &g->panels[np++];
        p->std_lead = o.rhythm_lead;
        p->row = n_main;
        p->t0_s = t0;
        p->t1_s = t0 + dur;
    }
    for (int i = 0; i < np; i++) {
        ecgx_render_panel *p = &g->panels[i];
        if (!own) p->record_lead = find_std(rec, p->std_lead);
        if (own) snprintf(p->label, sizeof p->label, "%s", rec->leads[p->record_lead].name);
        else snprintf(p->label, sizeof p->label, "%s", ecgx_lead_std_name(p->std_lead));
        p->x_mm = g->trace_x_mm + (p->t0_s - t0) * o.speed_mm_s;
        p->width_mm = (p->t1_s - p->t0_s) * o.speed_mm_s;
        p->baseline_mm = g->row_baseline_mm[p->row];
    }
    g->n_panels = np;
    return 0;
}

/* The relevance of largest magnitude (with its sign) over samples [a, b]
 * (clipped), 0 when empty: a band cell shows its strongest sample, so a
 * narrow peak is not averaged away. */
static double peak_rel(const float *r, int64_t n, int64_t a, int64_t b)
{
    if (a < 0) a = 0;
    if (b > n - 1) b = n - 1;
    double best = 0;
    for (int64_t i = a; i <= b; i++)
        if (isfinite(r[i]) && fabs(r[i]) > fabs(best)) best = r[i];
    return best;
}

static void draw_panel_trace(canvas *cv, const ecgx_record *rec, const ecgx_render_options *o,
                             const ecgx_render_panel *p, double band_top, double band_h, double rmax, double *xs,
                             double *ys, rgb8 *cols)
{
    const float *v = ecgx_record_lead(rec, p->record_lead);
    const float *rel = o->relevance ? o->relevance + (size_t)p->record_lead * rec->n_samples : NULL;
    int64_t i0 = (int64_t)ceil(p->t0_s * rec->fs - 1e-9), i1 = (int64_t)floor(p->t1_s * rec->fs + 1e-9);
    if (i0 < 0) i0 = 0;
    if (i1 > rec->n_samples - 1) i1 = rec->n_samples - 1;
    if (i1 <= i0) return;
    double speed = o->speed_mm_s, gain = o->gain_mm_mv, t0 = o->t_start_s;
    double x_origin = p->x_mm - (p->t0_s - t0) * speed; /* where t_start would be */
    /* light background band first, so the trace stays on top */
    if (rel && o->relevance_band) {
        double bw = 0.5; /* mm per band cell */
        int nb = (int)ceil(p->width_mm / bw - 1e-9);
        rgb8 *bc = malloc((size_t)nb * sizeof *bc);
        double *ba = malloc((size_t)nb * sizeof *ba);
        if (bc && ba) {
            double cw = p->width_mm / nb;
            for (int k = 0; k < nb; k++) {
                double xa = p->x_mm + k * cw, xb = xa + cw;
                int64_t a = (int64_t)ceil(((xa - x_origin) / speed + t0) * rec->fs);
                int64_t b = (int64_t)floor(((xb - x_origin) / speed + t0) * rec->fs);
                double m = peak_rel(rel, rec->n_samples, a, b) / rmax;
                bc[k] = render_cmap(m);
                ba[k] = 0.55 * fmin(1, fabs(m));
            }
            cv_band(cv, p->x_mm, band_top, p->width_mm, band_h, nb, bc, ba);
        } else {
            cv->failed = 1;
        }
        free(bc);
        free(ba);
    }
    /* the trace, split at non-finite samples */
    int n = 0;
    for (int64_t i = i0; i <= i1 + 1; i++) {
        int ok = i <= i1 && isfinite(v[i]);
        if (ok) {
            double mv = v[i] > 50 ? 50 : v[i] < -50 ? -50 : v[i];
            xs[n] = x_origin + ((double)i / rec->fs - t0) * speed;
            ys[n] = p->baseline_mm - mv * gain;
            if (rel && n > 0) cols[n - 1] = render_trace_color(0.5 * (rel[i - 1] + rel[i]) / rmax, INK);
            n++;
        }
        if (!ok || i == i1 + 1) {
            if (n >= 2) cv_polyline(cv, xs, ys, n, TRACE_WIDTH_MM, rel ? cols : NULL, INK);
            n = 0;
        }
    }
}

static void fmt_field(char *buf, size_t n, const char *name, double v, const char *unit)
{
    if (isfinite(v)) snprintf(buf, n, "%s %.0f%s%s   ", name, v, *unit ? " " : "", unit);
    else buf[0] = '\0';
}

static void draw_header(canvas *cv, const ecgx_record *rec, const ecgx_render_options *o, const ecgx_render_geometry *g)
{
    const ecgx_ecg_header *h = &o->header;
    char line[512], f[6][64];
    double x = g->grid_x_mm, y = 8;
    cv_text(cv, x, y, 3.6, h->title && *h->title ? h->title : rec->name[0] ? rec->name : "ECG", TEXT_INK, ALIGN_LEFT);
    /* age and sex only where recorded: "unknown" on paper reads like a finding */
    char demo[128] = "";
    const char *sex = rec->sex == ECGX_SEX_MALE ? "male" : rec->sex == ECGX_SEX_FEMALE ? "female" : "";
    if (rec->age >= 0) snprintf(demo, sizeof demo, "Age %.0f%s%s", rec->age, *sex ? "   " : "", sex);
    else snprintf(demo, sizeof demo, "%s", sex);
    if (demo[0]) cv_text(cv, g->grid_x_mm + g->grid_w_mm, y, 2.6, demo, TEXT_INK, ALIGN_RIGHT);
    fmt_field(f[0], 64, "Rate", h->rate_bpm, "bpm");
    fmt_field(f[1], 64, "PR", h->pr_ms, "ms");
    fmt_field(f[2], 64, "QRS", h->qrs_ms, "ms");
    fmt_field(f[3], 64, "QT", h->qt_ms, "ms");
    fmt_field(f[4], 64, "QTc", h->qtc_ms, "ms");
    fmt_field(f[5], 64, "Axis", h->axis_deg, "deg");
    snprintf(line, sizeof line, "%s%s%s%s%s%s", f[0], f[1], f[2], f[3], f[4], f[5]);
    if (line[0]) cv_text(cv, x, y + 6, 2.6, line, TEXT_INK, ALIGN_LEFT);
    if (h->note && *h->note) cv_text(cv, x, y + 11.5, 2.6, h->note, TEXT_INK, ALIGN_LEFT);
}

static int render_to(canvas *cv, const ecgx_record *rec, const ecgx_render_options *o, const ecgx_render_geometry *g)
{
    if (o->show_header) draw_header(cv, rec, o, g);
    cv_grid(cv, g->grid_x_mm, g->grid_y_mm, g->grid_w_mm, g->grid_h_mm, PAPER_BG, GRID_MINOR, GRID_MAJOR);

    /* relevance scale: symmetric, from the shown part unless given */
    double rmax = o->relevance_max;
    if (o->relevance && !(rmax > 0)) {
        const float *spans[ECGX_RENDER_MAX_PANELS];
        int64_t lens[ECGX_RENDER_MAX_PANELS];
        int ns = 0;
        for (int i = 0; i < g->n_panels; i++) {
            const ecgx_render_panel *p = &g->panels[i];
            if (p->record_lead < 0) continue;
            int64_t a = (int64_t)(p->t0_s * rec->fs), b = (int64_t)(p->t1_s * rec->fs);
            if (a < 0) a = 0;
            if (b > rec->n_samples - 1) b = rec->n_samples - 1;
            if (b < a) continue;
            spans[ns] = o->relevance + (size_t)p->record_lead * rec->n_samples + a;
            lens[ns++] = b - a + 1;
        }
        rmax = render_relevance_scale(spans, lens, ns);
    }

    /* calibration pulse at the start of every row: 1 mV high, 200 ms wide */
    double pulse_h = o->gain_mm_mv;
    for (int r = 0; r < g->n_rows; r++) {
        double b = g->row_baseline_mm[r], x0 = g->grid_x_mm + 1, xa = g->cal_x_mm, xb = g->cal_x_mm + g->cal_w_mm;
        double xs[6] = {x0, xa, xa, xb, xb, g->trace_x_mm - 1};
        double ys[6] = {b, b, b - pulse_h, b - pulse_h, b, b};
        cv_polyline(cv, xs, ys, 6, TRACE_WIDTH_MM, NULL, INK);
    }

    int64_t maxpts = (int64_t)(o->duration_s * rec->fs) + 8;
    double *xs = ecgx_malloc_array((size_t)maxpts, sizeof *xs, "trace points");
    double *ys = ecgx_malloc_array((size_t)maxpts, sizeof *ys, "trace points");
    rgb8 *cols = ecgx_malloc_array((size_t)maxpts, sizeof *cols, "trace colours");
    if (!xs || !ys || !cols) { free(xs); free(ys); free(cols); return ECGX_ERR_NOMEM; }
    double row_top_off = g->row_baseline_mm[0] - g->grid_y_mm, pitch = g->grid_h_mm / g->n_rows;
    for (int i = 0; i < g->n_panels; i++) {
        const ecgx_render_panel *p = &g->panels[i];
        if (p->record_lead >= 0)
            draw_panel_trace(cv, rec, o, p, p->baseline_mm - row_top_off + 1, pitch - 2, rmax, xs, ys, cols);
    }
    free(xs);
    free(ys);
    free(cols);

    /* lead labels and the marks where a row switches lead */
    for (int i = 0; i < g->n_panels; i++) {
        const ecgx_render_panel *p = &g->panels[i];
        double top = p->baseline_mm - row_top_off;
        char label[48];
        snprintf(label, sizeof label, "%s%s", p->label, p->record_lead < 0 ? " (absent)" : "");
        cv_text(cv, p->x_mm + 1.5, top + 5, 2.5, label, INK, ALIGN_LEFT);
        if (p->x_mm > g->trace_x_mm + 1e-6)
            cv_line(cv, p->x_mm, p->baseline_mm - 3, p->x_mm, p->baseline_mm + 3, 0.25, INK);
    }

    /* footer: settings, and the relevance scale */
    char foot[256];
    snprintf(foot, sizeof foot, "%g mm/s   %g mm/mV   %g Hz   %.1f-%.1f s", o->speed_mm_s, o->gain_mm_mv, rec->fs,
             o->t_start_s, o->t_start_s + o->duration_s);
    double fy = g->grid_y_mm + g->grid_h_mm + 5;
    cv_text(cv, g->grid_x_mm, fy, 2.2, foot, TEXT_INK, ALIGN_LEFT);
    cv_text(cv, g->grid_x_mm, fy + 4.5, 2.0, "ecgx research tool - not a medical diagnosis", (rgb8){110, 110, 120}, ALIGN_LEFT);
    if (o->relevance) {
        double bw = 60, bx = g->grid_x_mm + g->grid_w_mm - bw;
        char title[160];
        snprintf(title, sizeof title, "%s", o->relevance_title && *o->relevance_title ? o->relevance_title : "relevance");
        render_colorbar(cv, bx, fy - 2.5, bw, 3, rmax, title, TEXT_INK);
    }
    return 0;
}

int ecgx_render_ecg(const ecgx_record *rec, const ecgx_render_options *opt_in, ecgx_render_format format,
                    ecgx_figure **out)
{
    *out = NULL;
    ecgx_render_options o;
    if (opt_in) o = *opt_in; else ecgx_render_options_default(&o);
    ecgx_render_geometry g;
    int rc = ecgx_render_ecg_geometry(rec, &o, &g);
    if (rc) return rc;
    canvas cv;
    if ((rc = cv_init(&cv, format, g.page_w_mm, g.page_h_mm, o.dpi, WHITE))) return rc;
    if ((rc = render_to(&cv, rec, &o, &g))) { cv_free(&cv); return rc; }
    return cv_finish(&cv, out);
}

int ecgx_render_ecg_file(const ecgx_record *rec, const ecgx_render_options *opt, const char *path)
{
    ecgx_render_format fmt;
    int rc = render_format_from_path(path, &fmt);
    if (rc) return rc;
    ecgx_figure *fig;
    if ((rc = ecgx_render_ecg(rec, opt, fmt, &fig))) return rc;
    rc = ecgx_figure_write(fig, path, -1);
    ecgx_figure_free(fig);
    return rc;
}
