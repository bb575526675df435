/* The HTML report: one self-contained file (inline CSS, figures embedded as
 * base64 PNG or inline SVG), readable offline and printable. */
#include "ecgx/report.h"
#include "ecgx/outfile.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_grow(sbuf *b, size_t extra)
{
    if (b->failed || b->len + extra + 1 <= b->cap) return;
    size_t cap = (b->cap + extra + 1) * 2;
    char *s = realloc(b->s, cap);
    if (!s) { b->failed = 1; return; }
    b->s = s;
    b->cap = cap;
}

static void sb_put(sbuf *b, const char *s, size_t n)
{
    sb_grow(b, n);
    if (b->failed) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) { b->failed = 1; return; }
    if ((size_t)n < sizeof small) { sb_put(b, small, (size_t)n); return; }
    sb_grow(b, (size_t)n);
    if (b->failed) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Text into HTML: escape markup characters, drop control characters. */
static void sb_text(sbuf *b, const char *s)
{
    if (!s) return;
    for (; *s; s++) {
        switch (*s) {
        case '<': sb_put(b, "&lt;", 4); break;
        case '>': sb_put(b, "&gt;", 4); break;
        case '&': sb_put(b, "&amp;", 5); break;
        case '"': sb_put(b, "&quot;", 6); break;
        case '\'': sb_put(b, "&#39;", 5); break;
        default:
            if ((unsigned char)*s >= 32 || *s == '\n' || *s == '\t') sb_put(b, s, 1);
        }
    }
}

/* An id attribute value from free text: letters, digits, '-' only. */
static void sb_id(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        char c = *s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') sb_put(b, &c, 1);
        else sb_put(b, "_", 1);
    }
}

static void sb_base64(sbuf *b, const uint8_t *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sb_grow(b, (n + 2) / 3 * 4);
    if (b->failed) return;
    char *o = b->s + b->len;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = tbl[v >> 18]; *o++ = tbl[(v >> 12) & 63]; *o++ = tbl[(v >> 6) & 63]; *o++ = tbl[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->s);
    b->s[b->len] = '\0';
}

/* Embed a figure; frees it. */
static int embed(sbuf *b, ecgx_figure *fig, const char *id, const char *cls, const char *alt, double max_width_mm)
{
    int rc = 0;
    sb_printf(b, "<figure class=\"%s\" id=\"", cls);
    sb_id(b, id);
    sb_printf(b, "\" style=\"max-width:%.0fmm\">", max_width_mm);
    if (fig->format == ECGX_RENDER_SVG) {
        const char *s = strstr(fig->svg, "<svg");
        sb_put(b, s ? s : fig->svg, strlen(s ? s : fig->svg));
    } else {
        void *png = NULL;
        size_t len = 0;
        /* the report is read, not streamed: spend a little time for smaller files */
        rc = ecgx_image_encode_png(&fig->image, 6, &png, &len);
        if (!rc) {
            sb_printf(b, "<img alt=\"");
            sb_text(b, alt);
            sb_printf(b, "\" width=\"%d\" height=\"%d\" src=\"data:image/png;base64,", fig->image.width, fig->image.height);
            sb_base64(b, png, len);
            sb_printf(b, "\">");
        }
        free(png);
    }
    sb_printf(b, "</figure>\n");
    ecgx_figure_free(fig);
    return rc;
}

