/* Reading a WFDB record: header, then each signal file (one fread per file),
 * decoded into adc values and turned into physical units,
 * value = (adc - baseline) / gain. Challenge records whose signal file is a
 * MATLAB v4 .mat are the same thing with a checked matrix header in front.
 * The sample count is checked against the file sizes before anything the
 * size of the signal is allocated. */
#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/outfile.h"
#include "io/io_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecgx_info_warn(ecgx_read_info *info, const char *fmt, ...)
{
    if (!info) return;
    size_t used = strlen(info->warning);
    if (used + 4 >= sizeof info->warning) return;
    if (used) { memcpy(info->warning + used, "; ", 3); used += 2; }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->warning + used, sizeof info->warning - used, fmt, ap);
    va_end(ap);
}

static int is_mat_file(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcasecmp_ascii(name + n - 4, ".mat") == 0;
}

/* One signal file and the consecutive header signals stored in it. */
typedef struct group {
    int first, n;          /* header signals first .. first+n-1 */
    int format;            /* WFDB format used to decode the data bytes */
    const uint8_t *data;   /* first sample byte */
    uint64_t frames;       /* whole frames available in the file */
    int lead_major;        /* .mat stored with one column per signal */
    uint64_t column_stride;/* lead-major: bytes between columns */
} group;

/* Locate the samples of a group inside the file's bytes. */
static int locate(const wfdb_header *h, const char *src, group *g, const uint8_t *buf, size_t len)
{
    const wfdb_signal *s0 = &h->sig[g->first];
    g->format = s0->format;
    if (is_mat_file(s0->file)) {
        /* name the .mat in messages as the header's directory sees it */
        char dir[4096], mat[4096];
        ecgx_path_dir(src, dir, sizeof dir);
        if (ecgx_path_join(mat, sizeof mat, strcmp(dir, ".") ? dir : "", s0->file)) ecgx_strlcpy(mat, s0->file, sizeof mat);
        mat4_info mi;
        int rc = ecgx_mat4_parse(buf, len, mat, &mi);
        if (rc) return rc;
        if (s0->format != 16)
            return ecgx_error(ECGX_ERR_FORMAT, "%s: signal 1 of %s: format %d, but Challenge .mat files hold format 16",
                              src, s0->file, s0->format);
        if (mi.precision != 3)
            return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: MAT matrix '%s' has element type P=%d; format 16 needs int16 (P=3)",
                              mat, mi.name, mi.precision);
        if (s0->offset && (size_t)s0->offset != mi.data_offset)
            return ecgx_error(ECGX_ERR_FORMAT, "%s: byte offset %lld of %s disagrees with the MAT data start %zu",
                              src, (long long)s0->offset, s0->file, mi.data_offset);
        if (mi.mrows == g->n) {
            g->frames = (uint64_t)mi.ncols;          /* column-major, one column per sample: frames */
        } else if (mi.ncols == g->n) {
            g->frames = (uint64_t)mi.mrows;          /* one column per signal */
            g->lead_major = 1;
            g->column_stride = (uint64_t)mi.mrows * 2;
        } else {
            return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT matrix '%s' is %lld x %lld but the header lists %d signals in it",
                              mat, mi.name, (long long)mi.mrows, (long long)mi.ncols, g->n);
        }
        if (mi.big_endian) g->format = 61;
        g->data = buf + mi.data_offset;
        return 0;
    }
    if ((uint64_t)s0->offset > len)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: byte offset %lld is past the end of %s (%zu bytes)",
                          src, (long long)s0->offset, s0->file, len);
    g->data = buf + s0->offset;
    g->frames = ecgx_wfdb_format_samples(g->format, len - (uint64_t)s0->offset) / (uint64_t)g->n;
    return 0;
}

