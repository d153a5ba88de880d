"""PyTorch reference for rede's LeNet-5 example: same architecture, Adam (lr 1e-3),
batches of 128, shuffled each epoch, on 2 CPU threads.

    python3 bench/lenet5_torch.py --data-dir DIR [--epochs 3] [--threads 2]

Prints one JSON line per epoch:
{"framework": "torch-<version>", "device": "cpu", "model": "lenet5", "threads": 2,
 "epoch": N, "epoch_s": S, "test_acc": A}
"""
import argparse
import gzip
import json
import os
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images = lambda n: torch.tensor(load(args.data_dir, n), dtype=torch.float32).unsqueeze(1) / 255.0
    labels = lambda n: torch.tensor(load(args.data_dir, n), dtype=torch.long)
    x_train, y_train = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    x_test, y_test = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    model = lenet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        model.train()
        started = time.perf_counter()
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), 128):
            idx = order[i:i + 128]
            optimizer.zero_grad()
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            optimizer.step()
        epoch_s = time.perf_counter() - started
        model.eval()
        with torch.no_grad():
            acc = (model(x_test).argmax(1) == y_test).float().mean().item()
        print(json.dumps({
            "framework": f"torch-{torch.__version__}", "device": "cpu", "model": "lenet5",
            "threads": args.threads, "epoch": epoch, "epoch_s": round(epoch_s, 3), "test_acc": round(acc, 4),
        }), flush=True)


if __name__ == "__main__":
    main()