static const char *CSS =
    "*{box-sizing:border-box}"
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#222;margin:0;background:#f4f4f6;line-height:1.45}"
    "main{max-width:1180px;margin:0 auto;padding:24px 28px;background:#fff}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:2px solid #e2e2e8;padding-bottom:4px}"
    "h3{font-size:16px;margin:18px 0 6px}.meta{color:#555;margin:0 0 12px}"
    ".disclaimer{background:#fff4e5;border-left:5px solid #e08a00;padding:10px 14px;margin:14px 0}"
    "table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e4e4ea}"
    "th{background:#f0f0f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.positive td{background:#fdecec}tr.disagree td{background:#fff4e5}ul.reasons{margin:0;padding-left:18px}"
    ".call-pos{color:#b2182b;font-weight:700}.call-neg{color:#555}"
    ".bar{display:inline-block;height:10px;background:#b2182b;vertical-align:middle;border-radius:2px}"
    ".barbg{display:inline-block;width:120px;height:10px;background:#eee;margin-right:8px;vertical-align:middle;border-radius:2px;text-align:left}"
    "figure{margin:10px 0}figure img,figure svg{width:100%;height:auto;display:block;border:1px solid #ddd}"
    ".pair{display:flex;gap:16px;flex-wrap:wrap}.pair figure{flex:1 1 320px}"
    "ul.sentences{margin:6px 0 10px 20px;padding:0}ul.sentences li{margin:3px 0}"
    ".warn{background:#fff4e5;border-left:4px solid #e08a00;padding:4px 8px}table.criteria{max-width:900px;margin:8px 0}"
    "#measurements-table,#method-table{max-width:640px}footer{color:#777;font-size:12px;margin-top:30px}"
    "@media print{body{background:#fff}main{padding:0}}";

static int cmp_prob_desc(const void *a, const void *b)
{
    const ecgx_report_prediction *x = *(const ecgx_report_prediction *const *)a;
    const ecgx_report_prediction *y = *(const ecgx_report_prediction *const *)b;
    if (x->positive != y->positive) return y->positive - x->positive;
    return (y->probability > x->probability) - (y->probability < x->probability);
}

static const ecgx_report_prediction *find_pred(const ecgx_report *r, const char *label)
{
    for (int i = 0; i < r->n_predictions; i++)
        if (label && r->predictions[i].label && strcmp(r->predictions[i].label, label) == 0) return &r->predictions[i];
    return NULL;
}

/* A file as the reader wants it named: without the folders. */
static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The measurement model's calls and reasons beside the CNN's. */
static void trees_section(sbuf *b, const ecgx_report_trees *t)
{
    sb_printf(b, "<section id=\"trees\">\n<h2>Measurement model beside the network</h2>\n<p>A second, "
                 "interpretable model (gradient-boosted trees on this ECG's measurements, age and sex; ");
    sb_text(b, base_name(t->source));
    sb_printf(b, ") called each class at its own stored threshold. Its reasons are exact SHAP values: how far each "
                 "measurement moved the class's log-odds from the model's average.</p>\n");
    if (!t->measured)
        sb_printf(b, "<p class=\"warn\" id=\"trees-unmeasured\">This ECG could not be measured: the measurement model "
                     "saw only age and sex, every measurement as missing.</p>\n");
    if (t->n_disagree > 0) {
        sb_printf(b, "<p class=\"warn\" id=\"trees-disagree\"><strong>The two models disagree on %d class%s:", t->n_disagree,
                  t->n_disagree > 1 ? "es" : "");
        for (int k = 0, first = 1; k < t->n_classes; k++)
            if (t->classes[k].disagree) {
                sb_printf(b, "%s ", first ? "" : ",");
                sb_text(b, t->classes[k].label);
                first = 0;
            }
        sb_printf(b, "</strong>. Read these with particular care.</p>\n");
    } else {
        sb_printf(b, "<p id=\"trees-agree\">The two models make the same call on every class they share.</p>\n");
    }
    sb_printf(b, "<table id=\"trees-table\">\n<thead><tr><th>Class</th><th>Network</th><th>Measurement model</th>"
                 "<th>Agreement</th><th>Top reasons (measurement model)</th></tr></thead>\n<tbody>\n");
    for (int k = 0; k < t->n_classes; k++) {
        const ecgx_report_tree_class *c = &t->classes[k];
        sb_printf(b, "<tr class=\"%s\"><td>", c->disagree ? "disagree" : c->positive ? "positive" : "negative");
        sb_text(b, c->label);
        sb_printf(b, "</td><td class=\"num\">");
        if (c->has_cnn)
            sb_printf(b, "%.3f <span class=\"%s\">%s</span>", c->cnn_probability, c->cnn_positive ? "call-pos" : "call-neg",
                      c->cnn_positive ? "present" : "absent");
        else sb_printf(b, "&ndash;");
        sb_printf(b, "</td><td class=\"num\">%.3f <span class=\"%s\">%s</span><br><span class=\"meta\">threshold %.3f</span></td>",
                  c->probability, c->positive ? "call-pos" : "call-neg", c->positive ? "present" : "absent", c->threshold);
        if (!c->has_cnn) sb_printf(b, "<td>not a class of the network</td>");
        else if (c->disagree) sb_printf(b, "<td class=\"call-pos\">&#9888; disagree</td>");
        else sb_printf(b, "<td class=\"call-neg\">agree</td>");
        sb_printf(b, "<td><ul class=\"reasons\">");
        for (int r = 0; r < c->n_reasons; r++) {
            sb_printf(b, "<li>");
            sb_text(b, c->reason[r]);
            sb_printf(b, "</li>");
        }
        if (c->n_reasons == 0) sb_printf(b, "<li>no measurement moved this class</li>");
        sb_printf(b, "</ul></td></tr>\n");
    }
    sb_printf(b, "</tbody>\n</table>\n</section>\n");
}

