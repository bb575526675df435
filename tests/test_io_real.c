/* io on the real data in ../shared/data: every record of every set reads,
 * with checksums that agree, and sample values that match an independent
 * decoding of the file bytes done here in the test (not through src/io). */
#include "check.h"
#include "ecgx/io.h"
#include "ecgx/progress.h"
#include "ecgx/record.h"
#include "io/io_internal.h"

#include <dirent.h>
#include <stdint.h>

static const char *data_dir;

/* ---- a tiny independent reader of the bits the tests need ---- */
typedef struct hsig { double gain; int baseline; char units[32]; } hsig;

/* Gains and baselines from a header, parsed with sscanf: "file fmt gain(base)/units ...". */
static int read_gains(const char *hea, hsig *s, int max, int *nsig, long *nsamp)
{
    size_t n;
    char *text = (char *)test_slurp(hea, &n);
    if (!text) return -1;
    int k = -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        if (k < 0) {
            char name[64];
            double fs;
            if (sscanf(line, "%63s %d %lf %ld", name, nsig, &fs, nsamp) != 4) { free(text); return -1; }
            k = 0;
            continue;
        }
        if (k >= max || k >= *nsig) break;
        char file[128], fmt[32], g[64];
        int res = 0, zero = 0;
        if (sscanf(line, "%127s %31s %63s %d %d", file, fmt, g, &res, &zero) < 3) { free(text); return -1; }
        s[k].baseline = zero; /* WFDB: no "(baseline)" means baseline = adc zero */
        strcpy(s[k].units, "mV");
        char *paren = strchr(g, '('), *slash = strchr(g, '/');
        if (slash) { snprintf(s[k].units, sizeof s[k].units, "%s", slash + 1); *slash = 0; }
        if (paren) s[k].baseline = atoi(paren + 1);
        s[k].gain = atof(g);
        k++;
    }
    free(text);
    return k == *nsig ? 0 : -1;
}

static int16_t le16(const unsigned char *p) { return (int16_t)(uint16_t)(p[0] | p[1] << 8); }

/* Compare a format-16 record with its .dat decoded by hand. */
static void check_fmt16_record(const char *base)
{
    char hea[4096], dat[4096];
    snprintf(hea, sizeof hea, "%s.hea", base);
    snprintf(dat, sizeof dat, "%s.dat", base);
    hsig s[16];
    int nsig;
    long nsamp;
    CHECK_MSG(read_gains(hea, s, 16, &nsig, &nsamp) == 0, "%s", hea);
    size_t n;
    unsigned char *b = (unsigned char *)test_slurp(dat, &n);
    CHECK_MSG(b && n == (size_t)nsig * (size_t)nsamp * 2, "%s: %zu bytes", dat, n);
    ecgx_record *rec = NULL;
    CHECK_OK(ecgx_record_read(base, &rec));
    if (b && rec && n == (size_t)nsig * (size_t)nsamp * 2) {
        CHECK(rec->n_leads == nsig && rec->n_samples == nsamp);
        int bad = 0;
        for (long t = 0; t < nsamp; t++)
            for (int l = 0; l < nsig; l++) {
                int v = le16(b + 2 * ((size_t)t * (size_t)nsig + (size_t)l));
                float want = (float)((v - s[l].baseline) / s[l].gain);
                if (v == -32768) bad += !isnan(ecgx_record_lead(rec, l)[t]);
                else bad += ecgx_record_lead(rec, l)[t] != want;
            }
        CHECK_MSG(bad == 0, "%s: %d samples differ from the hand decoding", base, bad);
    }
    free(b);
    ecgx_record_free(rec);
}

