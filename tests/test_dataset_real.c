/* Dataset indexing on the shared real data (skipped when ../shared/data is
 * absent): PTB-XL's benchmark label sets against an independent Python
 * reference (csv + ast.literal_eval, the benchmark's aggregation written
 * again), the labels.csv form of ptbxl-filtered against a count done here,
 * the Challenge folder's #Dx lines against a plain scan of the headers, and
 * the combination of PTB-XL and ptbxl-filtered. */
#include "dataset_test.h"

#include <dirent.h>

static char ptbxl[8192], filtered[8192], cinc[8192];

/* The benchmark's compute_label_aggregations, for every row whose 100 Hz
 * record is present; prints "set<TAB>ecg_id<TAB>sorted,labels". */
static const char *reference_py =
    "import ast, csv, os, sys\n"
    "d = sys.argv[1]\n"
    "st = {}\n"
    "with open(os.path.join(d, 'scp_statements.csv'), newline='') as f:\n"
    "    r = csv.reader(f); h = next(r)\n"
    "    for row in r: st[row[0]] = dict(zip(h, row))\n"
    "def one(v): return v != '' and float(v) == 1.0\n"
    "with open(os.path.join(d, 'ptbxl_database.csv'), newline='') as f:\n"
    "    for row in csv.DictReader(f):\n"
    "        if not os.path.exists(os.path.join(d, row['filename_lr'] + '.hea')): continue\n"
    "        codes = ast.literal_eval(row['scp_codes'])\n"
    "        diag = [k for k in codes if k in st and one(st[k]['diagnostic'])]\n"
    "        sets = {\n"
    "            'all': set(codes),\n"
    "            'diagnostic': set(diag),\n"
    "            'subdiagnostic': {st[k]['diagnostic_subclass'] for k in diag if st[k]['diagnostic_subclass']},\n"
    "            'superdiagnostic': {st[k]['diagnostic_class'] for k in diag if st[k]['diagnostic_class']},\n"
    "            'form': {k for k in codes if k in st and one(st[k]['form'])},\n"
    "            'rhythm': {k for k in codes if k in st and one(st[k]['rhythm'])},\n"
    "        }\n"
    "        for s, v in sets.items(): print(s, row['ecg_id'], ','.join(sorted(v)), sep='\\t')\n";

typedef struct ref_row {
    char set[32], id[32], labels[512];
} ref_row;

static ref_row *ref;
static int n_ref;

static int load_reference(void)
{
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char script[1024], cmd[16384];
    snprintf(script, sizeof script, "%s/ref.py", test_tmpdir());
    FILE *fp = fopen(script, "w");
    if (!fp) return -1;
    fputs(reference_py, fp);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "%s %s %s", py, script, ptbxl);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[1024];
    int cap = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2) continue;
        *t1 = *t2 = '\0';
        if (n_ref == cap) {
            cap = cap ? 2 * cap : 1024;
            ref = realloc(ref, (size_t)cap * sizeof *ref);
        }
        snprintf(ref[n_ref].set, sizeof ref[n_ref].set, "%.31s", line);
        snprintf(ref[n_ref].id, sizeof ref[n_ref].id, "%.31s", t1 + 1);
        snprintf(ref[n_ref].labels, sizeof ref[n_ref].labels, "%.511s", t2 + 1);
        n_ref++;
    }
    return pclose(p) == 0 && n_ref > 0 ? 0 : -1;
}

