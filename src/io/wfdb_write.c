/* Writing WFDB format 16: rec.dat (interleaved little-endian int16) and
 * rec.hea, both atomically, the data first so a header never names a
 * missing file. Physical zero is adc 0 (baseline 0); missing samples (NaN)
 * are written as WFDB's invalid sample, -32768. */
#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/outfile.h"
#include "io/io_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADC_MAX 32767.0

/* Largest gain of the series 1000, 500, 200, 100, 50, 20, 10, 5, ... under
 * which every finite sample of the lead fits in [-32767, 32767]. Gains of
 * this series print exactly, so the header holds the gain that was used. */
static double auto_gain(const float *x, int64_t n)
{
    double maxabs = 0;
    for (int64_t t = 0; t < n; t++)
        if (isfinite(x[t]) && fabs(x[t]) > maxabs) maxabs = fabs(x[t]);
    double g = 1000;
    static const double steps[3] = {0.5, 0.4, 0.5}; /* 1000 -> 500 -> 200 -> 100 -> ... */
    for (int k = 0; maxabs * g > ADC_MAX - 0.5 && g > 1e-9; k++) g *= steps[k % 3];
    return g;
}

/* Shortest decimal that strtod reads back as v. */
static void format_double(char *buf, size_t n, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static int header_text(const ecgx_record *rec, const char *name, const char *dat, const double *gain,
                       const int16_t *first, const int *checksum, char **out)
{
    size_t cap = 4096 + (size_t)rec->n_leads * 256;
    for (int i = 0; i < rec->n_labels; i++) cap += strlen(rec->labels[i]) + 2;
    char *buf = malloc(cap);
    if (!buf) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", name);
    char fs[40];
    format_double(fs, sizeof fs, rec->fs);
    size_t w = (size_t)snprintf(buf, cap, "%s %d %s %lld\n", name, rec->n_leads, fs, (long long)rec->n_samples);
    for (int i = 0; i < rec->n_leads && w < cap; i++) {
        char g[40], desc[ECGX_NAME_MAX];
        format_double(g, sizeof g, gain[i]);
        const char *units = rec->leads[i].units[0] ? rec->leads[i].units : "mV";
        if (rec->leads[i].name[0]) ecgx_strlcpy(desc, rec->leads[i].name, sizeof desc);
        else snprintf(desc, sizeof desc, "sig%d", i);
        w += (size_t)snprintf(buf + w, cap - w, "%s 16 %s(0)/%s 16 0 %d %d 0 %s\n", dat, g, units, first[i],
                              checksum[i], desc);
    }
    /* metadata as PhysioNet/CinC Challenge comments, which ecgx reads back */
    if (rec->age >= 0 && w < cap) w += (size_t)snprintf(buf + w, cap - w, "#Age: %g\n", rec->age);
    if (rec->sex != ECGX_SEX_UNKNOWN && w < cap)
        w += (size_t)snprintf(buf + w, cap - w, "#Sex: %s\n", rec->sex == ECGX_SEX_MALE ? "Male" : "Female");
    if (rec->n_labels > 0 && w < cap) {
        w += (size_t)snprintf(buf + w, cap - w, "#Dx: ");
        for (int i = 0; i < rec->n_labels && w < cap; i++)
            w += (size_t)snprintf(buf + w, cap - w, "%s%s", i ? "," : "", rec->labels[i]);
        if (w < cap) w += (size_t)snprintf(buf + w, cap - w, "\n");
    }
    if (w >= cap) { free(buf); return ecgx_error(ECGX_ERR_RANGE, "%s: header too long", name); }
    *out = buf;
    return 0;
}

int ecgx_wfdb_write(const char *path, const ecgx_record *rec, double gain)
{
    if (!rec || rec->n_leads < 1) return ecgx_error(ECGX_ERR_ARG, "%s: no record to write", path);
    if (rec->n_leads > ECGX_MAX_LEADS || rec->n_samples < 0 || !(rec->fs > 0))
        return ecgx_error(ECGX_ERR_ARG, "%s: record has %d leads, %lld samples, rate %g", path, rec->n_leads,
                          (long long)rec->n_samples, rec->fs);
    if (!(gain >= 0) || !isfinite(gain)) return ecgx_error(ECGX_ERR_ARG, "%s: gain %g must be >= 0", path, gain);
    char base[4096], name[256], hea[4200], dat[4200], datname[300];
    size_t len = strlen(path);
    if (len >= sizeof base) return ecgx_error(ECGX_ERR_ARG, "path too long");
    ecgx_strlcpy(base, path, sizeof base);
    if (len > 4 && (strcasecmp_ascii(base + len - 4, ".hea") == 0 || strcasecmp_ascii(base + len - 4, ".dat") == 0))
        base[len - 4] = '\0';
    const char *slash = strrchr(base, '/');
    ecgx_strlcpy(name, slash ? slash + 1 : base, sizeof name);
    if (!name[0] || strpbrk(name, " \t\n")) return ecgx_error(ECGX_ERR_ARG, "%s: '%s' is not a usable record name", path, name);
    snprintf(hea, sizeof hea, "%s.hea", base);
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(datname, sizeof datname, "%s.dat", name);

    int nl = rec->n_leads;
    int64_t n = rec->n_samples;
    double gains[ECGX_MAX_LEADS];
    int16_t first[ECGX_MAX_LEADS];
    int checksum[ECGX_MAX_LEADS];
    for (int i = 0; i < nl; i++) {
        const float *x = ecgx_record_lead(rec, i);
        gains[i] = gain > 0 ? gain : auto_gain(x, n);
        if (gains[i] <= 1e-9)
            return ecgx_error(ECGX_ERR_RANGE, "%s: lead %s: values too large for format 16", path, rec->leads[i].name);
    }
    int16_t *adc = ecgx_malloc_array((size_t)nl * (size_t)n + 1, sizeof *adc, "WFDB output");
    if (!adc) return ECGX_ERR_NOMEM;
    for (int i = 0; i < nl; i++) {
        const float *x = ecgx_record_lead(rec, i);
        uint32_t sum = 0;
        for (int64_t t = 0; t < n; t++) {
            int16_t v;
            if (isnan(x[t])) {
                v = -32768;
            } else {
                double q = nearbyint((double)x[t] * gains[i]);
                if (!(fabs(q) <= ADC_MAX)) {
                    free(adc);
                    return ecgx_error(ECGX_ERR_RANGE, "%s: lead %s, sample %lld: %g %s times gain %g does not fit in format 16",
                                      path, rec->leads[i].name, (long long)t, (double)x[t], rec->leads[i].units, gains[i]);
                }
                v = (int16_t)q;
            }
            adc[(size_t)t * (size_t)nl + (size_t)i] = v;
            sum += (uint32_t)(int32_t)v;
        }
        first[i] = n ? adc[i] : 0;
        checksum[i] = (int)(int16_t)(uint16_t)(sum & 0xffffu);
    }
    /* little-endian bytes, whatever the host */
    uint8_t *bytes = (uint8_t *)adc;
    for (size_t k = 0; k < (size_t)nl * (size_t)n; k++) {
        uint16_t u = (uint16_t)adc[k];
        bytes[2 * k] = (uint8_t)(u & 0xff);
        bytes[2 * k + 1] = (uint8_t)(u >> 8);
    }
    int rc = ecgx_write_file_atomic(dat, bytes, (size_t)nl * (size_t)n * 2);
    free(adc);
    if (rc) return rc;
    char *text = NULL;
    if ((rc = header_text(rec, name, datname, gains, first, checksum, &text))) return rc;
    rc = ecgx_write_file_atomic(hea, text, strlen(text));
    free(text);
    return rc;
}
