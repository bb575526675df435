/* libFuzzer target: CSV text -> ecgx_csv_parse. */
#include "io/io_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ecgx_record *r = NULL;
    if (ecgx_csv_parse((const char *)data, size, 500, "fuzz.csv", &r) == 0) {
        if (!r || r->n_leads < 1 || r->n_samples < 0) __builtin_trap();
        volatile float sink = 0;
        for (int64_t i = 0; i < (int64_t)r->n_leads * r->n_samples; i++) sink += r->data[i];
        ecgx_record_free(r);
    }
    return 0;
}
