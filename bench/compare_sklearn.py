#!/usr/bin/env python3
"""rede's defaults against scikit-learn's on small CSV data sets.

For each data set (iris, wine, breast cancer, diabetes: shipped with
scikit-learn; "shop": generated here, with text columns) this makes one
train/test split (stratified for classification, 20% test), writes both parts
as CSV files, and trains
  * scikit-learn: StandardScaler (+ OneHotEncoder for text columns) and
    MLPClassifier/MLPRegressor with default parameters,
  * rede: `rede train --data train.csv --target y --test test.csv` with defaults,
with the same seeds, and prints test accuracy (classification) or R²
(regression), the mean over the seeds.

Usage: python3 bench/compare_sklearn.py [path/to/rede]   (default target/release/rede)
"""

import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import csv

import numpy as np
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEEDS = [0, 1, 2]


def shop(n=600, seed=7):
    """Customers with text and numeric columns; whether they buy depends on both."""
    rng = np.random.default_rng(seed)
    city = rng.choice(["lisbon", "porto", "braga", "faro"], n)
    plan = rng.choice(["free", "basic", "pro"], n, p=[0.5, 0.3, 0.2])
    age = rng.integers(18, 70, n)
    visits = rng.poisson(5, n)
    score = (plan == "pro") * 1.5 + (plan == "basic") * 0.7 + (city == "porto") * 0.6 - (age - 40) / 25 + visits / 4
    buys = np.where(score + rng.normal(0, 0.6, n) > 1.6, "yes", "no")
    columns = {"city": city, "plan": plan, "age": age, "visits": visits}
    return columns, buys


def bunch(loader):
    d = loader()
    return {f"f{i}": d.data[:, i] for i in range(d.data.shape[1])}, d.target


def write_csv(path, columns, y, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(columns) + ["y"])
        for i in rows:
            w.writerow([columns[c][i] for c in columns] + [y[i]])


DATA = [
    ("iris", lambda: bunch(datasets.load_iris), "classification"),
    ("wine", lambda: bunch(datasets.load_wine), "classification"),
    ("breast_cancer", lambda: bunch(datasets.load_breast_cancer), "classification"),
    ("shop (text columns)", shop, "classification"),
    ("diabetes", lambda: bunch(datasets.load_diabetes), "regression"),
]


def sklearn_score(columns, y, train, test, task, seed):
    names = list(columns)
    x = np.empty((len(y), len(names)), dtype=object)
    for j, c in enumerate(names):
        x[:, j] = columns[c]
    text = [j for j, c in enumerate(names) if columns[c].dtype.kind in "US"]
    numeric = [j for j in range(len(names)) if j not in text]
    prep = ColumnTransformer([("num", StandardScaler(), numeric), ("text", OneHotEncoder(handle_unknown="ignore"), text)])
    model = MLPClassifier(random_state=seed) if task == "classification" else MLPRegressor(random_state=seed)
    pipe = make_pipeline(prep, model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(x[train], y[train])
    predicted = pipe.predict(x[test])
    return accuracy_score(y[test], predicted) if task == "classification" else r2_score(y[test], predicted)


def rede_score(rede, folder, task, seed):
    metrics = folder / "metrics.json"
    cmd = [rede, "train", "--data", str(folder / "train.csv"), "--target", "y", "--test", str(folder / "test.csv"),
           "--task", task, "--seed", str(seed), "--quiet", "--out", str(folder / "model.safetensors"),
           "--metrics-json", str(metrics)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    m = json.loads(metrics.read_text())
    return m["test_accuracy"] if task == "classification" else m["test_r2"]


def main():
    rede = sys.argv[1] if len(sys.argv) > 1 else "target/release/rede"
    print(f"{'data set':22} {'rows':>5} {'metric':>9} {'scikit-learn':>13} {'rede':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, load, task in DATA:
            columns, y = load()
            stratify = y if task == "classification" else None
            train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=0, stratify=stratify)
            write_csv(folder / "train.csv", columns, y, train)
            write_csv(folder / "test.csv", columns, y, test)
            sk = np.mean([sklearn_score(columns, y, train, test, task, s) for s in SEEDS])
            rd = np.mean([rede_score(rede, folder, task, s) for s in SEEDS])
            metric = "accuracy" if task == "classification" else "R²"
            print(f"{name:22} {len(y):>5} {metric:>9} {sk:>13.4f} {rd:>8.4f}")


if __name__ == "__main__":
    main()
