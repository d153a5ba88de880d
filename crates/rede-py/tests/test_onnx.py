"""ONNX export checked by onnxruntime: for each kind of model the CLI trains, the
exported graph passes onnx.checker and gives `rede predict`'s answers within 1e-5."""

import csv
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest

import rede
from conftest import run, write_csv

TOLERANCE = 1e-5


def read_csv(path: Path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def export_and_session(rede_bin, cwd: Path) -> ort.InferenceSession:
    run(rede_bin, "export", "--model", "model.safetensors", "--out", "model.onnx", cwd=cwd)
    model = onnx.load(str(cwd / "model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    return ort.InferenceSession(str(cwd / "model.onnx"), providers=["CPUExecutionProvider"])


def number(cell: str) -> float:
    """A CSV cell as the graph's float input: an empty cell is a missing value, NaN."""
    return float(cell) if cell else float("nan")


def onnx_inputs(session, data: Path, target: str) -> dict:
    """The graph's inputs from a CSV file: one `features` matrix, or one [N, 1] input per column."""
    header, rows = read_csv(data)
    keep = [j for j, name in enumerate(header) if name != target]
    names = [i.name for i in session.get_inputs()]
    if names == ["features"]:
        return {"features": np.array([[number(r[j]) for j in keep] for r in rows], dtype=np.float32)}
    feeds = {}
    for inp in session.get_inputs():
        j = header.index(inp.name)
        if inp.type == "tensor(string)":
            feeds[inp.name] = np.array([[r[j]] for r in rows], dtype=object)
        else:
            feeds[inp.name] = np.array([[number(r[j])] for r in rows], dtype=np.float32)
    return feeds


def check_classifier(rede_bin, cwd: Path, data: Path, target: str):
    run(rede_bin, "predict", "--model", "model.safetensors", "--data", str(data), "--proba", "--out", "pred.csv", cwd=cwd)
    header, rows = read_csv(cwd / "pred.csv")
    labels = [r[0] for r in rows]
    proba = np.array([[float(v) for v in r[1:]] for r in rows])
    session = export_and_session(rede_bin, cwd)
    got_proba, got_label = session.run(["probabilities", "label"], onnx_inputs(session, data, target))
    # `rede predict` prints six decimals; the loaded model gives full precision.
    np.testing.assert_allclose(got_proba, proba, atol=1e-6 + 5e-7)
    assert [str(v) for v in got_label] == labels
    full = rede.load(cwd / "model.safetensors")
    frame = pd.read_csv(data).drop(columns=target)
    np.testing.assert_allclose(got_proba, full.predict_proba(frame), atol=TOLERANCE)
    return got_proba


def train(rede_bin, cwd: Path, data: Path, target: str, *options: str):
    run(rede_bin, "train", "--data", str(data), "--target", target, "--seed", "0", "--quiet", "--no-plot", *options, cwd=cwd)


def test_mlp_on_digits(rede_bin, tmp_path, digits_csv):
    train(rede_bin, tmp_path, digits_csv, "digit", "--hidden", "32,16", "--activation", "tanh,gelu", "--epochs", "5")
    proba = check_classifier(rede_bin, tmp_path, digits_csv, "digit")
    assert proba.shape == (1797, 10)


def test_lenet5(rede_bin, tmp_path):
    rng = np.random.default_rng(0)
    labels = np.arange(120) % 3
    images = rng.integers(0, 60, size=(120, 784))
    images[:, :200] += (labels[:, None] * 60)  # something to learn
    data = write_csv(tmp_path / "images.csv", [f"p{j}" for j in range(784)] + ["label"],
                     (list(row) + [int(c)] for row, c in zip(images, labels)))
    train(rede_bin, tmp_path, data, "label", "--model", "lenet5", "--epochs", "1")
    check_classifier(rede_bin, tmp_path, data, "label")


def test_lstm_reading_digits_row_by_row(rede_bin, tmp_path, digits_csv):
    train(rede_bin, tmp_path, digits_csv, "digit", "--model", "lstm", "--epochs", "1")
    check_classifier(rede_bin, tmp_path, digits_csv, "digit")


def test_conv_net_with_batch_norm_and_average_pooling(rede_bin, tmp_path, digits_csv):
    spec = tmp_path / "conv.toml"
    spec.write_text(
        "input_shape = [1, 8, 8]\n"
        "[[layers]]\ntype = \"conv2d\"\nin_channels = 1\nout_channels = 4\nkernel_size = 3\npadding = 1\n"
        "[[layers]]\ntype = \"batch_norm2d\"\nnum_features = 4\n"
        "[[layers]]\ntype = \"leaky_relu\"\nnegative_slope = 0.1\n"
        "[[layers]]\ntype = \"avg_pool2d\"\nkernel_size = 2\n"
        "[[layers]]\ntype = \"flatten\"\n"
        "[[layers]]\ntype = \"linear\"\nin_features = 64\nout_features = 10\n"
    )
    train(rede_bin, tmp_path, digits_csv, "digit", "--model-spec", str(spec), "--epochs", "1")
    check_classifier(rede_bin, tmp_path, digits_csv, "digit")


def test_conv_transpose_upsampling(rede_bin, tmp_path, digits_csv):
    spec = tmp_path / "updown.toml"
    spec.write_text(
        "input_shape = [1, 8, 8]\n"
        "[[layers]]\ntype = \"conv2d\"\nin_channels = 1\nout_channels = 4\nkernel_size = 3\nstride = 2\npadding = 1\n"
        "[[layers]]\ntype = \"relu\"\n"
        "[[layers]]\ntype = \"conv_transpose2d\"\nin_channels = 4\nout_channels = 2\nkernel_size = 3\n"
        "stride = 2\npadding = 1\noutput_padding = 1\n"
        "[[layers]]\ntype = \"flatten\"\n"
        "[[layers]]\ntype = \"linear\"\nin_features = 128\nout_features = 10\n"
    )
    train(rede_bin, tmp_path, digits_csv, "digit", "--model-spec", str(spec), "--epochs", "1")
    check_classifier(rede_bin, tmp_path, digits_csv, "digit")
    ops = {node.op_type for node in onnx.load(str(tmp_path / "model.onnx")).graph.node}
    assert "ConvTranspose" in ops


def test_regressor(rede_bin, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(300, 3))
    y = np.sin(X[:, 0]) * 3 + X[:, 1] * X[:, 2] + 5
    data = write_csv(tmp_path / "reg.csv", ["a", "b", "c", "y"], (list(r) + [t] for r, t in zip(X, y)))
    train(rede_bin, tmp_path, data, "y", "--task", "regression", "--hidden", "16", "--epochs", "20")
    expected = np.array([float(v) for v in run(rede_bin, "predict", "--model", "model.safetensors",
                                               "--data", str(data), cwd=tmp_path).split()[1:]])
    session = export_and_session(rede_bin, tmp_path)
    (got,) = session.run(["prediction"], onnx_inputs(session, data, "y"))
    assert got.shape == (300, 1)
    np.testing.assert_allclose(got[:, 0], expected, atol=TOLERANCE)


def test_text_columns_are_string_inputs(rede_bin, tmp_path):
    rng = np.random.default_rng(2)
    colors = np.array(["red", "green", "blue"])[rng.integers(0, 3, 200)]
    size = rng.uniform(0, 10, 200)
    kind = np.where((colors == "red") | (size > 7), "big", "small")
    data = write_csv(tmp_path / "mixed.csv", ["size", "color", "kind"], zip(size, colors, kind))
    train(rede_bin, tmp_path, data, "kind", "--hidden", "8", "--epochs", "30")
    check_classifier(rede_bin, tmp_path, data, "kind")
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    assert {i.name: i.type for i in session.get_inputs()} == {"size": "tensor(float)", "color": "tensor(string)"}
    # A color never seen in training is all zeros in the one-hot code, as in rede.
    feeds = {"size": np.array([[1.0]], dtype=np.float32), "color": np.array([["purple"]], dtype=object)}
    (proba,) = session.run(["probabilities"], feeds)
    assert proba.shape == (1, 2) and abs(proba.sum() - 1) < 1e-6


def test_imputed_missing_values_are_nan_inputs(rede_bin, tmp_path):
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, size=(300, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "pos", "neg")
    cells = X.round(4).astype(object)
    gaps = rng.random(X.shape) < 0.15
    cells[gaps] = ""
    data = write_csv(tmp_path / "gaps.csv", ["a", "b", "c", "y"], (list(r) + [t] for r, t in zip(cells, y)))
    train(rede_bin, tmp_path, data, "y", "--impute", "median", "--hidden", "8", "--epochs", "20")
    proba = check_classifier(rede_bin, tmp_path, data, "y")
    # The graph fills a NaN with the training median, as rede does: a row with a
    # gap gives what the same row with the median written in gives.
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    row = next(i for i in range(300) if gaps[i, 0] and not gaps[i, 1:].any())
    median = np.median(X[~gaps[:, 0], 0].round(4))
    filled = np.array([[median, *X[row, 1:].round(4)]], dtype=np.float32)
    (same,) = session.run(["probabilities"], {"features": filled})
    np.testing.assert_allclose(same[0], proba[row], atol=1e-4)


def test_python_to_onnx_matches_predict_proba(tmp_path, digits):
    X, y = digits
    clf = rede.MLPClassifier(hidden_layer_sizes=(24,), max_iter=5, random_state=0).fit(X, y)
    clf.to_onnx(tmp_path / "clf.onnx")
    onnx.checker.check_model(onnx.load(str(tmp_path / "clf.onnx")))
    session = ort.InferenceSession(str(tmp_path / "clf.onnx"), providers=["CPUExecutionProvider"])
    proba, label = session.run(None, {"features": X.astype(np.float32)})
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=TOLERANCE)
    np.testing.assert_array_equal(label, clf.predict(X))
    assert clf.to_onnx() == (tmp_path / "clf.onnx").read_bytes()


def test_export_of_an_unfitted_model_is_an_error():
    with pytest.raises(Exception) as info:
        rede.MLPClassifier().to_onnx()
    assert "not fitted" in str(info.value)
