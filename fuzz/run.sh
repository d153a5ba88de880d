#!/bin/sh
# Runs every fuzz target for SECONDS seconds (default 60), one after the other:
#   fuzz/run.sh 600
# Needs cargo-fuzz (cargo install cargo-fuzz --locked) and a nightly toolchain.
# Each target starts from its seed corpus in fuzz/corpus/TARGET (read only); what
# the fuzzer finds goes to fuzz/work/TARGET, crashes to fuzz/artifacts/TARGET.
set -eu
seconds="${1:-60}"
cd "$(dirname "$0")"
for target in csv idx npy npz model_file architecture_toml architecture_json search_space; do
    mkdir -p "work/$target"
    echo "fuzzing $target for $seconds s"
    # Safe Rust: panics, aborts, runaway memory and time are the findings, so no sanitizer;
    # debug assertions turn integer overflow into a finding too.
    cargo +nightly fuzz run --sanitizer none --debug-assertions "$target" "work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=20
done
