#!/usr/bin/env python3
"""Loading, training and predicting on a large CSV: rede against pandas + scikit-learn.

Each round runs, alternating the two sides (wall time and peak RSS from /usr/bin/time -v):
  * load:    pandas.read_csv in this process, and the time on the "read FILE: ... in Xs" line
             that `rede train` prints for large files
  * train:   `rede train --data FILE --target y --epochs E --hidden H` against
             read_csv + StandardScaler + MLPClassifier(hidden=(H,), max_iter=E), the same
             80/20 stratified split, 1 BLAS thread
  * predict: `rede predict --data FILE --out OUT` against read_csv + predict + to_csv
and prints every run, then the medians and the ratios rede / scikit-learn.

    python3 bench/make_tabular.py /tmp/big.csv
    python3 bench/compare_tabular.py /tmp/big.csv --rede target/release/rede --rounds 3

Internal modes (run by the script itself under /usr/bin/time): --sk-train, --sk-predict.
"""

import argparse
import os
import pickle
import re
import statistics
import subprocess
import sys
import tempfile
import time

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def timed(cmd, env=None):
    """Runs `cmd` under /usr/bin/time -v: (wall seconds, peak RSS in MB, stdout, stderr)."""
    full_env = dict(os.environ, **(env or {}))
    out = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=full_env)
    if out.returncode != 0:
        sys.exit(f"{cmd} failed:\n{out.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", out.stderr)
    h, m, s = wall.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1)) / 1024
    return seconds, rss, out.stdout, out.stderr


def sk_train(path, epochs, hidden, model_path):
    import warnings

    import pandas as pd
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    started = time.perf_counter()
    df = pd.read_csv(path)
    read = time.perf_counter() - started
    y = df.pop("y").to_numpy()
    x = df.to_numpy(dtype="float32")
    del df
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=epochs, random_state=0))
    model.fit(x_tr, y_tr)
    accuracy = model.score(x_te, y_te)
    with open(model_path, "wb") as f:
        pickle.dump(model, f)
    print(f"read {read:.2f}s accuracy {accuracy:.4f}")


def sk_predict(path, model_path, out):
    import pandas as pd

    with open(model_path, "rb") as f:
        model = pickle.load(f)
    df = pd.read_csv(path)
    df.pop("y")
    pd.DataFrame({"y": model.predict(df.to_numpy(dtype="float32"))}).to_csv(out, index=False)


def pandas_read(path):
    import pandas as pd

    started = time.perf_counter()
    pd.read_csv(path)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--rede", default="target/release/rede")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--sk-train", action="store_true")
    parser.add_argument("--sk-predict", action="store_true")
    parser.add_argument("--model")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.sk_train:
        return sk_train(args.data, args.epochs, args.hidden, args.model)
    if args.sk_predict:
        return sk_predict(args.data, args.model, args.out)

    work = tempfile.mkdtemp(prefix="rede-tabular-")
    rede_model, sk_model = os.path.join(work, "model.safetensors"), os.path.join(work, "model.pkl")
    out = os.path.join(work, "pred.csv")
    me = [sys.executable, os.path.abspath(__file__), args.data, "--epochs", str(args.epochs), "--hidden", str(args.hidden)]
    rows = {k: [] for k in ["pandas read", "rede read", "rede train", "sk train", "rede predict", "sk predict"]}
    rss = {k: [] for k in ["rede train", "sk train", "rede predict", "sk predict"]}
    for r in range(args.rounds):
        rows["pandas read"].append(pandas_read(args.data))
        rede_cmd = [args.rede, "train", "--data", args.data, "--target", "y", "--epochs", str(args.epochs)]
        rede_cmd += ["--hidden", str(args.hidden), "--out", rede_model, "--no-plot"]
        wall, peak, stdout, stderr = timed(rede_cmd)
        read = re.search(r"rows × \d+ columns in ([\d.]+)s", stderr)
        rows["rede read"].append(float(read.group(1)) if read else float("nan"))
        accuracy = re.search(r"accuracy\s+([\d.]+)", stdout)
        rows["rede train"].append(wall)
        rss["rede train"].append(peak)
        wall, peak, stdout, _ = timed(me + ["--sk-train", "--model", sk_model], ONE_THREAD)
        rows["sk train"].append(wall)
        rss["sk train"].append(peak)
        print(f"round {r}: rede accuracy {accuracy.group(1) if accuracy else '?'}; scikit-learn {stdout.strip()}")
        wall, peak, _, _ = timed([args.rede, "predict", "--model", rede_model, "--data", args.data, "--out", out])
        rows["rede predict"].append(wall)
        rss["rede predict"].append(peak)
        wall, peak, _, _ = timed(me + ["--sk-predict", "--model", sk_model, "--out", out], ONE_THREAD)
        rows["sk predict"].append(wall)
        rss["sk predict"].append(peak)
        print(f"round {r}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in rows.items()))
    print(f"\nmedians over {args.rounds} rounds (load average now {os.getloadavg()[0]:.1f}):")
    for k, v in rows.items():
        peak = f", peak RSS {statistics.median(rss[k]):.0f} MB" if k in rss else ""
        print(f"  {k:13s} {statistics.median(v):7.2f} s{peak}")
    m = {k: statistics.median(v) for k, v in rows.items()}
    print(f"  ratios: read {m['rede read'] / m['pandas read']:.2f}, train {m['rede train'] / m['sk train']:.2f}, "
          f"predict {m['rede predict'] / m['sk predict']:.2f}")


if __name__ == "__main__":
    main()
