#!/usr/bin/env bash
# The whole GPU check in one command, on a machine with an NVIDIA GPU, Python
# and PyTorch (CUDA build), with no Rust toolchain and no network needed:
#
#   DIR/cuda_check.sh DIR [REPORT.json]
#
# DIR is what bench/cuda_build.sh made. Runs the CUDA test binaries (the backend
# conformance suite must test cuda:0, not skip it; every kernel must compile with
# NVRTC), then rede's bench_train and the PyTorch twins in the same run: MNIST
# MLP and LeNet-5 (3 epochs, batch 128, on the GPU and, for accuracy, rede on the
# CPU) and the wide MLP 1024-4096-4096-10 at batch 1024 in f32 and TF32. Writes
# one JSON report (default DIR/cuda_report.json) with every run's output lines.
set -uo pipefail
dir=$(cd "${1:?usage: cuda_check.sh DIR [REPORT.json]}" && pwd)
report=${2:-$dir/cuda_report.json}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# cuBLAS and NVRTC from PyTorch's CUDA wheels when the system has none on its path.
libs=$(python3 -c 'import glob, os, nvidia
print(":".join(sorted({os.path.dirname(p) for d in nvidia.__path__ for p in glob.glob(d + "/*/lib/lib*.so*")})))' 2>/dev/null)
export LD_LIBRARY_PATH="${libs:+$libs:}${LD_LIBRARY_PATH:-}"
export REDE_REQUIRE_NVRTC=1

data=()
if [ -d "$dir/mnist" ]; then data=(--data-dir "$dir/mnist"); else data=(--random); fi

# run NAME TIMEOUT CMD...: runs CMD, keeping its output and exit status for the report.
run() {
    local name=$1 limit=$2
    shift 2
    echo "== $name: $*" >&2
    timeout "$limit" "$@" >"$work/$name.out" 2>"$work/$name.err"
    echo $? >"$work/$name.rc"
    tail -n 3 "$work/$name.out" >&2
}

for t in "$dir"/tests/*; do
    run "test_$(basename "$t")" 900 "$t" --test-threads 1
done
for model in mlp lenet5; do
    run "rede_${model}_cuda" 900 "$dir/bench_train" --model "$model" --epochs 3 --device cuda "${data[@]}"
    run "torch_${model}_cuda" 900 python3 "$dir/${model}_torch.py" --epochs 3 --device cuda --threads 16 "${data[@]}"
    run "rede_${model}_cpu" 1800 "$dir/bench_train" --model "$model" --epochs 3 --threads 16 "${data[@]}"
done
run rede_wide_cuda_f32 900 "$dir/bench_train" --model wide --batch-size 1024 --epochs 3 --device cuda
run torch_wide_cuda_f32 900 python3 "$dir/wide_torch.py" --batch-size 1024 --epochs 3 --device cuda
run rede_wide_cuda_tf32 900 env REDE_CUDA_TF32=1 "$dir/bench_train" --model wide --batch-size 1024 --epochs 3 --device cuda
run torch_wide_cuda_tf32 900 python3 "$dir/wide_torch.py" --batch-size 1024 --epochs 3 --device cuda --tf32

python3 - "$work" "$report" <<'PY'
import glob, json, os, subprocess, sys
work, report = sys.argv[1], sys.argv[2]
def gpu():
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown (no nvidia-smi)"
runs = {}
for rc in sorted(glob.glob(os.path.join(work, "*.rc"))):
    name = os.path.basename(rc)[:-3]
    out = open(os.path.join(work, name + ".out")).read()
    err = open(os.path.join(work, name + ".err")).read()
    lines = []
    for line in out.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    entry = {"exit": int(open(rc).read()), "json": lines, "stdout_tail": out[-3000:], "stderr_tail": err[-3000:]}
    # A conformance run that skipped CUDA did not test it.
    if name.startswith("test_") and "skipping" in err + out:
        entry["exit"] = entry["exit"] or 1
        entry["note"] = "skipped the GPU: counted as a failure"
    runs[name] = entry
json.dump({"gpu": gpu(), "runs": runs}, open(report, "w"), indent=1)
failed = [n for n, r in runs.items() if r["exit"] != 0]
print(f"report: {report}; failed: {failed or 'none'}")
sys.exit(1 if failed else 0)
PY
