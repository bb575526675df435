/* ecgx render — draw a record on ECG paper (PNG or SVG), optionally with an
 * explanation's relevance overlaid. */
#include "cli.h"
#include "record_check_cli.h"
#include "ecgx/io.h"
#include "ecgx/measure.h"
#include "ecgx/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ecgx render RECORD -o OUT.png|OUT.svg [options]\n\n"
            "Draw a record on ECG paper: 1 mm / 5 mm grid, a 1 mV x 200 ms calibration pulse\n"
            "at the start of each row, lead labels and a header (record, age, sex, and the\n"
            "rate, PR, QRS, QT/QTc and axis that ecgx measures). PNG or SVG by extension.\n\n"
            "  RECORD               WFDB (\"rec\" or \"rec.hea\"), Challenge .mat, or CSV (needs --fs)\n"
            "  -o, --output FILE    output figure (.png or .svg)\n"
            "  --layout L           3x4 (default; lead II rhythm strip), 6x2 (with rhythm strip), 12x1;\n"
            "                       a record without the 12 standard leads is drawn one lead per row\n"
            "  --dpi N              resolution (default 300)\n"
            "  --speed MM_S         paper speed 25 (default) or 50 mm/s (any 5..200)\n"
            "  --gain MM_MV         10 (default), 5 or 20 mm/mV (any 1..100)\n"
            "  --start S            first second shown (default 0)\n"
            "  --duration S         seconds per full row (default 10)\n"
            "  --rhythm LEAD        rhythm-strip lead (default II; 'none' for no strip)\n"
            "  --relevance FILE     relevance CSV (as `ecgx explain --csv` writes): a header of lead\n"
            "                       names, then one row per sample, one column per lead; drawn as a\n"
            "                       blue (negative) / red (positive) colouring of the trace and a\n"
            "                       light band, symmetric around 0, with a colour bar\n"
            "  --relevance-title T  caption of the colour bar (default \"relevance\")\n"
            "  --no-band            colour the trace only, no background band\n"
            "  --no-measure         do not measure intervals for the header\n"
            "  --no-header          no header\n"
            "  --title TEXT         header title (default: the record name)\n"
            "  --note TEXT          an extra header line\n"
            "  --png-level N        -1 fast encoder (default), 0-9 zlib via libspng (smaller, slower)\n"
            "  --fs HZ              sampling rate of a CSV record\n\n"
            "exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

