"""Turning what users pass (NumPy arrays, pandas DataFrames, nested lists) into
the columns the compiled module reads, with scikit-learn's checks and messages."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_consistent_length, validate_data


def _is_frame(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _is_numeric_series(series: Any) -> bool:
    kind = getattr(series.dtype, "kind", "O")
    return kind in "iuf"


def has_text_columns(X: Any) -> bool:
    """Whether X is a data frame with a column that is not numeric (text, categories, bools)."""
    return _is_frame(X) and not all(_is_numeric_series(X[c]) for c in X.columns)


def _allows_nan(est: Any, reset: bool) -> bool:
    """NaN marks a missing value only for a fitted model that imputes (trained by the
    CLI with ``--impute``); elsewhere it is an error, as in scikit-learn's MLPs."""
    native = getattr(est, "_native", None)
    return not reset and native is not None and native.imputes


def _frame_columns(est: Any, X: Any, allow_nan: bool = False) -> tuple[list, int]:
    """Named columns of a data frame: numbers as float64 arrays, the rest as text."""
    columns = []
    for name in X.columns:
        series = X[name]
        if _is_numeric_series(series):
            values = series.to_numpy(dtype=np.float64)
            bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
            if bad.any():
                row = int(np.argmax(bad))
                raise ValueError(
                    f"Input X contains NaN or infinity: column {name!r}, row {row} is {values[row]}"
                )
            columns.append((str(name), values))
        else:
            # A missing text value becomes the empty category.
            text = ["" if _is_missing(v) else str(v) for v in series.tolist()]
            columns.append((str(name), text))
    return columns, len(X)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def features(est: Any, X: Any, *, reset: bool, y: Any = None, y_numeric: bool = False):
    """The features as the compiled module takes them, and y checked alongside.

    Numeric data goes through scikit-learn's ``validate_data`` (its messages and
    the ``n_features_in_``/``feature_names_in_`` bookkeeping) and is passed as
    ``(names, matrix)``; data frames with text columns become named columns.
    """
    if has_text_columns(X):
        return _text_frame(est, X, reset=reset, y=y, y_numeric=y_numeric)
    dtypes = [np.float64, np.float32]
    if y is None:
        finite = "allow-nan" if _allows_nan(est, reset) else True
        X = validate_data(est, X, reset=reset, dtype=dtypes, ensure_min_samples=1, ensure_all_finite=finite)
    else:
        X, y = validate_data(est, X, y, reset=reset, dtype=dtypes, y_numeric=y_numeric)
    names = list(getattr(est, "_input_columns", None) or [])
    if reset or len(names) != X.shape[1]:
        given = getattr(est, "feature_names_in_", None)
        names = [str(n) for n in given] if given is not None else [f"x{j}" for j in range(X.shape[1])]
    return (names, X), y


def _text_frame(est: Any, X: Any, *, reset: bool, y: Any, y_numeric: bool):
    if len(X) == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
    names = [str(c) for c in X.columns]
    if reset:
        est.n_features_in_ = len(names)
        est.feature_names_in_ = np.asarray(names, dtype=object)
    else:
        expected = list(est.feature_names_in_)
        missing = [n for n in expected if n not in names]
        unexpected = [n for n in names if n not in expected]
        if missing or unexpected:
            raise ValueError(
                "The feature names should match those that were passed during fit: "
                f"missing {missing or 'none'}, unexpected {unexpected or 'none'}"
            )
        X = X[expected]
    columns, n = _frame_columns(est, X, _allows_nan(est, reset))
    if y is not None:
        check_consistent_length(columns[0][1], y)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y_numeric:
            y = y.astype(np.float64)
            if not np.all(np.isfinite(y)):
                raise ValueError("Input y contains NaN or infinity.")
    return columns, y


def target_name(X: Any, y: Any) -> str:
    """The target column's name: the Series' own name when it is free, else 'y'."""
    taken = {str(c) for c in X.columns} if _is_frame(X) else set()
    for name in (getattr(y, "name", None), "y", "target", "__rede_target__"):
        if isinstance(name, str) and name and name not in taken:
            return name
    return "__rede_target__"
