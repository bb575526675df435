/* WFDB signal formats, header fields and bad input. Every format is written
 * here by a small independent packer (the byte layouts of WFDB's signal(5)
 * page), read back through ecgx_record_read and compared with the values
 * that went in. */
#include "check.h"
#include "ecgx/io.h"
#include "io/io_internal.h"

#include <stdint.h>
#include <time.h>

static char dir[4096];

static void write_bytes(const char *name, const void *data, size_t n)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n)) { perror(path); exit(1); }
    fclose(f);
}
static void write_text(const char *name, const char *text) { write_bytes(name, text, strlen(text)); }
static const char *rec_path(const char *name)
{
    static char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* ---- independent packers ---- */
typedef struct buf { uint8_t *b; size_t n; } buf;
static void put8(buf *x, unsigned v) { x->b[x->n++] = (uint8_t)v; }

/* Samples s[0..n) (already interleaved), packed in `format`. */
static buf pack(int format, const int32_t *s, int n, int nsig, const int *init)
{
    buf x = {calloc((size_t)n * 4 + 16, 1), 0};
    int32_t prev[8];
    for (int k = 0; k < nsig; k++) prev[k] = init ? init[k] : 0;
    for (int i = 0; i < n; i++) {
        int32_t v = s[i];
        switch (format) {
        case 8: put8(&x, (unsigned)(int8_t)(v - prev[i % nsig])); prev[i % nsig] = v; break;
        case 16: put8(&x, (unsigned)v & 0xff); put8(&x, ((unsigned)v >> 8) & 0xff); break;
        case 61: put8(&x, ((unsigned)v >> 8) & 0xff); put8(&x, (unsigned)v & 0xff); break;
        case 80: put8(&x, (unsigned)(v + 128)); break;
        case 160: put8(&x, (unsigned)(v + 32768) & 0xff); put8(&x, (unsigned)(v + 32768) >> 8); break;
        case 24: for (int k = 0; k < 3; k++) put8(&x, ((unsigned)v >> (8 * k)) & 0xff); break;
        case 32: for (int k = 0; k < 4; k++) put8(&x, ((unsigned)v >> (8 * k)) & 0xff); break;
        case 212:
            if (i % 2 == 0) {
                unsigned a = (unsigned)v & 0xfff, b = i + 1 < n ? (unsigned)s[i + 1] & 0xfff : 0;
                put8(&x, a & 0xff);
                put8(&x, (a >> 8) | ((b >> 8) << 4));
                put8(&x, b & 0xff);
            }
            break;
        case 310: case 311:
            if (i % 3 == 0) {
                unsigned a = (unsigned)v & 0x3ff, b = i + 1 < n ? (unsigned)s[i + 1] & 0x3ff : 0,
                         c = i + 2 < n ? (unsigned)s[i + 2] & 0x3ff : 0;
                if (format == 310) {
                    unsigned w0 = a << 1 | (c & 0x1f) << 11, w1 = b << 1 | (c >> 5) << 11;
                    put8(&x, w0 & 0xff); put8(&x, w0 >> 8); put8(&x, w1 & 0xff); put8(&x, w1 >> 8);
                } else {
                    uint32_t w = a | b << 10 | c << 20;
                    for (int k = 0; k < 4; k++) put8(&x, (w >> (8 * k)) & 0xff);
                }
            }
            break;
        }
    }
    return x;
}

static int32_t fmt_min(int format)
{
    switch (format) {
    case 8: return -128;
    case 80: return -127;
    case 212: return -2047;
    case 310: case 311: return -511;
    case 24: return -8388607;
    case 32: return -2147483647;
    default: return -32767;
    }
}

/* Write a record of `format` with nsig signals, n frames, values spanning
 * the format's range; read it back; compare. */
static void roundtrip_format(int format, int nsig, int n)
{
    int total = nsig * n;
    int32_t *s = calloc((size_t)total, sizeof *s);
    int32_t lo = fmt_min(format), hi = -lo;
    if (format == 8) { lo = -3000; hi = 3000; }
    uint32_t r = 12345u + (uint32_t)format;
    int init[8] = {0};
    for (int i = 0; i < total; i++) {
        r = r * 1103515245u + 12345u;
        double u = (double)(r >> 8) / (double)(1u << 24);
        s[i] = (int32_t)(lo + u * ((double)hi - lo));
    }
    if (format != 8) {
        s[0] = hi;
        s[1] = lo;
    } else {
        /* first differences: keep each step within a signed byte */
        for (int k = 0; k < nsig; k++) init[k] = 100 * k - 50;
        for (int i = 0; i < total; i++) {
            int32_t p = i < nsig ? init[i] : s[i - nsig];
            r = r * 1103515245u + 12345u;
            s[i] = p + (int32_t)((r >> 16) % 255) - 127;
        }
    }
    buf x = pack(format, s, total, nsig, init);
    char hea[4096], name[32], datname[64];
    snprintf(name, sizeof name, "f%d_%d", format, nsig);
    snprintf(datname, sizeof datname, "%s.dat", name);
    write_bytes(datname, x.b, x.n);
    int w = snprintf(hea, sizeof hea, "%s %d 250 %d\n", name, nsig, n);
    for (int k = 0; k < nsig; k++) {
        uint32_t sum = 0;
        for (int t = 0; t < n; t++) sum += (uint32_t)s[t * nsig + k];
        w += snprintf(hea + w, sizeof hea - (size_t)w, "%s %d 100(%d)/mV 12 0 %d %d 0 sig %d\n", datname, format, k,
                      format == 8 ? init[k] : s[k], (int)(int16_t)(sum & 0xffff), k);
    }
    char hname[48];
    snprintf(hname, sizeof hname, "%s.hea", name);
    write_text(hname, hea);
    ecgx_record *rec = NULL;
    ecgx_read_info info;
    int rc = ecgx_record_read_ex(rec_path(name), 0, &rec, &info);
    CHECK_MSG(rc == 0, "format %d: %s", format, ecgx_last_error());
    if (rc == 0) {
        CHECK(rec->n_leads == nsig && rec->n_samples == n && info.signal_format == format);
        CHECK_MSG(info.checksum_mismatches == 0, "format %d: %s", format, info.warning);
        int bad = 0;
        for (int t = 0; t < n; t++)
            for (int k = 0; k < nsig; k++)
                bad += ecgx_record_lead(rec, k)[t] != (float)((s[t * nsig + k] - k) / 100.0);
        CHECK_MSG(bad == 0, "format %d, %d signals: %d samples differ", format, nsig, bad);
        CHECK(strcmp(rec->leads[nsig - 1].name, nsig == 1 ? "sig 0" : nsig == 2 ? "sig 1" : "sig 2") == 0);
    }
    ecgx_record_free(rec);
    free(x.b);
    free(s);
}

static void test_all_formats(void)
{
    const int formats[] = {8, 16, 24, 32, 61, 80, 160, 212, 310, 311};
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        roundtrip_format(formats[i], 1, 10);
        roundtrip_format(formats[i], 2, 5);  /* 10 samples: 310/311 end inside a group */
        roundtrip_format(formats[i], 3, 7);  /* 21 samples: 212 ends on a lone sample */
        roundtrip_format(formats[i], 3, 200);
    }
}

