/* Detection, delineation and measurements against the synthetic generator's
 * exact ground truth, per condition: global fiducials matched wave by wave
 * (peak within 150 ms), Se/PPV and mean/SD of onset/peak/offset errors, and
 * the clinical consequences each condition must show: AF gives no P waves,
 * first-degree AV block a PR > 200 ms, bundle branch blocks a QRS >= 120 ms. */
#include "check.h"
#include "dsp_eval.h"
#include "ecgx/delineate.h"
#include "ecgx/measure.h"
#include "ecgx/qrs.h"
#include "ecgx/synth.h"

typedef struct cond_case { const char *name; int cond; } cond_case;

int main(void)
{
    static const cond_case cases[] = {
        {"normal", ECGX_SYNTH_NORMAL}, {"brady", ECGX_SYNTH_BRADY}, {"tachy", ECGX_SYNTH_TACHY},
        {"af", ECGX_SYNTH_AF},         {"avb1", ECGX_SYNTH_AVB1},   {"lbbb", ECGX_SYNTH_LBBB},
        {"rbbb", ECGX_SYNTH_RBBB},     {"ste", ECGX_SYNTH_STE},     {"std", ECGX_SYNTH_STD},
        {"lvh", ECGX_SYNTH_LVH},       {"pvc", ECGX_SYNTH_PVC},
    };
    int asan = getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER"));
    int n_rec = asan ? 3 : 20;
    printf("Synthetic ground truth, %d records per condition (vary on, low noise: 0.05 mV wander, 0.01 mV EMG), "
           "global fiducials, errors in ms (mean ± SD)\n\n", n_rec);
    printf("| condition | beats Se/PPV %% | beats with P %% | P Se/PPV %% | P on | P off | QRS on | QRS off | T on | T off | PR ms | QRS ms |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        wave_stats st[3];
        memset(st, 0, sizeof st);
        long btp = 0, bfn = 0, bfp = 0;
        int pr_long = 0, qrs_wide = 0, p_beats = 0, all_beats = 0;
        double pr_sum = 0, qrs_sum = 0;
        int n_pr = 0;
        for (int k = 0; k < n_rec; k++) {
            ecgx_synth_options o = ecgx_synth_options_default();
            o.conditions = ECGX_SYNTH_FLAG(cases[c].cond);
            o.seed = 1000 + (uint64_t)k;
            o.vary = 1;
            o.bw_amp = 0.05;
            o.emg_rms = 0.01;
            ecgx_record *rec = NULL;
            ecgx_fiducials *truth = NULL, *f = NULL;
            CHECK_OK(ecgx_synth_generate(&o, &rec, &truth, NULL));
            if (!rec || !truth) { ecgx_record_free(rec); ecgx_fiducials_free(truth); continue; }
            int64_t *pk = NULL;
            int np = 0;
            CHECK_OK(ecgx_qrs_detect(rec, -1, &pk, &np));
            int64_t *ref = malloc(sizeof *ref * (size_t)(truth->n_beats + 1));
            int nr = 0;
            /* a QRS cut by the record's edge (R within 50 ms of it) is not scored,
             * nor a detection that could only have matched such a beat */
            int64_t edge = (int64_t)(0.05 * rec->fs), tol = (int64_t)(0.15 * rec->fs);
            int64_t ex_lo[2] = {-1, rec->n_samples - edge - tol}, ex_hi[2] = {edge + tol - 1, rec->n_samples};
            for (int b = 0; b < truth->n_beats; b++)
                if (truth->beats[b].r >= edge && truth->beats[b].r < rec->n_samples - edge) ref[nr++] = truth->beats[b].r;
            long tp, fn, fp;
            match_beats(ref, nr, pk, np, tol, ex_lo, ex_hi, 2, &tp, &fn, &fp);
            btp += tp; bfn += fn; bfp += fp;
            CHECK_OK(ecgx_delineate(rec, pk, np, &f));
            if (f) {
                /* score beats whose whole truth lies inside the record */
                int64_t lo = (int64_t)(0.3 * rec->fs), hi = rec->n_samples - 1 - (int64_t)(0.3 * rec->fs);
                for (int w = 0; w < 3; w++) {
                    ref_wave *rw = malloc(sizeof *rw * (size_t)(truth->n_beats + 1));
                    ecgx_wave *pw = malloc(sizeof *pw * (size_t)(np + 1));
                    int nrw = 0;
                    for (int b = 0; b < truth->n_beats; b++) {
                        const ecgx_wave *tw = &truth->beats[b].wave[w];
                        if (tw->peak < lo || tw->peak > hi) continue;
                        rw[nrw++] = (ref_wave){tw->onset, tw->peak, tw->offset};
                    }
                    for (int b = 0; b < np; b++) pw[b] = f->beats[b].wave[w];
                    match_waves(rw, nrw, pw, np, lo, hi, (int64_t)(0.15 * rec->fs), rec->fs, &st[w]);
                    free(rw);
                    free(pw);
                }
                for (int b = 0; b < np; b++) { p_beats += f->beats[b].wave[ECGX_WAVE_P].peak >= 0; all_beats++; }
                ecgx_features *feat = NULL;
                CHECK_OK(ecgx_measure(rec, f, &feat));
                double pr = ecgx_features_get(feat, "PR_Global"), qrs = ecgx_features_get(feat, "QRS_Global");
                if (isfinite(pr)) { pr_sum += pr; n_pr++; }
                qrs_sum += qrs;
                pr_long += pr > 200;
                qrs_wide += qrs >= 120;
                ecgx_features_free(feat);
            }
            free(ref);
            free(pk);
            ecgx_fiducials_free(f);
            ecgx_fiducials_free(truth);
            ecgx_record_free(rec);
        }
        printf("| %s | %.1f/%.1f | %.1f | %.1f/%.1f | %.1f ± %.1f | %.1f ± %.1f | %.1f ± %.1f | %.1f ± %.1f | %.1f ± %.1f | "
               "%.1f ± %.1f | %.0f | %.0f |\n",
               cases[c].name, 100.0 * btp / (double)(btp + bfn), 100.0 * btp / (double)(btp + bfp),
               all_beats ? 100.0 * p_beats / all_beats : NAN, stat_se(&st[0]),
               stat_ppv(&st[0]), stat_mean(&st[0], 0), stat_sd(&st[0], 0), stat_mean(&st[0], 2), stat_sd(&st[0], 2),
               stat_mean(&st[1], 0), stat_sd(&st[1], 0), stat_mean(&st[1], 2), stat_sd(&st[1], 2), stat_mean(&st[2], 0),
               stat_sd(&st[2], 0), stat_mean(&st[2], 2), stat_sd(&st[2], 2), n_pr ? pr_sum / n_pr : NAN,
               qrs_sum / n_rec);
        CHECK_MSG(btp + bfn > 0 && 100.0 * btp / (double)(btp + bfn) >= 99 && 100.0 * btp / (double)(btp + bfp) >= 99,
                  "%s: beats Se %.2f PPV %.2f", cases[c].name, 100.0 * btp / (double)(btp + bfn),
                  100.0 * btp / (double)(btp + bfp));
        CHECK_MSG(stat_se(&st[1]) >= 98 && stat_ppv(&st[1]) >= 98, "%s: QRS Se/PPV", cases[c].name);
        if (cases[c].cond == ECGX_SYNTH_AF) {
            CHECK_MSG(p_beats <= all_beats / 20, "af: %d of %d beats given a P wave", p_beats, all_beats);
            CHECK_MSG(n_pr <= n_rec / 10, "af: a PR interval measured in %d of %d records", n_pr, n_rec);
        }
        else if (cases[c].cond != ECGX_SYNTH_PVC)
            CHECK_MSG(stat_se(&st[0]) >= 90, "%s: P Se %.1f", cases[c].name, stat_se(&st[0]));
        if (cases[c].cond == ECGX_SYNTH_AVB1)
            CHECK_MSG(pr_long >= n_rec * 9 / 10, "avb1: PR > 200 ms in %d of %d records", pr_long, n_rec);
        if (cases[c].cond == ECGX_SYNTH_NORMAL)
            CHECK_MSG(pr_long <= n_rec / 10 && qrs_wide <= n_rec / 10, "normal: %d long PR, %d wide QRS", pr_long, qrs_wide);
        if (cases[c].cond == ECGX_SYNTH_LBBB || cases[c].cond == ECGX_SYNTH_RBBB)
            CHECK_MSG(qrs_wide >= n_rec * 9 / 10, "%s: QRS >= 120 ms in %d of %d records", cases[c].name, qrs_wide, n_rec);
    }
    return check_finish();
}
