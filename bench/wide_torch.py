#!/usr/bin/env python3
"""PyTorch twin of `bench_train -- --model wide`: the MLP 1024-4096-4096-10
(ReLU, PyTorch's default init) with Adam (lr 1e-3) on 60 000 random rows of
1024 features, for GPU throughput; compare `step_ms` at `--batch-size 1024`.

    python3 bench/wide_torch.py --device cuda --batch-size 1024 [--epochs 3] [--tf32]
"""

from mlp_torch import dense_flops
from torch_common import parse_args, run

import torch

WIDTHS = [1024, 4096, 4096, 10]


def wide():
    layers = []
    for i, (a, b) in enumerate(zip(WIDTHS, WIDTHS[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(WIDTHS) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


if __name__ == "__main__":
    run(parse_args(__doc__), "wide", wide, [1024], dense_flops(WIDTHS), random_only=True)
