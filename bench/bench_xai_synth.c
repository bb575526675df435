/* Which explanation finds the evidence? Small resnet1d_wang models trained
 * on synthetic ECGs (ecgx synth) where the evidence of the condition is
 * known sample by sample: first-degree AV block (the long PR segment, all
 * leads), LBBB (the QRS in I, aVL, V1, V2, V5, V6) and ST elevation (J point
 * to T peak in V2-V4), each against normal sinus rhythm. For every method:
 * the fraction of positive relevance inside the evidence mask (the mask's
 * own share of the samples is the chance level), the pointing game, and
 * deletion / insertion AUCs (most relevant 10-sample blocks replaced by zero
 * / restored), plus the cascading randomisation check on one record.
 * Prints JSON; saves the models as OUTDIR/synth_<cond>.safetensors.
 *
 * usage: bench_xai_synth [--train N] [--test N] [--epochs N] [--steps N]
 *                        [--out DIR] [--conditions avb1,lbbb,ste] */
#include "ecgx/nn.h"
#include "ecgx/progress.h"
#include "ecgx/synth.h"
#include "ecgx/xai.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS 100.0
#define LEN 1000
#define CROP 250

typedef struct sample {
    float *x;      /* 12 x LEN, the model's preprocessing */
    uint8_t *mask; /* 12 x LEN */
    float y;
} sample;

static int make_sample(ecgx_model *m, unsigned cond_flag, uint64_t seed, sample *s)
{
    ecgx_synth_options o = ecgx_synth_options_default();
    o.fs = FS;
    o.duration = LEN / FS;
    o.seed = seed;
    o.vary = 1;
    o.conditions = cond_flag;
    o.emg_rms = 0.01;
    o.bw_amp = 0.05;
    ecgx_record *rec = NULL;
    ecgx_fiducials *fid = NULL;
    uint8_t *mask = NULL;
    int rc = ecgx_synth_generate(&o, &rec, &fid, &mask);
    if (rc < 0) return rc;
    int L = 0;
    double fs;
    rc = ecgx_model_prepare_record(m, rec, 0, &s->x, &L, &fs, NULL, 0);
    if (!rc && L != LEN) rc = -1;
    s->mask = mask;
    ecgx_record_free(rec);
    ecgx_fiducials_free(fid);
    return rc;
}

static double sigmoid(double z) { return 1 / (1 + exp(-z)); }

static double auroc(const float *score, const float *y, int n)
{
    double num = 0, pos = 0, neg = 0;
    for (int i = 0; i < n; i++) {
        if (y[i] > 0.5) pos++;
        else neg++;
        for (int j = 0; j < n; j++)
            if (y[i] > 0.5 && y[j] < 0.5) num += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
    }
    return pos && neg ? num / (pos * neg) : NAN;
}

static int train(ecgx_model *m, sample *tr, int n, int epochs, uint64_t seed)
{
    const int B = 32;
    ecgx_optim opt;
    if (ecgx_optim_init(&opt, ECGX_OPTIM_ADAMW, ecgx_model_n_trainable(m), 1e-3, 1e-2) < 0) return -1;
    int steps_per = (n + B - 1) / B;
    ecgx_onecycle sch;
    ecgx_onecycle_default(&sch, 3e-3, (int64_t)steps_per * epochs);
    float *xb = malloc(sizeof(float) * B * 12 * CROP), yb[B], lg[B], dl[B];
    int *perm = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) perm[i] = i;
    uint64_t r = seed;
    int64_t step = 0;
    ecgx_model_set_training(m, 1);
    for (int e = 0; e < epochs; e++) {
        for (int i = n - 1; i > 0; i--) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            int j = (int)((r >> 33) % (uint64_t)(i + 1)), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        double loss = 0;
        for (int b0 = 0; b0 < n; b0 += B) {
            int nb = n - b0 < B ? n - b0 : B;
            for (int b = 0; b < nb; b++) {
                sample *s = &tr[perm[b0 + b]];
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                int off = (int)((r >> 33) % (LEN - CROP + 1));
                for (int c = 0; c < 12; c++) memcpy(xb + ((size_t)b * 12 + c) * CROP, s->x + c * LEN + off, sizeof(float) * CROP);
                yb[b] = s->y;
            }
            ecgx_model_forward(m, xb, nb, CROP, lg);
            loss += ecgx_loss_bce_logits(lg, yb, nb, 1, NULL, NULL, dl) * nb;
            ecgx_model_zero_grad(m);
            ecgx_model_backward(m, dl, NULL, 0);
            opt.lr = ecgx_onecycle_lr(&sch, step);
            opt.beta1 = ecgx_onecycle_momentum(&sch, step);
            step++;
            ecgx_optim_step(&opt, ecgx_model_flat_params(m), ecgx_model_flat_grads(m));
        }
        fprintf(stderr, "  epoch %d loss %.4f\n", e + 1, loss / n);
    }
    ecgx_model_set_training(m, 0);
    ecgx_optim_free(&opt);
    free(xb);
    free(perm);
    return 0;
}

