/* libFuzzer target for the dataset module's parsers of untrusted bytes: the
 * CSV reader, the scp_codes dict parser, the cache file reader, and (first
 * byte >= 0xF0) a labels file outside the data folder read whole or by one
 * label column (ecgx_dataset_options.labels_file / label_column). The first
 * byte picks which. */
#include "ecgx/dataset.h"
#include "dataset/cache_format.h"
#include "dataset/csv.h"
#include "dataset/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int count_key(void *ctx, const char *key)
{
    (void)key;
    (*(int *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (data[0] >= 0xF0) {
        /* a labels file beside an empty folder: every row's record is absent,
         * but the header, the label column and every cell are parsed */
        char dir[] = "/tmp/ecgx-fuzz-dir-XXXXXX", path[] = "/tmp/ecgx-fuzz-labels-XXXXXX";
        if (!mkdtemp(dir)) return 0;
        int fd = mkstemp(path);
        if (fd < 0) { rmdir(dir); return 0; }
        ssize_t wrote = write(fd, data + 1, size - 1);
        close(fd);
        if (wrote == (ssize_t)(size - 1)) {
            static const char *const cols[] = {NULL, "label", "AF", "split"};
            ecgx_dataset_options o;
            ecgx_dataset_options_init(&o);
            o.labels_file = path;
            o.label_column = cols[data[0] & 3];
            ecgx_dataset *ds = NULL;
            if (ecgx_dataset_open(dir, &o, &ds) == 0) ecgx_dataset_free(ds);
        }
        unlink(path);
        rmdir(dir);
        return 0;
    }
    int mode = data[0] % 4;
    data++;
    size--;
    if (mode == 0) {
        csv_reader r;
        if (csv_open_text(&r, "fuzz.csv", (const char *)data, size) == 0) {
            long total = 0;
            while (csv_next(&r) > 0)
                for (int i = 0; i < r.n_fields; i++) total += (long)strlen(r.fields[i]);
            (void)total;
        }
        csv_close(&r);
    } else if (mode == 1) {
        char *s = malloc(size + 1);
        if (!s) return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        int n = 0;
        const char *why = "";
        ds_parse_pydict_keys(s, count_key, &n, &why);
        free(s);
    } else {
        /* mode 3: repair the checksums first, so that mutations reach the
         * structural checks behind them */
        uint8_t *b = malloc(size ? size : 1);
        if (!b) return 0;
        memcpy(b, data, size);
        if (mode == 3 && size >= HEADER_SIZE) {
            uint64_t ioff = rd64(b + H_INDEX_OFF), isize = rd64(b + H_INDEX_SIZE);
            if (ioff <= size && isize <= size - ioff) wr32(b + H_INDEX_CRC, cache_crc(b + ioff, (size_t)isize));
            wr64(b + H_FILE_SIZE, size);
            wr32(b + H_CRC, cache_crc(b, H_CRC));
        }
        char path[] = "/tmp/ecgx-fuzz-cache-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) { free(b); return 0; }
        ssize_t wrote = write(fd, b, size);
        free(b);
        if (wrote != (ssize_t)size) { close(fd); unlink(path); return 0; }
        close(fd);
        ds_cache *c;
        if (ds_cache_open(path, &c) == 0) {
            for (int e = 0; e < ds_cache_n_records(c); e++) {
                const float *d;
                int nl;
                int64_t ns;
                double fs;
                if (ds_cache_samples(c, e, 1, &d, &nl, &ns, &fs) == 0) {
                    const char *name, *unit;
                    for (int l = 0; l < nl; l++) ds_cache_lead(c, e, l, &name, &unit);
                }
            }
            ds_cache_find(c, "records100/00000/00001_lr");
            ds_cache_close(c);
        }
        unlink(path);
    }
    return 0;
}
