"""PyTorch 1.13 (CPU, oneDNN) reference for `ecgx bench`: the same
measurements on resnet1d_wang (or --arch), printed as one JSON object. A 10 s record
scored the recipe's way (7 windows of 2.5 s, stride 1.25 s, max) is timed
with the windows as one batch, and as a loop over the windows.
usage: torch_bench.py [--threads N] [--arch NAME] [--quick]"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import torch_models as tm  # noqa: E402


def best_of(fn, reps, min_time):
    fn()
    times = []
    t_end = time.perf_counter() + min_time
    while len(times) < reps or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) > 1000:
            break
    times.sort()
    return times[len(times) // 2]  # median


def main():
    threads = os.cpu_count()
    quick = "--quick" in sys.argv
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
    arch = sys.argv[sys.argv.index("--arch") + 1] if "--arch" in sys.argv else "resnet1d_wang"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = tm.build(arch, 12, 5).eval()
    mt = min_time = 0.5 if quick else 2.0
    res = {"torch_version": torch.__version__, "threads": threads, "arch": arch}
    with torch.no_grad():
        x1 = torch.randn(1, 12, 1000)
        res["single_10s_ms"] = 1e3 * best_of(lambda: m(x1), 10, mt)

        def windows():
            return x1[0].unfold(1, 250, 125).permute(1, 0, 2).contiguous()  # [7][12][250]

        res["record_windows_ms"] = 1e3 * best_of(lambda: torch.sigmoid(m(windows()).amax(0)), 10, mt)

        def window_loop():
            w = windows()
            return torch.sigmoid(torch.cat([m(w[i:i + 1]) for i in range(w.shape[0])]).amax(0))

        res["record_windows_loop_ms"] = 1e3 * best_of(window_loop, 10, mt)
        x64 = torch.randn(64, 12, 250)
        t = best_of(lambda: m(x64), 3, mt)
        res["batch64_crops_rec_per_s"] = 64 / t
    m.train()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-2)
    xb = torch.randn(128, 12, 250)
    yb = (torch.rand(128, 5) > 0.5).float()
    lossf = torch.nn.BCEWithLogitsLoss()

    def step():
        opt.zero_grad()
        loss = lossf(m(xb), yb)
        loss.backward()
        opt.step()

    t = best_of(step, 3, mt)
    res["train_step_b128_rec_per_s"] = 128 / t
    print(json.dumps(res))


if __name__ == "__main__":
    main()
