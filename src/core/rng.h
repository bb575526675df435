/* Seeded random numbers for the library: splitmix64 to seed, xoshiro256**
 * to draw (Blackman & Vigna 2018), Marsaglia's polar method for Gaussians.
 * No global state: every user owns its generator. A generator is seeded from
 * (seed, stream), so independent parts of a computation (each bootstrap
 * resample, each noise source of a synthetic record) draw from their own
 * streams and switching one part on or off never changes the others. */
#ifndef ECGX_CORE_RNG_H
#define ECGX_CORE_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct ecgx_rng {
    uint64_t s[4];
    int has_spare; /* the polar method makes Gaussians in pairs */
    double spare;
} ecgx_rng;

static inline uint64_t ecgx_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void ecgx_rng_seed(ecgx_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++) r->s[i] = ecgx_splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0;
}

static inline uint64_t ecgx_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t ecgx_rng_next(ecgx_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ecgx_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ecgx_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double ecgx_rng_uniform(ecgx_rng *r) { return (double)(ecgx_rng_next(r) >> 11) * 0x1.0p-53; }

static inline double ecgx_rng_uniform_range(ecgx_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * ecgx_rng_uniform(r);
}

/* Uniform integer in [0, n), n > 0, without modulo bias (rejection of the
 * draws at or above the largest multiple of n). */
static inline uint64_t ecgx_rng_below(ecgx_rng *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = ecgx_rng_next(r); while (x >= limit);
    return x % n;
}

/* Standard normal by Marsaglia's polar method. */
static inline double ecgx_rng_gauss(ecgx_rng *r)
{
    if (r->has_spare) { r->has_spare = 0; return r->spare; }
    double u, v, s;
    do {
        u = 2.0 * ecgx_rng_uniform(r) - 1.0;
        v = 2.0 * ecgx_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = sqrt(-2.0 * log(s) / s);
    r->spare = v * m;
    r->has_spare = 1;
    return u * m;
}

#endif
