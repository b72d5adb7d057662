#!/usr/bin/env python3
"""Cross-check of the GEMM benchmark with numpy (whatever BLAS numpy is linked to).

Usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/gemm_ref.py
Prints GFLOP/s (median of 9 samples of ~40 ms) for the shapes of `Recur.Bench gemm`.
The primary race is Recur.Bench itself, which calls OpenBLAS cblas_sgemm directly.
"""
import os
import time

import numpy as np


def shapes():
    yield "square", False, False, 1024, 1024, 1024
    for m in (32, 64):
        for k in (128, 512, 1024):
            yield f"lstm-step B={m} H={k}", False, True, m, 4 * k, k
    yield "input-proj T*B=2048", False, True, 2048, 2048, 512
    yield "dW=dG^T X", True, False, 2048, 512, 2048
    yield "dX=dG W", False, False, 2048, 512, 2048


def main():
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}")
    for name, ta, tb, m, n, k in shapes():
        a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
        c = np.empty((m, n), np.float32)
        opa = a.T if ta else a
        opb = b.T if tb else b

        def op():
            np.matmul(opa, opb, out=c)

        op()
        t0 = time.perf_counter()
        calls = 0
        while time.perf_counter() - t0 < 0.03:
            op()
            calls += 1
        reps = max(1, int(0.04 / ((time.perf_counter() - t0) / calls)))
        rates = []
        for _ in range(9):
            t0 = time.perf_counter()
            for _ in range(reps):
                op()
            rates.append(2.0 * m * n * k * reps / (time.perf_counter() - t0) / 1e9)
        rates.sort()
        print(f"{name:<22} {'T' if ta else 'N'} {'T' if tb else 'N'} {m:5d} {n:5d} {k:5d} | {rates[4]:8.1f} GFLOP/s")


if __name__ == "__main__":
    main()
