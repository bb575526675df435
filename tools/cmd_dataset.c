/* ecgx dataset — index data folders (info), build a folder's binary cache
 * (cache) or check one (verify). */
#include "cli.h"
#include "ecgx/dataset.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const split_names[] = {"train", "val", "test"};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ecgx dataset info DIR[,DIR...] [--labels SET] [--rate 100|500] [--classes A,B,...]\n"
            "                         [--keep-unlabeled] [--cache FILE[,FILE...]|none] [--split-file CSV] [--json]\n"
            "                         [--labels-file CSV] [--label-column COL]\n"
            "       ecgx dataset cache DIR [-o FILE] [--rate 100|500] [--quiet]\n"
            "       ecgx dataset verify FILE [--json]\n\n"
            "info    records per folder and split, classes and their counts per split, age/sex summary,\n"
            "        cache status. Folders: PTB-XL (ptbxl_database.csv), labels.csv folders, PhysioNet/CinC\n"
            "        Challenge folders (*.hea with #Dx). SET: superdiagnostic (PTB-XL default), subdiagnostic,\n"
            "        diagnostic, form, rhythm, all, dx (Challenge SNOMED CT codes), labels, sex, age.\n"
            "        --labels-file: the labels in a CSV anywhere (labels.csv's form, paths relative to DIR);\n"
            "        --label-column: one column of it is the label (0/1: one binary class; else one class per\n"
            "        value). Records whose signals are byte-identical are flagged (also across splits).\n"
            "cache   write DIR's binary cache (default DIR/.ecgx-cache, DIR/.ecgx-cache-500 for PTB-XL\n"
            "        at 500 Hz): every record's signal as float32, memory-mappable, checksummed.\n"
            "verify  check a cache file completely (header, index, every record's checksum).\n");
}

typedef struct info_args {
    const char *dirs;
    ecgx_dataset_options opt;
    int json;
} info_args;

static int parse_common(int argc, char **argv, int *i, ecgx_dataset_options *opt, int *err)
{
    const char *v;
    int r;
    if ((r = cli_opt("dataset", argc, argv, i, "--labels", &v))) { if (r > 0) opt->label_set = v; else *err = 1; return 1; }
    if ((r = cli_opt("dataset", argc, argv, i, "--classes", &v))) { if (r > 0) opt->classes = v; else *err = 1; return 1; }
    if ((r = cli_opt("dataset", argc, argv, i, "--cache", &v))) { if (r > 0) opt->cache = v; else *err = 1; return 1; }
    if ((r = cli_opt("dataset", argc, argv, i, "--split-file", &v))) { if (r > 0) opt->split_file = v; else *err = 1; return 1; }
    if ((r = cli_opt("dataset", argc, argv, i, "--labels-file", &v))) { if (r > 0) opt->labels_file = v; else *err = 1; return 1; }
    if ((r = cli_opt("dataset", argc, argv, i, "--label-column", &v))) { if (r > 0) opt->label_column = v; else *err = 1; return 1; }
    if ((r = cli_opt_int("dataset", argc, argv, i, "--rate", &opt->ptbxl_rate, err))) {
        if (r > 0 && opt->ptbxl_rate != 100 && opt->ptbxl_rate != 500) {
            cli_usage_error("dataset", "--rate must be 100 or 500");
            *err = 1;
        }
        return 1;
    }
    if (!strcmp(argv[*i], "--keep-unlabeled")) { opt->keep_unlabeled = 1; return 1; }
    return 0;
}

typedef struct summary {
    int n_split[3];
    int *class_counts;   /* n_classes * 3 */
    int n_age, n_age_unknown, sex[3];
    double age_sum, age_min, age_max;
    ecgx_dataset_duplicate *dup; /* records with byte-identical signals */
    int n_dup, n_dup_cross, n_unreadable;
} summary;

