/* Optimisers and schedules with PyTorch's exact update rules, so a run
 * here and one in torch follow the same trajectory up to rounding. */
#include "ecgx/nn.h"

#include "core/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ecgx_optim_init(ecgx_optim *o, ecgx_optim_kind kind, int64_t n, double lr, double weight_decay)
{
    memset(o, 0, sizeof *o);
    if (n <= 0 || !(lr >= 0) || !(weight_decay >= 0))
        return ecgx_error(ECGX_ERR_ARG, "optimiser: bad arguments (n %lld, lr %g, wd %g)", (long long)n, lr,
                          weight_decay);
    o->kind = kind;
    o->n = n;
    o->lr = lr;
    o->weight_decay = weight_decay;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->momentum = 0.9;
    o->m = ecgx_calloc_array((size_t)n, sizeof(float), "optimiser state");
    o->v = kind == ECGX_OPTIM_ADAMW ? ecgx_calloc_array((size_t)n, sizeof(float), "optimiser state") : NULL;
    if (!o->m || (kind == ECGX_OPTIM_ADAMW && !o->v)) {
        ecgx_optim_free(o);
        return ECGX_ERR_NOMEM;
    }
    return 0;
}

void ecgx_optim_free(ecgx_optim *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

void ecgx_optim_step(ecgx_optim *o, float *p, const float *g)
{
    o->step++;
    int64_t n = o->n;
    if (o->kind == ECGX_OPTIM_ADAMW) {
        /* torch.optim.AdamW: p *= 1 - lr*wd; m,v moments; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) */
        float b1 = (float)o->beta1, b2 = (float)o->beta2;
        double bc1 = 1.0 - pow(o->beta1, (double)o->step), bc2 = 1.0 - pow(o->beta2, (double)o->step);
        float step_size = (float)(o->lr / bc1), sbc2 = (float)sqrt(bc2), eps = (float)o->eps;
        float decay = (float)(1.0 - o->lr * o->weight_decay);
#pragma omp parallel for schedule(static) if (n > 65536)
        for (int64_t i = 0; i < n; i++) {
            float gi = g[i];
            p[i] *= decay;
            o->m[i] = b1 * o->m[i] + (1.0f - b1) * gi;
            o->v[i] = b2 * o->v[i] + (1.0f - b2) * gi * gi;
            p[i] -= step_size * o->m[i] / (sqrtf(o->v[i]) / sbc2 + eps);
        }
    } else {
        /* torch.optim.SGD: g += wd*p; buf = mom*buf + g (first step: buf = g); p -= lr*(g + mom*buf | buf) */
        float lr = (float)o->lr, wd = (float)o->weight_decay, mom = (float)o->momentum;
        int first = o->step == 1;
        for (int64_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i];
            if (mom != 0.0f) {
                o->m[i] = first ? gi : mom * o->m[i] + gi;
                gi = o->nesterov ? gi + mom * o->m[i] : o->m[i];
            }
            p[i] -= lr * gi;
        }
    }
}

double ecgx_clip_grad_norm(float *g, int64_t n, double max_norm)
{
    double ss = 0.0;
    for (int64_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
    double norm = sqrt(ss);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0)
        for (int64_t i = 0; i < n; i++) g[i] = (float)(g[i] * coef);
    return norm;
}

void ecgx_onecycle_default(ecgx_onecycle *s, double max_lr, int64_t total_steps)
{
    s->max_lr = max_lr;
    s->pct_start = 0.3;
    s->div_factor = 25.0;
    s->final_div_factor = 1e4;
    s->base_momentum = 0.85;
    s->max_momentum = 0.95;
    s->total_steps = total_steps;
}

static double cos_anneal(double start, double end, double pct)
{
    return end + (start - end) / 2.0 * (cos(M_PI * pct) + 1.0);
}

/* OneCycleLR's two phases: warm-up ends at step pct_start*total - 1. */
static double onecycle(const ecgx_onecycle *s, int64_t step, double a0, double a1, double a2)
{
    double end1 = s->pct_start * (double)s->total_steps - 1.0, end2 = (double)s->total_steps - 1.0;
    double t = (double)step;
    if (t <= end1) return cos_anneal(a0, a1, end1 > 0 ? t / end1 : 1.0);
    return cos_anneal(a1, a2, end2 > end1 ? (t - end1) / (end2 - end1) : 1.0);
}

double ecgx_onecycle_lr(const ecgx_onecycle *s, int64_t step)
{
    double init = s->max_lr / s->div_factor, fin = init / s->final_div_factor;
    return onecycle(s, step, init, s->max_lr, fin);
}

double ecgx_onecycle_momentum(const ecgx_onecycle *s, int64_t step)
{
    return onecycle(s, step, s->max_momentum, s->base_momentum, s->max_momentum);
}

double ecgx_cosine_lr(double lr0, double lr_min, int64_t step, int64_t total)
{
    if (total <= 0) return lr0;
    return lr_min + (lr0 - lr_min) * (1.0 + cos(M_PI * (double)step / (double)total)) / 2.0;
}
