"""Reference for tests/test_nn_preprocess.c: the preprocessing the shipped
models were trained with, written independently with scipy: a cascade of
butter(2, 0.5, 'high') and butter(2, 40, 'low') as second-order sections,
sosfiltfilt with odd padding of 3 s (each section started in its steady
state), z-score per lead (population sd).
usage: nn_preprocess_ref.py IN.f32 OUT.f32 LEADS N FS"""
import sys

import numpy as np
from scipy import signal

src, dst, leads, n, fs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
x = np.fromfile(src, dtype=np.float32).astype(np.float64).reshape(leads, n)
sos = signal.butter(2, 0.5, "high", fs=fs, output="sos")
if 40.0 < 0.49 * fs:
    sos = np.vstack([sos, signal.butter(2, 40.0, "low", fs=fs, output="sos")])
y = signal.sosfiltfilt(sos, x, axis=1, padtype="odd", padlen=min(int(3 * fs), n - 1))
y = (y - y.mean(axis=1, keepdims=True)) / y.std(axis=1, keepdims=True)
y.astype(np.float32).tofile(dst)
