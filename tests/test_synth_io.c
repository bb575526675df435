/* Synthetic records on disk: the WFDB record, the LUDB-style fiducial
 * annotations, the truth JSON and labelled data sets read back and agree
 * with what the generator made; files are byte-identical for a seed. */
#include "check.h"
#include "ecgx/dataset.h"
#include "ecgx/io.h"
#include "ecgx/outfile.h"
#include "ecgx/synth.h"

#include <cjson/cJSON.h>
#include <sys/wait.h>

/* The annotations must be "(" sym ")" triplets matching the beats' waves. */
static int annotations_match(const ecgx_annotations *a, const ecgx_beat *beats, int n_beats, size_t stride)
{
    int k = 0;
    for (int i = 0; i < n_beats; i++) {
        const ecgx_beat *b = &beats[(size_t)i * stride];
        for (int w = 0; w < ECGX_N_WAVES; w++) {
            const ecgx_wave *x = &b->wave[w];
            if (x->onset < 0) continue;
            if (k + 3 > a->n) return 0;
            const char *want = w == ECGX_WAVE_P ? "p" : w == ECGX_WAVE_T ? "t" : b->type == 'V' ? "V" : "N";
            if (strcmp(ecgx_annot_symbol(a->items[k].code), "(") || a->items[k].sample != x->onset) return 0;
            if (strcmp(ecgx_annot_symbol(a->items[k + 1].code), want) || a->items[k + 1].sample != x->peak) return 0;
            if (strcmp(ecgx_annot_symbol(a->items[k + 2].code), ")") || a->items[k + 2].sample != x->offset) return 0;
            k += 3;
        }
    }
    return k == a->n;
}

