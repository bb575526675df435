/* ecgx synth: synthetic 12-lead ECGs with ground truth (fiducials and
 * evidence masks), one record or a labelled data set. */
#include "cli.h"
#include "core/strutil.h"
#include "ecgx/synth.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out,
            "usage: ecgx synth -o OUT [options]\n\n"
            "Generate synthetic 12-lead ECGs (heart-dipole model in the style of ECGSYN) with\n"
            "exact ground truth. One record writes OUT.hea/OUT.dat (WFDB format 16, mV, \"#Dx:\"\n"
            "naming the conditions), OUT.fid (fiducials, LUDB-style annotations) and\n"
            "OUT.truth.json (parameters, per-beat fiducials, evidence intervals per lead).\n"
            "With --n N, OUT is a folder of N records and OUT/labels.csv\n"
            "(record,split,filename,<one 0/1 column per condition>; split 80/10/10).\n\n"
            "  -o, --out OUT        output record path (or folder with --n)\n"
            "  --condition LIST     normal, brady, tachy, af, avb1, lbbb, rbbb, ste, std, lvh, pvc.\n"
            "                       One record: the listed conditions combined (\"avb1,ste\").\n"
            "                       With --n: one class per item, '+' combines (\"normal,af,avb1+ste\");\n"
            "                       default: every condition alone\n"
            "  --n N                write a data set of N records, balanced over the classes\n"
            "  --seed S             seed (default 1); the same seed gives identical files\n"
            "  --fs HZ              sampling rate (default 500)\n"
            "  --duration S         length in seconds (default 10)\n"
            "  --hr BPM             mean heart rate (default by condition)\n"
            "  --hrv BPM            SD of the sinus heart rate (default 2; 0: none)\n"
            "  --pr S               PR interval in seconds (default by condition)\n"
            "  --amplitude X        scale of the cardiac signal (default 1)\n"
            "  --leads LIST         leads for ste (or std), e.g. V2,V3,V4 (default V2-V4 / V4-V6)\n"
            "  --std-leads LIST     leads for std when ste is also asked for\n"
            "  --st-level MV        ST deviation in mV (default 0.2 for ste, 0.15 for std)\n"
            "  --noise LEVEL        none, low, medium, high (baseline wander, muscle, powerline)\n"
            "  --snr DB             scale the noise to this signal-to-noise ratio\n"
            "  --powerline HZ       50 (default) or 60\n"
            "  --em MV              electrode-motion artefact (RMS per lead)\n"
            "  --nst-snr DB         scale the noise to this SNR as the MIT-BIH noise stress test\n"
            "                       defines it ((QRS peak-to-peak)^2 / 8 over the noise power)\n"
            "  --lead-off S         seconds of lead-off (flat) segments; --saturation S: of\n"
            "                       amplifier saturation (some or all leads)\n"
            "  --pace MODE          atrial, ventricular or dual-chamber pacing\n"
            "  --spike-width MS     pacing pulse width, 0.1-2 ms (default 0.5; with --vary drawn)\n"
            "  --spike-amp MV       pacing pulse amplitude, 2-20 mV before the front end (default 5)\n"
            "  --frontend-hz HZ     the front end's low-pass that smears the spikes (default 0.4 fs)\n"
            "  --fusion F, --pseudo-fusion F, --capture-fail F\n"
            "                       fractions of paced beats that are fusion beats, pseudo-fusion\n"
            "                       beats, spikes that fail to capture\n"
            "  --pvc-pattern P      with pvc: isolated (default), bigeminy, trigeminy, runs\n"
            "  --aberrant F         fraction of premature beats conducted with aberration\n"
            "  --vary / --no-vary   draw unset parameters and morphology in their ranges\n"
            "                       (default: off for one record, on with --n)\n"
            "  --per-lead           also write per-lead annotation files (.i .ii ... .v6)\n"
            "  --json               print a JSON summary on stdout\n"
            "  --quiet              no progress\n\n"
            "Definitions and references: docs/synth.md. exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

