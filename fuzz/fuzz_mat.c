/* libFuzzer target: a Challenge record's .mat bytes, read through a fixed
 * header (1-3 signals, chosen from the input size) with ecgx_wfdb_read_from. */
#include "io/io_internal.h"

#include <stdio.h>
#include <string.h>

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
    mat4_info mi;
    (void)ecgx_mat4_parse(data, size, "fuzz.mat", &mi);
    int nsig = (int)(size % 3) + 1;
    char text[256];
    int w = snprintf(text, sizeof text, "m %d 500\n", nsig);
    for (int i = 0; i < nsig; i++) w += snprintf(text + w, sizeof text - (size_t)w, "m.mat 16+24 1000/mV 16 0 0 0 0 L%d\n", i);
    wfdb_header h;
    if (ecgx_wfdb_header_parse(text, strlen(text), "m.hea", &h) != 0) __builtin_trap();
    mem m = {data, size};
    ecgx_record *r = NULL;
    ecgx_read_info info;
    if (ecgx_wfdb_read_from(&h, "m.hea", load, &m, &r, &info) == 0) {
        if (!r || r->n_leads != nsig) __builtin_trap();
        ecgx_record_free(r);
    }
    ecgx_wfdb_header_free(&h);
    return 0;
}
