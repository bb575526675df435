/* ecgx features: the measurements of one record or every record under a
 * directory, one row each, computed in parallel over records. */
#include "cli.h"
#include "record_check_cli.h"
#include "ecgx/io.h"
#include "ecgx/measure.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"
#include "ecgx/trees.h"

#include <cjson/cJSON.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void help(FILE *out)
{
    fprintf(out, "usage: ecgx features RECORD|DIR [--csv | --json] [-o FILE] [--fs HZ] [--quiet]\n"
                 "       ecgx features --data DIR[,DIR...] [--labels SET] [--rate 100|500] [--split S] [-o FILE]\n\n"
                 "Measure each record (HR, RR, RMSSD, PR, QRS, QT, QTc Bazett/Fridericia/\n"
                 "Framingham, P/QRS/T axes, per-lead P/Q/R/S/T amplitudes, ST60/ST80,\n"
                 "Sokolow-Lyon, Cornell), named {Feature}_{Lead|Global}. A DIR is searched\n"
                 "recursively for WFDB headers (*.hea); records run in parallel (OpenMP,\n"
                 "OMP_NUM_THREADS), with progress on stderr.\n\n"
                 "  --csv      one row per record (default): record,<features...>; empty = not measurable\n"
                 "  --json     an array of {record, features{...}}\n"
                 "  -o FILE    write to FILE (atomically) instead of stdout\n"
                 "  --fs HZ    sampling rate of CSV records\n"
                 "  --quiet    no progress\n"
                 "  --data D   a whole dataset as the measurement table of 'ecgx trees' (CSV): record, path,\n"
                 "             split, fold, label_<class>..., then every measurement with its unit in the\n"
                 "             column name (QRS_ms, R_amp_V5_mV; _z for records not in mV), QTcHodges_ms,\n"
                 "             age_years, sex_female; missing values empty, never 0\n\n"
                 "exit codes: 0 ok, 1 bad input (some record failed), 2 usage error\n");
}

typedef struct path_list { char **v; int n, cap; } path_list;
static __thread path_list *walk_target; /* nftw passes no user pointer */

static int collect(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st; (void)ftw;
    size_t n = strlen(p);
    if (type != FTW_F || n < 5 || strcmp(p + n - 4, ".hea") != 0) return 0;
    path_list *l = walk_target;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        char **nv = realloc(l->v, sizeof *nv * (size_t)l->cap);
        if (!nv) return -1;
        l->v = nv;
    }
    l->v[l->n] = strndup(p, n - 4);
    if (!l->v[l->n]) return -1;
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Column names: the union over records, in order of first appearance. */
static int column_index(char ***cols, int *ncols, int *cap, const char *name)
{
    for (int i = 0; i < *ncols; i++) if (strcmp((*cols)[i], name) == 0) return i;
    if (*ncols == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        char **nc = realloc(*cols, sizeof *nc * (size_t)*cap);
        if (!nc) return -1;
        *cols = nc;
    }
    (*cols)[*ncols] = strdup(name);
    return (*ncols)++;
}

/* --data: the dataset's measurement table, built by the trees module */
static int dataset_table(const char *dirs, const char *labels, int rate, const char *split, const char *outpath, int quiet)
{
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.label_set = labels;
    o.ptbxl_rate = rate;
    o.keep_unlabeled = labels && (!strcmp(labels, "sex") || !strcmp(labels, "age"));
    ecgx_dataset *ds = NULL;
    ecgx_trees_table *t = NULL;
    int rc = ecgx_dataset_open(dirs, &o, &ds);
    if (!rc) rc = ecgx_trees_table_build(ds, split, quiet, &t);
    if (!rc && outpath) rc = ecgx_trees_table_write_csv(t, outpath);
    else if (!rc) ecgx_trees_table_print_csv(t, stdout);
    if (!rc && t->n_failed) fprintf(stderr, "ecgx features: %d of %d records could not be measured (their measurements are empty)\n", t->n_failed, t->n_rows);
    ecgx_trees_table_free(t);
    ecgx_dataset_free(ds);
    return rc ? cli_fail("features") : EXIT_OK;
}

