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


ARCHS = {"resnet1d_wang": resnet1d_wang, "fcn_wang": fcn_wang}


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
