/* Relevance in clinical terms: per lead, per wave and segment (from the
 * fiducials), on the average beat, over a data set per class, and as
 * sentences by anatomical region. */
#include "xai/xai_internal.h"

#include "core/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const seg_names[ECGX_N_SEGMENTS] = {"P", "PR", "QRS", "ST", "T", "TP", "other"};
static const char *const seg_plural[ECGX_N_SEGMENTS] = {"P waves", "PR segments", "QRS complexes", "ST segments",
                                                        "T waves", "TP segments", "other samples"};

const char *ecgx_segment_name(ecgx_segment s) { return (unsigned)s < ECGX_N_SEGMENTS ? seg_names[s] : "?"; }

static int64_t pick(int64_t lead_v, int64_t glob_v) { return lead_v >= 0 ? lead_v : glob_v; }

static void fill(uint8_t *lab, int64_t n, int64_t a, int64_t b, ecgx_segment s)
{
    if (a < 0) a = 0;
    if (b > n) b = n;
    for (int64_t t = a; t < b; t++) lab[t] = (uint8_t)s;
}

int ecgx_xai_segment_labels(const ecgx_fiducials *fid, int leads, int64_t n, uint8_t *labels)
{
    if (!labels || leads <= 0 || n <= 0) return ecgx_error(ECGX_ERR_ARG, "xai: bad segment-label arguments");
    memset(labels, ECGX_SEG_OTHER, (size_t)leads * n);
    if (!fid) return 0;
    for (int l = 0; l < leads; l++) {
        uint8_t *lab = labels + (size_t)l * n;
        const ecgx_beat *pl = fid->per_lead && l < fid->n_leads ? fid->per_lead + (size_t)l * fid->n_beats : NULL;
        /* pass 1: the segments between waves; pass 2: the waves on top */
        for (int pass = 0; pass < 2; pass++)
            for (int b = 0; b < fid->n_beats; b++) {
                const ecgx_beat *g = &fid->beats[b], *lb = pl ? &pl[b] : g;
                int64_t pon = pick(lb->wave[ECGX_WAVE_P].onset, g->wave[ECGX_WAVE_P].onset);
                int64_t poff = pick(lb->wave[ECGX_WAVE_P].offset, g->wave[ECGX_WAVE_P].offset);
                int64_t qon = pick(lb->wave[ECGX_WAVE_QRS].onset, g->wave[ECGX_WAVE_QRS].onset);
                int64_t qoff = pick(lb->wave[ECGX_WAVE_QRS].offset, g->wave[ECGX_WAVE_QRS].offset);
                int64_t ton = pick(lb->wave[ECGX_WAVE_T].onset, g->wave[ECGX_WAVE_T].onset);
                int64_t toff = pick(lb->wave[ECGX_WAVE_T].offset, g->wave[ECGX_WAVE_T].offset);
                if (pass == 0) {
                    if (poff >= 0 && qon > poff) fill(lab, n, poff + 1, qon, ECGX_SEG_PR);
                    if (qoff >= 0 && ton > qoff) fill(lab, n, qoff + 1, ton, ECGX_SEG_ST);
                    if (toff >= 0 && b + 1 < fid->n_beats) {
                        const ecgx_beat *g2 = &fid->beats[b + 1], *l2 = pl ? &pl[b + 1] : g2;
                        int64_t next = pick(l2->wave[ECGX_WAVE_P].onset, g2->wave[ECGX_WAVE_P].onset);
                        if (next < 0) next = pick(l2->wave[ECGX_WAVE_QRS].onset, g2->wave[ECGX_WAVE_QRS].onset);
                        if (next > toff) fill(lab, n, toff + 1, next, ECGX_SEG_TP);
                    }
                } else {
                    if (pon >= 0 && poff >= pon) fill(lab, n, pon, poff + 1, ECGX_SEG_P);
                    if (ton >= 0 && toff >= ton) fill(lab, n, ton, toff + 1, ECGX_SEG_T);
                    if (qon >= 0 && qoff >= qon) fill(lab, n, qon, qoff + 1, ECGX_SEG_QRS);
                }
            }
    }
    return 0;
}

