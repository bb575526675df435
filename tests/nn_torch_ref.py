"""Reference outputs for tests/test_nn_torch.c: loads a model the C side
saved as safetensors into the PyTorch twin (tools/torch_models.py), runs
forward and backward on the input the C side wrote, and writes raw float32
files the test compares with its own: logits, input gradients, every
named module's output (forward hooks) and the parameter gradients.

usage: nn_torch_ref.py DIR   (DIR holds model.safetensors, x.f32, dy.f32, shape.txt)
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import torch_models as tm  # noqa: E402


def main(d):
    torch.set_num_threads(1)
    sd, meta = tm.load_safetensors(os.path.join(d, "model.safetensors"))
    B, C, L, N = [int(v) for v in open(os.path.join(d, "shape.txt")).read().split()]
    model = tm.build(meta["arch"], int(meta["in_channels"]), int(meta["n_classes"]))
    model.load_state_dict(sd, strict=True)
    model = model.double()  # a double-precision reference
    x = torch.from_numpy(np.fromfile(os.path.join(d, "x.f32"), dtype="<f4").reshape(B, C, L)).double()
    dy = torch.from_numpy(np.fromfile(os.path.join(d, "dy.f32"), dtype="<f4").reshape(B, N)).double()

    def save(name, t):
        t.detach().numpy().astype("<f4").tofile(os.path.join(d, name + ".f32"))

    model_state = {k: v.clone() for k, v in sd.items()}
    for mode in ("eval", "train"):
        sd = model_state
        m = model
        if mode == "train":
            m.train()
            for mod in m.modules():
                if isinstance(mod, torch.nn.Dropout):
                    mod.p = 0.0  # the C side also turns dropout off for this comparison
        else:
            m.eval()
        acts = {}
        hooks = []
        for name, mod in m.named_modules():
            if name and not list(mod.children()):
                hooks.append(mod.register_forward_hook(
                    lambda mod_, inp, out, name=name: acts.__setitem__(name, out)))
        xi = x.clone().requires_grad_(True)
        for a in acts.values():
            pass
        m.zero_grad()
        out = m(xi)
        for name, a in acts.items():
            if a.requires_grad:
                a.retain_grad()
        out.backward(dy)
        save(mode + ".logits", out)
        save(mode + ".dinput", xi.grad)
        for name, a in acts.items():
            save(mode + ".act." + name, a)
            if a.grad is not None:
                save(mode + ".grad." + name, a.grad)
        for name, p in m.named_parameters():
            save(mode + ".pgrad." + name, p.grad)
        for name, b in m.named_buffers():
            if b.dtype != torch.int64:
                save(mode + ".buf." + name, b)
        for h in hooks:
            h.remove()
        if mode == "train":
            # how far float32 PyTorch itself lands from the double reference:
            # training-mode batch norm over a small batch is ill-conditioned
            m32 = tm.build(meta["arch"], int(meta["in_channels"]), int(meta["n_classes"]))
            m32.load_state_dict(sd, strict=True)
            m32.train()
            for mod in m32.modules():
                if isinstance(mod, torch.nn.Dropout):
                    mod.p = 0.0
            x32 = x.float().clone().requires_grad_(True)
            o32 = m32(x32)
            o32.backward(dy.float())
            save("train32.logits", o32)
            save("train32.dinput", x32.grad)


if __name__ == "__main__":
    main(sys.argv[1])
