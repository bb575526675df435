/* MIT-format annotation files (.atr, LUDB's .i ... .v6). The file is a
 * sequence of little-endian 16-bit words: the top 6 bits a code A, the low
 * 10 bits a number I. A in 1..49 starts an annotation I samples after the
 * previous one. Pseudo-codes modify it: SKIP (59) adds the 32-bit interval
 * in the next 4 bytes (high 16-bit word first) to the time; NUM (60), SUB
 * (61) and CHN (62) set the num, subtype and chan fields (num and chan carry
 * over to later annotations); AUX (63) is followed by I bytes of text,
 * padded to an even length. A = 0, I = 0 ends the file. */
#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/outfile.h"
#include "io/io_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SKIP = 59, NUM = 60, SUB = 61, CHN = 62, AUX = 63 };
#define MAX_SAMPLE ((int64_t)1 << 53)

static int32_t sext10(int v) { return (v & 0x200) ? v - 0x400 : v; }

void ecgx_annotations_free(ecgx_annotations *ann)
{
    if (!ann) return;
    for (int i = 0; i < ann->n; i++) free(ann->items[i].aux);
    free(ann->items);
    free(ann);
}

int ecgx_annot_parse(const uint8_t *b, size_t len, const char *src, ecgx_annotations **out)
{
    *out = NULL;
    ecgx_annotations *ann = calloc(1, sizeof *ann);
    if (!ann) return ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", src);
    int cap = 0, num = 0, chan = 0;
    int64_t t = 0;
    size_t pos = 0;
    int rc = 0, ended = 0;
    ecgx_annotation *cur = NULL; /* the annotation pseudo-codes apply to */
    while (pos + 2 <= len) {
        unsigned word = b[pos] | (unsigned)b[pos + 1] << 8;
        size_t at = pos;
        pos += 2;
        int a = (int)(word >> 10), i = (int)(word & 0x3ff);
        if (a == 0 && i == 0) { ended = 1; break; } /* end of file */
        if (a == SKIP) {
            if (pos + 4 > len) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: byte %zu: SKIP interval cut off by the end of the file", src, at); break; }
            uint32_t hi = b[pos] | (uint32_t)b[pos + 1] << 8, lo = b[pos + 2] | (uint32_t)b[pos + 3] << 8;
            t += (int32_t)(hi << 16 | lo);
            pos += 4;
            if (t < -MAX_SAMPLE || t > MAX_SAMPLE) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: byte %zu: SKIP moves the time out of range", src, at); break; }
            continue;
        }
        if (a == NUM || a == SUB || a == CHN || a == AUX) {
            if (!cur) {
                rc = ecgx_error(ECGX_ERR_FORMAT, "%s: byte %zu: %s pseudo-annotation before any annotation", src, at,
                                a == NUM ? "NUM" : a == SUB ? "SUB" : a == CHN ? "CHN" : "AUX");
                break;
            }
            if (a == NUM) cur->num = num = sext10(i);
            else if (a == SUB) cur->subtype = sext10(i);
            else if (a == CHN) cur->chan = chan = i;
            else {
                size_t padded = (size_t)i + (size_t)(i & 1);
                if (pos + padded > len) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: byte %zu: AUX text of %d bytes cut off by the end of the file", src, at, i); break; }
                free(cur->aux);
                cur->aux = malloc((size_t)i + 1);
                if (!cur->aux) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", src); break; }
                memcpy(cur->aux, b + pos, (size_t)i);
                cur->aux[i] = '\0';
                cur->aux_len = i;
                pos += padded;
            }
            continue;
        }
        if (a > 49) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: byte %zu: annotation code %d is not defined", src, at, a); break; }
        t += i;
        if (t < 0) { rc = ecgx_error(ECGX_ERR_FORMAT, "%s: byte %zu: annotation at negative sample %lld", src, at, (long long)t); break; }
        if (ann->n == cap) {
            int nc = cap ? cap * 2 : 256;
            ecgx_annotation *it = realloc(ann->items, sizeof *it * (size_t)nc);
            if (!it) { rc = ecgx_error(ECGX_ERR_NOMEM, "%s: out of memory", src); break; }
            ann->items = it;
            cap = nc;
        }
        cur = &ann->items[ann->n++];
        *cur = (ecgx_annotation){.sample = t, .code = a, .subtype = 0, .chan = chan, .num = num, .aux = NULL};
    }
    if (!rc && !ended && pos != len)
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: odd length: the last word is cut off", src);
    if (rc) { ecgx_annotations_free(ann); return rc; }
    *out = ann;
    return 0;
}

typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
} wbuf;

static int put(wbuf *w, const void *data, size_t n)
{
    if (w->n + n > w->cap) {
        size_t nc = (w->cap ? w->cap * 2 : 4096);
        while (nc < w->n + n) nc *= 2;
        uint8_t *p = realloc(w->p, nc);
        if (!p) return ecgx_error(ECGX_ERR_NOMEM, "annotations: out of memory");
        w->p = p;
        w->cap = nc;
    }
    memcpy(w->p + w->n, data, n);
    w->n += n;
    return 0;
}

