/* The architectures of the PTB-XL benchmark (Strodthoff et al. 2021,
 * github.com/helme/ecg_ptbxl_benchmarking, code/models/) rebuilt layer by
 * layer with the same module paths, so their state_dicts load unchanged.
 * tools/torch_models.py holds the PyTorch twins used by the tests. */
#include "nn/model_internal.h"

#include <stdio.h>
#include <string.h>

#define TRY(x)                                                                                     \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ < 0) return rc_;                                                                   \
    } while (0)

static const char *nm(char *buf, size_t n, const char *prefix, const char *suffix)
{
    snprintf(buf, n, "%s%s%s", prefix, *prefix && *suffix ? "." : "", suffix);
    return buf;
}

/* create_head1d(nf, nc, lin_ftrs=[128], ps=0.5, bn=True, act="relu",
 * concat_pooling=True): AdaptiveConcatPool1d, Flatten, then fastai's
 * bn_drop_lin twice: BN(2nf) Dropout(0.25) Linear(2nf,128) ReLU BN(128)
 * Dropout(0.5) Linear(128,nc). Returns the last layer. */
static int head1d(ecgx_model *m, const char *prefix, int in, int nf, int nc)
{
    char b[NN_NAME_MAX];
    int x;
    TRY(x = nn_add_concat_pool(m, nm(b, sizeof b, prefix, "0"), in));
    TRY(x = nn_add_flatten(m, nm(b, sizeof b, prefix, "1"), x));
    TRY(x = nn_add_bn(m, nm(b, sizeof b, prefix, "2"), x, 2 * nf));
    TRY(x = nn_add_dropout(m, nm(b, sizeof b, prefix, "3"), x, 0.25f));
    TRY(x = nn_add_linear(m, nm(b, sizeof b, prefix, "4"), x, 2 * nf, 128, 1));
    TRY(x = nn_add_relu(m, nm(b, sizeof b, prefix, "5"), x));
    TRY(x = nn_add_bn(m, nm(b, sizeof b, prefix, "6"), x, 128));
    TRY(x = nn_add_dropout(m, nm(b, sizeof b, prefix, "7"), x, 0.5f));
    TRY(x = nn_add_linear(m, nm(b, sizeof b, prefix, "8"), x, 128, nc, 1));
    return x;
}

/* resnet1d.py BasicBlock1d: conv(k0, stride) BN ReLU conv(k1) BN, +
 * (downsample: conv1x1(stride) BN), ReLU. */
static int basic_block(ecgx_model *m, const char *p, int in, int cin, int planes, int stride, int k0, int k1)
{
    char b[NN_NAME_MAX];
    int x, r = in;
    TRY(x = nn_add_conv(m, nm(b, sizeof b, p, "conv1"), in, cin, planes, k0, stride, (k0 - 1) / 2, 1, 1, 0));
    TRY(x = nn_add_bn(m, nm(b, sizeof b, p, "bn1"), x, planes));
    TRY(x = nn_add_relu(m, nm(b, sizeof b, p, "relu1"), x));
    TRY(x = nn_add_conv(m, nm(b, sizeof b, p, "conv2"), x, planes, planes, k1, 1, (k1 - 1) / 2, 1, 1, 0));
    TRY(x = nn_add_bn(m, nm(b, sizeof b, p, "bn2"), x, planes));
    if (stride != 1 || cin != planes) {
        TRY(r = nn_add_conv(m, nm(b, sizeof b, p, "downsample.0"), in, cin, planes, 1, stride, 0, 1, 1, 0));
        TRY(r = nn_add_bn(m, nm(b, sizeof b, p, "downsample.1"), r, planes));
    }
    int ins[2] = {x, r};
    TRY(x = nn_add_add(m, nm(b, sizeof b, p, "add"), 2, ins));
    TRY(x = nn_add_relu(m, nm(b, sizeof b, p, "relu2"), x));
    return x;
}

/* resnet1d_wang: ResNet1d(BasicBlock1d, [1,1,1], kernel_size=[5,3],
 * kernel_size_stem=7, stride_stem=1, pooling_stem=False, inplanes=128). */
static int build_resnet1d_wang(ecgx_model *m)
{
    const int C = 128;
    int x;
    TRY(x = nn_add_conv(m, "0", ECGX_MODEL_INPUT, m->in_channels, C, 7, 1, 3, 1, 1, 0));
    TRY(x = nn_add_bn(m, "1", x, C));
    TRY(x = nn_add_relu(m, "2", x));
    TRY(x = basic_block(m, "3.0", x, C, C, 1, 5, 3));
    TRY(x = basic_block(m, "4.0", x, C, C, 2, 5, 3));
    TRY(x = basic_block(m, "5.0", x, C, C, 2, 5, 3));
    return head1d(m, "6", x, C, m->n_classes);
}

/* fcn_wang: basic_conv1d(filters=[128,256,128], kernel_size=[8,5,3],
 * stride=1, pool=0): each stage Sequential(Sequential(conv(no bias), BN, ReLU)). */
static int build_fcn_wang(ecgx_model *m)
{
    static const int f[3] = {128, 256, 128}, k[3] = {8, 5, 3};
    char b[NN_NAME_MAX];
    int x = ECGX_MODEL_INPUT, cin = m->in_channels;
    for (int i = 0; i < 3; i++) {
        snprintf(b, sizeof b, "%d.0.0", i);
        TRY(x = nn_add_conv(m, b, x, cin, f[i], k[i], 1, (k[i] - 1) / 2, 1, 1, 0));
        snprintf(b, sizeof b, "%d.0.1", i);
        TRY(x = nn_add_bn(m, b, x, f[i]));
        snprintf(b, sizeof b, "%d.0.2", i);
        TRY(x = nn_add_relu(m, b, x));
        cin = f[i];
    }
    return head1d(m, "3", x, cin, m->n_classes);
}

int nn_build_arch(ecgx_model *m)
{
    if (strcmp(m->arch, "resnet1d_wang") == 0) return build_resnet1d_wang(m);
    if (strcmp(m->arch, "fcn_wang") == 0) return build_fcn_wang(m);
    return ecgx_error(ECGX_ERR_UNSUPPORTED, "model: unknown architecture '%s'", m->arch);
}
