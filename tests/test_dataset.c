/* Dataset indexing on small folders the test writes itself: PTB-XL label
 * sets, the generic labels.csv form, Challenge headers, combined folders,
 * splits, and malformed CSVs (errors must name file, line and field). The
 * expected values are worked out by hand from the rows written here. */
#include "dataset_test.h"

#include <errno.h>
#include <stdint.h>

static char root[512];

/* Write dir/rel (creating folders), content as given. */
static void write_file(const char *dir, const char *rel, const char *content)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) { perror(path); exit(1); }
            *p = '/';
        }
    FILE *fp = fopen(path, "wb");
    if (!fp) { perror(path); exit(1); }
    fputs(content, fp);
    fclose(fp);
}

static void make_dir(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", root, name);
    if (mkdir(out, 0777) != 0 && errno != EEXIST) { perror(out); exit(1); }
}

/* A record's files: header naming the unit, and a (dummy) signal file. */
static void touch_record(const char *dir, const char *rel, const char *unit, const char *ext)
{
    char name[256], hea[1024], sig[16];
    const char *slash = strrchr(rel, '/');
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : rel);
    snprintf(hea, sizeof hea, "%s 1 100 10\n%s%s 16 1000/%s 16 0 0 0 0 I\n", name, name, ext, unit);
    char rel_hea[512], rel_sig[512];
    snprintf(rel_hea, sizeof rel_hea, "%s.hea", rel);
    snprintf(rel_sig, sizeof rel_sig, "%s%s", rel, ext);
    write_file(dir, rel_hea, hea);
    snprintf(sig, sizeof sig, "%s", "xx");
    write_file(dir, rel_sig, sig);
}

static const char *statements_csv =
    ",description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\n"
    "NORM,\"normal ECG, fine\",1.0,,,NORM,NORM\n"
    "IMI,inferior MI,1.0,,,MI,IMI\n"
    "ASMI,anteroseptal MI,1.0,,,MI,AMI\n"
    "NDT,non-diagnostic T,1.0,1.0,,STTC,STTC\n"
    "LVOLT,low voltage,,1.0,,,\n"
    "SR,sinus rhythm,,,1.0,,\n"
    "AFIB,atrial fibrillation,,,1.0,,\n"
    "PVC,ventricular premature complex,,1.0,1.0,,\n";

/* Row 2's report spans two lines; record 4's files are absent; record 5
 * has a code scp_statements.csv does not know. */
static const char *database_csv =
    "ecg_id,patient_id,age,sex,report,scp_codes,strat_fold,filename_lr,filename_hr\n"
    "1,10.0,56.0,1,\"sinus, ok\",\"{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}\",3,records100/00000/00001_lr,records500/00000/00001_hr\n"
    "2,11.0,,0,\"two\nlines \"\"quoted\"\"\",\"{'IMI': 50.0, 'ASMI': 15.0, 'SR': 0.0}\",9,records100/00000/00002_lr,records500/00000/00002_hr\n"
    "3,12.0,300.0,0,,\"{'AFIB': 100.0, 'PVC': 0.0}\",10,records100/00000/00003_lr,records500/00000/00003_hr\n"
    "4,13.0,40.0,1,,\"{'NDT': 100.0}\",1,records100/00000/00004_lr,records500/00000/00004_hr\n"
    "5,14.0,70,1,,\"{'XYZ': 100.0}\",2,records100/00000/00005_lr,records500/00000/00005_hr\n";

static char ptbxl_dir[1024];

static void make_ptbxl(void)
{
    make_dir(ptbxl_dir, sizeof ptbxl_dir, "ptbxl");
    write_file(ptbxl_dir, "scp_statements.csv", statements_csv);
    write_file(ptbxl_dir, "ptbxl_database.csv", database_csv);
    touch_record(ptbxl_dir, "records100/00000/00001_lr", "mV", ".dat");
    touch_record(ptbxl_dir, "records100/00000/00002_lr", "mV", ".dat");
    touch_record(ptbxl_dir, "records100/00000/00003_lr", "mV", ".dat");
    touch_record(ptbxl_dir, "records100/00000/00005_lr", "mV", ".dat");
    touch_record(ptbxl_dir, "records500/00000/00001_hr", "mV", ".dat");
}

