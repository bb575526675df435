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

/* inception1d: InceptionBackbone(kss=[39,19,9], depth 6, bottleneck 32,
 * nb_filters 32, residual every third block) under "layers.0", head under
 * "layers.1". */
static int build_inception1d(ecgx_model *m)
{
    static const int kss[3] = {39, 19, 9};
    const int nbf = 32, bott = 32, C = 4 * nbf;
    char b[NN_NAME_MAX], p[40];
    int x = ECGX_MODEL_INPUT, res = ECGX_MODEL_INPUT, cin = m->in_channels, cres = m->in_channels;
    for (int d = 0; d < 6; d++) {
        snprintf(p, sizeof p, "layers.0.im.%d", d);
        int bt, br[4], y;
        TRY(bt = nn_add_conv(m, nm(b, sizeof b, p, "bottleneck"), x, cin, bott, 1, 1, 0, 1, 1, 0));
        for (int j = 0; j < 3; j++) {
            char sub[32];
            snprintf(sub, sizeof sub, "convs.%d", j);
            TRY(br[j] = nn_add_conv(m, nm(b, sizeof b, p, sub), bt, bott, nbf, kss[j], 1, (kss[j] - 1) / 2, 1, 1, 0));
        }
        TRY(y = nn_add_maxpool(m, nm(b, sizeof b, p, "conv_bottle.0"), x, 3, 1, 1, 0));
        TRY(br[3] = nn_add_conv(m, nm(b, sizeof b, p, "conv_bottle.1"), y, cin, nbf, 1, 1, 0, 1, 1, 0));
        TRY(y = nn_add_concat(m, nm(b, sizeof b, p, "cat"), 4, br));
        TRY(y = nn_add_bn(m, nm(b, sizeof b, p, "bn_relu.0"), y, C));
        TRY(x = nn_add_relu(m, nm(b, sizeof b, p, "bn_relu.1"), y));
        cin = C;
        if (d % 3 == 2) {
            snprintf(p, sizeof p, "layers.0.sk.%d", d / 3);
            int sc;
            TRY(sc = nn_add_conv(m, nm(b, sizeof b, p, "conv"), res, cres, C, 1, 1, 0, 1, 1, 0));
            TRY(sc = nn_add_bn(m, nm(b, sizeof b, p, "bn"), sc, C));
            int ins[2] = {x, sc};
            TRY(y = nn_add_add(m, nm(b, sizeof b, p, "add"), 2, ins));
            TRY(x = nn_add_relu(m, nm(b, sizeof b, p, "act_fn"), y));
            res = x;
            cres = C;
        }
    }
    return head1d(m, "layers.1", x, C, m->n_classes);
}

/* fastai's ConvLayer (conv, BN[, ReLU]) as "<p>.0", "<p>.1", "<p>.2" */
static int conv_layer(ecgx_model *m, const char *p, int in, int cin, int cout, int k, int stride, int act)
{
    char b[NN_NAME_MAX];
    int x;
    TRY(x = nn_add_conv(m, nm(b, sizeof b, p, "0"), in, cin, cout, k, stride, (k - 1) / 2, 1, 1, 0));
    TRY(x = nn_add_bn(m, nm(b, sizeof b, p, "1"), x, cout));
    if (act) TRY(x = nn_add_relu(m, nm(b, sizeof b, p, "2"), x));
    return x;
}

/* xresnet1d50/101: stem ConvLayers 12->32->32->64 (k5, first stride 2),
 * MaxPool(3,2,1), ResBlocks with expansion 4 ([3,4,6,3] or [3,4,23,3]
 * blocks, widths 64), identity path [AvgPool(2, ceil)] [ConvLayer 1x1],
 * head under index 8. */
static int build_xresnet1d(ecgx_model *m, const int *layers)
{
    const int exp = 4, ks = 5;
    char b[NN_NAME_MAX], p[40];
    int x = ECGX_MODEL_INPUT;
    int szs[4] = {m->in_channels, 32, 32, 64};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%d", i);
        TRY(x = conv_layer(m, p, x, szs[i], szs[i + 1], ks, i == 0 ? 2 : 1, 1));
    }
    TRY(x = nn_add_maxpool(m, "3", x, 3, 2, 1, 0));
    int block_szs[5] = {64 / exp, 64, 64, 64, 64};
    for (int st = 0; st < 4; st++) {
        for (int i = 0; i < layers[st]; i++) {
            int ni = (i == 0 ? block_szs[st] : block_szs[st + 1]) * exp, nf = block_szs[st + 1] * exp;
            int nh = block_szs[st + 1], stride = (i == 0 && st > 0) ? 2 : 1;
            snprintf(p, sizeof p, "%d.%d", 4 + st, i);
            int y, id = x;
            snprintf(b, sizeof b, "%s.convs.0", p);
            TRY(y = conv_layer(m, b, x, ni, nh, 1, 1, 1));
            snprintf(b, sizeof b, "%s.convs.1", p);
            TRY(y = conv_layer(m, b, y, nh, nh, ks, stride, 1));
            snprintf(b, sizeof b, "%s.convs.2", p);
            TRY(y = conv_layer(m, b, y, nh, nf, 1, 1, 0));
            int k = 0;
            if (stride != 1) {
                snprintf(b, sizeof b, "%s.idpath.%d", p, k++);
                TRY(id = nn_add_avgpool(m, b, id, 2, 2, 0, 1, 1));
            }
            if (ni != nf) {
                snprintf(b, sizeof b, "%s.idpath.%d", p, k++);
                /* ConvLayer(ni, nf, 1, act_cls=None) */
                TRY(id = conv_layer(m, b, id, ni, nf, 1, 1, 0));
            }
            int ins[2] = {y, id};
            TRY(y = nn_add_add(m, nm(b, sizeof b, p, "add"), 2, ins));
            TRY(x = nn_add_relu(m, nm(b, sizeof b, p, "act"), y));
        }
    }
    return head1d(m, "8", x, 64 * exp, m->n_classes);
}

