#!/usr/bin/env python3
"""Runs rede's `bench_train` and PyTorch's `mlp_torch.py` alternately (A B A B ...)
and prints each one's median epoch time, the ratio rede / PyTorch, the test
accuracy after the last epoch, peak RSS and GFLOP/s.

    bench/compare_train.py --data-dir DIR [--rounds 3] [--epochs 3] [--threads 2]

Builds the rede example in release mode first. Every epoch of every round
counts toward the median, so the shared machine's noise hits both sides alike.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    """Runs one benchmark and returns (epoch records, summary record)."""
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [r for r in records if "epoch" in r], next(r for r in records if "peak_rss_mb" in r)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.rounds < 3:
        sys.exit("compare_train: use at least 3 rounds")

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "rede", "--example", "bench_train"], cwd=ROOT, check=True)
    common = ["--epochs", str(args.epochs), "--threads", str(args.threads), "--data-dir", args.data_dir]
    sides = {
        "rede": [os.path.join(ROOT, "target", "release", "examples", "bench_train"), "--model", "mlp"] + common,
        "pytorch": [sys.executable, os.path.join(ROOT, "bench", "mlp_torch.py")] + common,
    }
    results = {name: {"epochs": [], "summaries": []} for name in sides}
    for r in range(1, args.rounds + 1):
        for name, cmd in sides.items():
            epochs, summary = run(cmd)
            results[name]["epochs"].append(epochs)
            results[name]["summaries"].append(summary)
            times = ", ".join(f"{e['epoch_s']:.3f}" for e in epochs)
            print(f"round {r} {name:8s} epoch_s [{times}] test_acc {epochs[-1]['test_acc']:.4f}", flush=True)

    print()
    print(f"{'':8s} {'median epoch s':>15s} {'test acc (last epoch, per round)':>34s} {'peak RSS MB':>12s} {'GFLOP/s':>8s}")
    medians = {}
    for name, res in results.items():
        times = [e["epoch_s"] for run_epochs in res["epochs"] for e in run_epochs]
        medians[name] = statistics.median(times)
        accs = " ".join(f"{run_epochs[-1]['test_acc'] * 100:.2f}" for run_epochs in res["epochs"])
        rss = max(s["peak_rss_mb"] for s in res["summaries"])
        gflops = res["summaries"][0]["epoch_gflop"] / medians[name]
        print(f"{name:8s} {medians[name]:15.3f} {accs:>34s} {rss:12.1f} {gflops:8.1f}")
    print(f"\nratio rede / pytorch (median epoch): {medians['rede'] / medians['pytorch']:.3f}")


if __name__ == "__main__":
    main()