/* "ID:A|B;ID:..." : the records' ids in order and their positive classes. */
static void describe(const ecgx_dataset *ds, char *out, size_t n)
{
    out[0] = '\0';
    float y[64];
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        ecgx_dataset_entry e;
        ecgx_dataset_record_info(ds, i, &e);
        ecgx_dataset_labels(ds, i, y);
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s:", i ? ";" : "", e.id);
        int first = 1;
        for (int c = 0; c < ecgx_dataset_n_classes(ds); c++)
            if (y[c] == 1.0f) {
                len = strlen(out);
                snprintf(out + len, n - len, "%s%s", first ? "" : "|", ecgx_dataset_class_name(ds, c));
                first = 0;
            }
    }
}

static void classes_of(const ecgx_dataset *ds, char *out, size_t n)
{
    out[0] = '\0';
    for (int c = 0; c < ecgx_dataset_n_classes(ds); c++) {
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s", c ? "," : "", ecgx_dataset_class_name(ds, c));
    }
}

static void expect_set(const char *set, int keep, const char *want_classes, const char *want_records)
{
    ecgx_dataset *ds = test_open_dataset(ptbxl_dir, set, keep);
    if (!ds) return;
    char got[2048];
    classes_of(ds, got, sizeof got);
    CHECK_MSG(strcmp(got, want_classes) == 0, "%s classes: got %s, want %s", set, got, want_classes);
    describe(ds, got, sizeof got);
    CHECK_MSG(strcmp(got, want_records) == 0, "%s records: got %s, want %s", set, got, want_records);
    ecgx_dataset_free(ds);
}

static void test_ptbxl_label_sets(void)
{
    expect_set("superdiagnostic", 0, "MI,NORM", "1:NORM;2:MI");
    expect_set(NULL, 0, "MI,NORM", "1:NORM;2:MI");
    expect_set("subdiagnostic", 0, "AMI,IMI,NORM", "1:NORM;2:AMI|IMI");
    expect_set("diagnostic", 0, "ASMI,IMI,NORM", "1:NORM;2:ASMI|IMI");
    expect_set("form", 0, "LVOLT,PVC", "1:LVOLT;3:PVC");
    expect_set("rhythm", 0, "AFIB,PVC,SR", "1:SR;2:SR;3:AFIB|PVC");
    expect_set("all", 0, "AFIB,ASMI,IMI,LVOLT,NORM,PVC,SR,XYZ",
               "1:LVOLT|NORM|SR;2:ASMI|IMI|SR;3:AFIB|PVC;5:XYZ");
    expect_set("superdiagnostic", 1, "MI,NORM", "1:NORM;2:MI;3:;5:");
}

