#!/usr/bin/env python3
"""rede's defaults against scikit-learn's on small CSV data sets.

For each data set (iris, wine, breast cancer, digits, diabetes: shipped with
scikit-learn; "shop", with text columns, and three made by scikit-learn's
generators) and each seed, this makes a train/test split with that seed
(stratified for classification, 20% test), writes both parts as CSV files, and
trains
  * scikit-learn: StandardScaler (+ OneHotEncoder for text columns) and
    MLPClassifier/MLPRegressor with default parameters (regression targets
    standardized too, with TransformedTargetRegressor, as rede does),
  * rede: `rede train --data train.csv --target y --test test.csv` with defaults,
with that seed, and prints test accuracy (classification) or R²
(regression): the mean over the seeds, and rede's minus scikit-learn's.

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
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEEDS = [0, 1, 2, 3, 4]


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


def generated(make, **kwargs):
    x, y = make(random_state=7, **kwargs)
    return {f"f{i}": x[:, i] for i in range(x.shape[1])}, y


DATA = [
    ("iris", lambda: bunch(datasets.load_iris), "classification"),
    ("wine", lambda: bunch(datasets.load_wine), "classification"),
    ("breast_cancer", lambda: bunch(datasets.load_breast_cancer), "classification"),
    ("digits", lambda: bunch(datasets.load_digits), "classification"),
    ("shop (text columns)", shop, "classification"),
    ("classification (gen.)", lambda: generated(datasets.make_classification, n_samples=1000, n_features=20,
                                                n_informative=8, n_classes=3), "classification"),
    ("moons (gen.)", lambda: generated(datasets.make_moons, n_samples=500, noise=0.3), "classification"),
    ("diabetes", lambda: bunch(datasets.load_diabetes), "regression"),
    ("friedman1 (gen.)", lambda: generated(datasets.make_friedman1, n_samples=1000, noise=1.0), "regression"),
]


def sklearn_score(columns, y, train, test, task, seed):
    names = list(columns)
    x = np.empty((len(y), len(names)), dtype=object)
    for j, c in enumerate(names):
        x[:, j] = columns[c]
    text = [j for j, c in enumerate(names) if columns[c].dtype.kind in "US"]
    numeric = [j for j in range(len(names)) if j not in text]
    prep = ColumnTransformer([("num", StandardScaler(), numeric), ("text", OneHotEncoder(handle_unknown="ignore"), text)])
    if task == "classification":
        pipe = make_pipeline(prep, MLPClassifier(random_state=seed))
    else:
        # rede standardizes regression targets too: the same preprocessing on both sides.
        pipe = TransformedTargetRegressor(make_pipeline(prep, MLPRegressor(random_state=seed)), transformer=StandardScaler())
        y = y.astype(float)
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
    print(f"{'data set':22} {'rows':>5} {'metric':>9} {'scikit-learn':>13} {'rede':>8} {'rede - sk':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, load, task in DATA:
            columns, y = load()
            stratify = y if task == "classification" else None
            sk, rd = [], []
            for seed in SEEDS:
                train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=seed, stratify=stratify)
                write_csv(folder / "train.csv", columns, y, train)
                write_csv(folder / "test.csv", columns, y, test)
                sk.append(sklearn_score(columns, y, train, test, task, seed))
                rd.append(rede_score(rede, folder, task, seed))
            metric = "accuracy" if task == "classification" else "R²"
            sk, rd = np.mean(sk), np.mean(rd)
            print(f"{name:22} {len(y):>5} {metric:>9} {sk:>13.4f} {rd:>8.4f} {rd - sk:>+10.4f}", flush=True)


if __name__ == "__main__":
    main()
