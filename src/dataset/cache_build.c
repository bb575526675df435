/* Building a folder's cache file: read every record once through the io
 * module and lay the samples out for in-place use (format in cache.c). */
#include "dataset/cache_format.h"
#include "dataset/internal.h"

#include "core/alloc.h"
#include "core/strutil.h"
#include "ecgx/io.h"
#include "ecgx/outfile.h"
#include "ecgx/progress.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct build_entry {
    uint64_t offset, n_samples;
    double fs;
    uint32_t n_leads, crc, rel_off, leads_off;
    const char *rel;   /* owned by the dataset's entry */
} build_entry;

typedef struct strbuf {
    char *data;
    size_t len, cap;
} strbuf;

static int sb_add(strbuf *b, const char *s, uint32_t *off)
{
    size_t n = strlen(s) + 1;
    if (b->len + n > UINT32_MAX) return ecgx_error(ECGX_ERR_RANGE, "cache index too large");
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return ecgx_error(ECGX_ERR_NOMEM, "out of memory");
        b->data = d;
        b->cap = cap;
    }
    if (off) *off = (uint32_t)b->len;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const build_entry *)a)->rel, ((const build_entry *)b)->rel);
}

static int write_zeros(FILE *fp, size_t n)
{
    static const unsigned char zeros[DATA_ALIGN];
    return fwrite(zeros, 1, n, fp) == n ? 0 : -1;
}

