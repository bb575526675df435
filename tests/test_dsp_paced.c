/* QRS detection and pacemaker spikes on the synthetic paced suite: atrial,
 * ventricular and dual-chamber pacing at 100-1000 Hz, spike widths 0.1-2 ms
 * and amplitudes 2-20 mV drawn per record (log-uniform) before the front
 * end's low-pass (-3 dB at 0.4 fs), 10 % fusion, 5 % pseudo-fusion and 5 %
 * failure to capture, a few PVCs in some records, mild baseline wander and
 * muscle noise. Scored by EC57's 150 ms rule (tests/qrs_suite.h); prints the
 * table of docs/dsp.md. */
#include "qrs_suite.h"

static const char *mode_name(int m) { return m == ECGX_PACE_ATRIAL ? "atrial" : m == ECGX_PACE_VENTRICULAR ? "ventricular" : "dual"; }

int main(void)
{
    int asan = getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER"));
    static const double rates[] = {100, 250, 360, 500, 1000};
    int n_seeds = asan ? 1 : 6;
    suite_stats all = {0}, hi = {0};
    printf("Paced suite: %d records of 30 s per mode and rate (12 leads fused)\n\n", n_seeds);
    printf("| mode | fs Hz | beats | Se %% | PPV %% | spikes >= 1 mV: Se %% | spike FP | paced beats marked V %% |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    for (int mode = ECGX_PACE_ATRIAL; mode <= ECGX_PACE_DUAL; mode++)
        for (size_t r = 0; r < sizeof rates / sizeof *rates; r++) {
            suite_stats cell = {0};
            for (int k = 0; k < n_seeds; k++) {
                ecgx_synth_options o = ecgx_synth_options_default();
                o.fs = rates[r];
                o.duration = 30;
                o.seed = 5000 + 100 * (uint64_t)mode + (uint64_t)k;
                o.vary = 1;
                o.pace_mode = mode;
                o.pace_fusion = mode == ECGX_PACE_ATRIAL ? 0 : 0.10;
                o.pace_pseudo = mode == ECGX_PACE_ATRIAL ? 0 : 0.05;
                o.pace_fail = 0.05;
                o.bw_amp = 0.1;
                o.emg_rms = 0.02;
                if (k % 3 == 2) o.conditions = ECGX_SYNTH_FLAG(ECGX_SYNTH_PVC);
                o.hr = 60 + 5 * (k % 4);
                if (mode == ECGX_PACE_ATRIAL) o.hr = 75 + 5 * (k % 4);
                suite_stats s = {0};
                suite_run(&o, &s, NULL);
                suite_add(&cell, &s);
            }
            suite_add(&all, &cell);
            if (rates[r] >= 250) suite_add(&hi, &cell);
            double sp_se = cell.sp_tp + cell.sp_fn ? 100.0 * (double)cell.sp_tp / (double)(cell.sp_tp + cell.sp_fn) : NAN;
            printf("| %s | %g | %ld | %.2f | %.2f | %.1f (%ld) | %ld | %.1f |\n", mode_name(mode), rates[r],
                   cell.tp + cell.fn, suite_se(&cell), suite_ppv(&cell), sp_se, cell.sp_tp + cell.sp_fn, cell.sp_fp,
                   cell.pace_n ? 100.0 * (double)cell.pace_ok / (double)cell.pace_n : NAN);
            CHECK_MSG(suite_se(&cell) >= 98 && suite_ppv(&cell) >= 98, "%s %g Hz: Se %.2f PPV %.2f", mode_name(mode),
                      rates[r], suite_se(&cell), suite_ppv(&cell));
        }
    double sp_se = 100.0 * (double)hi.sp_tp / (double)(hi.sp_tp + hi.sp_fn + 1e-9);
    double sp_ppv = 100.0 * (double)hi.sp_tp / (double)(hi.sp_tp + hi.sp_fp + 1e-9);
    printf("| **all** | 100-1000 | %ld | **%.2f** | **%.2f** | %.1f (>= 250 Hz; PPV %.2f) | %ld | %.1f |\n", all.tp + all.fn,
           suite_se(&all), suite_ppv(&all), sp_se, sp_ppv, all.sp_fp,
           all.pace_n ? 100.0 * (double)all.pace_ok / (double)all.pace_n : NAN);
    CHECK_MSG(suite_se(&all) >= 99.5 && suite_ppv(&all) >= 99.5, "paced suite Se %.2f PPV %.2f", suite_se(&all), suite_ppv(&all));
    /* Holter-like: two leads (II, V1) at 360 Hz, electrode motion at 18 and 12 dB (NST SNR) */
    printf("\nTwo leads (II, V1) at 360 Hz with electrode motion, %d records of 60 s per mode and SNR\n\n", n_seeds);
    printf("| mode | em SNR dB | beats | Se %% | PPV %% |\n|---|---|---|---|---|\n");
    suite_stats two_all = {0};
    for (int mode = ECGX_PACE_ATRIAL; mode <= ECGX_PACE_DUAL; mode++)
        for (int q = 0; q < 2; q++) {
            suite_stats cell = {0};
            for (int k = 0; k < n_seeds; k++) {
                ecgx_synth_options o = ecgx_synth_options_default();
                o.fs = 360;
                o.duration = 60;
                o.seed = 6000 + 100 * (uint64_t)mode + 10 * (uint64_t)q + (uint64_t)k;
                o.vary = 1;
                o.pace_mode = mode;
                o.pace_fusion = mode == ECGX_PACE_ATRIAL ? 0 : 0.10;
                o.pace_pseudo = mode == ECGX_PACE_ATRIAL ? 0 : 0.05;
                o.pace_fail = 0.05;
                o.em_rms = 1;
                o.use_snr = 1;
                o.snr_nst = 1;
                o.snr_db = q ? 12 : 18;
                if (k % 3 == 2) o.conditions = ECGX_SYNTH_FLAG(ECGX_SYNTH_PVC);
                ecgx_record *rec = NULL;
                ecgx_fiducials *truth = NULL;
                CHECK_OK(ecgx_synth_generate(&o, &rec, &truth, NULL));
                if (!rec) { ecgx_fiducials_free(truth); continue; }
                ecgx_record *two = ecgx_record_new(2, rec->n_samples, rec->fs);
                memcpy(ecgx_record_lead(two, 0), ecgx_record_lead(rec, ECGX_LEAD_II), sizeof(float) * (size_t)rec->n_samples);
                memcpy(ecgx_record_lead(two, 1), ecgx_record_lead(rec, ECGX_LEAD_V1), sizeof(float) * (size_t)rec->n_samples);
                suite_stats st = {0};
                suite_score(&o, two, truth, -1, &st);
                suite_add(&cell, &st);
                ecgx_record_free(two);
                ecgx_record_free(rec);
                ecgx_fiducials_free(truth);
            }
            suite_add(&two_all, &cell);
            printf("| %s | %d | %ld | %.2f | %.2f |\n", mode_name(mode), q ? 12 : 18, cell.tp + cell.fn, suite_se(&cell),
                   suite_ppv(&cell));
        }
    printf("| **all** | 18, 12 | %ld | **%.2f** | **%.2f** |\n", two_all.tp + two_all.fn, suite_se(&two_all),
           suite_ppv(&two_all));
    if (!asan) {
        CHECK_MSG(suite_se(&two_all) >= 99 && suite_ppv(&two_all) >= 99, "two-lead paced Se %.2f PPV %.2f",
                  suite_se(&two_all), suite_ppv(&two_all));
        CHECK_MSG(sp_se >= 95, "visible spikes found at >= 250 Hz: %.1f %%", sp_se);
        CHECK_MSG(hi.sp_fp <= hi.sp_tp / 100, "false spikes %ld for %ld true", hi.sp_fp, hi.sp_tp);
        CHECK_MSG(hi.pace_ok >= 0.95 * (double)hi.pace_n, "paced beats marked V at >= 250 Hz: %ld of %ld", hi.pace_ok, hi.pace_n);
    }
    return check_finish();
}
