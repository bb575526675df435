/* The generator's own random numbers: splitmix64 to seed, xoshiro256** to
 * draw (Blackman & Vigna 2018), Marsaglia's polar method for Gaussians. Each
 * part of a record (rhythm, morphology, each noise source...) draws from its
 * own stream, seeded from (seed, stream id), so switching one part on or off
 * never changes the others: a noisy record minus its noise is the clean one. */
#ifndef ECGX_SYNTH_PRNG_H
#define ECGX_SYNTH_PRNG_H

#include <math.h>
#include <stdint.h>

typedef struct synth_rng {
    uint64_t s[4];
    int has_spare; /* the polar method makes Gaussians in pairs */
    double spare;
} synth_rng;

enum synth_stream {
    SYNTH_STREAM_RESOLVE = 1, /* drawing unset parameters (vary) */
    SYNTH_STREAM_RHYTHM,      /* RR tachogram, AF intervals, start phase */
    SYNTH_STREAM_PVC,         /* PVC positions and focus */
    SYNTH_STREAM_FWAVE,       /* AF f-waves */
    SYNTH_STREAM_BW,          /* baseline wander */
    SYNTH_STREAM_EMG,         /* muscle noise */
    SYNTH_STREAM_PL,          /* powerline phases */
    SYNTH_STREAM_MORPH        /* per-record morphology jitter (vary) */
};

static inline uint64_t synth_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void synth_rng_seed(synth_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++) r->s[i] = synth_splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0;
}

static inline uint64_t synth_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t synth_next(synth_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = synth_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = synth_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double synth_uniform(synth_rng *r) { return (double)(synth_next(r) >> 11) * 0x1.0p-53; }

static inline double synth_uniform_range(synth_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * synth_uniform(r);
}

/* Standard normal by Marsaglia's polar method. */
static inline double synth_gauss(synth_rng *r)
{
    if (r->has_spare) { r->has_spare = 0; return r->spare; }
    double u, v, s;
    do {
        u = 2.0 * synth_uniform(r) - 1.0;
        v = 2.0 * synth_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = sqrt(-2.0 * log(s) / s);
    r->spare = v * m;
    r->has_spare = 1;
    return u * m;
}

#endif
