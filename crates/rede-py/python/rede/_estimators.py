"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's estimators of those
names, trained by rede."""

from __future__ import annotations

import inspect
import json
import os
from typing import Any, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _data
from ._rede import NativeModel, architecture_spec, preset_spec

_PARAMS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu", "gelu"}, default="relu"
        Activation of the hidden layers ("gelu" is a rede extra).
    solver : {"lbfgs", "sgd", "adam", "rmsprop", "adamw"}, default="adam"
        Weight optimizer ("rmsprop" and "adamw" are rede extras; adamw uses
        ``alpha`` as its decoupled weight decay).
    alpha : float, default=1e-4
        L2 penalty, ``alpha/2 * sum(w**2) / batch size``, on weights only.
    batch_size : int or "auto", default="auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive", "step", "cosine"}, default="constant"
        Learning-rate schedule (it applies to every mini-batch solver).
    learning_rate_init : float, default=1e-3
        Initial learning rate.
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    max_iter : int, default=200
        Epochs for the mini-batch solvers, iterations for lbfgs.
    shuffle : bool, default=True
        Reshuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seed of the weights, shuffles and splits.
    tol : float, default=1e-4
        Improvements smaller than this do not count for stopping.
    verbose : bool, default=False
        Print the loss after every epoch.
    warm_start : bool, default=False
        Continue from the fitted weights on the next ``fit`` instead of starting over.
    momentum : float, default=0.9
        SGD momentum.
    nesterovs_momentum : bool, default=True
        Nesterov momentum for SGD.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its score stalls
        and keep the best epoch's weights.
    validation_fraction : float, default=0.1
        Share held out for early stopping.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's moment decay rates and epsilon.
    n_iter_no_change : int, default=10
        Epochs without improvement before training stops.
    max_fun : int, default=15000
        Most loss evaluations for lbfgs.
    dropout : float, default=0.0
        Dropout after each hidden activation, in [0, 1) (rede extra).
    l1 : float, default=0.0
        L1 penalty on the weights (rede extra).
    activations : list of str or None, default=None
        One activation per hidden layer, overriding ``activation`` (rede extra).
    init : str, dict or None, default=None
        Weight initializer, e.g. "he_uniform" or ``{"type": "normal", "mean": 0, "std": 0.01}``;
        None picks He before ReLU-like activations, Glorot otherwise (rede extra).
    standardize : bool, default=True
        Standardize numeric inputs (and regression targets) with the training
        statistics (rede extra).
    model_spec : str, dict or None, default=None
        The whole network instead of an MLP (rede extra): a preset name
        ("lenet5", "lstm"), the path of a ``.toml``/``.json`` architecture file as
        ``rede train --arch`` reads, or a layer spec as a dict. Its input is the
        encoded feature rows; its last layer must give one output per class
        (regression: one).
    device : str, default="cpu"
        Where the mini-batch solvers train: "cpu", "cuda", "cuda:N", or "auto"
        (CUDA device 0 when present). CUDA needs a rede built with the ``cuda``
        feature; the fitted model is the same whatever the device (rede extra).
"""


_CHOICES = {
    "activation": ("identity", "logistic", "tanh", "relu", "gelu"),
    "solver": ("lbfgs", "sgd", "adam", "rmsprop", "adamw"),
    "learning_rate": ("constant", "invscaling", "adaptive", "step", "cosine"),
}


