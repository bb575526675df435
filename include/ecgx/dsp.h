/* ecgx dsp — filters, resampling and normalisation of ECG signals.
 *
 * Filters are IIR designs held as cascaded second-order sections (SOS),
 * which stay numerically stable at any order and at cut-offs far below the
 * sampling rate (0.5 Hz at 1 kHz), where one long polynomial would not.
 * ECG filtering is zero-phase (forward-backward) so that wave onsets and
 * offsets do not move. */
#ifndef ECGX_DSP_H
#define ECGX_DSP_H

#include "ecgx/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Second-order sections: n rows of (b0 b1 b2 a0 a1 a2), a0 = 1, as scipy's
 * sos arrays; a first-order section has b2 = a2 = 0. */
typedef struct ecgx_sos {
    int n;
    double *c; /* n * 6 */
} ecgx_sos;

typedef enum ecgx_band {
    ECGX_LOWPASS,  /* passes below f1 */
    ECGX_HIGHPASS, /* passes above f1 */
    ECGX_BANDPASS  /* passes f1..f2 */
} ecgx_band;

/* Digital Butterworth filter of the given order (1..32), designed by the
 * bilinear transform with prewarped cut-offs (in Hz, 0 < f < fs/2). A
 * low/high-pass of order n has ceil(n/2) sections, a band-pass 2n poles in n
 * sections. Unit gain at DC (low-pass), Nyquist (high-pass) or the band's
 * centre (band-pass). Free with ecgx_sos_free. */
int ecgx_butter(int order, ecgx_band band, double f1, double f2, double fs, ecgx_sos **out);

/* Second-order IIR notch at f0 Hz with quality factor q (bandwidth f0/q),
 * as scipy.signal.iirnotch. */
int ecgx_notch(double f0, double q, double fs, ecgx_sos **out);

void ecgx_sos_free(ecgx_sos *s);

/* Causal filtering in place, from rest. */
void ecgx_sos_filter(const ecgx_sos *s, float *x, int64_t n);

/* Zero-phase filtering in place: forward then backward, with odd reflection
 * padding of 3*(2*sections+1) samples (fewer for short signals) and
 * steady-state initial conditions, as scipy.signal.sosfiltfilt. Non-finite
 * input gives non-finite output: clean with ecgx_dsp_sanitize first. */
int ecgx_sos_filtfilt(const ecgx_sos *s, float *x, int64_t n);

/* The same on several leads of equal length at once (faster: the leads'
 * recursions run side by side); results equal ecgx_sos_filtfilt per lead. */
int ecgx_sos_filtfilt_leads(const ecgx_sos *s, float *const *x, int n_leads, int64_t n);

/* |H(e^{jw})| at frequency f Hz (for tests and documentation). */
double ecgx_sos_gain(const ecgx_sos *s, double f, double fs);

/* Convenience: zero-phase Butterworth of one lead in place. */
int ecgx_filter_butter(float *x, int64_t n, double fs, int order, ecgx_band band, double f1, double f2);

/* Zero-phase 50 or 60 Hz (any f0 < fs/2) notch, q = 30, in place. */
int ecgx_filter_notch(float *x, int64_t n, double fs, double f0);

/* Baseline-wander removal in place: a zero-phase 2nd-order Butterworth
 * high-pass at 0.5 Hz (4th-order magnitude after forward-backward), which
 * keeps the ST segment's level far better than a moving-average high-pass.
 * Signals shorter than a few samples are only de-meaned. */
int ecgx_baseline_remove(float *x, int64_t n, double fs);

/* Baseline-wander removal in place by two cascaded running medians (de
 * Chazal et al. 2004): the baseline is the 600 ms median of the 200 ms
 * median of the signal (windows centred, shrinking at the edges; an even
 * count takes the mean of the two middle values), and is subtracted. Keeps
 * every wave narrower than the windows whole; slower than
 * ecgx_baseline_remove (O(n * 0.3 fs)). NaN/Inf are first interpolated
 * (ecgx_dsp_sanitize). Error for a non-positive or non-finite rate. */
int ecgx_baseline_remove_median(float *x, int64_t n, double fs);

/* Replace NaN/Inf samples by linear interpolation between the nearest finite
 * neighbours (0 when a lead has none). Returns the number replaced. */
int64_t ecgx_dsp_sanitize(float *x, int64_t n);

/* Z-score in place: (x - mean) / sd; a flat lead becomes all zeros. */
void ecgx_zscore(float *x, int64_t n);

/* The rational factor up/down (reduced) used to resample fs_in to fs_out:
 * exact for rates with up to 3 decimals, otherwise the closest fraction
 * with down <= 1000. */
int ecgx_resample_factor(double fs_in, double fs_out, int *up, int *down);
/* Length of the resampled signal: ceil(n * up / down). */
int64_t ecgx_resample_length(int64_t n, int up, int down);

/* Polyphase resampling by up/down with a Kaiser-windowed sinc (beta 5,
 * 20*max(up,down)+1 taps, cut-off at the lower Nyquist), the signal's mean
 * removed before and restored after, as scipy.signal.resample_poly(x, up,
 * down, padtype='mean'). y must hold ecgx_resample_length(n, up, down). */
int ecgx_resample_poly(const float *x, int64_t n, int up, int down, float *y);

/* A new record resampled to fs_out (all leads, metadata copied). */
int ecgx_record_resample(const ecgx_record *rec, double fs_out, ecgx_record **out);

#ifdef __cplusplus
}
#endif
#endif