/* The network's clusters under one lead, their names and shares. */
static int clusters_section(sbuf *b, const ecgx_record *rec, const ecgx_report_clusters *c, double dpi,
                            ecgx_render_format fmt)
{
    sb_printf(b, "<section id=\"clusters\">\n<h2>How the network segments this ECG</h2>\n<p>The network's internal "
                 "activations, grouped into %d clusters (", c->k);
    sb_text(b, base_name(c->source));
    sb_printf(b, "): each stretch of time is coloured by the cluster the network treats it like, each cluster named "
                 "by the wave it mostly covers. The band below is the uncertainty of that assignment (entropy; "
                 "higher: the network is between clusters). Mean entropy <strong>%.3f</strong> nats of at most %.3f "
                 "(%.0f %%).</p>\n", c->mean_entropy, c->max_entropy,
              c->max_entropy > 0 ? 100 * c->mean_entropy / c->max_entropy : 0.0);
    ecgx_figure *fig = NULL;
    int rc = ecgx_clusters_render(rec, c->clusters, &c->assignment, c->lead, dpi, fmt, &fig);
    if (rc < 0 || (rc = embed(b, fig, "clusters-figure", "clusters", "lead with the network's clusters and uncertainty", 300)) < 0)
        return rc;
    sb_printf(b, "<table id=\"clusters-table\">\n<thead><tr><th>Cluster</th><th>Named by the wave it mostly covers</th><th>Share of the "
                 "record</th></tr></thead>\n<tbody>\n");
    for (int j = 0; j < c->k; j++) {
        double p = isfinite(c->proportion[j]) ? fmin(1, fmax(0, c->proportion[j])) : 0;
        sb_printf(b, "<tr><td class=\"num\">%d</td><td>", j);
        sb_text(b, c->name[j]);
        sb_printf(b, "</td><td class=\"num\"><span class=\"barbg\"><span class=\"bar\" style=\"width:%.0fpx\"></span>"
                     "</span>%.1f %%</td></tr>\n", p * 120, 100 * c->proportion[j]);
    }
    sb_printf(b, "</tbody>\n</table>\n</section>\n");
    return 0;
}

