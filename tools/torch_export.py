"""Move weights between PyTorch and ecgx (safetensors written by hand: pip
is not available, so no safetensors package). Runs with Debian's
python3-torch.

  torch_export.py export --arch resnet1d_wang --classes CD,HYP,MI,NORM,STTC \\
        [--state-dict model.pt] [--fs 100] [--input-length 250] -o model.safetensors
      A state_dict (torch.save) of the equivalent module -- tools/torch_models.py,
      or the PTB-XL benchmark's own models, whose parameter names are the same --
      as an ecgx model file. Without --state-dict: a freshly initialised module.
  torch_export.py import model.safetensors -o model.pt
      An ecgx model file as a PyTorch state_dict for tools/torch_models.py.
  torch_export.py check model.safetensors record.f32
      Print the PyTorch logits for a raw float32 [12][n] input (for comparisons).
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402


def export(a):
    classes = a.classes.split(",")
    model = tm.build(a.arch, a.in_channels, len(classes))
    if a.state_dict:
        sd = torch.load(a.state_dict, map_location="cpu")
        if "model" in sd and isinstance(sd["model"], dict):  # fastai learner.save() wraps it
            sd = sd["model"]
        # fastai's xresnet registers `convs` twice: keep one name
        sd = {k: v for k, v in sd.items() if ".convpath.0." not in k}
        model.load_state_dict(sd, strict=True)
    meta = {"arch": a.arch, "in_channels": a.in_channels, "n_classes": len(classes), "classes": a.classes,
            "fs": a.fs, "input_length": a.input_length, "window_stride": a.input_length // 2, "aggregation": "max",
            "preprocessing": a.preprocessing, "exported_by": "tools/torch_export.py (torch %s)" % torch.__version__}
    tm.save_safetensors(a.out, model.state_dict(), meta)


def import_(a):
    sd, meta = tm.load_safetensors(a.model)
    model = tm.build(meta["arch"], int(meta["in_channels"]), int(meta["n_classes"]))
    model.load_state_dict(sd, strict=True)
    torch.save(model.state_dict(), a.out)
    print("%s: %s, %s classes (%s)" % (a.out, meta["arch"], meta["n_classes"], meta.get("classes", "")))


def check(a):
    import numpy as np
    sd, meta = tm.load_safetensors(a.model)
    model = tm.build(meta["arch"], int(meta["in_channels"]), int(meta["n_classes"]))
    model.load_state_dict(sd, strict=True)
    model.eval()
    x = torch.from_numpy(np.fromfile(a.input, dtype="<f4").reshape(1, int(meta["in_channels"]), -1))
    with torch.no_grad():
        print(" ".join("%.6f" % v for v in model(x)[0].tolist()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--arch", required=True, choices=sorted(tm.ARCHS))
    e.add_argument("--classes", required=True)
    e.add_argument("--in-channels", type=int, default=12)
    e.add_argument("--state-dict")
    e.add_argument("--fs", type=float, default=100)
    e.add_argument("--input-length", type=int, default=250)
    e.add_argument("--preprocessing",
                   default="bandpass 0.5-40 Hz (butterworth 2+2, zero-phase), resample to fs, zscore per lead")
    e.add_argument("-o", "--out", required=True)
    i = sub.add_parser("import")
    i.add_argument("model")
    i.add_argument("-o", "--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("model")
    c.add_argument("input")
    a = ap.parse_args()
    {"export": export, "import": import_, "check": check}[a.cmd](a)


if __name__ == "__main__":
    main()
