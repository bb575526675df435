#!/bin/sh
# The whole `ecgx explain` process (start, model load, record read,
# preprocessing, Integrated Gradients with 64 steps, summary, exit) against
# PyTorch doing the same IG in-process on the same model, warm (model loaded,
# one warm-up call): the comparison of issue 11 item 5. The two alternate run
# by run, so the machine's load hits both alike; medians over the runs; JSON
# on stdout.
#
# usage: bench/explain_vs_torch.sh [RUNS] [RECORD]
#   RUNS    runs of each (default 9)
#   RECORD  a 10 s record (default: PTB-XL 00001 at 100 Hz from ../shared/data,
#           else a synthetic 100 Hz record written to a temporary folder)
# Environment: ECGX (default build/ecgx), MODEL (the shipped model), PYTHON
# (default /usr/bin/python3, Debian's, which has python3-torch), TORCH_THREADS
# (default: torch's own choice, one per physical core), ECGX_BEFORE (another
# ecgx binary, e.g. a build of an older commit, timed in the same rotation).
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-9}
REC=${2:-}
ECGX=${ECGX:-build/ecgx}
MODEL=${MODEL:-models/resnet1d_wang_ptbxl_superdiag.safetensors}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$ECGX" ] || { echo "explain_vs_torch: $ECGX is missing (make first)" >&2; exit 1; }
"$PYTHON" -c "import torch" 2>/dev/null || { echo "explain_vs_torch: $PYTHON has no torch (python3-torch)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
if [ -z "$REC" ]; then
    REC=../shared/data/ptbxl/records100/00000/00001_lr
    if [ ! -f "$REC.hea" ]; then
        "$ECGX" synth --condition lbbb --fs 100 --seed 1 -o "$TMP/rec" >/dev/null
        REC=$TMP/rec
    fi
fi
exec "$PYTHON" - "$ECGX" "$MODEL" "$REC" "$RUNS" "${ECGX_BEFORE:-}" <<'EOF'
import json, os, statistics, subprocess, sys, time
sys.path.insert(0, "tools")
import torch
import torch_models as tm
from torch_xai_ref import integrated_gradients

ecgx, model_path, rec, runs, before = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
cmd = [ecgx, "explain", "--model", model_path, rec, "--steps", "64"]
cmd_before = [before] + cmd[1:] if before else None

# PyTorch: the shipped weights in the PyTorch twin of the architecture, IG on
# a [1][12][1000] input (the shape ecgx explains for a 10 s record: 100 Hz,
# the model's rate), all 64 alpha steps as one batch (captum's default), in
# float32, with all cores (torch's default thread count).
sd, meta = tm.load_safetensors(model_path)
model = tm.build(meta.get("arch", "resnet1d_wang"), 12, 5).eval()
model.load_state_dict(sd, strict=True)
if os.environ.get("TORCH_THREADS"):
    torch.set_num_threads(int(os.environ["TORCH_THREADS"]))
torch.manual_seed(0)
x = torch.randn(1, 12, 1000)
integrated_gradients(model, x, 0, 64)  # warm-up

# ecgx: one warm-up process (page cache), then the timed ones.
subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
t_ecgx, t_torch, t_attr, t_before = [], [], [], []
for _ in range(runs):
    if cmd_before:
        t0 = time.perf_counter()
        subprocess.run(cmd_before, check=True, stdout=subprocess.DEVNULL)
        t_before.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    t_ecgx.append(time.perf_counter() - t0)
    # the attribution's own time, as the command prints it: "method ... (0.306 s)"
    for line in p.stdout.splitlines():
        if line.startswith("method"):
            t_attr.append(float(line.rsplit("(", 1)[1].split()[0]))
    t0 = time.perf_counter()
    integrated_gradients(model, x, 0, 64)
    t_torch.append(time.perf_counter() - t0)

med = statistics.median
print(json.dumps({
    "record": rec, "model": model_path, "runs": runs, "ig_steps": 64,
    "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch_version": torch.__version__,
    "ecgx_explain_process_s": {"median": med(t_ecgx), "min": min(t_ecgx), "max": max(t_ecgx)},
    "ecgx_attribution_s": {"median": med(t_attr) if t_attr else None},
    "torch_ig_in_process_s": {"median": med(t_torch), "min": min(t_torch), "max": max(t_torch)},
    "speedup_ecgx_process_vs_torch": med(t_torch) / med(t_ecgx),
    "ecgx_runs_s": t_ecgx, "torch_runs_s": t_torch,
    **({"before": before, "before_explain_process_s": {"median": med(t_before), "min": min(t_before)},
        "speedup_vs_before": med(t_before) / med(t_ecgx), "before_runs_s": t_before} if t_before else {}),
    "loadavg_after": open("/proc/loadavg").read().split()[:4],
}, indent=1))
EOF
