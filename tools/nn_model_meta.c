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

/* Per-class thresholds from the model's metadata: "thresholds" as
 * "CD:0.31,MI:0.2" or as plain numbers in class order, or one key
 * "threshold_<CLASS>" per class. Returns 1 when every class got one. */
int nn_model_thresholds(const ecgx_model *m, const nn_model_meta *mm, double *thr)
{
    int got = 0;
    for (int k = 0; k < mm->n_classes; k++) thr[k] = NAN;
    const char *all = ecgx_model_meta(m, "thresholds");
    if (all) {
        char *copy = strdup(all), *save = NULL;
        int idx = 0;
        for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save), idx++) {
            char *colon = strchr(tok, ':');
            char *end;
            if (colon) {
                *colon = 0;
                double v = strtod(colon + 1, &end);
                for (int k = 0; k < mm->n_classes; k++)
                    if (!strcmp(mm->classes[k], tok) && end != colon + 1) thr[k] = v;
            } else if (idx < mm->n_classes) {
                double v = strtod(tok, &end);
                if (end != tok) thr[idx] = v;
            }
        }
        free(copy);
    }
    for (int k = 0; k < mm->n_classes; k++) {
        char key[96];
        snprintf(key, sizeof key, "threshold_%s", mm->classes[k]);
        const char *v = ecgx_model_meta(m, key);
        if (v) {
            char *end;
            double d = strtod(v, &end);
            if (end != v) thr[k] = d;
        }
    }
    for (int k = 0; k < mm->n_classes; k++) got += isfinite(thr[k]) && thr[k] >= 0 && thr[k] <= 1;
    return got == mm->n_classes;
}