static void test_ptbxl_metadata(void)
{
    ecgx_dataset *ds = test_open_dataset(ptbxl_dir, "all", 0);
    if (!ds) return;
    CHECK(ecgx_dataset_size(ds) == 4);
    ecgx_dataset_entry e;
    CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
    CHECK(strcmp(e.id, "1") == 0 && e.fold == 3 && e.split == ECGX_SPLIT_TRAIN);
    CHECK(e.age == 56.0 && e.sex == ECGX_SEX_FEMALE && strcmp(e.unit, "mV") == 0);
    CHECK(strstr(e.path, "ptbxl/records100/00000/00001_lr") != NULL);
    CHECK_OK(ecgx_dataset_record_info(ds, 1, &e));
    CHECK(e.age < 0 && e.sex == ECGX_SEX_MALE && e.fold == 9 && e.split == ECGX_SPLIT_VAL);
    CHECK_OK(ecgx_dataset_record_info(ds, 2, &e));
    CHECK(e.age == 90 && e.fold == 10 && e.split == ECGX_SPLIT_TEST); /* 300 = "over 89" */
    CHECK(ecgx_dataset_record_info(ds, 4, &e) == ECGX_ERR_RANGE);
    CHECK(ecgx_dataset_record_info(ds, -1, &e) == ECGX_ERR_RANGE);

    ecgx_dataset_source si;
    CHECK_OK(ecgx_dataset_source_info(ds, 0, &si));
    CHECK(strcmp(si.kind, "ptbxl") == 0 && si.n_indexed == 4 && si.n_missing == 1 && si.n_used == 4);
    CHECK(strcmp(si.cache_status, "none") == 0);

    int *idx, n;
    CHECK_OK(ecgx_dataset_split(ds, "train", &idx, &n));
    CHECK(n == 2 && idx[0] == 0 && idx[1] == 3);
    free(idx);
    CHECK_OK(ecgx_dataset_split(ds, "val", &idx, &n));
    CHECK(n == 1 && idx[0] == 1);
    free(idx);
    CHECK_OK(ecgx_dataset_split(ds, "test", &idx, &n));
    CHECK(n == 1 && idx[0] == 2);
    free(idx);
    CHECK_OK(ecgx_dataset_split(ds, "fold:2", &idx, &n));
    CHECK(n == 1 && idx[0] == 3);
    free(idx);
    CHECK_OK(ecgx_dataset_split(ds, "all", &idx, &n));
    CHECK(n == 4);
    free(idx);
    CHECK(ecgx_dataset_split(ds, "fold:11", &idx, &n) == ECGX_ERR_ARG);
    CHECK(ecgx_dataset_split(ds, "training", &idx, &n) == ECGX_ERR_ARG);
    /* no cache attached: no in-place view */
    const float *d;
    int nl;
    int64_t ns;
    double fs;
    CHECK(ecgx_dataset_view(ds, 0, &d, &nl, &ns, &fs) == ECGX_ERR_STATE);
    ecgx_dataset_free(ds);

    /* sex and age as targets */
    ds = test_open_dataset(ptbxl_dir, "sex", 0);
    if (ds) {
        float y[1];
        CHECK(ecgx_dataset_n_classes(ds) == 1 && strcmp(ecgx_dataset_class_name(ds, 0), "female") == 0);
        CHECK(ecgx_dataset_size(ds) == 4);
        ecgx_dataset_labels(ds, 0, y);
        CHECK(y[0] == 1.0f);
        ecgx_dataset_labels(ds, 1, y);
        CHECK(y[0] == 0.0f);
        ecgx_dataset_free(ds);
    }
    ds = test_open_dataset(ptbxl_dir, "age", 0);
    if (ds) {
        float y[1];
        CHECK(ecgx_dataset_size(ds) == 3); /* record 2's age is unknown */
        ecgx_dataset_labels(ds, 0, y);
        CHECK(y[0] == 56.0f);
        ecgx_dataset_free(ds);
    }
    ds = test_open_dataset(ptbxl_dir, "age", 1);
    if (ds) {
        float y[1];
        CHECK(ecgx_dataset_size(ds) == 4);
        ecgx_dataset_labels(ds, 1, y);
        CHECK(isnan(y[0]));
        ecgx_dataset_free(ds);
    }

    /* 500 Hz: only record 1 has its records500 files */
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.ptbxl_rate = 500;
    o.keep_unlabeled = 1;
    CHECK_OK(ecgx_dataset_open(ptbxl_dir, &o, &ds));
    if (ds) {
        CHECK(ecgx_dataset_size(ds) == 1);
        CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
        CHECK(strstr(e.path, "records500/00000/00001_hr") != NULL);
        ecgx_dataset_free(ds);
    }
    o.ptbxl_rate = 250;
    CHECK(ecgx_dataset_open(ptbxl_dir, &o, &ds) == ECGX_ERR_ARG);

    /* a fixed class list: order and membership as given */
    ecgx_dataset_options_init(&o);
    o.classes = "NORM,MI,HYP";
    CHECK_OK(ecgx_dataset_open(ptbxl_dir, &o, &ds));
    if (ds) {
        char got[512];
        classes_of(ds, got, sizeof got);
        CHECK(strcmp(got, "NORM,MI,HYP") == 0);
        describe(ds, got, sizeof got);
        CHECK_MSG(strcmp(got, "1:NORM;2:MI") == 0, "%s", got);
        ecgx_dataset_free(ds);
    }
    ecgx_dataset_options_init(&o);
    o.label_set = "superclass";
    CHECK(ecgx_dataset_open(ptbxl_dir, &o, &ds) == ECGX_ERR_ARG);
    CHECK(strstr(ecgx_last_error(), "superclass") != NULL);
    o.label_set = "dx";
    CHECK(ecgx_dataset_open(ptbxl_dir, &o, &ds) == ECGX_ERR_ARG);
}

static char labels_dir[1024], super_dir[1024];

