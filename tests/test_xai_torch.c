/* The attribution methods against PyTorch autograd (tools/torch_xai_ref.py,
 * double precision, the same weights and input): input gradients
 * (saliency, gradient x input) within 1e-3 relative, Integrated Gradients
 * with the same steps, Grad-CAM and HiResCAM at a residual block's output.
 * Skips when /usr/bin/python3 has no torch. */
#include "check.h"
#include "ecgx/nn.h"
#include "ecgx/xai.h"

#include <stdint.h>

static const char *tmp;

static double rel_err(const float *a, const float *b, int64_t n)
{
    double md = 0, mb = 1e-12;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= md)) md = d;
        if (fabs(b[i]) > mb) mb = fabs(b[i]);
    }
    return md / mb;
}

static void compare(const char *arch, const char *cam_layer, const char *cam_module, int stride)
{
    const int C = 12, L = 256, N = 4, target = 2, steps = 32;
    ecgx_model *m = NULL;
    ecgx_model_config cfg = {C, N, 11};
    CHECK_OK(ecgx_model_create(arch, &cfg, &m));
    if (!m) return;
    uint64_t s = 77;
    for (int i = 0; i < ecgx_model_param_count(m); i++) { /* non-trivial running statistics */
        ecgx_param p;
        ecgx_model_param(m, i, &p);
        size_t ln = strlen(p.name);
        for (int64_t j = 0; j < p.size; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            double u = (double)(s >> 11) * 0x1.0p-53;
            if (ln > 12 && !strcmp(p.name + ln - 12, "running_mean")) p.data[j] = (float)(0.2 * (u - 0.5));
            if (ln > 11 && !strcmp(p.name + ln - 11, "running_var")) p.data[j] = (float)(0.5 + u);
        }
    }
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", tmp);
    CHECK_OK(ecgx_model_save(m, path));
    float *x = malloc(sizeof(float) * C * L);
    for (int c = 0; c < C; c++)
        for (int t = 0; t < L; t++)
            x[c * L + t] = (float)(0.5 * sin(0.05 * t + c) + 1.2 * exp(-0.5 * pow((t % 64 - 32) / 3.0, 2)));
    snprintf(path, sizeof path, "%s/x.f32", tmp);
    FILE *f = fopen(path, "wb");
    fwrite(x, sizeof(float), (size_t)C * L, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/shape.txt", tmp);
    f = fopen(path, "w");
    fprintf(f, "%d %d\n", C, L);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tools/torch_xai_ref.py %s %d %d %s", tmp, target, steps, cam_module);
    int rc = system(cmd);
    CHECK_MSG(rc == 0, "reference script failed (%d)", rc);
    float *g = rc ? NULL : test_read_f32(tmp, "grad", (int64_t)C * L);
    CHECK(g != NULL || rc);
    if (g) {
        ecgx_xai_options o = ecgx_xai_options_default(ECGX_XAI_GXI);
        o.target = target;
        ecgx_attribution *a = NULL;
        CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
        o.method = ECGX_XAI_SALIENCY;
        ecgx_attribution *sa = NULL;
        CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &sa));
        if (a && sa) {
            float *ref = malloc(sizeof(float) * C * L), *refs = malloc(sizeof(float) * C * L);
            for (int i = 0; i < C * L; i++) ref[i] = g[i] * x[i], refs[i] = fabsf(g[i]);
            double e1 = rel_err(a->relevance, ref, (int64_t)C * L), e2 = rel_err(sa->relevance, refs, (int64_t)C * L);
            fprintf(stderr, "    %s: gxi err %.2e, saliency err %.2e\n", arch, e1, e2);
            CHECK_MSG(e1 <= 1e-3 && e2 <= 1e-3, "%s: input gradients differ from PyTorch (%.3g, %.3g)", arch, e1, e2);
            free(ref);
            free(refs);
        }
        ecgx_attribution_free(a);
        ecgx_attribution_free(sa);
        o = ecgx_xai_options_default(ECGX_XAI_IG);
        o.target = target;
        o.steps = steps;
        o.quadrature = ECGX_QUAD_TRAPEZOID;
        a = NULL;
        CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
        float *ig = test_read_f32(tmp, "ig", (int64_t)C * L), *dl = test_read_f32(tmp, "ig_delta", 1);
        if (a && ig && dl) {
            double e = rel_err(a->relevance, ig, (int64_t)C * L);
            fprintf(stderr, "    %s: IG err %.2e; f(x)-f(0) %.6f (PyTorch %.6f)\n", arch, e, a->logit - a->logit_baseline, dl[0]);
            /* looser than the gradients: a ReLU that flips at a slightly
             * different alpha in float than in double moves one step's
             * gradient, i.e. 1/steps of a jump */
            CHECK_MSG(e <= 1e-2, "%s: IG differs from PyTorch by %.3g", arch, e);
            CHECK_NEAR(a->logit - a->logit_baseline, dl[0], 1e-4 * fmax(1, fabs(dl[0])));
        }
        free(ig);
        free(dl);
        ecgx_attribution_free(a);
        const char *names[2] = {"gradcam", "hirescam"};
        ecgx_xai_method ms[2] = {ECGX_XAI_GRADCAM, ECGX_XAI_HIRESCAM};
        for (int k = 0; k < 2 && cam_layer; k++) {
            o = ecgx_xai_options_default(ms[k]);
            o.target = target;
            o.layer = cam_layer;
            o.cam_signed = 1;
            a = NULL;
            CHECK_OK(ecgx_xai_attribute(m, x, L, &o, &a));
            int T = L / stride;
            float *ref = test_read_f32(tmp, names[k], T);
            CHECK(ref != NULL);
            if (a && ref) {
                float *mine = malloc(sizeof(float) * T);
                for (int t = 0; t < T; t++) mine[t] = a->relevance[t * stride]; /* the centres */
                double e = rel_err(mine, ref, T);
                fprintf(stderr, "    %s: %s at %s err %.2e\n", arch, names[k], cam_layer, e);
                CHECK_MSG(e <= 1e-3, "%s: %s differs from PyTorch by %.3g", arch, names[k], e);
                free(mine);
            }
            free(ref);
            ecgx_attribution_free(a);
        }
    }
    free(g);
    free(x);
    ecgx_model_free(m);
}

static void test_resnet(void) { compare("resnet1d_wang", "5.0.relu2", "5", 4); }
/* fcn_wang's even first kernel puts its centres at half samples: CAMs are
 * compared on resnet1d_wang only */
static void test_fcn(void) { compare("fcn_wang", NULL, "1", 1); }

int main(void)
{
    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0)
        SKIP("/usr/bin/python3 cannot import torch: PyTorch comparison not run");
    if (access("tools/torch_xai_ref.py", R_OK) != 0) SKIP("run from the repository root (tools/torch_xai_ref.py)");
    tmp = test_tmpdir();
    RUN(test_resnet);
    RUN(test_fcn);
    return check_finish();
}