static void test_record_roundtrip(void)
{
    char base[512];
    snprintf(base, sizeof base, "%s/rec1", test_tmpdir());
    ecgx_synth_options o = ecgx_synth_options_default();
    ecgx_synth_conditions_parse("pvc,std", &o.conditions);
    o.seed = 123;
    o.emg_rms = 0.02;
    ecgx_record *gen = NULL, *back = NULL;
    ecgx_fiducials *fid = NULL;
    CHECK_OK(ecgx_synth_write(base, &o, 1, &gen, &fid));
    if (!gen) return;
    CHECK_OK(ecgx_record_read(base, &back));
    if (back) {
        CHECK(back->n_leads == 12 && back->n_samples == gen->n_samples && back->fs == 500);
        CHECK(ecgx_record_has_label(back, "pvc") && ecgx_record_has_label(back, "std"));
        CHECK(strcmp(back->leads[ECGX_LEAD_AVF].name, "aVF") == 0);
        double worst = 0;
        for (int64_t s = 0; s < 12 * gen->n_samples; s++) worst = fmax(worst, fabs(back->data[s] - gen->data[s]));
        CHECK_MSG(worst <= 0.0005 + 1e-6, "format 16 round trip error %.6f mV", worst);
    }
    ecgx_record_free(back);

    ecgx_annotations *a = NULL;
    CHECK_OK(ecgx_annot_read(base, "fid", &a));
    if (a) CHECK(annotations_match(a, fid->beats, fid->n_beats, 1));
    ecgx_annotations_free(a);
    a = NULL;
    CHECK_OK(ecgx_annot_read(base, "v1", &a));
    if (a) CHECK(annotations_match(a, fid->per_lead + (size_t)ECGX_LEAD_V1 * fid->n_beats, fid->n_beats, 1));
    ecgx_annotations_free(a);

    /* the JSON sidecar: beats and evidence intervals agree with the library */
    char path[600];
    snprintf(path, sizeof path, "%s.truth.json", base);
    char *text = test_slurp(path, NULL);
    CHECK(text != NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    CHECK(j != NULL);
    if (j) {
        CHECK(cJSON_GetObjectItem(j, "seed")->valuedouble == 123);
        cJSON *beats = cJSON_GetObjectItem(j, "beats");
        CHECK(cJSON_GetArraySize(beats) == fid->n_beats);
        int n_v = 0;
        for (int i = 0; i < cJSON_GetArraySize(beats); i++) {
            cJSON *b = cJSON_GetArrayItem(beats, i);
            n_v += strcmp(cJSON_GetObjectItem(b, "type")->valuestring, "V") == 0;
            CHECK(cJSON_GetObjectItem(b, "r")->valuedouble == (double)fid->beats[i].r);
            cJSON *q = cJSON_GetObjectItem(b, "qrs");
            if (fid->beats[i].wave[ECGX_WAVE_QRS].onset >= 0)
                CHECK(cJSON_GetArrayItem(q, 0)->valuedouble == (double)fid->beats[i].wave[ECGX_WAVE_QRS].onset);
            else
                CHECK(cJSON_IsNull(q));
        }
        CHECK(n_v >= 1);
        ecgx_synth_options r;
        ecgx_synth_resolve(&o, &r);
        int64_t n = gen->n_samples;
        uint8_t *want = malloc(12 * (size_t)n), *got = calloc(12 * (size_t)n, 1);
        cJSON *ev = cJSON_GetObjectItem(j, "evidence");
        const int conds[2] = {ECGX_SYNTH_STD, ECGX_SYNTH_PVC};
        for (int c = 0; c < 2; c++) {
            ecgx_synth_evidence(&r, fid, n, ECGX_SYNTH_FLAG(conds[c]), want);
            memset(got, 0, 12 * (size_t)n);
            cJSON *iv = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, ecgx_synth_condition_name(conds[c])), "intervals");
            CHECK(iv != NULL);
            for (int l = 0; iv && l < 12; l++) {
                cJSON *runs = cJSON_GetObjectItem(iv, ecgx_lead_std_name(l)), *run;
                cJSON_ArrayForEach(run, runs) {
                    int64_t s0 = (int64_t)cJSON_GetArrayItem(run, 0)->valuedouble, s1 = (int64_t)cJSON_GetArrayItem(run, 1)->valuedouble;
                    for (int64_t s = s0; s < s1 && s < n; s++) got[(size_t)l * n + s] = 1;
                }
            }
            CHECK_MSG(memcmp(want, got, 12 * (size_t)n) == 0, "JSON evidence of %s differs from the mask",
                      ecgx_synth_condition_name(conds[c]));
        }
        free(want);
        free(got);
    }
    cJSON_Delete(j);
    free(text);
    ecgx_record_free(gen);
    ecgx_fiducials_free(fid);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void test_dataset(void)
{
    char d1[512], d2[512], path[700];
    snprintf(d1, sizeof d1, "%s/ds1", test_tmpdir());
    snprintf(d2, sizeof d2, "%s/ds2", test_tmpdir());
    ecgx_synth_dataset_options d;
    memset(&d, 0, sizeof d);
    d.n = 22;
    d.n_classes = 2;
    ecgx_synth_conditions_parse("normal", &d.classes[0]);
    ecgx_synth_conditions_parse("lbbb,avb1", &d.classes[1]);
    d.base = ecgx_synth_options_default();
    d.base.seed = 9;
    d.base.vary = 1;
    d.base.duration = 4;
    d.quiet = 1;
    CHECK_OK(ecgx_synth_write_dataset(d1, &d));
    CHECK_OK(ecgx_synth_write_dataset(d2, &d));
    snprintf(path, sizeof path, "%s/labels.csv", d1);
    size_t n1 = 0, n2 = 0;
    char *csv = test_slurp(path, &n1);
    CHECK(csv != NULL);
    if (!csv) return;
    CHECK(strncmp(csv, "record,split,filename,NORM,AVB1,LBBB\n", 37) == 0);
    CHECK(count_lines(csv) == 23);
    /* stratified 80/10/10: each class of 11 gives 9 train, 1 val, 1 test */
    int train[2] = {0, 0}, val[2] = {0, 0}, test[2] = {0, 0}, rows = 0;
    char *save = NULL, *copy = strdup(csv);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (rows++ == 0) continue;
        char rec[64], split[16], file[64];
        int norm, avb1, lbbb;
        if (sscanf(line, "%63[^,],%15[^,],%63[^,],%d,%d,%d", rec, split, file, &norm, &avb1, &lbbb) != 6) { CHECK(0); continue; }
        int cls = lbbb;
        CHECK(norm == !cls && avb1 == cls && strcmp(rec, file) == 0);
        train[cls] += strcmp(split, "train") == 0;
        val[cls] += strcmp(split, "val") == 0;
        test[cls] += strcmp(split, "test") == 0;
        /* the record's header names its conditions */
        char rp[700];
        snprintf(rp, sizeof rp, "%s/%s", d1, file);
        ecgx_record *r = NULL;
        CHECK_OK(ecgx_record_read(rp, &r));
        if (r) CHECK(ecgx_record_has_label(r, cls ? "lbbb" : "normal") && (!cls || ecgx_record_has_label(r, "avb1")));
        ecgx_record_free(r);
    }
    free(copy);
    for (int c = 0; c < 2; c++) CHECK_MSG(train[c] == 9 && val[c] == 1 && test[c] == 1, "class %d: %d/%d/%d", c, train[c], val[c], test[c]);
    /* same seed, same bytes */
    snprintf(path, sizeof path, "%s/labels.csv", d2);
    char *csv2 = test_slurp(path, &n2);
    CHECK(csv2 && n1 == n2 && memcmp(csv, csv2, n1) == 0);
    const char *files[3] = {"synth_00007.dat", "synth_00007.truth.json", "synth_00021.fid"};
    for (int k = 0; k < 3; k++) {
        char p1[700], p2[700];
        snprintf(p1, sizeof p1, "%s/%s", d1, files[k]);
        snprintf(p2, sizeof p2, "%s/%s", d2, files[k]);
        size_t a = 0, b = 0;
        char *x = test_slurp(p1, &a), *y = test_slurp(p2, &b);
        CHECK_MSG(x && y && a == b && memcmp(x, y, a) == 0, "%s differs between two runs", files[k]);
        free(x);
        free(y);
    }
    /* different records get different seeds */
    CHECK(ecgx_synth_dataset_seed(9, 0) != ecgx_synth_dataset_seed(9, 1));
    CHECK(ecgx_synth_dataset_seed(9, 0) < ((uint64_t)1 << 53));
    free(csv);
    free(csv2);
    /* the dataset module reads the set as written */
    ecgx_dataset *ds = NULL;
    CHECK_OK(ecgx_dataset_open(d1, NULL, &ds));
    if (ds) {
        CHECK(ecgx_dataset_size(ds) == 22 && ecgx_dataset_n_classes(ds) == 3);
        CHECK(strcmp(ecgx_dataset_class_name(ds, 0), "AVB1") == 0 && strcmp(ecgx_dataset_class_name(ds, 2), "NORM") == 0);
        int *idx = NULL, nt = 0;
        CHECK_OK(ecgx_dataset_split(ds, "train", &idx, &nt));
        CHECK(nt == 18);
        free(idx);
        float y[3];
        ecgx_dataset_entry e;
        CHECK_OK(ecgx_dataset_labels(ds, 1, y));
        CHECK_OK(ecgx_dataset_record_info(ds, 1, &e));
        CHECK(y[0] == 1 && y[1] == 1 && y[2] == 0 && strcmp(e.id, "synth_00001") == 0); /* odd records: lbbb+avb1 */
        ecgx_record *r = NULL;
        CHECK_OK(ecgx_dataset_load(ds, 1, &r));
        CHECK(r && r->n_leads == 12 && r->n_samples == 2000);
        ecgx_record_free(r);
    }
    ecgx_dataset_free(ds);
    /* a bad class is refused before anything is written */
    ecgx_synth_conditions_parse("af,avb1", &d.classes[1]);
    snprintf(path, sizeof path, "%s/ds3", test_tmpdir());
    CHECK(ecgx_synth_write_dataset(path, &d) < 0);
    struct stat st;
    CHECK(stat(path, &st) != 0);
}

