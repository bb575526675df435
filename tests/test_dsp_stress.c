/* The noise stress test (after the MIT-BIH NST, Moody et al. 1984): synthetic
 * records with electrode motion (em), muscle artefact (ma) or baseline
 * wander (bw) added at SNR 24, 18, 12, 6, 0 and -6 dB, the SNR defined as
 * the NST defines it ((QRS peak-to-peak)^2 / 8 over the noise's power, per
 * lead). Scored by EC57's 150 ms rule (tests/qrs_suite.h), for all 12 leads
 * fused and for two leads (II and V1, a Holter's pair). Then lead-off and
 * saturation: the detector must report the stretches where no lead can be
 * read and put no beat there. Prints the tables of docs/dsp.md. */
#include "qrs_suite.h"

static const char *noise_name[3] = {"em", "ma", "bw"};

static void make_opts(ecgx_synth_options *o, int type, double snr, int k)
{
    *o = ecgx_synth_options_default();
    o->duration = 60;
    o->fs = 360;
    o->seed = 7000 + (uint64_t)(100 * type) + (uint64_t)k;
    o->vary = 1;
    if (k % 3 == 1) o->conditions = ECGX_SYNTH_FLAG(ECGX_SYNTH_PVC);
    if (type == 0) o->em_rms = 1;
    if (type == 1) o->emg_rms = 1;
    if (type == 2) o->bw_amp = 1;
    o->use_snr = 1;
    o->snr_nst = 1;
    o->snr_db = snr;
}

/* Score a two-lead (II, V1) version of the record. */
static void score_two(const ecgx_synth_options *o, suite_stats *st)
{
    ecgx_record *rec = NULL, *two = NULL;
    ecgx_fiducials *truth = NULL;
    memset(st, 0, sizeof *st);
    CHECK_OK(ecgx_synth_generate(o, &rec, &truth, NULL));
    if (!rec) { ecgx_fiducials_free(truth); return; }
    two = ecgx_record_new(2, rec->n_samples, rec->fs);
    memcpy(ecgx_record_lead(two, 0), ecgx_record_lead(rec, ECGX_LEAD_II), sizeof(float) * (size_t)rec->n_samples);
    memcpy(ecgx_record_lead(two, 1), ecgx_record_lead(rec, ECGX_LEAD_V1), sizeof(float) * (size_t)rec->n_samples);
    suite_score(o, two, truth, -1, st);
    ecgx_record_free(two);
    ecgx_record_free(rec);
    ecgx_fiducials_free(truth);
}

static void test_nst(void)
{
    static const double snrs[] = {24, 18, 12, 6, 0, -6};
    int asan = getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER"));
    int n_rec = asan ? 1 : 4;
    printf("\nNoise stress: %d records of 60 s at 360 Hz per noise and SNR (vary on, a third with PVCs)\n\n", n_rec);
    printf("| noise | SNR dB | beats | 12 leads Se %% | PPV %% | II+V1 Se %% | PPV %% |\n|---|---|---|---|---|---|---|\n");
    for (int type = 0; type < 3; type++)
        for (size_t q = 0; q < sizeof snrs / sizeof *snrs; q++) {
            suite_stats f = {0}, t = {0};
            for (int k = 0; k < n_rec; k++) {
                ecgx_synth_options o;
                make_opts(&o, type, snrs[q], k);
                suite_stats a = {0}, b = {0};
                suite_run(&o, &a, NULL);
                score_two(&o, &b);
                suite_add(&f, &a);
                suite_add(&t, &b);
            }
            printf("| %s | %g | %ld | %.2f | %.2f | %.2f | %.2f |\n", noise_name[type], snrs[q], f.tp + f.fn,
                   suite_se(&f), suite_ppv(&f), suite_se(&t), suite_ppv(&t));
            if (asan) continue;
            /* what a good detector keeps (the NST's em records are the hardest): */
            if (snrs[q] >= 12) {
                CHECK_MSG(suite_se(&f) >= 99.5 && suite_ppv(&f) >= 99.5, "%s %g dB 12 leads", noise_name[type], snrs[q]);
                CHECK_MSG(suite_se(&t) >= 99 && suite_ppv(&t) >= 99, "%s %g dB 2 leads", noise_name[type], snrs[q]);
            } else if (snrs[q] >= 6) { /* em at 6 dB: false beats in the motion bursts (PPV ~92 %) */
                CHECK_MSG(suite_se(&f) >= 99.5 && suite_ppv(&f) >= 90, "%s %g dB 12 leads", noise_name[type], snrs[q]);
            } else if (snrs[q] >= 0) {
                CHECK_MSG(suite_se(&f) >= 95 && suite_ppv(&f) >= 60, "%s %g dB 12 leads", noise_name[type], snrs[q]);
            }
            if (type == 2) CHECK_MSG(suite_se(&f) >= 99.5 && suite_ppv(&f) >= 99.5, "bw %g dB", snrs[q]);
        }
}

