/* Rendering: geometry read back from the pixels (and from the SVG numbers),
 * not golden hashes. Grid spacing = dpi/25.4 px per mm with every fifth line
 * darker; a 1 mV peak at t = 1 s in lead II lands 25 mm right of the row
 * start and 10 mm above the baseline; the calibration pulse is 10 mm x 5 mm;
 * every lead sits where its layout says; PNG decodes (libspng) to the same
 * pixels; relevance colours; median beats; bars; relevance CSV. */
#include "check.h"
#include "ecgx/render.h"
#include "render/canvas.h"
#include "ecgx/io.h"

#include <spng.h>
#include <sys/wait.h>
#include "ecgx/outfile.h"

static const char *NAMES[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};

static ecgx_record *blank12(double fs, double seconds)
{
    ecgx_record *r = ecgx_record_new(12, (int64_t)(fs * seconds), fs);
    for (int l = 0; l < 12; l++) ecgx_record_set_lead(r, l, NAMES[l], "mV");
    snprintf(r->name, sizeof r->name, "synthetic");
    return r;
}

/* A flat-topped pulse of height h (mV) centred at t (s), half-width w (s). */
static void add_pulse(ecgx_record *r, int lead, double t, double w, double h)
{
    float *x = ecgx_record_lead(r, lead);
    for (int64_t i = 0; i < r->n_samples; i++)
        if (fabs(i / r->fs - t) <= w + 1e-9) x[i] += (float)h;
}

static int is_ink(const uint8_t *p) { return p[0] < 128 && p[1] < 128 && p[2] < 128; }

static const uint8_t *px(const ecgx_image *im, int x, int y) { return im->rgb + ((size_t)y * im->width + x) * 3; }

/* Topmost and bottommost ink pixel in column x between rows y0..y1; -1 if none. */
static void ink_extent(const ecgx_image *im, int x, int y0, int y1, int *top, int *bottom)
{
    *top = *bottom = -1;
    if (y0 < 0) y0 = 0;
    if (y1 > im->height - 1) y1 = im->height - 1;
    for (int y = y0; y <= y1; y++)
        if (is_ink(px(im, x, y))) {
            if (*top < 0) *top = y;
            *bottom = y;
        }
}

static double ink_center(const ecgx_image *im, int x, int y0, int y1)
{
    int t, b;
    ink_extent(im, x, y0, y1, &t, &b);
    return t < 0 ? NAN : 0.5 * (t + b);
}

static void test_grid_spacing(void)
{
    double dpis[2] = {300, 150};
    int sanitizer = getenv("ECGX_SANITIZER") != NULL; /* 300 dpi pages are slow under ASan */
    for (int d = sanitizer; d < 2; d++) {
        ecgx_record *r = blank12(500, 10);
        ecgx_render_options o;
        ecgx_render_options_default(&o);
        o.dpi = dpis[d];
        o.show_header = 0;
        ecgx_figure *f = NULL;
        ecgx_render_geometry g;
        CHECK_OK(ecgx_render_ecg_geometry(r, &o, &g));
        CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_PNG, &f));
        if (!f) { ecgx_record_free(r); return; }
        double ppmm = dpis[d] / 25.4;
        CHECK(f->image.width == (int)ceil(g.page_w_mm * ppmm) && f->image.height == (int)ceil(g.page_h_mm * ppmm));
        /* scan a pixel row half-way between two horizontal lines near the grid's bottom
         * (below the rhythm strip's flat trace): runs of non-background are vertical lines */
        int y = (int)((g.grid_y_mm + g.grid_h_mm - 2.5) * ppmm);
        const uint8_t *bg = px(&f->image, (int)((g.grid_x_mm + 0.5) * ppmm), y);
        double centers[400];
        int dark[400], n = 0;
        for (int x = 0; x < f->image.width && n < 400;) {
            const uint8_t *p = px(&f->image, x, y);
            if (p[0] == bg[0] && p[1] == bg[1] && p[2] == bg[2]) { x++; continue; }
            if (p[0] == 255 && p[1] == 255 && p[2] == 255) { x++; continue; } /* page margin */
            int a = x, mind = 255;
            while (x < f->image.width) {
                const uint8_t *q = px(&f->image, x, y);
                if ((q[0] == bg[0] && q[1] == bg[1] && q[2] == bg[2]) || (q[0] == 255 && q[1] == 255 && q[2] == 255)) break;
                if (q[1] < mind) mind = q[1];
                x++;
            }
            centers[n] = 0.5 * (a + x - 1);
            dark[n] = mind;
            n++;
        }
        /* one line per millimetre of grid width */
        CHECK_MSG(n == (int)round(g.grid_w_mm) + 1, "dpi %g: %d lines for %g mm", dpis[d], n, g.grid_w_mm);
        int bad = 0, bad_major = 0;
        for (int k = 1; k < n; k++) {
            double expect = centers[0] + k * ppmm; /* every 1 mm = dpi/25.4 px, no drift */
            if (fabs(centers[k] - expect) > 1.0) bad++;
            int major = k % 5 == 0, darker = dark[k] < dark[k % 5 == 0 ? 1 : 0] - 20;
            if (k >= 5 && major != (dark[k] < dark[1] - 20)) bad_major++;
            (void)darker;
        }
        CHECK_MSG(bad == 0, "dpi %g: %d grid lines off their millimetre by more than 1 px", dpis[d], bad);
        CHECK_MSG(bad_major == 0, "dpi %g: %d lines with the wrong weight (every 5th must be darker)", dpis[d], bad_major);
        CHECK(dark[0] < dark[1] - 20); /* the grid starts with a major line */
        /* the first line is at the grid origin */
        CHECK_NEAR(centers[0], g.grid_x_mm * ppmm, 1.0);
        ecgx_figure_free(f);
        ecgx_record_free(r);
    }
}

