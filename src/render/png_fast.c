/* A fast PNG writer for ECG paper. Deflate with a general-purpose LZ77 is the
 * slow half of writing a 300 dpi page (~22 MB of RGB); this encoder exploits
 * what paper looks like instead. Each row is filtered with "up" (rows repeat
 * between grid lines) or "sub" (grid-line rows are constant along x),
 * whichever leaves more zero bytes; the filtered stream is then one deflate
 * block with the fixed Huffman code in which every run of zeros is a literal
 * zero plus distance-1 matches, and every other byte a literal. The Adler-32
 * of a zero run needs no per-byte work. The result is a standard PNG (any
 * decoder reads it; the tests decode it with libspng and zlib); it is a few
 * times larger than zlib -9 but an order of magnitude faster. */
#include "render/render_internal.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct bitw {
    uint8_t *buf;
    size_t len, cap;
    uint64_t acc;
    int nbits;
    int failed;
} bitw;

static int bw_reserve(bitw *w, size_t extra)
{
    if (w->len + extra <= w->cap) return 0;
    size_t cap = (w->cap + extra) * 2;
    uint8_t *b = realloc(w->buf, cap);
    if (!b) { w->failed = 1; return -1; }
    w->buf = b;
    w->cap = cap;
    return 0;
}

/* Append n (<= 32) bits, LSB first as deflate wants. Caller reserved room. */
static inline void bw_put(bitw *w, uint32_t bits, int n)
{
    w->acc |= (uint64_t)bits << w->nbits;
    w->nbits += n;
    while (w->nbits >= 8) {
        w->buf[w->len++] = (uint8_t)w->acc;
        w->acc >>= 8;
        w->nbits -= 8;
    }
}

/* Huffman codes are sent MSB first: reverse them once. */
static uint32_t rev(uint32_t code, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++) { r = (r << 1) | (code & 1); code >>= 1; }
    return r;
}

typedef struct fixed_codes {
    uint32_t lit[286];
    uint8_t lit_len[286];
    uint16_t len_sym[259]; /* match length 3..258 -> symbol */
    uint8_t len_extra_bits[259];
    uint16_t len_extra[259];
} fixed_codes;

static void build_fixed(fixed_codes *f)
{
    for (int s = 0; s < 286; s++) {
        uint32_t code;
        int n;
        if (s < 144) { code = 0x30 + s; n = 8; }
        else if (s < 256) { code = 0x190 + (s - 144); n = 9; }
        else if (s < 280) { code = s - 256; n = 7; }
        else { code = 0xC0 + (s - 280); n = 8; }
        f->lit[s] = rev(code, n);
        f->lit_len[s] = (uint8_t)n;
    }
    static const int base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const int extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                  3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    for (int len = 3; len <= 258; len++) {
        int k = 28;
        while (base[k] > len) k--;
        f->len_sym[len] = (uint16_t)(257 + k);
        f->len_extra_bits[len] = (uint8_t)extra[k];
        f->len_extra[len] = (uint16_t)(len - base[k]);
    }
}

#define ADLER_MOD 65521u

typedef struct adler { uint32_t a, b; } adler;

static void adler_zeros(adler *s, size_t n)
{
    s->b = (uint32_t)((s->b + (uint64_t)s->a * (n % ADLER_MOD)) % ADLER_MOD);
}

static void adler_bytes(adler *s, const uint8_t *p, size_t n)
{
    uLong v = adler32(((uLong)s->b << 16) | s->a, p, (uInt)n);
    s->a = (uint32_t)(v & 0xFFFF);
    s->b = (uint32_t)(v >> 16);
}

/* Index of the first nonzero byte in p[i..n), or n. Word at a time: most of
 * a filtered paper row is zeros. */
static inline size_t skip_zeros(const uint8_t *p, size_t i, size_t n)
{
    while (i + 8 <= n) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        if (v) return i + (size_t)(__builtin_ctzll(v) >> 3); /* little-endian: lowest byte first */
        i += 8;
    }
    while (i < n && p[i] == 0) i++;
    return i;
}

/* Encode one filtered row (with its filter byte) into the block. */
static void encode_row(bitw *w, const fixed_codes *f, const uint8_t *p, size_t n, adler *ad)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] != 0) {
            size_t a = i;
            while (i < n && p[i] != 0) {
                bw_put(w, f->lit[p[i]], f->lit_len[p[i]]);
                i++;
            }
            adler_bytes(ad, p + a, i - a);
            continue;
        }
        size_t a = i;
        i = skip_zeros(p, i, n);
        size_t run = i - a;
        adler_zeros(ad, run);
        /* literal 0, then copies of the previous byte (distance 1, distance code 0 = 5 zero bits) */
        bw_put(w, f->lit[0], f->lit_len[0]);
        run--;
        while (run >= 3) {
            size_t m = run > 258 ? 258 : run;
            if (run - m > 0 && run - m < 3) m = run - 3; /* leave a matchable tail */
            bw_put(w, f->lit[f->len_sym[m]], f->lit_len[f->len_sym[m]]);
            if (f->len_extra_bits[m]) bw_put(w, f->len_extra[m], f->len_extra_bits[m]);
            bw_put(w, 0, 5);
            run -= m;
        }
        while (run--) bw_put(w, f->lit[0], f->lit_len[0]);
    }
}

