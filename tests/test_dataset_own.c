/* A researcher's own dataset without glue, on folders built here from ecgx
 * synth records: the labels in a CSV outside the (read-only) data folder,
 * one column of a metadata CSV read directly (0/1: a binary class whose 0
 * rows are negatives; text: one class per value), records with
 * byte-identical signals flagged (within and across splits) by the library
 * and by `ecgx dataset info`, and the two such pairs of the PTB-XL copy in
 * ../shared/data (skipped when absent). */
#include "check.h"
#include "ecgx/dataset.h"

#include <sys/stat.h>

static const char *bin, *tmp;

static int run(const char *args, char *out, size_t n) { return test_run_cmd(bin, args, out, n, 0); }

static char dir[600], meta[700];

/* 20 records (normal and AF); their labels only in `meta`, outside the folder:
 * name,rhythm (text),af (0/1),note (free text with a comma) */
static void build(void)
{
    char args[8192], out[8192], p[800];
    snprintf(dir, sizeof dir, "%s/own", tmp);
    snprintf(meta, sizeof meta, "%s/metadata.csv", tmp);
    snprintf(args, sizeof args, "synth --n 20 --condition normal,af --fs 100 --duration 3 --seed 9 -o %s", dir);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    char *lab = test_slurp(p, NULL);
    CHECK(lab != NULL);
    if (!lab) return;
    remove(p); /* the folder has no labels of its own */
    FILE *f = fopen(meta, "w");
    fprintf(f, "name,rhythm,af,note,split\n");
    char *save = NULL, *line = strtok_r(lab, "\n", &save);
    int k = 0;
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save), k++) {
        char rec[64], split[16], file[64];
        int norm, af;
        if (sscanf(line, "%63[^,],%15[^,],%63[^,],%d,%d", rec, split, file, &norm, &af) != 5) continue;
        /* record 0 has no rhythm given: unlabelled in both columns' reading */
        fprintf(f, "%s,%s,%s,\"seen by A, then B\",%s\n", file, k == 0 ? "" : af ? "atrial fibrillation" : "sinus rhythm",
                k == 0 ? "" : af ? "1" : "0", k < 14 ? "train" : k < 17 ? "val" : "test");
    }
    fclose(f);
    free(lab);
    /* two copies: synth_00003 -> synth_00015 (train -> val) and synth_00004 -> synth_00005 (train) */
    snprintf(args, sizeof args, "cp %s/synth_00003.dat %s/synth_00015.dat && cp %s/synth_00004.dat %s/synth_00005.dat && chmod -R a-w %s",
             dir, dir, dir, dir, dir);
    CHECK(system(args) == 0);
}

static void test_label_columns(void)
{
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.labels_file = meta;
    o.label_column = "af";
    ecgx_dataset *ds = NULL;
    CHECK_OK(ecgx_dataset_open(dir, &o, &ds));
    if (ds) {
        /* binary: 19 records (the one without a value left out), negatives kept as 0 */
        CHECK(ecgx_dataset_size(ds) == 19 && ecgx_dataset_n_classes(ds) == 1);
        CHECK(!strcmp(ecgx_dataset_class_name(ds, 0), "af"));
        int pos = 0, neg = 0;
        for (int i = 0; i < ecgx_dataset_size(ds); i++) {
            float y;
            CHECK_OK(ecgx_dataset_labels(ds, i, &y));
            pos += y == 1.0f;
            neg += y == 0.0f;
        }
        CHECK_MSG(pos > 0 && neg > 0 && pos + neg == 19, "%d positive, %d negative", pos, neg);
        ecgx_dataset_source si;
        CHECK_OK(ecgx_dataset_source_info(ds, 0, &si));
        CHECK(si.n_indexed == 20 && si.n_used == 19 && si.n_unlabeled == 1);
        int n_val = 0, *idx = NULL;
        CHECK_OK(ecgx_dataset_split(ds, "val", &idx, &n_val));
        CHECK(n_val == 3);
        free(idx);
        ecgx_dataset_free(ds);
    }
    o.label_column = "rhythm";
    CHECK_OK(ecgx_dataset_open(dir, &o, &ds));
    if (ds) {
        CHECK(ecgx_dataset_n_classes(ds) == 2 && !strcmp(ecgx_dataset_class_name(ds, 0), "atrial fibrillation") &&
              !strcmp(ecgx_dataset_class_name(ds, 1), "sinus rhythm"));
        CHECK(ecgx_dataset_size(ds) == 19);
        ecgx_dataset_free(ds);
    }
    o.label_column = "nope";
    CHECK(ecgx_dataset_open(dir, &o, &ds) < 0);
    CHECK_MSG(strstr(ecgx_last_error(), "no label column 'nope'"), "%s", ecgx_last_error());
    o.label_column = "af";
    o.labels_file = "/nonexistent/labels.csv";
    CHECK(ecgx_dataset_open(dir, &o, &ds) < 0);
    CHECK_MSG(strstr(ecgx_last_error(), "/nonexistent/labels.csv"), "%s", ecgx_last_error());
}