/* Lead II, 1 mV flat-topped peak at t = 1 s: 25 mm right of the row start,
 * 10 mm above the baseline; the calibration pulse 10 mm high, 5 mm wide. */
static void check_peak(double dpi, double speed, double gain)
{
    ecgx_record *r = blank12(500, 10);
    add_pulse(r, ECGX_LEAD_II, 1.0, 0.004, 1.0);
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    o.dpi = dpi;
    o.speed_mm_s = speed;
    o.gain_mm_mv = gain;
    ecgx_render_geometry g;
    ecgx_figure *f = NULL;
    CHECK_OK(ecgx_render_ecg_geometry(r, &o, &g));
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_PNG, &f));
    if (!f) { ecgx_record_free(r); return; }
    const ecgx_image *im = &f->image;
    double ppmm = dpi / 25.4, hw = 0.11 * ppmm;
    /* lead II's first panel is row 1 in 3x4 */
    double b_mm = g.row_baseline_mm[1];
    int y0 = (int)((b_mm - gain - 4) * ppmm), y1 = (int)((b_mm + 3) * ppmm);
    /* measured baseline: the flat trace at t = 0.5 s */
    double base_px = ink_center(im, (int)((g.trace_x_mm + 0.5 * speed) * ppmm), y0, y1);
    CHECK_MSG(fabs(base_px - b_mm * ppmm) <= 1.0, "baseline drawn at %g px, layout says %g", base_px, b_mm * ppmm);
    /* the peak: the column range whose topmost ink is highest */
    int best_top = 1 << 30, xa = -1, xb = -1;
    for (int x = (int)((g.trace_x_mm + 8) * ppmm); x < (int)((g.trace_x_mm + 2.5 * speed - 1) * ppmm); x++) { /* right of the lead label */
        int t, bo;
        ink_extent(im, x, y0, y1, &t, &bo);
        if (t < 0) continue;
        if (t < best_top) { best_top = t; xa = xb = x; }
        else if (t == best_top) xb = x;
    }
    double peak_x = 0.5 * (xa + xb), peak_y = best_top + hw;
    double start_px = g.trace_x_mm * ppmm;
    CHECK_MSG(fabs(peak_x - (start_px + 1.0 * speed * ppmm)) <= 1.0, "speed %g: peak at %g px, expected %g", speed,
              peak_x, start_px + speed * ppmm);
    CHECK_MSG(fabs((base_px - peak_y) - gain * ppmm) <= 1.0, "gain %g: peak %g px above baseline, expected %g", gain,
              base_px - peak_y, gain * ppmm);
    /* calibration pulse: find the columns whose ink reaches the pulse top */
    int top_cols = 0, first = -1;
    for (int x = (int)(g.grid_x_mm * ppmm); x < (int)(g.trace_x_mm * ppmm); x++) {
        int t, bo;
        ink_extent(im, x, y0, y1, &t, &bo);
        if (t >= 0 && fabs((base_px - (t + hw)) - gain * ppmm) <= 1.0) {
            if (first < 0) first = x;
            top_cols++;
        }
    }
    CHECK_MSG(fabs(top_cols - 0.2 * speed * ppmm) <= 2.0 + 2 * hw, "calibration pulse top %d px wide, expected %g",
              top_cols, 0.2 * speed * ppmm);
    CHECK_NEAR(g.cal_w_mm, 0.2 * speed, 1e-12);
    CHECK_MSG(fabs(first - g.cal_x_mm * ppmm) <= 1.0 + hw, "pulse rises at %d px, layout says %g", first, g.cal_x_mm * ppmm);
    ecgx_figure_free(f);
    ecgx_record_free(r);
}

static void test_peak_position(void)
{
    int sanitizer = getenv("ECGX_SANITIZER") != NULL;
    check_peak(sanitizer ? 150 : 300, 25, 10);
    check_peak(100, 50, 10);
    check_peak(sanitizer ? 120 : 200, 25, 20);
    check_peak(sanitizer ? 120 : 200, 25, 5);
}

/* Each lead gets a pulse of its own height at the centre of each panel that
 * should show it; the image must show that height there. */
