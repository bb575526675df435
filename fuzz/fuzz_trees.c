/* libFuzzer target: the trees file reader (ecgx_trees_load: our JSON, then
 * each class's XGBoost model through XGBoost's own parser) and, when a file
 * loads, a prediction and SHAP call on one all-missing record. Input: bytes
 * written to a temporary file. */
#include "ecgx/trees.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/ecgx-fuzz-trees-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) { close(fd); unlink(path); return 0; }
    close(fd);
    ecgx_trees *m = NULL;
    if (ecgx_trees_load(path, &m) == 0) {
        char *cols[1] = {"QRS_ms"};
        double x = NAN, margin;
        for (int c = 0; c < ecgx_trees_n_classes(m); c++) {
            int nf = ecgx_trees_n_features(m, c);
            double *phi = nf < 100000 ? malloc(sizeof *phi * (size_t)(nf + 1)) : NULL;
            ecgx_trees_predict(m, c, &x, 1, cols, 1, &margin, NULL);
            if (phi) ecgx_trees_shap(m, c, &x, 1, cols, 1, phi);
            free(phi);
        }
        ecgx_trees_free(m);
    }
    unlink(path);
    return 0;
}
