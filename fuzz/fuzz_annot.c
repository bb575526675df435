/* libFuzzer target: MIT annotation bytes -> ecgx_annot_parse; whatever
 * parses must encode and parse back to the same annotations. */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ecgx_annotations *a = NULL, *b = NULL;
    if (ecgx_annot_parse(data, size, "fuzz.atr", &a) != 0) return 0;
    uint8_t *enc = NULL;
    size_t n = 0;
    /* code 0 (a word A=0, I>0) parses but cannot be written: that refusal is fine */
    int writable = 1;
    for (int i = 0; i < a->n; i++) writable &= a->items[i].code >= 1;
    int rc = ecgx_annot_encode(a, "fuzz.atr", &enc, &n);
    if (writable && rc != 0) __builtin_trap();
    if (rc == 0) {
        if (ecgx_annot_parse(enc, n, "fuzz2.atr", &b) != 0 || b->n != a->n) __builtin_trap();
        for (int i = 0; i < a->n; i++) {
            const ecgx_annotation *x = &a->items[i], *y = &b->items[i];
            if (x->sample != y->sample || x->code != y->code || x->subtype != y->subtype || x->chan != y->chan ||
                x->num != y->num)
                __builtin_trap();
            if ((x->aux && x->aux[0]) != (y->aux && y->aux[0])) __builtin_trap();
            if (x->aux && x->aux[0] && strcmp(x->aux, y->aux) != 0) __builtin_trap();
        }
    }
    free(enc);
    ecgx_annotations_free(a);
    ecgx_annotations_free(b);
    return 0;
}