/* Known bytes from the format descriptions, decoded by hand. */
static void test_spec_examples(void)
{
    int32_t out[6];
    /* 212: 0x123 and 0xABC (-1348) -> bytes 23, A1, BC */
    const uint8_t b212[3] = {0x23, 0xA1, 0xBC};
    ecgx_wfdb_decode(212, b212, 2, 2, NULL, out);
    CHECK(out[0] == 0x123 && out[1] == 0xABC - 4096);
    /* 310: samples 1, -2, 300 -> w0 = 1<<1 | (300&31)<<11, w1 = (-2&1023)<<1 | (300>>5)<<11 */
    unsigned w0 = 1u << 1 | (300u & 31) << 11, w1 = (1022u << 1) | (300u >> 5) << 11;
    const uint8_t b310[4] = {(uint8_t)w0, (uint8_t)(w0 >> 8), (uint8_t)w1, (uint8_t)(w1 >> 8)};
    ecgx_wfdb_decode(310, b310, 3, 3, NULL, out);
    CHECK(out[0] == 1 && out[1] == -2 && out[2] == 300);
    /* 311: 1, -2, -512 (invalid) in one 32-bit word */
    uint32_t w = 1u | 1022u << 10 | 512u << 20;
    const uint8_t b311[4] = {(uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24)};
    ecgx_wfdb_decode(311, b311, 3, 3, NULL, out);
    CHECK(out[0] == 1 && out[1] == -2 && out[2] == ECGX_WFDB_INVALID);
    /* 8: first differences from the initial value 10 */
    const uint8_t b8[3] = {5, 0xFE, 0x80};
    int init = 10;
    ecgx_wfdb_decode(8, b8, 3, 1, &init, out);
    CHECK(out[0] == 15 && out[1] == 13 && out[2] == 13 - 128);
    /* 16, 61, 160, 80, 24: one value each */
    const uint8_t b16[2] = {0x34, 0x82};
    ecgx_wfdb_decode(16, b16, 1, 1, NULL, out);
    CHECK(out[0] == (int16_t)0x8234);
    ecgx_wfdb_decode(61, b16, 1, 1, NULL, out);
    CHECK(out[0] == (int16_t)0x3482);
    ecgx_wfdb_decode(160, b16, 1, 1, NULL, out);
    CHECK(out[0] == 0x8234 - 32768);
    ecgx_wfdb_decode(80, b16, 1, 1, NULL, out);
    CHECK(out[0] == 0x34 - 128);
    const uint8_t b24[6] = {0x01, 0x00, 0x80, 0x00, 0x00, 0x80};
    ecgx_wfdb_decode(24, b24, 2, 1, NULL, out);
    CHECK(out[0] == -8388607);
    CHECK(out[1] == ECGX_WFDB_INVALID); /* -2^23 is format 24's invalid sample */
    /* sizes */
    CHECK(ecgx_wfdb_format_bytes(212, 3) == 5 && ecgx_wfdb_format_samples(212, 5) == 3);
    CHECK(ecgx_wfdb_format_bytes(310, 4) == 6 && ecgx_wfdb_format_samples(310, 6) == 4);
    CHECK(ecgx_wfdb_format_bytes(311, 5) == 7 && ecgx_wfdb_format_samples(311, 7) == 5);
}

