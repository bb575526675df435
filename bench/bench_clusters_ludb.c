/* Clusters against LUDB's reference wave annotations (lead II, the
 * cardiologists' P/QRS/T onsets and offsets) and, on the same samples,
 * against the delineator's fiducials: NMI and purity of each contingency.
 * Only the annotated stretch of each record counts (LUDB leaves the edge
 * beats unannotated). Prints JSON.
 *   bench_clusters_ludb MODEL CLUSTERS [LUDB_DATA_DIR]   (default ../shared/data/ludb/data) */
#include "ecgx/clusters.h"
#include "ecgx/io.h"
#include "ecgx/xai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_clusters_ludb MODEL CLUSTERS [LUDB_DATA_DIR]\n");
        return 2;
    }
    const char *dir = argc > 3 ? argv[3] : "../shared/data/ludb/data";
    ecgx_model *m = NULL;
    ecgx_clusters *c = NULL;
    if (ecgx_model_load(argv[1], &m) < 0 || ecgx_clusters_load_ex(argv[2], ECGX_CLUSTERS_NO_SURROGATE, &c) < 0 ||
        ecgx_clusters_check_model(c, m, argv[2]) < 0) {
        fprintf(stderr, "bench_clusters_ludb: %s\n", ecgx_last_error());
        return 1;
    }
    int K = c->gmm.k, n_rec = 0;
    double *ref = calloc((size_t)K * ECGX_CW_N, sizeof(double)), *del = calloc((size_t)K * ECGX_CW_N, sizeof(double));
    for (int r = 1; r <= 200; r++) {
        char path[4096], hea[4200];
        snprintf(path, sizeof path, "%s/%d", dir, r);
        snprintf(hea, sizeof hea, "%s.hea", path);
        if (access(hea, R_OK)) continue;
        ecgx_record *rec = NULL;
        ecgx_annotations *ann = NULL;
        ecgx_clusters_record cr;
        if (ecgx_record_read(path, &rec) < 0 || ecgx_annot_read(path, "ii", &ann) < 0 ||
            ecgx_clusters_assign_record(c, m, rec, &cr) < 0) {
            fprintf(stderr, "bench_clusters_ludb: %s: %s\n", path, ecgx_last_error());
            ecgx_record_free(rec), ecgx_annotations_free(ann);
            continue;
        }
        uint8_t *lab = malloc((size_t)rec->n_samples), *dl = malloc((size_t)rec->n_samples);
        int64_t lo, hi;
        ecgx_clusters_annotation_labels(ann, rec->n_samples, lab, &lo, &hi);
        ecgx_fiducials *f = NULL;
        if (lo >= 0 && ecgx_xai_record_fiducials(rec, rec->fs, &f) == 0) {
            ecgx_clusters_wave_labels(f, rec->n_samples, dl);
            ecgx_clusters_contingency_add(cr.cluster, lab, lo, hi, K, ref);
            ecgx_clusters_contingency_add(cr.cluster, dl, lo, hi, K, del);
            n_rec++;
        }
        ecgx_fiducials_free(f);
        free(lab), free(dl);
        ecgx_clusters_record_free(&cr);
        ecgx_annotations_free(ann);
        ecgx_record_free(rec);
    }
    printf("{\"records\":%d,\"k\":%d,\"reference\":{\"nmi\":%.4f,\"purity\":%.4f},\"delineator\":{\"nmi\":%.4f,\"purity\":%.4f},"
           "\"reference_contingency\":[",
           n_rec, K, ecgx_clusters_nmi(ref, K, ECGX_CW_N), ecgx_clusters_purity(ref, K, ECGX_CW_N),
           ecgx_clusters_nmi(del, K, ECGX_CW_N), ecgx_clusters_purity(del, K, ECGX_CW_N));
    for (int j = 0; j < K; j++)
        printf("%s[%.0f,%.0f,%.0f,%.0f]", j ? "," : "", ref[j * 4], ref[j * 4 + 1], ref[j * 4 + 2], ref[j * 4 + 3]);
    printf("]}\n");
    free(ref), free(del);
    ecgx_clusters_free(c);
    ecgx_model_free(m);
    return 0;
}
