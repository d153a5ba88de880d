#!/bin/sh
# Data-parallel training against threads on one machine: the MNIST MLP
# 784-512-256-10 (Adam, lr 1e-3, global batch 128, 3 epochs) as 1 process × 2
# threads and as 2 MPI ranks × 1 thread (batch 64 each: the same trajectory),
# alternating, ROUNDS times each. Prints one line per run: epoch seconds, test
# accuracy, the all-reduce's share of rank 0's training time, the load average.
#
# Needs a release build with the mpi feature (cargo build --release -p rede-cli
# --features mpi), Open MPI, and MNIST in $REDE_DATA_DIR/mnist (default:
# ../shared/data relative to the repository root).
set -eu
cd "$(dirname "$0")/.."
REDE=${REDE:-target/release/rede}
ROUNDS=${ROUNDS:-3}
export REDE_DATA_DIR=${REDE_DATA_DIR:-../shared/data}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
COMMON="train --dataset mnist --hidden 512,256 --epochs 3 --no-plot --out $TMP/m.safetensors --metrics-json $TMP/m.json"

report() {
    epochs=$(grep -o '^epoch .*(\([0-9.]*\)s)' "$TMP/err" | sed 's/.*(\([0-9.]*\)s)/\1/' | tr '\n' ' ')
    accuracy=$(grep -o '"test_accuracy": [0-9.]*' "$TMP/m.json" | cut -d' ' -f2)
    share=$(grep -o 'all-reduce took .*' "$TMP/err" || echo '-')
    echo "$1 | epochs (s): $epochs| accuracy $accuracy | $share | load $(cut -d' ' -f1-3 /proc/loadavg)"
}

for round in $(seq "$ROUNDS"); do
    # shellcheck disable=SC2086
    RAYON_NUM_THREADS=2 "$REDE" $COMMON --batch-size 128 >/dev/null 2>"$TMP/err"
    report "round $round, 1 process × 2 threads"
    # shellcheck disable=SC2086
    mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 -x RAYON_NUM_THREADS=1 \
        "$REDE" $COMMON --batch-size 64 --distributed >/dev/null 2>"$TMP/err"
    report "round $round, 2 ranks × 1 thread"
done