static void test_header_fields(void)
{
    const char *text =
        "# a comment before the record line\n"
        "rec1 3 360/720(12) 100 10:20:30 01/02/2003\r\n"
        "a.dat 16x1:2+6 200(-5)/uV 12 3 -7 123 0 Lead II, modified\n"
        "a.dat 16\n"
        "b.dat 212 0/mmHg\n"
        "#Age: 63\n#Sex: Female\n#Dx: 164889003, 59118001 ,\n#Rx: Unknown\n";
    wfdb_header h;
    CHECK_OK(ecgx_wfdb_header_parse(text, strlen(text), "t.hea", &h));
    CHECK(strcmp(h.name, "rec1") == 0 && h.n_sig == 3 && h.fs == 360 && h.counter_freq == 720 && h.base_counter == 12);
    CHECK(h.n_samples == 100 && strcmp(h.base_time, "10:20:30") == 0 && strcmp(h.base_date, "01/02/2003") == 0);
    const wfdb_signal *s = h.sig;
    CHECK(strcmp(s[0].file, "a.dat") == 0 && s[0].format == 16 && s[0].spf == 1 && s[0].skew == 2 && s[0].offset == 6);
    CHECK(s[0].gain == 200 && s[0].baseline == -5 && strcmp(s[0].units, "uV") == 0);
    CHECK(s[0].adc_res == 12 && s[0].adc_zero == 3 && s[0].init == -7 && s[0].has_checksum && s[0].checksum == 123);
    CHECK(strcmp(s[0].desc, "Lead II, modified") == 0);
    CHECK(s[1].gain == 200 && s[1].baseline == 0 && strcmp(s[1].units, "mV") == 0 && !s[1].has_checksum);
    CHECK(s[2].format == 212 && s[2].gain == 200 && strcmp(s[2].units, "mmHg") == 0); /* gain 0 means 200 */
    CHECK(h.age == 63 && h.sex == ECGX_SEX_FEMALE && h.n_labels == 2);
    CHECK(h.n_labels == 2 && strcmp(h.labels[0], "164889003") == 0 && strcmp(h.labels[1], "59118001") == 0);
    ecgx_wfdb_header_free(&h);
    /* minimal record line: fs defaults to 250, no sample count */
    CHECK_OK(ecgx_wfdb_header_parse("r 1\nr.dat 16\n", 12, "m.hea", &h));
    CHECK(h.fs == 250 && h.n_samples == 0 && h.sig[0].baseline == 0);
    ecgx_wfdb_header_free(&h);
    /* the Challenge writes the date before the time */
    const char *dt = "A0001 1 500 10 12-May-2020 12:33:59\nA0001.mat 16+24\n";
    CHECK_OK(ecgx_wfdb_header_parse(dt, strlen(dt), "dt.hea", &h));
    CHECK(strcmp(h.base_time, "12:33:59") == 0 && strcmp(h.base_date, "12-May-2020") == 0);
    ecgx_wfdb_header_free(&h);
    /* MIT-BIH's comment "# <age> <sex> ..." */
    const char *mit = "100 1 360 10\n100.dat 212 200 11 1024 995 -22131 0 MLII\n# 69 M 1085 1629 x1\n# Aldomet, Inderal\n";
    CHECK_OK(ecgx_wfdb_header_parse(mit, strlen(mit), "100.hea", &h));
    CHECK(h.age == 69 && h.sex == ECGX_SEX_MALE && h.n_labels == 0);
    ecgx_wfdb_header_free(&h);
}

