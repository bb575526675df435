/* libFuzzer target: WFDB header text -> ecgx_wfdb_header_parse. */
#include "io/io_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wfdb_header h;
    if (ecgx_wfdb_header_parse((const char *)data, size, "fuzz.hea", &h) == 0) {
        /* what a parsed header promises the reader */
        if (h.n_sig < 1 || h.n_sig > ECGX_MAX_LEADS || !(h.fs > 0) || !h.sig) __builtin_trap();
        for (int i = 0; i < h.n_sig; i++)
            if (!ecgx_wfdb_format_known(h.sig[i].format) || h.sig[i].gain == 0 || h.sig[i].spf != 1) __builtin_trap();
        ecgx_wfdb_header_free(&h);
    }
    return 0;
}
