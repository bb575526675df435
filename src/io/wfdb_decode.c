/* WFDB signal formats: byte layouts to integer adc values. Each format is a
 * tight loop over a buffer that holds the whole file (one fread upstream).
 * Samples of a file's signals are interleaved frame by frame; the packed
 * formats (212, 310, 311) pack that sample stream continuously, across frame
 * boundaries, as WFDB does. Each format's most negative code is WFDB's
 * "invalid sample" and maps to ECGX_WFDB_INVALID. */
#include "io/io_internal.h"

int ecgx_wfdb_format_known(int format)
{
    switch (format) {
    case 0: case 8: case 16: case 24: case 32: case 61: case 80: case 160: case 212: case 310: case 311:
        return 1;
    default:
        return 0;
    }
}

uint64_t ecgx_wfdb_format_bytes(int format, uint64_t n)
{
    static const uint64_t tail310[3] = {0, 2, 4}, tail311[3] = {0, 2, 3};
    switch (format) {
    case 8: case 80: return n;
    case 16: case 61: case 160: return 2 * n;
    case 24: return 3 * n;
    case 32: return 4 * n;
    case 212: return n / 2 * 3 + (n % 2 ? 2 : 0);
    case 310: return n / 3 * 4 + tail310[n % 3];
    case 311: return n / 3 * 4 + tail311[n % 3];
    default: return 0;
    }
}

uint64_t ecgx_wfdb_format_samples(int format, uint64_t b)
{
    switch (format) {
    case 8: case 80: return b;
    case 16: case 61: case 160: return b / 2;
    case 24: return b / 3;
    case 32: return b / 4;
    case 212: return b / 3 * 2 + (b % 3 >= 2 ? 1 : 0);
    case 310: return b / 4 * 3 + (b % 4 >= 2 ? 1 : 0);
    case 311: return b / 4 * 3 + (b % 4 >= 3 ? 2 : b % 4 >= 2 ? 1 : 0);
    default: return 0;
    }
}

/* Sign-extend the low `bits` bits of v. */
static inline int32_t sext(uint32_t v, int bits)
{
    uint32_t m = 1u << (bits - 1);
    v &= (m << 1) - 1;
    return (int32_t)(v ^ m) - (int32_t)m;
}

static inline int32_t valid(int32_t v, int32_t invalid_code) { return v == invalid_code ? ECGX_WFDB_INVALID : v; }

static void decode_212(const uint8_t *b, uint64_t n, int32_t *out)
{
    uint64_t i = 0;
    for (; i + 1 < n; i += 2, b += 3) {
        out[i] = valid(sext(b[0] | ((uint32_t)(b[1] & 0x0f) << 8), 12), -2048);
        out[i + 1] = valid(sext(b[2] | ((uint32_t)(b[1] & 0xf0) << 4), 12), -2048);
    }
    if (i < n) out[i] = valid(sext(b[0] | ((uint32_t)(b[1] & 0x0f) << 8), 12), -2048);
}

/* Three 10-bit samples in two little-endian 16-bit words: the first and
 * second in bits 1..10 of each word, the third from the top 5 bits of the
 * first word (low half) and of the second word (high half). */
static void decode_310(const uint8_t *b, uint64_t n, int32_t *out)
{
    for (uint64_t i = 0; i < n; i += 3, b += 4) {
        uint32_t w0 = b[0] | (uint32_t)b[1] << 8;
        out[i] = valid(sext(w0 >> 1, 10), -512);
        if (i + 1 >= n) break;
        uint32_t w1 = b[2] | (uint32_t)b[3] << 8;
        out[i + 1] = valid(sext(w1 >> 1, 10), -512);
        if (i + 2 >= n) break;
        out[i + 2] = valid(sext((w0 >> 11) | ((w1 >> 11) << 5), 10), -512);
    }
}

/* Three 10-bit samples in one little-endian 32-bit word: bits 0..9,
 * 10..19 and 20..29. */
static void decode_311(const uint8_t *b, uint64_t n, int32_t *out)
{
    for (uint64_t i = 0; i < n; i += 3, b += 4) {
        uint32_t w = b[0] | (uint32_t)b[1] << 8;
        if (i + 1 < n) w |= (uint32_t)b[2] << 16;
        if (i + 2 < n) w |= (uint32_t)b[3] << 24;
        out[i] = valid(sext(w, 10), -512);
        if (i + 1 < n) out[i + 1] = valid(sext(w >> 10, 10), -512);
        if (i + 2 < n) out[i + 2] = valid(sext(w >> 20, 10), -512);
    }
}

void ecgx_wfdb_decode(int format, const uint8_t *b, uint64_t n, int nsig, const int *init, int32_t *out)
{
    switch (format) {
    case 8: {
        /* first differences: each signal starts from its initial value */
        int32_t prev[ECGX_MAX_LEADS];
        for (int s = 0; s < nsig; s++) prev[s] = init ? init[s] : 0;
        for (uint64_t i = 0; i < n;)
            for (int s = 0; s < nsig && i < n; s++, i++) out[i] = prev[s] += (int8_t)b[i];
        break;
    }
    case 16:
        for (uint64_t i = 0; i < n; i++) out[i] = valid((int16_t)(b[2 * i] | b[2 * i + 1] << 8), -32768);
        break;
    case 61:
        for (uint64_t i = 0; i < n; i++) out[i] = valid((int16_t)(b[2 * i] << 8 | b[2 * i + 1]), -32768);
        break;
    case 160:
        for (uint64_t i = 0; i < n; i++) out[i] = valid((int32_t)(b[2 * i] | b[2 * i + 1] << 8) - 32768, -32768);
        break;
    case 80:
        for (uint64_t i = 0; i < n; i++) out[i] = valid((int32_t)b[i] - 128, -128);
        break;
    case 24:
        for (uint64_t i = 0; i < n; i++, b += 3)
            out[i] = valid(sext(b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16, 24), -8388608);
        break;
    case 32:
        for (uint64_t i = 0; i < n; i++, b += 4)
            out[i] = (int32_t)(b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
        /* INT32_MIN is both format 32's invalid code and ECGX_WFDB_INVALID */
        break;
    case 212: decode_212(b, n, out); break;
    case 310: decode_310(b, n, out); break;
    case 311: decode_311(b, n, out); break;
    default:
        for (uint64_t i = 0; i < n; i++) out[i] = ECGX_WFDB_INVALID;
        break;
    }
}