static void check_layout(ecgx_layout layout)
{
    ecgx_record *r = blank12(500, 10);
    for (int l = 0; l < 12; l++) {
        double h = 0.3 + 0.1 * l;
        /* 3x4: column of the lead; 6x2: limb leads first half, chest second */
        int col3 = l < 3 ? 0 : l < 6 ? 1 : l < 9 ? 2 : 3;
        add_pulse(r, l, 2.5 * col3 + 1.25, 0.03, h);
        add_pulse(r, l, l < 6 ? 2.5 : 7.5, 0.03, h);
    }
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    o.layout = layout;
    o.dpi = 100;
    ecgx_render_geometry g;
    ecgx_figure *f = NULL;
    CHECK_OK(ecgx_render_ecg_geometry(r, &o, &g));
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_PNG, &f));
    if (!f) { ecgx_record_free(r); return; }
    double ppmm = 100 / 25.4, hw = 0.11 * ppmm;
    int expect_panels = layout == ECGX_LAYOUT_12X1 ? 12 : 13;
    CHECK(g.n_panels == expect_panels);
    int seen[12] = {0};
    for (int i = 0; i < g.n_panels; i++) {
        const ecgx_render_panel *p = &g.panels[i];
        seen[p->std_lead]++;
        CHECK(p->record_lead == p->std_lead);
        /* spec: time maps linearly onto the row from the row start */
        CHECK_NEAR(p->x_mm, g.trace_x_mm + p->t0_s * 25, 1e-9);
        CHECK_NEAR(p->width_mm, (p->t1_s - p->t0_s) * 25, 1e-9);
        double tc = layout == ECGX_LAYOUT_6X2 && i < 12 ? (p->std_lead < 6 ? 2.5 : 7.5)
                                                       : 2.5 * (p->std_lead < 3 ? 0 : p->std_lead < 6 ? 1 : p->std_lead < 9 ? 2 : 3) + 1.25;
        if (tc < p->t0_s || tc > p->t1_s) { CHECK(!"test pulse outside its panel"); continue; }
        int x = (int)lround((g.trace_x_mm + tc * 25) * ppmm);
        int y0 = (int)((p->baseline_mm - 20) * ppmm), y1 = (int)((p->baseline_mm + 2) * ppmm);
        int t, b;
        ink_extent(&f->image, x, y0, y1, &t, &b);
        double h_mm = (p->baseline_mm * ppmm - (t + hw)) / ppmm;
        CHECK_MSG(fabs(h_mm - 10 * (0.3 + 0.1 * p->std_lead)) <= 1.0 / ppmm + 0.05,
                  "layout %d panel %d (%s): pulse %.2f mm, expected %.2f", (int)layout, i, NAMES[p->std_lead], h_mm,
                  10 * (0.3 + 0.1 * p->std_lead));
    }
    for (int l = 0; l < 12; l++) CHECK(seen[l] >= 1);
    if (layout == ECGX_LAYOUT_3X4) {
        /* the real-paper order: I aVR V1 V4 / II aVL V2 V5 / III aVF V3 V6, then the rhythm strip */
        static const int order[13] = {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11, 1};
        for (int i = 0; i < 13; i++) CHECK(g.panels[i].std_lead == order[i]);
        CHECK(g.panels[12].width_mm == 250 && g.panels[12].row == 3);
        for (int i = 0; i < 12; i++) CHECK_NEAR(g.panels[i].width_mm, 62.5, 1e-12);
    }
    ecgx_figure_free(f);
    ecgx_record_free(r);
}

static void test_own_leads(void)
{
    ecgx_record *r = ecgx_record_new(2, 3600, 360);
    ecgx_record_set_lead(r, 0, "MLII", "mV");
    ecgx_record_set_lead(r, 1, "V1", "mV");
    float *x = ecgx_record_lead(r, 1);
    for (int i = 350; i <= 370; i++) x[i] = 0.5f; /* a 0.5 mV pulse at 1 s in V1 */
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    o.layout = ECGX_LAYOUT_12X1;
    o.dpi = 100;
    ecgx_render_geometry g;
    CHECK(!ecgx_render_has_standard12(r));
    CHECK_OK(ecgx_render_ecg_geometry(r, &o, &g));
    CHECK(g.n_panels == 2 && g.n_rows == 2);
    CHECK(strcmp(g.panels[0].label, "MLII") == 0 && g.panels[0].record_lead == 0 && g.panels[0].std_lead == -1);
    CHECK(strcmp(g.panels[1].label, "V1") == 0 && g.panels[1].record_lead == 1 && g.panels[1].std_lead == ECGX_LEAD_V1);
    ecgx_figure *f = NULL;
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_PNG, &f));
    if (f) {
        double ppmm = 100 / 25.4, hw = 0.11 * ppmm;
        int t, b;
        ink_extent(&f->image, (int)lround((g.trace_x_mm + 25) * ppmm), (int)((g.row_baseline_mm[1] - 10) * ppmm),
                   (int)((g.row_baseline_mm[1] + 2) * ppmm), &t, &b);
        CHECK_NEAR((g.row_baseline_mm[1] * ppmm - (t + hw)) / ppmm, 5.0, 1.0 / ppmm + 0.1);
    }
    ecgx_figure_free(f);
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_SVG, &f));
    if (f) CHECK(strstr(f->svg, ">MLII</text>") != NULL && strstr(f->svg, "absent") == NULL);
    ecgx_figure_free(f);
    /* 3x4 of the same record: the missing leads say so */
    o.layout = ECGX_LAYOUT_3X4;
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_SVG, &f));
    if (f) CHECK(strstr(f->svg, ">aVR (absent)</text>") != NULL);
    ecgx_figure_free(f);
    ecgx_record_free(r);
}

