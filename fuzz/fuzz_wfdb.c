/* libFuzzer target: a whole WFDB record from memory. The first two bytes
 * give the header's length; the header follows; every signal file the header
 * names reads as the remaining bytes. Exercises every decoder with arbitrary
 * formats, offsets, skews and sample counts. */
#include "io/io_internal.h"

typedef struct mem { const uint8_t *data; size_t size; } mem;

static int load(void *ctx, const char *name, const uint8_t **data, size_t *n)
{
    const mem *m = ctx;
    (void)name;
    *data = m->data;
    *n = m->size;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t hl = (size_t)data[0] | (size_t)data[1] << 8;
    if (hl > size - 2) hl = size - 2;
    wfdb_header h;
    if (ecgx_wfdb_header_parse((const char *)data + 2, hl, "fuzz.hea", &h) != 0) return 0;
    mem m = {data + 2 + hl, size - 2 - hl};
    ecgx_record *r = NULL;
    ecgx_read_info info;
    if (ecgx_wfdb_read_from(&h, "fuzz.hea", load, &m, &r, &info) == 0) {
        if (!r || r->n_leads != h.n_sig) __builtin_trap();
        volatile float sink = 0;
        for (int64_t i = 0; i < (int64_t)r->n_leads * r->n_samples; i++) sink += r->data[i];
        ecgx_record_free(r);
    }
    ecgx_wfdb_header_free(&h);
    return 0;
}
