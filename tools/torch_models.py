"""PyTorch twins of the ecgx architectures, with the same module paths (and
so the same state_dict names) as the PTB-XL benchmark's code
(github.com/helme/ecg_ptbxl_benchmarking, code/models/), written with plain
torch.nn so they run with Debian's python3-torch and no fastai.

Also: safetensors read/write by hand (8-byte little-endian header length,
JSON header, raw little-endian data), because pip is not available.
"""
import json
import struct

import torch
import torch.nn as nn


# ---------------------------------------------------------------- head

class AdaptiveConcatPool1d(nn.Module):
    """[max over time ; mean over time], as fastai's (max first)."""

    def __init__(self):
        super().__init__()
        self.ap, self.mp = nn.AdaptiveAvgPool1d(1), nn.AdaptiveMaxPool1d(1)

    def forward(self, x):
        return torch.cat([self.mp(x), self.ap(x)], 1)


class Flatten(nn.Module):
    def forward(self, x):
        return x.view(x.size(0), -1)


def create_head1d(nf, nc, lin_ftrs=(128,), ps=0.5):
    """create_head1d(nf, nc, lin_ftrs=[128], ps=0.5, bn=True, act='relu',
    concat_pooling=True) with fastai v1's bn_drop_lin."""
    ftrs = [2 * nf] + list(lin_ftrs) + [nc]
    pss = [ps / 2] * (len(ftrs) - 2) + [ps]
    layers = [AdaptiveConcatPool1d(), Flatten()]
    for i, (ni, no, p) in enumerate(zip(ftrs[:-1], ftrs[1:], pss)):
        layers += [nn.BatchNorm1d(ni), nn.Dropout(p), nn.Linear(ni, no)]
        if i < len(ftrs) - 2:
            layers.append(nn.ReLU(inplace=False))
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- resnet1d_wang