static int parse_leads(const char *list, unsigned *out)
{
    unsigned m = 0;
    char buf[256];
    ecgx_strlcpy(buf, list, sizeof buf);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int l = ecgx_lead_std_index(ecgx_trim(t));
        if (l < 0) return -1;
        m |= ECGX_LEAD_FLAG(l);
    }
    *out = m;
    return m ? 0 : -1;
}

/* "normal,af,avb1+ste" -> classes. */
static int parse_classes(const char *list, ecgx_synth_dataset_options *d)
{
    char buf[1024];
    ecgx_strlcpy(buf, list, sizeof buf);
    d->n_classes = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        for (char *p = t; *p; p++)
            if (*p == '+') *p = ',';
        if (d->n_classes >= ECGX_SYNTH_MAX_CLASSES) return ecgx_error(ECGX_ERR_ARG, "too many classes");
        int rc = ecgx_synth_conditions_parse(t, &d->classes[d->n_classes]);
        if (rc < 0) return rc;
        d->n_classes++;
    }
    return d->n_classes ? 0 : ecgx_error(ECGX_ERR_ARG, "no condition given");
}

static int noise_level(const char *s, ecgx_synth_options *o)
{
    static const struct { const char *name; double bw, emg, pl; } lv[] = {
        {"none", 0, 0, 0}, {"low", 0.05, 0.01, 0.005}, {"medium", 0.15, 0.03, 0.02}, {"high", 0.3, 0.08, 0.05},
    };
    for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
        if (strcasecmp_ascii(s, lv[i].name) == 0) {
            o->bw_amp = lv[i].bw;
            o->emg_rms = lv[i].emg;
            o->pl_amp = lv[i].pl;
            return 0;
        }
    return -1;
}

/* Library messages about options start "synth: "; the CLI's own prefix says it already. */
static int fail(void)
{
    const char *m = ecgx_last_error();
    if (strncmp(m, "synth: ", 7) == 0) m += 7;
    fprintf(stderr, "ecgx synth: %s\n", *m ? m : "failed");
    return EXIT_BAD_INPUT;
}

static const char *msg(void)
{
    const char *m = ecgx_last_error();
    return strncmp(m, "synth: ", 7) == 0 ? m + 7 : m;
}

static void print_json_record(const char *out, const ecgx_synth_options *o, const ecgx_record *rec,
                              const ecgx_fiducials *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "record", out);
    cJSON *c = cJSON_AddArrayToObject(j, "conditions");
    for (int k = 0; k < ECGX_SYNTH_N_CONDITIONS; k++)
        if (o->conditions >> k & 1u) cJSON_AddItemToArray(c, cJSON_CreateString(ecgx_synth_condition_name(k)));
    cJSON_AddNumberToObject(j, "seed", (double)o->seed);
    cJSON_AddNumberToObject(j, "fs", rec->fs);
    cJSON_AddNumberToObject(j, "n_samples", (double)rec->n_samples);
    cJSON_AddNumberToObject(j, "beats", f->n_beats);
    int v = 0;
    for (int i = 0; i < f->n_beats; i++) v += f->beats[i].type == 'V';
    cJSON_AddNumberToObject(j, "pvc_beats", v);
    cJSON_AddNumberToObject(j, "hr_bpm", o->hr);
    char *s = cJSON_PrintUnformatted(j);
    if (s) printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
}