int cmd_features(int argc, char **argv)
{
    const char *path = NULL, *outpath = NULL, *data = NULL, *labels = NULL, *split = NULL;
    int rate = 100;
    int json = 0, quiet = 0, err = 0;
    double fs = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (cli_is_help(argv[i])) { help(stdout); return EXIT_OK; }
        if (strcmp(argv[i], "--json") == 0) { json = 1; continue; }
        if (strcmp(argv[i], "--csv") == 0) { json = 0; continue; }
        if (strcmp(argv[i], "--quiet") == 0) { quiet = 1; continue; }
        if ((r = cli_opt("features", argc, argv, &i, "-o", &outpath)) != 0) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_double("features", argc, argv, &i, "--fs", &fs, &err)) != 0) {
            if (r < 0 || cli_check_double("features", "--fs", fs, 0, 1e6, CLI_LO_OPEN)) return EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt("features", argc, argv, &i, "--data", &data)) != 0) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("features", argc, argv, &i, "--labels", &labels)) != 0) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt("features", argc, argv, &i, "--split", &split)) != 0) { if (r < 0) return EXIT_USAGE; continue; }
        if ((r = cli_opt_int("features", argc, argv, &i, "--rate", &rate, &err)) != 0) { if (r < 0) return EXIT_USAGE; continue; }
        if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("features", "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error("features", "one record or directory ('%s' and '%s')", path, argv[i]);
        path = argv[i];
    }
    if (data && path) return cli_usage_error("features", "--data and a record or directory exclude each other");
    if (data) return dataset_table(data, labels, rate, split, outpath, quiet);
    if (!path) return cli_usage_error("features", "which record or directory?");

    path_list recs = {0};
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        walk_target = &recs;
        if (nftw(path, collect, 32, FTW_PHYS) != 0) {
            fprintf(stderr, "ecgx features: %s: cannot list the directory\n", path);
            for (int i = 0; i < recs.n; i++) free(recs.v[i]);
            free(recs.v);
            return EXIT_BAD_INPUT;
        }
        if (recs.n == 0) {
            fprintf(stderr, "ecgx features: %s: no WFDB records (*.hea) found\n", path);
            free(recs.v);
            return EXIT_BAD_INPUT;
        }
        qsort(recs.v, (size_t)recs.n, sizeof *recs.v, cmp_str);
    } else {
        recs.v = malloc(sizeof *recs.v);
        recs.v[0] = strdup(path);
        recs.n = 1;
    }

    ecgx_features **feat = calloc((size_t)recs.n, sizeof *feat);
    char **names = calloc((size_t)recs.n, sizeof *names);
    char **errors = calloc((size_t)recs.n, sizeof *errors);
    ecgx_progress prog;
    ecgx_progress_begin(&prog, "features", recs.n, quiet || recs.n == 1);
    int64_t done = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < recs.n; i++) {
        ecgx_record *rec = NULL;
        if (ecgx_record_read_ex(recs.v[i], fs, &rec, NULL) < 0 || cli_record_check("features", rec, CLI_USE_MEASURE, 0, NULL) < 0 ||
            ecgx_measure_record(rec, &feat[i], NULL) < 0) {
            errors[i] = strdup(ecgx_last_error());
            feat[i] = NULL;
        }
        names[i] = strdup(rec ? rec->name : recs.v[i]);
        ecgx_record_free(rec);
#pragma omp critical
        ecgx_progress_update(&prog, ++done);
    }
    ecgx_progress_end(&prog);

    int failed = 0;
    for (int i = 0; i < recs.n; i++)
        if (errors[i]) {
            char mb[2048];
            fprintf(stderr, "ecgx features: %s\n", cli_file_message(recs.v[i], errors[i], mb, sizeof mb));
            failed++;
        }

    ecgx_outfile of = {0};
    FILE *out = stdout;
    if (outpath) {
        if (ecgx_outfile_open(&of, outpath) < 0) { failed = -1; goto cleanup; }
        out = of.fp;
    }
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < recs.n; i++) {
            if (!feat[i]) continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "record", names[i]);
            cJSON *fo = cJSON_AddObjectToObject(o, "features");
            for (int k = 0; k < feat[i]->n; k++) {
                if (isfinite(feat[i]->values[k])) cJSON_AddNumberToObject(fo, feat[i]->names[k], feat[i]->values[k]);
                else cJSON_AddNullToObject(fo, feat[i]->names[k]);
            }
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cJSON_PrintUnformatted(arr);
        if (s) fprintf(out, "%s\n", s);
        free(s);
        cJSON_Delete(arr);
    } else {
        char **cols = NULL;
        int ncols = 0, cap = 0;
        for (int i = 0; i < recs.n; i++)
            for (int k = 0; feat[i] && k < feat[i]->n; k++) column_index(&cols, &ncols, &cap, feat[i]->names[k]);
        double *row = malloc(sizeof *row * (size_t)(ncols ? ncols : 1));
        fprintf(out, "record");
        for (int c = 0; c < ncols; c++) fprintf(out, ",%s", cols[c]);
        fputc('\n', out);
        for (int i = 0; i < recs.n; i++) {
            if (!feat[i]) continue;
            for (int c = 0; c < ncols; c++) row[c] = NAN;
            for (int k = 0; k < feat[i]->n; k++) row[column_index(&cols, &ncols, &cap, feat[i]->names[k])] = feat[i]->values[k];
            fprintf(out, "%s", names[i]);
            for (int c = 0; c < ncols; c++) {
                if (isfinite(row[c])) fprintf(out, ",%.6g", row[c]);
                else fputc(',', out);
            }
            fputc('\n', out);
        }
        free(row);
        for (int c = 0; c < ncols; c++) free(cols[c]);
        free(cols);
    }
    if (outpath && ecgx_outfile_commit(&of) < 0) failed = -1;
cleanup:
    if (failed < 0) fprintf(stderr, "ecgx features: %s: %s\n", outpath, ecgx_last_error());
    for (int i = 0; i < recs.n; i++) { free(recs.v[i]); free(names[i]); free(errors[i]); ecgx_features_free(feat[i]); }
    free(recs.v); free(names); free(errors); free(feat);
    return failed ? EXIT_BAD_INPUT : EXIT_OK;
}