class BasicBlock1d(nn.Module):
    def __init__(self, inplanes, planes, stride=1, kernel_size=(5, 3), downsample=None):
        super().__init__()
        k0, k1 = kernel_size
        self.conv1 = nn.Conv1d(inplanes, planes, k0, stride=stride, padding=(k0 - 1) // 2, bias=False)
        self.bn1 = nn.BatchNorm1d(planes)
        self.relu = nn.ReLU(inplace=False)
        self.conv2 = nn.Conv1d(planes, planes, k1, padding=(k1 - 1) // 2, bias=False)
        self.bn2 = nn.BatchNorm1d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


def resnet1d_wang(input_channels=12, num_classes=5):
    C = 128
    layers = [nn.Conv1d(input_channels, C, 7, stride=1, padding=3, bias=False), nn.BatchNorm1d(C),
              nn.ReLU(inplace=False)]
    for stride in (1, 2, 2):
        ds = None
        if stride != 1:
            ds = nn.Sequential(nn.Conv1d(C, C, 1, stride=stride, bias=False), nn.BatchNorm1d(C))
        layers.append(nn.Sequential(BasicBlock1d(C, C, stride, (5, 3), ds)))
    layers.append(create_head1d(C, num_classes))
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- fcn_wang

def fcn_wang(input_channels=12, num_classes=5):
    layers = []
    cin = input_channels
    for f, k in zip((128, 256, 128), (8, 5, 3)):
        layers.append(nn.Sequential(nn.Sequential(
            nn.Conv1d(cin, f, k, stride=1, padding=(k - 1) // 2, bias=False), nn.BatchNorm1d(f),
            nn.ReLU(inplace=False))))
        cin = f
    layers.append(create_head1d(cin, num_classes))
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- inception1d

class InceptionBlock1d(nn.Module):
    def __init__(self, ni, nb_filters, kss, bottleneck_size=32):
        super().__init__()
        self.bottleneck = nn.Conv1d(ni, bottleneck_size, 1, bias=False)
        self.convs = nn.ModuleList([nn.Conv1d(bottleneck_size, nb_filters, ks, padding=(ks - 1) // 2, bias=False)
                                    for ks in kss])
        self.conv_bottle = nn.Sequential(nn.MaxPool1d(3, 1, padding=1), nn.Conv1d(ni, nb_filters, 1, bias=False))
        self.bn_relu = nn.Sequential(nn.BatchNorm1d((len(kss) + 1) * nb_filters), nn.ReLU())

    def forward(self, x):
        b = self.bottleneck(x)
        return self.bn_relu(torch.cat([c(b) for c in self.convs] + [self.conv_bottle(x)], dim=1))


class Shortcut1d(nn.Module):
    def __init__(self, ni, nf):
        super().__init__()
        self.act_fn = nn.ReLU(False)
        self.conv = nn.Conv1d(ni, nf, 1, bias=False)
        self.bn = nn.BatchNorm1d(nf)

    def forward(self, inp, out):
        return self.act_fn(out + self.bn(self.conv(inp)))


class InceptionBackbone(nn.Module):
    def __init__(self, input_channels, kss=(39, 19, 9), depth=6, bottleneck_size=32, nb_filters=32):
        super().__init__()
        self.depth = depth
        n = (len(kss) + 1) * nb_filters
        self.im = nn.ModuleList([InceptionBlock1d(input_channels if d == 0 else n, nb_filters, kss, bottleneck_size)
                                 for d in range(depth)])
        self.sk = nn.ModuleList([Shortcut1d(input_channels if d == 0 else n, n) for d in range(depth // 3)])

    def forward(self, x):
        res = x
        for d in range(self.depth):
            x = self.im[d](x)
            if d % 3 == 2:
                x = self.sk[d // 3](res, x)
                res = x
        return x


class Inception1d(nn.Module):
    def __init__(self, input_channels=12, num_classes=5):
        super().__init__()
        self.layers = nn.Sequential(InceptionBackbone(input_channels), create_head1d(128, num_classes))

    def forward(self, x):
        return self.layers(x)


def inception1d(input_channels=12, num_classes=5):
    return Inception1d(input_channels, num_classes)


# ---------------------------------------------------------------- xresnet1d

def conv_layer(ni, nf, ks, stride=1, act=True):
    layers = [nn.Conv1d(ni, nf, ks, stride=stride, padding=(ks - 1) // 2, bias=False), nn.BatchNorm1d(nf)]
    if act:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    """fastai's ResBlock (expansion 4). The original registers `convs` twice
    (also as convpath.0), so its state_dict holds both names; ecgx reads
    either and writes `convs`."""

    def __init__(self, expansion, ni, nf, stride=1, kernel_size=5):
        super().__init__()
        nh = nf
        nf, ni = nf * expansion, ni * expansion
        self.convs = nn.Sequential(conv_layer(ni, nh, 1), conv_layer(nh, nh, kernel_size, stride),
                                   conv_layer(nh, nf, 1, act=False))
        idpath = []
        if ni != nf:
            idpath.append(conv_layer(ni, nf, 1, act=False))
        if stride != 1:
            idpath.insert(0, nn.AvgPool1d(2, ceil_mode=True))
        self.idpath = nn.Sequential(*idpath)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.convs(x) + self.idpath(x))


def xresnet1d(layers, input_channels=12, num_classes=5, expansion=4, ks=5):
    szs = [input_channels, 32, 32, 64]
    mods = [conv_layer(szs[i], szs[i + 1], ks, stride=2 if i == 0 else 1) for i in range(3)]
    mods.append(nn.MaxPool1d(3, 2, 1))
    block_szs = [64 // expansion, 64, 64, 64, 64]
    for st, n in enumerate(layers):
        mods.append(nn.Sequential(*[ResBlock(expansion, block_szs[st] if i == 0 else block_szs[st + 1],
                                             block_szs[st + 1], stride=(2 if (i == 0 and st > 0) else 1),
                                             kernel_size=ks) for i in range(n)]))
    mods.append(create_head1d(64 * expansion, num_classes))
    return nn.Sequential(*mods)


def xresnet1d50(input_channels=12, num_classes=5):
    return xresnet1d([3, 4, 6, 3], input_channels, num_classes)


def xresnet1d101(input_channels=12, num_classes=5):
    return xresnet1d([3, 4, 23, 3], input_channels, num_classes)


# ---------------------------------------------------------------- Ribeiro et al. 2020

class RibeiroBlock(nn.Module):
    def __init__(self, n_in, n_out, downsample, k=17, dropout=0.8):
        super().__init__()
        self.conv1 = nn.Conv1d(n_in, n_out, k, padding=(k - 1 + 1) // 2, bias=False)
        self.bn1 = nn.BatchNorm1d(n_out)
        self.relu = nn.ReLU()
        self.dropout1 = nn.Dropout(dropout)
        self.conv2 = nn.Conv1d(n_out, n_out, k, stride=downsample, padding=max(0, (k - downsample + 1) // 2),
                               bias=False)
        self.bn2 = nn.BatchNorm1d(n_out)
        self.dropout2 = nn.Dropout(dropout)
        skip = []
        if downsample > 1:
            skip.append(nn.MaxPool1d(downsample, stride=downsample))
        if n_in != n_out:
            skip.append(nn.Conv1d(n_in, n_out, 1, bias=False))
        self.skip_connection = nn.Sequential(*skip) if skip else None

    def forward(self, x, y):
        if self.skip_connection is not None:
            y = self.skip_connection(y)
        x = self.dropout1(self.relu(self.bn1(self.conv1(x))))
        x = self.conv2(x)
        x = x + y
        y = x
        x = self.dropout2(self.relu(self.bn2(x)))
        return x, y


class RibeiroResNet(nn.Module):
    def __init__(self, input_channels=12, num_classes=6):
        super().__init__()
        filt, lens = [64, 128, 196, 256, 320], [4096, 1024, 256, 64, 16]
        self.conv1 = nn.Conv1d(input_channels, 64, 17, padding=8, bias=False)
        self.bn1 = nn.BatchNorm1d(64)
        self.blocks = []
        for i in range(4):
            b = RibeiroBlock(filt[i], filt[i + 1], lens[i] // lens[i + 1])
            self.add_module("resblock1d_%d" % i, b)
            self.blocks.append(b)
        self.lin = nn.Linear(320 * 16, num_classes)

    def forward(self, x):
        x = self.bn1(self.conv1(x))
        y = x
        for b in self.blocks:
            x, y = b(x, y)
        return self.lin(x.view(x.size(0), -1))


def ribeiro_resnet(input_channels=12, num_classes=6):
    return RibeiroResNet(input_channels, num_classes)


ARCHS = {"resnet1d_wang": resnet1d_wang, "fcn_wang": fcn_wang, "inception1d": inception1d,
         "xresnet1d50": xresnet1d50, "xresnet1d101": xresnet1d101, "ribeiro_resnet": ribeiro_resnet}


def build(arch, input_channels, num_classes):
    return ARCHS[arch](input_channels=input_channels, num_classes=num_classes)


# ---------------------------------------------------------------- safetensors

_DT = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
       torch.float16: "F16", torch.bfloat16: "BF16"}
_TD = {v: k for k, v in _DT.items()}


def save_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        b = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DT[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    import os
    os.replace(tmp, path)


def load_safetensors(path):
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    npdt = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "F16": "<f2"}
    for name, e in header.items():
        a, b = e["data_offsets"]
        arr = np.frombuffer(data[base + a:base + b], dtype=npdt[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta
