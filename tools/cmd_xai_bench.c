/* ecgx xai-bench: every attribution method over a set of records, one
 * comparison table: time, deletion and insertion AUCs (faithfulness),
 * completeness / conservation, localisation on known evidence (synthetic
 * records with OUT.truth.json), and optionally the randomisation check. */
#include "cli.h"
#include "xai_cli.h"

#include "ecgx/io.h"
#include "ecgx/dataset.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out, "usage: ecgx xai-bench --model M [RECORD...] [--data DIR --split S [--limit N]]\n"
                 "                      [--methods LIST] [--target CLASS|top] [--steps N]\n"
                 "                      [--curve-steps N] [--unit N] [--sanity] [--json]\n\n"
                 "Run every attribution method (or LIST, comma-separated) on each record and\n"
                 "print one table, averaged over the records:\n"
                 "  ms        time per record\n"
                 "  del       deletion AUC: the most relevant blocks of --unit samples (default\n"
                 "            the model's 0.1 s) replaced by zero in --curve-steps steps (20);\n"
                 "            area under the target's probability (lower = more faithful)\n"
                 "  ins       insertion AUC: the same blocks restored into a zero input (higher\n"
                 "            = more faithful)\n"
                 "  gap       IG/DeepLIFT completeness gap, LRP 1 - conservation\n"
                 "  mass, pg  with RECORD.truth.json (ecgx synth): share of positive relevance\n"
                 "            inside the evidence, and the pointing game\n"
                 "  rho       with --sanity: Spearman rank correlation of |relevance| before and\n"
                 "            after randomising the top layer / all layers (lower = the method\n"
                 "            depends on the weights, as it should)\n\n"
                 "  --model M         model file\n"
                 "  --data, --split, --limit   records from a data set instead of RECORDs\n"
                 "  --methods LIST    methods to run (default all)\n"
                 "  --target T        class name, index or top (default top)\n"
                 "  --steps N         IG steps (default 64)\n"
                 "  --fs HZ           sampling rate of CSV records\n"
                 "  --json            machine-readable output\n\n"
                 "exit codes: 0 ok, 1 bad input, 2 usage error\n");
}

/* Evidence mask at the model's rate from RECORD.truth.json (all conditions). */
static uint8_t *truth_mask(const char *rec_path, const ecgx_record *rec, int L, double fs)
{
    char p[4200];
    if (strlen(rec_path) > 4000) return NULL;
    snprintf(p, sizeof p, "%s.truth.json", rec_path);
    char *txt = NULL;
    size_t n = 0;
    if (ecgx_read_file(p, 64u << 20, &txt, &n) < 0) return NULL;
    cJSON *j = cJSON_Parse(txt);
    free(txt);
    cJSON *ev = j ? cJSON_GetObjectItem(j, "evidence") : NULL;
    if (!ev) {
        cJSON_Delete(j);
        return NULL;
    }
    uint8_t *mask = calloc((size_t)12 * L, 1);
    double k = fs / rec->fs;
    cJSON *cond;
    cJSON_ArrayForEach(cond, ev)
    {
        cJSON *iv = cJSON_GetObjectItem(cond, "intervals"), *lead;
        if (!iv) continue;
        cJSON_ArrayForEach(lead, iv)
        {
            int l = ecgx_lead_std_index(lead->string);
            if (l < 0 || l >= 12) continue;
            cJSON *seg;
            cJSON_ArrayForEach(seg, lead)
            {
                if (cJSON_GetArraySize(seg) != 2) continue;
                double a = cJSON_GetNumberValue(cJSON_GetArrayItem(seg, 0)) * k;
                double b = cJSON_GetNumberValue(cJSON_GetArrayItem(seg, 1)) * k;
                for (int t = (int)floor(a); t < (int)ceil(b) && t < L; t++)
                    if (t >= 0) mask[(size_t)l * L + t] = 1;
            }
        }
    }
    cJSON_Delete(j);
    return mask;
}

typedef struct acc {
    double ms, del, ins, gap, mass, pg, rho_top, rho_all;
    int n, n_gap, n_mask, n_rho, failed;
} acc;

