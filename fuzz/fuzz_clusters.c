/* libFuzzer target: a clusters file (safetensors with ecgx clusters
 * metadata), loaded with ecgx_clusters_load (with and without the
 * surrogate's bytes). The loader reads from a path, so the bytes go to a
 * scratch file first. A file that loads must hold positive variances. */
#include "ecgx/clusters.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_clusters_%d.safetensors", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    for (int flags = 0; flags < 2; flags++) {
        ecgx_clusters *c = NULL;
        if (ecgx_clusters_load_ex(path, flags ? ECGX_CLUSTERS_NO_SURROGATE : 0, &c) == 0) {
            if (!c || c->gmm.k < 1 || c->dim < 1) __builtin_trap();
            for (int i = 0; i < c->gmm.k * c->gmm.dim; i++)
                if (!(c->gmm.var[i] > 0)) __builtin_trap();
            ecgx_clusters_free(c);
        } else if (c) __builtin_trap();
    }
    unlink(path);
    return 0;
}
