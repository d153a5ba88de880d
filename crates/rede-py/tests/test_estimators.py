"""The estimators as scikit-learn sees them: its own estimator checks, meta-estimators,
every input kind, persistence, progress output and Ctrl-C."""

import copy
import pickle
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import rede
from conftest import run

# Checks expected to fail, with the reason (the README lists them too).
EXPECTED_FAILURES = {
    rede.MLPRegressor: {
        "check_methods_subset_invariance": (
            "rede computes in float32: a prediction made in a smaller batch can differ in the "
            "last bit (about 1e-7 relative), as the matrix kernels split batches of other "
            "sizes differently; the check allows 1e-7 absolute"
        ),
    },
}


@parametrize_with_checks(
    [rede.MLPClassifier(random_state=0), rede.MLPRegressor(random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILURES.get(type(est), {}),
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def small_digits(digits, n=600):
    X, y = digits
    return X[:n], y[:n]


def test_pipeline_grid_search_and_cross_validation(digits):
    X, y = small_digits(digits)
    pipe = make_pipeline(StandardScaler(), rede.MLPClassifier(max_iter=100, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.85
    grid = GridSearchCV(rede.MLPClassifier(max_iter=100, random_state=0),
                        {"hidden_layer_sizes": [(16,), (64,)], "solver": ["adam", "rmsprop"]}, cv=3)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"hidden_layer_sizes", "solver"}
    assert grid.best_score_ > 0.85


def test_fitted_attributes_follow_scikit_learn(digits):
    X, y = small_digits(digits)
    clf = rede.MLPClassifier(hidden_layer_sizes=(20, 10), max_iter=15, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.n_iter_ == len(clf.loss_curve_) == 15
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert [c.shape for c in clf.coefs_] == [(64, 20), (20, 10), (10, 10)]
    assert [b.shape for b in clf.intercepts_] == [(20,), (10,), (10,)]
    assert (clf.n_features_in_, clf.n_outputs_, clf.n_layers_, clf.out_activation_) == (64, 10, 4, "softmax")
    assert not hasattr(clf, "feature_names_in_")
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    # coefs_ are the real weights: the first layer by hand gives the same hidden values.
    hidden = np.maximum((X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1) @ clf.coefs_[0] + clf.intercepts_[0], 0)
    assert hidden.shape == (600, 20)


def test_rede_extras_and_early_stopping(digits):
    X, y = small_digits(digits)
    clf = rede.MLPClassifier(hidden_layer_sizes=(32,), solver="adamw", dropout=0.2, l1=1e-5, init="he_normal",
                             early_stopping=True, max_iter=40, random_state=0).fit(X, y)
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(X, y) > 0.85
    with pytest.raises(ValueError, match="solver"):
        rede.MLPClassifier(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        rede.MLPClassifier(dropout=1.5).fit(X, y)


def test_device_parameter(digits):
    X, y = small_digits(digits, 300)
    for device in ("cpu", "auto"):
        clf = rede.MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, random_state=0, device=device).fit(X, y)
        assert clf.get_params()["device"] == device and clf.score(X, y) > 0.8
    with pytest.raises(ValueError, match="'tpu' is not a device"):
        rede.MLPClassifier(device="tpu").fit(X, y)
    # This package is built without the cuda feature (or the machine has no GPU):
    # asking for one is a clear error, not a silent fall-back to the CPU.
    with pytest.raises(ValueError, match="cuda:0"):
        rede.MLPClassifier(device="cuda").fit(X, y)


def test_inputs_lists_float32_fortran_and_string_labels(digits):
    X, y = small_digits(digits, 300)
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    kwargs = dict(hidden_layer_sizes=(16,), max_iter=20, random_state=0)
    reference = rede.MLPClassifier(**kwargs).fit(X, names[y])
    np.testing.assert_array_equal(reference.classes_, np.sort(names))
    assert reference.predict(X[:5]).dtype.kind in "UO"
    for variant in (X.tolist(), X.astype(np.float32), np.asfortranarray(X)):
        clf = rede.MLPClassifier(**kwargs).fit(variant, names[y])
        np.testing.assert_allclose(clf.predict_proba(variant), reference.predict_proba(X), atol=1e-6)


def test_dataframes_with_text_columns(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "size": rng.uniform(0, 10, 300),
        "color": rng.choice(["red", "green", "blue"], 300),
        "weight": rng.normal(size=300),
    })
    y = pd.Series(np.where((frame["color"] == "red") | (frame["size"] > 7), "big", "small"), name="kind")
    clf = rede.MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, random_state=0).fit(frame, y)
    assert list(clf.feature_names_in_) == ["size", "color", "weight"]
    assert clf.score(frame, y) > 0.9
    # Columns in another order are matched by name; a missing one is named in the error.
    np.testing.assert_allclose(clf.predict_proba(frame[["weight", "color", "size"]]), clf.predict_proba(frame))
    with pytest.raises(ValueError, match="color"):
        clf.predict(frame[["size", "weight"]])
    clf.save(tmp_path / "m.safetensors")
    loaded = rede.load(tmp_path / "m.safetensors")
    np.testing.assert_allclose(loaded.predict_proba(frame), clf.predict_proba(frame))
    np.testing.assert_array_equal(loaded.predict(frame), clf.predict(frame))


def test_pickle_and_deepcopy_keep_the_fitted_model(digits):
    X, y = small_digits(digits, 300)
    clf = rede.MLPClassifier(hidden_layer_sizes=(16,), max_iter=10, random_state=0).fit(X, y)
    for clone in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
        assert clone.loss_curve_ == clf.loss_curve_
    # The copy trains on without touching the original.
    twin = copy.deepcopy(clf)
    twin.partial_fit(X, y)
    assert twin.n_iter_ == 11 and clf.n_iter_ == 10


def test_regressor_units_partial_fit_and_warm_start():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    y = 1000 + 200 * X[:, 0] - 50 * X[:, 1] ** 2
    reg = rede.MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=300, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.98
    assert abs(reg.predict(X).mean() - y.mean()) < 5, "predictions are in the target's units"
    inc = rede.MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    for _ in range(3):
        inc.partial_fit(X, y)
    assert inc.n_iter_ == 3
    warm = rede.MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, warm_start=True, random_state=0).fit(X, y)
    first = warm.coefs_[0].copy()
    warm.fit(X, y)
    assert warm.n_iter_ == 4 and not np.array_equal(first, warm.coefs_[0])


def test_bad_input_raises_value_errors(digits):
    X, y = small_digits(digits, 100)
    clf = rede.MLPClassifier(max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(np.where(X == 0, np.nan, X), y)
    with pytest.raises(ValueError, match="1 class"):
        clf.fit(X, np.zeros(100))
    clf.fit(X, y)
    with pytest.raises(ValueError, match="64 features"):
        clf.predict(X[:, :10])
    with pytest.raises(FileNotFoundError):
        rede.load("no-such-model.safetensors")


def test_verbose_prints_each_epoch(digits, capsys):
    X, y = small_digits(digits, 200)
    rede.MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Iteration")]
    assert len(lines) == 3 and "loss = " in lines[0]


def test_model_files_from_the_cli_load_and_predict_dataframes(rede_bin, tmp_path, digits_csv):
    run(rede_bin, "train", "--data", str(digits_csv), "--target", "digit", "--hidden", "16", "--epochs", "3",
        "--seed", "0", "--quiet", "--no-plot", cwd=tmp_path)
    model = rede.load(tmp_path / "model.safetensors")
    assert isinstance(model, rede.MLPClassifier) and model.hidden_layer_sizes == (16,)
    frame = pd.read_csv(digits_csv)
    cli = pd.read_csv(
        __import__("io").StringIO(run(rede_bin, "predict", "--model", "model.safetensors", "--data", str(digits_csv),
                                      cwd=tmp_path)))
    np.testing.assert_array_equal(model.predict(frame.drop(columns="digit")), cli["digit"].to_numpy())


def test_model_spec_presets_and_dicts(digits):
    X, y = small_digits(digits, 300)
    lstm = rede.MLPClassifier(model_spec="lstm", max_iter=1, random_state=0).fit(X, y)
    assert lstm.predict_proba(X).shape == (300, 10)
    spec = {"type": "sequential", "layers": [
        {"type": "linear", "in_features": 64, "out_features": 12},
        {"type": "tanh"},
        {"type": "linear", "in_features": 12, "out_features": 10}]}
    clf = rede.MLPClassifier(model_spec=spec, max_iter=5, random_state=0).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(64, 12), (12, 10)]
    with pytest.raises(ValueError, match="outputs"):
        rede.MLPClassifier(model_spec={**spec, "layers": spec["layers"][:2]}).fit(X, y)


def test_ctrl_c_stops_training_and_keeps_the_weights(tmp_path):
    script = textwrap.dedent("""
        import sys, numpy as np, rede
        rng = np.random.default_rng(0)
        X = rng.normal(size=(20000, 50)); y = (X[:, 0] > 0).astype(int)
        clf = rede.MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=10000, random_state=0)
        print("ready", flush=True)
        try:
            clf.fit(X, y)
        except KeyboardInterrupt:
            print("interrupted", clf.n_iter_, clf.predict(X[:3]).shape, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    import time
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    words = out.split()
    assert words[0] == "interrupted" and 0 < int(words[1]) < 10000, out