static int summarise(const ecgx_dataset *ds, summary *s)
{
    int nc = ecgx_dataset_n_classes(ds);
    memset(s, 0, sizeof *s);
    s->class_counts = calloc((size_t)(nc ? nc : 1) * 3, sizeof *s->class_counts);
    float *y = malloc((size_t)(nc ? nc : 1) * sizeof *y);
    if (!s->class_counts || !y) { free(y); return -1; }
    s->age_min = INFINITY;
    s->age_max = -INFINITY;
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        ecgx_dataset_entry e;
        ecgx_dataset_record_info(ds, i, &e);
        ecgx_dataset_labels(ds, i, y);
        s->n_split[e.split]++;
        for (int c = 0; c < nc; c++)
            if (y[c] == 1.0f) s->class_counts[c * 3 + e.split]++;
        if (e.age >= 0) {
            s->n_age++;
            s->age_sum += e.age;
            if (e.age < s->age_min) s->age_min = e.age;
            if (e.age > s->age_max) s->age_max = e.age;
        } else {
            s->n_age_unknown++;
        }
        s->sex[e.sex]++;
    }
    free(y);
    if (ecgx_dataset_find_duplicates(ds, &s->dup, &s->n_dup, &s->n_unreadable) < 0) return -1;
    for (int k = 0; k < s->n_dup; k++) {
        ecgx_dataset_entry a, b;
        ecgx_dataset_record_info(ds, s->dup[k].a, &a);
        ecgx_dataset_record_info(ds, s->dup[k].b, &b);
        s->n_dup_cross += a.split != b.split;
    }
    return 0;
}

static int print_json(const ecgx_dataset *ds, const summary *s)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "label_set", ecgx_dataset_label_set(ds));
    cJSON_AddNumberToObject(root, "n_records", ecgx_dataset_size(ds));
    cJSON *folders = cJSON_AddArrayToObject(root, "folders");
    for (int f = 0; f < ecgx_dataset_n_sources(ds); f++) {
        ecgx_dataset_source si;
        ecgx_dataset_source_info(ds, f, &si);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "dir", si.dir);
        cJSON_AddStringToObject(o, "kind", si.kind);
        cJSON_AddStringToObject(o, "label_set", si.label_set);
        cJSON_AddStringToObject(o, "unit", si.unit);
        cJSON_AddNumberToObject(o, "indexed", si.n_indexed);
        cJSON_AddNumberToObject(o, "missing", si.n_missing);
        cJSON_AddNumberToObject(o, "used", si.n_used);
        cJSON_AddNumberToObject(o, "unused_no_label", si.n_unlabeled);
        cJSON *sp = cJSON_AddObjectToObject(o, "splits");
        int counts[3] = {0};
        for (int i = 0; i < ecgx_dataset_size(ds); i++) {
            ecgx_dataset_entry e;
            ecgx_dataset_record_info(ds, i, &e);
            if (e.source == f) counts[e.split]++;
        }
        for (int k = 0; k < 3; k++) cJSON_AddNumberToObject(sp, split_names[k], counts[k]);
        cJSON *cache = cJSON_AddObjectToObject(o, "cache");
        cJSON_AddStringToObject(cache, "status", si.cache_status);
        cJSON_AddStringToObject(cache, "path", si.cache_path);
        cJSON_AddItemToArray(folders, o);
    }
    cJSON *sp = cJSON_AddObjectToObject(root, "splits");
    for (int k = 0; k < 3; k++) cJSON_AddNumberToObject(sp, split_names[k], s->n_split[k]);
    cJSON *classes = cJSON_AddArrayToObject(root, "classes");
    for (int c = 0; c < ecgx_dataset_n_classes(ds); c++) {
        cJSON *o = cJSON_CreateObject();
        const char *name = ecgx_dataset_class_name(ds, c);
        cJSON_AddStringToObject(o, "name", name);
        const ecgx_snomed_entry *sn = ecgx_snomed_lookup(name);
        if (sn) {
            cJSON_AddStringToObject(o, "abbrev", sn->abbrev);
            cJSON_AddStringToObject(o, "description", sn->name);
        }
        for (int k = 0; k < 3; k++) cJSON_AddNumberToObject(o, split_names[k], s->class_counts[c * 3 + k]);
        cJSON_AddItemToArray(classes, o);
    }
    cJSON *age = cJSON_AddObjectToObject(root, "age");
    cJSON_AddNumberToObject(age, "known", s->n_age);
    cJSON_AddNumberToObject(age, "unknown", s->n_age_unknown);
    if (s->n_age) {
        cJSON_AddNumberToObject(age, "mean", s->age_sum / s->n_age);
        cJSON_AddNumberToObject(age, "min", s->age_min);
        cJSON_AddNumberToObject(age, "max", s->age_max);
    }
    cJSON *sex = cJSON_AddObjectToObject(root, "sex");
    cJSON_AddNumberToObject(sex, "male", s->sex[ECGX_SEX_MALE]);
    cJSON_AddNumberToObject(sex, "female", s->sex[ECGX_SEX_FEMALE]);
    cJSON_AddNumberToObject(sex, "unknown", s->sex[ECGX_SEX_UNKNOWN]);
    cJSON_AddNumberToObject(root, "unreadable", s->n_unreadable);
    cJSON *dups = cJSON_AddArrayToObject(root, "identical_signals");
    for (int k = 0; k < s->n_dup; k++) {
        ecgx_dataset_entry a, b;
        ecgx_dataset_record_info(ds, s->dup[k].a, &a);
        ecgx_dataset_record_info(ds, s->dup[k].b, &b);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "a", a.path);
        cJSON_AddStringToObject(o, "b", b.path);
        cJSON_AddStringToObject(o, "split_a", split_names[a.split]);
        cJSON_AddStringToObject(o, "split_b", split_names[b.split]);
        cJSON_AddItemToArray(dups, o);
    }
    char *txt = cJSON_Print(root);
    cJSON_Delete(root);
    if (!txt) return -1;
    printf("%s\n", txt);
    free(txt);
    return 0;
}

