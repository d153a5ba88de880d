#!/usr/bin/env bash
# Builds everything bench/cuda_check.sh runs on a GPU machine, into one folder:
# the rede CLI and bench_train with the `cuda` feature, the CUDA test binaries,
# and MNIST when it is on disk here (the GPU machine may have no network).
#
#   bench/cuda_build.sh [OUT]    (default target/cuda-check; needs no GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/cuda-check}
mkdir -p "$out/tests"
cargo build --release --features cuda -p rede-cli
cargo build --release --features cuda -p rede --example bench_train
cp target/release/rede target/release/examples/bench_train "$out/"
# The test executables cargo reports, one per test target.
cargo test --release --features cuda -p rede --test backend_conformance --test cuda_kernels --no-run \
    --message-format=json |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["target"]["name"], m["executable"])' |
    while read -r name exe; do cp "$exe" "$out/tests/$name"; done
cp bench/cuda_check.sh bench/torch_common.py bench/mlp_torch.py bench/lenet5_torch.py bench/wide_torch.py "$out/"
mnist="${REDE_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rede}/mnist"
if [ -d "$mnist" ]; then cp -r "$mnist" "$out/mnist"; else echo "no MNIST at $mnist: the GPU run will use random data" >&2; fi
echo "built $out; on the GPU machine run: $out/cuda_check.sh $out"
