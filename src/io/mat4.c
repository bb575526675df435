/* MATLAB v4 matrix headers, as the PhysioNet/CinC Challenges store signals:
 * five 32-bit integers (type, mrows, ncols, imagf, namlen), the name with its
 * NUL, then mrows x ncols elements in column-major order. The type is
 * M*1000 + O*100 + P*10 + T: M the byte order (0 little, 1 big endian), O
 * zero, P the element type, T 0 for a numeric matrix. */
#include "io/io_internal.h"

#include <string.h>

static const size_t elem_sizes[6] = {8, 4, 4, 2, 2, 1};
static const char *const elem_names[6] = {"double", "single", "int32", "int16", "uint16", "uint8"};

static int32_t get32(const uint8_t *b, int big)
{
    uint32_t v = big ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                     : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
    return (int32_t)v;
}

int ecgx_mat4_parse(const uint8_t *buf, size_t len, const char *src, mat4_info *mi)
{
    memset(mi, 0, sizeof *mi);
    if (len < 20)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: %zu bytes is too short for a MATLAB v4 header (20 bytes)", src, len);
    /* The byte order is in the type field itself: read it both ways and keep
     * the reading whose M digit agrees. */
    int32_t type = get32(buf, 0);
    int big = 0;
    if (type < 0 || type > 4999 || type / 1000 != 0) {
        int32_t tb = get32(buf, 1);
        if (tb >= 1000 && tb <= 1999) { type = tb; big = 1; }
        else return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT type field %d is not a MATLAB v4 type (a v5/v7 .mat file?)",
                               src, (int)type);
    }
    int m = type / 1000, o = type / 100 % 10, p = type / 10 % 10, t = type % 10;
    (void)m;
    if (o != 0) return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT type field %d: reserved digit O is %d, not 0", src, (int)type, o);
    if (p > 5) return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT type field %d: element type P=%d is not 0..5", src, (int)type, p);
    if (t != 0)
        return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: MAT type field %d: T=%d is a %s matrix, not a numeric one",
                          src, (int)type, t, t == 1 ? "text" : t == 2 ? "sparse" : "unknown");
    int32_t mrows = get32(buf + 4, big), ncols = get32(buf + 8, big);
    int32_t imagf = get32(buf + 12, big), namlen = get32(buf + 16, big);
    if (mrows < 0) return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT mrows %d is negative", src, (int)mrows);
    if (ncols < 0) return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT ncols %d is negative", src, (int)ncols);
    if (imagf != 0 && imagf != 1) return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT imagf %d is not 0 or 1", src, (int)imagf);
    if (imagf) return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: MAT imagf 1: complex signals are not supported", src);
    if (namlen < 1 || namlen > 63)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT namlen %d is outside 1..63", src, (int)namlen);
    if (len < 20 + (size_t)namlen)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: file ends inside the MAT matrix name (namlen %d)", src, (int)namlen);
    const char *name = (const char *)buf + 20;
    if (name[namlen - 1] != '\0' || memchr(name, '\0', (size_t)namlen - 1))
        return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT matrix name is not a NUL-terminated string of namlen %d bytes",
                          src, (int)namlen);
    memcpy(mi->name, name, (size_t)namlen);
    mi->big_endian = big;
    mi->precision = p;
    mi->mrows = mrows;
    mi->ncols = ncols;
    mi->elem_size = elem_sizes[p];
    mi->data_offset = 20 + (size_t)namlen;
    /* mrows, ncols < 2^31 and elem_size <= 8: the product fits in 64 bits */
    uint64_t need = (uint64_t)mrows * (uint64_t)ncols * mi->elem_size;
    if (need > len - mi->data_offset)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: MAT matrix '%s' is %d x %d %s (%llu bytes) but the file holds %zu bytes of data",
                          src, mi->name, (int)mrows, (int)ncols, elem_names[p], (unsigned long long)need,
                          len - mi->data_offset);
    return 0;
}