/* A header that must fail with `status` and a message containing `what`. */
static void bad_header(const char *text, int status, const char *what)
{
    wfdb_header h;
    int rc = ecgx_wfdb_header_parse(text, strlen(text), "bad.hea", &h);
    CHECK_MSG(rc == status, "'%s': returned %d, expected %d (%s)", text, rc, status, ecgx_last_error());
    CHECK_MSG(strstr(ecgx_last_error(), what) && strstr(ecgx_last_error(), "bad.hea"), "'%s': message '%s' lacks '%s'",
              text, ecgx_last_error(), what);
    CHECK(h.sig == NULL && h.labels == NULL);
    /* one line, as the CLI prints it */
    CHECK(strchr(ecgx_last_error(), '\n') == NULL);
}

static void test_bad_headers(void)
{
    bad_header("", ECGX_ERR_FORMAT, "no record line");
    bad_header("# only comments\n", ECGX_ERR_FORMAT, "no record line");
    bad_header("rec/2 2 360 100\nrec_1 360\nrec_2 360\n", ECGX_ERR_UNSUPPORTED, "multi-segment");
    bad_header("rec x 360\n", ECGX_ERR_FORMAT, "signal count");
    bad_header("rec 0 360\n", ECGX_ERR_UNSUPPORTED, "no signals");
    bad_header("rec 1000 360\n", ECGX_ERR_FORMAT, "signal count");
    bad_header("rec 1 -5 10\nr.dat 16\n", ECGX_ERR_FORMAT, "sampling frequency");
    bad_header("rec 1 abc 10\nr.dat 16\n", ECGX_ERR_FORMAT, "sampling frequency");
    bad_header("rec 1 360 1e3\nr.dat 16\n", ECGX_ERR_FORMAT, "sample count");
    bad_header("rec 1 360 10\nr.dat 16 abc/mV\n", ECGX_ERR_FORMAT, "gain");
    bad_header("rec 1 360 10\nr.dat 16 200(x)/mV\n", ECGX_ERR_FORMAT, "baseline");
    bad_header("rec 1 360 10\nr.dat 16 200/mV 12 z\n", ECGX_ERR_FORMAT, "adc zero");
    bad_header("rec 1 360 10\nr.dat 16 200/mV 12 0 1.5\n", ECGX_ERR_FORMAT, "initial value");
    bad_header("rec 1 360 10\nr.dat 16 200/mV 12 0 0 sum\n", ECGX_ERR_FORMAT, "checksum");
    bad_header("rec 1 360 10\nr.dat 999\n", ECGX_ERR_UNSUPPORTED, "format 999");
    bad_header("rec 1 360 10\nr.dat 508\n", ECGX_ERR_UNSUPPORTED, "format 508");
    bad_header("rec 1 360 10\nr.dat x16\n", ECGX_ERR_FORMAT, "format");
    bad_header("rec 1 360 10\nr.dat 16x2\n", ECGX_ERR_UNSUPPORTED, "samples per frame");
    bad_header("rec 1 360 10\nr.dat 16+-4\n", ECGX_ERR_FORMAT, "byte offset");
    bad_header("rec 2 360 10\nr.dat 16\n", ECGX_ERR_FORMAT, "2 signals");
    bad_header("rec 3 360 10\na.dat 16\nb.dat 16\na.dat 16\n", ECGX_ERR_FORMAT, "not listed together");
    bad_header("rec 2 360 10\na.dat 16\na.dat 212\n", ECGX_ERR_FORMAT, "differs");
    bad_header("rec 1 360 10\n- 16\n", ECGX_ERR_UNSUPPORTED, "standard input");
    char nul[] = "rec 1 360\0 10\n";
    wfdb_header h;
    CHECK(ecgx_wfdb_header_parse(nul, sizeof nul - 1, "nul.hea", &h) == ECGX_ERR_FORMAT);
}

