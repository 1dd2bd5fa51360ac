"""The practical ceiling for the c_attn workload on this machine: numpy's float32 matmul on
OpenBLAS (Debian's python3-numpy + libopenblas0-pthread), all cores. Run with Debian's Python:

    /usr/bin/python3 bench/openblas.py

Same shapes and FLOP count as bench/forward.ts: y = x @ W + b, x [B*T, 768], W [768, 2304],
then a three-way split (views, no copy)."""
import statistics
import time

import numpy as np

C = 768
rng = np.random.default_rng(0)
W = (rng.standard_normal((C, 3 * C)) * 0.02).astype(np.float32)
b = (rng.standard_normal(3 * C) * 0.02).astype(np.float32)
import os

try:
    from threadpoolctl import threadpool_info

    print("#", [(i.get("internal_api"), i.get("num_threads"), i.get("architecture")) for i in threadpool_info()])
except ImportError:
    print(f"# numpy {np.__version__}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')} (threadpoolctl not installed)")
for B, T in [(1, 8), (1, 128), (1, 1024), (4, 1024)]:
    x = rng.standard_normal((B * T, C)).astype(np.float32)
    flops = 2 * B * T * C * 3 * C
    y = x @ W + b
    samples = []
    deadline = time.perf_counter() + 2.0
    while time.perf_counter() < deadline or len(samples) < 3:
        t = time.perf_counter()
        y = x @ W + b
        q, k, v = np.split(y, 3, axis=1)
        samples.append(time.perf_counter() - t)
    ms = statistics.median(samples) * 1e3
    print(f"numpy      [{B},{T}]".ljust(22) + f"{'x @ W + b, split (OpenBLAS)':34} {ms:10.3f} ms {flops / (ms * 1e6):7.2f} GFLOP/s  ({len(samples)} reps)")
