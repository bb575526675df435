/* The HTML report: self-contained (no network references), the expected
 * sections, tables and figures present, figures that decode, text escaped;
 * then opened in headless Chromium (skipped when absent): a screenshot that
 * shows the ECG paper and the tables, and a DOM with the tables' rows. */
#include "browser_test.h"
#include "ecgx/report.h"
#include "ecgx/outfile.h"

#include <spng.h>
#include <sys/wait.h>

static const char *NAMES[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};

static ecgx_record *synthetic(int64_t **peaks, int *n_peaks)
{
    ecgx_record *r = ecgx_record_new(12, 5000, 500);
    for (int l = 0; l < 12; l++) ecgx_record_set_lead(r, l, NAMES[l], "mV");
    snprintf(r->name, sizeof r->name, "synthetic-001");
    r->age = 63;
    r->sex = ECGX_SEX_FEMALE;
    *peaks = malloc(16 * sizeof **peaks);
    *n_peaks = 0;
    for (int64_t at = 300; at + 300 < 5000; at += 420) (*peaks)[(*n_peaks)++] = at;
    for (int l = 0; l < 12; l++) {
        float *x = ecgx_record_lead(r, l);
        double amp = (l == 3 ? -1.0 : 1.0) * (0.6 + 0.08 * l);
        for (int k = 0; k < *n_peaks; k++)
            for (int j = -150; j < 250; j++) {
                double t = j / 500.0;
                x[(*peaks)[k] + j] += (float)(0.12 * exp(-pow(t + 0.16, 2) / 0.0004) + amp * exp(-pow(t, 2) / 0.00005) -
                                              0.15 * exp(-pow(t - 0.02, 2) / 0.00008) + 0.25 * exp(-pow(t - 0.3, 2) / 0.002));
            }
    }
    return r;
}

static uint8_t *base64_decode(const char *s, size_t n, size_t *out_len)
{
    uint8_t *o = malloc(n / 4 * 3 + 3);
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (v < 0) break;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) { bits -= 8; o[k++] = (uint8_t)(acc >> bits); }
    }
    *out_len = k;
    return o;
}

static char *report_path;

static void build_report(ecgx_report *rep, ecgx_record **rec_out, float **rel_out, float **beats_out, float **brel_out)
{
    int64_t *peaks;
    int np;
    ecgx_record *rec = synthetic(&peaks, &np);
    float *rel = calloc(12 * 5000, sizeof *rel);
    for (int l = 6; l < 10; l++)
        for (int k = 0; k < np; k++)
            for (int j = 0; j < 60; j++) rel[l * 5000 + peaks[k] + 40 + j] = (float)(0.5 + 0.1 * l);
    for (int k = 0; k < np; k++)
        for (int j = 0; j < 20; j++) rel[1 * 5000 + peaks[k] - 90 + j] = -0.4f;
    float *beats = NULL, *brel = NULL;
    int blen = 0;
    CHECK_OK(ecgx_median_beats(rec, peaks, np, 0.3, 0.5, rel, &beats, &brel, &blen));
    free(peaks);
    static ecgx_report_prediction preds[3] = {
        {"NORM", "normal ECG", 0.08, 0.5, 0},
        {"MI", "myocardial infarction <anterior>", 0.91, 0.42, 1},
        {"STTC", "ST/T change", 0.35, 0.47, 0},
    };
    static double lead_rel[12] = {0.02, -0.1, 0.01, 0.0, 0.03, 0.02, 0.5, 0.8, 0.9, 0.6, 0.1, 0.05};
    static const char *seg_names[6] = {"P", "PR", "QRS", "ST", "T", "TP"};
    static double seg_rel[6] = {-0.05, 0.01, 0.3, 0.9, 0.4, 0.0};
    static const char *sentences[2] = {"Relevance concentrates on the ST segment in V1-V4.",
                                       "The P wave in II counts slightly against the class."};
    static ecgx_report_explanation ex;
    memset(&ex, 0, sizeof ex);
    ex.label = "MI";
    ex.relevance = rel;
    ex.lead_relevance = lead_rel;
    ex.n_segments = 6;
    ex.segment_names = seg_names;
    ex.segment_relevance = seg_rel;
    ex.n_sentences = 2;
    ex.sentences = sentences;
    ex.median_beats = beats;
    ex.median_relevance = brel;
    ex.median_len = blen;
    ex.median_r_offset_s = 0.3;
    static ecgx_report_measurement meas[5] = {
        {"Heart rate", 71.4, "bpm"}, {"PR interval", 162, "ms"}, {"QRS duration", 94, "ms"},
        {"QTc (Bazett)", 421, "ms"}, {"P axis", NAN, "deg"}};
    memset(rep, 0, sizeof *rep);
    rep->record = rec;
    rep->model_name = "resnet1d-ptbxl (test)";
    rep->n_predictions = 3;
    rep->predictions = preds;
    rep->n_explanations = 1;
    rep->explanations = &ex;
    rep->n_measurements = 5;
    rep->measurements = meas;
    rep->method = "Integrated gradients (64 steps)";
    rep->faithfulness_name = "deletion AUC, lower is better";
    rep->faithfulness = 0.213;
    rep->header.rate_bpm = 71.4;
    rep->header.pr_ms = 162;
    rep->header.qrs_ms = 94;
    rep->header.qt_ms = 390;
    rep->header.qtc_ms = 421;
    rep->header.axis_deg = 48;
    rep->dpi = 110;
    *rec_out = rec;
    *rel_out = rel;
    *beats_out = beats;
    *brel_out = brel;
}