static void print_text(const ecgx_dataset *ds, const summary *s)
{
    printf("records: %d  (train %d, val %d, test %d)  label set: %s, %d classes\n", ecgx_dataset_size(ds),
           s->n_split[0], s->n_split[1], s->n_split[2], ecgx_dataset_label_set(ds), ecgx_dataset_n_classes(ds));
    for (int f = 0; f < ecgx_dataset_n_sources(ds); f++) {
        ecgx_dataset_source si;
        ecgx_dataset_source_info(ds, f, &si);
        printf("folder %s: %s, labels %s, unit %s; %d records indexed, %d listed but absent, %d used\n", si.dir,
               si.kind, si.label_set, si.unit[0] ? si.unit : "?", si.n_indexed, si.n_missing, si.n_used);
        /* say why the others are not used, so that a silent drop cannot pass for a small folder */
        if (si.n_unlabeled > 0)
            printf("  unused: %d record%s without a value of the label set '%s' (dropped as the PTB-XL benchmark does; "
                   "--keep-unlabeled keeps them)\n",
                   si.n_unlabeled, si.n_unlabeled == 1 ? "" : "s", si.label_set);
        if (si.n_missing > 0)
            printf("  unused: %d record%s listed whose signal files are absent\n", si.n_missing,
                   si.n_missing == 1 ? "" : "s");
        printf("  cache: %s%s%s\n", si.cache_status, si.cache_path[0] ? " " : "", si.cache_path);
    }
    int w = 12; /* the widest class name, so that the counts line up */
    for (int c = 0; c < ecgx_dataset_n_classes(ds); c++) {
        int l = (int)strlen(ecgx_dataset_class_name(ds, c));
        if (l > w) w = l;
    }
    printf("%-*s %7s %7s %7s\n", w, "class", "train", "val", "test");
    for (int c = 0; c < ecgx_dataset_n_classes(ds); c++) {
        const char *name = ecgx_dataset_class_name(ds, c);
        const ecgx_snomed_entry *sn = ecgx_snomed_lookup(name);
        printf("%-*s %7d %7d %7d%s%s%s%s\n", w, name, s->class_counts[c * 3], s->class_counts[c * 3 + 1],
               s->class_counts[c * 3 + 2], sn ? "  " : "", sn ? sn->abbrev : "", sn ? " " : "", sn ? sn->name : "");
    }
    if (s->n_age)
        printf("age: %d known (mean %.1f, min %.0f, max %.0f), %d unknown\n", s->n_age, s->age_sum / s->n_age,
               s->age_min, s->age_max, s->n_age_unknown);
    else
        printf("age: unknown for all records\n");
    printf("sex: %d male, %d female, %d unknown\n", s->sex[ECGX_SEX_MALE], s->sex[ECGX_SEX_FEMALE],
           s->sex[ECGX_SEX_UNKNOWN]);
    if (s->n_unreadable) printf("unreadable: %d record%s (left out of the check below)\n", s->n_unreadable, s->n_unreadable == 1 ? "" : "s");
    if (s->n_dup == 0) {
        printf("identical signals: none\n");
        return;
    }
    printf("identical signals: %d record%s byte-identical to another (%d across splits%s)\n", s->n_dup,
           s->n_dup == 1 ? " is" : "s are", s->n_dup_cross, s->n_dup_cross ? ": a leak between them" : "");
    for (int k = 0; k < s->n_dup; k++) {
        ecgx_dataset_entry a, b;
        ecgx_dataset_record_info(ds, s->dup[k].a, &a);
        ecgx_dataset_record_info(ds, s->dup[k].b, &b);
        printf("  %s (%s) = %s (%s)%s\n", a.path, split_names[a.split], b.path, split_names[b.split],
               a.split != b.split ? "  across splits" : "");
    }
}