int cmd_render(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *layout = NULL, *relpath = NULL, *rhythm = NULL, *title = NULL, *note = NULL,
               *reltitle = NULL;
    double dpi = 300, speed = 25, gain = 10, start = 0, duration = 10, fs = 0;
    int band = 1, measure = 1, header = 1, level = -1, err = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        const char *a = argv[i];
        if (cli_is_help(a)) { usage(stdout); return EXIT_OK; }
        if ((r = cli_opt("render", argc, argv, &i, "-o", &out)) || (r = cli_opt("render", argc, argv, &i, "--output", &out)) ||
            (r = cli_opt("render", argc, argv, &i, "--layout", &layout)) ||
            (r = cli_opt("render", argc, argv, &i, "--relevance-title", &reltitle)) ||
            (r = cli_opt("render", argc, argv, &i, "--relevance", &relpath)) ||
            (r = cli_opt("render", argc, argv, &i, "--rhythm", &rhythm)) ||
            (r = cli_opt("render", argc, argv, &i, "--title", &title)) ||
            (r = cli_opt("render", argc, argv, &i, "--note", &note)) ||
            (r = cli_opt_double("render", argc, argv, &i, "--dpi", &dpi, &err)) ||
            (r = cli_opt_double("render", argc, argv, &i, "--speed", &speed, &err)) ||
            (r = cli_opt_double("render", argc, argv, &i, "--gain", &gain, &err)) ||
            (r = cli_opt_double("render", argc, argv, &i, "--start", &start, &err)) ||
            (r = cli_opt_double("render", argc, argv, &i, "--duration", &duration, &err)) ||
            (r = cli_opt_double("render", argc, argv, &i, "--fs", &fs, &err)) ||
            (r = cli_opt_int("render", argc, argv, &i, "--png-level", &level, &err))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        if (strcmp(a, "--no-band") == 0) { band = 0; continue; }
        if (strcmp(a, "--no-measure") == 0) { measure = 0; continue; }
        if (strcmp(a, "--no-header") == 0) { header = 0; continue; }
        if (a[0] == '-' && a[1]) return cli_usage_error("render", "unknown option '%s'", a);
        if (in) return cli_usage_error("render", "one record at a time ('%s' and '%s')", in, a);
        in = a;
    }
    if (!in) return cli_usage_error("render", "no record given");
    if (!out) return cli_usage_error("render", "no output given (-o OUT.png or OUT.svg)");
    /* the library's limits, named by option (the library names the field) */
    if (cli_check_double("render", "--dpi", dpi, 10, 2400, 0) || cli_check_double("render", "--speed", speed, 5, 200, 0) ||
        cli_check_double("render", "--gain", gain, 1, 100, 0) ||
        cli_check_double("render", "--duration", duration, 0, 120, CLI_LO_OPEN) ||
        cli_check_double("render", "--start", start, 0, INFINITY, 0) ||
        (fs != 0 && cli_check_double("render", "--fs", fs, 0, 1e6, CLI_LO_OPEN)))
        return EXIT_USAGE;
    ecgx_render_options o;
    ecgx_render_options_default(&o);
    if (layout) {
        int l = ecgx_layout_parse(layout);
        if (l < 0) return cli_usage_error("render", "--layout '%s' is not 3x4, 6x2 or 12x1", layout);
        o.layout = (ecgx_layout)l;
    }
    if (rhythm) {
        if (strcmp(rhythm, "none") == 0) o.rhythm_lead = -1;
        else if ((o.rhythm_lead = ecgx_lead_std_index(rhythm)) < 0)
            return cli_usage_error("render", "--rhythm '%s' is not a standard lead", rhythm);
    }
    if (cli_check_int("render", "--png-level", level, -1, 9)) return EXIT_USAGE;
    o.dpi = dpi;
    o.speed_mm_s = speed;
    o.gain_mm_mv = gain;
    o.t_start_s = start;
    o.duration_s = duration;
    o.show_header = header;
    o.relevance_band = band;
    o.header.title = title;
    o.header.note = note;
    o.relevance_title = reltitle;

    ecgx_record *rec = NULL;
    ecgx_features *feat = NULL;
    float *rel = NULL;
    ecgx_figure *fig = NULL;
    int rc = EXIT_BAD_INPUT;
    ecgx_render_format fmt;
    if (strlen(out) > 4 && strcmp(out + strlen(out) - 4, ".svg") == 0) fmt = ECGX_RENDER_SVG;
    else if (strlen(out) > 4 && strcmp(out + strlen(out) - 4, ".png") == 0) fmt = ECGX_RENDER_PNG;
    else return cli_usage_error("render", "%s: the output must end in .png or .svg", out);
    ecgx_record_check_report ck;
    if (ecgx_record_read_ex(in, fs, &rec, NULL) || cli_record_check("render", rec, CLI_USE_VIEW, 0, &ck)) { rc = cli_fail("render"); goto done; }
    char unit_note[160]; /* the paper's grid is in mm/mV: say so on the figure when the signal is not in mV */
    if (ck.n_not_mv && !o.header.note) {
        snprintf(unit_note, sizeof unit_note, "amplitudes in '%s', not mV: %g mm per %s", ck.unit, o.gain_mm_mv, ck.unit);
        o.header.note = unit_note;
    }
    if (!layout && !ecgx_render_has_standard12(rec)) {
        o.layout = ECGX_LAYOUT_12X1; /* not a 12-lead record: one row per lead it has */
        fprintf(stderr, "ecgx render: %s: not a standard 12-lead record, drawing its %d leads one per row\n", in,
                rec->n_leads < 12 ? rec->n_leads : 12);
    }
    if (relpath) {
        if (ecgx_relevance_read_csv(relpath, rec, &rel)) { rc = cli_fail("render"); goto done; }
        o.relevance = rel;
    }
    if (header && measure && ecgx_measure_record(rec, &feat, NULL) == 0) {
        o.header.rate_bpm = ecgx_features_get(feat, "HR_Global");
        o.header.pr_ms = ecgx_features_get(feat, "PR_Global");
        o.header.qrs_ms = ecgx_features_get(feat, "QRS_Global");
        o.header.qt_ms = ecgx_features_get(feat, "QT_Global");
        o.header.qtc_ms = ecgx_features_get(feat, "QTcB_Global");
        o.header.axis_deg = ecgx_features_get(feat, "QRS_axis_Global");
    }
    if (ecgx_render_ecg(rec, &o, fmt, &fig)) {
        const char *msg = ecgx_last_error();
        if (!strncmp(msg, "render: ", 8)) msg += 8;
        fprintf(stderr, "ecgx render: %s: %s\n", in, msg); /* about the record and the options, not the output */
        goto done;
    }
    if (ecgx_figure_write(fig, out, level)) {
        fprintf(stderr, "ecgx render: %s: %s\n", out, ecgx_last_error());
        goto done;
    }
    rc = EXIT_OK;
done:
    ecgx_figure_free(fig);
    ecgx_features_free(feat);
    free(rel);
    ecgx_record_free(rec);
    return rc;
}
