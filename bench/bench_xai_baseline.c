/* Which baseline means "no evidence" to a model? For each candidate baseline
 * (zero, filtered, blurred, and the synthetic normal ECG at several
 * amplitude scales, and at the scale ecgx_xai_normal_scale picks), on the shipped PTB-XL model by default:
 *   - the model's probabilities of the baseline itself, per class (a
 *     baseline that already scores a class makes IG explain "why less of
 *     it than the baseline"): the largest, and the classes >= 0.5;
 *   - on synthetic ECGs with known evidence (ecgx synth, vary, light noise:
 *     LBBB and RBBB for CD, LVH for HYP, ST elevation for MI, ST depression
 *     for STTC, normal for NORM), integrated gradients of the window that
 *     gives the displayed (maximum) probability: the completeness gap, the
 *     share of records whose relevance sums to > 0 (the class is explained
 *     as present, not as "less than the baseline"), the share of positive
 *     relevance inside the evidence (localisation; abnormal records), the
 *     deletion AUC against the same baseline and the random-order deletion
 *     AUC it is to be read against (the gain = random - deletion, higher is
 *     better), and the insertion AUC.
 * Prints JSON (docs/xai.md quotes it).
 *
 * usage: bench_xai_baseline [--model M] [--n N] [--steps N] */
#include "ecgx/nn.h"
#include "ecgx/synth.h"
#include "ecgx/xai.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {
    const char *name;
    ecgx_xai_baseline kind;
    double param;
} cand;

typedef struct task {
    const char *cond, *cls;
    unsigned flag;
} task;

static double sigmoid(double z) { return 1 / (1 + exp(-z)); }