static void test_layouts(void)
{
    check_layout(ECGX_LAYOUT_3X4);
    check_layout(ECGX_LAYOUT_6X2);
    check_layout(ECGX_LAYOUT_12X1);
    CHECK(ecgx_layout_parse("6X2") == ECGX_LAYOUT_6X2 && ecgx_layout_parse("4x3") == -1);
}

/* Parse the numbers of every <polyline points="..."> back. */
static void test_svg(void)
{
    ecgx_record *r = blank12(500, 10);
    add_pulse(r, ECGX_LEAD_II, 1.0, 0.004, 1.0);
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    ecgx_render_geometry g;
    ecgx_figure *f = NULL;
    CHECK_OK(ecgx_render_ecg_geometry(r, &o, &g));
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_SVG, &f));
    if (!f) { ecgx_record_free(r); return; }
    const char *s = f->svg;
    CHECK(strncmp(s, "<?xml", 5) == 0 && strstr(s, "</svg>"));
    double vw = 0, vh = 0;
    int w = 0, h = 0;
    const char *vb = strstr(s, "viewBox=\"0 0 ");
    CHECK(vb && sscanf(vb, "viewBox=\"0 0 %lf %lf", &vw, &vh) == 2);
    const char *ws = strstr(s, "width=\"");
    CHECK(ws && sscanf(ws, "width=\"%d\" height=\"%d\"", &w, &h) == 2);
    CHECK_NEAR(vw, g.page_w_mm, 1e-3);
    CHECK_NEAR(vh, g.page_h_mm, 1e-3);
    CHECK(w == (int)ceil(g.page_w_mm * 300 / 25.4));
    /* the major grid path has a vertical line every 5 mm from the grid origin */
    const char *major = strstr(s, "class=\"major\"");
    CHECK(major != NULL);
    if (major) {
        const char *d = strstr(major, "d=\"") + 3;
        int k = 0, ok = 1;
        double x, y0, y1;
        int used;
        while (sscanf(d, "M%lf %lfV%lf%n", &x, &y0, &y1, &used) == 3) {
            if (fabs(x - (g.grid_x_mm + 5 * k)) > 1e-3) ok = 0;
            k++;
            d += used;
        }
        CHECK(ok && k == (int)(g.grid_w_mm / 5) + 1);
    }
    /* the peak point and the calibration corner among the polyline points */
    int found_peak = 0, found_cal = 0, n_poly = 0;
    double b = g.row_baseline_mm[1];
    for (const char *p = strstr(s, "points=\""); p; p = strstr(p, "points=\"")) {
        p += 8;
        n_poly++;
        double x, y;
        int used;
        while (sscanf(p, "%lf,%lf%n", &x, &y, &used) == 2) {
            if (fabs(x - (g.trace_x_mm + 25)) < 0.01 && fabs(y - (b - 10)) < 0.01) found_peak = 1;
            if (fabs(x - g.cal_x_mm) < 0.01 && fabs(y - (b - 10)) < 0.01) found_cal = 1;
            p += used;
            while (*p == ' ') p++;
        }
    }
    CHECK(found_peak);
    CHECK(found_cal);
    CHECK(n_poly >= 13 + 4);
    for (int l = 0; l < 12; l++) {
        char want[64];
        snprintf(want, sizeof want, ">%s</text>", NAMES[l]);
        CHECK_MSG(strstr(s, want) != NULL, "label %s missing", NAMES[l]);
    }
    /* well-formed XML, checked by an independent parser when python is there */
    char path[512], cmd[1024];
    snprintf(path, sizeof path, "%s/wellformed.svg", test_tmpdir());
    CHECK_OK(ecgx_figure_write(f, path, -1));
    if (system("/usr/bin/python3 -c 'import xml.etree.ElementTree' >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import sys, xml.etree.ElementTree as E; "
                                  "r = E.parse(sys.argv[1]).getroot(); sys.exit(0 if r.tag.endswith('svg') else 1)\" %s", path);
        CHECK_MSG(system(cmd) == 0, "the SVG is not well-formed XML");
    }
    ecgx_figure_free(f);
    /* special characters in the header are escaped */
    o.header.title = "a<b & \"c\"";
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_SVG, &f));
    if (f) CHECK(strstr(f->svg, "a&lt;b &amp; &quot;c&quot;") != NULL);
    ecgx_figure_free(f);
    ecgx_record_free(r);
}

static void test_png_roundtrip(void)
{
    ecgx_record *r = blank12(500, 10);
    add_pulse(r, ECGX_LEAD_V2, 3.0, 0.02, -0.8);
    char path[512];
    snprintf(path, sizeof path, "%s/ecg.png", test_tmpdir());
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    o.dpi = 120;
    CHECK_OK(ecgx_render_ecg_file(r, &o, path));
    ecgx_figure *f = NULL;
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_PNG, &f));
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    if (fp && f) {
        spng_ctx *ctx = spng_ctx_new(0);
        spng_set_png_file(ctx, fp);
        struct spng_ihdr ihdr;
        CHECK(spng_get_ihdr(ctx, &ihdr) == 0);
        CHECK((int)ihdr.width == f->image.width && (int)ihdr.height == f->image.height);
        size_t n;
        spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &n);
        uint8_t *buf = malloc(n);
        CHECK(spng_decode_image(ctx, buf, n, SPNG_FMT_RGB8, 0) == 0);
        CHECK(n == (size_t)f->image.width * f->image.height * 3 && memcmp(buf, f->image.rgb, n) == 0);
        struct spng_phys phys;
        CHECK(spng_get_phys(ctx, &phys) == 0 && fabs(phys.ppu_x * 0.0254 - 120) < 0.5);
        free(buf);
        spng_ctx_free(ctx);
    }
    if (fp) fclose(fp);
    ecgx_figure_free(f);
    /* the SVG file too, by extension; unknown extensions are refused */
    snprintf(path, sizeof path, "%s/ecg.svg", test_tmpdir());
    CHECK_OK(ecgx_render_ecg_file(r, &o, path));
    snprintf(path, sizeof path, "%s/ecg.bmp", test_tmpdir());
    CHECK(ecgx_render_ecg_file(r, &o, path) == ECGX_ERR_ARG);
    /* bad options are errors */
    o.dpi = 0;
    CHECK(ecgx_render_ecg(r, &o, ECGX_RENDER_PNG, &f) == ECGX_ERR_ARG);
    ecgx_render_options_default(&o);
    o.speed_mm_s = -25;
    CHECK(ecgx_render_ecg(r, &o, ECGX_RENDER_PNG, &f) == ECGX_ERR_ARG);
    /* NaN samples leave a gap, not a crash */
    ecgx_render_options_default(&o);
    o.dpi = 60;
    ecgx_record_lead(r, 1)[100] = NAN;
    ecgx_record_lead(r, 1)[200] = 1e30f;
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_SVG, &f));
    if (f) CHECK(strstr(f->svg, "nan") == NULL && strstr(f->svg, "inf") == NULL);
    ecgx_figure_free(f);
    ecgx_record_free(r);
}

static int decode_png(const void *buf, size_t len, int w, int h, const uint8_t *expect)
{
    spng_ctx *ctx = spng_ctx_new(0);
    spng_set_png_buffer(ctx, buf, len);
    struct spng_ihdr ihdr;
    int ok = spng_get_ihdr(ctx, &ihdr) == 0 && (int)ihdr.width == w && (int)ihdr.height == h;
    size_t n = 0;
    if (ok) ok = spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &n) == 0 && n == (size_t)w * h * 3;
    uint8_t *out = ok ? malloc(n) : NULL;
    if (ok) ok = spng_decode_image(ctx, out, n, SPNG_FMT_RGB8, 0) == 0 && memcmp(out, expect, n) == 0;
    free(out);
    spng_ctx_free(ctx);
    return ok;
}

/* Both encoders on images built to stress the fast one: zero runs of every
 * length around the 258-byte match limit, noise (all literals), rows that
 * prefer "sub" and rows that prefer "up". libspng decodes them. */
static void test_png_encoders(void)
{
    int sizes[3][2] = {{1, 1}, {97, 13}, {301, 40}};
    uint64_t st = 99;
    for (int k = 0; k < 3; k++) {
        int w = sizes[k][0], h = sizes[k][1];
        ecgx_image im = {w, h, malloc((size_t)w * h * 3)};
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w * 3; x++) {
                st = st * 6364136223846793005ull + 1442695040888963407ull;
                uint8_t v;
                if (y % 5 == 0) v = (uint8_t)(st >> 56);                  /* noise */
                else if (y % 5 == 1) v = (uint8_t)((x / 3) % 7 == 0 ? 200 : 40); /* vertical stripes */
                else if (y % 5 == 2) v = 128;                               /* constant row */
                else v = im.rgb[((size_t)(y - 1) * w) * 3 + x] + (x == (y * 37) % (w * 3)); /* repeats with a blip */
                im.rgb[(size_t)y * w * 3 + x] = v;
            }
        for (int level = -1; level <= 6; level += 7) {
            void *buf = NULL;
            size_t len = 0;
            CHECK_OK(ecgx_image_encode_png(&im, level, &buf, &len));
            CHECK_MSG(buf && decode_png(buf, len, w, h, im.rgb), "size %dx%d level %d does not round-trip", w, h, level);
            free(buf);
        }
        free(im.rgb);
    }
    /* long zero runs of lengths 1..700 after filtering: one row per length */
    int w = 240, h = 8;
    ecgx_image im = {w, h, calloc((size_t)w * h * 3, 1)};
    for (int run = 1; run <= 700; run += 1) {
        memset(im.rgb, 7, (size_t)w * h * 3);
        for (int i = 0; i < run && i < w * h * 3 - 10; i++) im.rgb[5 + i] = 0;
        void *buf = NULL;
        size_t len = 0;
        if (ecgx_image_encode_png(&im, -1, &buf, &len) || !decode_png(buf, len, w, h, im.rgb)) {
            CHECK_MSG(0, "zero run of %d bytes does not round-trip", run);
            free(buf);
            break;
        }
        free(buf);
    }
    free(im.rgb);
}

static void test_relevance_colours(void)
{
    ecgx_record *r = blank12(500, 10);
    add_pulse(r, ECGX_LEAD_II, 1.0, 0.05, 1.0);
    add_pulse(r, ECGX_LEAD_II, 2.0, 0.05, 1.0);
    float *rel = calloc(12 * 5000, sizeof *rel);
    for (int i = 450; i <= 550; i++) rel[1 * 5000 + i] = 1.0f;   /* positive around the first pulse */
    for (int i = 950; i <= 1050; i++) rel[1 * 5000 + i] = -1.0f; /* negative around the second */
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    o.dpi = 150;
    o.relevance = rel;
    ecgx_render_geometry g;
    ecgx_figure *f = NULL;
    CHECK_OK(ecgx_render_ecg_geometry(r, &o, &g));
    CHECK_OK(ecgx_render_ecg(r, &o, ECGX_RENDER_PNG, &f));
    if (f) {
        double ppmm = 150 / 25.4;
        int y = (int)lround((g.row_baseline_mm[1] - 10) * ppmm); /* top of the pulses */
        int red = 0, blue = 0;
        for (int dx = -3; dx <= 3; dx++) {
            /* the most saturated pixel of the trace line in a small window around the pulse top */
            int best_r = -999, best_b = -999;
            for (int dy = -2; dy <= 2; dy++) {
                const uint8_t *a = px(&f->image, (int)lround((g.trace_x_mm + 25) * ppmm) + dx, y + dy);
                const uint8_t *b = px(&f->image, (int)lround((g.trace_x_mm + 50) * ppmm) + dx, y + dy);
                if (a[0] - a[2] > best_r) best_r = a[0] - a[2];
                if (b[2] - b[0] > best_b) best_b = b[2] - b[0];
            }
            red += best_r > 80;
            blue += best_b > 80;
        }
        CHECK_MSG(red >= 1, "positive relevance should colour the trace red");
        CHECK_MSG(blue >= 1, "negative relevance should colour the trace blue");
        /* zero relevance keeps the ink: the trace at t = 5 s */
        double c = ink_center(&f->image, (int)lround((g.trace_x_mm + 125) * ppmm), (int)((g.row_baseline_mm[1] - 3) * ppmm),
                              (int)((g.row_baseline_mm[1] + 3) * ppmm));
        CHECK(!isnan(c));
        /* the band: a light tint behind the positive region (red above blue), none at zero */
        const uint8_t *band = px(&f->image, (int)lround((g.trace_x_mm + 24) * ppmm), (int)((g.row_baseline_mm[1] + 5.5) * ppmm));
        CHECK(band[0] > band[2] + 20);
        /* colour bar in the footer: both ends present */
        int cb_red = 0, cb_blue = 0;
        for (int yy = (int)((g.grid_y_mm + g.grid_h_mm) * ppmm); yy < f->image.height; yy++)
            for (int x = 0; x < f->image.width; x++) {
                const uint8_t *p = px(&f->image, x, yy);
                cb_red += p[0] > 150 && p[2] < 70;
                cb_blue += p[2] > 150 && p[0] < 70;
            }
        CHECK(cb_red > 10 && cb_blue > 10);
    }
    ecgx_figure_free(f);
    uint8_t c[3];
    ecgx_colormap_diverging(0, c);
    CHECK(c[0] > 240 && c[1] > 240 && c[2] > 240);
    ecgx_colormap_diverging(1, c);
    CHECK(c[0] > 150 && c[2] < 60);
    ecgx_colormap_diverging(-1, c);
    CHECK(c[2] > 150 && c[0] < 60);
    ecgx_colormap_diverging(5, c); /* clamped */
    CHECK(c[0] > 150 && c[2] < 60);
    free(rel);
    ecgx_record_free(r);
}