static void test_html(void)
{
    ecgx_report rep;
    ecgx_record *rec;
    float *rel, *beats, *brel;
    build_report(&rep, &rec, &rel, &beats, &brel);
    char *html = NULL;
    size_t len = 0;
    CHECK_OK(ecgx_report_html(&rep, &html, &len));
    if (html) {
        const char *ids[] = {"id=\"predictions-table\"", "id=\"measurements-table\"", "id=\"method-table\"",
                             "id=\"disclaimer\"", "id=\"ecg-plain\"", "id=\"ecg-relevance-0\"", "id=\"lead-bars-0\"",
                             "id=\"segment-bars-0\"", "id=\"median-0\"", "id=\"explanation-0\""};
        for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) CHECK_MSG(strstr(html, ids[i]) != NULL, "missing %s", ids[i]);
        CHECK(strstr(html, "not a diagnosis") != NULL);
        CHECK(strstr(html, "myocardial infarction &lt;anterior&gt;") != NULL); /* escaped */
        CHECK(strstr(html, "<anterior>") == NULL);
        CHECK(strstr(html, "0.213") != NULL && strstr(html, "Integrated gradients") != NULL);
        CHECK(strstr(html, "not measurable") != NULL && strstr(html, "421 ms") != NULL);
        CHECK(strstr(html, "Relevance concentrates on the ST segment") != NULL);
        /* self-contained: nothing fetched from anywhere */
        CHECK(strstr(html, "http://") == NULL && strstr(html, "https://") == NULL && strstr(html, "<link") == NULL &&
              strstr(html, "<script") == NULL);
        /* the MI row comes first (positive, highest probability) */
        const char *mi = strstr(html, "<td>MI</td>"), *norm = strstr(html, "<td>NORM</td>");
        CHECK(mi && norm && mi < norm);
        /* every embedded image decodes to its stated size */
        int n_img = 0, ok = 0;
        for (const char *p = strstr(html, "<img "); p; p = strstr(p + 1, "<img ")) {
            int w = 0, h = 0;
            const char *ws = strstr(p, "width=\"");
            if (ws) sscanf(ws, "width=\"%d\" height=\"%d\"", &w, &h);
            const char *d = strstr(p, "base64,");
            if (!d) continue;
            d += 7;
            const char *e = strchr(d, '"');
            size_t n;
            uint8_t *png = base64_decode(d, (size_t)(e - d), &n);
            spng_ctx *ctx = spng_ctx_new(0);
            spng_set_png_buffer(ctx, png, n);
            struct spng_ihdr ihdr;
            if (spng_get_ihdr(ctx, &ihdr) == 0 && (int)ihdr.width == w && (int)ihdr.height == h) {
                size_t sz;
                spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &sz);
                uint8_t *img = malloc(sz);
                if (spng_decode_image(ctx, img, sz, SPNG_FMT_RGB8, 0) == 0) ok++;
                free(img);
            }
            spng_ctx_free(ctx);
            free(png);
            n_img++;
        }
        CHECK_MSG(n_img == 5 && ok == 5, "%d images, %d decode", n_img, ok);
        CHECK_OK(ecgx_write_file_atomic(report_path, html, len));
    }
    free(html);
    /* the inline-SVG variant */
    rep.inline_svg = 1;
    CHECK_OK(ecgx_report_html(&rep, &html, &len));
    if (html) CHECK(strstr(html, "<svg") && !strstr(html, "<?xml") && !strstr(html, "<img "));
    free(html);
    /* bad arguments */
    rep.n_predictions = 2;
    rep.predictions = NULL;
    CHECK(ecgx_report_html(&rep, &html, &len) == ECGX_ERR_ARG);
    free(rel);
    free(beats);
    free(brel);
    ecgx_record_free(rec);
}