static int dataset_info(int argc, char **argv)
{
    info_args a = {0};
    ecgx_dataset_options_init(&a.opt);
    for (int i = 1; i < argc; i++) {
        int err = 0;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if (parse_common(argc, argv, &i, &a.opt, &err)) { if (err) return EXIT_USAGE; continue; }
        if (!strcmp(argv[i], "--json")) { a.json = 1; continue; }
        if (argv[i][0] == '-') return cli_usage_error("dataset", "unknown option '%s'", argv[i]);
        if (a.dirs) return cli_usage_error("dataset", "one folder list only (use DIR,DIR)");
        a.dirs = argv[i];
    }
    if (!a.dirs) return cli_usage_error("dataset", "info needs a folder");
    ecgx_dataset *ds;
    if (ecgx_dataset_open(a.dirs, &a.opt, &ds)) return cli_fail("dataset");
    if (*ecgx_dataset_warnings(ds)) fputs(ecgx_dataset_warnings(ds), stderr);
    summary s;
    int rc = EXIT_OK;
    if (summarise(ds, &s)) {
        fprintf(stderr, "ecgx dataset: out of memory\n");
        rc = EXIT_BAD_INPUT;
    } else if (a.json) {
        if (print_json(ds, &s)) { fprintf(stderr, "ecgx dataset: out of memory\n"); rc = EXIT_BAD_INPUT; }
    } else {
        print_text(ds, &s);
    }
    free(s.class_counts);
    free(s.dup);
    ecgx_dataset_free(ds);
    return rc;
}

static int dataset_cache(int argc, char **argv)
{
    ecgx_dataset_options opt;
    ecgx_dataset_options_init(&opt);
    const char *dir = NULL, *out = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        int err = 0, r;
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if ((r = cli_opt("dataset", argc, argv, &i, "-o", &out)) || (r = cli_opt("dataset", argc, argv, &i, "--output", &out))) {
            if (r < 0) return EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt_int("dataset", argc, argv, &i, "--rate", &opt.ptbxl_rate, &err))) {
            if (err) return EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) { quiet = 1; continue; }
        if (argv[i][0] == '-') return cli_usage_error("dataset", "unknown option '%s'", argv[i]);
        if (dir) return cli_usage_error("dataset", "cache takes one folder");
        dir = argv[i];
    }
    if (!dir) return cli_usage_error("dataset", "cache needs a folder");
    if (opt.ptbxl_rate != 100 && opt.ptbxl_rate != 500) return cli_usage_error("dataset", "--rate must be 100 or 500");
    if (ecgx_dataset_cache_build(dir, out, &opt, quiet)) return cli_fail("dataset");
    if (!quiet) fprintf(stderr, "cache of %s written\n", dir);
    return EXIT_OK;
}

static int dataset_verify(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { usage(stdout); return EXIT_OK; }
        if (!strcmp(argv[i], "--json")) { json = 1; continue; }
        if (argv[i][0] == '-') return cli_usage_error("dataset", "unknown option '%s'", argv[i]);
        if (path) return cli_usage_error("dataset", "verify takes one file");
        path = argv[i];
    }
    if (!path) return cli_usage_error("dataset", "verify needs a cache file");
    int n = 0;
    if (ecgx_dataset_cache_verify(path, &n)) return cli_fail("dataset");
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", path);
        cJSON_AddNumberToObject(o, "records", n);
        cJSON_AddBoolToObject(o, "ok", 1);
        char *txt = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (txt) printf("%s\n", txt);
        free(txt);
    } else printf("%s: ok, %d records\n", path, n);
    return EXIT_OK;
}

int cmd_dataset(int argc, char **argv)
{
    if (argc < 2) { usage(stderr); return EXIT_USAGE; }
    if (cli_is_help(argv[1])) { usage(stdout); return EXIT_OK; }
    if (!strcmp(argv[1], "info")) return dataset_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "cache")) return dataset_cache(argc - 1, argv + 1);
    if (!strcmp(argv[1], "verify")) return dataset_verify(argc - 1, argv + 1);
    return cli_usage_error("dataset", "unknown subcommand '%s' (info, cache, verify)", argv[1]);
}