int ecgx_xai_summarize(const ecgx_attribution *a, const uint8_t *seg, ecgx_xai_summary *s)
{
    memset(s, 0, sizeof *s);
    if (!a) return ecgx_error(ECGX_ERR_ARG, "xai: no attribution");
    int leads = a->channels < ECGX_XAI_MAX_LEADS ? a->channels : ECGX_XAI_MAX_LEADS;
    s->leads = leads;
    s->time_only = a->time_only;
    for (int l = 0; l < leads; l++)
        for (int t = 0; t < a->length; t++) {
            size_t i = (size_t)l * a->length + t;
            double v = a->relevance[i];
            int sg = seg ? seg[i] : ECGX_SEG_OTHER;
            if (sg >= ECGX_N_SEGMENTS) sg = ECGX_SEG_OTHER;
            s->seg_n[l][sg] += 1;
            s->lead_sum[l] += v;
            if (v > 0) {
                s->pos_total += v;
                s->lead_pos[l] += v;
                s->seg_pos[l][sg] += v;
            } else {
                s->neg_total += v;
            }
        }
    return 0;
}

int ecgx_xai_average_beat(const ecgx_attribution *a, const int64_t *r, int n_peaks, int before, int after, float *out)
{
    int w = before + after;
    if (w <= 0) return ecgx_error(ECGX_ERR_ARG, "xai: empty beat window");
    double *acc = calloc((size_t)a->channels * w, sizeof(double));
    if (!acc) return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    int used = 0;
    for (int k = 0; k < n_peaks; k++) {
        int64_t s = r[k] - before;
        if (s < 0 || s + w > a->length) continue;
        used++;
        for (int l = 0; l < a->channels; l++)
            for (int t = 0; t < w; t++) acc[(size_t)l * w + t] += a->relevance[(size_t)l * a->length + s + t];
    }
    for (size_t i = 0; i < (size_t)a->channels * w; i++) out[i] = used ? (float)(acc[i] / used) : 0.0f;
    free(acc);
    return used;
}

/* ---- sentences ---- */

static const char *lead_name(int l)
{
    const char *n = ecgx_lead_std_name(l);
    return n ? n : "?";
}

typedef struct region {
    const char *name;
    int n, leads[4];
} region;
static const region regions[5] = {
    {"inferior", 3, {ECGX_LEAD_II, ECGX_LEAD_III, ECGX_LEAD_AVF}},
    {"lateral", 4, {ECGX_LEAD_I, ECGX_LEAD_AVL, ECGX_LEAD_V5, ECGX_LEAD_V6}},
    {"septal", 2, {ECGX_LEAD_V1, ECGX_LEAD_V2}},
    {"anterior", 2, {ECGX_LEAD_V3, ECGX_LEAD_V4}},
    {"aVR", 1, {ECGX_LEAD_AVR}}};

/* "V2-V4" for consecutive precordial leads, "II, III, aVF" otherwise
 * (in the standard order). */
static void name_leads(const int *sel, int n, char *buf, size_t cap)
{
    int s[ECGX_XAI_MAX_LEADS];
    memcpy(s, sel, sizeof(int) * n);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s[j] < s[j - 1]; j--) {
            int t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    int consecutive_v = n >= 3 && s[0] >= ECGX_LEAD_V1;
    for (int i = 1; i < n && consecutive_v; i++)
        if (s[i] != s[i - 1] + 1) consecutive_v = 0;
    if (consecutive_v) {
        snprintf(buf, cap, "%s-%s", lead_name(s[0]), lead_name(s[n - 1]));
        return;
    }
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, cap - k, "%s%s", i ? (i == n - 1 ? " and " : ", ") : "", lead_name(s[i]));
    }
}

#include <stdarg.h>
static void appendf(char *buf, size_t cap, size_t *k, const char *fmt, ...)
{
    if (*k + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *k, cap - *k, fmt, ap);
    va_end(ap);
    if (w > 0) *k += (size_t)w;
    if (*k >= cap) *k = cap - 1;
}

static int pct(double f) { return (int)lround(100.0 * f); }