int cmd_synth(int argc, char **argv)
{
    const char *out = NULL, *cond = NULL, *leads = NULL, *std_leads = NULL, *noise = NULL, *v;
    ecgx_synth_options o = ecgx_synth_options_default();
    int n = 0, json = 0, per_lead = 0, quiet = 0, vary = -1, err = 0;
    double seed = -1, snr = NAN, hrv = NAN, nst = NAN, spike_ms = 0;
    const char *pace = NULL, *pattern = NULL;
    for (int i = 1; i < argc; i++) {
        int r = 0;
        const char *a = argv[i];
        if (cli_is_help(a)) { help(stdout); return EXIT_OK; }
        if (strcmp(a, "--json") == 0) { json = 1; continue; }
        if (strcmp(a, "--per-lead") == 0) { per_lead = 1; continue; }
        if (strcmp(a, "--quiet") == 0) { quiet = 1; continue; }
        if (strcmp(a, "--vary") == 0) { vary = 1; continue; }
        if (strcmp(a, "--no-vary") == 0) { vary = 0; continue; }
        if ((r = cli_opt("synth", argc, argv, &i, "-o", &v)) || (r = cli_opt("synth", argc, argv, &i, "--out", &v))) {
            if (r < 0) return EXIT_USAGE;
            out = v;
            continue;
        }
        if ((r = cli_opt("synth", argc, argv, &i, "--condition", &v))) { if (r < 0) return EXIT_USAGE; cond = v; continue; }
        if ((r = cli_opt("synth", argc, argv, &i, "--leads", &v))) { if (r < 0) return EXIT_USAGE; leads = v; continue; }
        if ((r = cli_opt("synth", argc, argv, &i, "--std-leads", &v))) { if (r < 0) return EXIT_USAGE; std_leads = v; continue; }
        if ((r = cli_opt("synth", argc, argv, &i, "--noise", &v))) { if (r < 0) return EXIT_USAGE; noise = v; continue; }
        if ((r = cli_opt_int("synth", argc, argv, &i, "--n", &n, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--seed", &seed, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--fs", &o.fs, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--duration", &o.duration, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--hr", &o.hr, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--pr", &o.pr, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--hrv", &hrv, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--amplitude", &o.amplitude, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--st-level", &o.st_level, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--snr", &snr, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--powerline", &o.pl_freq, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("synth", argc, argv, &i, "--pace", &v))) { if (r < 0) return EXIT_USAGE; pace = v; continue; }
        if ((r = cli_opt("synth", argc, argv, &i, "--pvc-pattern", &v))) { if (r < 0) return EXIT_USAGE; pattern = v; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--spike-width", &spike_ms, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--spike-amp", &o.pace_spike_amp, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--fusion", &o.pace_fusion, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--pseudo-fusion", &o.pace_pseudo, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--capture-fail", &o.pace_fail, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--frontend-hz", &o.frontend_hz, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--aberrant", &o.aberrant_fraction, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--em", &o.em_rms, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--nst-snr", &nst, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--lead-off", &o.leadoff_s, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("synth", argc, argv, &i, "--saturation", &o.saturation_s, &err))) { if (r < 0) return EXIT_USAGE; continue; }
        return cli_usage_error("synth", "unknown argument '%s'", a);
    }
    if (!out) return cli_usage_error("synth", "needs -o OUT");
    if (seed != -1 && !(seed >= 0 && seed <= 9007199254740992.0 && seed == floor(seed)))
        return cli_usage_error("synth", "--seed must be a whole number in 0..2^53");
    if (seed >= 0) o.seed = (uint64_t)seed;
    if (cli_check_int("synth", "--n", n, 0, CLI_NO_MAX)) return EXIT_USAGE;
    if (o.pl_freq != 50 && o.pl_freq != 60) return cli_usage_error("synth", "--powerline must be 50 or 60");
    if (noise && noise_level(noise, &o) < 0)
        return cli_usage_error("synth", "--noise '%s': use none, low, medium or high", noise);
    if (!isnan(hrv)) {
        if (cli_check_double("synth", "--hrv", hrv, 0, INFINITY, 0)) return EXIT_USAGE;
        o.hr_std = hrv > 0 ? hrv : -1;
    }
    if (!isnan(snr)) {
        o.use_snr = 1;
        o.snr_db = snr;
    }
    if (!isnan(nst)) {
        if (!isnan(snr)) return cli_usage_error("synth", "--snr and --nst-snr exclude each other");
        o.use_snr = 1;
        o.snr_nst = 1;
        o.snr_db = nst;
    }
    if (pace) {
        static const char *modes[] = {"none", "atrial", "ventricular", "dual"};
        o.pace_mode = -1;
        for (int k = 0; k < 4; k++) if (strcasecmp_ascii(pace, modes[k]) == 0) o.pace_mode = k;
        if (o.pace_mode < 0) return cli_usage_error("synth", "--pace '%s': use atrial, ventricular or dual", pace);
    }
    if (pattern) {
        static const char *pats[] = {"isolated", "bigeminy", "trigeminy", "runs"};
        o.pvc_pattern = -1;
        for (int k = 0; k < 4; k++) if (strcasecmp_ascii(pattern, pats[k]) == 0) o.pvc_pattern = k;
        if (o.pvc_pattern < 0)
            return cli_usage_error("synth", "--pvc-pattern '%s': use isolated, bigeminy, trigeminy or runs", pattern);
    }
    o.pace_spike_width = spike_ms / 1000;
    if (leads) {
        unsigned m;
        if (parse_leads(leads, &m) < 0) return cli_usage_error("synth", "--leads '%s': not a list of standard leads", leads);
        o.ste_leads = m;
        if (!std_leads) o.std_leads = m;
    }
    if (std_leads) {
        unsigned m;
        if (parse_leads(std_leads, &m) < 0)
            return cli_usage_error("synth", "--std-leads '%s': not a list of standard leads", std_leads);
        o.std_leads = m;
    }

    if (n > 0) {
        ecgx_synth_dataset_options d;
        memset(&d, 0, sizeof d);
        d.n = n;
        d.per_lead = per_lead;
        d.quiet = quiet || json;
        o.vary = vary < 0 ? 1 : vary;
        d.base = o;
        if (parse_classes(cond ? cond : "normal,brady,tachy,af,avb1,lbbb,rbbb,ste,std,lvh,pvc", &d) < 0)
            return cli_usage_error("synth", "%s", msg());
        if (ecgx_synth_write_dataset(out, &d) < 0) return fail();
        if (json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "dir", out);
            cJSON_AddNumberToObject(j, "records", n);
            cJSON *c = cJSON_AddArrayToObject(j, "classes");
            for (int k = 0; k < d.n_classes; k++) {
                char buf[160] = "";
                for (int b = 0; b < ECGX_SYNTH_N_CONDITIONS; b++)
                    if (d.classes[k] >> b & 1u) {
                        if (buf[0]) strcat(buf, "+");
                        strcat(buf, ecgx_synth_condition_name(b));
                    }
                cJSON_AddItemToArray(c, cJSON_CreateString(buf[0] ? buf : "normal"));
            }
            cJSON_AddNumberToObject(j, "seed", (double)o.seed);
            char *s = cJSON_PrintUnformatted(j);
            if (s) printf("%s\n", s);
            free(s);
            cJSON_Delete(j);
        } else if (!quiet) {
            printf("wrote %d records and labels.csv to %s\n", n, out);
        }
        return EXIT_OK;
    }

    o.vary = vary > 0;
    if (cond && ecgx_synth_conditions_parse(cond, &o.conditions) < 0)
        return cli_usage_error("synth", "%s", msg());
    ecgx_synth_options r;
    if (ecgx_synth_resolve(&o, &r) < 0) return fail();
    ecgx_record *rec;
    ecgx_fiducials *f;
    if (ecgx_synth_write(out, &r, per_lead, &rec, &f) < 0) return fail();
    if (json) print_json_record(out, &r, rec, f);
    else if (!quiet) printf("wrote %s.hea/.dat, %s.fid, %s.truth.json (%d beats)\n", out, out, out, f->n_beats);
    ecgx_record_free(rec);
    ecgx_fiducials_free(f);
    return EXIT_OK;
}
