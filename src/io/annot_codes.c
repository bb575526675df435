/* MIT annotation codes and their one-character mnemonics (WFDB's
 * ecgcodes.h), and which of them mark a beat (WFDB's isqrs). */
#include "ecgx/io.h"

#include <string.h>

#define N_CODES 50 /* WFDB's ACMAX is 49 */

static const char *const symbols[N_CODES] = {
    [0] = " ",   /* NOTQRS: not-QRS, used by programs, not written */
    [1] = "N",   /* normal beat */
    [2] = "L",   /* left bundle branch block beat */
    [3] = "R",   /* right bundle branch block beat */
    [4] = "a",   /* aberrated atrial premature beat */
    [5] = "V",   /* premature ventricular contraction */
    [6] = "F",   /* fusion of ventricular and normal beat */
    [7] = "J",   /* nodal (junctional) premature beat */
    [8] = "A",   /* atrial premature contraction */
    [9] = "S",   /* premature or ectopic supraventricular beat */
    [10] = "E",  /* ventricular escape beat */
    [11] = "j",  /* nodal (junctional) escape beat */
    [12] = "/",  /* paced beat */
    [13] = "Q",  /* unclassifiable beat */
    [14] = "~",  /* signal quality change */
    [16] = "|",  /* isolated QRS-like artifact */
    [18] = "s",  /* ST change */
    [19] = "T",  /* T-wave change */
    [20] = "*",  /* systole */
    [21] = "D",  /* diastole */
    [22] = "\"", /* comment annotation */
    [23] = "=",  /* measurement annotation */
    [24] = "p",  /* P-wave peak */
    [25] = "B",  /* left or right bundle branch block */
    [26] = "^",  /* non-conducted pacer spike */
    [27] = "t",  /* T-wave peak */
    [28] = "+",  /* rhythm change */
    [29] = "u",  /* U-wave peak */
    [30] = "?",  /* learning */
    [31] = "!",  /* ventricular flutter wave */
    [32] = "[",  /* start of ventricular flutter/fibrillation */
    [33] = "]",  /* end of ventricular flutter/fibrillation */
    [34] = "e",  /* atrial escape beat */
    [35] = "n",  /* supraventricular escape beat */
    [36] = "@",  /* link to external data */
    [37] = "x",  /* non-conducted P-wave (blocked APB) */
    [38] = "f",  /* fusion of paced and normal beat */
    [39] = "(",  /* waveform onset */
    [40] = ")",  /* waveform end */
    [41] = "r",  /* R-on-T premature ventricular contraction */
};

/* Beats: N L R a V F J A S E j / Q, B, ?, e n f r. */
static const unsigned char beat[N_CODES] = {
    [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1, [8] = 1, [9] = 1, [10] = 1,
    [11] = 1, [12] = 1, [13] = 1, [25] = 1, [30] = 1, [34] = 1, [35] = 1, [38] = 1, [41] = 1,
};

const char *ecgx_annot_symbol(int code)
{
    return code >= 0 && code < N_CODES ? symbols[code] : NULL;
}

int ecgx_annot_code(const char *symbol)
{
    if (!symbol) return -1;
    for (int c = 1; c < N_CODES; c++)
        if (symbols[c] && strcmp(symbols[c], symbol) == 0) return c;
    return -1;
}

int ecgx_annot_is_beat(int code) { return code > 0 && code < N_CODES && beat[code]; }
