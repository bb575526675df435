#include "nn_metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int nn_eval(const float *scores, const float *targets, int n, int K, const ecgx_eval_options *opt,
            ecgx_eval_result **out)
{
    *out = NULL;
    size_t nk = (size_t)n * (size_t)K;
    double *s = malloc(sizeof(double) * (nk + 1));
    uint8_t *y = malloc(nk + 1);
    if (!s || !y) {
        free(s);
        free(y);
        return ecgx_error(ECGX_ERR_NOMEM, "eval: out of memory");
    }
    for (size_t i = 0; i < nk; i++) {
        s[i] = scores[i];
        y[i] = targets[i] > 0.5f;
    }
    int rc = ecgx_eval_multilabel(s, y, n, K, opt, out);
    free(s);
    free(y);
    return rc;
}

double nn_macro_auroc(const float *scores, const float *targets, int n, int K, double *auc)
{
    ecgx_eval_options o;
    ecgx_eval_options_default(&o);
    o.n_bootstrap = 0;
    ecgx_eval_result *r = NULL;
    double macro = NAN;
    if (n > 0 && nn_eval(scores, targets, n, K, &o, &r) == 0) {
        int defined = 0;
        for (int k = 0; k < K; k++) {
            if (auc) auc[k] = r->classes[k].defined ? r->classes[k].s.auroc : NAN;
            defined += r->classes[k].defined;
        }
        if (defined) macro = r->macro.auroc;
    } else if (auc) {
        for (int k = 0; k < K; k++) auc[k] = NAN;
    }
    ecgx_eval_result_free(r);
    return macro;
}
