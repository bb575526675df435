/* T-wave delineation of one lead, and the pooling of T onsets over the
 * record's beats (globally and per lead). The method and its measured
 * accuracy are in docs/dsp.md. */
#include "dsp/delineate_util.h"

#include <stdlib.h>

/* Below this slope (mV/s) the T wave's rising limb has flattened into the
 * ST segment. Chosen on LUDB: searched over 0-1.5 mV/s on records 1-50 and
 * on 51-100 separately, both halves pick 0.3-0.35 (docs/dsp.md). */
#define T_ONSET_SLOPE 0.3

/* Two rules from the shape of the ST-T, where LUDB's annotators (who mark
 * each lead) disagree with the pooled onset in a way the shape predicts
 * (docs/dsp.md, "T onset on LUDB"; both constants were chosen on records
 * 1-50 and on 51-100 separately, and both halves agree):
 * - a lead whose signal rises steadily from the J point to the T peak shows
 *   its T wave from the J point on, one whose ST is flat or wavy shows it
 *   late: the lead's onset moves by T_ONSET_RISING_MS times the difference
 *   between the fraction of rising samples in its ST-T and the record's
 *   mean of that fraction over leads (so the leads' mean does not move);
 * - a J point already displaced towards the T wave (as a fraction of the T
 *   amplitude; the median over the leads) means that repolarisation is
 *   visibly under way at J: every onset of the record moves earlier by
 *   T_ONSET_J_MS times that fraction. */
#define T_ONSET_RISING_MS 50.0
#define T_ONSET_J_MS 20.0

/* Slope of x at i in mV/s over +-h samples, signed so that the T wave's
 * rising limb (towards its peak of polarity `sign`) is positive. */
static double limb_slope(const float *x, int64_t i, int64_t h, double fs, double sign)
{
    return sign * (x[i + h] - x[i - h]) * fs / (double)(2 * h);
}

/* Where the ST segment departs into the T wave: from the steepest point of
 * the limb rising to the peak, back until the slope falls below
 * T_ONSET_SLOPE (never before a). -1 when the limb cannot be measured. */
static int64_t slope_departure(const lead_ctx *c, int64_t a, int64_t pk, double sign)
{
    int64_t h = dl_ms(c->fs, 10);
    if (h < 1) h = 1;
    if (a - h < 0) a = h;
    if (pk + h >= c->n) pk = c->n - 1 - h;
    if (pk - a < 2) return -1;
    int64_t steep = a;
    double best = -INFINITY;
    for (int64_t i = a; i <= pk; i++) {
        double s = limb_slope(c->x, i, h, c->fs, sign);
        if (s > best) { best = s; steep = i; }
    }
    int64_t k = steep;
    while (k > a && limb_slope(c->x, k, h, c->fs, sign) > T_ONSET_SLOPE) k--;
    return k;
}

/* The ST-T shape of one beat (dl_t_shape) between the QRS offset and the
 * T peak pk of polarity sign. */
static void st_t_shape(const lead_ctx *c, int64_t qon, int64_t qoff, int64_t pk, double sign, dl_t_shape *shape)
{
    const float *x = c->x;
    int rising = 0;
    for (int64_t i = qoff + 1; i <= pk; i++) rising += sign * (x[i] - x[i - 1]) > 0;
    shape->rising = (float)rising / (float)(pk - qoff);
    shape->j_ratio = NAN;
    int64_t pr = dl_ms(c->fs, 20);
    if (pr < 1 || qon - pr < 0 || qon > qoff) return;
    double base = 0;
    for (int64_t i = qon - pr; i < qon; i++) base += x[i];
    base /= (double)pr;
    double amp = sign * (x[pk] - base), j = sign * (x[qoff] - base);
    if (amp > 0) shape->j_ratio = (float)fmax(-1.0, fmin(1.0, j / amp));
}