static int put_word(wbuf *w, int a, int i)
{
    unsigned v = ((unsigned)a << 10) | ((unsigned)i & 0x3ff);
    uint8_t b[2] = {(uint8_t)(v & 0xff), (uint8_t)(v >> 8)};
    return put(w, b, 2);
}

int ecgx_annot_encode(const ecgx_annotations *ann, const char *src, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    wbuf w = {0};
    int64_t prev = 0;
    int num = 0, chan = 0, rc = 0;
    for (int k = 0; k < (ann ? ann->n : 0) && !rc; k++) {
        const ecgx_annotation *a = &ann->items[k];
        if (a->code < 1 || a->code > 49)
            rc = ecgx_error(ECGX_ERR_ARG, "%s: annotation %d: code %d is outside 1..49", src, k, a->code);
        else if (a->sample < 0 || a->sample > MAX_SAMPLE)
            rc = ecgx_error(ECGX_ERR_ARG, "%s: annotation %d: sample %lld out of range", src, k, (long long)a->sample);
        else if (a->subtype < -512 || a->subtype > 511 || a->num < -512 || a->num > 511 || a->chan < 0 || a->chan > 1023)
            rc = ecgx_error(ECGX_ERR_ARG, "%s: annotation %d: subtype/num must be in -512..511, chan in 0..1023", src, k);
        else if (a->aux && (strlen(a->aux) > 1023 || a->aux_len > 1023))
            rc = ecgx_error(ECGX_ERR_ARG, "%s: annotation %d: aux text longer than 1023 bytes", src, k);
        if (rc) break;
        int64_t delta = a->sample - prev;
        if (delta < 0 || delta > 1023) {
            /* SKIP carries intervals that do not fit in 10 bits, in steps a
             * 32-bit signed integer can hold */
            while (delta != 0 && !rc) {
                int64_t step = delta > INT32_MAX ? INT32_MAX : delta < INT32_MIN ? INT32_MIN : delta;
                uint32_t u = (uint32_t)(int32_t)step;
                uint8_t s[4] = {(uint8_t)(u >> 16), (uint8_t)(u >> 24), (uint8_t)u, (uint8_t)(u >> 8)};
                rc = put_word(&w, SKIP, 0);
                if (!rc) rc = put(&w, s, 4);
                delta -= step;
            }
        }
        if (!rc) rc = put_word(&w, a->code, (int)delta);
        if (!rc && a->subtype != 0) rc = put_word(&w, SUB, a->subtype);
        if (!rc && a->chan != chan) rc = put_word(&w, CHN, a->chan);
        if (!rc && a->num != num) rc = put_word(&w, NUM, a->num);
        if (!rc && a->aux && (a->aux[0] || a->aux_len > 0)) {
            /* the stored length, never past the string's own NUL */
            size_t n = strlen(a->aux);
            if (a->aux_len > 0 && (size_t)a->aux_len <= n + 1) n = (size_t)a->aux_len;
            rc = put_word(&w, AUX, (int)n);
            if (!rc) rc = put(&w, a->aux, n);
            if (!rc && (n & 1)) rc = put(&w, "", 1);
        }
        chan = a->chan;
        num = a->num;
        prev = a->sample;
    }
    if (!rc) rc = put_word(&w, 0, 0);
    if (rc) { free(w.p); return rc; }
    *buf = w.p;
    *len = w.n;
    return 0;
}

/* "<record>.<ext>", the record given with or without ".hea". */
static int annot_path(const char *record, const char *ext, char *out, size_t n)
{
    if (!record || !ext || !*ext) return ecgx_error(ECGX_ERR_ARG, "annotations: record and extension are required");
    size_t len = strlen(record);
    if (len > 4 && strcasecmp_ascii(record + len - 4, ".hea") == 0) len -= 4;
    int w = snprintf(out, n, "%.*s.%s", (int)len, record, ext);
    if (w < 0 || (size_t)w >= n) return ecgx_error(ECGX_ERR_ARG, "%s: path too long", record);
    return 0;
}

int ecgx_annot_read(const char *record, const char *ext, ecgx_annotations **out)
{
    *out = NULL;
    char path[4096];
    int rc = annot_path(record, ext, path, sizeof path);
    if (rc) return rc;
    char *data;
    size_t len;
    if ((rc = ecgx_read_file(path, ECGX_IO_TEXT_LIMIT, &data, &len))) return rc;
    rc = ecgx_annot_parse((const uint8_t *)data, len, path, out);
    free(data);
    return rc;
}

int ecgx_annot_write(const char *record, const char *ext, const ecgx_annotations *ann)
{
    char path[4096];
    int rc = annot_path(record, ext, path, sizeof path);
    if (rc) return rc;
    uint8_t *buf;
    size_t len;
    if ((rc = ecgx_annot_encode(ann, path, &buf, &len))) return rc;
    rc = ecgx_write_file_atomic(path, buf, len);
    free(buf);
    return rc;
}