static int run_cli(const char *args)
{
    const char *bin = getenv("ECGX_BIN");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s synth %s >/dev/null 2>&1", bin, args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli(void)
{
    const char *bin = getenv("ECGX_BIN");
    if (!bin || access(bin, X_OK) != 0) { fprintf(stderr, "  (ECGX_BIN not set: CLI checks skipped)\n"); return; }
    char args[1024], path[700];
    CHECK(run_cli("--help") == 0);
    CHECK(run_cli("") == 2);
    CHECK(run_cli("-o x --noise loud") == 2);
    CHECK(run_cli("-o x --condition nope") == 2);
    snprintf(args, sizeof args, "-o %s/c1 --condition af,avb1", test_tmpdir());
    CHECK(run_cli(args) == 1);
    snprintf(args, sizeof args, "-o %s/c2 --condition ste --leads V1,V2 --seed 4 --noise medium --per-lead --json", test_tmpdir());
    CHECK(run_cli(args) == 0);
    const char *ext[5] = {"hea", "dat", "fid", "avl", "truth.json"};
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "%s/c2.%s", test_tmpdir(), ext[k]);
        CHECK_MSG(access(path, R_OK) == 0, "%s missing", path);
    }
    snprintf(args, sizeof args, "-o %s/cds --n 6 --condition normal,rbbb --duration 3 --quiet", test_tmpdir());
    CHECK(run_cli(args) == 0);
    snprintf(path, sizeof path, "%s/cds/labels.csv", test_tmpdir());
    char *csv = test_slurp(path, NULL);
    CHECK(csv && count_lines(csv) == 7 && strncmp(csv, "record,split,filename,NORM,RBBB\n", 32) == 0);
    free(csv);
}

int main(void)
{
    RUN(test_record_roundtrip);
    RUN(test_dataset);
    RUN(test_cli);
    return check_finish();
}