static void test_unreadable(void)
{
    int asan = getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER"));
    int n_rec = asan ? 2 : 10;
    suite_stats tot = {0};
    long bad_truth = 0, bad_found = 0, beats_inside = 0;
    for (int k = 0; k < n_rec; k++) {
        ecgx_synth_options o = ecgx_synth_options_default();
        o.duration = 60;
        o.fs = k % 2 ? 500 : 250;
        o.seed = 9100 + (uint64_t)k;
        o.vary = 1;
        o.leadoff_s = 8;
        o.saturation_s = 8;
        o.emg_rms = 0.02;
        o.bw_amp = 0.1;
        ecgx_record *rec = NULL;
        ecgx_fiducials *truth = NULL;
        CHECK_OK(ecgx_synth_generate(&o, &rec, &truth, NULL));
        if (!rec) { ecgx_fiducials_free(truth); continue; }
        suite_stats s = {0};
        suite_score(&o, rec, truth, -1, &s);
        suite_add(&tot, &s);
        ecgx_qrs_result *res = NULL;
        CHECK_OK(ecgx_qrs_analyze(rec, -1, &res));
        int64_t *bs = NULL, *be = NULL;
        unsigned *bl = NULL;
        int nb = 0;
        CHECK_OK(ecgx_synth_artefacts(&o, &bs, &be, &bl, &nb));
        for (int i = 0; res && i < nb; i++) {
            if ((bl[i] & 0xFFFu) != 0xFFFu) continue;
            bad_truth += be[i] - bs[i];
            for (int64_t t = bs[i]; t < be[i]; t++)
                for (int j = 0; j < res->n_unreadable; j++)
                    if (t >= res->bad_start[j] && t < res->bad_end[j]) { bad_found++; break; }
            for (int b = 0; b < res->n_beats; b++) beats_inside += res->r[b] >= bs[i] && res->r[b] < be[i];
        }
        free(bs); free(be); free(bl);
        ecgx_qrs_result_free(res);
        ecgx_record_free(rec);
        ecgx_fiducials_free(truth);
    }
    double cover = bad_truth ? 100.0 * (double)bad_found / (double)bad_truth : NAN;
    printf("\nLead-off and saturation (%d records of 60 s, 8 s of each; half the segments hit every lead): "
           "Se %.2f %% PPV %.2f %% outside them; every-lead stretches %.1f %% marked unreadable, %ld beats put there\n",
           n_rec, suite_se(&tot), suite_ppv(&tot), cover, beats_inside);
    if (!asan) /* the sanitizer run scores two records: a smoke test */
        CHECK_MSG(suite_se(&tot) >= 99.5 && suite_ppv(&tot) >= 99.5, "Se %.2f PPV %.2f", suite_se(&tot), suite_ppv(&tot));
    CHECK(bad_truth > 0);
    CHECK_MSG(cover >= 95, "unreadable coverage %.1f %%", cover);
    CHECK(beats_inside == 0);
}

int main(void)
{
    RUN(test_unreadable);
    RUN(test_nst);
    return check_finish();
}