static void record_labels(const ecgx_dataset *ds, int i, char *out, size_t n)
{
    float y[256];
    out[0] = '\0';
    ecgx_dataset_labels(ds, i, y);
    for (int c = 0; c < ecgx_dataset_n_classes(ds); c++)
        if (y[c] == 1.0f) {
            size_t len = strlen(out);
            snprintf(out + len, n - len, "%s%s", len ? "," : "", ecgx_dataset_class_name(ds, c));
        }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_ptbxl_sets(void)
{
    if (load_reference() != 0) {
        fprintf(stderr, "  (python3 reference unavailable: PTB-XL label sets checked by hand only)\n");
    }
    static const char *const sets[] = {"all", "diagnostic", "subdiagnostic", "superdiagnostic", "form", "rhythm"};
    for (size_t s = 0; s < sizeof sets / sizeof *sets && n_ref; s++) {
        ecgx_dataset *ds = test_open_dataset(ptbxl, sets[s], 1);
        if (!ds) continue;
        int n_rows = 0, n_labelled = 0, mismatches = 0;
        /* the union of the reference's labels: the classes of the set */
        char *names[4096];
        int n_names = 0;
        for (int r = 0; r < n_ref; r++) {
            if (strcmp(ref[r].set, sets[s])) continue;
            n_rows++;
            n_labelled += ref[r].labels[0] != '\0';
            char buf[512];
            snprintf(buf, sizeof buf, "%s", ref[r].labels);
            char *save = NULL;
            for (char *t = strtok_r(buf, ",", &save); t && n_names < 4096; t = strtok_r(NULL, ",", &save)) {
                int seen = 0;
                for (int k = 0; k < n_names && !seen; k++) seen = !strcmp(names[k], t);
                if (!seen) names[n_names++] = strdup(t);
            }
        }
        qsort(names, (size_t)n_names, sizeof *names, cmp_str);
        CHECK_MSG(ecgx_dataset_size(ds) == n_rows, "%s: %d records, reference %d", sets[s], ecgx_dataset_size(ds),
                  n_rows);
        for (int i = 0; i < ecgx_dataset_size(ds); i++) {
            ecgx_dataset_entry e;
            ecgx_dataset_record_info(ds, i, &e);
            char got[1024];
            record_labels(ds, i, got, sizeof got);
            int found = 0;
            for (int r = 0; r < n_ref && !found; r++)
                if (!strcmp(ref[r].set, sets[s]) && !strcmp(ref[r].id, e.id)) {
                    found = 1;
                    if (strcmp(ref[r].labels, got)) {
                        if (mismatches++ < 5)
                            fprintf(stderr, "  %s ecg_id %s: ecgx '%s', reference '%s'\n", sets[s], e.id, got,
                                    ref[r].labels);
                    }
                }
            CHECK_MSG(found, "%s: ecg_id %s not in the reference", sets[s], e.id);
        }
        CHECK_MSG(mismatches == 0, "%s: %d label vectors differ from the reference", sets[s], mismatches);
        ecgx_dataset_free(ds);

        /* as the benchmark selects: records with at least one label, classes sorted */
        ds = test_open_dataset(ptbxl, sets[s], 0);
        if (ds) {
            CHECK_MSG(ecgx_dataset_size(ds) == n_labelled, "%s: %d labelled, reference %d", sets[s],
                      ecgx_dataset_size(ds), n_labelled);
            CHECK_MSG(ecgx_dataset_n_classes(ds) == n_names, "%s: %d classes, reference %d", sets[s],
                      ecgx_dataset_n_classes(ds), n_names);
            for (int c = 0; c < n_names && c < ecgx_dataset_n_classes(ds); c++)
                CHECK_MSG(!strcmp(names[c], ecgx_dataset_class_name(ds, c)), "%s class %d: %s vs %s", sets[s], c,
                          ecgx_dataset_class_name(ds, c), names[c]);
            fprintf(stderr, "  %-16s %3d records with labels, %2d classes\n", sets[s], ecgx_dataset_size(ds),
                    ecgx_dataset_n_classes(ds));
            ecgx_dataset_free(ds);
        }
        for (int k = 0; k < n_names; k++) free(names[k]);
    }
    free(ref);

    /* by hand, from the CSV text: ecg_id 1 is "{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}", male 0 / female 1 */
    ecgx_dataset *ds = test_open_dataset(ptbxl, "all", 0);
    if (ds) {
        ecgx_dataset_entry e;
        char got[512];
        CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
        CHECK(!strcmp(e.id, "1") && e.age == 56 && e.sex == ECGX_SEX_FEMALE && e.fold == 3);
        record_labels(ds, 0, got, sizeof got);
        CHECK_MSG(!strcmp(got, "LVOLT,NORM,SR"), "%s", got);
        CHECK_OK(ecgx_dataset_record_info(ds, 1, &e));
        CHECK(!strcmp(e.id, "2") && e.age == 19 && e.sex == ECGX_SEX_MALE && e.fold == 2);
        record_labels(ds, 1, got, sizeof got);
        CHECK_MSG(!strcmp(got, "NORM,SBRAD"), "%s", got);
        ecgx_dataset_free(ds);
    }
    ds = test_open_dataset(ptbxl, "superdiagnostic", 0);
    if (ds) {
        char got[512];
        record_labels(ds, 0, got, sizeof got);
        CHECK(!strcmp(got, "NORM"));
        int *idx, n;
        CHECK_OK(ecgx_dataset_split(ds, "fold:9", &idx, &n));
        int val_n;
        int *val;
        CHECK_OK(ecgx_dataset_split(ds, "val", &val, &val_n));
        CHECK(n == val_n && n > 0);
        free(idx);
        free(val);
        CHECK_OK(ecgx_dataset_split(ds, "test", &idx, &n));
        CHECK(n == 0); /* fold 10 is not in the shared copy */
        free(idx);
        ecgx_dataset_free(ds);
    }
}

static void test_filtered_counts(void)
{
    /* count positives per class and split straight from the file */
    char path[8300];
    snprintf(path, sizeof path, "%s/labels.csv", filtered);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    if (!fp) return;
    char line[1024], cols[16][32];
    int n_cols = 0, counts[16][3] = {{0}}, rows = 0, split_col = -1, missing = 0;
    if (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *save = NULL;
        for (char *t = strtok_r(line, ",", &save); t && n_cols < 16; t = strtok_r(NULL, ",", &save)) {
            snprintf(cols[n_cols], sizeof cols[n_cols], "%s", t);
            if (!strcmp(t, "split")) split_col = n_cols;
            n_cols++;
        }
    }
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *f[16];
        int k = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, ",", &save); t && k < 16; t = strtok_r(NULL, ",", &save)) f[k++] = t;
        if (k != n_cols) continue;
        char hea[9300];
        snprintf(hea, sizeof hea, "%s/%s.hea", filtered, f[2]);
        if (access(hea, R_OK) != 0) { missing++; continue; }
        int sp = !strcmp(f[split_col], "train") ? 0 : !strcmp(f[split_col], "val") ? 1 : 2;
        for (int c = 3; c < n_cols; c++) counts[c][sp] += !strcmp(f[c], "1");
        rows++;
    }
    fclose(fp);
    ecgx_dataset *ds = test_open_dataset(filtered, NULL, 1);
    if (!ds) return;
    CHECK(ecgx_dataset_size(ds) == rows);
    CHECK(!strcmp(ecgx_dataset_label_set(ds), "superdiagnostic"));
    ecgx_dataset_source si;
    CHECK_OK(ecgx_dataset_source_info(ds, 0, &si));
    CHECK(!strcmp(si.unit, "z") && si.n_missing == missing);
    int got[16][3] = {{0}};
    float y[16];
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        ecgx_dataset_entry e;
        ecgx_dataset_record_info(ds, i, &e);
        ecgx_dataset_labels(ds, i, y);
        for (int c = 0; c < ecgx_dataset_n_classes(ds); c++) got[c][e.split] += y[c] == 1.0f;
    }
    CHECK(ecgx_dataset_n_classes(ds) == n_cols - 3);
    for (int c = 3; c < n_cols; c++) {
        int dc = -1;
        for (int k = 0; k < ecgx_dataset_n_classes(ds); k++)
            if (!strcmp(ecgx_dataset_class_name(ds, k), cols[c])) dc = k;
        CHECK_MSG(dc >= 0, "class %s missing", cols[c]);
        if (dc < 0) continue;
        for (int s = 0; s < 3; s++)
            CHECK_MSG(got[dc][s] == counts[c][s], "%s split %d: %d vs %d", cols[c], s, got[dc][s], counts[c][s]);
        fprintf(stderr, "  %-5s train %4d val %4d\n", cols[c], got[dc][0], got[dc][1]);
    }
    ecgx_dataset_free(ds);
}

