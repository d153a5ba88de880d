#!/usr/bin/env python3
"""PyTorch twin of `bench_train --model lenet5`: same architecture, PyTorch's default
initialization, Adam (lr 1e-3), batches of 128 shuffled each epoch, images
[n, 1, 28, 28] in [0, 1], and bench_train's output schema (see `torch_common.py`).

    python3 bench/lenet5_torch.py --data-dir DIR [--epochs 3] [--threads 2] [--seed S] [--flush-denormal]
"""

from torch import nn

from torch_common import parse_args, run


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


if __name__ == "__main__":
    run(parse_args(__doc__), "lenet5", lenet5, [1, 28, 28], lenet5_flops())