int ecgx_dataset_cache_build(const char *dir, const char *out_path, const ecgx_dataset_options *opt_in, int quiet)
{
    if (!little_endian()) return ecgx_error(ECGX_ERR_UNSUPPORTED, "caches need a little-endian machine");
    if (!dir || !*dir || strchr(dir, ','))
        return ecgx_error(ECGX_ERR_ARG, "a cache is built for one folder at a time ('%s')", dir ? dir : "");
    ecgx_dataset_options opt;
    if (opt_in) opt = *opt_in;
    else ecgx_dataset_options_init(&opt);
    /* every record the folder lists, whatever the label set */
    opt.label_set = NULL;
    opt.classes = NULL;
    opt.keep_unlabeled = 1;
    opt.cache = "none";
    ecgx_dataset *ds;
    int rc = ecgx_dataset_open(dir, &opt, &ds);
    if (rc) return rc;
    const ds_source *src;
    int n = ds_dataset_source_entries(ds, &src);
    char def_path[4096];
    if (!out_path || !*out_path) {
        ds_cache_default_path(src->dir, src->kind, src->rate, def_path, sizeof def_path);
        out_path = def_path;
    }
    char real_dir[PATH_MAX];
    if (!realpath(src->dir, real_dir)) ecgx_strlcpy(real_dir, src->dir, sizeof real_dir);

    build_entry *ents = ecgx_calloc_array((size_t)(n ? n : 1), sizeof *ents, "cache entries");
    strbuf sb = {0};
    ecgx_outfile of;
    int of_open = 0;
    uint32_t dir_off = 0;
    if (!ents) { rc = ECGX_ERR_NOMEM; goto done; }
    if ((rc = sb_add(&sb, real_dir, &dir_off))) goto done;
    if ((rc = ecgx_outfile_open(&of, out_path))) goto done;
    of_open = 1;
    unsigned char header[HEADER_SIZE] = {0};
    if (fwrite(header, 1, HEADER_SIZE, of.fp) != HEADER_SIZE) { rc = ecgx_error(ECGX_ERR_IO, "%s: write failed", out_path); goto done; }
    uint64_t pos = HEADER_SIZE;
    ecgx_progress prog;
    ecgx_progress_begin(&prog, "cache", n, quiet);
    for (int i = 0; i < n; i++) {
        const ds_entry *e = &src->entries[i];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", src->dir, e->rel);
        ecgx_record *rec;
        if ((rc = ecgx_record_read(path, &rec))) break;
        size_t pad = (size_t)((DATA_ALIGN - pos % DATA_ALIGN) % DATA_ALIGN);
        size_t bytes = (size_t)rec->n_leads * (size_t)rec->n_samples * sizeof(float);
        build_entry *b = &ents[i];
        b->offset = pos + pad;
        b->n_samples = (uint64_t)rec->n_samples;
        b->fs = rec->fs;
        b->n_leads = (uint32_t)rec->n_leads;
        b->crc = cache_crc(rec->data, bytes);
        b->rel = e->rel;
        for (int l = 0; rc == 0 && l < rec->n_leads; l++) {
            rc = sb_add(&sb, rec->leads[l].name, l == 0 ? &b->leads_off : NULL);
            if (!rc) rc = sb_add(&sb, rec->leads[l].units, NULL);
        }
        if (!rc && (write_zeros(of.fp, pad) || fwrite(rec->data, 1, bytes, of.fp) != bytes))
            rc = ecgx_error(ECGX_ERR_IO, "%s: write failed", out_path);
        ecgx_record_free(rec);
        if (rc) break;
        pos += pad + bytes;
        ecgx_progress_update(&prog, i + 1);
    }
    ecgx_progress_end(&prog);
    if (rc) goto done;
    {
        qsort(ents, (size_t)n, sizeof *ents, cmp_entry);
        for (int i = 0; rc == 0 && i < n; i++) rc = sb_add(&sb, ents[i].rel, &ents[i].rel_off);
        if (rc) goto done;
        size_t pad = (size_t)((8 - pos % 8) % 8);
        uint64_t index_off = pos + pad;
        size_t isize = 24 + (size_t)n * ENTRY_SIZE + sb.len;
        unsigned char *ix = ecgx_malloc_array(isize, 1, "cache index");
        if (!ix) { rc = ECGX_ERR_NOMEM; goto done; }
        memset(ix, 0, isize);
        wr64(ix, (uint64_t)n);
        wr64(ix + 8, sb.len);
        wr64(ix + 16, dir_off);
        for (int i = 0; i < n; i++) {
            unsigned char *en = ix + 24 + (size_t)i * ENTRY_SIZE;
            wr64(en, ents[i].offset);
            wr64(en + 8, ents[i].n_samples);
            memcpy(en + 16, &ents[i].fs, 8);
            wr32(en + 24, ents[i].n_leads);
            wr32(en + 28, ents[i].crc);
            wr32(en + 32, ents[i].rel_off);
            wr32(en + 36, ents[i].leads_off);
        }
        memcpy(ix + 24 + (size_t)n * ENTRY_SIZE, sb.data, sb.len);
        memcpy(header + H_MAGIC, CACHE_MAGIC, 8);
        wr32(header + H_VERSION, CACHE_VERSION);
        wr32(header + H_HEADER_SIZE, HEADER_SIZE);
        wr64(header + H_FILE_SIZE, index_off + isize);
        wr64(header + H_FINGERPRINT, src->fingerprint);
        wr32(header + H_N_RECORDS, (uint32_t)n);
        wr32(header + H_SAMPLE_TYPE, SAMPLE_FLOAT32);
        wr64(header + H_INDEX_OFF, index_off);
        wr64(header + H_INDEX_SIZE, isize);
        wr32(header + H_INDEX_CRC, cache_crc(ix, isize));
        wr32(header + H_RATE, (uint32_t)src->rate);
        wr64(header + H_PAYLOAD_OFF, HEADER_SIZE);
        wr64(header + H_PAYLOAD_SIZE, pos - HEADER_SIZE);
        wr32(header + H_CRC, cache_crc(header, H_CRC));
        if (write_zeros(of.fp, pad) || fwrite(ix, 1, isize, of.fp) != isize || fseek(of.fp, 0, SEEK_SET) != 0 ||
            fwrite(header, 1, HEADER_SIZE, of.fp) != HEADER_SIZE)
            rc = ecgx_error(ECGX_ERR_IO, "%s: write failed", out_path);
        free(ix);
        if (!rc) {
            rc = ecgx_outfile_commit(&of);
            of_open = 0;
        }
    }
done:
    if (of_open) ecgx_outfile_abort(&of);
    free(sb.data);
    free(ents);
    ecgx_dataset_free(ds);
    return rc;
}
