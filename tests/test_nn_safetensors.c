/* Safetensors: round trip, and every kind of damaged file gives a clear
 * error (never a crash): truncated anywhere, absurd header length, broken
 * JSON, missing / extra / misshapen tensors, offsets past the end, bad
 * dtype, missing metadata, non-finite weights, random byte flips. */
#include "check.h"
#include "ecgx/nn.h"
#include "ecgx/outfile.h"

#include <stdint.h>

static char path[512], bad[512];
static char *good;
static size_t good_n;

static void write_bytes(const char *p, const void *d, size_t n)
{
    FILE *f = fopen(p, "wb");
    fwrite(d, 1, n, f);
    fclose(f);
}

/* header JSON of the good file, and where the data starts */
static uint64_t hlen(void)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | (unsigned char)good[i];
    return v;
}

static int load_bad(const void *d, size_t n, const char *want)
{
    write_bytes(bad, d, n);
    ecgx_model *m = NULL;
    int rc = ecgx_model_load(bad, &m);
    ecgx_model_free(m);
    if (rc >= 0) return 0;
    if (want && !strstr(ecgx_last_error(), want)) {
        fprintf(stderr, "    error '%s' lacks '%s'\n", ecgx_last_error(), want);
        return 0;
    }
    return strstr(ecgx_last_error(), bad) != NULL; /* names the file */
}

/* the good file with its header text edited (same data) */
static int load_edited(const char *from, const char *to, const char *want)
{
    uint64_t h = hlen();
    char *hdr = malloc(h + 1);
    memcpy(hdr, good + 8, h);
    hdr[h] = 0;
    char *at = strstr(hdr, from);
    if (!at) {
        fprintf(stderr, "    '%s' not in header\n", from);
        free(hdr);
        return 0;
    }
    size_t nh = h - strlen(from) + strlen(to);
    char *out = malloc(8 + nh + (good_n - 8 - h));
    uint64_t v = nh;
    for (int i = 0; i < 8; i++) out[i] = (char)(v >> (8 * i));
    size_t pre = (size_t)(at - hdr);
    memcpy(out + 8, hdr, pre);
    memcpy(out + 8 + pre, to, strlen(to));
    memcpy(out + 8 + pre + strlen(to), at + strlen(from), h - pre - strlen(from));
    memcpy(out + 8 + nh, good + 8 + h, good_n - 8 - h);
    int r = load_bad(out, 8 + nh + (good_n - 8 - h), want);
    free(out);
    free(hdr);
    return r;
}

static void test_roundtrip(void)
{
    ecgx_model *a = NULL, *b = NULL;
    ecgx_model_config cfg = {12, 5, 9};
    CHECK_OK(ecgx_model_create("resnet1d_wang", &cfg, &a));
    if (!a) return;
    CHECK_OK(ecgx_model_set_meta(a, "classes", "CD,HYP,MI,NORM,STTC"));
    CHECK_OK(ecgx_model_set_meta(a, "fs", "100"));
    CHECK_OK(ecgx_model_save(a, path));
    CHECK_OK(ecgx_model_load(path, &b));
    if (!b) { ecgx_model_free(a); return; }
    CHECK(ecgx_model_param_count(a) == ecgx_model_param_count(b));
    for (int i = 0; i < ecgx_model_param_count(a); i++) {
        ecgx_param p, q;
        ecgx_model_param(a, i, &p);
        ecgx_model_param(b, i, &q);
        CHECK(!strcmp(p.name, q.name) && p.size == q.size && !memcmp(p.data, q.data, 4 * (size_t)p.size));
    }
    CHECK(!strcmp(ecgx_model_meta(b, "classes"), "CD,HYP,MI,NORM,STTC"));
    CHECK(!strcmp(ecgx_model_arch(b), "resnet1d_wang"));
    CHECK(ecgx_model_n_classes(b) == 5 && ecgx_model_in_channels(b) == 12);
    ecgx_model_free(a);
    ecgx_model_free(b);
    CHECK_OK(ecgx_read_file(path, 1 << 26, &good, &good_n));
    CHECK(good_n > 8 && hlen() % 8 == 0);
}