/* Filter a row both ways; returns the filtered row with fewer nonzero bytes.
 * "up" is tried first and kept without computing "sub" when it is nearly all
 * zeros (the common case between grid lines). */
static const uint8_t *filter_row(const uint8_t *row, const uint8_t *prev, size_t stride, uint8_t *up, uint8_t *sub,
                                 size_t *nonzero)
{
    size_t nz_up = 0, nz_sub = 0;
    up[0] = 2;
    if (prev) {
        for (size_t i = 0; i < stride; i++) {
            uint8_t u = (uint8_t)(row[i] - prev[i]);
            up[i + 1] = u;
            nz_up += u != 0;
        }
    } else {
        memcpy(up + 1, row, stride);
        nz_up = stride;
    }
    if (nz_up * 32 < stride) { *nonzero = nz_up; return up; }
    sub[0] = 1;
    for (size_t i = 0; i < 3 && i < stride; i++) { sub[i + 1] = row[i]; nz_sub += row[i] != 0; }
    for (size_t i = 3; i < stride; i++) {
        uint8_t v = (uint8_t)(row[i] - row[i - 3]);
        sub[i + 1] = v;
        nz_sub += v != 0;
    }
    if (nz_up <= nz_sub) { *nonzero = nz_up; return up; }
    *nonzero = nz_sub;
    return sub;
}

static void put_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static int append_chunk(bitw *out, const char *type, const uint8_t *data, size_t n)
{
    if (bw_reserve(out, n + 12)) return -1;
    put_u32be(out->buf + out->len, (uint32_t)n);
    memcpy(out->buf + out->len + 4, type, 4);
    if (n) memcpy(out->buf + out->len + 8, data, n);
    uLong crc = crc32(0, out->buf + out->len + 4, (uInt)(n + 4));
    put_u32be(out->buf + out->len + 8 + n, (uint32_t)crc);
    out->len += n + 12;
    return 0;
}

int render_png_fast(const ecgx_image *img, double dpi, void **png, size_t *len)
{
    *png = NULL;
    *len = 0;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
        return ecgx_error(ECGX_ERR_ARG, "PNG: no image to encode");
    size_t stride = (size_t)img->width * 3, H = (size_t)img->height;
    if (stride + 1 > (size_t)1 << 30 || H * (stride + 1) > ((size_t)1 << 32) - 1)
        return ecgx_error(ECGX_ERR_RANGE, "PNG: image too large for the fast encoder");
    fixed_codes *codes = malloc(sizeof *codes);
    uint8_t *up = ecgx_malloc_array(stride + 1, 1, "PNG row"), *sub = ecgx_malloc_array(stride + 1, 1, "PNG row");
    bitw z = {0};
    if (!codes || !up || !sub || bw_reserve(&z, H * 64 + 1024)) {
        free(codes); free(up); free(sub); free(z.buf);
        return ecgx_error(ECGX_ERR_NOMEM, "PNG: out of memory");
    }
    build_fixed(codes);
    /* zlib header: deflate, 32K window, fastest; then one final fixed block */
    z.buf[z.len++] = 0x78;
    z.buf[z.len++] = 0x01;
    bw_put(&z, 1, 1); /* BFINAL */
    bw_put(&z, 1, 2); /* BTYPE = 01 fixed */
    adler ad = {1, 0};
    for (size_t y = 0; y < H; y++) {
        const uint8_t *row = img->rgb + y * stride, *prev = y ? row - stride : NULL;
        size_t nz;
        const uint8_t *best = filter_row(row, prev, stride, up, sub, &nz);
        /* worst case: every byte a 9-bit literal */
        if (bw_reserve(&z, (stride + 1) * 9 / 8 + 64 + nz)) break;
        encode_row(&z, codes, best, stride + 1, &ad);
    }
    free(up);
    free(sub);
    free(codes);
    if (z.failed || bw_reserve(&z, 16)) { free(z.buf); return ecgx_error(ECGX_ERR_NOMEM, "PNG: out of memory"); }
    /* end of block: symbol 256 = seven zero bits */
    bw_put(&z, 0, 7);
    if (z.nbits) bw_put(&z, 0, 8 - z.nbits);
    uint32_t adl = (ad.b << 16) | ad.a;
    put_u32be(z.buf + z.len, adl);
    z.len += 4;

    bitw out = {0};
    static const uint8_t sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    uint8_t ihdr[13], phys[9];
    put_u32be(ihdr, (uint32_t)img->width);
    put_u32be(ihdr + 4, (uint32_t)img->height);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* truecolour */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    int rc = bw_reserve(&out, z.len + 128);
    if (!rc) { memcpy(out.buf, sig, 8); out.len = 8; }
    if (!rc) rc = append_chunk(&out, "IHDR", ihdr, 13);
    if (!rc && dpi > 0) {
        uint32_t ppm = (uint32_t)(dpi / 0.0254 + 0.5);
        put_u32be(phys, ppm);
        put_u32be(phys + 4, ppm);
        phys[8] = 1;
        rc = append_chunk(&out, "pHYs", phys, 9);
    }
    if (!rc) rc = append_chunk(&out, "IDAT", z.buf, z.len);
    if (!rc) rc = append_chunk(&out, "IEND", NULL, 0);
    free(z.buf);
    if (rc) { free(out.buf); return ecgx_error(ECGX_ERR_NOMEM, "PNG: out of memory"); }
    *png = out.buf;
    *len = out.len;
    return 0;
}