class _MLPBase(BaseEstimator):
    """What both estimators share: parameters, fitting, persistence, ONNX."""

    _kind = ""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        l1=0.0,
        activations=None,
        init=None,
        standardize=True,
        model_spec=None,
        device="cpu",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.l1 = l1
        self.activations = activations
        self.init = init
        self.standardize = standardize
        self.model_spec = model_spec
        self.device = device

    # -- parameters -------------------------------------------------------

    def _rede_params(self, n_features: int, n_outputs: int) -> str:
        """The parameters as the JSON of rede's MlpParams."""
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"unknown {name} {value!r} (choose from: {', '.join(allowed)})")
        sizes = self.hidden_layer_sizes
        sizes = [int(sizes)] if np.isscalar(sizes) else [int(s) for s in sizes]
        if self.batch_size == "auto" or self.batch_size is None:
            batch = None
        else:
            batch = int(self.batch_size)
        seed = self.random_state
        if seed is not None and not isinstance(seed, (int, np.integer)):
            seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
        init = self.init
        if isinstance(init, str):
            init = {"type": init}
        params = {
            "hidden_layer_sizes": sizes,
            "activation": self.activation,
            "solver": self.solver,
            "alpha": float(self.alpha),
            "batch_size": batch,
            "learning_rate": self.learning_rate,
            "learning_rate_init": float(self.learning_rate_init),
            "power_t": float(self.power_t),
            "max_iter": int(self.max_iter),
            "shuffle": bool(self.shuffle),
            "random_state": None if seed is None else int(seed),
            "tol": float(self.tol),
            "momentum": float(self.momentum),
            "nesterovs_momentum": bool(self.nesterovs_momentum),
            "early_stopping": bool(self.early_stopping),
            "validation_fraction": float(self.validation_fraction),
            "beta_1": float(self.beta_1),
            "beta_2": float(self.beta_2),
            "epsilon": float(self.epsilon),
            "n_iter_no_change": int(self.n_iter_no_change),
            "max_fun": int(self.max_fun),
            "dropout": float(self.dropout),
            "l1": float(self.l1),
            "activations": None if self.activations is None else list(self.activations),
            "init": init,
            "standardize": bool(self.standardize),
            "device": str(self.device),
        }
        spec = self._layer_spec(n_features, n_outputs)
        if spec is not None:
            params["model"] = spec
        for name in ("max_iter", "n_iter_no_change", "max_fun"):
            if params[name] < 0:
                raise ValueError(f"{name} must be >= 0, got {params[name]}")
        if batch is not None and batch < 1:
            raise ValueError(f"batch_size must be 'auto' or at least 1, got {batch}")
        return json.dumps(params)

    def _layer_spec(self, n_features: int, n_outputs: int) -> Optional[dict]:
        spec = self.model_spec
        if spec is None or isinstance(spec, dict):
            return spec
        text = os.fspath(spec)
        if text.lower().endswith((".toml", ".json")):
            return json.loads(architecture_spec(text))
        return json.loads(preset_spec(text, n_features, n_outputs))

    # -- fitting ------------------------------------------------------------

    def _fit(self, X, y, *, incremental: bool, classes=None):
        first = not (incremental or self.warm_start) or not hasattr(self, "_native")
        columns, y = _data.features(self, X, reset=first, y=y, y_numeric=self._kind == "regressor")
        target = self._encode_target(y, first=first, classes=classes)
        name = _data.target_name(X, y) if first else self._target_name
        if first:
            n_features = len(columns[0]) if isinstance(columns, tuple) else len(columns)
            n_outputs = len(self.classes_) if self._kind == "classifier" else 1
            self._native = NativeModel(self._kind, self._rede_params(n_features, n_outputs))
        try:
            if incremental or not first:
                epochs = 1 if incremental else int(self.max_iter)
                for _ in range(epochs):
                    self._native.partial_fit(columns, (name, target))
            else:
                self._native.fit(columns, (name, target), bool(self.verbose))
        finally:
            # Also after Ctrl-C: the weights trained so far are kept and described.
            if self._native.is_fitted:
                self._sync(name)
        return self

    def _sync(self, target_name: str) -> None:
        """Copies the fitted state's description onto the estimator's attributes."""
        native = self._native
        self._target_name = target_name
        self._input_columns = native.input_columns
        self.n_iter_ = native.n_iter
        self.loss_curve_ = list(native.loss_curve)
        self.coefs_ = native.coefs()
        self.intercepts_ = native.intercepts()
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = len(self.classes_) if self._kind == "classifier" else 1
        if self.early_stopping:
            self.validation_scores_ = list(native.validation_scores)
            self.best_validation_score_ = native.best_validation_score
            self.best_loss_ = None
        else:
            self.best_loss_ = native.best_loss
        if not hasattr(self, "n_features_in_"):
            self.n_features_in_ = len(self._input_columns)

    def _predict_raw(self, X) -> np.ndarray:
        check_is_fitted(self, "_native")
        columns, _ = _data.features(self, X, reset=False)
        return self._native.predict(columns)

    # -- persistence ----------------------------------------------------------

    def __getstate__(self):
        # A copy: object.__getstate__ hands back the instance's own __dict__.
        state = dict(super().__getstate__())
        native = state.pop("_native", None)
        if native is not None:
            # The whole fitted state, as the bytes of a rede model file.
            state["_native_bytes"] = native.to_bytes()
        return state

    def __setstate__(self, state):
        data = state.pop("_native_bytes", None)
        super().__setstate__(state)
        if data is not None:
            self._native = NativeModel.from_bytes(data)

    def save(self, path) -> None:
        """Save the fitted model as a rede model file.

        ``rede predict``, ``rede eval`` and ``rede export`` read it, and
        :func:`rede.load` loads it back.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (``.safetensors``); it is replaced atomically.
        """
        check_is_fitted(self, "_native")
        self._native.save(os.fspath(path))

    def to_onnx(self, path=None):
        """Export the fitted model, preprocessing included, as ONNX (opset 17).

        Parameters
        ----------
        path : str, os.PathLike or None, default=None
            Where to write the model (replaced atomically); None returns the bytes.

        Returns
        -------
        bytes or None
            The serialized ONNX model when ``path`` is None.

        Notes
        -----
        Numeric data gives one input ``features`` (float32, ``[N, n_features_in_]``);
        data frames with text columns give one ``[N, 1]`` input per column
        (float32 or string). Classifiers output ``probabilities`` and ``label``,
        regressors ``prediction``.
        """
        check_is_fitted(self, "_native")
        if path is None:
            return self._native.onnx_bytes()
        self._native.save_onnx(os.fspath(path))
        return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = False
        tags.non_deterministic = self.random_state is None
        return tags


