/* CSV reading/writing and the WFDB writer: WFDB -> CSV -> WFDB keeps every
 * adc value of a format-16 record; CSV keeps every float; malformed CSV
 * fails with the line and column named. */
#include "check.h"
#include "ecgx/io.h"
#include "io/io_internal.h"

#include <stdint.h>

static char dir[4096];

static const char *tmp(const char *name)
{
    static char p[4][8192];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(tmp(name), "wb");
    if (!f) { perror(name); exit(1); }
    fputs(text, f);
    fclose(f);
}

/* PTB-XL (gain 1000, baseline 0, format 16): the .dat ecgx writes after a
 * trip through CSV has the original bytes. */
static void test_wfdb_csv_wfdb(void)
{
    const char *d = shared_data_dir();
    if (!d) { fprintf(stderr, "    (../shared/data absent: real-record round trip skipped)\n"); return; }
    const char *recs[] = {"ptbxl/records100/00000/00317_lr", "ptbxl/records500/00000/00317_hr",
                          "ptbxl-filtered/records100/00000/00607_lr"};
    for (size_t i = 0; i < 3; i++) {
        char src[8192], dat[8300];
        snprintf(src, sizeof src, "%s/%s", d, recs[i]);
        snprintf(dat, sizeof dat, "%s.dat", src);
        if (access(dat, R_OK) != 0) continue;
        ecgx_record *a = NULL, *b = NULL, *c = NULL;
        CHECK_OK(ecgx_record_read(src, &a));
        if (!a) continue;
        CHECK_OK(ecgx_record_write(tmp("trip.csv"), a));
        CHECK_OK(ecgx_record_read_ex(tmp("trip.csv"), a->fs, &b, NULL));
        if (!b) { ecgx_record_free(a); continue; }
        CHECK(b->n_leads == a->n_leads && b->n_samples == a->n_samples);
        CHECK(memcmp(a->data, b->data, sizeof(float) * (size_t)a->n_leads * (size_t)a->n_samples) == 0);
        for (int l = 0; l < a->n_leads; l++) CHECK(strcmp(a->leads[l].name, b->leads[l].name) == 0);
        CHECK_OK(ecgx_wfdb_write(tmp("trip"), b, 1000));
        size_t n1 = 0, n2 = 0;
        unsigned char *orig = (unsigned char *)test_slurp(dat, &n1), *mine = (unsigned char *)test_slurp(tmp("trip.dat"), &n2);
        CHECK_MSG(orig && mine && n1 == n2 && memcmp(orig, mine, n1) == 0, "%s: adc values changed on the way", recs[i]);
        free(orig);
        free(mine);
        /* and ecgx reads its own header back: same checksums, same values */
        ecgx_read_info info;
        CHECK_OK(ecgx_record_read_ex(tmp("trip.hea"), 0, &c, &info));
        if (c) {
            CHECK(info.checksum_mismatches == 0 && c->fs == a->fs);
            CHECK(memcmp(a->data, c->data, sizeof(float) * (size_t)a->n_leads * (size_t)a->n_samples) == 0);
        }
        ecgx_record_free(a);
        ecgx_record_free(b);
        ecgx_record_free(c);
    }
    /* LUDB: gains like 1716 and baselines; the floats survive CSV exactly */
    char src[8192];
    snprintf(src, sizeof src, "%s/ludb/data/2", d);
    ecgx_record *a = NULL, *b = NULL;
    if (ecgx_record_read(src, &a) == 0) {
        CHECK_OK(ecgx_csv_write(tmp("ludb.csv"), a));
        CHECK_OK(ecgx_csv_read(tmp("ludb.csv"), 500, &b));
        if (b) CHECK(memcmp(a->data, b->data, sizeof(float) * (size_t)a->n_leads * (size_t)a->n_samples) == 0);
    }
    ecgx_record_free(a);
    ecgx_record_free(b);
}

