#include "nn_model_meta.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nn_model_meta_read(const ecgx_model *m, const char *path, nn_model_meta *mm)
{
    memset(mm, 0, sizeof *mm);
    const char *fs = ecgx_model_meta(m, "fs"), *win = ecgx_model_meta(m, "input_length"),
               *st = ecgx_model_meta(m, "window_stride"), *cl = ecgx_model_meta(m, "classes");
    mm->fs = fs ? atof(fs) : 100.0;
    mm->window = win ? atoi(win) : (int)(2.5 * mm->fs);
    mm->stride = st ? atoi(st) : mm->window / 2;
    if (!(mm->fs >= 1 && mm->fs <= 100000) || mm->window < 1 || mm->stride < 1)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: metadata fs/input_length/window_stride out of range", path);
    mm->n_classes = ecgx_model_n_classes(m);
    if (mm->n_classes > 64) return ecgx_error(ECGX_ERR_UNSUPPORTED, "%s: more than 64 classes", path);
    int k = 0;
    if (cl) {
        const char *p = cl;
        while (*p && k < mm->n_classes) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            snprintf(mm->classes[k++], sizeof mm->classes[0], "%.*s", (int)(n < 63 ? n : 63), p);
            p = e ? e + 1 : p + n;
        }
        if (k != mm->n_classes)
            return ecgx_error(ECGX_ERR_FORMAT, "%s: metadata names %d classes, the model has %d outputs", path, k,
                              mm->n_classes);
    }
    for (; k < mm->n_classes; k++) snprintf(mm->classes[k], sizeof mm->classes[0], "class%d", k);
    return 0;
}

/* The library's reading (ecgx_model_thresholds); kept for the commands
 * that take the class list from nn_model_meta. */
int nn_model_thresholds(const ecgx_model *m, const nn_model_meta *mm, double *thr)
{
    (void)mm;
    return ecgx_model_thresholds(m, thr, NULL) == 1;
}