int ecgx_report_html(const ecgx_report *r, char **html, size_t *len)
{
    *html = NULL;
    if (len) *len = 0;
    if (!r || !r->record) return ecgx_error(ECGX_ERR_ARG, "report: no record");
    if (r->n_predictions < 0 || (r->n_predictions && !r->predictions) || r->n_explanations < 0 ||
        (r->n_explanations && !r->explanations) || r->n_measurements < 0 || (r->n_measurements && !r->measurements))
        return ecgx_error(ECGX_ERR_ARG, "report: inconsistent counts and arrays");
    const ecgx_record *rec = r->record;
    double dpi = r->dpi > 0 ? r->dpi : 150;
    ecgx_render_format fmt = r->inline_svg ? ECGX_RENDER_SVG : ECGX_RENDER_PNG;
    sbuf b = {0};
    int rc = 0;

    sb_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    if (r->title) sb_text(&b, r->title);
    else { sb_printf(&b, "ECG report: "); sb_text(&b, rec->name); }
    sb_printf(&b, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<header>\n<h1>", CSS);
    if (r->title) sb_text(&b, r->title);
    else { sb_printf(&b, "ECG report: "); sb_text(&b, rec->name); }
    sb_printf(&b, "</h1>\n<p class=\"meta\" id=\"record-info\">");
    if (rec->age >= 0) sb_printf(&b, "Age %.0f &middot; ", rec->age);
    sb_printf(&b, "%s &middot; %d leads &middot; %.1f s at %g Hz",
              rec->sex == ECGX_SEX_MALE ? "male" : rec->sex == ECGX_SEX_FEMALE ? "female" : "sex not recorded",
              rec->n_leads, (double)rec->n_samples / rec->fs, rec->fs);
    if (r->model_name) { sb_printf(&b, " &middot; model: "); sb_text(&b, r->model_name); }
    sb_printf(&b, "</p>\n</header>\n");
    sb_printf(&b, "<div class=\"disclaimer\" id=\"disclaimer\"><strong>Research tool, not a diagnosis.</strong> "
                  "This report was produced automatically by ecgx, a research software. Its predictions and "
                  "explanations may be wrong and must not be used to diagnose or treat anyone; a qualified clinician "
                  "must read the ECG itself.</div>\n");

    /* predictions */
    sb_printf(&b, "<section id=\"predictions\">\n<h2>Predictions</h2>\n");
    if (r->n_predictions == 0) sb_printf(&b, "<p>No predictions were given.</p>\n");
    else {
        const ecgx_report_prediction **ord = malloc((size_t)r->n_predictions * sizeof *ord);
        if (!ord) { free(b.s); return ecgx_error(ECGX_ERR_NOMEM, "report: out of memory"); }
        for (int i = 0; i < r->n_predictions; i++) ord[i] = &r->predictions[i];
        qsort(ord, (size_t)r->n_predictions, sizeof *ord, cmp_prob_desc);
        sb_printf(&b, "<table id=\"predictions-table\">\n<thead><tr><th>Class</th><th>Description</th>"
                      "<th>Probability</th><th>Threshold</th><th>Model's call</th></tr></thead>\n<tbody>\n");
        for (int i = 0; i < r->n_predictions; i++) {
            const ecgx_report_prediction *p = ord[i];
            double pr = isfinite(p->probability) ? fmin(1, fmax(0, p->probability)) : 0;
            sb_printf(&b, "<tr class=\"%s\"><td>", p->positive ? "positive" : "negative");
            sb_text(&b, p->label);
            sb_printf(&b, "</td><td>");
            sb_text(&b, p->description);
            sb_printf(&b, "</td><td class=\"num\"><span class=\"barbg\"><span class=\"bar\" style=\"width:%.0fpx\">"
                          "</span></span>%.3f</td><td class=\"num\">", pr * 120, p->probability);
            if (isfinite(p->threshold)) sb_printf(&b, "%.3f", p->threshold);
            else sb_printf(&b, "&ndash;");
            sb_printf(&b, "</td><td class=\"%s\">%s</td></tr>\n", p->positive ? "call-pos" : "call-neg",
                      p->positive ? "present" : "absent");
        }
        sb_printf(&b, "</tbody>\n</table>\n");
        free(ord);
    }
    sb_printf(&b, "</section>\n");
    if (r->trees) trees_section(&b, r->trees);

    /* the ECG as recorded */
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    o.dpi = dpi;
    o.header = r->header;
    if (!o.header.title) o.header.title = rec->name;
    sb_printf(&b, "<section id=\"ecg\">\n<h2>ECG</h2>\n");
    ecgx_figure *fig = NULL;
    if ((rc = ecgx_render_ecg(rec, &o, fmt, &fig)) || (rc = embed(&b, fig, "ecg-plain", "ecg", "12-lead ECG", 300))) goto fail;
    sb_printf(&b, "</section>\n");
    if (r->clusters && (rc = clusters_section(&b, rec, r->clusters, dpi, fmt)) < 0) goto fail;

    /* explanations */
    sb_printf(&b, "<section id=\"explanations\">\n<h2>What the model looked at</h2>\n");
    if (r->method) { sb_printf(&b, "<p>Explanation method: <strong>"); sb_text(&b, r->method); sb_printf(&b, "</strong>. "); }
    else sb_printf(&b, "<p>");
    sb_printf(&b, "Red marks parts of the signal that pushed the model towards the class, blue parts that pushed "
                  "against it; the strength of the colour is the size of the effect.</p>\n");
    if (r->n_explanations == 0) sb_printf(&b, "<p>No explanation was computed.</p>\n");
    for (int e = 0; e < r->n_explanations; e++) {
        const ecgx_report_explanation *x = &r->explanations[e];
        const ecgx_report_prediction *p = find_pred(r, x->label);
        char id[128];
        snprintf(id, sizeof id, "explanation-%d", e);
        sb_printf(&b, "<article class=\"explanation\" id=\"%s\">\n<h3>", id);
        sb_text(&b, x->label);
        if (p && p->description) { sb_printf(&b, " &mdash; "); sb_text(&b, p->description); }
        if (p) sb_printf(&b, " <span class=\"meta\">(probability %.3f)</span>", p->probability);
        sb_printf(&b, "</h3>\n");
        /* which output is explained, with its own probability beside the displayed one */
        if (x->explained_output) {
            int differ = p && fabs(p->probability - x->explained_probability) >= 0.0005;
            sb_printf(&b, "<p class=\"explained%s\" id=\"explained-%d\">Explained output: ", differ ? " warn" : "", e);
            sb_text(&b, x->explained_output);
            sb_printf(&b, "; its probability <strong>%.3f</strong>", x->explained_probability);
            if (p) sb_printf(&b, differ ? " &ne; the displayed %.3f: this explanation is of another number than the table shows"
                                        : " = the displayed %.3f", p->probability);
            sb_printf(&b, ".</p>\n");
        }
        if (x->baseline) {
            sb_printf(&b, "<p class=\"baseline%s\" id=\"baseline-%d\">Compared with: ", x->baseline_scores_class ? " warn" : "", e);
            sb_text(&b, x->baseline);
            if (x->baseline_scores_class)
                sb_printf(&b, ". <strong>The baseline already scores this class at or above its threshold</strong>: the "
                              "relevance explains the difference from an input the model already calls ");
            if (x->baseline_scores_class) sb_text(&b, x->label);
            sb_printf(&b, ".</p>\n");
        }
        if (x->n_sentences > 0 && x->sentences) {
            sb_printf(&b, "<ul class=\"sentences\">\n");
            for (int k = 0; k < x->n_sentences; k++) {
                sb_printf(&b, "<li>");
                sb_text(&b, x->sentences[k]);
                sb_printf(&b, "</li>\n");
            }
            sb_printf(&b, "</ul>\n");
        }
        if (x->n_criteria > 0 && x->criteria) {
            snprintf(id, sizeof id, "criteria-%d", e);
            sb_printf(&b, "<table class=\"criteria\" id=\"%s\">\n<thead><tr><th>Measured criterion</th><th>Value</th>"
                          "<th>Cut-off</th><th>Met</th></tr></thead>\n<tbody>\n", id);
            for (int k = 0; k < x->n_criteria; k++) {
                const ecgx_report_criterion *c = &x->criteria[k];
                sb_printf(&b, "<tr><td>");
                sb_text(&b, c->name);
                sb_printf(&b, "</td><td class=\"num\">");
                if (!isfinite(c->value)) sb_printf(&b, "not measurable");
                else {
                    int whole = strcmp(c->unit, "mV") != 0;
                    sb_printf(&b, whole ? "%.0f" : "%.2f", c->value);
                    if (c->unit[0]) { sb_printf(&b, " "); sb_text(&b, c->unit); }
                }
                if (c->detail[0]) { sb_printf(&b, " ("); sb_text(&b, c->detail); sb_printf(&b, ")"); }
                sb_printf(&b, "</td><td>");
                sb_text(&b, c->rule);
                sb_printf(&b, "</td><td class=\"%s\">%s</td></tr>\n", c->met > 0 ? "call-pos" : "call-neg",
                          c->met > 0 ? "yes" : c->met == 0 ? "no" : "&ndash;");
            }
            sb_printf(&b, "</tbody>\n</table>\n");
        }
        if (x->has_deletion) {
            sb_printf(&b, "<p class=\"faithfulness\" id=\"deletion-%d\">Faithfulness: deletion AUC <strong>", e);
            if (isfinite(x->deletion_auc)) sb_printf(&b, "%.3f", x->deletion_auc);
            else sb_printf(&b, "not computed");
            sb_printf(&b, "</strong> against <strong>");
            if (isfinite(x->deletion_auc_random)) sb_printf(&b, "%.3f", x->deletion_auc_random);
            else sb_printf(&b, "not computed");
            sb_printf(&b, "</strong> when the same blocks are removed in random order (lower is better");
            if (isfinite(x->deletion_auc) && isfinite(x->deletion_auc_random))
                sb_printf(&b, x->deletion_auc < x->deletion_auc_random
                                  ? ": removing what the explanation ranks first lowers the probability faster than chance"
                                  : ": <strong>no better than chance</strong>, read this explanation with caution");
            sb_printf(&b, ").</p>\n");
        }
        if (x->relevance) {
            ecgx_render_options ox = o;
            ox.relevance = x->relevance;
            char cap[200];
            /* short: the caption sits left of the colour bar inside the figure */
            if (x->relevance_unit)
                snprintf(cap, sizeof cap, "%s%s%s", x->label ? x->label : "", x->label ? ", " : "", x->relevance_unit);
            else
                snprintf(cap, sizeof cap, "%s%s%s", r->method ? r->method : "relevance", x->label ? ": " : "",
                         x->label ? x->label : "");
            ox.relevance_title = cap;
            snprintf(id, sizeof id, "ecg-relevance-%d", e);
            if ((rc = ecgx_render_ecg(rec, &ox, fmt, &fig)) || (rc = embed(&b, fig, id, "ecg relevance", "ECG with relevance", 300)))
                goto fail;
        }
        int bars = (x->lead_relevance != NULL) + (x->n_segments > 0 && x->segment_names && x->segment_relevance);
        if (bars) sb_printf(&b, "<div class=\"pair\">\n");
        if (x->lead_relevance) {
            const char **names = malloc((size_t)rec->n_leads * sizeof *names);
            if (!names) { rc = ecgx_error(ECGX_ERR_NOMEM, "report: out of memory"); goto fail; }
            for (int l = 0; l < rec->n_leads; l++) names[l] = rec->leads[l].name;
            snprintf(id, sizeof id, "lead-bars-%d", e);
            char title[160];
            snprintf(title, sizeof title, "Relevance per lead%s%s%s", x->lead_unit ? " (" : "", x->lead_unit ? x->lead_unit : "",
                     x->lead_unit ? ")" : "");
            rc = ecgx_render_bars(title, names, x->lead_relevance, rec->n_leads, dpi, fmt, &fig);
            free(names);
            if (rc || (rc = embed(&b, fig, id, "bars", "relevance per lead", 140))) goto fail;
        }
        if (x->n_segments > 0 && x->segment_names && x->segment_relevance) {
            snprintf(id, sizeof id, "segment-bars-%d", e);
            char title[160];
            snprintf(title, sizeof title, "Relevance per segment%s%s%s", x->lead_unit ? " (" : "",
                     x->lead_unit ? x->lead_unit : "", x->lead_unit ? ")" : "");
            if ((rc = ecgx_render_bars(title, x->segment_names, x->segment_relevance, x->n_segments, dpi, fmt, &fig)) ||
                (rc = embed(&b, fig, id, "bars", "relevance per segment", 140)))
                goto fail;
        }
        if (bars) sb_printf(&b, "</div>\n");
        if (x->median_beats && x->median_len > 1) {
            const char **names = malloc((size_t)rec->n_leads * sizeof *names);
            if (!names) { rc = ecgx_error(ECGX_ERR_NOMEM, "report: out of memory"); goto fail; }
            for (int l = 0; l < rec->n_leads; l++) names[l] = rec->leads[l].name;
            ecgx_median_options mo;
            ecgx_median_options_default(&mo);
            mo.dpi = dpi;
            mo.r_offset_s = x->median_r_offset_s;
            mo.title = "Median beats";
            /* the ECG overlay's unit (% of the positive total per 10 ms), short enough for the panel's footer */
            mo.relevance_unit = x->relevance_unit ? "% / 10 ms" : NULL;
            snprintf(id, sizeof id, "median-%d", e);
            rc = ecgx_render_median_beats(x->median_beats, x->median_relevance, rec->n_leads, names, x->median_len, rec->fs,
                                          &mo, fmt, &fig);
            free(names);
            if (rc || (rc = embed(&b, fig, id, "median", "median beats with relevance", 260))) goto fail;
        }
        sb_printf(&b, "</article>\n");
    }
    sb_printf(&b, "</section>\n");

    /* method and faithfulness */
    sb_printf(&b, "<section id=\"method\">\n<h2>Method</h2>\n<table id=\"method-table\">\n<tbody>\n<tr><th>Explanation method</th><td>");
    sb_text(&b, r->method ? r->method : "not given");
    sb_printf(&b, "</td></tr>\n<tr><th>Faithfulness");
    if (r->faithfulness_name) { sb_printf(&b, " ("); sb_text(&b, r->faithfulness_name); sb_printf(&b, ")"); }
    sb_printf(&b, "</th><td>");
    if (isfinite(r->faithfulness)) sb_printf(&b, "%.3f", r->faithfulness);
    else sb_printf(&b, "not computed");
    sb_printf(&b, "</td></tr>\n");
    if (r->model_name) { sb_printf(&b, "<tr><th>Model</th><td>"); sb_text(&b, r->model_name); sb_printf(&b, "</td></tr>\n"); }
    sb_printf(&b, "</tbody>\n</table>\n</section>\n");

    /* measurements */
    sb_printf(&b, "<section id=\"measurements\">\n<h2>Measurements</h2>\n");
    if (r->n_measurements == 0) sb_printf(&b, "<p>No measurements were given.</p>\n");
    else {
        sb_printf(&b, "<table id=\"measurements-table\">\n<thead><tr><th>Measurement</th><th>Value</th></tr></thead>\n<tbody>\n");
        for (int i = 0; i < r->n_measurements; i++) {
            const ecgx_report_measurement *m = &r->measurements[i];
            sb_printf(&b, "<tr><td>");
            sb_text(&b, m->name);
            sb_printf(&b, "</td><td class=\"num\">");
            if (isfinite(m->value)) {
                /* Intervals, rates and axes are read to the unit; voltages to 0.01 mV. */
                int whole = fabs(m->value) >= 10 ||
                            (m->unit && (strcmp(m->unit, "ms") == 0 || strcmp(m->unit, "bpm") == 0 ||
                                         strcmp(m->unit, "\xc2\xb0") == 0 || strcmp(m->unit, "deg") == 0));
                sb_printf(&b, whole ? "%.0f" : "%.2f", m->value);
                if (m->unit) { sb_printf(&b, " "); sb_text(&b, m->unit); }
            } else {
                sb_printf(&b, "not measurable");
            }
            sb_printf(&b, "</td></tr>\n");
        }
        sb_printf(&b, "</tbody>\n</table>\n");
    }
    sb_printf(&b, "</section>\n<footer>Generated by ecgx %s. ecgx is a research tool, not a medical device.</footer>\n"
                  "</main>\n</body>\n</html>\n", ecgx_version());
    if (b.failed) { free(b.s); return ecgx_error(ECGX_ERR_NOMEM, "report: out of memory"); }
    *html = b.s;
    if (len) *len = b.len;
    return 0;
fail:
    free(b.s);
    return rc < 0 ? rc : ECGX_ERR_NOMEM;
}

int ecgx_report_write(const ecgx_report *rep, const char *path)
{
    char *html;
    size_t len;
    int rc = ecgx_report_html(rep, &html, &len);
    if (rc) return rc;
    rc = ecgx_write_file_atomic(path, html, len);
    free(html);
    return rc;
}