static void test_csv_float_roundtrip(void)
{
    ecgx_record *r = ecgx_record_new(3, 2000, 250);
    uint32_t s = 7;
    for (int64_t i = 0; i < 3 * 2000; i++) {
        s = s * 1664525u + 1013904223u;
        union { uint32_t u; float f; } u = {.u = s};
        r->data[i] = isfinite(u.f) ? u.f : (float)(s % 1000) / 7.0f; /* any float, tiny to huge */
    }
    r->data[5] = NAN;
    ecgx_record_set_lead(r, 0, "I", "mV");
    ecgx_record_set_lead(r, 1, "a,b \"c\"", "mV"); /* needs quoting */
    ecgx_record_set_lead(r, 2, "V6", "mV");
    CHECK_OK(ecgx_csv_write(tmp("f.csv"), r));
    ecgx_record *b = NULL;
    CHECK_OK(ecgx_csv_read(tmp("f.csv"), 250, &b));
    if (b) {
        int bad = 0;
        for (int64_t i = 0; i < 3 * 2000; i++)
            bad += !(b->data[i] == r->data[i] || (isnan(b->data[i]) && isnan(r->data[i])));
        CHECK_MSG(bad == 0, "%d floats changed", bad);
        CHECK(strcmp(b->leads[1].name, "a,b \"c\"") == 0 && b->leads[2].std_index == ECGX_LEAD_V6);
        CHECK(strcmp(b->name, "f") == 0 && b->fs == 250 && strcmp(b->leads[0].units, "mV") == 0);
    }
    ecgx_record_free(b);
    ecgx_record_free(r);
}

static void test_csv_parsing(void)
{
    ecgx_record *r = NULL;
    write_text("t.csv", "# exported by hand\r\ntime_s,I,II\r\n0.000,1.5,-2\r\n0.002,,nan\r\n\r\n0.004,3e-3,  4 \r\n");
    CHECK_OK(ecgx_csv_read(tmp("t.csv"), 500, &r));
    if (r) {
        CHECK(r->n_leads == 2 && r->n_samples == 3 && strcmp(r->leads[0].name, "I") == 0);
        CHECK(ecgx_record_lead(r, 0)[0] == 1.5f && ecgx_record_lead(r, 1)[0] == -2.0f);
        CHECK(isnan(ecgx_record_lead(r, 0)[1]) && isnan(ecgx_record_lead(r, 1)[1]));
        CHECK(ecgx_record_lead(r, 0)[2] == 3e-3f && ecgx_record_lead(r, 1)[2] == 4.0f);
    }
    ecgx_record_free(r);
    write_text("tab.csv", "sample\tV1\n0\t1\n1\t2\n");
    CHECK_OK(ecgx_csv_read(tmp("tab.csv"), 100, &r));
    if (r) CHECK(r->n_leads == 1 && r->n_samples == 2 && ecgx_record_lead(r, 0)[1] == 2.0f);
    ecgx_record_free(r);
    write_text("t0.csv", "I,II\n");
    CHECK_OK(ecgx_csv_read(tmp("t0.csv"), 100, &r)); /* a header and no samples */
    if (r) CHECK(r->n_samples == 0);
    ecgx_record_free(r);
    /* in-memory parser, as the fuzzer drives it */
    const char *mem = "t,a\n0,1\n";
    CHECK_OK(ecgx_csv_parse(mem, strlen(mem), 10, "mem", &r));
    ecgx_record_free(r);
}

static void csv_fails(const char *name, const char *text, double fs, int status, const char *what)
{
    write_text(name, text);
    ecgx_record *r = (ecgx_record *)1;
    int rc = ecgx_csv_read(tmp(name), fs, &r);
    CHECK_MSG(rc == status && r == NULL, "%s: %d (%s)", name, rc, ecgx_last_error());
    CHECK_MSG(strstr(ecgx_last_error(), what) && strstr(ecgx_last_error(), name), "%s: '%s' lacks '%s'", name,
              ecgx_last_error(), what);
}

