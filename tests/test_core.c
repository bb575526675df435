/* Core: records, lead names, checked allocation, atomic output files. */
#include "check.h"
#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/outfile.h"
#include "ecgx/record.h"

static void test_lead_names(void)
{
    CHECK(ecgx_lead_std_index("I") == ECGX_LEAD_I);
    CHECK(ecgx_lead_std_index("ii") == ECGX_LEAD_II);
    CHECK(ecgx_lead_std_index("AVR") == ECGX_LEAD_AVR);
    CHECK(ecgx_lead_std_index("aVf") == ECGX_LEAD_AVF);
    CHECK(ecgx_lead_std_index("Lead V6") == ECGX_LEAD_V6);
    CHECK(ecgx_lead_std_index("v1") == ECGX_LEAD_V1);
    CHECK(ecgx_lead_std_index("MLII") == -1);
    CHECK(ecgx_lead_std_index("V7") == -1);
    CHECK(ecgx_lead_std_index("") == -1);
    CHECK(strcmp(ecgx_lead_std_name(ECGX_LEAD_AVL), "aVL") == 0);
    CHECK(ecgx_lead_std_name(12) == NULL);
}

static void test_record(void)
{
    ecgx_record *r = ecgx_record_new(3, 100, 500);
    CHECK(r != NULL);
    if (!r) return;
    ecgx_record_set_lead(r, 0, "v2", "mV");
    ecgx_record_set_lead(r, 1, "MLII", "mV");
    ecgx_record_set_lead(r, 2, "I", "uV");
    ecgx_record_lead(r, 0)[5] = 1.5f;
    CHECK(ecgx_record_find_lead(r, "V2") == 0);
    CHECK(ecgx_record_find_lead(r, "MLII") == 1);
    CHECK(ecgx_record_find_lead(r, "II") == -1);
    CHECK_OK(ecgx_record_add_label(r, "NORM"));
    CHECK_OK(ecgx_record_add_label(r, "NORM"));
    CHECK(r->n_labels == 1 && ecgx_record_has_label(r, "NORM"));
    unsigned missing = 0;
    ecgx_record *s = ecgx_record_to_standard12(r, &missing);
    CHECK(s && s->n_leads == 12);
    if (s) {
        CHECK(ecgx_record_lead(s, ECGX_LEAD_V2)[5] == 1.5f);
        CHECK(missing == (0xFFFu & ~((1u << ECGX_LEAD_V2) | (1u << ECGX_LEAD_I))));
        CHECK(strcmp(s->leads[ECGX_LEAD_I].units, "uV") == 0);
    }
    ecgx_record *c = ecgx_record_clone(r);
    CHECK(c && ecgx_record_lead(c, 0)[5] == 1.5f && c->n_labels == 1);
    ecgx_record_free(c);
    ecgx_record_free(s);
    ecgx_record_free(r);
    CHECK(ecgx_record_new(0, 10, 100) == NULL);
    CHECK(ecgx_record_new(12, 10, 0) == NULL);
    CHECK(ecgx_record_new(12, (int64_t)1e12, 500) == NULL);
    CHECK(strstr(ecgx_last_error(), "allocate") != NULL);
}

static void test_parse(void)
{
    int64_t v;
    double d;
    CHECK(ecgx_parse_i64("123", &v) == 0 && v == 123);
    CHECK(ecgx_parse_i64("12x", &v) == -1);
    CHECK(ecgx_parse_i64("", &v) == -1);
    CHECK(ecgx_parse_i64("99999999999999999999", &v) == -1);
    CHECK(ecgx_parse_double("2.5e3", &d) == 0 && d == 2500);
    CHECK(ecgx_parse_double("nan", &d) == -1);
    CHECK(ecgx_parse_double("1e999", &d) == -1);
    char buf[64];
    ecgx_path_stem("/a/b/rec.hea", buf, sizeof buf);
    CHECK(strcmp(buf, "rec") == 0);
    ecgx_path_dir("/a/b/rec.hea", buf, sizeof buf);
    CHECK(strcmp(buf, "/a/b") == 0);
    ecgx_path_dir("rec", buf, sizeof buf);
    CHECK(strcmp(buf, ".") == 0);
    CHECK(ecgx_malloc_array((size_t)1 << 40, 16, "huge") == NULL);
}

static void test_outfile(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", test_tmpdir());
    CHECK_OK(ecgx_write_file_atomic(path, "hello", 5));
    char *data = NULL;
    size_t n = 0;
    CHECK_OK(ecgx_read_file(path, 1 << 20, &data, &n));
    CHECK(n == 5 && data && strcmp(data, "hello") == 0);
    free(data);
    /* An aborted write leaves the old content and no temporary behind. */
    ecgx_outfile f;
    CHECK_OK(ecgx_outfile_open(&f, path));
    fputs("partial", f.fp);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", f.tmp);
    ecgx_outfile_abort(&f);
    CHECK(access(tmp, F_OK) != 0);
    CHECK_OK(ecgx_read_file(path, 1 << 20, &data, &n));
    CHECK(data && strcmp(data, "hello") == 0);
    free(data);
    CHECK(ecgx_read_file(path, 2, &data, &n) == ECGX_ERR_RANGE);
    CHECK(ecgx_write_file_atomic("/nonexistent-dir/x", "a", 1) == ECGX_ERR_IO);
    CHECK(strstr(ecgx_last_error(), "/nonexistent-dir/x") != NULL);
}

int main(void)
{
    RUN(test_lead_names);
    RUN(test_record);
    RUN(test_parse);
    RUN(test_outfile);
    return check_finish();
}
