"""The same training recipe as `ecgx train`, in PyTorch (Debian's
python3-torch 1.13), on the same preprocessed data, for comparison.

  ecgx train --data DIRS --export-data OUT     # writes OUT/x.f32, y.f32, index.csv, classes.txt
  /usr/bin/python3 tools/torch_train.py OUT [--epochs 50] [--arch resnet1d_wang] [--seed 1]
        [--save model.safetensors]

Recipe (the PTB-XL benchmark's): random 2.5 s crops (one per record per
epoch), batch 128 with the last partial batch dropped, AdamW lr 1e-2 weight
decay 1e-2, OneCycleLR (pct_start 0.3, div 25, final div 1e4, momentum
0.95-0.85), BCE with logits; validation macro AUROC from sliding windows of
2.5 s every 1.25 s aggregated by max; the best epoch is kept. Prints one JSON
line at the end."""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402


def windows(x, win, stride):
    n = x.shape[-1]
    starts = list(range(0, n - win + 1, stride))
    if starts[-1] + win < n:
        starts.append(n - win)
    return np.stack([x[:, s:s + win] for s in starts])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--arch", default="resnet1d_wang")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--wd", type=float, default=1e-2)
    ap.add_argument("--win", type=int, default=250)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    classes = open(os.path.join(a.data, "classes.txt")).read().split()
    K = len(classes)
    X = np.fromfile(os.path.join(a.data, "x.f32"), dtype="<f4")
    Y = np.fromfile(os.path.join(a.data, "y.f32"), dtype="<f4").reshape(-1, K)
    recs = []
    for line in open(os.path.join(a.data, "index.csv")).read().split("\n")[1:]:
        if not line:
            continue
        rid, split, off, length = line.split(",")
        off, length = int(off), int(length)
        recs.append((int(split), X[off:off + 12 * length].reshape(12, length)))
    tr = [i for i, r in enumerate(recs) if r[0] == 0]
    va = [i for i, r in enumerate(recs) if r[0] == 1]
    model = tm.build(a.arch, 12, K)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    spe = len(tr) // a.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.epochs * spe)
    lossf = torch.nn.BCEWithLogitsLoss()
    best, best_ep, best_auc, t0 = -1.0, -1, None, time.time()
    for ep in range(a.epochs):
        model.train()
        perm = rng.permutation(tr)
        tot = 0.0
        for s in range(spe):
            idx = perm[s * a.batch:(s + 1) * a.batch]
            xb = np.empty((a.batch, 12, a.win), dtype=np.float32)
            for b, r in enumerate(idx):
                x = recs[r][1]
                st = rng.integers(0, x.shape[1] - a.win + 1)
                xb[b] = x[:, st:st + a.win]
            yb = torch.from_numpy(Y[idx])
            opt.zero_grad()
            loss = lossf(model(torch.from_numpy(xb)), yb)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item()
        model.eval()
        probs = []
        with torch.no_grad():
            for r in va:
                w = torch.from_numpy(windows(recs[r][1], a.win, a.win // 2))
                probs.append(torch.sigmoid(model(w).max(0).values).numpy())
        P = np.stack(probs)
        aucs = [roc_auc_score(Y[va][:, c], P[:, c]) for c in range(K)]
        macro = float(np.mean(aucs))
        print(f"epoch {ep + 1}/{a.epochs} loss {tot / spe:.4f} val macro AUROC {macro:.4f}", file=sys.stderr, flush=True)
        if macro > best:
            best, best_ep, best_auc = macro, ep + 1, aucs
            if a.save:
                sd = {k: v for k, v in model.state_dict().items()}
                tm.save_safetensors(a.save, sd, {"arch": a.arch, "in_channels": 12, "n_classes": K,
                                                 "classes": ",".join(classes), "val_macro_auroc": f"{macro:.6f}"})
    print(json.dumps({"framework": "pytorch " + torch.__version__, "arch": a.arch, "epochs": a.epochs,
                      "best_epoch": best_ep, "val_macro_auroc": best,
                      "val_auroc": dict(zip(classes, best_auc)), "n_train": len(tr), "n_val": len(va),
                      "train_seconds": time.time() - t0}))


if __name__ == "__main__":
    main()