static void make_labels_folders(void)
{
    make_dir(labels_dir, sizeof labels_dir, "synth");
    /* CRLF line ends, sex as M/F and 0/1, one record absent */
    write_file(labels_dir, "labels.csv",
               "record,split,filename,age,sex,AF,NORM\r\n"
               "a1,train,rec/a1,50,M,1,0\r\n"
               "a2,val,rec/a2,,F,0,1\r\n"
               "a3,test,rec/a3,30,0,1,1\r\n"
               "a4,train,rec/a4,20,1,0,0\r\n"
               "a5,train,rec/a5,20,1,1,0\r\n");
    touch_record(labels_dir, "rec/a1", "uV", ".dat");
    touch_record(labels_dir, "rec/a2", "uV", ".dat");
    touch_record(labels_dir, "rec/a3", "uV", ".dat");
    touch_record(labels_dir, "rec/a4", "uV", ".dat");

    make_dir(super_dir, sizeof super_dir, "filtered");
    write_file(super_dir, "labels.csv",
               "ecg_id,split,filename_lr,NORM,MI,STTC,CD,HYP\n"
               "519,train,records100/00000/00519_lr,0,0,1,1,0\n"
               "523,val,records100/00000/00523_lr,1,0,0,0,0\n"
               "528,train,records100/00000/00528_lr,0,1,1,1,0\n");
    touch_record(super_dir, "records100/00000/00519_lr", "z", ".dat");
    touch_record(super_dir, "records100/00000/00523_lr", "z", ".dat");
    touch_record(super_dir, "records100/00000/00528_lr", "z", ".dat");
}

static void test_labels_csv(void)
{
    ecgx_dataset *ds = test_open_dataset(labels_dir, NULL, 0);
    if (!ds) return;
    char got[1024];
    classes_of(ds, got, sizeof got);
    CHECK_MSG(strcmp(got, "AF,NORM") == 0, "%s", got);
    describe(ds, got, sizeof got);
    CHECK_MSG(strcmp(got, "a1:AF;a2:NORM;a3:AF|NORM") == 0, "%s", got);
    CHECK(strcmp(ecgx_dataset_label_set(ds), "labels") == 0);
    ecgx_dataset_entry e;
    CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
    CHECK(e.sex == ECGX_SEX_MALE && e.age == 50 && e.split == ECGX_SPLIT_TRAIN && strcmp(e.unit, "uV") == 0);
    CHECK_OK(ecgx_dataset_record_info(ds, 1, &e));
    CHECK(e.sex == ECGX_SEX_FEMALE && e.age < 0 && e.split == ECGX_SPLIT_VAL);
    CHECK_OK(ecgx_dataset_record_info(ds, 2, &e));
    CHECK(e.sex == ECGX_SEX_MALE && e.split == ECGX_SPLIT_TEST);
    ecgx_dataset_source si;
    CHECK_OK(ecgx_dataset_source_info(ds, 0, &si));
    CHECK(strcmp(si.kind, "labels-csv") == 0 && si.n_indexed == 4 && si.n_missing == 1 && si.n_used == 3);
    ecgx_dataset_free(ds);

    /* no split or fold column: folds from the id, deterministic */
    char nosplit[1024];
    make_dir(nosplit, sizeof nosplit, "nosplit");
    write_file(nosplit, "labels.csv", "id,filename,A\nr1,rec/r1,1\nr2,rec/r2,0\n");
    touch_record(nosplit, "rec/r1", "mV", ".dat");
    touch_record(nosplit, "rec/r2", "mV", ".dat");
    ecgx_dataset *ns = test_open_dataset(nosplit, NULL, 1);
    if (ns) {
        for (int i = 0; i < 2; i++) {
            CHECK_OK(ecgx_dataset_record_info(ns, i, &e));
            CHECK(e.fold >= 1 && e.fold <= 10);
            CHECK((int)e.split == (e.fold == 9 ? 1 : e.fold == 10 ? 2 : 0));
        }
        ecgx_dataset_free(ns);
    }

    /* alone, any label set name falls back to the file's classes */
    ds = test_open_dataset(labels_dir, "rhythm", 1);
    if (ds) {
        CHECK(ecgx_dataset_size(ds) == 4 && ecgx_dataset_n_classes(ds) == 2);
        ecgx_dataset_free(ds);
    }
    ds = test_open_dataset(super_dir, NULL, 0);
    if (ds) {
        classes_of(ds, got, sizeof got);
        CHECK_MSG(strcmp(got, "CD,HYP,MI,NORM,STTC") == 0, "%s", got);
        CHECK(strcmp(ecgx_dataset_label_set(ds), "superdiagnostic") == 0);
        describe(ds, got, sizeof got);
        CHECK_MSG(strcmp(got, "519:CD|STTC;523:NORM;528:CD|MI|STTC") == 0, "%s", got);
        ecgx_dataset_free(ds);
    }
}