static void test_challenge_dx(void)
{
    ecgx_dataset *ds = test_open_dataset(cinc, NULL, 1);
    if (!ds) return;
    int checked = 0;
    for (int i = 0; i < ecgx_dataset_size(ds); i++) {
        ecgx_dataset_entry e;
        ecgx_dataset_record_info(ds, i, &e);
        char hea[4096], line[1024], want[512] = "";
        snprintf(hea, sizeof hea, "%s.hea", e.path);
        FILE *fp = fopen(hea, "r");
        CHECK(fp != NULL);
        if (!fp) continue;
        while (fgets(line, sizeof line, fp))
            if (!strncmp(line, "#Dx:", 4) || !strncmp(line, "# Dx:", 5)) {
                char *v = strchr(line, ':') + 1;
                while (*v == ' ') v++;
                v[strcspn(v, "\r\n")] = '\0';
                snprintf(want, sizeof want, "%s", v);
            }
        fclose(fp);
        /* the header's codes, sorted as strings, equal the label vector */
        char *codes[64];
        int n = 0;
        char *save = NULL;
        for (char *t = strtok_r(want, ",", &save); t && n < 64; t = strtok_r(NULL, ",", &save)) codes[n++] = t;
        qsort(codes, (size_t)n, sizeof *codes, cmp_str);
        char joined[512] = "", got[512];
        for (int k = 0; k < n; k++)
            if (k == 0 || strcmp(codes[k], codes[k - 1]))
                snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", k ? "," : "", codes[k]);
        record_labels(ds, i, got, sizeof got);
        CHECK_MSG(!strcmp(got, joined), "%s: %s vs %s", e.id, got, joined);
        checked++;
    }
    /* every header in the folder tree is a record */
    int n_hea = 0;
    DIR *d = opendir(cinc);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char sub[9000];
        snprintf(sub, sizeof sub, "%s/%s", cinc, de->d_name);
        DIR *s = opendir(sub);
        struct dirent *se;
        while (s && (se = readdir(s))) n_hea += strstr(se->d_name, ".hea") != NULL;
        if (s) closedir(s);
        n_hea += strstr(de->d_name, ".hea") != NULL;
    }
    if (d) closedir(d);
    CHECK_MSG(checked == n_hea, "%d records, %d headers", checked, n_hea);
    /* every code of this sample has a name in the table */
    int unknown = 0;
    for (int c = 0; c < ecgx_dataset_n_classes(ds); c++) unknown += !ecgx_snomed_lookup(ecgx_dataset_class_name(ds, c));
    CHECK(unknown == 0);
    ecgx_dataset_free(ds);
}

