#!/usr/bin/env python3
"""PyTorch twin of `cargo run --release -p rede --example bench_train -- --model mlp`.

Same model (784-512-256-10, ReLU, PyTorch's default init), loss (softmax
cross-entropy), optimizer (Adam, lr 1e-3), batch size (128), data (MNIST in
[0, 1]) and output schema (see `torch_common.py`).

    python3 bench/mlp_torch.py --data-dir DIR [--epochs 3] [--threads 2] [--flush-denormal]
"""

import torch

from torch_common import parse_args, run

WIDTHS = [784, 512, 256, 10]


def mlp():
    layers = []
    for i, (a, b) in enumerate(zip(WIDTHS, WIDTHS[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(WIDTHS) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def dense_flops(widths):
    """Forward, weight-gradient and input-gradient products per sample (no input gradient for layer 1)."""
    products = [2.0 * a * b for a, b in zip(widths, widths[1:])]
    return 3.0 * sum(products) - products[0]


if __name__ == "__main__":
    run(parse_args(__doc__), "mlp", mlp, [784], dense_flops(WIDTHS))