/* Decision thresholds in the metadata: stored and read back exactly, by
 * class name; a missing or out-of-range one means "no usable thresholds";
 * the shipped model carries F1 thresholds chosen on validation. */
static void test_thresholds(void)
{
    ecgx_model *a = NULL, *b = NULL;
    ecgx_model_config cfg = {12, 3, 9};
    CHECK_OK(ecgx_model_create("resnet1d_wang", &cfg, &a));
    if (!a) return;
    double thr[3], back[3];
    const char *rule = "x";
    CHECK(ecgx_model_thresholds(a, back, &rule) == 0 && isnan(back[0]) && rule == NULL);
    CHECK_OK(ecgx_model_set_meta(a, "classes", "AF,NORM,RBBB"));
    thr[0] = 0.1 + 1e-12;
    thr[1] = 0.99961;
    thr[2] = 1.0 / 3;
    CHECK_OK(ecgx_model_set_thresholds(a, thr, "f1 on the validation split, 10 records"));
    CHECK_OK(ecgx_model_save(a, path));
    CHECK_OK(ecgx_model_load(path, &b));
    if (b) {
        CHECK(ecgx_model_thresholds(b, back, &rule) == 1);
        for (int k = 0; k < 3; k++) CHECK(back[k] == thr[k]);
        CHECK(rule && !strcmp(rule, "f1 on the validation split, 10 records"));
        /* by name, not position */
        CHECK_OK(ecgx_model_set_meta(b, "thresholds", "RBBB:0.3,AF:0.2,NORM:0.7"));
        CHECK(ecgx_model_thresholds(b, back, NULL) == 1 && back[0] == 0.2 && back[1] == 0.7 && back[2] == 0.3);
        CHECK_OK(ecgx_model_set_meta(b, "thresholds", "AF:0.2,NORM:0.7"));
        CHECK(ecgx_model_thresholds(b, back, NULL) == 0 && isnan(back[2]));
        CHECK_OK(ecgx_model_set_meta(b, "thresholds", "AF:0.2,NORM:1.7,RBBB:0.3"));
        CHECK(ecgx_model_thresholds(b, back, NULL) == 0);
    }
    thr[1] = 1.5;
    CHECK(ecgx_model_set_thresholds(a, thr, "x") == ECGX_ERR_RANGE);
    thr[1] = NAN;
    CHECK(ecgx_model_set_thresholds(a, thr, "x") == ECGX_ERR_RANGE);
    ecgx_model_free(a);
    ecgx_model_free(b);
    ecgx_model *s = NULL;
    if (ecgx_model_load("models/resnet1d_wang_ptbxl_superdiag.safetensors", &s) == 0) {
        double t5[5];
        CHECK(ecgx_model_thresholds(s, t5, &rule) == 1);
        CHECK_MSG(rule && strstr(rule, "f1 on the validation split"), "%s", rule ? rule : "(none)");
        ecgx_model_free(s);
    }
}