static void test_combined(void)
{
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s,%s", ptbxl_dir, super_dir);
    ecgx_dataset *ds = test_open_dataset(dirs, "superdiagnostic", 0);
    if (ds) {
        char got[1024];
        classes_of(ds, got, sizeof got);
        CHECK_MSG(strcmp(got, "CD,HYP,MI,NORM,STTC") == 0, "%s", got);
        describe(ds, got, sizeof got);
        CHECK_MSG(strcmp(got, "1:NORM;2:MI;519:CD|STTC;523:NORM;528:CD|MI|STTC") == 0, "%s", got);
        CHECK(ecgx_dataset_n_sources(ds) == 2);
        ecgx_dataset_entry e;
        CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
        CHECK(e.source == 0 && strcmp(e.unit, "mV") == 0);
        CHECK_OK(ecgx_dataset_record_info(ds, 2, &e));
        CHECK(e.source == 1 && strcmp(e.unit, "z") == 0);
        int *idx, n;
        CHECK_OK(ecgx_dataset_split(ds, "val", &idx, &n));
        CHECK(n == 2 && idx[0] == 1 && idx[1] == 3);
        free(idx);
        ecgx_dataset_free(ds);
    }
    /* the default set is superdiagnostic for both */
    ds = test_open_dataset(dirs, NULL, 0);
    if (ds) {
        CHECK(strcmp(ecgx_dataset_label_set(ds), "superdiagnostic") == 0 && ecgx_dataset_size(ds) == 5);
        ecgx_dataset_free(ds);
    }
    /* a superclass labels.csv cannot stand in for PTB-XL's rhythm set */
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.label_set = "rhythm";
    CHECK(ecgx_dataset_open(dirs, &o, &ds) == ECGX_ERR_ARG);
    CHECK(strstr(ecgx_last_error(), "labels.csv") != NULL);
    /* a folder twice is a mistake */
    snprintf(dirs, sizeof dirs, "%s,%s/", ptbxl_dir, ptbxl_dir);
    CHECK(ecgx_dataset_open(dirs, NULL, &ds) == ECGX_ERR_ARG);
    CHECK(ecgx_dataset_open("", NULL, &ds) == ECGX_ERR_ARG);
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/nope", root);
    CHECK(ecgx_dataset_open(missing, NULL, &ds) < 0);
    CHECK(strstr(ecgx_last_error(), "nope") != NULL);
}

static char cinc_dir[1024];

