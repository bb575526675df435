/* Clusters against waves: a sample's wave from the fiducials, and the
 * contingency table's normalised mutual information and purity.
 * NMI uses the geometric mean of the two entropies (scikit-learn's
 * normalized_mutual_info_score with average_method='geometric'). */
#include "ecgx/clusters.h"

#include <math.h>
#include <string.h>

const char *ecgx_clusters_wave_name(int w)
{
    static const char *n[] = {"P", "QRS", "T", "TP/other"};
    return w >= 0 && w < ECGX_CW_N ? n[w] : "?";
}

int ecgx_clusters_wave_labels(const ecgx_fiducials *fid, int64_t n, uint8_t *labels)
{
    memset(labels, ECGX_CW_OTHER, (size_t)n);
    if (!fid) return 0;
    static const int map[ECGX_N_WAVES] = {ECGX_CW_P, ECGX_CW_QRS, ECGX_CW_T};
    for (int b = 0; b < fid->n_beats; b++)
        for (int w = 0; w < ECGX_N_WAVES; w++) {
            const ecgx_wave *v = &fid->beats[b].wave[w];
            if (v->onset < 0 || v->offset < v->onset) continue;
            int64_t lo = v->onset, hi = v->offset < n - 1 ? v->offset : n - 1;
            for (int64_t i = lo; i <= hi; i++) labels[i] = (uint8_t)map[w];
        }
    return 0;
}

double ecgx_clusters_nmi(const double *t, int rows, int cols)
{
    double N = 0;
    for (int i = 0; i < rows * cols; i++) N += t[i];
    if (N <= 0) return 0;
    double hr = 0, hc = 0, mi = 0;
    for (int i = 0; i < rows; i++) {
        double r = 0;
        for (int j = 0; j < cols; j++) r += t[i * cols + j];
        if (r > 0) hr -= r / N * log(r / N);
    }
    for (int j = 0; j < cols; j++) {
        double c = 0;
        for (int i = 0; i < rows; i++) c += t[i * cols + j];
        if (c > 0) hc -= c / N * log(c / N);
    }
    for (int i = 0; i < rows; i++) {
        double r = 0;
        for (int j = 0; j < cols; j++) r += t[i * cols + j];
        for (int j = 0; j < cols; j++) {
            double v = t[i * cols + j];
            if (v <= 0) continue;
            double c = 0;
            for (int q = 0; q < rows; q++) c += t[q * cols + j];
            mi += v / N * log(v * N / (r * c));
        }
    }
    if (hr <= 0 || hc <= 0) return 0;
    double v = mi / sqrt(hr * hc);
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

double ecgx_clusters_purity(const double *t, int rows, int cols)
{
    double N = 0, s = 0;
    for (int i = 0; i < rows; i++) {
        double mx = 0;
        for (int j = 0; j < cols; j++) {
            N += t[i * cols + j];
            if (t[i * cols + j] > mx) mx = t[i * cols + j];
        }
        s += mx;
    }
    return N > 0 ? s / N : 0;
}

/* LUDB's convention: "(" onset, a peak symbol ("p" P, "N" QRS, "t" T), ")"
 * offset, one triple per wave. A wave without its onset or offset is left
 * out (TP/other), as the reference says nothing about its extent. */
int ecgx_clusters_annotation_labels(const ecgx_annotations *ann, int64_t n, uint8_t *labels, int64_t *first,
                                    int64_t *last)
{
    memset(labels, ECGX_CW_OTHER, (size_t)n);
    *first = *last = -1;
    if (!ann || ann->n == 0) return 0;
    int on = ecgx_annot_code("("), off = ecgx_annot_code(")");
    int pk[3] = {ecgx_annot_code("p"), ecgx_annot_code("N"), ecgx_annot_code("t")};
    static const int map[3] = {ECGX_CW_P, ECGX_CW_QRS, ECGX_CW_T};
    for (int i = 1; i + 1 < ann->n; i++)
        for (int w = 0; w < 3; w++) {
            if (ann->items[i].code != pk[w] || ann->items[i - 1].code != on || ann->items[i + 1].code != off) continue;
            int64_t lo = ann->items[i - 1].sample, hi = ann->items[i + 1].sample;
            if (lo < 0) lo = 0;
            if (hi > n - 1) hi = n - 1;
            for (int64_t t = lo; t <= hi; t++) labels[t] = (uint8_t)map[w];
        }
    *first = ann->items[0].sample < 0 ? 0 : ann->items[0].sample;
    *last = ann->items[ann->n - 1].sample > n - 1 ? n - 1 : ann->items[ann->n - 1].sample;
    return 0;
}

void ecgx_clusters_contingency_add(const int *cluster, const uint8_t *labels, int64_t from, int64_t to, int k,
                                   double *table)
{
    for (int64_t t = from; t <= to; t++)
        if (cluster[t] >= 0 && cluster[t] < k && labels[t] < ECGX_CW_N) table[(size_t)cluster[t] * ECGX_CW_N + labels[t]] += 1;
}