static void test_truncated(void)
{
    size_t cuts[] = {0, 3, 8, 9, 100, (size_t)hlen() + 8, (size_t)hlen() + 100, good_n / 2, good_n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        CHECK_MSG(load_bad(good, cuts[i], NULL), "cut at %zu: %s", cuts[i], ecgx_last_error());
    CHECK(load_bad(good, good_n - 1, "truncated"));
}

static void test_header(void)
{
    char *c = malloc(good_n);
    memcpy(c, good, good_n);
    c[7] = 0x10; /* absurd header length */
    CHECK(load_bad(c, good_n, "header length"));
    memcpy(c, good, good_n);
    c[8] = '['; /* not an object */
    CHECK(load_bad(c, good_n, NULL));
    free(c);
    CHECK(load_edited("\"arch\":\"resnet1d_wang\"", "\"arch\":\"resnet9000\"", "resnet9000"));
    CHECK(load_edited("\"arch\":\"resnet1d_wang\"", "\"arhc\":\"resnet1d_wang\"", "arch"));
    CHECK(load_edited("\"n_classes\":\"5\"", "\"n_classes\":\"-3\"", "n_classes"));
    CHECK(load_edited("\"3.0.conv1.weight\"", "\"3.0.conv9.weight\"", "3.0.conv9.weight"));
    CHECK(load_edited("\"dtype\":\"F32\"", "\"dtype\":\"Q7\"", "Q7"));
    CHECK(load_edited("\"shape\":[128,12,7]", "\"shape\":[128,12,8]", "bytes for"));
    CHECK(load_edited("\"shape\":[128,12,7]", "\"shape\":[128,7,12]", "has shape [128,7,12]"));
    CHECK(load_edited("\"data_offsets\":[0,", "\"data_offsets\":[99999999,", "data_offsets"));
}

static void test_missing_and_nan(void)
{
    /* a missing tensor: rename it to one that is not a parameter... caught as extra;
     * drop a tensor by pointing two names at one: write a model, delete one entry */
    CHECK(load_edited("\"6.8.bias\":{", "\"6.8.bias_gone\":{", "6.8.bias_gone"));
    /* NaN in the first weight */
    char *c = malloc(good_n);
    memcpy(c, good, good_n);
    uint64_t h = hlen();
    /* find the tensor at offset 0 and poison its first float */
    uint32_t nan_bits = 0x7fc00000u;
    memcpy(c + 8 + h, &nan_bits, 4);
    CHECK(load_bad(c, good_n, "non-finite"));
    free(c);
}

static void test_random_damage(void)
{
    /* random byte flips in the header and data: an error or a load, never a crash */
    uint64_t s = 1;
    int n = getenv("ECGX_SANITIZER") ? 60 : 300, loaded = 0;
    char *c = malloc(good_n);
    for (int t = 0; t < n; t++) {
        memcpy(c, good, good_n);
        for (int k = 0; k < 3; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)((s >> 33) % (t % 2 ? good_n : hlen() + 8));
            c[at] = (char)(s >> 24);
        }
        write_bytes(bad, c, good_n);
        ecgx_model *m = NULL;
        if (ecgx_model_load(bad, &m) == 0) loaded++;
        ecgx_model_free(m);
    }
    free(c);
    CHECK(loaded < n);
}

static void test_torch_file(void)
{
    /* a state_dict saved by tools/torch_models.py (float64 tensors too) loads */
    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0 || access("tools/torch_models.py", R_OK)) {
        fprintf(stderr, "    (PyTorch absent: torch-written file not checked)\n");
        return;
    }
    char cmd[1024], tp[512];
    snprintf(tp, sizeof tp, "%s/torch.safetensors", test_tmpdir());
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import sys; sys.path.insert(0,'tools'); import torch, torch_models as tm; "
             "torch.manual_seed(0); m=tm.fcn_wang(12,3); sd=m.state_dict(); sd['0.0.0.weight']=sd['0.0.0.weight'].double(); "
             "tm.save_safetensors('%s', sd, {'arch':'fcn_wang','in_channels':12,'n_classes':3})\"",
             tp);
    CHECK(system(cmd) == 0);
    ecgx_model *m = NULL;
    CHECK_OK(ecgx_model_load(tp, &m));
    CHECK(m && ecgx_model_n_classes(m) == 3);
    ecgx_model_free(m);
}

int main(void)
{
    snprintf(path, sizeof path, "%s/m.safetensors", test_tmpdir());
    snprintf(bad, sizeof bad, "%s/bad.safetensors", test_tmpdir());
    RUN(test_roundtrip);
    if (!good) return check_finish();
    RUN(test_thresholds);
    RUN(test_truncated);
    RUN(test_header);
    RUN(test_missing_and_nan);
    RUN(test_random_damage);
    RUN(test_torch_file);
    free(good);
    return check_finish();
}
