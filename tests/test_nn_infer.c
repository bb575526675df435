/* ecgx_model_infer against ecgx_model_forward: the same logits bit for bit
 * for every architecture, alone and in batches that take the group-major
 * pass (odd sizes too), with Winograd and with im2col; it keeps nothing
 * (getters return NULL, backward refuses with a message that says why),
 * and it needs a fraction of forward's activation memory. */
#include "check.h"
#include "ecgx/nn.h"
#include "nn/model_internal.h"

#include <string.h>

static uint64_t rs = 2024;

static int64_t outputs_floats(const ecgx_model *m, int B)
{
    int64_t n = 0;
    for (int i = 0; i < m->n_layers; i++) n += (int64_t)B * m->layers[i].c * m->layers[i].l;
    return n;
}

static void same_logits(const char *arch, int B, int L, int winograd)
{
    ecgx_model_config cfg = {12, 5, 11};
    ecgx_model *m;
    CHECK_OK(ecgx_model_create(arch, &cfg, &m));
    ecgx_model_set_training(m, 0);
    ecgx_model_set_winograd(m, winograd);
    int64_t nx = (int64_t)B * 12 * L;
    float *x = malloc(sizeof(float) * (size_t)nx), lf[5 * 8], li[5 * 8];
    for (int64_t i = 0; i < nx; i++) x[i] = 2.0f * nn_rng_uniform(&rs) - 1.0f;
    /* infer first, so that its buffer plan is what sizes the arena */
    CHECK_OK(ecgx_model_infer(m, x, B, L, li));
    int64_t shared = m->act_cap;
    CHECK_OK(ecgx_model_forward(m, x, B, L, lf));
    CHECK_MSG(memcmp(lf, li, sizeof(float) * 5 * (size_t)B) == 0, "%s B %d L %d winograd %d: logits differ", arch, B,
              L, winograd);
    int64_t all = outputs_floats(m, B);
    CHECK_MSG(shared < all, "%s: %lld floats shared, %lld kept", arch, (long long)shared, (long long)all);
    /* again after a forward pass, and forward again after it */
    CHECK_OK(ecgx_model_infer(m, x, B, L, li));
    CHECK(memcmp(lf, li, sizeof(float) * 5 * (size_t)B) == 0);
    printf("  %-14s B=%d L=%d %-8s identical; outputs %.2f MB instead of %.2f MB\n", arch, B, L,
           winograd ? "winograd" : "im2col", shared * 4e-6, all * 4e-6);
    free(x);
    ecgx_model_free(m);
}

static void test_identical(void)
{
    const char *archs[] = {"resnet1d_wang", "fcn_wang", "inception1d", "xresnet1d50", "xresnet1d101"};
    for (size_t a = 0; a < sizeof archs / sizeof *archs; a++) {
        same_logits(archs[a], 1, 1000, 1);
        same_logits(archs[a], 7, 250, 1);
    }
    same_logits("resnet1d_wang", 3, 250, 0);
    same_logits("resnet1d_wang", 8, 300, 1);
    same_logits("ribeiro_resnet", 1, 4096, 1);
    same_logits("ribeiro_resnet", 3, 4096, 1);
}

static void test_keeps_nothing(void)
{
    ecgx_model_config cfg = {12, 5, 3};
    ecgx_model *m;
    CHECK_OK(ecgx_model_create("resnet1d_wang", &cfg, &m));
    float x[12 * 250] = {0}, lg[5], dl[5] = {1, 0, 0, 0, 0};
    for (int i = 0; i < 12 * 250; i++) x[i] = (float)(i % 17) / 17.0f;
    CHECK(ecgx_model_infer(m, x, 1, 250, NULL) < 0); /* nothing to give back */
    CHECK_OK(ecgx_model_infer(m, x, 1, 250, lg));
    CHECK(ecgx_model_activation(m, 0, NULL, NULL, NULL) == NULL);
    CHECK(ecgx_model_backward(m, dl, NULL, 0) == ECGX_ERR_STATE);
    CHECK(strstr(ecgx_last_error(), "ecgx_model_infer") != NULL);
    CHECK_OK(ecgx_model_forward(m, x, 1, 250, lg));
    CHECK(ecgx_model_activation(m, 0, NULL, NULL, NULL) != NULL);
    CHECK_OK(ecgx_model_backward(m, dl, NULL, 0));
    ecgx_model_free(m);
}

int main(void)
{
    RUN(test_keeps_nothing);
    RUN(test_identical);
    return check_finish();
}