static void test_median_beats(void)
{
    double fs = 250;
    ecgx_record *r = blank12(fs, 10);
    int64_t peaks[12];
    int n = 0;
    for (int64_t at = 150; at + 200 < r->n_samples && n < 12; at += 200) peaks[n++] = at;
    /* every beat the same template, one beat corrupted: the median ignores it */
    for (int k = 0; k < n; k++)
        for (int l = 0; l < 12; l++) {
            float *x = ecgx_record_lead(r, l);
            for (int j = -50; j < 100; j++)
                x[peaks[k] + j] = (float)((l + 1) * 0.1 * exp(-j * j / 20.0) + (k == 3 ? 5.0 : 0.0));
        }
    float *rel = calloc(12 * r->n_samples, sizeof *rel);
    for (int k = 0; k < n; k++) rel[peaks[k]] = 1.0f; /* relevance on R only */
    float *beats = NULL, *brel = NULL;
    int len = 0;
    CHECK_OK(ecgx_median_beats(r, peaks, n, 0.2, 0.4, rel, &beats, &brel, &len));
    CHECK(len == 150);
    if (beats) {
        int bad = 0;
        for (int l = 0; l < 12; l++)
            for (int j = 0; j < len; j++) {
                int jj = j - 50;
                double expect = jj < 100 ? (l + 1) * 0.1 * exp(-jj * jj / 20.0) : 0;
                if (fabs(beats[l * len + j] - expect) > 1e-6) bad++;
            }
        CHECK_MSG(bad == 0, "%d median samples differ from the template", bad);
        CHECK_NEAR(brel[0 * len + 50], 1.0, 1e-6);
        CHECK_NEAR(brel[0 * len + 51], 0.0, 1e-6);
        ecgx_median_options mo;
        ecgx_median_options_default(&mo);
        mo.r_offset_s = 0.2;
        mo.title = "Median beats";
        ecgx_figure *f = NULL;
        CHECK_OK(ecgx_render_median_beats(beats, brel, 12, NAMES, len, fs, &mo, ECGX_RENDER_PNG, &f));
        if (f) {
            /* lead I's beat (0.1 mV peak) top-left, its R at 0.2 s x 50 mm/s = 10 mm from the cell's left */
            double ppmm = mo.dpi / 25.4;
            int x = (int)lround((8 + 10) * ppmm);
            int t, b;
            ink_extent(&f->image, x, (int)(16 * ppmm), (int)((16 + 35) * ppmm), &t, &b);
            CHECK(t > 0);
            /* baseline 20 mm below the cell top; lead I's peak 1 mm above it */
            CHECK_MSG(fabs((16 + 20 - 1.0) * ppmm - (t + 0.15 * ppmm)) <= 1.5, "lead I peak at row %d", t);
            char path[512];
            snprintf(path, sizeof path, "%s/median.png", test_tmpdir());
            CHECK_OK(ecgx_figure_write(f, path, -1));
        }
        ecgx_figure_free(f);
        CHECK_OK(ecgx_render_median_beats(beats, NULL, 12, NAMES, len, fs, NULL, ECGX_RENDER_SVG, &f));
        if (f) CHECK(strstr(f->svg, ">V6</text>") != NULL);
        ecgx_figure_free(f);
    }
    free(beats);
    free(brel);
    int64_t outside[1] = {5};
    CHECK(ecgx_median_beats(r, outside, 1, 0.2, 0.4, NULL, &beats, NULL, &len) == ECGX_ERR_RANGE);
    free(rel);
    ecgx_record_free(r);
}

static void test_bars(void)
{
    const char *labels[6] = {"P", "PR", "QRS", "ST", "T", "TP"};
    double v[6] = {0.1, 0.05, 0.8, 0.4, -0.2, 0.0};
    ecgx_figure *f = NULL;
    CHECK_OK(ecgx_render_bars("Relevance per segment", labels, v, 6, 200, ECGX_RENDER_PNG, &f));
    if (f) {
        /* bar lengths proportional to the values: measure QRS and ST runs of coloured pixels */
        double ppmm = 200 / 25.4;
        int lens[6];
        for (int i = 0; i < 6; i++) {
            int y = (int)lround((13 + i * 7 + 3.5) * ppmm), run = 0;
            for (int x = 0; x < f->image.width; x++) {
                const uint8_t *p = px(&f->image, x, y);
                int coloured = abs(p[0] - p[2]) > 25;
                run += coloured;
            }
            lens[i] = run;
        }
        CHECK_MSG(fabs(lens[3] / (double)lens[2] - 0.5) < 0.03, "ST/QRS bar ratio %d/%d", lens[3], lens[2]);
        CHECK_MSG(fabs(lens[4] / (double)lens[2] - 0.25) < 0.03, "T/QRS bar ratio %d/%d", lens[4], lens[2]);
        CHECK(lens[5] == 0);
    }
    ecgx_figure_free(f);
    CHECK_OK(ecgx_render_bars("per lead", labels, v, 6, 100, ECGX_RENDER_SVG, &f));
    if (f) CHECK(strstr(f->svg, ">QRS</text>") && strstr(f->svg, "<rect"));
    ecgx_figure_free(f);
    double bad[1] = {NAN};
    CHECK(ecgx_render_bars("x", labels, bad, 1, 100, ECGX_RENDER_PNG, &f) == ECGX_ERR_ARG);
}

static void test_relevance_csv(void)
{
    ecgx_record *r = blank12(100, 0.05); /* 5 samples */
    char path[512];
    snprintf(path, sizeof path, "%s/rel.csv", test_tmpdir());
    FILE *fp = fopen(path, "w");
    fprintf(fp, "V1,II,extra\n0.1,1,9\n0.2,2,9\n0.3,3,9\n0.4,4,9\n-0.5,5e-1,9\n");
    fclose(fp);
    float *rel = NULL;
    CHECK_OK(ecgx_relevance_read_csv(path, r, &rel));
    if (rel) {
        CHECK_NEAR(rel[ECGX_LEAD_V1 * 5 + 4], -0.5, 1e-7);
        CHECK_NEAR(rel[ECGX_LEAD_II * 5 + 2], 3, 0);
        CHECK(rel[ECGX_LEAD_I * 5 + 0] == 0);
    }
    free(rel);
    const char *bad[] = {"V1,II\n1,2\n", "V1,II\n1,2\n1,2\n1,2\n1,2\n1,x\n", "V1,II\n1\n", "foo,bar\n1,2\n", "",
                         "V1,V1\n1,2\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fp = fopen(path, "w");
        fputs(bad[i], fp);
        fclose(fp);
        rel = NULL;
        int rc = ecgx_relevance_read_csv(path, r, &rel);
        CHECK_MSG(rc == ECGX_ERR_FORMAT && !rel, "case %zu: rc %d", i, rc);
        CHECK(strstr(ecgx_last_error(), "rel.csv") != NULL);
    }
    ecgx_record_free(r);
}