/* The explanation names the output it explains, its probability beside the
 * displayed one (and says so when they differ), the baseline (and when it
 * already scores the class), the deletion AUC beside its random reference,
 * the measured criteria, and the units of its charts. */
static void test_explained_output(void)
{
    ecgx_report rep;
    ecgx_record *rec;
    float *rel, *beats, *brel;
    build_report(&rep, &rec, &rel, &beats, &brel);
    ecgx_report_explanation ex = rep.explanations[0];
    ecgx_report_criterion crit[2] = {{"QRS duration", 148, "ms", ">= 120 ms: complete bundle branch block range", 1, ""},
                                     {"PR interval", NAN, "ms", "> 200 ms: first-degree AV block", -1, ""}};
    ex.explained_output = "the window 2.50-5.00 s";
    ex.explained_probability = 0.91;
    ex.baseline = "a synthetic normal ECG at 58 % amplitude, which the model scores NORM 0.3";
    ex.relevance_unit = "% of the positive total per 10 ms";
    ex.lead_unit = "% of positive relevance";
    ex.has_deletion = 1;
    ex.deletion_auc = 0.12;
    ex.deletion_auc_random = 0.61;
    ex.n_criteria = 2;
    ex.criteria = crit;
    rep.explanations = &ex;
    rep.inline_svg = 1; /* the figures' text is then in the page */
    char *html = NULL;
    size_t len = 0;
    CHECK_OK(ecgx_report_html(&rep, &html, &len));
    if (html) {
        CHECK(strstr(html, "Explained output: the window 2.50-5.00 s; its probability <strong>0.910</strong> = the displayed 0.910"));
        CHECK(!strstr(html, "another number"));
        CHECK(strstr(html, "Compared with: a synthetic normal ECG") && !strstr(html, "already scores"));
        CHECK(strstr(html, "deletion AUC <strong>0.120</strong> against <strong>0.610</strong>") &&
              strstr(html, "faster than chance"));
        CHECK(strstr(html, "id=\"criteria-0\"") && strstr(html, "148 ms") && strstr(html, "not measurable"));
        CHECK(strstr(html, "Relevance per lead (% of positive relevance)") != NULL);
        CHECK(strstr(html, "MI, % of the positive total per 10 ms") != NULL); /* the colour bar's caption */
        CHECK(strstr(html, "% / 10 ms") != NULL); /* the median beats' colour bar, in the same unit */
    }
    free(html);
    /* an explanation of another number than the table shows, against a baseline that has the class */
    ex.explained_probability = 0.176;
    ex.baseline_scores_class = 1;
    ex.deletion_auc = 0.7;
    CHECK_OK(ecgx_report_html(&rep, &html, &len));
    if (html) {
        CHECK(strstr(html, "its probability <strong>0.176</strong> &ne; the displayed 0.910") &&
              strstr(html, "another number than the table shows"));
        CHECK(strstr(html, "The baseline already scores this class at or above its threshold") != NULL);
        CHECK(strstr(html, "no better than chance") != NULL);
    }
    free(html);
    free(rel);
    free(beats);
    free(brel);
    ecgx_record_free(rec);
}

