/* Measurements on a synthetic 12-lead record whose intervals, amplitudes
 * and axes are known by construction. */
#include "check.h"
#include "ecgx/delineate.h"
#include "ecgx/measure.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double gauss(double t, double mu, double sd) { return exp(-0.5 * (t - mu) * (t - mu) / (sd * sd)); }

/* lead l gets QRS amplitude qa[l] (mV) and T amplitude ta[l] */
static ecgx_record *make(double fs, double rr, const double *qa, const double *ta)
{
    static const char *names[12] = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
    int64_t n = (int64_t)(10 * fs);
    ecgx_record *r = ecgx_record_new(12, n, fs);
    for (int l = 0; l < 12; l++) {
        ecgx_record_set_lead(r, l, names[l], "mV");
        float *x = ecgx_record_lead(r, l);
        for (int64_t i = 0; i < n; i++) {
            double t = (double)i / fs, v = 0;
            for (double R = 0.4; R < 10; R += rr) {
                if (fabs(t - R) > 0.8) continue;
                v += 0.1 * gauss(t, R - 0.17, 0.02) + qa[l] * gauss(t, R, 0.012) + ta[l] * gauss(t, R + 0.3, 0.045);
            }
            x[i] = (float)(v + 0.2);
        }
    }
    return r;
}

static void test_measurements(void)
{
    double qa[12], ta[12];
    for (int l = 0; l < 12; l++) { qa[l] = 1.0; ta[l] = 0.25; }
    qa[0] = 1.0; qa[5] = 1.0;   /* I = aVF: QRS axis 45 degrees */
    qa[6] = -1.2;               /* V1 a deep S (negative complex) */
    qa[10] = 2.0; qa[11] = 1.5; /* V5 the tallest R */
    qa[4] = 0.8; qa[8] = -0.9;  /* aVL R, V3 S for Cornell */
    ta[0] = 0.3; ta[5] = -0.3;  /* T axis -45 degrees */
    ecgx_record *r = make(500, 0.8, qa, ta);
    ecgx_features *f = NULL;
    ecgx_fiducials *fid = NULL;
    CHECK_OK(ecgx_measure_record(r, &f, &fid));
    if (!f) { ecgx_record_free(r); return; }
    CHECK_NEAR(ecgx_features_get(f, "HR_Global"), 75, 0.5);
    CHECK_NEAR(ecgx_features_get(f, "RR_mean_Global"), 800, 2);
    CHECK(ecgx_features_get(f, "RR_SD_Global") < 3);
    CHECK(ecgx_features_get(f, "RMSSD_Global") < 3);
    double qrs = ecgx_features_get(f, "QRS_Global");
    CHECK_MSG(qrs > 40 && qrs < 100, "QRS %g ms", qrs);
    double pr = ecgx_features_get(f, "PR_Global");
    CHECK_MSG(pr > 120 && pr < 220, "PR %g ms", pr);
    double qt = ecgx_features_get(f, "QT_Global");
    CHECK_MSG(qt > 330 && qt < 450, "QT %g ms", qt);
    /* QTc formulas against the measured QT and RR (0.8 s) */
    CHECK_NEAR(ecgx_features_get(f, "QTcB_Global"), qt / sqrt(0.8), 1.0);
    CHECK_NEAR(ecgx_features_get(f, "QTcF_Global"), qt / cbrt(0.8), 1.0);
    CHECK_NEAR(ecgx_features_get(f, "QTcFram_Global"), qt + 154 * 0.2, 1.0);
    CHECK_NEAR(ecgx_features_get(f, "QRS_axis_Global"), 45, 3);
    CHECK_NEAR(ecgx_features_get(f, "T_axis_Global"), -45, 5);
    CHECK_NEAR(ecgx_features_get(f, "R_amp_V5"), 2.0, 0.1);
    CHECK_NEAR(ecgx_features_get(f, "S_amp_V1"), -1.2, 0.1);
    CHECK_NEAR(ecgx_features_get(f, "T_amp_I"), 0.3, 0.05);
    CHECK_NEAR(ecgx_features_get(f, "P_amp_II"), 0.1, 0.03);
    CHECK_NEAR(ecgx_features_get(f, "SokolowLyon_Global"), 1.2 + 2.0, 0.2);
    CHECK_NEAR(ecgx_features_get(f, "Cornell_Global"), 0.8 + 0.9, 0.2);
    CHECK(fabs(ecgx_features_get(f, "ST60_II")) < 0.1);
    CHECK(isnan(ecgx_features_get(f, "nonexistent")));

    int64_t len = ecgx_median_beat_length(500), ri;
    CHECK(len == 351);
    float *mb = malloc(sizeof *mb * (size_t)len);
    CHECK_OK(ecgx_median_beat(r, fid, 10, mb, &ri));
    CHECK(ri == 125);
    CHECK_NEAR(mb[ri], 2.0, 0.1);
    free(mb);
    ecgx_features_free(f);
    ecgx_fiducials_free(fid);
    ecgx_record_free(r);

    /* a flat record: measurements are NaN, never a crash */
    r = ecgx_record_new(12, 5000, 500);
    CHECK_OK(ecgx_measure_record(r, &f, NULL));
    CHECK(f && isnan(ecgx_features_get(f, "HR_Global")) && isnan(ecgx_features_get(f, "R_amp_I")));
    ecgx_features_free(f);
    ecgx_record_free(r);
}

int main(void)
{
    RUN(test_measurements);
    return check_finish();
}
