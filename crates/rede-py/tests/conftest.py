"""Shared fixtures: the `rede` binary of this checkout and small data sets as CSV files."""

import csv
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def rede_bin() -> str:
    """The CLI built from this checkout (`cargo build`/`cargo test` put it in target/)."""
    candidates = [os.environ.get("REDE_BIN"), REPO / "target/debug/rede", REPO / "target/release/rede"]
    for path in candidates:
        if path and Path(path).is_file():
            return str(path)
    found = shutil.which("rede")
    if found:
        return found
    pytest.skip("no rede binary: run `cargo build` first or set REDE_BIN")


def run(rede_bin: str, *args: str, cwd: Path) -> str:
    """Runs the CLI, failing the test with its stderr when it fails; returns stdout."""
    done = subprocess.run([rede_bin, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"rede {' '.join(args)}: {done.stderr}"
    return done.stdout


def write_csv(path: Path, header: list, rows) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits: 1,797 rows of 64 pixel values and the digit."""
    return load_digits(return_X_y=True)


@pytest.fixture
def digits_csv(tmp_path, digits) -> Path:
    X, y = digits
    header = [f"p{j}" for j in range(X.shape[1])] + ["digit"]
    rows = (list(map(int, row)) + [int(label)] for row, label in zip(X, y))
    return write_csv(tmp_path / "digits.csv", header, rows)