static void check_read_fails(const char *name, int status, const char *what)
{
    ecgx_record *rec = (ecgx_record *)1;
    int rc = ecgx_record_read(rec_path(name), &rec);
    CHECK_MSG(rc == status && rec == NULL, "%s: returned %d (%s), expected %d", name, rc, ecgx_last_error(), status);
    CHECK_MSG(strstr(ecgx_last_error(), what) != NULL, "%s: message '%s' lacks '%s'", name, ecgx_last_error(), what);
}

static void test_reader_features(void)
{
    /* two files, one with an offset, one in another format; a baseline; skew */
    int16_t a[2 * 6];
    for (int t = 0; t < 6; t++) { a[2 * t] = (int16_t)(100 * t); a[2 * t + 1] = (int16_t)(-7 * t); }
    a[5] = -32768; /* invalid sample: frame 2 of signal 1 */
    uint8_t abytes[8 + sizeof a];
    memcpy(abytes, "GARBAGE!", 8);
    for (int i = 0; i < 12; i++) { abytes[8 + 2 * i] = (uint8_t)(a[i] & 0xff); abytes[9 + 2 * i] = (uint8_t)((uint16_t)a[i] >> 8); }
    write_bytes("multi_a.dat", abytes, sizeof abytes);
    int32_t bvals[6] = {1, 2, 3, 4, 5, 6};
    buf b = pack(212, bvals, 6, 1, NULL);
    write_bytes("multi_b.dat", b.b, b.n);
    free(b.b);
    write_text("multi.hea", "multi 3 500 5\n"
                            "multi_a.dat 16+8 100(50)/mV 16 0 0 0 0 A\n"
                            "multi_a.dat 16:1 1000/uV 16 0 0 0 0 B\n"
                            "multi_b.dat 212 2/mV 12 0 1 0 0 C\n");
    ecgx_record *rec = NULL;
    ecgx_read_info info;
    CHECK_OK(ecgx_record_read_ex(rec_path("multi.hea"), 0, &rec, &info));
    if (rec) {
        CHECK(rec->n_leads == 3 && rec->n_samples == 5 && rec->fs == 500);
        for (int t = 0; t < 5; t++) {
            CHECK_NEAR(ecgx_record_lead(rec, 0)[t], (100.0 * t - 50) / 100, 1e-6);
            /* skew 1: sample t of B is in frame t + 1 */
            if (t + 1 == 2) CHECK(isnan(ecgx_record_lead(rec, 1)[t]));
            else CHECK_NEAR(ecgx_record_lead(rec, 1)[t], -7.0 * (t + 1) / 1000, 1e-7);
            CHECK_NEAR(ecgx_record_lead(rec, 2)[t], (t + 1) / 2.0, 1e-7);
        }
        CHECK(strcmp(rec->leads[1].units, "uV") == 0); /* kept as written, not rescaled */
        CHECK(info.checksum_mismatches == 3); /* the header's zeros are wrong sums */
        CHECK(info.n_invalid == 1);
        CHECK(strstr(info.warning, "checksum") != NULL);
    }
    ecgx_record_free(rec);
    /* skew reaching past the end of the file: NaN */
    write_text("skew.hea", "skew 2 500 6\nmulti_a.dat 16+8\nmulti_a.dat 16:3\n");
    CHECK_OK(ecgx_record_read(rec_path("skew"), &rec));
    if (rec) CHECK(isnan(ecgx_record_lead(rec, 1)[5]) && !isnan(ecgx_record_lead(rec, 1)[2]));
    ecgx_record_free(rec);
    /* no sample count: taken from the file size */
    write_text("nocount.hea", "nocount 2 500\nmulti_a.dat 16+8\nmulti_a.dat 16\n");
    CHECK_OK(ecgx_record_read(rec_path("nocount"), &rec));
    if (rec) CHECK(rec->n_samples == 6 && rec->fs == 500);
    ecgx_record_free(rec);
    /* a null signal (format 0) has no file */
    write_text("null.hea", "null 2 500 6\nmulti_a.dat 16+8\n~ 0 200/mV 12 0 0 0 0 empty\n");
    /* (format 0 needs its own file name in WFDB, often "~") */
    CHECK_OK(ecgx_record_read(rec_path("null"), &rec));
    if (rec) CHECK(isnan(ecgx_record_lead(rec, 1)[0]));
    ecgx_record_free(rec);
}