/* Ribeiro et al. 2020 (Nat Commun 11:1760), PyTorch port of
 * antonior92/ecg-age-prediction resnet.py: input 12 x 4096 (400 Hz), conv
 * 64 (k17), residual units of 128/196/256/320 filters each downsampling by
 * 4 (k17, pre-activation style: the skip sum is taken before BN-ReLU),
 * dropout 0.8, flatten, linear. The Keras original uses kernel 16; the
 * PyTorch port needs an odd kernel and uses 17, as here. */
#define RIBEIRO_LEN 4096
static int build_ribeiro(ecgx_model *m)
{
    static const int filt[5] = {64, 128, 196, 256, 320}, len[5] = {4096, 1024, 256, 64, 16};
    const int k = 17;
    const float drop = 0.8f;
    char b[NN_NAME_MAX], p[40];
    int x, y;
    TRY(x = nn_add_conv(m, "conv1", ECGX_MODEL_INPUT, m->in_channels, filt[0], k, 1, (k - 1 + 1) / 2, 1, 1, 0));
    TRY(x = nn_add_bn(m, "bn1", x, filt[0]));
    y = x;
    for (int i = 0; i < 4; i++) {
        int ds = len[i] / len[i + 1], cin = filt[i], cout = filt[i + 1];
        snprintf(p, sizeof p, "resblock1d_%d", i);
        int skip = y, sk = 0;
        if (ds > 1) {
            snprintf(b, sizeof b, "%s.skip_connection.%d", p, sk++);
            TRY(skip = nn_add_maxpool(m, b, skip, ds, ds, 0, 0));
        }
        if (cin != cout) {
            snprintf(b, sizeof b, "%s.skip_connection.%d", p, sk++);
            TRY(skip = nn_add_conv(m, b, skip, cin, cout, 1, 1, 0, 1, 1, 0));
        }
        TRY(x = nn_add_conv(m, nm(b, sizeof b, p, "conv1"), x, cin, cout, k, 1, (k - 1 + 1) / 2, 1, 1, 0));
        TRY(x = nn_add_bn(m, nm(b, sizeof b, p, "bn1"), x, cout));
        TRY(x = nn_add_relu(m, nm(b, sizeof b, p, "relu1"), x));
        TRY(x = nn_add_dropout(m, nm(b, sizeof b, p, "dropout1"), x, drop));
        int pad = (k - ds + 1) / 2;
        TRY(x = nn_add_conv(m, nm(b, sizeof b, p, "conv2"), x, cout, cout, k, ds, pad < 0 ? 0 : pad, 1, 1, 0));
        int ins[2] = {x, skip};
        TRY(y = nn_add_add(m, nm(b, sizeof b, p, "add"), 2, ins));
        TRY(x = nn_add_bn(m, nm(b, sizeof b, p, "bn2"), y, cout));
        TRY(x = nn_add_relu(m, nm(b, sizeof b, p, "relu2"), x));
        TRY(x = nn_add_dropout(m, nm(b, sizeof b, p, "dropout2"), x, drop));
    }
    TRY(x = nn_add_flatten(m, "flatten", x));
    return nn_add_linear(m, "lin", x, filt[4] * len[4], m->n_classes, 1);
}

int nn_build_arch(ecgx_model *m)
{
    static const int l50[4] = {3, 4, 6, 3}, l101[4] = {3, 4, 23, 3};
    if (strcmp(m->arch, "resnet1d_wang") == 0) return build_resnet1d_wang(m);
    if (strcmp(m->arch, "fcn_wang") == 0) return build_fcn_wang(m);
    if (strcmp(m->arch, "inception1d") == 0) return build_inception1d(m);
    if (strcmp(m->arch, "xresnet1d50") == 0) return build_xresnet1d(m, l50);
    if (strcmp(m->arch, "xresnet1d101") == 0) return build_xresnet1d(m, l101);
    if (strcmp(m->arch, "ribeiro_resnet") == 0) return build_ribeiro(m);
    return ecgx_error(ECGX_ERR_UNSUPPORTED, "model: unknown architecture '%s'", m->arch);
}