static void test_font(void)
{
    uint8_t rows[7];
    font5x7_rows('I', rows);
    CHECK(rows[0] == 0x0E && rows[3] == 0x04 && rows[6] == 0x0E);
    font5x7_rows(200, rows); /* non-ASCII draws as '?' */
    uint8_t q[7];
    font5x7_rows('?', q);
    CHECK(memcmp(rows, q, 7) == 0);
    /* every printable glyph except space has ink */
    int empty = 0;
    for (int c = 33; c < 127; c++) {
        font5x7_rows((unsigned char)c, rows);
        int any = 0;
        for (int k = 0; k < 7; k++) any |= rows[k];
        empty += !any;
    }
    CHECK(empty == 0);
}

/* The command line: a WFDB record written by io, rendered to PNG and SVG. */
static void test_cli(void)
{
    const char *bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK) != 0) {
        fprintf(stderr, "  (ECGX_BIN not set: CLI test skipped)\n");
        return;
    }
    ecgx_record *r = blank12(500, 10);
    add_pulse(r, ECGX_LEAD_II, 1.0, 0.004, 1.0);
    char rec[512], png[512], svg[512], rel[512], cmd[4096];
    snprintf(rec, sizeof rec, "%s/clirec", test_tmpdir());
    snprintf(png, sizeof png, "%s/cli.png", test_tmpdir());
    snprintf(svg, sizeof svg, "%s/cli.svg", test_tmpdir());
    snprintf(rel, sizeof rel, "%s/clirel.csv", test_tmpdir());
    CHECK_OK(ecgx_record_write(rec, r));
    FILE *fp = fopen(rel, "w");
    fprintf(fp, "I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6\n");
    for (int i = 0; i < 5000; i++) fprintf(fp, "0,%g,0,0,0,0,0,0,0,0,0,0\n", i >= 490 && i <= 510 ? 1.0 : 0.0);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "%s render %s -o %s --dpi 100 --relevance %s --layout 6x2 2>&1", bin, rec, png, rel);
    CHECK(system(cmd) == 0);
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    o.dpi = 100;
    o.layout = ECGX_LAYOUT_6X2;
    o.relevance = (const float *)1; /* only for the footer height in the geometry */
    ecgx_render_geometry g;
    CHECK_OK(ecgx_render_ecg_geometry(r, &o, &g));
    fp = fopen(png, "rb");
    CHECK(fp != NULL);
    if (fp) {
        spng_ctx *ctx = spng_ctx_new(0);
        spng_set_png_file(ctx, fp);
        struct spng_ihdr ihdr;
        CHECK(spng_get_ihdr(ctx, &ihdr) == 0 && (int)ihdr.width == g.width_px && (int)ihdr.height == g.height_px);
        spng_ctx_free(ctx);
        fclose(fp);
    }
    snprintf(cmd, sizeof cmd, "%s render %s -o %s --speed 50 --gain 20 --no-measure >/dev/null 2>&1", bin, rec, svg);
    CHECK(system(cmd) == 0);
    char *text = NULL;
    size_t len = 0;
    CHECK_OK(ecgx_read_file(svg, 1 << 26, &text, &len));
    if (text) CHECK(strstr(text, "50 mm/s   20 mm/mV") != NULL);
    free(text);
    /* usage and input errors: exit 2 and 1 */
    snprintf(cmd, sizeof cmd, "%s render %s -o %s --layout 5x5 >/dev/null 2>&1", bin, rec, png);
    CHECK(WEXITSTATUS(system(cmd)) == 2);
    snprintf(cmd, sizeof cmd, "%s render %s/missing -o %s >/dev/null 2>&1", bin, test_tmpdir(), png);
    CHECK(WEXITSTATUS(system(cmd)) == 1);
    fp = fopen(rel, "w");
    fprintf(fp, "II\n1\n2\n");
    fclose(fp);
    snprintf(cmd, sizeof cmd, "%s render %s -o %s --relevance %s >/dev/null 2>&1", bin, rec, png, rel);
    CHECK(WEXITSTATUS(system(cmd)) == 1);
    ecgx_record_free(r);
}

int main(void)
{
    RUN(test_font);
    RUN(test_grid_spacing);
    RUN(test_peak_position);
    RUN(test_layouts);
    RUN(test_own_leads);
    RUN(test_svg);
    RUN(test_png_roundtrip);
    RUN(test_png_encoders);
    RUN(test_relevance_colours);
    RUN(test_median_beats);
    RUN(test_bars);
    RUN(test_relevance_csv);
    RUN(test_cli);
    return check_finish();
}