static int decode_group(const wfdb_header *h, const group *g, int64_t n_samples, ecgx_record *rec,
                        ecgx_read_info *info)
{
    int max_skew = 0;
    for (int k = 0; k < g->n; k++)
        if (h->sig[g->first + k].skew > max_skew) max_skew = h->sig[g->first + k].skew;
    uint64_t frames = (uint64_t)n_samples + (uint64_t)max_skew;
    if (frames > g->frames) frames = g->frames;
    int32_t *adc = ecgx_malloc_array(frames * (uint64_t)g->n + 1, sizeof *adc, "signal samples");
    if (!adc) return ECGX_ERR_NOMEM;
    if (g->lead_major) {
        int32_t *col = ecgx_malloc_array(frames + 1, sizeof *col, "signal samples");
        if (!col) { free(adc); return ECGX_ERR_NOMEM; }
        for (int k = 0; k < g->n; k++) {
            ecgx_wfdb_decode(g->format, g->data + (uint64_t)k * g->column_stride, frames, 1, NULL, col);
            for (uint64_t f = 0; f < frames; f++) adc[f * (uint64_t)g->n + (uint64_t)k] = col[f];
        }
        free(col);
    } else {
        int init[ECGX_MAX_LEADS];
        for (int k = 0; k < g->n; k++) init[k] = h->sig[g->first + k].init;
        ecgx_wfdb_decode(g->format, g->data, frames * (uint64_t)g->n, g->n, init, adc);
    }
    for (int k = 0; k < g->n; k++) {
        int si = g->first + k;
        const wfdb_signal *s = &h->sig[si];
        float *dst = ecgx_record_lead(rec, si);
        const int32_t *src = adc + k;
        const double gain = s->gain, base = s->baseline;
        uint32_t sum = 0;
        int64_t invalid = 0;
        uint64_t f = (uint64_t)s->skew;
        int64_t t = 0;
        for (; t < n_samples && f < frames; t++, f++) {
            int32_t v = src[f * (uint64_t)g->n];
            if (v == ECGX_WFDB_INVALID) {
                sum += (uint32_t)-32768; /* WFDB writes invalid samples as WFDB_INVALID_SAMPLE */
                dst[t] = NAN;
                invalid++;
            } else {
                sum += (uint32_t)v;
                dst[t] = (float)(((double)v - base) / gain);
            }
        }
        for (; t < n_samples; t++) dst[t] = NAN; /* skewed past the end of the file */
        if (info) info->n_invalid += invalid;
        if (s->has_checksum && (sum & 0xffffu) != ((uint32_t)s->checksum & 0xffffu)) {
            if (info) {
                info->checksum_mismatches++;
                ecgx_info_warn(info, "signal %d (%s): checksum %d in the header, %d computed", si + 1, s->desc,
                               s->checksum, (int)(int16_t)(sum & 0xffffu));
            }
        }
    }
    free(adc);
    return 0;
}

static int fill_metadata(const wfdb_header *h, ecgx_record *rec)
{
    ecgx_strlcpy(rec->name, h->name, sizeof rec->name);
    for (int i = 0; i < h->n_sig; i++) {
        char nm[ECGX_NAME_MAX];
        if (h->sig[i].desc[0]) ecgx_strlcpy(nm, h->sig[i].desc, sizeof nm);
        else snprintf(nm, sizeof nm, "sig%d", i);
        ecgx_record_set_lead(rec, i, nm, h->sig[i].units);
    }
    rec->age = h->age;
    rec->sex = h->sex;
    for (int i = 0; i < h->n_labels; i++)
        if (ecgx_record_add_label(rec, h->labels[i])) return ECGX_ERR_NOMEM;
    return 0;
}