static void test_combined(void)
{
    char dirs[16800];
    snprintf(dirs, sizeof dirs, "%s,%s", ptbxl, filtered);
    ecgx_dataset *a = test_open_dataset(ptbxl, "superdiagnostic", 0), *b = test_open_dataset(filtered, "superdiagnostic", 0);
    ecgx_dataset *ds = test_open_dataset(dirs, "superdiagnostic", 0);
    if (a && b && ds) {
        CHECK(ecgx_dataset_size(ds) == ecgx_dataset_size(a) + ecgx_dataset_size(b));
        CHECK(ecgx_dataset_n_classes(ds) == 5);
        static const char *const want[] = {"CD", "HYP", "MI", "NORM", "STTC"};
        for (int c = 0; c < 5; c++) CHECK(!strcmp(ecgx_dataset_class_name(ds, c), want[c]));
        ecgx_dataset_entry e;
        CHECK_OK(ecgx_dataset_record_info(ds, 0, &e));
        CHECK(e.source == 0 && !strcmp(e.unit, "mV"));
        CHECK_OK(ecgx_dataset_record_info(ds, ecgx_dataset_size(ds) - 1, &e));
        CHECK(e.source == 1 && !strcmp(e.unit, "z"));
    }
    ecgx_dataset_free(a);
    ecgx_dataset_free(b);
    ecgx_dataset_free(ds);
}

int main(void)
{
    require_shared_data("ptbxl", ptbxl, sizeof ptbxl);
    require_shared_data("ptbxl-filtered", filtered, sizeof filtered);
    require_shared_data("cinc", cinc, sizeof cinc);
    RUN(test_ptbxl_sets);
    RUN(test_filtered_counts);
    RUN(test_challenge_dx);
    RUN(test_combined);
    return check_finish();
}