int main(int argc, char **argv)
{
    int n_train = 200, n_test = 16, epochs = 6, steps = 32;
    const char *outdir = "build", *conds = "avb1,lbbb,ste";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--train") && i + 1 < argc) n_train = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--test") && i + 1 < argc) n_test = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) outdir = argv[++i];
        else if (!strcmp(argv[i], "--conditions") && i + 1 < argc) conds = argv[++i];
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "train_records", n_train);
    cJSON_AddNumberToObject(root, "test_records_per_class", n_test);
    cJSON_AddNumberToObject(root, "epochs", epochs);
    cJSON_AddNumberToObject(root, "ig_steps", steps);
    cJSON *jc = cJSON_AddObjectToObject(root, "conditions");
    char list[256];
    snprintf(list, sizeof list, "%s", conds);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int cond = ecgx_synth_condition_from_name(tok);
        if (cond < 0) {
            fprintf(stderr, "unknown condition %s\n", tok);
            return 2;
        }
        double t0 = ecgx_now();
        ecgx_model *m = NULL;
        ecgx_model_config cfg = {12, 1, 42};
        ecgx_model_create("resnet1d_wang", &cfg, &m);
        ecgx_model_set_meta(m, "fs", "100");
        ecgx_model_set_meta(m, "classes", ecgx_synth_condition_code(cond));
        ecgx_model_set_meta(m, "input_length", "250");
        ecgx_model_set_meta(m, "preprocessing", "bandpass 0.5-40 Hz (butterworth 2+2, zero-phase), resample to fs, zscore per lead");
        int nt = n_train + 2 * n_test;
        sample *S = calloc(nt, sizeof *S);
        for (int i = 0; i < nt; i++) {
            int pos = i % 2;
            uint64_t seed = 1000003ull * (uint64_t)(cond + 1) + (uint64_t)i;
            if (make_sample(m, pos ? ECGX_SYNTH_FLAG(cond) : ECGX_SYNTH_FLAG(ECGX_SYNTH_NORMAL), seed, &S[i]) < 0) {
                fprintf(stderr, "synth: %s\n", ecgx_last_error());
                return 1;
            }
            S[i].y = (float)pos;
        }
        fprintf(stderr, "%s: data %.1f s\n", tok, ecgx_now() - t0);
        train(m, S, n_train, epochs, 7);
        char path[512];
        snprintf(path, sizeof path, "%s/synth_%s.safetensors", outdir, tok);
        ecgx_model_save(m, path);
        /* test AUROC on whole records */
        sample *T = S + n_train;
        int ntest = 2 * n_test;
        float *score = malloc(sizeof(float) * ntest), *yy = malloc(sizeof(float) * ntest);
        for (int i = 0; i < ntest; i++) {
            ecgx_xai_logits(m, T[i].x, 1, LEN, 1, &score[i]);
            yy[i] = T[i].y;
        }
        cJSON *jr = cJSON_AddObjectToObject(jc, tok);
        cJSON_AddNumberToObject(jr, "test_auroc", auroc(score, yy, ntest));
        cJSON_AddNumberToObject(jr, "train_seconds", ecgx_now() - t0);
        double mask_share = 0;
        int npos = 0;
        for (int i = 0; i < ntest; i++)
            if (T[i].y > 0.5) {
                int k = 0;
                for (int j = 0; j < 12 * LEN; j++) k += T[i].mask[j] != 0;
                mask_share += (double)k / (12 * LEN);
                npos++;
            }
        cJSON_AddNumberToObject(jr, "mask_share_of_samples", mask_share / npos);
        cJSON *jm = cJSON_AddObjectToObject(jr, "methods");
        for (int meth = 0; meth < ECGX_XAI_N_METHODS; meth++) {
            double mass = 0, hits = 0, del = 0, ins = 0, secs = 0;
            int cnt = 0;
            double rho_top = NAN, rho_all = NAN;
            for (int i = 0; i < ntest; i++) {
                if (T[i].y < 0.5) continue;
                ecgx_xai_options o = ecgx_xai_options_default(meth);
                o.target = 0;
                o.steps = steps;
                o.fs = FS;
                o.window = 20;
                o.stride = 20;
                ecgx_attribution *a = NULL;
                double ts = ecgx_now();
                if (ecgx_xai_attribute(m, T[i].x, LEN, &o, &a) < 0) {
                    fprintf(stderr, "%s: %s\n", ecgx_xai_method_name(meth), ecgx_last_error());
                    break;
                }
                secs += ecgx_now() - ts;
                double ms;
                int hit;
                ecgx_xai_localisation(a, T[i].mask, 0, &ms, &hit);
                mass += ms;
                hits += hit;
                float *x0 = calloc(12 * LEN, sizeof(float)), probs[21];
                double auc;
                ecgx_xai_perturbation_curve(m, T[i].x, x0, LEN, a, 0, 20, 10, probs, &auc);
                del += auc;
                ecgx_xai_perturbation_curve(m, T[i].x, x0, LEN, a, 1, 20, 10, probs, &auc);
                ins += auc;
                free(x0);
                if (cnt == 0 && meth != ECGX_XAI_OCCLUSION && meth != ECGX_XAI_SMOOTHGRAD) {
                    if (o.steps > 16) o.steps = 16; /* the cascade recomputes the attribution per layer */
                    double rho[64];
                    int nr = 64;
                    if (ecgx_xai_randomization(m, T[i].x, LEN, &o, 5, rho, &nr) == 0 && nr > 0) {
                        rho_top = rho[0];
                        rho_all = rho[nr - 1];
                    }
                }
                cnt++;
                ecgx_attribution_free(a);
            }
            cJSON *x = cJSON_AddObjectToObject(jm, ecgx_xai_method_name(meth));
            cJSON_AddNumberToObject(x, "mass_in_mask", cnt ? mass / cnt : NAN);
            cJSON_AddNumberToObject(x, "pointing_game", cnt ? hits / cnt : NAN);
            cJSON_AddNumberToObject(x, "deletion_auc", cnt ? del / cnt : NAN);
            cJSON_AddNumberToObject(x, "insertion_auc", cnt ? ins / cnt : NAN);
            cJSON_AddNumberToObject(x, "seconds_per_record", cnt ? secs / cnt : NAN);
            if (isfinite(rho_top)) {
                cJSON_AddNumberToObject(x, "randomisation_rho_top_layer", rho_top);
                cJSON_AddNumberToObject(x, "randomisation_rho_all_layers", rho_all);
            }
            fprintf(stderr, "  %-10s mass %.3f pointing %.2f deletion %.3f insertion %.3f (%.2f s/record)\n",
                    ecgx_xai_method_name(meth), mass / cnt, hits / cnt, del / cnt, ins / cnt, secs / cnt);
        }
        char *txt = cJSON_Print(jr);
        fprintf(stderr, "%s\n", txt);
        free(txt);
        for (int i = 0; i < nt; i++) {
            free(S[i].x);
            free(S[i].mask);
        }
        free(S);
        free(score);
        free(yy);
        ecgx_model_free(m);
        (void)sigmoid;
    }
    char *out = cJSON_Print(root);
    puts(out);
    free(out);
    cJSON_Delete(root);
    return 0;
}
