#!/usr/bin/env bash
# Runs the rede and PyTorch matmul benchmarks alternately (A B A B …) so both
# see the same machine load, then prints each implementation's median GFLOP/s
# per size over the rounds and the ratio rede / torch.
# Usage: bench/compare_matmul.sh [rounds]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
export RAYON_NUM_THREADS=2
cargo build --release -q -p rede --example bench_matmul
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
    echo "round $round/$rounds" >&2
    target/release/examples/bench_matmul | tee -a "$results"
    python3 bench/matmul_torch.py | tee -a "$results"
done
python3 - "$results" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["m"], r["k"], r["n"], r["impl"])].append(r["gflops"])
sizes = sorted({key[:3] for key in runs}, key=lambda s: s[0] * s[1] * s[2])
print(f"{'m x k x n':>18} {'rede GFLOP/s':>13} {'torch GFLOP/s':>14} {'rede/torch':>11}")
for m, k, n in sizes:
    rede = statistics.median(runs[(m, k, n, "rede")])
    torch = statistics.median(runs[(m, k, n, "torch")])
    print(f"{f'{m}x{k}x{n}':>18} {rede:13.1f} {torch:14.1f} {rede / torch:11.2f}")
PY