static void test_challenge(void)
{
    make_dir(cinc_dir, sizeof cinc_dir, "cinc");
    write_file(cinc_dir, "g1/A0001.hea",
               "A0001 12 500 5000\nA0001.mat 16+24 1000/mV 16 0 -1 -1 0 I\n#Age: 49\n#Sex: Female\n"
               "#Dx: 164889003,59118001\n#Rx: Unknown\n");
    write_file(cinc_dir, "g1/A0001.mat", "x");
    write_file(cinc_dir, "g2/E0002.hea",
               "E0002 12 500 5000\nE0002.mat 16+24 1000/mV 16 0 -1 -1 0 I\n# Age: NaN\n# Sex: Male\n"
               "# Dx: 426783006\n");
    write_file(cinc_dir, "g2/E0002.mat", "x");
    write_file(cinc_dir, "Q0003.hea", "Q0003 12 500 5000\nQ0003.mat 16+24 1000/mV 16 0 0 0 0 I\n#Dx: 164889003\n");
    ecgx_dataset *ds = test_open_dataset(cinc_dir, NULL, 0);
    if (!ds) return;
    char got[1024];
    classes_of(ds, got, sizeof got);
    CHECK_MSG(strcmp(got, "164889003,426783006,59118001") == 0, "%s", got);
    describe(ds, got, sizeof got);
    CHECK_MSG(strcmp(got, "A0001:164889003|59118001;E0002:426783006") == 0, "%s", got);
    CHECK(strcmp(ecgx_dataset_label_set(ds), "dx") == 0);
    ecgx_dataset_entry e;
    CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
    CHECK(e.age == 49 && e.sex == ECGX_SEX_FEMALE && strcmp(e.unit, "mV") == 0);
    CHECK(e.fold >= 1 && e.fold <= 10);
    CHECK((int)e.split == (e.fold == 9 ? 1 : e.fold == 10 ? 2 : 0));
    int fold0 = e.fold;
    {
        /* the documented rule: FNV-1a 32-bit of the name, mod 10, + 1 */
        uint32_t h = 2166136261u;
        for (const char *p = "A0001"; *p; p++) { h ^= (unsigned char)*p; h *= 16777619u; }
        CHECK(e.fold == (int)(h % 10u) + 1);
    }
    CHECK_OK(ecgx_dataset_record_info(ds, 1, &e));
    CHECK(e.age < 0 && e.sex == ECGX_SEX_MALE);
    ecgx_dataset_source si;
    CHECK_OK(ecgx_dataset_source_info(ds, 0, &si));
    CHECK(si.n_indexed == 2 && si.n_missing == 1 && strcmp(si.kind, "challenge") == 0);
    ecgx_dataset_free(ds);
    /* folds come from the name alone: the same on every open */
    ds = test_open_dataset(cinc_dir, "dx", 0);
    if (ds) {
        CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
        CHECK(e.fold == fold0);
        ecgx_dataset_free(ds);
    }
    ecgx_dataset_options o;
    ecgx_dataset_options_init(&o);
    o.label_set = "rhythm";
    CHECK(ecgx_dataset_open(cinc_dir, &o, &ds) == ECGX_ERR_ARG);
    /* superdiagnostic: through the SNOMED CT -> PTB-XL mapping (tests/test_dataset_own.c) */
    o.label_set = "superdiagnostic";
    CHECK_OK(ecgx_dataset_open(cinc_dir, &o, &ds));
    if (ds) {
        CHECK(ecgx_dataset_n_classes(ds) == 5);
        ecgx_dataset_free(ds);
        ds = NULL;
    }

    /* a split given from outside overrides the hash */
    char split[1024];
    snprintf(split, sizeof split, "%s/split.csv", root);
    write_file(root, "split.csv", "record,split,fold\nA0001,test,10\nE0002,val,9\nZZZ,train,1\n");
    ecgx_dataset_options_init(&o);
    o.split_file = split;
    CHECK_OK(ecgx_dataset_open(cinc_dir, &o, &ds));
    if (ds) {
        CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
        CHECK(e.split == ECGX_SPLIT_TEST && e.fold == 10);
        CHECK_OK(ecgx_dataset_record_info(ds, 1, &e));
        CHECK(e.split == ECGX_SPLIT_VAL && e.fold == 9);
        ecgx_dataset_free(ds);
    }
    write_file(root, "split.csv", "record,split\nA0001,test\nE0002,dev\n");
    CHECK(ecgx_dataset_open(cinc_dir, &o, &ds) == ECGX_ERR_FORMAT);
    CHECK_MSG(strstr(ecgx_last_error(), "split.csv:3") && strstr(ecgx_last_error(), "'split'"), "%s",
              ecgx_last_error());
    write_file(root, "split.csv", "record,group\nA0001,test\n");
    CHECK(ecgx_dataset_open(cinc_dir, &o, &ds) == ECGX_ERR_FORMAT);
    CHECK(strstr(ecgx_last_error(), "split.csv:1") != NULL);
    write_file(root, "split.csv", "record,split\nX1,test\n");
    CHECK(ecgx_dataset_open(cinc_dir, &o, &ds) == ECGX_ERR_ARG);
    CHECK(strstr(ecgx_last_error(), "none of its ids") != NULL);
    write_file(root, "split.csv", "record,split\nA0001,test\nA0001,val\n");
    CHECK(ecgx_dataset_open(cinc_dir, &o, &ds) == ECGX_ERR_FORMAT);
    CHECK(strstr(ecgx_last_error(), "twice") != NULL);

    /* a bad code names file, line and field */
    char bad[1024];
    make_dir(bad, sizeof bad, "cinc-bad");
    write_file(bad, "B1.hea", "B1 12 500 5000\nB1.mat 16+24 1000/mV 16 0 0 0 0 I\n#Age: 50\n#Dx: 164889003,AF\n");
    write_file(bad, "B1.mat", "x");
    CHECK(ecgx_dataset_open(bad, NULL, &ds) == ECGX_ERR_FORMAT);
    CHECK_MSG(strstr(ecgx_last_error(), "B1.hea:4") && strstr(ecgx_last_error(), "#Dx"), "%s", ecgx_last_error());
    write_file(bad, "B1.hea", "B1 12 500 5000\nB1.mat 16+24 1000/mV 16 0 0 0 0 I\n#Age: old\n#Dx: 164889003\n");
    CHECK(ecgx_dataset_open(bad, NULL, &ds) == ECGX_ERR_FORMAT);
    CHECK_MSG(strstr(ecgx_last_error(), "B1.hea:3") && strstr(ecgx_last_error(), "#Age"), "%s", ecgx_last_error());
}

