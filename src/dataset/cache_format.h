/* The dataset cache's file format (see cache.c for the layout) and the
 * byte-level helpers its reader and writer share. */
#ifndef ECGX_DATASET_CACHE_FORMAT_H
#define ECGX_DATASET_CACHE_FORMAT_H

#include <stdint.h>
#include <string.h>
#include <zlib.h>

#define CACHE_MAGIC "ECGXCACH"
#define CACHE_VERSION 1u
#define HEADER_SIZE 128
#define ENTRY_SIZE 48
#define DATA_ALIGN 64
#define SAMPLE_FLOAT32 1u

/* header field offsets */
enum {
    H_MAGIC = 0, H_VERSION = 8, H_HEADER_SIZE = 12, H_FILE_SIZE = 16, H_FINGERPRINT = 24,
    H_N_RECORDS = 32, H_SAMPLE_TYPE = 36, H_INDEX_OFF = 40, H_INDEX_SIZE = 48, H_INDEX_CRC = 56,
    H_RATE = 60, H_PAYLOAD_OFF = 64, H_PAYLOAD_SIZE = 72, H_CRC = 124
};

static inline int little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static inline uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void wr32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void wr64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static inline uint32_t cache_crc(const void *data, size_t n)
{
    /* zlib's crc32 takes uInt lengths: feed large buffers in pieces */
    uLong c = crc32(0L, Z_NULL, 0);
    const unsigned char *p = data;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

#endif
