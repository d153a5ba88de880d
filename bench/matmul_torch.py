#!/usr/bin/env python3
"""PyTorch twin of `crates/rede/examples/bench_matmul.rs`: the median GFLOP/s of
f32 matrix products on 2 threads, one JSON line per size (same sizes, same
timing rule)."""
import json
import statistics
import time

import torch

SIZES = [(128, 784, 512), (512, 512, 512), (1024, 1024, 1024)]
MIN_TIME = 1.5  # seconds per size, as in the Rust benchmark
MIN_REPS = 10


def main():
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(7)
    for m, k, n in SIZES:
        a = torch.rand(m, k, generator=gen, dtype=torch.float32) * 2 - 1
        b = torch.rand(k, n, generator=gen, dtype=torch.float32) * 2 - 1
        for _ in range(3):
            a @ b
        flops = 2.0 * m * k * n
        rates = []
        start = time.perf_counter()
        while len(rates) < MIN_REPS or time.perf_counter() - start < MIN_TIME:
            t = time.perf_counter()
            a @ b
            rates.append(flops / (time.perf_counter() - t) / 1e9)
        line = {"impl": "torch", "m": m, "k": k, "n": n, "threads": torch.get_num_threads(),
                "reps": len(rates), "gflops": round(statistics.median(rates), 2)}
        print(json.dumps(line, separators=(",", ":")))


if __name__ == "__main__":
    main()
