/* The dataset cache: one file per folder holding every record's signal as
 * float32, laid out so that a record's samples are used in place from a
 * read-only memory map.
 *
 * Layout (version 1, little-endian, offsets from the start of the file):
 *   header   128 bytes (below), CRC-32 over its first 124 bytes in the last 4
 *   payload  from byte 128: per record n_leads * n_samples float32, lead-major,
 *            each record starting on a 64-byte boundary
 *   index    8-byte aligned: n_entries u64, strings_size u64, dir_off u64,
 *            n_entries * 48-byte entries (sorted by relative path), strings
 * Entry: data_offset u64, n_samples u64, fs f64, n_leads u32, data_crc u32,
 *        rel_off u32, leads_off u32, reserved u64. Strings: NUL-terminated;
 *        a record's leads are n_leads pairs "name\0unit\0".
 * The header's CRC, the index's CRC (in the header) and the file size are
 * checked on open; a record's own CRC the first time its samples are used
 * in the process. The
 * header also holds the folder fingerprint (names, sizes and mtimes of its
 * metadata and record files): a mismatch means the cache is stale. */
#include "dataset/cache_format.h"
#include "dataset/internal.h"

#include "core/strutil.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct ds_cache {
    char path[4096];
    const unsigned char *map;
    size_t size;
    uint64_t fingerprint;
    uint64_t n;
    const unsigned char *entries;
    const char *strings;
    uint64_t strings_size;
    const char *dir;
    /* Records whose checksum has been checked in this process. Atomic so that
     * loads on several threads can mark them; a race only means checking a
     * record twice. The map is read-only and a rebuilt cache replaces the file
     * by rename, so a checked record cannot change under us. */
    atomic_uchar *checked;
};

void ds_cache_default_path(const char *dir, int kind, int rate, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, kind == DS_PTBXL && rate == 500 ? ".ecgx-cache-500" : ".ecgx-cache");
}

void ds_cache_close(ds_cache *c)
{
    if (!c) return;
    if (c->map) munmap((void *)c->map, c->size);
    free(c->checked);
    free(c);
}

uint64_t ds_cache_fingerprint(const ds_cache *c) { return c->fingerprint; }
const char *ds_cache_dir(const ds_cache *c) { return c->dir; }
int ds_cache_n_records(const ds_cache *c) { return (int)c->n; }

/* A NUL-terminated string at off inside the string table, or NULL. */
static const char *string_at(const ds_cache *c, uint64_t off)
{
    if (off >= c->strings_size) return NULL;
    const char *s = c->strings + off;
    return memchr(s, '\0', (size_t)(c->strings_size - off)) ? s : NULL;
}

static int check_entries(ds_cache *c, uint64_t payload_off, uint64_t index_off)
{
    const char *prev = NULL;
    for (uint64_t i = 0; i < c->n; i++) {
        const unsigned char *e = c->entries + i * ENTRY_SIZE;
        uint64_t off = rd64(e), ns = rd64(e + 8);
        double fs;
        memcpy(&fs, e + 16, 8);
        uint32_t nl = rd32(e + 24);
        const char *rel = string_at(c, rd32(e + 32));
        if (!rel) return ecgx_error(ECGX_ERR_FORMAT, "%s: index entry %llu: bad name", c->path, (unsigned long long)i);
        if (nl < 1 || nl > ECGX_MAX_LEADS || ns < 1 || ns > ((uint64_t)1 << 40) || !isfinite(fs) || fs <= 0)
            return ecgx_error(ECGX_ERR_FORMAT, "%s: record %s: bad shape (%u leads, %llu samples, %g Hz)", c->path,
                              rel, nl, (unsigned long long)ns, fs);
        uint64_t bytes = (uint64_t)nl * ns * 4;
        if (off % DATA_ALIGN || off < payload_off || off > index_off || bytes > index_off - off)
            return ecgx_error(ECGX_ERR_FORMAT, "%s: record %s: samples outside the payload", c->path, rel);
        uint64_t lo = rd32(e + 36);
        for (uint32_t k = 0; k < 2 * nl; k++) {
            const char *s = string_at(c, lo);
            if (!s) return ecgx_error(ECGX_ERR_FORMAT, "%s: record %s: bad lead names", c->path, rel);
            lo += strlen(s) + 1;
        }
        if (prev && strcmp(prev, rel) >= 0)
            return ecgx_error(ECGX_ERR_FORMAT, "%s: index not sorted at %s", c->path, rel);
        prev = rel;
    }
    return 0;
}