static void test_snomed_table(void)
{
    const ecgx_snomed_entry *s = ecgx_snomed_lookup("164889003");
    CHECK(s && strcmp(s->abbrev, "AF") == 0 && strcmp(s->name, "atrial fibrillation") == 0 && s->scored);
    s = ecgx_snomed_lookup("426783006");
    CHECK(s && strcmp(s->abbrev, "NSR") == 0 && s->scored);
    s = ecgx_snomed_lookup("270492004");
    CHECK(s && strcmp(s->abbrev, "IAVB") == 0);
    s = ecgx_snomed_lookup("164909002");
    CHECK(s && strcmp(s->abbrev, "LBBB") == 0);
    s = ecgx_snomed_lookup("59118001");
    CHECK(s && strcmp(s->abbrev, "RBBB") == 0);
    s = ecgx_snomed_lookup("67741000119109"); /* a 14-digit code */
    CHECK(s && strcmp(s->abbrev, "LAE") == 0 && !s->scored);
    CHECK(ecgx_snomed_lookup("1") == NULL && ecgx_snomed_lookup("999999999") == NULL);
    CHECK(ecgx_snomed_lookup(NULL) == NULL);
    s = ecgx_snomed_by_abbrev("STach");
    CHECK(s && strcmp(s->code, "427084000") == 0);
    int scored = 0;
    for (int i = 0; i < ecgx_snomed_count(); i++) {
        const ecgx_snomed_entry *t = ecgx_snomed_at(i);
        scored += t->scored;
        /* every entry is found by its own code (table sorted for lookup) */
        CHECK_MSG(ecgx_snomed_lookup(t->code) == t, "%s", t->code);
    }
    CHECK(scored == 30);
    CHECK(ecgx_snomed_at(ecgx_snomed_count()) == NULL);
}

/* Open a PTB-XL folder whose database has `db` as content; return the error. */
static int open_bad_ptbxl(const char *name, const char *db, const char *statements)
{
    char dir[1024];
    make_dir(dir, sizeof dir, name);
    write_file(dir, "scp_statements.csv", statements ? statements : statements_csv);
    write_file(dir, "ptbxl_database.csv", db);
    ecgx_dataset *ds = NULL;
    int rc = ecgx_dataset_open(dir, NULL, &ds);
    ecgx_dataset_free(ds);
    return rc;
}

#define EXPECT_ERR(call, ...)                                                                   \
    do {                                                                                        \
        int rc_ = (call);                                                                       \
        CHECK_MSG(rc_ == ECGX_ERR_FORMAT, "rc %d: %s", rc_, ecgx_last_error());                 \
        const char *want_[] = {__VA_ARGS__};                                                     \
        for (size_t k_ = 0; k_ < sizeof want_ / sizeof *want_; k_++)                            \
            CHECK_MSG(strstr(ecgx_last_error(), want_[k_]) != NULL, "'%s' not in: %s", want_[k_], \
                      ecgx_last_error());                                                       \
    } while (0)

