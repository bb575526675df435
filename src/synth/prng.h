/* The synthetic generator's random streams. Each part of a record (rhythm,
 * morphology, each noise source...) draws from its own stream of the core
 * generator, seeded from (seed, stream id), so switching one part on or off
 * never changes the others: a noisy record minus its noise is the clean one. */
#ifndef ECGX_SYNTH_PRNG_H
#define ECGX_SYNTH_PRNG_H

#include "core/rng.h"

enum synth_stream {
    SYNTH_STREAM_RESOLVE = 1, /* drawing unset parameters (vary) */
    SYNTH_STREAM_RHYTHM,      /* RR tachogram, AF intervals, start phase */
    SYNTH_STREAM_PVC,         /* PVC positions and focus */
    SYNTH_STREAM_FWAVE,       /* AF f-waves */
    SYNTH_STREAM_BW,          /* baseline wander */
    SYNTH_STREAM_EMG,         /* muscle noise */
    SYNTH_STREAM_PL,          /* powerline phases */
    SYNTH_STREAM_MORPH,       /* per-record morphology jitter (vary) */
    SYNTH_STREAM_PACE,        /* pacing: fusion, pseudo-fusion, failure to capture, spike vectors */
    SYNTH_STREAM_ECTOPY,      /* PVC runs, aberrant beats */
    SYNTH_STREAM_EM,          /* electrode-motion artefact */
    SYNTH_STREAM_ARTEFACT     /* lead-off and saturation segments */
};

#endif
