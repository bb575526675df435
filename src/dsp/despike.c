#include "dsp/despike.h"

/* Running median of odd width w (w <= 15): removes pacemaker spikes (a few
 * ms wide) while a QRS (60 ms or more) keeps its shape. Widths 3, 5 and 7
 * (250-500 Hz records) use branch-free selection networks
 * (Devillard's opt_med), which keeps this step cheap. */
#define SORT2(a, b) do { float lo_ = (a) < (b) ? (a) : (b), hi_ = (a) < (b) ? (b) : (a); a = lo_; b = hi_; } while (0)
static float med3(const float *p) { float a = p[0], b = p[1], c = p[2]; SORT2(a, b); SORT2(b, c); SORT2(a, b); return b; }
static float med5(const float *p)
{
    float a = p[0], b = p[1], c = p[2], d = p[3], e = p[4];
    SORT2(a, b); SORT2(d, e); SORT2(a, d); SORT2(b, e); SORT2(c, d); SORT2(b, c); SORT2(c, d);
    (void)a; (void)b; (void)d; (void)e;
    return c;
}
static float med7(const float *p)
{
    float a = p[0], b = p[1], c = p[2], d = p[3], e = p[4], f = p[5], g = p[6];
    SORT2(a, f); SORT2(a, d); SORT2(b, g); SORT2(c, e); SORT2(a, b); SORT2(d, f); SORT2(c, g);
    SORT2(c, d); SORT2(d, g); SORT2(e, f); SORT2(b, e); SORT2(b, d); SORT2(d, e);
    (void)a; (void)c; (void)f; (void)g;
    return d;
}

void ecgx_despike(const float *x, int64_t n, int w, float *out)
{
    int h = w / 2;
    float win[15];
    for (int64_t i = 0; i < n; i++) {
        if (i >= h && i + h < n && w <= 7) {
            const float *p = x + i - h;
            out[i] = w == 7 ? med7(p) : w == 5 ? med5(p) : w == 3 ? med3(p) : p[0];
            continue;
        }
        int k = 0;
        for (int64_t j = i - h; j <= i + h; j++) win[k++] = x[j < 0 ? 0 : j >= n ? n - 1 : j];
        for (int a = 1; a < k; a++)
            for (int b = a; b > 0 && win[b] < win[b - 1]; b--) { float t = win[b]; win[b] = win[b - 1]; win[b - 1] = t; }
        out[i] = win[k / 2];
    }
}

