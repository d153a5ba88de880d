"""PyTorch twin of `bench_train --model lenet5`: same architecture, PyTorch's default
initialization, Adam (lr 1e-3), batches of 128 shuffled each epoch, on 2 CPU threads.

    python3 bench/lenet5_torch.py --data-dir DIR [--epochs 3] [--threads 2] [--seed S]

Prints bench_train's schema: one JSON line per epoch
{"framework": "pytorch-<version>", "device": "cpu", "model": "lenet5", "threads": 2,
 "epoch": N, "epoch_s": S, "test_acc": A}
then {"framework": ..., "peak_rss_mb": M, "gflops": G, "epoch_gflop": F}. `epoch_s`
times the training loop only; the test accuracy is measured outside it, in chunks of
1000 images as bench_train does.
"""
import argparse
import gzip
import json
import os
import resource
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return read_idx(path)
    raise FileNotFoundError(os.path.join(data_dir, name))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def lenet5_flops():
    """Multiply-adds x2 of one sample's training step, counted as bench_train counts them."""
    layers = [6 * 28 * 28 * 25, 16 * 10 * 10 * 150, 400 * 120, 120 * 84, 84 * 10]
    return 2.0 * (3.0 * sum(layers) - layers[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--flush-denormal", action="store_true",
                        help="torch.set_flush_denormal(True): subnormal floats become zero, as rede's Adam stores them")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(args.flush_denormal)
    torch.manual_seed(args.seed)
    images = lambda n: torch.tensor(load(args.data_dir, n), dtype=torch.float32).unsqueeze(1) / 255.0
    labels = lambda n: torch.tensor(load(args.data_dir, n), dtype=torch.long)
    x_train, y_train = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    x_test, y_test = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    model = lenet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    framework = f"pytorch-{torch.__version__}"
    times = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        started = time.perf_counter()
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            optimizer.zero_grad()
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            optimizer.step()
        epoch_s = time.perf_counter() - started
        times.append(epoch_s)
        model.eval()
        with torch.no_grad():
            correct = sum(
                (model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item()
                for i in range(0, len(x_test), 1000)
            )
        print(json.dumps({
            "framework": framework, "device": "cpu", "model": "lenet5", "threads": args.threads,
            "epoch": epoch, "epoch_s": round(epoch_s, 4), "test_acc": round(correct / len(x_test), 4),
        }), flush=True)
    flops = lenet5_flops() * len(x_train)
    median = sorted(times)[len(times) // 2]
    print(json.dumps({
        "framework": framework,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "gflops": round(flops / median / 1e9, 1), "epoch_gflop": round(flops / 1e9, 1),
    }), flush=True)

if __name__ == "__main__":
    main()