int main(int argc, char **argv)
{
    const char *model = "models/resnet1d_wang_ptbxl_superdiag.safetensors";
    int n = 4, steps = 32;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_xai_baseline [--model M] [--n N] [--steps N]\n");
            return 2;
        }
    }
    ecgx_model *m = NULL;
    if (ecgx_model_load(model, &m) < 0) {
        fprintf(stderr, "bench_xai_baseline: %s\n", ecgx_last_error());
        return 1;
    }
    const cand cands[] = {
        {"zero", ECGX_BASELINE_ZERO, 0},         {"filtered 1 Hz", ECGX_BASELINE_FILTERED, 1},
        {"blurred 50 ms", ECGX_BASELINE_BLURRED, 0.05}, {"normal x1.00", ECGX_BASELINE_NORMAL, 1.0},
        {"normal x0.75", ECGX_BASELINE_NORMAL, 0.75}, {"normal x0.50", ECGX_BASELINE_NORMAL, 0.5},
        {"normal, model's scale", ECGX_BASELINE_NORMAL, 0},
    };
    const task tasks[] = {
        {"lbbb", "CD", ECGX_SYNTH_FLAG(ECGX_SYNTH_LBBB)}, {"rbbb", "CD", ECGX_SYNTH_FLAG(ECGX_SYNTH_RBBB)},
        {"lvh", "HYP", ECGX_SYNTH_FLAG(ECGX_SYNTH_LVH)},  {"ste", "MI", ECGX_SYNTH_FLAG(ECGX_SYNTH_STE)},
        {"std", "STTC", ECGX_SYNTH_FLAG(ECGX_SYNTH_STD)}, {"normal", "NORM", ECGX_SYNTH_FLAG(ECGX_SYNTH_NORMAL)},
    };
    int nc = (int)(sizeof cands / sizeof cands[0]), nt = (int)(sizeof tasks / sizeof tasks[0]);
    int K = ecgx_model_n_classes(m), W = 250, S = 125;
    const char *w = ecgx_model_meta(m, "input_length"), *st = ecgx_model_meta(m, "window_stride");
    if (w && atoi(w) > 0) W = atoi(w);
    S = st && atoi(st) > 0 ? atoi(st) : W / 2;
    /* the synthetic records, at the model's rate */
    int total = n * nt, L = 0;
    float **xs = calloc((size_t)total, sizeof *xs);
    uint8_t **masks = calloc((size_t)total, sizeof *masks);
    for (int t = 0; t < nt; t++)
        for (int i = 0; i < n; i++) {
            ecgx_synth_options o = ecgx_synth_options_default();
            o.fs = 100;
            o.duration = 10;
            o.seed = 1000 + 17 * (uint64_t)i + (uint64_t)t;
            o.vary = 1;
            o.conditions = tasks[t].flag;
            o.emg_rms = 0.01;
            o.bw_amp = 0.05;
            ecgx_record *rec = NULL;
            double fs;
            if (ecgx_synth_generate(&o, &rec, NULL, &masks[t * n + i]) < 0 ||
                ecgx_model_prepare_record(m, rec, 0, &xs[t * n + i], &L, &fs, NULL, 0) < 0) {
                fprintf(stderr, "bench_xai_baseline: %s\n", ecgx_last_error());
                return 1;
            }
            ecgx_record_free(rec);
        }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddNumberToObject(root, "records_per_condition", n);
    cJSON_AddNumberToObject(root, "ig_steps", steps);
    cJSON *arr = cJSON_AddArrayToObject(root, "baselines");
    float *bl = malloc(sizeof(float) * K), *x0 = malloc(sizeof(float) * 12 * W), *xw = malloc(sizeof(float) * 12 * W);
    float probs[32];
    char cb[64];
    for (int c = 0; c < nc; c++) {
        cJSON *jc = cJSON_CreateObject();
        cJSON_AddStringToObject(jc, "baseline", cands[c].name);
        /* the baseline's own probabilities, averaged over the records' windows
         * (the normal baseline does not depend on the record) */
        double pmean[32] = {0};
        int above_any = 0;
        cJSON *per = cJSON_AddObjectToObject(jc, "per_condition");
        for (int t = 0; t < nt; t++) {
            int target = ecgx_xai_class_from_name(m, tasks[t].cls);
            double gap = 0, pos = 0, mass = 0, chance = 0, del = 0, rnd = 0, ins = 0, pb = 0;
            for (int i = 0; i < n; i++) {
                const float *x = xs[t * n + i];
                ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_IG);
                o.steps = steps;
                o.target = target;
                o.baseline = cands[c].kind;
                o.baseline_param = cands[c].param;
                o.fs = 100;
                ecgx_attribution *a = NULL;
                if (ecgx_xai_attribute_windowed(m, x, L, W, S, &o, &a, bl) < 0) {
                    fprintf(stderr, "bench_xai_baseline: %s\n", ecgx_last_error());
                    return 1;
                }
                for (int k = 0; k < K; k++) {
                    double p = sigmoid(bl[k]);
                    pmean[k] += p / (n * nt);
                    if (p >= 0.5) above_any = 1;
                }
                pb += sigmoid(bl[target]) / n;
                gap += a->completeness_gap / n;
                pos += (a->sum > 0) / (double)n;
                if (strcmp(tasks[t].cond, "normal")) {
                    double ms;
                    int hit;
                    ecgx_xai_localisation(a, masks[t * n + i], 0, &ms, &hit);
                    mass += ms / n;
                    int64_t in = 0;
                    for (int l = 0; l < 12; l++)
                        for (int s = a->window_start; s < a->window_start + W; s++) in += masks[t * n + i][(size_t)l * L + s] != 0;
                    chance += (double)in / (12.0 * W) / n;
                }
                /* deletion / insertion on the explained window against the same baseline */
                for (int l = 0; l < 12; l++) memcpy(xw + (size_t)l * W, x + (size_t)l * L + a->window_start, sizeof(float) * W);
                ecgx_xai_make_baseline(xw, 12, W, o.baseline, o.baseline_param, 100, x0);
                ecgx_attribution aw = *a;
                float *rw = malloc(sizeof(float) * 12 * W);
                for (int l = 0; l < 12; l++)
                    memcpy(rw + (size_t)l * W, a->relevance + (size_t)l * L + a->window_start, sizeof(float) * W);
                aw.relevance = rw;
                aw.length = W;
                double d, r, in;
                ecgx_xai_perturbation_curve(m, xw, x0, W, &aw, 0, 20, 10, probs, &d);
                ecgx_xai_perturbation_curve(m, xw, x0, W, &aw, 1, 20, 10, probs, &in);
                ecgx_xai_perturbation_curve_random(m, xw, x0, W, target, 0, 20, 10, 3, 7 + i, &r);
                del += d / n;
                rnd += r / n;
                ins += in / n;
                free(rw);
                ecgx_attribution_free(a);
            }
            cJSON *jt = cJSON_AddObjectToObject(per, tasks[t].cond);
            cJSON_AddStringToObject(jt, "class", tasks[t].cls);
            cJSON_AddNumberToObject(jt, "baseline_p_class", pb);
            cJSON_AddNumberToObject(jt, "completeness_gap", gap);
            cJSON_AddNumberToObject(jt, "share_sum_positive", pos);
            if (strcmp(tasks[t].cond, "normal")) {
                cJSON_AddNumberToObject(jt, "mass_in_evidence", mass);
                cJSON_AddNumberToObject(jt, "evidence_share_of_window", chance);
            }
            cJSON_AddNumberToObject(jt, "deletion_auc", del);
            cJSON_AddNumberToObject(jt, "deletion_auc_random", rnd);
            cJSON_AddNumberToObject(jt, "insertion_auc", ins);
            fprintf(stderr, "%-22s %-6s %-4s p0 %.3f gap %.3f pos %.2f mass %.3f/%.3f del %.3f rnd %.3f ins %.3f\n",
                    cands[c].name, tasks[t].cond, tasks[t].cls, pb, gap, pos, mass, chance, del, rnd, ins);
        }
        cJSON *jp = cJSON_AddObjectToObject(jc, "baseline_probabilities_mean");
        double pmax = 0;
        for (int k = 0; k < K; k++) {
            cJSON_AddNumberToObject(jp, ecgx_xai_class_name(m, k, cb, sizeof cb), pmean[k]);
            pmax = fmax(pmax, pmean[k]);
        }
        cJSON_AddNumberToObject(jc, "baseline_p_max", pmax);
        cJSON_AddBoolToObject(jc, "some_class_at_or_above_0.5", above_any);
        cJSON_AddItemToArray(arr, jc);
    }
    char *s = cJSON_Print(root);
    puts(s);
    free(s);
    cJSON_Delete(root);
    for (int i = 0; i < total; i++) {
        free(xs[i]);
        free(masks[i]);
    }
    free(xs);
    free(masks);
    free(bl);
    free(x0);
    free(xw);
    ecgx_model_free(m);
    return 0;
}