int cmd_xai_bench(int argc, char **argv)
{
    const char *cmd = "xai-bench", *model_path = NULL, *data = NULL, *split = NULL, *methods = NULL, *target = NULL;
    int json = 0, limit = 0, steps = 64, curve_steps = 20, unit = 0, sanity = 0, r, err = 0;
    double csv_fs = 0;
    const char **recs = calloc(argc, sizeof(char *));
    int n_recs = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            help(stdout);
            free(recs);
            return EXIT_OK;
        }
        if ((r = cli_opt(cmd, argc, argv, &i, "--model", &model_path)) || (r = cli_opt(cmd, argc, argv, &i, "--data", &data)) ||
            (r = cli_opt(cmd, argc, argv, &i, "--split", &split)) || (r = cli_opt(cmd, argc, argv, &i, "--methods", &methods)) ||
            (r = cli_opt(cmd, argc, argv, &i, "--target", &target))) {
            if (r < 0) goto usage;
            continue;
        }
        if ((r = cli_opt_int(cmd, argc, argv, &i, "--limit", &limit, &err)) || (r = cli_opt_int(cmd, argc, argv, &i, "--steps", &steps, &err)) ||
            (r = cli_opt_int(cmd, argc, argv, &i, "--curve-steps", &curve_steps, &err)) ||
            (r = cli_opt_int(cmd, argc, argv, &i, "--unit", &unit, &err))) {
            if (err) goto usage;
            continue;
        }
        if ((r = cli_opt_double(cmd, argc, argv, &i, "--fs", &csv_fs, &err))) {
            if (err || cli_check_double(cmd, "--fs", csv_fs, 0, 1e6, CLI_LO_OPEN)) goto usage;
            continue;
        }
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--sanity")) sanity = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            cli_usage_error(cmd, "unknown option '%s'", argv[i]);
            goto usage;
        } else recs[n_recs++] = argv[i];
    }
    if (!model_path) {
        cli_usage_error(cmd, "--model is required");
        goto usage;
    }
    if (!n_recs && !(data && split)) {
        cli_usage_error(cmd, "give records, or --data and --split");
        goto usage;
    }
    if (cli_check_int(cmd, "--steps", steps, 1, CLI_NO_MAX) || cli_check_int(cmd, "--curve-steps", curve_steps, 1, 1000) ||
        cli_check_int(cmd, "--limit", limit, 0, CLI_NO_MAX))
        goto usage;
    int use[ECGX_XAI_N_METHODS];
    for (int k = 0; k < ECGX_XAI_N_METHODS; k++) use[k] = methods == NULL;
    if (methods) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", methods);
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
            int k = ecgx_xai_method_from_name(t);
            if (k < 0) {
                cli_usage_error(cmd, "unknown method '%s'", t);
                goto usage;
            }
            use[k] = 1;
        }
    }
    ecgx_model *m = NULL;
    if (ecgx_model_load(model_path, &m) < 0) {
        free(recs);
        return cli_fail(cmd);
    }
    int tgt = -1;
    if (xai_cli_target(m, target, &tgt) < 0) {
        ecgx_model_free(m);
        free(recs);
        return cli_fail(cmd);
    }
    ecgx_dataset *ds = NULL;
    int *idx = NULL, n = n_recs;
    if (!n_recs) {
        ecgx_dataset_options dopt;
        ecgx_dataset_options_init(&dopt);
        dopt.classes = ecgx_model_meta(m, "classes");
        dopt.label_set = ecgx_model_meta(m, "labels");
        if (ecgx_dataset_open(data, &dopt, &ds) < 0 || ecgx_dataset_split(ds, split, &idx, &n) < 0) {
            ecgx_dataset_free(ds);
            ecgx_model_free(m);
            free(recs);
            return cli_fail(cmd);
        }
        if (limit > 0 && n > limit) n = limit;
    }
    acc A[ECGX_XAI_N_METHODS];
    memset(A, 0, sizeof A);
    int code = EXIT_OK, done = 0;
    ecgx_progress pg;
    ecgx_progress_begin(&pg, "xai-bench", n, json);
    for (int k = 0; k < n; k++) {
        char pathbuf[4096];
        const char *path = recs[k];
        ecgx_record *rec = NULL;
        int rc;
        if (ds) {
            ecgx_dataset_entry info;
            ecgx_dataset_record_info(ds, idx[k], &info);
            snprintf(pathbuf, sizeof pathbuf, "%s", info.path);
            path = pathbuf;
            rc = ecgx_dataset_load(ds, idx[k], &rec);
        } else {
            rc = ecgx_record_read_ex(path, csv_fs, &rec, NULL);
        }
        float *x = NULL;
        int L = 0;
        double fs = 0;
        if (rc >= 0) rc = ecgx_model_prepare_record(m, rec, 0, &x, &L, &fs, NULL, 0);
        if (rc < 0) {
            cli_fail_file(cmd, path);
            ecgx_record_free(rec);
            code = EXIT_BAD_INPUT;
            continue;
        }
        uint8_t *mask = truth_mask(path, rec, L, fs);
        int C = ecgx_model_in_channels(m);
        float *x0 = calloc((size_t)C * L, sizeof(float)), *probs = malloc(sizeof(float) * (curve_steps + 1));
        int u = unit > 0 ? unit : (int)lround(0.1 * fs);
        for (int meth = 0; meth < ECGX_XAI_N_METHODS; meth++) {
            if (!use[meth]) continue;
            ecgx_xai_options o = ecgx_xai_options_default(meth);
            o.target = tgt;
            o.steps = steps;
            o.fs = fs;
            ecgx_attribution *a = NULL;
            double t0 = ecgx_now();
            if (ecgx_xai_attribute(m, x, L, &o, &a) < 0) {
                fprintf(stderr, "ecgx %s: %s: %s: %s\n", cmd, path, ecgx_xai_method_name(meth), ecgx_last_error());
                A[meth].failed++;
                continue;
            }
            acc *q = &A[meth];
            q->ms += 1000 * (ecgx_now() - t0);
            double auc;
            if (ecgx_xai_perturbation_curve(m, x, x0, L, a, 0, curve_steps, u, probs, &auc) == 0) q->del += auc;
            if (ecgx_xai_perturbation_curve(m, x, x0, L, a, 1, curve_steps, u, probs, &auc) == 0) q->ins += auc;
            if (isfinite(a->completeness_gap)) q->gap += a->completeness_gap, q->n_gap++;
            else if (isfinite(a->conservation)) q->gap += fabs(1 - a->conservation), q->n_gap++;
            if (mask) {
                double ms;
                int hit;
                ecgx_xai_localisation(a, mask, 0, &ms, &hit);
                q->mass += ms;
                q->pg += hit;
                q->n_mask++;
            }
            if (sanity && meth != ECGX_XAI_OCCLUSION) {
                double rho[128];
                int nr = 128;
                o.target = a->target;
                if (ecgx_xai_randomization(m, x, L, &o, 9, rho, &nr) == 0 && nr > 0) {
                    q->rho_top += rho[0];
                    q->rho_all += rho[nr - 1];
                    q->n_rho++;
                }
            }
            q->n++;
            ecgx_attribution_free(a);
        }
        done++;
        free(mask);
        free(x0);
        free(probs);
        free(x);
        ecgx_record_free(rec);
        ecgx_progress_update(&pg, k + 1);
    }
    ecgx_progress_end(&pg);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", model_path);
    cJSON_AddNumberToObject(j, "records", done);
    cJSON_AddNumberToObject(j, "ig_steps", steps);
    cJSON_AddNumberToObject(j, "curve_steps", curve_steps);
    cJSON *jm = cJSON_AddObjectToObject(j, "methods");
    if (!json) printf("%d records, model %s\n%-11s %9s %7s %7s %8s %6s %5s %8s %8s\n", done, model_path, "method", "ms", "del",
                      "ins", "gap", "mass", "pg", "rho_top", "rho_all");
    for (int meth = 0; meth < ECGX_XAI_N_METHODS; meth++) {
        acc *q = &A[meth];
        if (!use[meth] || !q->n) continue;
        cJSON *x = cJSON_AddObjectToObject(jm, ecgx_xai_method_name(meth));
        cJSON_AddNumberToObject(x, "records", q->n);
        cJSON_AddNumberToObject(x, "ms_per_record", q->ms / q->n);
        cJSON_AddNumberToObject(x, "deletion_auc", q->del / q->n);
        cJSON_AddNumberToObject(x, "insertion_auc", q->ins / q->n);
        if (q->n_gap) cJSON_AddNumberToObject(x, "gap", q->gap / q->n_gap);
        if (q->n_mask) {
            cJSON_AddNumberToObject(x, "mass_in_mask", q->mass / q->n_mask);
            cJSON_AddNumberToObject(x, "pointing_game", q->pg / q->n_mask);
        }
        if (q->n_rho) {
            cJSON_AddNumberToObject(x, "rho_top_layer", q->rho_top / q->n_rho);
            cJSON_AddNumberToObject(x, "rho_all_layers", q->rho_all / q->n_rho);
        }
        if (!json) {
            printf("%-11s %9.1f %7.3f %7.3f", ecgx_xai_method_name(meth), q->ms / q->n, q->del / q->n, q->ins / q->n);
            if (q->n_gap) printf(" %8.4f", q->gap / q->n_gap);
            else printf(" %8s", "-");
            if (q->n_mask) printf(" %6.3f %5.2f", q->mass / q->n_mask, q->pg / q->n_mask);
            else printf(" %6s %5s", "-", "-");
            if (q->n_rho) printf(" %8.3f %8.3f", q->rho_top / q->n_rho, q->rho_all / q->n_rho);
            else printf(" %8s %8s", "-", "-");
            printf("\n");
        }
    }
    if (json) {
        char *s = cJSON_Print(j);
        puts(s);
        free(s);
    }
    cJSON_Delete(j);
    free(idx);
    ecgx_dataset_free(ds);
    ecgx_model_free(m);
    free(recs);
    return done ? code : EXIT_BAD_INPUT;
usage:
    free(recs);
    return EXIT_USAGE;
}