static void test_bad_records(void)
{
    int16_t d[24] = {0};
    write_bytes("short.dat", d, sizeof d);            /* 12 frames of 2 signals */
    write_text("short.hea", "short 2 500 13\nshort.dat 16\nshort.dat 16\n");
    check_read_fails("short", ECGX_ERR_FORMAT, "holds 12");
    write_text("huge.hea", "huge 2 500 1000000000000\nshort.dat 16\nshort.dat 16\n");
    clock_t c0 = clock();
    check_read_fails("huge", ECGX_ERR_FORMAT, "1000000000000");
    CHECK((double)(clock() - c0) / CLOCKS_PER_SEC < 0.5); /* refused before allocating, not after */
    write_bytes("odd.dat", d, 3);                      /* truncated mid-sample */
    write_text("odd.hea", "odd 1 500 2\nodd.dat 16\n");
    check_read_fails("odd", ECGX_ERR_FORMAT, "odd.dat holds 1");
    write_text("missing.hea", "missing 1 500 2\nnothere.dat 16\n");
    check_read_fails("missing", ECGX_ERR_IO, "nothere.dat");
    check_read_fails("no_such_record", ECGX_ERR_IO, "no_such_record.hea");
    write_text("offset.hea", "offset 1 500\nshort.dat 16+4000\n");
    check_read_fails("offset", ECGX_ERR_FORMAT, "byte offset");
    write_text("fmt.hea", "fmt 1 500 2\nshort.dat 1234\n");
    check_read_fails("fmt", ECGX_ERR_UNSUPPORTED, "format 1234");
    write_text("nan.hea", "nan 1 500 2\nshort.dat 16 NaN/mV\n");
    check_read_fails("nan", ECGX_ERR_FORMAT, "gain");
    write_text("empty.hea", "");
    check_read_fails("empty", ECGX_ERR_FORMAT, "no record line");
    ecgx_record *rec = NULL;
    CHECK(ecgx_record_read("", &rec) == ECGX_ERR_ARG);
    CHECK(ecgx_record_read_ex(rec_path("x.csv"), 0, &rec, NULL) < 0); /* CSV needs a rate */
}

