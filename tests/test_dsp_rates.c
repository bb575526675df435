/* Measurements that do not depend on the sampling rate: the PTB-XL records
 * present both at 100 Hz (records100, *_lr) and at 500 Hz (records500,
 * *_hr) are measured at each rate; the median over records of the
 * difference (100 Hz - 500 Hz) of QRS duration, QT and PR must be under
 * 2 ms. Skipped without the shared data. */
#include "check.h"
#include "ecgx/io.h"
#include "ecgx/measure.h"

#include <dirent.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    char dir[4200];
    require_shared_data("ptbxl", dir, sizeof dir);
    static const char *feat[] = {"QRS_Global", "QT_Global", "PR_Global", "HR_Global"};
    enum { NF = 4, MAXR = 600 };
    static double diff[NF][MAXR];
    int nd[NF] = {0}, n_rec = 0;
    int asan = getenv("ECGX_SANITIZER") && atoi(getenv("ECGX_SANITIZER"));
    int limit = asan ? 20 : MAXR;
    for (int id = 1; id <= 500 && n_rec < limit; id++) {
        char p100[4400], p500[4400], hea[4500];
        snprintf(p100, sizeof p100, "%s/records100/00000/%05d_lr", dir, id);
        snprintf(p500, sizeof p500, "%s/records500/00000/%05d_hr", dir, id);
        snprintf(hea, sizeof hea, "%s.hea", p100);
        if (access(hea, R_OK) != 0) continue;
        snprintf(hea, sizeof hea, "%s.hea", p500);
        if (access(hea, R_OK) != 0) continue;
        ecgx_record *a = NULL, *b = NULL;
        ecgx_features *fa = NULL, *fb = NULL;
        CHECK_OK(ecgx_record_read(p100, &a));
        CHECK_OK(ecgx_record_read(p500, &b));
        if (a && b) {
            CHECK_OK(ecgx_measure_record(a, &fa, NULL));
            CHECK_OK(ecgx_measure_record(b, &fb, NULL));
        }
        if (fa && fb) {
            n_rec++;
            for (int f = 0; f < NF; f++) {
                double x = ecgx_features_get(fa, feat[f]), y = ecgx_features_get(fb, feat[f]);
                if (isfinite(x) && isfinite(y)) diff[f][nd[f]++] = x - y;
            }
        }
        ecgx_features_free(fa);
        ecgx_features_free(fb);
        ecgx_record_free(a);
        ecgx_record_free(b);
    }
    if (n_rec == 0) { printf("SKIP: no PTB-XL record at both rates\n"); return 77; }
    printf("PTB-XL, %d records at 100 and 500 Hz: 100 Hz - 500 Hz (ms; HR in bpm)\n\n", n_rec);
    printf("| measure | records | median | 25 %% | 75 %% | mean |\n|---|---|---|---|---|---|\n");
    for (int f = 0; f < NF; f++) {
        qsort(diff[f], (size_t)nd[f], sizeof(double), cmp_d);
        double mean = 0;
        for (int i = 0; i < nd[f]; i++) mean += diff[f][i];
        mean /= nd[f] ? nd[f] : 1;
        double med = nd[f] ? diff[f][nd[f] / 2] : NAN;
        printf("| %s | %d | %+.1f | %+.1f | %+.1f | %+.2f |\n", feat[f], nd[f], med, nd[f] ? diff[f][nd[f] / 4] : NAN,
               nd[f] ? diff[f][3 * nd[f] / 4] : NAN, mean);
        if (f < 3 && !asan) CHECK_MSG(fabs(med) < 2, "%s: median difference %+.1f ms", feat[f], med);
    }
    return check_finish();
}