static void test_ptbxl_values(void)
{
    char buf[4096], base[4096];
    require_shared_data("ptbxl", buf, sizeof buf);
    const char *recs[] = {"records100/00000/00001_lr", "records100/00000/00317_lr", "records500/00000/00001_hr",
                          "records500/00000/00317_hr"};
    for (size_t i = 0; i < sizeof recs / sizeof *recs; i++) {
        snprintf(base, sizeof base, "%s/ptbxl/%s", data_dir, recs[i]);
        char hea[4200];
        snprintf(hea, sizeof hea, "%s.hea", base);
        if (access(hea, R_OK) != 0) continue; /* not every ecg_id is in this subset */
        check_fmt16_record(base);
    }
    /* PTB-XL 00317_lr: header line 1 is "00317_lr.dat 16 1000.0(0)/mV 16 0 -19 62138 0 I" */
    snprintf(base, sizeof base, "%s/ptbxl/records100/00000/00317_lr", data_dir);
    ecgx_record *rec = NULL;
    ecgx_read_info info;
    CHECK_OK(ecgx_record_read_ex(base, 0, &rec, &info));
    if (rec) {
        CHECK(rec->n_leads == 12 && rec->n_samples == 1000 && rec->fs == 100);
        CHECK(strcmp(rec->name, "00317_lr") == 0);
        CHECK(strcmp(rec->leads[0].name, "I") == 0 && strcmp(rec->leads[0].units, "mV") == 0);
        CHECK(rec->leads[3].std_index == ECGX_LEAD_AVR);
        CHECK_NEAR(ecgx_record_lead(rec, 0)[0], -0.019, 1e-7); /* the header's initial value, -19 / 1000 */
        CHECK(strcmp(info.format, "wfdb") == 0 && info.signal_format == 16 && info.checksum_mismatches == 0);
        CHECK(rec->age < 0 && rec->sex == ECGX_SEX_UNKNOWN && rec->n_labels == 0);
    }
    ecgx_record_free(rec);
}

static void test_ptbxl_filtered_values(void)
{
    char buf[4096], base[4096];
    require_shared_data("ptbxl-filtered", buf, sizeof buf);
    snprintf(base, sizeof base, "%s/ptbxl-filtered/records100/00000/00607_lr", data_dir);
    check_fmt16_record(base);
    ecgx_record *rec = NULL;
    CHECK_OK(ecgx_record_read(base, &rec));
    if (rec) CHECK(strcmp(rec->leads[0].units, "z") == 0); /* kept as written, not rescaled */
    ecgx_record_free(rec);
}

static void test_ludb_values(void)
{
    char buf[4096], base[4096];
    require_shared_data("ludb", buf, sizeof buf);
    for (int r = 1; r <= 100; r += 33) {
        snprintf(base, sizeof base, "%s/ludb/data/%d", data_dir, r);
        check_fmt16_record(base); /* gains like 1716 and baselines like (6) */
    }
    snprintf(base, sizeof base, "%s/ludb/data/1", data_dir);
    ecgx_record *rec = NULL;
    CHECK_OK(ecgx_record_read(base, &rec));
    if (rec) {
        CHECK(rec->age == 51 && rec->sex == ECGX_SEX_FEMALE); /* "#<age>: 51", "#<sex>: F" */
        CHECK(rec->leads[6].std_index == ECGX_LEAD_V1);
    }
    ecgx_record_free(rec);
}

