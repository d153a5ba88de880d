#!/usr/bin/env python3
"""PyTorch twin of `cargo run --release -p rede --example bench_train -- --model mlp`.

Same model (784-512-256-10, ReLU, PyTorch's default init), loss (softmax
cross-entropy), optimizer (Adam, lr 1e-3), batch size (128), data (MNIST in
[0, 1]) and output schema: one JSON line per epoch, where `epoch_s` times the
training loop only (shuffle plus every mini-batch's forward, backward and
update), then a line with peak RSS and GFLOP/s.

    python3 bench/mlp_torch.py --data-dir DIR [--epochs 3] [--threads 2]
"""

import argparse
import gzip
import json
import os
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F

WIDTHS = [784, 512, 256, 10]


def read_idx(directory, name):
    """An IDX file (raw or .gz) as a numpy array."""
    path = os.path.join(directory, name)
    opener = open if os.path.exists(path) else gzip.open
    path = path if os.path.exists(path) else path + ".gz"
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory, prefix):
    x = read_idx(directory, f"{prefix}-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255.0
    y = read_idx(directory, f"{prefix}-labels-idx1-ubyte").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def dense_flops(widths):
    """Forward, weight-gradient and input-gradient products per sample (no input gradient for layer 1)."""
    products = [2.0 * a * b for a, b in zip(widths, widths[1:])]
    return 3.0 * sum(products) - products[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=os.path.join(os.environ.get("REDE_DATA_DIR", "."), "mnist"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--flush-denormal", action="store_true",
                        help="torch.set_flush_denormal(True): subnormal floats become zero, as rede's Adam stores them")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(args.flush_denormal)
    torch.manual_seed(args.seed)
    x_train, y_train = load(args.data_dir, "train")
    x_test, y_test = load(args.data_dir, "t10k")
    layers = []
    for i, (a, b) in enumerate(zip(WIDTHS, WIDTHS[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(WIDTHS) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    framework = f"pytorch-{torch.__version__}"
    n = x_train.shape[0]
    times = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n)
        for i in range(0, n, args.batch_size):
            idx = order[i : i + args.batch_size]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_s = time.perf_counter() - start
        times.append(epoch_s)
        model.eval()
        with torch.no_grad():
            correct = sum(
                (model(x_test[i : i + 1000]).argmax(1) == y_test[i : i + 1000]).sum().item()
                for i in range(0, x_test.shape[0], 1000)
            )
        print(json.dumps({
            "framework": framework, "device": "cpu", "model": "mlp", "threads": args.threads,
            "epoch": epoch, "epoch_s": round(epoch_s, 4), "test_acc": round(correct / x_test.shape[0], 4),
        }), flush=True)
    flops = dense_flops(WIDTHS) * n
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    median = sorted(times)[len(times) // 2]
    print(json.dumps({
        "framework": framework, "peak_rss_mb": round(peak_mib, 1),
        "gflops": round(flops / median / 1e9, 1), "epoch_gflop": round(flops / 1e9, 1),
    }), flush=True)


if __name__ == "__main__":
    main()
