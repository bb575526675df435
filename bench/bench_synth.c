/* Generation speed of the synthetic ECG generator: one 12-lead record of
 * 10 s at 500 Hz, with and without truth/noise, per condition. Prints JSON. */
#include "ecgx/progress.h"
#include "ecgx/synth.h"

#include <stdio.h>
#include <stdlib.h>

static double time_case(const char *conds, int truth, int noise, int reps)
{
    ecgx_synth_options o = ecgx_synth_options_default();
    ecgx_synth_conditions_parse(conds, &o.conditions);
    if (noise) { o.bw_amp = 0.1; o.emg_rms = 0.03; o.pl_amp = 0.02; }
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        o.seed = (uint64_t)r + 1;
        ecgx_record *rec;
        ecgx_fiducials *f = NULL;
        uint8_t *m = NULL;
        double t0 = ecgx_now();
        if (ecgx_synth_generate(&o, &rec, truth ? &f : NULL, truth ? &m : NULL) < 0) {
            fprintf(stderr, "%s\n", ecgx_last_error());
            exit(1);
        }
        double dt = ecgx_now() - t0;
        if (dt < best) best = dt;
        ecgx_record_free(rec);
        ecgx_fiducials_free(f);
        free(m);
    }
    return best * 1e3;
}

int main(void)
{
    const char *conds[] = {"normal", "af", "lbbb", "pvc", "ste", "lvh"};
    printf("{\"bench\":\"synth\",\"record\":\"12 leads, 10 s, 500 Hz\",\"metric\":\"best of 50, ms\",\"cases\":[");
    for (size_t i = 0; i < sizeof conds / sizeof *conds; i++) {
        printf("%s{\"condition\":\"%s\",\"signal_only_ms\":%.3f,\"with_truth_ms\":%.3f,\"with_truth_and_noise_ms\":%.3f}",
               i ? "," : "", conds[i], time_case(conds[i], 0, 0, 50), time_case(conds[i], 1, 0, 50),
               time_case(conds[i], 1, 1, 50));
    }
    printf("]}\n");
    return 0;
}