/* MIT-BIH 212: two 12-bit samples in three bytes, decoded here by hand. */
static void test_mitdb_values(void)
{
    char buf[4096], base[4096], dat[4200], hea[4200];
    require_shared_data("mitdb", buf, sizeof buf);
    const char *recs[] = {"101", "207", "230"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(base, sizeof base, "%s/mitdb/%s", data_dir, recs[i]);
        snprintf(dat, sizeof dat, "%s.dat", base);
        snprintf(hea, sizeof hea, "%s.hea", base);
        hsig s[2];
        int nsig;
        long nsamp;
        CHECK(read_gains(hea, s, 2, &nsig, &nsamp) == 0 && nsig == 2 && nsamp == 650000);
        size_t n;
        unsigned char *b = (unsigned char *)test_slurp(dat, &n);
        ecgx_record *rec = NULL;
        ecgx_read_info info;
        CHECK_OK(ecgx_record_read_ex(base, 0, &rec, &info));
        CHECK(b && n >= 3 * 650000);
        if (!b || !rec || n < 3 * 650000) { free(b); ecgx_record_free(rec); continue; }
        CHECK(info.signal_format == 212 && info.checksum_mismatches == 0);
        if (i == 0) CHECK(rec->age == 75 && rec->sex == ECGX_SEX_FEMALE); /* 101.hea: "# 75 F 1011 654 x1" */
        CHECK(rec->n_leads == 2 && rec->fs == 360 && rec->n_samples == 650000);
        int bad = 0;
        for (long t = 0; t < 650000; t++) {
            const unsigned char *p = b + 3 * t;
            int v0 = p[0] | (p[1] & 0x0f) << 8, v1 = p[2] | (p[1] & 0xf0) << 4;
            if (v0 >= 2048) v0 -= 4096;
            if (v1 >= 2048) v1 -= 4096;
            bad += ecgx_record_lead(rec, 0)[t] != (float)((v0 - s[0].baseline) / s[0].gain);
            bad += ecgx_record_lead(rec, 1)[t] != (float)((v1 - s[1].baseline) / s[1].gain);
        }
        CHECK_MSG(bad == 0, "%s: %d samples differ from the hand decoding", base, bad);
        free(b);
        ecgx_record_free(rec);
    }
}

/* Challenge .mat: 'val' is 12 x N int16, column-major, data at byte 24. */
static void check_mat_record(const char *base)
{
    char hea[4096], mat[4096];
    snprintf(hea, sizeof hea, "%s.hea", base);
    snprintf(mat, sizeof mat, "%s.mat", base);
    hsig s[12];
    int nsig;
    long nsamp;
    CHECK_MSG(read_gains(hea, s, 12, &nsig, &nsamp) == 0, "%s", hea);
    size_t n;
    unsigned char *b = (unsigned char *)test_slurp(mat, &n);
    ecgx_record *rec = NULL;
    ecgx_read_info info;
    CHECK_OK(ecgx_record_read_ex(base, 0, &rec, &info));
    if (!b || !rec) { free(b); ecgx_record_free(rec); return; }
    int32_t head[5];
    memcpy(head, b, sizeof head); /* little-endian host */
    CHECK_MSG(head[0] == 30 && head[1] == nsig && head[2] == nsamp && head[3] == 0 && head[4] == 4 &&
              strcmp((char *)b + 20, "val") == 0, "%s: MAT header", mat);
    CHECK(n == 24 + (size_t)nsig * (size_t)nsamp * 2);
    CHECK(strcmp(info.format, "mat") == 0 && info.checksum_mismatches == 0);
    if (n == 24 + (size_t)nsig * (size_t)nsamp * 2 && rec->n_samples == nsamp && rec->n_leads == nsig) {
        int bad = 0;
        for (long t = 0; t < nsamp; t++)
            for (int l = 0; l < nsig; l++) {
                int v = le16(b + 24 + 2 * ((size_t)t * (size_t)nsig + (size_t)l));
                bad += ecgx_record_lead(rec, l)[t] != (float)((v - s[l].baseline) / s[l].gain);
            }
        CHECK_MSG(bad == 0, "%s: %d samples differ", base, bad);
    }
    free(b);
    ecgx_record_free(rec);
}

