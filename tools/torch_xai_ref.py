"""PyTorch references for the ecgx attribution methods, with plain torch
autograd (no captum), in double precision, on a model the C side saved as
safetensors (the PyTorch twins of tools/torch_models.py).

usage: torch_xai_ref.py DIR TARGET STEPS CAMMODULE
  DIR holds model.safetensors, x.f32 and shape.txt ("C L"). Writes to DIR:
  grad.f32   d logit[TARGET] / d x                          [C][L]
  ig.f32     Integrated Gradients, zero baseline, STEPS trapezoid steps [C][L]
  ig_delta.f32  f(x) - f(0)
  gradcam.f32, hirescam.f32  maps at the output of module CAMMODULE [T]
  (no final ReLU: the C side compares signed maps)

  torch_xai_ref.py --bench STEPS L THREADS: times IG with STEPS steps on one
  random [12][L] record for resnet1d_wang (batched alpha steps, as captum
  does) and Grad-CAM, prints JSON.
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402


def integrated_gradients(model, x, target, steps, batch=None):
    """x [1][C][L]; zero baseline; trapezoid rule on alpha = k/(steps-1)."""
    alphas = torch.linspace(0, 1, steps, dtype=x.dtype)
    w = torch.full((steps,), 1.0 / (steps - 1), dtype=x.dtype)
    w[0] = w[-1] = 0.5 / (steps - 1)
    batch = batch or steps
    total = torch.zeros_like(x[0])
    for k0 in range(0, steps, batch):
        a = alphas[k0:k0 + batch].view(-1, 1, 1)
        xs = (a * x).detach().requires_grad_(True)
        out = model(xs)[:, target].sum()
        (g,) = torch.autograd.grad(out, xs)
        total += (w[k0:k0 + batch].view(-1, 1, 1) * g).sum(0)
    return total * x[0]


def cams(model, x, target, module_name):
    mod = dict(model.named_modules())[module_name]
    store = {}
    h = mod.register_forward_hook(lambda m, i, o: store.__setitem__("a", o))
    out = model(x)
    h.remove()
    A = store["a"]
    (G,) = torch.autograd.grad(out[0, target], A)
    A, G = A[0], G[0]
    gradcam = (G.mean(1, keepdim=True) * A).sum(0)
    hirescam = (G * A).sum(0)
    return gradcam, hirescam


def main(d, target, steps, cam_module):
    torch.set_num_threads(1)
    sd, meta = tm.load_safetensors(os.path.join(d, "model.safetensors"))
    C, L = [int(v) for v in open(os.path.join(d, "shape.txt")).read().split()]
    model = tm.build(meta["arch"], int(meta["in_channels"]), int(meta["n_classes"]))
    model.load_state_dict(sd, strict=True)
    model = model.double().eval()
    x = torch.from_numpy(np.fromfile(os.path.join(d, "x.f32"), dtype="<f4").reshape(1, C, L)).double()

    def save(name, t):
        t.detach().numpy().astype("<f4").tofile(os.path.join(d, name + ".f32"))

    xi = x.clone().requires_grad_(True)
    out = model(xi)
    (g,) = torch.autograd.grad(out[0, target], xi)
    save("grad", g[0])
    save("ig", integrated_gradients(model, x, target, steps, batch=16))
    with torch.no_grad():
        delta = model(x)[0, target] - model(torch.zeros_like(x))[0, target]
    save("ig_delta", delta.view(1))
    gc, hc = cams(model, x, target, cam_module)
    save("gradcam", gc)
    save("hirescam", hc)


def bench(steps, L, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = tm.build("resnet1d_wang", 12, 5).eval()
    x = torch.randn(1, 12, L)
    integrated_gradients(model, x, 0, steps)  # warm-up
    t_ig = c_ig = 1e30
    for _ in range(3):  # best of, as the C side
        t0, c0 = time.perf_counter(), time.process_time()
        integrated_gradients(model, x, 0, steps)
        t_ig, c_ig = min(t_ig, time.perf_counter() - t0), min(c_ig, time.process_time() - c0)
    cams(model, x, 0, "5")
    t_cam = c_cam = 1e30
    for _ in range(10):
        t0, c0 = time.perf_counter(), time.process_time()
        cams(model, x, 0, "5")
        t_cam, c_cam = min(t_cam, time.perf_counter() - t0), min(c_cam, time.process_time() - c0)
    print(json.dumps({"torch_version": torch.__version__, "threads": threads, "ig_steps": steps, "length": L,
                      "torch_ig_s": t_ig, "torch_gradcam_s": t_cam, "torch_ig_cpu_s": c_ig,
                      "torch_gradcam_cpu_s": c_cam}))


if __name__ == "__main__":
    if sys.argv[1] == "--bench":
        bench(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
