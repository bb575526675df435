#include "nn_regression.h"

#include "core/strutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nn_label_set_is_regression(const char *label_set)
{
    return label_set && !strcmp(label_set, "age");
}

int nn_model_is_regression(const ecgx_model *m)
{
    const char *task = ecgx_model_meta(m, "task");
    if (task) return !strcmp(task, "regression");
    return nn_label_set_is_regression(ecgx_model_meta(m, "labels"));
}

int nn_model_target_scale(const ecgx_model *m, const char *path, double *mean, double *sd)
{
    if (ecgx_model_n_classes(m) != 1)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: a regression model must have one output, not %d", path,
                          ecgx_model_n_classes(m));
    const char *a = ecgx_model_meta(m, "target_mean"), *b = ecgx_model_meta(m, "target_sd");
    if (!a || !b)
        return ecgx_error(ECGX_ERR_FORMAT, "%s: regression model without metadata 'target_mean'/'target_sd'", path);
    if (ecgx_parse_double(a, mean) || !isfinite(*mean))
        return ecgx_error(ECGX_ERR_FORMAT, "%s: metadata 'target_mean': bad number '%s'", path, a);
    if (ecgx_parse_double(b, sd) || !isfinite(*sd) || !(*sd > 0))
        return ecgx_error(ECGX_ERR_FORMAT, "%s: metadata 'target_sd': '%s' is not a positive number", path, b);
    return 0;
}

int nn_predict_windows_mean(ecgx_model *m, const float *x, int n, int window, int stride, float *out)
{
    int k = ecgx_windows_count(n, window, stride), K = ecgx_model_n_classes(m);
    float *lg = malloc(sizeof(float) * ((size_t)(k > 0 ? k : 1) * K + 1)), *probs = malloc(sizeof(float) * K);
    if (!lg || !probs) {
        free(lg);
        free(probs);
        return ecgx_error(ECGX_ERR_NOMEM, "predict: out of memory");
    }
    int rc = ecgx_model_predict_windows(m, x, n, window, stride, probs, lg);
    if (rc >= 0) {
        for (int j = 0; j < K; j++) {
            double s = 0;
            for (int w = 0; w < k; w++) s += lg[(size_t)w * K + j];
            out[j] = (float)(s / k);
        }
    }
    free(lg);
    free(probs);
    return rc;
}
