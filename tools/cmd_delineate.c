/* ecgx delineate: P, QRS and T onset/peak/offset per beat and lead. */
#include "cli.h"
#include "record_check_cli.h"
#include "ecgx/delineate.h"
#include "ecgx/io.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out, "usage: ecgx delineate RECORD [--csv | --json] [--fs HZ]\n\n"
                 "Delineate every beat: P, QRS and T onset, peak and offset, per lead and\n"
                 "globally. Sample indices are at the record's own rate.\n\n"
                 "  --csv     one row per lead, beat and wave present:\n"
                 "            record,lead,wave,onset,peak,offset (empty where absent)\n"
                 "  --json    global and per-lead fiducials\n"
                 "  --fs HZ   sampling rate of a CSV record\n"
                 "Default: a table of the global fiducials.\n\n"
                 "exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

static void field(int64_t v) { if (v >= 0) printf("%lld", (long long)v); }

static cJSON *wave_json(const ecgx_wave *w)
{
    cJSON *o = cJSON_CreateObject();
    const int64_t v[3] = {w->onset, w->peak, w->offset};
    const char *k[3] = {"onset", "peak", "offset"};
    for (int i = 0; i < 3; i++) {
        if (v[i] >= 0) cJSON_AddNumberToObject(o, k[i], (double)v[i]);
        else cJSON_AddNullToObject(o, k[i]);
    }
    return o;
}

static cJSON *beat_json(const ecgx_beat *b)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "r", (double)b->r);
    for (int w = 0; w < ECGX_N_WAVES; w++) cJSON_AddItemToObject(o, ecgx_wave_name((ecgx_wave_kind)w), wave_json(&b->wave[w]));
    return o;
}

int cmd_delineate(int argc, char **argv)
{
    const char *path = NULL;
    int csv = 0, json = 0, err = 0;
    double fs = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { help(stdout); return EXIT_OK; }
        if (strcmp(argv[i], "--json") == 0) { json = 1; continue; }
        if (strcmp(argv[i], "--csv") == 0) { csv = 1; continue; }
        if ((r = cli_opt_double("delineate", argc, argv, &i, "--fs", &fs, &err)) != 0) {
            if (r < 0 || cli_check_double("delineate", "--fs", fs, 0, 1e6, CLI_LO_OPEN)) return EXIT_USAGE;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("delineate", "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error("delineate", "one record at a time ('%s' and '%s')", path, argv[i]);
        path = argv[i];
    }
    if (!path) return cli_usage_error("delineate", "which record?");
    if (csv && json) return cli_usage_error("delineate", "--csv or --json, not both");
    ecgx_record *rec;
    if (ecgx_record_read_ex(path, fs, &rec, NULL) < 0) return cli_fail("delineate");
    ecgx_fiducials *f;
    if (cli_record_check("delineate", rec, CLI_USE_VIEW, 0, NULL) < 0 || ecgx_delineate(rec, NULL, 0, &f) < 0) {
        cli_fail_file("delineate", path);
        ecgx_record_free(rec);
        return EXIT_BAD_INPUT;
    }
    if (csv) {
        printf("record,lead,wave,onset,peak,offset\n");
        for (int l = 0; l < f->n_leads; l++)
            for (int b = 0; b < f->n_beats; b++)
                for (int w = 0; w < ECGX_N_WAVES; w++) {
                    const ecgx_wave *v = &f->per_lead[(int64_t)l * f->n_beats + b].wave[w];
                    if (v->onset < 0 && v->peak < 0 && v->offset < 0) continue; /* wave absent */
                    printf("%s,%s,%s,", rec->name, rec->leads[l].name, ecgx_wave_name((ecgx_wave_kind)w));
                    field(v->onset); putchar(','); field(v->peak); putchar(','); field(v->offset); putchar('\n');
                }
    } else if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "record", rec->name);
        cJSON_AddNumberToObject(o, "fs", rec->fs);
        cJSON *g = cJSON_AddArrayToObject(o, "beats");
        for (int b = 0; b < f->n_beats; b++) cJSON_AddItemToArray(g, beat_json(&f->beats[b]));
        cJSON *leads = cJSON_AddObjectToObject(o, "leads");
        for (int l = 0; l < f->n_leads; l++) {
            cJSON *a = cJSON_AddArrayToObject(leads, rec->leads[l].name);
            for (int b = 0; b < f->n_beats; b++) cJSON_AddItemToArray(a, beat_json(&f->per_lead[(int64_t)l * f->n_beats + b]));
        }
        char *s = cJSON_PrintUnformatted(o);
        if (s) puts(s);
        free(s);
        cJSON_Delete(o);
    } else {
        printf("# %s: %d beats, global fiducials (samples at %g Hz; - absent)\n", rec->name, f->n_beats, rec->fs);
        printf("# R\tP_on\tP_pk\tP_off\tQRS_on\tQRS_off\tT_on\tT_pk\tT_off\n");
        for (int b = 0; b < f->n_beats; b++) {
            const ecgx_beat *g = &f->beats[b];
            const int64_t v[9] = {g->r, g->wave[0].onset, g->wave[0].peak, g->wave[0].offset, g->wave[1].onset,
                                  g->wave[1].offset, g->wave[2].onset, g->wave[2].peak, g->wave[2].offset};
            for (int i = 0; i < 9; i++) {
                if (v[i] >= 0) printf("%lld", (long long)v[i]);
                else printf("-");
                putchar(i < 8 ? '\t' : '\n');
            }
        }
    }
    ecgx_fiducials_free(f);
    ecgx_record_free(rec);
    return EXIT_OK;
}