static void test_csv_errors(void)
{
    csv_fails("e1.csv", "I,II\n1,2\n3,abc\n", 500, ECGX_ERR_FORMAT, "line 3: column 'II': 'abc'");
    csv_fails("e2.csv", "I,II\n1,2\n3\n", 500, ECGX_ERR_FORMAT, "line 3: 1 fields");
    csv_fails("e3.csv", "1,2\n3,4\n", 500, ECGX_ERR_FORMAT, "header row expected");
    csv_fails("e4.csv", "", 500, ECGX_ERR_FORMAT, "empty");
    csv_fails("e5.csv", "I,II\n1,2\n", 0, ECGX_ERR_ARG, "--fs");
    csv_fails("e6.csv", "I,,III\n1,2,3\n", 500, ECGX_ERR_FORMAT, "empty name");
    csv_fails("e7.csv", "time\n0\n", 500, ECGX_ERR_FORMAT, "no lead columns");
    csv_fails("e8.csv", "I\n1e999\n", 500, ECGX_ERR_FORMAT, "1e999");
    ecgx_record *r = NULL;
    CHECK(ecgx_csv_read(tmp("absent.csv"), 500, &r) == ECGX_ERR_IO);
}

static void test_wfdb_writer(void)
{
    ecgx_record *r = ecgx_record_new(2, 100, 360);
    for (int t = 0; t < 100; t++) {
        ecgx_record_lead(r, 0)[t] = (float)(t - 50) / 1000.0f * 7;  /* fits at gain 1000 */
        ecgx_record_lead(r, 1)[t] = (float)(t - 50);                /* +-50 mV: needs gain 500 */
    }
    ecgx_record_lead(r, 0)[10] = NAN;
    ecgx_record_set_lead(r, 0, "MLII", "mV");
    ecgx_record_set_lead(r, 1, "V5", "mV");
    r->age = 63;
    r->sex = ECGX_SEX_FEMALE;
    ecgx_record_add_label(r, "164889003");
    ecgx_record_add_label(r, "NORM");
    CHECK_OK(ecgx_record_write(tmp("w.hea"), r));
    wfdb_header h;
    size_t n;
    char *text = (char *)test_slurp(tmp("w.hea"), &n);
    CHECK(text && ecgx_wfdb_header_parse(text, n, "w.hea", &h) == 0);
    free(text);
    CHECK(h.sig && h.sig[0].gain == 1000 && h.sig[1].gain == 500 && h.sig[0].format == 16);
    CHECK(h.n_samples == 100 && h.fs == 360 && strcmp(h.name, "w") == 0);
    ecgx_wfdb_header_free(&h);
    ecgx_record *b = NULL;
    ecgx_read_info info;
    CHECK_OK(ecgx_record_read_ex(tmp("w"), 0, &b, &info));
    if (b) {
        CHECK(info.checksum_mismatches == 0);
        CHECK(isnan(ecgx_record_lead(b, 0)[10]));
        int bad = 0;
        for (int t = 0; t < 100; t++) {
            if (t != 10) bad += fabsf(ecgx_record_lead(b, 0)[t] - ecgx_record_lead(r, 0)[t]) > 0.5e-3f;
            bad += fabsf(ecgx_record_lead(b, 1)[t] - ecgx_record_lead(r, 1)[t]) > 1e-3f;
        }
        CHECK(bad == 0);
        CHECK(b->age == 63 && b->sex == ECGX_SEX_FEMALE && b->n_labels == 2 && ecgx_record_has_label(b, "NORM"));
        CHECK(strcmp(b->leads[0].name, "MLII") == 0 && strcmp(b->name, "w") == 0);
    }
    ecgx_record_free(b);
    /* a fixed gain the signal does not fit: an error naming the lead, no files */
    int rc = ecgx_wfdb_write(tmp("big"), r, 1000);
    CHECK(rc == ECGX_ERR_RANGE && strstr(ecgx_last_error(), "V5") != NULL);
    CHECK(access(tmp("big.hea"), F_OK) != 0 && access(tmp("big.dat"), F_OK) != 0);
    CHECK(ecgx_wfdb_write(tmp("neg"), r, -1) == ECGX_ERR_ARG);
    ecgx_record_free(r);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    RUN(test_wfdb_csv_wfdb);
    RUN(test_csv_float_roundtrip);
    RUN(test_csv_parsing);
    RUN(test_csv_errors);
    RUN(test_wfdb_writer);
    return check_finish();
}