class MLPClassifier(ClassifierMixin, _MLPBase):
    __doc__ = (
        """Multi-layer perceptron classifier trained by rede.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same parameters,
    defaults, methods and fitted attributes), with softmax outputs trained on
    cross-entropy, plus rede's extras. Accepts NumPy arrays, nested lists and
    pandas DataFrames (text columns are one-hot encoded), and string or integer labels.
    """
        + _PARAMS_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the order of ``predict_proba``'s columns.
    loss_curve_ : list of float
        Training loss of each epoch.
    best_loss_ : float or None
        The lowest training loss (None with early stopping).
    validation_scores_, best_validation_score_ : list of float, float
        Validation accuracy per epoch and its best value (with early stopping).
    n_iter_ : int
        Epochs (or lbfgs iterations) run.
    coefs_, intercepts_ : list of ndarray
        Weights (matrices as ``[in, out]``) and biases of each layer.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names (when fitted on a DataFrame).
    n_layers_, n_outputs_ : int
        Layers (input and output counted) and outputs.
    out_activation_ : str
        "softmax".

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import rede
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = rede.MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """
    )

    _kind = "classifier"

    def _encode_target(self, y, *, first: bool, classes=None):
        """y as the target column rede learns: numeric class values when the labels
        are whole numbers, the labels' text when they are strings, else the index
        into ``classes_`` (rede's class order is then ``classes_``'s order)."""
        if y is None:
            raise ValueError("MLPClassifier requires y to be passed, but the target y is None.")
        check_classification_targets(y)
        y = np.asarray(y)
        if first:
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(labels) < 2:
                raise ValueError(
                    f"MLPClassifier needs samples of at least 2 classes, but the data contains only 1 class: {labels[0]!r}"
                )
            self.classes_ = labels
            self.out_activation_ = "softmax"
        present = np.unique(y)
        unknown = np.setdiff1d(present, self.classes_)
        if len(unknown):
            raise ValueError(f"y contains labels not in classes: {list(unknown)}; the classes are {list(self.classes_)}")
        if first and len(present) < len(self.classes_):
            missing = list(np.setdiff1d(self.classes_, present))
            raise ValueError(
                f"the first batch lacks the classes {missing}; rede learns the classes from "
                "the first partial_fit batch, so it must contain every class"
            )
        index = np.searchsorted(self.classes_, y)
        kind = self.classes_.dtype.kind
        if kind in "iu" or (kind == "f" and np.all(self.classes_ == np.round(self.classes_))):
            return self.classes_[index].astype(np.float64)
        if kind in "UO" and all(isinstance(c, str) for c in self.classes_):
            return [str(v) for v in self.classes_[index]]
        return index.astype(np.float64)

    def fit(self, X, y):
        """Fit the model to data X and labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            Training data; DataFrame text columns are one-hot encoded.
        y : array-like of shape (n_samples,)
            Class labels (strings or numbers).

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over X, y, continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            Every class; required on the first call (which must contain them all).

        Returns
        -------
        self : MLPClassifier
            The updated estimator.
        """
        if not hasattr(self, "_native") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            The samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return self._predict_raw(X)

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            The samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            The samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Class labels, from ``classes_``.
        """
        proba = self.predict_proba(X)  # first: it raises NotFittedError before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]


class MLPRegressor(RegressorMixin, _MLPBase):
    __doc__ = (
        """Multi-layer perceptron regressor trained by rede.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor` (same parameters,
    defaults, methods and fitted attributes): one linear output trained on half
    the squared error, with the target standardized during training unless
    ``standardize=False``; predictions are in the target's units.
    """
        + _PARAMS_DOC
        + """
    Attributes
    ----------
    loss_curve_ : list of float
        Training loss of each epoch.
    best_loss_ : float or None
        The lowest training loss (None with early stopping).
    validation_scores_, best_validation_score_ : list of float, float
        Validation R² per epoch and its best value (with early stopping).
    n_iter_ : int
        Epochs (or lbfgs iterations) run.
    coefs_, intercepts_ : list of ndarray
        Weights (matrices as ``[in, out]``) and biases of each layer.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names (when fitted on a DataFrame).
    n_layers_, n_outputs_ : int
        Layers (input and output counted) and outputs (1).
    out_activation_ : str
        "identity".

    Examples
    --------
    >>> import numpy as np, rede
    >>> X = np.linspace(0, 1, 50).reshape(-1, 1); y = 3 * X.ravel() + 1
    >>> reg = rede.MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """
    )

    _kind = "regressor"

    def _encode_target(self, y, *, first: bool, classes=None):
        if y is None:
            raise ValueError("MLPRegressor requires y to be passed, but the target y is None.")
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"MLPRegressor predicts one target; y must be 1-D, got shape {y.shape}")
        self.out_activation_ = "identity"
        return y

    def fit(self, X, y):
        """Fit the model to data X and targets y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            Training data; DataFrame text columns are one-hot encoded.
        y : array-like of shape (n_samples,)
            Target values.

        Returns
        -------
        self : MLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y):
        """One epoch over X, y, continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            Training data.
        y : array-like of shape (n_samples,)
            Target values.

        Returns
        -------
        self : MLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, incremental=True)

    def predict(self, X) -> np.ndarray:
        """Predicted values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            The samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predictions, in the target's units.
        """
        return self._predict_raw(X)[:, 0]


