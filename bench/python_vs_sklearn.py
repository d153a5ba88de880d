#!/usr/bin/env python3
"""rede's Python MLPClassifier against scikit-learn's, with equal parameters.

Fits both on the same float32 rows (pixels scaled to [0, 1]) with the same
parameters, alternating the two `--repeats` times, and prints one JSON line per
fit (seconds of `fit` only, test accuracy) and a summary with the median times,
their ratio and the accuracies:

  * digits: scikit-learn's 8x8 digits, a stratified 75/25 split, default
    parameters (hidden (100,), adam, batch 200, up to 200 epochs, tol 1e-4);
  * mnist: the 60,000 training images and the 10,000 test images, hidden (100,),
    adam, batch 200, exactly `--epochs` epochs (tol=0, n_iter_no_change=epochs).

MNIST's IDX files are read from `--data-dir` (default `$REDE_DATA_DIR/mnist`).

Usage: python3 bench/python_vs_sklearn.py [--repeats 3] [--epochs 10] [--only digits|mnist]
"""

import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP

import rede


def read_idx(directory, name):
    import gzip

    path = os.path.join(directory, name)
    opener, path = (open, path) if os.path.exists(path) else (gzip.open, path + ".gz")
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(directory):
    def part(prefix):
        x = read_idx(directory, f"{prefix}-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
        return x, read_idx(directory, f"{prefix}-labels-idx1-ubyte").astype(np.int64)

    return (*part("train"), *part("t10k"))


def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def timed_fit(make, X, y, Xt, yt):
    model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        started = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - started
    return seconds, float((model.predict(Xt) == yt).mean()), model.n_iter_


def compare(name, data, params, repeats):
    X, y, Xt, yt = data
    makers = {"rede": lambda: rede.MLPClassifier(**params), "sklearn": lambda: SkMLP(**params)}
    runs = {k: [] for k in makers}
    for repeat in range(repeats):
        for lib, make in makers.items():
            seconds, accuracy, epochs = timed_fit(make, X, y, Xt, yt)
            runs[lib].append((seconds, accuracy))
            line = {"data": name, "lib": lib, "repeat": repeat, "fit_s": round(seconds, 3),
                    "accuracy": round(accuracy, 4), "epochs": epochs}
            print(json.dumps(line), flush=True)
    median = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
    accuracy = {k: statistics.mean(a for _, a in v) for k, v in runs.items()}
    print(json.dumps({"data": name, "rede_median_s": round(median["rede"], 3),
                      "sklearn_median_s": round(median["sklearn"], 3),
                      "speedup": round(median["sklearn"] / median["rede"], 2),
                      "rede_accuracy": round(accuracy["rede"], 4),
                      "sklearn_accuracy": round(accuracy["sklearn"], 4),
                      "load_average": os.getloadavg()[0]}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--only", choices=["digits", "mnist"])
    parser.add_argument("--data-dir", default=os.path.join(os.environ.get("REDE_DATA_DIR", "../shared/data"), "mnist"))
    args = parser.parse_args()
    base = dict(hidden_layer_sizes=(100,), solver="adam", batch_size=200, random_state=0)
    if args.only in (None, "digits"):
        Xtr, Xte, ytr, yte = digits()
        compare("digits", (Xtr, ytr, Xte, yte), base, args.repeats)
    if args.only in (None, "mnist"):
        fixed = dict(base, max_iter=args.epochs, tol=0.0, n_iter_no_change=args.epochs)
        compare("mnist", mnist(args.data_dir), fixed, args.repeats)


if __name__ == "__main__":
    main()
