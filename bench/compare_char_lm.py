#!/usr/bin/env python3
"""Runs rede's `char_lm` example and its PyTorch twin (`char_lm_torch.py`)
alternately on one text file and prints each round's training seconds, the
medians, their ratio rede / PyTorch and the held-out accuracies.

    bench/compare_char_lm.py FILE [--rounds 3] [--epochs 5] [--threads 2]

Builds the rede example in release mode first. Both sides train the same
model (embedding 32, LSTM 128, linear) on the same number of random windows
(5 epochs x 100 steps x 32 windows of 64 characters by default).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, env=None):
    """Runs one side and returns its final JSON record."""
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.rounds < 3:
        sys.exit("compare_char_lm: use at least 3 rounds")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "rede", "--example", "char_lm"], cwd=ROOT, check=True)
    path = os.path.abspath(args.file)
    common = ["--epochs", str(args.epochs), "--sample", "0"]
    rede_env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    sides = {
        "rede": ([os.path.join(ROOT, "target", "release", "examples", "char_lm"), path] + common, rede_env),
        "pytorch": ([sys.executable, os.path.join(ROOT, "bench", "char_lm_torch.py"), path,
                     "--epochs", str(args.epochs), "--threads", str(args.threads)], None),
    }
    results = {name: [] for name in sides}
    for r in range(1, args.rounds + 1):
        for name, (cmd, env) in sides.items():
            record = run(cmd + ["--seed", str(r)], env)
            results[name].append(record)
            print(f"round {r} {name:8s} train_s {record['train_seconds']:.3f} "
                  f"held-out acc {100 * record['test_accuracy']:.2f}%", flush=True)
    medians = {name: statistics.median(r["train_seconds"] for r in recs) for name, recs in results.items()}
    for name, recs in results.items():
        accs = " ".join(f"{100 * r['test_accuracy']:.2f}" for r in recs)
        print(f"{name:8s} median train s {medians[name]:.3f}, held-out acc % {accs}")
    print(f"load average at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"ratio rede / pytorch (median training seconds): {medians['rede'] / medians['pytorch']:.3f}")


if __name__ == "__main__":
    main()