static void test_bad_csv(void)
{
    const char *head = "ecg_id,age,sex,scp_codes,strat_fold,filename_lr\n";
    char db[2048];
    EXPECT_ERR(open_bad_ptbxl("b1", "ecg_id,age,sex,scp_codes,filename_lr\n1,50,0,\"{}\",x\n", NULL),
               "ptbxl_database.csv:1", "strat_fold");
    snprintf(db, sizeof db, "%s1,50,0,\"{'NORM': 100.0}\",1,r/1\n2,abc,0,\"{}\",1,r/2\n", head);
    EXPECT_ERR(open_bad_ptbxl("b2", db, NULL), "ptbxl_database.csv:3", "'age'", "abc");
    /* a multi-line field before the bad row: the line number still counts */
    snprintf(db, sizeof db,
             "ecg_id,report,age,sex,scp_codes,strat_fold,filename_lr\n1,\"a\nb\nc\",50,0,\"{}\",1,r/1\n2,,50,0,\"{}\",x,r/2\n");
    EXPECT_ERR(open_bad_ptbxl("b3", db, NULL), "ptbxl_database.csv:5", "strat_fold");
    snprintf(db, sizeof db, "%s1,50,0,\"{'NORM': 100.0}\",1,r/1\n2,50,0,\"{},1,r/2\n", head);
    EXPECT_ERR(open_bad_ptbxl("b4", db, NULL), "ptbxl_database.csv:3", "unterminated");
    snprintf(db, sizeof db, "%s1,50,0,\"{'NORM' 100.0}\",1,r/1\n", head);
    EXPECT_ERR(open_bad_ptbxl("b5", db, NULL), "ptbxl_database.csv:2", "scp_codes");
    snprintf(db, sizeof db, "%s1,50,0,\"{'NORM': high}\",1,r/1\n", head);
    EXPECT_ERR(open_bad_ptbxl("b6", db, NULL), "ptbxl_database.csv:2", "scp_codes");
    snprintf(db, sizeof db, "%s1,50,0,\"{}\",1\n", head);
    EXPECT_ERR(open_bad_ptbxl("b7", db, NULL), "ptbxl_database.csv:2", "5 fields");
    snprintf(db, sizeof db, "%s1,50,2,\"{}\",1,r/1\n", head);
    EXPECT_ERR(open_bad_ptbxl("b8", db, NULL), "ptbxl_database.csv:2", "'sex'");
    snprintf(db, sizeof db, "%s1,50,0,\"{}\"x,1,r/1\n", head);
    EXPECT_ERR(open_bad_ptbxl("b9", db, NULL), "ptbxl_database.csv:2", "closing quote");
    snprintf(db, sizeof db, "%s1,50,0,\"{}\",1,r/1\n", head);
    EXPECT_ERR(open_bad_ptbxl("b10", db, ",diagnostic,form,rhythm,diagnostic_class\nNORM,1.0,,,NORM\n"),
               "scp_statements.csv:1", "diagnostic_subclass");
    EXPECT_ERR(open_bad_ptbxl("b11", db,
                              ",diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\nNORM,yes,,,NORM,NORM\n"),
               "scp_statements.csv:2", "'diagnostic'", "yes");
    EXPECT_ERR(open_bad_ptbxl("b12", "", NULL), "ptbxl_database.csv", "empty");

    /* labels.csv */
    char dir[1024];
    ecgx_dataset *ds = NULL;
    make_dir(dir, sizeof dir, "l1");
    write_file(dir, "labels.csv", "id,split,NORM\n1,train,1\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:1", "filename");
    write_file(dir, "labels.csv", "id,split,filename,NORM,MI\n1,train,r/1,1,0\n2,train,r/2,2,0\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:3", "'NORM'", "'2'");
    write_file(dir, "labels.csv", "id,split,filename,NORM\n1,training,r/1,1\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:2", "'split'", "training");
    write_file(dir, "labels.csv", "id,split,filename,NORM\n1,train,r/1,\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:2", "'NORM'");
    write_file(dir, "labels.csv", "id,split,filename,age,NORM\n1,train,r/1,-3,1\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:2", "'age'");
    write_file(dir, "labels.csv", "id,split,filename,NORM\n1,train,../../etc/passwd,1\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:2", "path");
    write_file(dir, "labels.csv", "id,split,filename\n1,train,r/1\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:1", "no class");
    write_file(dir, "labels.csv", "id,split,filename,A,A\n1,train,r/1,1,0\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:1", "twice");
    write_file(dir, "labels.csv", "id,split,filename,NORM\n\"1,train,r/1,1\n");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "labels.csv:2", "unterminated");
    CHECK(ds == NULL);

    /* a folder that is none of the kinds */
    make_dir(dir, sizeof dir, "empty");
    EXPECT_ERR(ecgx_dataset_open(dir, NULL, &ds), "empty", "no ptbxl_database.csv");
}

int main(void)
{
    snprintf(root, sizeof root, "%s", test_tmpdir());
    make_ptbxl();
    make_labels_folders();
    RUN(test_ptbxl_label_sets);
    RUN(test_ptbxl_metadata);
    RUN(test_labels_csv);
    RUN(test_combined);
    RUN(test_challenge);
    RUN(test_snomed_table);
    RUN(test_bad_csv);
    return check_finish();
}
