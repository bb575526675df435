/* Shared insides of the xai module: not part of the public API. */
#ifndef ECGX_XAI_INTERNAL_H
#define ECGX_XAI_INTERNAL_H

#include "ecgx/xai.h"

#include <stdint.h>

/* A new attribution with zeroed relevance and NaN diagnostics. */
ecgx_attribution *xai_attribution_new(ecgx_xai_method method, int target, int channels, int length);
/* Recompute a->sum. */
void xai_attribution_finish(ecgx_attribution *a);

/* Forward a batch in evaluation mode and back-propagate the target logit of
 * every row: dx [B][C][L] receives d logit_target / d x (may be NULL when
 * only layer gradients are wanted); logits [B][n_classes] may be NULL. */
int xai_grad_batch(ecgx_model *m, const float *x, int B, int L, int target, float *dx, float *logits);

/* The resolved target: opts->target, or the arg-max logit of x. */
int xai_resolve_target(ecgx_model *m, const float *x, int L, int target, int *out, double *logit);

/* Layer index of opts->layer (-1 = input); error when unknown. */
int xai_find_layer(const ecgx_model *m, const char *name, int *out);
/* The last convolutional layer (CAMs' default), or -1. */
int xai_last_conv(const ecgx_model *m);

/* The normal baseline (baseline_normal.c): [channels][length] at fs. */
int xai_normal_baseline(int channels, int length, double scale, double fs, float *x0);

/* Method families. */
int xai_gradient_methods(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target,
                         int layer, ecgx_attribution **out);
int xai_propagate(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target, int layer,
                  ecgx_attribution **out);
/* The gradient of the target logit at a layer's output (relevance holds
 * it, [channels][length]), with one forward pass and a backward walk that
 * stops at the layer; the layer's activations stay in the model. */
int xai_layer_gradient(ecgx_model *m, const float *x, int L, int target, int layer, ecgx_attribution **out);
int xai_perturb(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target,
                ecgx_attribution **out);
int xai_cam(ecgx_model *m, const float *x, int L, const ecgx_xai_options *o, int target, int layer,
            ecgx_attribution **out);

/* Receptive-field centre of a layer's time steps in input samples:
 * centre(k) = a*k + b, following each layer's first input. */
void xai_layer_time_map(const ecgx_model *m, int layer, double *a, double *b);
/* Resample a time map of n_in steps with centres a*k+b to `length` input
 * samples by linear interpolation (constant beyond the first/last centre). */
void xai_upsample_time(const float *in, int n_in, double a, double b, float *out, int length);

/* splitmix64 and a standard normal draw (Box-Muller), seeded per call. */
static inline uint64_t xai_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline double xai_rng_uniform(uint64_t *s) { return (double)(xai_rng_next(s) >> 11) * 0x1.0p-53; }
double xai_rng_normal(uint64_t *s);

#endif