def load(path) -> Any:
    """Load a rede model file, as written by ``rede train``, ``rede search`` or ``save``.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.safetensors`` model file.

    Returns
    -------
    MLPClassifier or MLPRegressor
        A fitted estimator; it predicts on DataFrames with the training file's
        columns, or on arrays of them in that order.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        When it is not a rede model file.
    """
    native = NativeModel.load(os.fspath(path))
    params = json.loads(native.params_json)
    cls = MLPClassifier if native.kind == "classifier" else MLPRegressor
    # Model files may carry training settings the constructor has no parameter
    # for (such as the CLI's image scaling); they do not change predictions.
    known = inspect.signature(cls.__init__).parameters
    est = cls(**{k: v for k, v in _sklearn_params(params).items() if k in known})
    est._native = native
    if cls is MLPClassifier:
        est.classes_ = _labels(native.classes)
        est.out_activation_ = "softmax"
    else:
        est.out_activation_ = "identity"
    columns = native.input_columns
    est.n_features_in_ = len(columns)
    if columns != [f"x{j}" for j in range(len(columns))]:
        est.feature_names_in_ = np.asarray(columns, dtype=object)
    est._sync(native.target_name)
    return est


def _labels(classes: list) -> np.ndarray:
    """Class labels from a model file: integers when they all are, else text."""
    try:
        return np.asarray([int(c) for c in classes])
    except ValueError:
        return np.asarray(classes, dtype=object)


def _sklearn_params(params: dict) -> dict:
    """rede's MlpParams (JSON) as the estimators' constructor arguments."""
    out = {k: v for k, v in params.items() if k != "model"}
    out["hidden_layer_sizes"] = tuple(params.get("hidden_layer_sizes", (100,)))
    if out.get("batch_size") is None:
        out["batch_size"] = "auto"
    if params.get("model") is not None:
        out["model_spec"] = params["model"]
    return out