static void test_cinc(void)
{
    char buf[4096], base[4096];
    require_shared_data("cinc", buf, sizeof buf);
    const char *recs[] = {"CPSC_CPSC-Extra/A0001", "ChapmanShaoxing_Ningbo/JS00001", "G12EC/E00001",
                          "PTB_PTBXL/HR00001", "PTB_PTBXL/S0001"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(base, sizeof base, "%s/cinc/%s", data_dir, recs[i]);
        check_mat_record(base);
    }
    ecgx_record *rec = NULL;
    snprintf(base, sizeof base, "%s/cinc/ChapmanShaoxing_Ningbo/JS00001.hea", data_dir);
    CHECK_OK(ecgx_record_read(base, &rec));
    if (rec) { /* #Age: 85, #Sex: Male, #Dx: 164889003,59118001,164934002 */
        CHECK(rec->age == 85 && rec->sex == ECGX_SEX_MALE && rec->n_labels == 3);
        CHECK(rec->n_labels == 3 && strcmp(rec->labels[0], "164889003") == 0 && strcmp(rec->labels[2], "164934002") == 0);
        CHECK(strcmp(rec->name, "JS00001") == 0);
    }
    ecgx_record_free(rec);
    snprintf(base, sizeof base, "%s/cinc/G12EC/E00001", data_dir);
    CHECK_OK(ecgx_record_read(base, &rec)); /* "#Age: NaN" */
    if (rec) CHECK(rec->age < 0 && rec->sex == ECGX_SEX_FEMALE);
    ecgx_record_free(rec);
    snprintf(base, sizeof base, "%s/cinc/PTB_PTBXL/HR00001", data_dir);
    CHECK_OK(ecgx_record_read(base, &rec)); /* "1000/mv" */
    if (rec) CHECK(strcmp(rec->leads[0].units, "mV") == 0);
    ecgx_record_free(rec);
}

/* ---- every record of every set ---- */
typedef struct tally { int headers, ok, mismatches, value_checked; } tally;

static void read_all_in(const char *dir, int depth, int leads, tally *t)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (depth > 0 && e->d_type == DT_DIR) { read_all_in(path, depth - 1, leads, t); continue; }
        if (n < 5 || strcmp(e->d_name + n - 4, ".hea") != 0) continue;
        t->headers++;
        ecgx_record *rec = NULL;
        ecgx_read_info info;
        int rc = ecgx_record_read_ex(path, 0, &rec, &info);
        CHECK_MSG(rc == 0, "%s: %s", path, ecgx_last_error());
        if (rc == 0) {
            CHECK_MSG(rec->n_leads == leads && rec->n_samples > 0, "%s: %d leads", path, rec->n_leads);
            CHECK_MSG(info.checksum_mismatches == 0, "%s: %s", path, info.warning);
            t->mismatches += info.checksum_mismatches;
            t->ok++;
            /* every 25th record: values against the hand decoding */
            if (t->headers % 25 == 0 && info.signal_format == 16) {
                path[strlen(path) - 4] = '\0';
                if (strcmp(info.format, "mat") == 0) check_mat_record(path);
                else check_fmt16_record(path);
                t->value_checked++;
            }
        }
        ecgx_record_free(rec);
    }
    closedir(d);
}

static void test_read_everything(void)
{
    char buf[4096];
    require_shared_data("", buf, sizeof buf);
    struct { const char *sub; int depth, leads, expect; } sets[] = {
        {"ptbxl/records100", 1, 12, 434}, {"ptbxl/records500", 1, 12, 434},
        {"ptbxl-filtered/records100", 1, 12, 1598}, {"ludb/data", 0, 12, 100},
        {"mitdb", 0, 2, 22}, {"cinc", 1, 12, 63},
    };
    double t0 = ecgx_now();
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", data_dir, sets[i].sub);
        tally t = {0};
        read_all_in(dir, sets[i].depth, sets[i].leads, &t);
        /* the README's counts; a later copy with more records still passes */
        CHECK_MSG(t.ok == t.headers && t.headers >= sets[i].expect, "%s: %d of %d headers read, expected %d",
                  sets[i].sub, t.ok, t.headers, sets[i].expect);
        fprintf(stderr, "    %-28s %5d records read, %d value-checked\n", sets[i].sub, t.ok, t.value_checked);
    }
    fprintf(stderr, "    all records in %.2f s\n", ecgx_now() - t0);
}

int main(void)
{
    data_dir = shared_data_dir();
    if (!data_dir) SKIP("../shared/data is absent (set ECGX_DATA to the real-data folder)");
    RUN(test_ptbxl_values);
    RUN(test_ptbxl_filtered_values);
    RUN(test_ludb_values);
    RUN(test_mitdb_values);
    RUN(test_cinc);
    RUN(test_read_everything);
    return check_finish();
}