static void test_duplicates(void)
{
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.labels_file = meta;
    o.label_column = "note"; /* a class name with a comma could not be stored in a model's class list */
    ecgx_dataset *ds = NULL;
    CHECK(ecgx_dataset_open(dir, &o, &ds) < 0);
    CHECK_MSG(strstr(ecgx_last_error(), "class name 'seen by A, then B' has a comma"), "%s", ecgx_last_error());
    o.label_column = "af";
    CHECK_OK(ecgx_dataset_open(dir, &o, &ds));
    if (!ds) return;
    ecgx_dataset_duplicate *d = NULL;
    int n = 0, bad = -1;
    CHECK_OK(ecgx_dataset_find_duplicates(ds, &d, &n, &bad));
    CHECK(n == 2 && bad == 0);
    int seen = 0;
    for (int k = 0; k < n; k++) {
        ecgx_dataset_entry a, b;
        ecgx_dataset_record_info(ds, d[k].a, &a);
        ecgx_dataset_record_info(ds, d[k].b, &b);
        if (strstr(a.path, "synth_00003") && strstr(b.path, "synth_00015")) seen |= 1;
        if (strstr(a.path, "synth_00004") && strstr(b.path, "synth_00005")) seen |= 2;
    }
    CHECK_MSG(seen == 3, "pairs found: %d", seen);
    free(d);
    ecgx_dataset_free(ds);

    char args[2048], out[16384];
    snprintf(args, sizeof args, "dataset info %s --labels-file %s --label-column af", dir, meta);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "identical signals: 2 records are byte-identical to another (1 across splits") &&
                  strstr(out, "synth_00015 (val)  across splits"),
              "%s", out);
    CHECK_MSG(strstr(out, "unused: 1 record without a value of the label set"), "%s", out);
}

/* training straight from the metadata file: binary task, its negatives kept */
static void test_train_from_metadata(void)
{
    char args[8192], out[16384], model[700];
    snprintf(model, sizeof model, "%s/own.safetensors", tmp);
    snprintf(args, sizeof args, "train --data %s --labels-file %s --label-column af -o %s --epochs 1 --batch 7 --quiet",
             dir, meta, model);
    CHECK_MSG(run(args, out, sizeof out) == 0, "%s", out);
    snprintf(args, sizeof args, "eval --model %s --data %s --labels-file %s --split test --json --bootstrap 0 --quiet", model,
             dir, meta);
    CHECK_MSG(run(args, out, sizeof out) == 0 && strstr(out, "\"af\":{\"n_pos\":"), "%s", out);
}

static void test_ptbxl_duplicates(void)
{
    const char *d = shared_data_dir();
    char p[1024];
    if (!d) {
        fprintf(stderr, "    (../shared/data absent: PTB-XL duplicates not checked)\n");
        return;
    }
    snprintf(p, sizeof p, "%.900s/ptbxl", d);
    if (access(p, R_OK)) return;
    ecgx_dataset *ds = NULL;
    CHECK_OK(ecgx_dataset_open(p, NULL, &ds));
    if (!ds) return;
    ecgx_dataset_duplicate *dup = NULL;
    int n = 0;
    CHECK_OK(ecgx_dataset_find_duplicates(ds, &dup, &n, NULL));
    /* ecg_id 456 = 457 and 459 = 460: same patient, same date and time, same bytes */
    CHECK_MSG(n == 2, "%d pairs", n);
    for (int k = 0; k < n; k++) {
        ecgx_dataset_entry a, b;
        ecgx_dataset_record_info(ds, dup[k].a, &a);
        ecgx_dataset_record_info(ds, dup[k].b, &b);
        CHECK_MSG((!strcmp(a.id, "456") && !strcmp(b.id, "457")) || (!strcmp(a.id, "459") && !strcmp(b.id, "460")),
                  "%s = %s", a.id, b.id);
    }
    free(dup);
    ecgx_dataset_free(ds);
}

/* The SNOMED CT -> PTB-XL superclass table: every code is one the Challenge
 * table knows, every superclass one of the five; the NORM rule. */
static void test_snomed_mapping(void)
{
    int n = ecgx_snomed_ptbxl_count();
    CHECK(n > 40);
    for (int i = 0; i < n; i++) {
        const char *code, *sup;
        CHECK_OK(ecgx_snomed_ptbxl_at(i, &code, &sup));
        CHECK_MSG(ecgx_snomed_lookup(code) != NULL, "%s is not a Challenge code", code);
        CHECK(!strcmp(sup, "CD") || !strcmp(sup, "HYP") || !strcmp(sup, "MI") || !strcmp(sup, "NORM") || !strcmp(sup, "STTC"));
    }
    CHECK(!strcmp(ecgx_snomed_ptbxl_superclass("164909002"), "CD"));   /* LBBB */
    CHECK(!strcmp(ecgx_snomed_ptbxl_superclass("270492004"), "CD"));   /* 1AVB, CD in PTB-XL */
    CHECK(!strcmp(ecgx_snomed_ptbxl_superclass("111975006"), "STTC")); /* LNGQT, STTC in PTB-XL */
    CHECK(!strcmp(ecgx_snomed_ptbxl_superclass("164873001"), "HYP"));
    CHECK(!strcmp(ecgx_snomed_ptbxl_superclass("164865005"), "MI"));
    CHECK(!strcmp(ecgx_snomed_ptbxl_superclass("426783006"), "NORM"));
    CHECK(ecgx_snomed_ptbxl_superclass("164889003") == NULL); /* AF: a rhythm, no superclass */
    CHECK(ecgx_snomed_ptbxl_superclass("39732003") == NULL);  /* LAD: an axis */
    CHECK(ecgx_snomed_ptbxl_at(n, &(const char *){0}, &(const char *){0}) == ECGX_ERR_RANGE);
}

int main(void)
{
    bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK)) SKIP("ECGX_BIN is not set (run through make test)");
    tmp = test_tmpdir();
    build();
    RUN(test_snomed_mapping);
    RUN(test_label_columns);
    RUN(test_duplicates);
    RUN(test_train_from_metadata);
    RUN(test_ptbxl_duplicates);
    /* the runner removes the scratch folder: give write access back */
    char args[700];
    snprintf(args, sizeof args, "chmod -R u+w %s", dir);
    if (system(args) != 0) fprintf(stderr, "could not restore write access to %s\n", dir);
    return check_finish();
}