void dl_t_lead(const lead_ctx *c, int64_t qon, int64_t qoff, int64_t r, int64_t rr, int64_t hi, ecgx_wave *w,
               dl_t_shape *shape)
{
    double fs = c->fs;
    const float *x = c->x;
    int64_t a = qoff + dl_ms(fs, 40);
    int64_t b = r + (int64_t)(0.62 * (double)rr);
    if (b > r + dl_ms(fs, 650)) b = r + dl_ms(fs, 650);
    if (b > hi) b = hi;
    if (b - a < dl_ms(fs, 80)) return;
    double amp;
    int64_t pk = dl_detrended_extremum(x, a, b, &amp);
    if (fabs(amp) < 0.02) return;
    double sign = amp > 0 ? 1 : -1;
    int64_t kb = pk + dl_ms(fs, 200);
    if (kb > hi) kb = hi;
    int64_t ka = qoff + dl_ms(fs, 30);
    if (pk - ka < 3 || kb - pk < 3) return;
    w->peak = pk;
    /* Three views of where the ST segment turns into the T wave, each
     * biased its own way on LUDB and noisy alone (errors, ms: slope
     * departure -12 +- 34, knee of the chord +16 +- 30, midpoint between
     * QRS offset and peak -7 +- 33); their mean: -2 +- 27 */
    int64_t mid = qoff + (pk - qoff) / 2;
    int64_t kn = dl_knee(x, ka, pk, sign);
    int64_t dep = slope_departure(c, ka, pk, sign);
    if (dep < 0) dep = kn;
    w->onset = (dep + kn + mid) / 3;
    w->offset = dl_knee(x, pk, kb, sign);
    st_t_shape(c, qon, qoff, pk, sign, shape);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Where the T wave starts within the ST-T interval is a property of the
 * record (its repolarisation), while each beat's estimate carries that
 * beat's noise: the global onset keeps its place relative to the beat's own
 * QRS offset and T peak (so it follows QT changes with the rate) at the
 * record's median offset from their midpoint. An onset that would leave
 * (QRS offset, T peak) stays as measured. */
void dl_t_onset_pool_global(ecgx_beat *g, int nb)
{
    int64_t *dev = malloc(sizeof *dev * (size_t)(nb + 1));
    if (!dev) return; /* the per-beat onsets stay: worse, still valid */
    int k = 0;
    for (int b = 0; b < nb; b++) {
        const ecgx_wave *tw = &g[b].wave[ECGX_WAVE_T];
        int64_t qoff = g[b].wave[ECGX_WAVE_QRS].offset;
        if (tw->onset >= 0 && tw->peak >= 0 && qoff >= 0) dev[k++] = tw->onset - (qoff + tw->peak) / 2;
    }
    if (k > 0) {
        qsort(dev, (size_t)k, sizeof *dev, cmp_i64);
        int64_t med = dev[k / 2];
        for (int b = 0; b < nb; b++) {
            ecgx_wave *tw = &g[b].wave[ECGX_WAVE_T];
            int64_t qoff = g[b].wave[ECGX_WAVE_QRS].offset;
            if (tw->onset < 0 || tw->peak < 0 || qoff < 0) continue;
            int64_t on = (qoff + tw->peak) / 2 + med;
            if (on > qoff && on < tw->peak) tw->onset = on;
        }
    }
    free(dev);
}

/* A lead's T onset relative to the others is a property of where the lead
 * looks at repolarisation, stable over a 10 s record, while each beat's
 * single-lead estimate is noisy: the lead takes its median deviation from
 * the global onset over the record's beats (at most 40 ms). */
void dl_t_onset_pool_lead(ecgx_beat *lb, const ecgx_beat *g, int nb, double fs, int64_t shift)
{
    int64_t *dev = malloc(sizeof *dev * (size_t)(nb + 1));
    if (!dev) return; /* the per-beat onsets stay: worse, still valid */
    int k = 0;
    for (int b = 0; b < nb; b++) {
        const ecgx_wave *gw = &g[b].wave[ECGX_WAVE_T], *lw = &lb[b].wave[ECGX_WAVE_T];
        if (gw->peak >= 0 && gw->onset >= 0 && lw->onset >= 0) dev[k++] = lw->onset - gw->onset;
    }
    int64_t off = 0;
    if (k > 0) {
        qsort(dev, (size_t)k, sizeof *dev, cmp_i64);
        off = dl_clampi(dev[k / 2], -dl_ms(fs, 40), dl_ms(fs, 40));
    }
    off += shift;
    for (int b = 0; b < nb; b++) {
        const ecgx_wave *gw = &g[b].wave[ECGX_WAVE_T];
        ecgx_wave *lw = &lb[b].wave[ECGX_WAVE_T];
        if (gw->peak < 0 || gw->onset < 0) continue;
        int64_t on = gw->onset + off;
        /* keep the beat ordered: QRS offset < T onset < T peak */
        int64_t qoff = lb[b].wave[ECGX_WAVE_QRS].offset;
        if (qoff >= 0 && on <= qoff) on = qoff + 1;
        if (lw->peak >= 0 && on >= lw->peak) on = lw->peak - 1;
        lw->onset = on < 0 ? 0 : on;
    }
    free(dev);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..k-1] (sorted in place), NAN when k is 0. */
static float median_of(float *v, int k)
{
    if (k == 0) return NAN;
    qsort(v, (size_t)k, sizeof *v, cmp_float);
    return k % 2 ? v[k / 2] : 0.5f * (v[k / 2 - 1] + v[k / 2]);
}

void dl_t_onset_shape_shifts(const dl_t_shape *shape, int nl, int nb, double fs, int64_t *lead_shift,
                             int64_t *record_shift)
{
    *record_shift = 0;
    for (int l = 0; l < nl; l++) lead_shift[l] = 0;
    int nmax = nb > nl ? nb : nl;
    float *tmp = malloc(sizeof *tmp * (size_t)(3 * nmax + 1));
    if (!tmp) return; /* no shifts: worse, still valid */
    float *rise = tmp + nmax, *jr = tmp + 2 * nmax;
    double rise_sum = 0;
    int rise_n = 0;
    int jn = 0;
    for (int l = 0; l < nl; l++) {
        const dl_t_shape *sl = shape + (int64_t)l * nb;
        int k = 0;
        for (int b = 0; b < nb; b++) if (isfinite(sl[b].rising)) tmp[k++] = sl[b].rising;
        rise[l] = median_of(tmp, k);
        if (isfinite(rise[l])) { rise_sum += rise[l]; rise_n++; }
        k = 0;
        for (int b = 0; b < nb; b++) if (isfinite(sl[b].j_ratio)) tmp[k++] = sl[b].j_ratio;
        float jl = median_of(tmp, k);
        if (isfinite(jl)) jr[jn++] = jl;
    }
    float j = median_of(jr, jn);
    double rec_ms = isfinite(j) ? -T_ONSET_J_MS * j : 0;
    *record_shift = dl_ms(fs, rec_ms);
    for (int l = 0; l < nl; l++) {
        double ms = rec_ms;
        if (isfinite(rise[l])) ms -= T_ONSET_RISING_MS * (rise[l] - rise_sum / rise_n);
        lead_shift[l] = dl_ms(fs, ms);
    }
    free(tmp);
}

void dl_t_onset_shift_global(ecgx_beat *g, int nb, int64_t shift)
{
    for (int b = 0; b < nb; b++) {
        ecgx_wave *tw = &g[b].wave[ECGX_WAVE_T];
        int64_t qoff = g[b].wave[ECGX_WAVE_QRS].offset;
        if (tw->onset < 0 || tw->peak < 0 || qoff < 0) continue;
        int64_t on = tw->onset + shift;
        if (on > qoff && on < tw->peak) tw->onset = on;
    }
}
