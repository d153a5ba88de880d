#!/usr/bin/env python3
"""Runs rede's `bench_train --model M` and the matching PyTorch script
(`mlp_torch.py`, `lenet5_torch.py`, `rnn_torch.py --model lstm|gru`) alternately (A B A B ...) and prints each
one's median epoch time, the ratio rede / PyTorch, the test accuracy after the
last epoch, peak RSS and GFLOP/s.

    bench/compare_train.py --data-dir DIR [--model mlp|lenet5|lstm|gru] [--rounds 3] [--epochs 3] [--threads 2]

Builds the rede example in release mode first. Every epoch of every round
counts toward the median, so the shared machine's noise hits both sides alike.
Round r uses seed r on both sides (initialization and shuffling), and the
accuracy reported is the mean over rounds: one seed's accuracy after 3 epochs
varies by a few tenths of a point.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The PyTorch twin of each model: its script and the options that pick the model.
TORCH_SCRIPTS = {
    "mlp": ["mlp_torch.py"],
    "lenet5": ["lenet5_torch.py"],
    "lstm": ["rnn_torch.py", "--model", "lstm"],
    "gru": ["rnn_torch.py", "--model", "gru"],
}


def run(cmd):
    """Runs one benchmark and returns (epoch records, summary record)."""
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [r for r in records if "epoch" in r], next(r for r in records if "peak_rss_mb" in r)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--model", choices=sorted(TORCH_SCRIPTS), default="mlp")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-samples", type=int, default=None,
                        help="train both sides on the first N images only (quick runs on a loaded machine)")
    parser.add_argument("--torch-flush-denormal", action="store_true",
                        help="run PyTorch with torch.set_flush_denormal(True) (off by default in PyTorch)")
    args = parser.parse_args()
    if args.rounds < 3:
        sys.exit("compare_train: use at least 3 rounds")

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "rede", "--example", "bench_train"], cwd=ROOT, check=True)
    common = ["--epochs", str(args.epochs), "--threads", str(args.threads), "--data-dir", args.data_dir]
    if args.train_samples:
        common += ["--train-samples", str(args.train_samples)]
    sides = {
        "rede": [os.path.join(ROOT, "target", "release", "examples", "bench_train"), "--model", args.model] + common,
        "pytorch": [sys.executable, os.path.join(ROOT, "bench", TORCH_SCRIPTS[args.model][0])]
        + TORCH_SCRIPTS[args.model][1:] + common
        + (["--flush-denormal"] if args.torch_flush_denormal else []),
    }
    results = {name: {"epochs": [], "summaries": []} for name in sides}
    for r in range(1, args.rounds + 1):
        for name, cmd in sides.items():
            epochs, summary = run(cmd + ["--seed", str(r)])
            results[name]["epochs"].append(epochs)
            results[name]["summaries"].append(summary)
            times = ", ".join(f"{e['epoch_s']:.3f}" for e in epochs)
            print(f"round {r} {name:8s} epoch_s [{times}] test_acc {epochs[-1]['test_acc']:.4f}", flush=True)

    print()
    header = f"{'':8s} {'median epoch s':>15s} {'test acc % (per round)':>28s} {'mean':>6s} {'peak RSS MB':>12s} {'GFLOP/s':>8s}"
    print(header)
    medians = {}
    for name, res in results.items():
        times = [e["epoch_s"] for run_epochs in res["epochs"] for e in run_epochs]
        medians[name] = statistics.median(times)
        finals = [run_epochs[-1]["test_acc"] * 100 for run_epochs in res["epochs"]]
        accs = " ".join(f"{a:.2f}" for a in finals)
        rss = max(s["peak_rss_mb"] for s in res["summaries"])
        gflops = res["summaries"][0]["epoch_gflop"] / medians[name]
        mean = statistics.mean(finals)
        print(f"{name:8s} {medians[name]:15.3f} {accs:>28s} {mean:6.2f} {rss:12.1f} {gflops:8.1f}")
    print(f"\nmodel {args.model}, load average at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"ratio rede / pytorch (median epoch): {medians['rede'] / medians['pytorch']:.3f}")


if __name__ == "__main__":
    main()
