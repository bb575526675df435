/* Speed of the dsp pipeline on one core: a 12-lead 10 s record at 500 Hz
 * (PTB-XL record 1 from ../shared/data when present, else a synthetic one)
 * through filtering, QRS detection, delineation and measurements. Prints
 * JSON with the median and minimum over repetitions, per stage and in all. */
#include "check.h"
#include "ecgx/delineate.h"
#include "ecgx/dsp.h"
#include "ecgx/io.h"
#include "ecgx/measure.h"
#include "ecgx/progress.h"
#include "ecgx/qrs.h"
#include "ecgx/synth.h"

#include <omp.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static ecgx_record *synthetic(void)
{
    ecgx_record *r = ecgx_record_new(12, 5000, 500);
    for (int l = 0; l < 12; l++)
        for (int i = 0; i < 5000; i++) {
            double t = i / 500.0, v = 0;
            for (double R = 0.4; R < 10; R += 0.8)
                v += 0.1 * exp(-0.5 * pow((t - R + 0.16) / 0.02, 2)) + exp(-0.5 * pow((t - R) / 0.012, 2)) +
                     0.3 * exp(-0.5 * pow((t - R - 0.3) / 0.045, 2));
            ecgx_record_lead(r, l)[i] = (float)(v + 0.05 * sin(i * 0.37 * (l + 1)));
        }
    return r;
}

#define REPS 200

int main(int argc, char **argv)
{
    omp_set_num_threads(1);
    const char *d = shared_data_dir();
    char path[4200];
    ecgx_record *rec = NULL;
    const char *source = "synthetic";
    if (d) {
        snprintf(path, sizeof path, "%s/ptbxl/records500/00000/00001_hr", d);
        if (ecgx_record_read(path, &rec) == 0) source = path;
    }
    if (!rec) rec = synthetic();
    int reps = argc > 1 ? atoi(argv[1]) : REPS;
    if (reps < 1) reps = 1;
    double *t_all = malloc(sizeof *t_all * (size_t)reps), *t_filt = malloc(sizeof *t_filt * (size_t)reps);
    double *t_qrs = malloc(sizeof *t_qrs * (size_t)reps), *t_del = malloc(sizeof *t_del * (size_t)reps);
    double *t_meas = malloc(sizeof *t_meas * (size_t)reps);
    int n_beats = 0;
    for (int k = 0; k < reps; k++) {
        ecgx_record *c = ecgx_record_clone(rec);
        double t0 = ecgx_now();
        float *xs[ECGX_MAX_LEADS]; /* the preprocessing a model sees: 0.5-40 Hz band-pass */
        for (int l = 0; l < c->n_leads; l++) xs[l] = ecgx_record_lead(c, l), ecgx_dsp_sanitize(xs[l], c->n_samples);
        ecgx_sos *bp;
        ecgx_butter(2, ECGX_BANDPASS, 0.5, 40, c->fs, &bp);
        ecgx_sos_filtfilt_leads(bp, xs, c->n_leads, c->n_samples);
        ecgx_sos_free(bp);
        double t1 = ecgx_now();
        int64_t *pk;
        int np;
        ecgx_qrs_detect(rec, -1, &pk, &np);
        double t2 = ecgx_now();
        ecgx_fiducials *f;
        ecgx_delineate(rec, pk, np, &f);
        double t3 = ecgx_now();
        ecgx_features *feat;
        ecgx_measure(rec, f, &feat);
        double t4 = ecgx_now();
        t_filt[k] = 1e3 * (t1 - t0); t_qrs[k] = 1e3 * (t2 - t1); t_del[k] = 1e3 * (t3 - t2); t_meas[k] = 1e3 * (t4 - t3);
        t_all[k] = 1e3 * (t4 - t0);
        n_beats = np;
        free(pk);
        ecgx_fiducials_free(f);
        ecgx_features_free(feat);
        ecgx_record_free(c);
    }
    double *arrs[5] = {t_all, t_filt, t_qrs, t_del, t_meas};
    for (int i = 0; i < 5; i++) qsort(arrs[i], (size_t)reps, sizeof(double), cmp_d);
    printf("{\"bench\":\"dsp_pipeline\",\"record\":\"%s\",\"leads\":%d,\"samples\":%lld,\"fs\":%g,\"beats\":%d,"
           "\"threads\":1,\"reps\":%d,\n \"median_ms\":{\"total\":%.3f,\"bandpass_12_leads\":%.3f,\"qrs\":%.3f,"
           "\"delineation\":%.3f,\"measurements\":%.3f},\n \"min_ms\":{\"total\":%.3f,\"bandpass_12_leads\":%.3f,"
           "\"qrs\":%.3f,\"delineation\":%.3f,\"measurements\":%.3f},\"sum_of_stage_medians_ms\":%.3f,\"goal_ms\":5}\n",
           source, rec->n_leads, (long long)rec->n_samples, rec->fs, n_beats, reps, t_all[reps / 2], t_filt[reps / 2],
           t_qrs[reps / 2], t_del[reps / 2], t_meas[reps / 2], t_all[0], t_filt[0], t_qrs[0], t_del[0], t_meas[0],
           t_filt[reps / 2] + t_qrs[reps / 2] + t_del[reps / 2] + t_meas[reps / 2]);
    for (int i = 0; i < 5; i++) free(arrs[i]);
    ecgx_record_free(rec);

    /* a 30-minute two-lead record (MIT-BIH 101 when present, else synthetic
     * II and V1 at 360 Hz): QRS detection alone, best of a few runs */
    ecgx_record *holter = NULL;
    const char *hsrc = "synthetic";
    if (d) {
        snprintf(path, sizeof path, "%s/mitdb/101", d);
        if (ecgx_record_read(path, &holter) == 0) hsrc = path;
    }
    if (!holter) {
        ecgx_synth_options o = ecgx_synth_options_default();
        o.fs = 360;
        o.duration = 1800;
        o.bw_amp = 0.1;
        o.emg_rms = 0.02;
        ecgx_record *full = NULL;
        if (ecgx_synth_generate(&o, &full, NULL, NULL) == 0) {
            holter = ecgx_record_new(2, full->n_samples, full->fs);
            memcpy(ecgx_record_lead(holter, 0), ecgx_record_lead(full, ECGX_LEAD_II), sizeof(float) * (size_t)full->n_samples);
            memcpy(ecgx_record_lead(holter, 1), ecgx_record_lead(full, ECGX_LEAD_V1), sizeof(float) * (size_t)full->n_samples);
        }
        ecgx_record_free(full);
    }
    if (holter) {
        int hreps = reps < 10 ? reps : 10;
        double best = 1e30, med[10];
        int nb = 0;
        for (int k = 0; k < hreps; k++) {
            double t0 = ecgx_now();
            int64_t *pk = NULL;
            ecgx_qrs_detect(holter, -1, &pk, &nb);
            med[k] = 1e3 * (ecgx_now() - t0);
            best = med[k] < best ? med[k] : best;
            free(pk);
        }
        qsort(med, (size_t)hreps, sizeof(double), cmp_d);
        printf("{\"bench\":\"qrs_30min_2lead\",\"record\":\"%s\",\"samples\":%lld,\"fs\":%g,\"beats\":%d,\"reps\":%d,"
               "\"median_ms\":%.2f,\"min_ms\":%.2f,\"goal_ms\":50}\n",
               hsrc, (long long)holter->n_samples, holter->fs, nb, hreps, med[hreps / 2], best);
        ecgx_record_free(holter);
    }
    return 0;
}