int ds_cache_open(const char *path, ds_cache **out)
{
    *out = NULL;
    if (!little_endian()) return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: caches need a little-endian machine", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ecgx_error(ECGX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ecgx_error(ECGX_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (size < HEADER_SIZE) {
        close(fd);
        return ecgx_error(ECGX_ERR_FORMAT, "%s: truncated: %zu bytes, shorter than the %d-byte header", path, size,
                          HEADER_SIZE);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return ecgx_error(ECGX_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    ds_cache *c = calloc(1, sizeof *c);
    if (!c) { munmap(map, size); return ecgx_error(ECGX_ERR_NOMEM, "out of memory"); }
    ecgx_strlcpy(c->path, path, sizeof c->path);
    c->map = map;
    c->size = size;
    const unsigned char *h = map;
    int rc = 0;
    if (memcmp(h + H_MAGIC, CACHE_MAGIC, 8) != 0) {
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: not an ecgx dataset cache (bad magic)", path);
    } else if (rd32(h + H_VERSION) != CACHE_VERSION) {
        rc = ecgx_error(ECGX_ERR_UNSUPPORTED,
                        "%s: cache format version %u, this ecgx reads version %u: rebuild it with 'ecgx dataset cache'",
                        path, rd32(h + H_VERSION), CACHE_VERSION);
    } else if (cache_crc(h, H_CRC) != rd32(h + H_CRC)) {
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: header checksum mismatch (damaged file)", path);
    } else if (rd64(h + H_FILE_SIZE) != size) {
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: truncated or extended: %zu bytes, the header says %llu", path, size,
                        (unsigned long long)rd64(h + H_FILE_SIZE));
    } else if (rd32(h + H_HEADER_SIZE) != HEADER_SIZE || rd32(h + H_SAMPLE_TYPE) != SAMPLE_FLOAT32) {
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: bad header fields", path);
    }
    uint64_t ioff = rd64(h + H_INDEX_OFF), isize = rd64(h + H_INDEX_SIZE), poff = rd64(h + H_PAYLOAD_OFF);
    if (!rc && (ioff % 8 || ioff < HEADER_SIZE || ioff > size || isize > size - ioff || isize < 24 ||
                poff < HEADER_SIZE || poff > ioff))
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: bad index position", path);
    if (!rc && cache_crc(h + ioff, (size_t)isize) != rd32(h + H_INDEX_CRC))
        rc = ecgx_error(ECGX_ERR_FORMAT, "%s: index checksum mismatch (damaged file)", path);
    if (!rc) {
        const unsigned char *ix = h + ioff;
        c->n = rd64(ix);
        c->strings_size = rd64(ix + 8);
        uint64_t dir_off = rd64(ix + 16);
        if (c->n != rd32(h + H_N_RECORDS) || c->n > (isize - 24) / ENTRY_SIZE ||
            c->strings_size != isize - 24 - c->n * ENTRY_SIZE)
            rc = ecgx_error(ECGX_ERR_FORMAT, "%s: bad index sizes", path);
        if (!rc) {
            c->entries = ix + 24;
            c->strings = (const char *)(ix + 24 + c->n * ENTRY_SIZE);
            if (!(c->dir = string_at(c, dir_off))) rc = ecgx_error(ECGX_ERR_FORMAT, "%s: bad folder name", path);
        }
        if (!rc) rc = check_entries(c, poff, ioff);
        if (!rc && !(c->checked = calloc(c->n ? c->n : 1, sizeof *c->checked)))
            rc = ecgx_error(ECGX_ERR_NOMEM, "out of memory");
    }
    c->fingerprint = rd64(h + H_FINGERPRINT);
    if (rc) { ds_cache_close(c); return rc; }
    *out = c;
    return 0;
}

int ds_cache_find(const ds_cache *c, const char *rel)
{
    int64_t lo = 0, hi = (int64_t)c->n - 1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        const char *s = c->strings + rd32(c->entries + mid * ENTRY_SIZE + 32);
        int cmp = strcmp(rel, s);
        if (cmp == 0) return (int)mid;
        if (cmp < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return -1;
}

int ds_cache_samples(const ds_cache *c, int e, int verify, const float **data, int *n_leads, int64_t *n_samples,
                     double *fs)
{
    if (e < 0 || (uint64_t)e >= c->n) return ecgx_error(ECGX_ERR_RANGE, "%s: no entry %d", c->path, e);
    const unsigned char *en = c->entries + (size_t)e * ENTRY_SIZE;
    uint64_t off = rd64(en), ns = rd64(en + 8);
    uint32_t nl = rd32(en + 24);
    if (verify && !atomic_load_explicit(&c->checked[e], memory_order_acquire)) {
        if (cache_crc(c->map + off, (size_t)(nl * ns * 4)) != rd32(en + 28))
            return ecgx_error(ECGX_ERR_FORMAT, "%s: record %s: checksum mismatch (damaged cache; rebuild it)",
                              c->path, c->strings + rd32(en + 32));
        atomic_store_explicit(&c->checked[e], 1, memory_order_release);
    }
    *data = (const float *)(const void *)(c->map + off);
    *n_leads = (int)nl;
    *n_samples = (int64_t)ns;
    memcpy(fs, en + 16, 8);
    return 0;
}

void ds_cache_lead(const ds_cache *c, int e, int lead, const char **name, const char **unit)
{
    const unsigned char *en = c->entries + (size_t)e * ENTRY_SIZE;
    const char *s = c->strings + rd32(en + 36);
    for (int k = 0; k < 2 * lead; k++) s += strlen(s) + 1;
    *name = s;
    *unit = s + strlen(s) + 1;
}

int ecgx_dataset_cache_verify(const char *path, int *n_records)
{
    ds_cache *c;
    int rc = ds_cache_open(path, &c);
    if (rc) return rc;
    for (uint64_t e = 0; rc == 0 && e < c->n; e++) {
        const float *d;
        int nl;
        int64_t ns;
        double fs;
        rc = ds_cache_samples(c, (int)e, 1, &d, &nl, &ns, &fs);
    }
    if (n_records) *n_records = (int)c->n;
    ds_cache_close(c);
    return rc;
}

