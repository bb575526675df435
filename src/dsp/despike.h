/* Internal: running-median despiking used before QRS detection. */
#ifndef ECGX_DSP_DESPIKE_H
#define ECGX_DSP_DESPIKE_H

#include <stdint.h>

/* out[i] = median of x[i-w/2 .. i+w/2] (edges repeat the end samples);
 * w odd, 1..15. */
void ecgx_despike(const float *x, int64_t n, int w, float *out);

#endif