int ecgx_xai_sentences(const ecgx_xai_summary *s, const char *cls, char *buf, size_t cap)
{
    if (!buf || cap == 0) return 0;
    buf[0] = 0;
    size_t k = 0;
#define OUT(...) appendf(buf, cap, &k, __VA_ARGS__)
    if (!(s->pos_total > 0)) {
        OUT("%s: no positive relevance.\n", cls);
        return (int)k;
    }
    int L = s->leads > 12 ? 12 : s->leads;
    double T = s->pos_total;
    /* 1. the segment with the most positive relevance, and its share in the top leads */
    int best = ECGX_SEG_P;
    double segf[ECGX_N_SEGMENTS] = {0};
    for (int g = 0; g < ECGX_N_SEGMENTS; g++)
        for (int l = 0; l < L; l++) segf[g] += s->seg_pos[l][g] / T;
    for (int g = 0; g < ECGX_N_SEGMENTS - 1; g++)
        if (segf[g] > segf[best]) best = g;
    /* One list of top leads for every sentence (and the same measure as the
     * per-lead bars of the report): leads ranked by their share of the positive
     * relevance, those carrying at least half as much as the first (at most 4).
     * Listing the leads of the dominant segment by another ranking, as before,
     * gave two lists of "top leads" that disagreed on the same page. */
    int order[12];
    for (int l = 0; l < L; l++) order[l] = l;
    for (int i = 1; i < L; i++)
        for (int j = i; j > 0 && s->lead_pos[order[j]] > s->lead_pos[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double got = 0;
    int nsel = 0;
    while (nsel < L && nsel < 4 && (nsel == 0 || s->lead_pos[order[nsel]] >= 0.5 * s->lead_pos[order[0]]))
        got += s->seg_pos[order[nsel++]][best];
    char leads[96];
    name_leads(order, nsel, leads, sizeof leads);
    if (s->time_only) { /* the same map in every lead: only the segments speak */
        OUT("%s: %d %% of positive relevance in the %s (a time-only map: it says nothing about leads; the\n"
            "segments are those of each lead's own fiducials).\n", cls, pct(segf[best]), seg_plural[best]);
        OUT("%s: by segment: ", cls);
        for (int g = 0; g < ECGX_N_SEGMENTS; g++) OUT("%s%s %d %%", g ? ", " : "", seg_names[g], pct(segf[g]));
        OUT(".\n");
        return (int)k;
    }
    if (segf[best] > 0)
        OUT("%s: %d %% of positive relevance in the %s of all leads, %d %% in those of the top lead%s %s.\n", cls,
            pct(segf[best]), seg_plural[best], pct(got / T), nsel > 1 ? "s" : "", leads);
    /* 2. regions */
    OUT("%s: by region: ", cls);
    for (int r = 0; r < 5; r++) {
        double f = 0;
        for (int i = 0; i < regions[r].n; i++)
            if (regions[r].leads[i] < L) f += s->lead_pos[regions[r].leads[i]] / T;
        OUT("%s%s %d %%", r ? ", " : "", regions[r].name, pct(f));
    }
    OUT(".\n");
    /* 3. the same top leads, ranked, with their shares */
    OUT("%s: top leads ", cls);
    for (int i = 0; i < nsel; i++) OUT("%s%s (%d %%)", i ? ", " : "", lead_name(order[i]), pct(s->lead_pos[order[i]] / T));
    OUT(".\n");
    /* 4. segments */
    OUT("%s: by segment: ", cls);
    for (int g = 0; g < ECGX_N_SEGMENTS; g++) OUT("%s%s %d %%", g ? ", " : "", seg_names[g], pct(segf[g]));
    OUT(".\n");
#undef OUT
    return (int)k;
}

/* ---- data set ---- */

int ecgx_xai_dataset_stats_init(ecgx_xai_dataset_stats *d, int n_classes, int leads, int beat_len)
{
    memset(d, 0, sizeof *d);
    if (n_classes <= 0 || leads <= 0 || leads > ECGX_XAI_MAX_LEADS || beat_len < 0)
        return ecgx_error(ECGX_ERR_ARG, "xai: bad data-set statistics shape");
    d->n_classes = n_classes;
    d->leads = leads;
    d->beat_len = beat_len;
    d->count = calloc(n_classes, sizeof(int));
    d->beat_count = calloc(n_classes, sizeof(int));
    d->time_only = calloc(n_classes, sizeof(int));
    d->lead_frac = calloc((size_t)n_classes * leads, sizeof(double));
    d->seg_frac = calloc((size_t)n_classes * ECGX_N_SEGMENTS, sizeof(double));
    d->leadseg_frac = calloc((size_t)n_classes * leads * ECGX_N_SEGMENTS, sizeof(double));
    d->beat = calloc((size_t)n_classes * leads * (beat_len ? beat_len : 1), sizeof(double));
    if (!d->count || !d->beat_count || !d->time_only || !d->lead_frac || !d->seg_frac || !d->leadseg_frac || !d->beat) {
        ecgx_xai_dataset_stats_free(d);
        return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
    }
    return 0;
}

void ecgx_xai_dataset_stats_free(ecgx_xai_dataset_stats *d)
{
    free(d->count);
    free(d->beat_count);
    free(d->time_only);
    free(d->lead_frac);
    free(d->seg_frac);
    free(d->leadseg_frac);
    free(d->beat);
    free(d->points);
    memset(d, 0, sizeof *d);
}

int ecgx_xai_dataset_stats_add(ecgx_xai_dataset_stats *d, int cls, double prob, const ecgx_xai_summary *s,
                               const float *beat)
{
    if (cls < 0 || cls >= d->n_classes) return ecgx_error(ECGX_ERR_ARG, "xai: class %d out of range", cls);
    if (d->n_points == d->cap_points) {
        int nc = d->cap_points ? 2 * d->cap_points : 64;
        double *p = realloc(d->points, sizeof(double) * 4 * (size_t)nc);
        if (!p) return ecgx_error(ECGX_ERR_NOMEM, "xai: out of memory");
        d->points = p;
        d->cap_points = nc;
    }
    double T = s->pos_total > 0 ? s->pos_total : 1, top = 0;
    int L = d->leads < s->leads ? d->leads : s->leads;
    d->count[cls]++;
    if (s->time_only) d->time_only[cls]++;
    for (int l = 0; l < L; l++) {
        d->lead_frac[(size_t)cls * d->leads + l] += s->lead_pos[l] / T;
        if (s->lead_pos[l] / T > top) top = s->lead_pos[l] / T;
        for (int g = 0; g < ECGX_N_SEGMENTS; g++) {
            d->leadseg_frac[((size_t)cls * d->leads + l) * ECGX_N_SEGMENTS + g] += s->seg_pos[l][g] / T;
            d->seg_frac[(size_t)cls * ECGX_N_SEGMENTS + g] += s->seg_pos[l][g] / T;
        }
    }
    if (beat && d->beat_len > 0) {
        double norm = 0;
        for (size_t i = 0; i < (size_t)d->leads * d->beat_len; i++) norm += fabs(beat[i]);
        if (norm > 0) {
            d->beat_count[cls]++;
            for (size_t i = 0; i < (size_t)d->leads * d->beat_len; i++)
                d->beat[(size_t)cls * d->leads * d->beat_len + i] += beat[i] / norm;
        }
    }
    double *p = d->points + 4 * (size_t)d->n_points++;
    p[0] = cls;
    p[1] = prob;
    p[2] = s->pos_total;
    p[3] = top;
    return 0;
}

void ecgx_xai_dataset_stats_summary(const ecgx_xai_dataset_stats *d, int cls, ecgx_xai_summary *s)
{
    memset(s, 0, sizeof *s);
    if (cls < 0 || cls >= d->n_classes) return;
    int n = d->count[cls];
    s->leads = d->leads;
    /* one time-only map among the records is enough for the lead shares to
     * carry no lead information (they are spread evenly by construction) */
    s->time_only = d->time_only[cls] > 0;
    if (!n) return;
    for (int l = 0; l < d->leads; l++) {
        s->lead_pos[l] = d->lead_frac[(size_t)cls * d->leads + l] / n;
        s->lead_sum[l] = s->lead_pos[l];
        for (int g = 0; g < ECGX_N_SEGMENTS; g++)
            s->seg_pos[l][g] = d->leadseg_frac[((size_t)cls * d->leads + l) * ECGX_N_SEGMENTS + g] / n;
        s->pos_total += s->lead_pos[l];
    }
}