/* ---- MATLAB v4 ---- */
static size_t mat4(uint8_t *out, int32_t type, int32_t mrows, int32_t ncols, int32_t imagf, int32_t namlen,
                   const char *name, const int16_t *data, size_t n, int big)
{
    int32_t head[5] = {type, mrows, ncols, imagf, namlen};
    size_t p = 0;
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 4; k++) out[p++] = (uint8_t)((uint32_t)head[i] >> (8 * (big ? 3 - k : k)));
    memcpy(out + p, name, (size_t)namlen);
    p += (size_t)namlen;
    for (size_t i = 0; i < n; i++) {
        uint16_t u = (uint16_t)data[i];
        out[p++] = (uint8_t)(big ? u >> 8 : u & 0xff);
        out[p++] = (uint8_t)(big ? u & 0xff : u >> 8);
    }
    return p;
}

typedef struct badmat { const char *what; size_t n; int status; const char *msg; } badmat;

static void test_mat(void)
{
    /* 3 signals x 4 samples */
    int16_t colmajor[12], leadmajor[12];
    for (int t = 0; t < 4; t++)
        for (int l = 0; l < 3; l++) {
            int16_t v = (int16_t)(1000 * l + 10 * t - 7);
            colmajor[t * 3 + l] = v;
            leadmajor[l * 4 + t] = v;
        }
    uint8_t m[256];
    const char *hea = "m 3 500 4\nm.mat 16+24 1000/mV 16 0 -7 0 0 I\nm.mat 16+24 1000/mV 16 0 993 0 0 II\n"
                      "m.mat 16+24 1000/mV 16 0 1993 0 0 III\n";
    write_text("m.hea", hea);
    struct { const char *what; int layout, big; } ok[] = {{"column-major", 0, 0}, {"lead-major", 1, 0}, {"big-endian", 0, 1}};
    for (int c = 0; c < 3; c++) {
        size_t n = ok[c].layout ? mat4(m, 30, 4, 3, 0, 4, "val", leadmajor, 12, 0)
                                : mat4(m, ok[c].big ? 1030 : 30, 3, 4, 0, 4, "val", colmajor, 12, ok[c].big);
        write_bytes("m.mat", m, n);
        ecgx_record *rec = NULL;
        ecgx_read_info info;
        int rc = ecgx_record_read_ex(rec_path("m"), 0, &rec, &info);
        CHECK_MSG(rc == 0, "%s: %s", ok[c].what, ecgx_last_error());
        if (rc) continue;
        CHECK(strcmp(info.format, "mat") == 0);
        int bad = 0;
        for (int t = 0; t < 4; t++)
            for (int l = 0; l < 3; l++) bad += ecgx_record_lead(rec, l)[t] != (float)((1000 * l + 10 * t - 7) / 1000.0);
        CHECK_MSG(bad == 0, "%s: %d values differ", ok[c].what, bad);
        ecgx_record_free(rec);
    }
    /* "rec.mat" on the command line reads through rec.hea */
    ecgx_record *rec = NULL;
    CHECK_OK(ecgx_record_read(rec_path("m.mat"), &rec));
    ecgx_record_free(rec);
    badmat bad[8];
    int nb = 0;
    uint8_t mm[8][256];
    bad[nb] = (badmat){"short", 10, ECGX_ERR_FORMAT, "too short"};
    mat4(mm[nb], 30, 3, 4, 0, 4, "val", colmajor, 12, 0); nb++;
    bad[nb] = (badmat){"v5", 0, ECGX_ERR_FORMAT, "not a MATLAB v4"};
    memcpy(mm[nb], "MATLAB 5.0 MAT-file, Platform: GLNXA64", 38); memset(mm[nb] + 38, 0, 100); bad[nb].n = 138; nb++;
    bad[nb] = (badmat){"float", 0, ECGX_ERR_UNSUPPORTED, "P=1"};
    bad[nb].n = mat4(mm[nb], 10, 3, 2, 0, 4, "val", colmajor, 12, 0); nb++;
    bad[nb] = (badmat){"imag", 0, ECGX_ERR_UNSUPPORTED, "imagf"};
    bad[nb].n = mat4(mm[nb], 30, 3, 4, 1, 4, "val", colmajor, 12, 0); nb++;
    bad[nb] = (badmat){"namlen", 0, ECGX_ERR_FORMAT, "namlen"};
    bad[nb].n = mat4(mm[nb], 30, 3, 4, 0, 0, "", colmajor, 12, 0); nb++;
    bad[nb] = (badmat){"name", 0, ECGX_ERR_FORMAT, "NUL-terminated"};
    bad[nb].n = mat4(mm[nb], 30, 3, 4, 0, 3, "val", colmajor, 12, 0); nb++;
    bad[nb] = (badmat){"dims", 0, ECGX_ERR_FORMAT, "2 x 4"};
    bad[nb].n = mat4(mm[nb], 30, 2, 4, 0, 4, "val", colmajor, 8, 0); nb++;
    bad[nb] = (badmat){"data", 0, ECGX_ERR_FORMAT, "holds"};
    bad[nb].n = mat4(mm[nb], 30, 3, 400, 0, 4, "val", colmajor, 12, 0); nb++;
    for (int i = 0; i < nb; i++) {
        write_bytes("m.mat", mm[i], bad[i].n);
        int rc = ecgx_record_read(rec_path("m"), &rec);
        CHECK_MSG(rc == bad[i].status && rec == NULL, "mat %s: %d (%s)", bad[i].what, rc, ecgx_last_error());
        CHECK_MSG(strstr(ecgx_last_error(), bad[i].msg) && strstr(ecgx_last_error(), "m.mat"),
                  "mat %s: '%s' lacks '%s'", bad[i].what, ecgx_last_error(), bad[i].msg);
    }
    /* the header's byte offset must agree with the MAT header */
    write_bytes("m.mat", m, mat4(m, 30, 3, 4, 0, 4, "val", colmajor, 12, 0));
    write_text("m2.hea", "m2 3 500 4\nm.mat 16+28\nm.mat 16+28\nm.mat 16+28\n");
    check_read_fails("m2", ECGX_ERR_FORMAT, "MAT data start 24");
    /* a .mat needs format 16 */
    write_text("m3.hea", "m3 3 500 4\nm.mat 212\nm.mat 212\nm.mat 212\n");
    check_read_fails("m3", ECGX_ERR_FORMAT, "format 212");
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    RUN(test_all_formats);
    RUN(test_spec_examples);
    RUN(test_header_fields);
    RUN(test_bad_headers);
    RUN(test_reader_features);
    RUN(test_bad_records);
    RUN(test_mat);
    return check_finish();
}