int ecgx_wfdb_read_from(const wfdb_header *h, const char *src, wfdb_loader load, void *ctx,
                        ecgx_record **out, ecgx_read_info *info)
{
    *out = NULL;
    if (info) {
        memset(info, 0, sizeof *info);
        ecgx_strlcpy(info->format, "wfdb", sizeof info->format);
        info->signal_format = h->sig[0].format;
        ecgx_strlcpy(info->base_time, h->base_time, sizeof info->base_time);
        ecgx_strlcpy(info->base_date, h->base_date, sizeof info->base_date);
    }
    group groups[ECGX_MAX_LEADS];
    int n_groups = 0;
    for (int i = 0; i < h->n_sig; i++) {
        if (i == 0 || strcmp(h->sig[i].file, h->sig[i - 1].file) != 0) {
            groups[n_groups] = (group){.first = i, .n = 0};
            n_groups++;
        }
        groups[n_groups - 1].n++;
        if (info && is_mat_file(h->sig[i].file)) ecgx_strlcpy(info->format, "mat", sizeof info->format);
    }
    /* The sample count: the header's, or (when it gives none) what every file
     * holds. Files are located first so a wrong count fails before any large
     * allocation. */
    int has_file = 0;
    for (int i = 0; i < h->n_sig; i++) has_file |= h->sig[i].format != 0;
    if (!has_file) /* nothing would bound the sample count */
        return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: every signal is a null signal (format 0); no samples to read", src);
    int64_t n_samples = h->n_samples;
    ecgx_record *rec = NULL;
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        if (pass == 1) {
            rec = ecgx_record_new(h->n_sig, n_samples, h->fs);
            if (!rec) return ECGX_ERR_NOMEM;
            if ((rc = fill_metadata(h, rec))) break;
        }
        int64_t available = -1;
        for (int gi = 0; gi < n_groups && !rc; gi++) {
            group *g = &groups[gi];
            if (h->sig[g->first].format == 0) { /* null signal: no file, no samples */
                if (pass == 1)
                    for (int k = 0; k < g->n; k++) {
                        float *d = ecgx_record_lead(rec, g->first + k);
                        for (int64_t t = 0; t < n_samples; t++) d[t] = NAN;
                    }
                continue;
            }
            const uint8_t *buf;
            size_t len;
            if ((rc = load(ctx, h->sig[g->first].file, &buf, &len))) break;
            if ((rc = locate(h, src, g, buf, len))) break;
            if (pass == 0) {
                if (h->n_samples > 0 && (uint64_t)h->n_samples > g->frames) {
                    rc = ecgx_error(ECGX_ERR_FORMAT, "%s: header says %lld samples per signal, but %s holds %llu",
                                    src, (long long)h->n_samples, h->sig[g->first].file,
                                    (unsigned long long)g->frames);
                    break;
                }
                if (available < 0 || (int64_t)g->frames < available) available = (int64_t)g->frames;
            } else {
                rc = decode_group(h, g, n_samples, rec, info);
            }
        }
        if (pass == 0 && !rc && n_samples == 0) {
            if (available < 0)
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: no sample count in the header and no signal file to count them in", src);
            else
                n_samples = available;
        }
    }
    if (rc) { ecgx_record_free(rec); return rc; }
    *out = rec;
    return 0;
}

/* ---- files on disk ---- */
typedef struct file_loader {
    char dir[4096];
    char name[256]; /* the file whose bytes buf holds */
    char *buf;
    size_t len;
} file_loader;

/* Keeps the last file read: a one-file record (the usual case) is read once
 * even though the reader asks for it in both passes. */
static int load_file(void *ctx, const char *name, const uint8_t **data, size_t *n)
{
    file_loader *fl = ctx;
    if (!fl->buf || strcmp(fl->name, name) != 0) {
        free(fl->buf);
        fl->buf = NULL;
        char path[4096];
        if (ecgx_path_join(path, sizeof path, fl->dir, name))
            return ecgx_error(ECGX_ERR_ARG, "%s/%s: path too long", fl->dir, name);
        int rc = ecgx_read_file(path, ECGX_IO_SIGNAL_LIMIT, &fl->buf, &fl->len);
        if (rc) return rc;
        ecgx_strlcpy(fl->name, name, sizeof fl->name);
    }
    *data = (const uint8_t *)fl->buf;
    *n = fl->len;
    return 0;
}

/* "rec", "rec.hea", "rec.dat", "rec.mat" -> "rec.hea" */
static int header_path(const char *path, char *out, size_t n)
{
    size_t len = strlen(path);
    int w;
    if (len > 4 && strcasecmp_ascii(path + len - 4, ".hea") == 0)
        w = snprintf(out, n, "%s", path);
    else if (len > 4 && (strcasecmp_ascii(path + len - 4, ".dat") == 0 || strcasecmp_ascii(path + len - 4, ".mat") == 0))
        w = snprintf(out, n, "%.*s.hea", (int)(len - 4), path);
    else
        w = snprintf(out, n, "%s.hea", path);
    if (w < 0 || (size_t)w >= n) return ecgx_error(ECGX_ERR_ARG, "%.100s...: path too long", path);
    return 0;
}

int ecgx_wfdb_read(const char *path, ecgx_record **out, ecgx_read_info *info)
{
    *out = NULL;
    if (info) memset(info, 0, sizeof *info);
    char hea[4096];
    int rc = header_path(path, hea, sizeof hea);
    if (rc) return rc;
    char *text;
    size_t len;
    if ((rc = ecgx_read_file(hea, (size_t)1 << 24, &text, &len))) return rc;
    wfdb_header h;
    rc = ecgx_wfdb_header_parse(text, len, hea, &h);
    free(text);
    if (rc) return rc;
    file_loader fl = {.buf = NULL};
    ecgx_path_dir(hea, fl.dir, sizeof fl.dir);
    rc = ecgx_wfdb_read_from(&h, hea, load_file, &fl, out, info);
    free(fl.buf);
    ecgx_wfdb_header_free(&h);
    return rc;
}