static void feature(ecgx_features *f, const char *name, double v)
{
    snprintf(f->names[f->n], ECGX_FEATURE_NAME_MAX, "%s", name);
    f->values[f->n++] = v;
}

/* The measured criteria: cut-offs applied as documented, by hand. */
static void test_criteria(void)
{
    char names[64][ECGX_FEATURE_NAME_MAX];
    double values[64];
    ecgx_features f = {0, names, values};
    feature(&f, "QRS_Global", 148);
    feature(&f, "PR_Global", NAN);
    feature(&f, "QRS_axis_Global", -45);
    feature(&f, "SokolowLyon_Global", 3.8);
    feature(&f, "Cornell_Global", 2.4);
    feature(&f, "R_amp_avl", 0.9); /* the lead suffix in any case */
    static const char *leads[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
    for (int l = 0; l < 12; l++) {
        char k[48];
        int inferior = l == 1 || l == 2 || l == 5;
        snprintf(k, sizeof k, "Q_amp_%s", leads[l]);
        feature(&f, k, l == 3 ? -0.8 : inferior ? -0.3 : -0.05); /* aVR's deep Q does not count */
        snprintf(k, sizeof k, "R_amp_%s", leads[l]);
        if (l != 4) feature(&f, k, 0.8);
        snprintf(k, sizeof k, "ST60_%s", leads[l]);
        feature(&f, k, l == 7 ? 0.15 : l == 9 ? 0.12 : 0.0); /* V2 below its 0.2 mV cut-off, V4 above 0.1 */
    }
    ecgx_report_criterion c[8];
    int n = ecgx_report_criteria(&f, "CD", ECGX_SEX_MALE, c, 8);
    CHECK(n == 3 && !strcmp(c[0].name, "QRS duration") && c[0].met == 1 && c[0].value == 148);
    CHECK(c[1].met == -1 && c[2].met == 1); /* PR not measurable; axis -45: left axis deviation */
    CHECK(ecgx_report_criteria(&f, "LBBB", ECGX_SEX_MALE, c, 8) == 3); /* read as its superclass */
    n = ecgx_report_criteria(&f, "HYP", ECGX_SEX_MALE, c, 8);
    CHECK(n == 3 && c[0].met == 1 && c[1].met == 0 && c[2].met == 0); /* Cornell 2.4 <= 2.8 in men */
    ecgx_report_criteria(&f, "HYP", ECGX_SEX_FEMALE, c, 8);
    CHECK(c[1].met == 1); /* > 2.0 in women */
    /* QRS 148 ms: the Q-wave and ST criteria are flagged as not applying (bundle branch block) */
    n = ecgx_report_criteria(&f, "MI", ECGX_SEX_UNKNOWN, c, 8);
    CHECK(n == 3 && !strcmp(c[0].name, "QRS duration (confounder)") && c[0].met == 1);
    CHECK(c[1].value == 3 && c[1].met == 1 && !strcmp(c[1].detail, "II, III, aVF"));
    CHECK_MSG(c[2].value == 1 && c[2].met == 0 && !strcmp(c[2].detail, "V4"), "ST elevation: %g (%s)", c[2].value, c[2].detail);
    f.values[0] = 96; /* a narrow QRS: no confounder */
    n = ecgx_report_criteria(&f, "MI", ECGX_SEX_UNKNOWN, c, 8);
    CHECK(n == 2 && !strcmp(c[0].name, "Pathological Q waves"));
    CHECK(ecgx_report_criteria(&f, "AFIB", ECGX_SEX_UNKNOWN, c, 8) == 0);
    CHECK(ecgx_report_criteria(&f, "STTC", ECGX_SEX_UNKNOWN, c, 2) == 2); /* at most max */
}

static int run_cmd(const char *cmd) { int s = system(cmd); return WIFEXITED(s) ? WEXITSTATUS(s) : -1; }

static void test_chromium(void)
{
    if (!test_browser_usable()) return;
    char shot[512], dom[512], profile[512], cmd[4096];
    snprintf(shot, sizeof shot, "%s/report.png", test_tmpdir());
    snprintf(dom, sizeof dom, "%s/report.dom", test_tmpdir());
    snprintf(profile, sizeof profile, "%s/chromium-profile", test_tmpdir());
    if (!test_screenshot(report_path, 1200, 2000, profile, shot)) return;
    snprintf(cmd, sizeof cmd, "timeout 120 " TEST_CHROMIUM " " TEST_CHROMIUM_FLAGS " --user-data-dir=%s --dump-dom file://%s > %s 2>/dev/null",
             profile, report_path, dom);
    CHECK(run_cmd(cmd) == 0);
    char *d = NULL;
    size_t n = 0;
    CHECK_OK(ecgx_read_file(dom, 1 << 28, &d, &n));
    if (d) {
        CHECK(strstr(d, "id=\"predictions-table\"") && strstr(d, "id=\"measurements-table\"") && strstr(d, "id=\"ecg-plain\""));
        /* three prediction rows, five measurement rows in the parsed DOM */
        const char *t = strstr(d, "id=\"predictions-table\""), *end = t ? strstr(t, "</table>") : NULL;
        int rows = 0;
        for (const char *p = t; p && end && (p = strstr(p, "<tr class=")) && p < end; p++) rows++;
        CHECK_MSG(rows == 3, "%d prediction rows in the DOM", rows);
    }
    free(d);
    /* the screenshot: not blank, and the ECG paper's colours are on it */
    uint32_t w = 0, h = 0;
    size_t sz = 0;
    uint8_t *img = test_png_rgb(shot, &w, &h, &sz);
    if (!img) { CHECK(!"screenshot unreadable"); return; }
    size_t npx = sz / 3, nonwhite = 0, pink = 0, header_grey = 0;
    for (size_t i = 0; i < npx; i++) {
        const uint8_t *p = img + 3 * i;
        nonwhite += p[0] < 240 || p[1] < 240 || p[2] < 240;
        pink += p[0] > 200 && p[1] > 100 && p[1] < 215 && p[2] > 95 && p[2] < 215 && p[0] - p[1] > 25; /* grid lines */
        header_grey += p[0] == 0xf0 && p[1] == 0xf0 && p[2] == 0xf5;                                /* table headers */
    }
    CHECK_MSG(w == 1200 && h == 2000, "screenshot %ux%u", w, h);
    CHECK_MSG(nonwhite > npx / 20, "screenshot nearly blank (%zu of %zu pixels not white)", nonwhite, npx);
    CHECK_MSG(pink > 5000, "no ECG grid visible (%zu grid-coloured pixels)", pink);
    CHECK_MSG(header_grey > 1000, "no table header visible (%zu pixels)", header_grey);
    free(img);
    if (getenv("ECGX_KEEP_REPORT")) {
        snprintf(cmd, sizeof cmd, "cp %s %s %s", shot, report_path, getenv("ECGX_KEEP_REPORT"));
        run_cmd(cmd);
    }
}

int main(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/report.html", test_tmpdir());
    report_path = path;
    RUN(test_html);
    RUN(test_explained_output);
    RUN(test_criteria);
    RUN(test_chromium);
    return check_finish();
}
