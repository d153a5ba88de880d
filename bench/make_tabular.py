#!/usr/bin/env python3
"""Writes a large generated classification table as CSV, for the loading benchmarks.

Each row has numeric features x0..x{cols-1} (standard normal, written with six
decimals) and a class `y` in 0..classes-1: the argmax of a fixed random linear
map of the features, a few pairwise products and Gumbel noise, so that a model
can learn it but not perfectly (an MLP reaches about 0.75 accuracy).

    python3 bench/make_tabular.py OUT.csv [--rows 1000000] [--cols 50] [--classes 3] [--seed 0]

The default (1,000,000 x 50, 3 classes) is the table of issue 14: about 480 MB.
"""

import argparse

import numpy as np

CHUNK = 100_000


def labels(x, weights, pairs, rng):
    """The class of each row: noisy argmax of linear and pairwise scores."""
    scores = x @ weights
    for k, (i, j) in enumerate(pairs):
        scores[:, k % scores.shape[1]] += 0.5 * x[:, i] * x[:, j]
    scores += rng.gumbel(size=scores.shape) * 0.8
    return scores.argmax(axis=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    weights = rng.normal(size=(args.cols, args.classes)) / np.sqrt(args.cols) * 2.0
    pairs = [tuple(rng.choice(args.cols, 2, replace=False)) for _ in range(args.classes * 2)]
    header = ",".join([f"x{j}" for j in range(args.cols)] + ["y"])
    fmt = ["%.6f"] * args.cols + ["%d"]
    with open(args.out, "w") as f:
        f.write(header + "\n")
        for start in range(0, args.rows, CHUNK):
            n = min(CHUNK, args.rows - start)
            x = rng.normal(size=(n, args.cols))
            y = labels(x, weights, pairs, rng)
            np.savetxt(f, np.column_stack([x, y]), fmt=fmt, delimiter=",")


if __name__ == "__main__":
    main()
