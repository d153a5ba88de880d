"""Type stubs of the rede package's public API."""

from os import PathLike
from typing import Any, Optional, Union

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

__version__: str
ONNX_OPSET: int

class _MLPBase(BaseEstimator):
    def __init__(
        self,
        hidden_layer_sizes: Union[int, tuple[int, ...]] = ...,
        activation: str = ...,
        *,
        solver: str = ...,
        alpha: float = ...,
        batch_size: Union[int, str] = ...,
        learning_rate: str = ...,
        learning_rate_init: float = ...,
        power_t: float = ...,
        max_iter: int = ...,
        shuffle: bool = ...,
        random_state: Union[int, np.random.RandomState, None] = ...,
        tol: float = ...,
        verbose: bool = ...,
        warm_start: bool = ...,
        momentum: float = ...,
        nesterovs_momentum: bool = ...,
        early_stopping: bool = ...,
        validation_fraction: float = ...,
        beta_1: float = ...,
        beta_2: float = ...,
        epsilon: float = ...,
        n_iter_no_change: int = ...,
        max_fun: int = ...,
        dropout: float = ...,
        l1: float = ...,
        activations: Optional[list[str]] = ...,
        init: Union[str, dict[str, Any], None] = ...,
        standardize: bool = ...,
        model_spec: Union[str, PathLike[str], dict[str, Any], None] = ...,
        device: str = ...,
    ) -> None: ...
    n_iter_: int
    loss_curve_: list[float]
    best_loss_: Optional[float]
    coefs_: list[npt.NDArray[np.float64]]
    intercepts_: list[npt.NDArray[np.float64]]
    n_features_in_: int
    feature_names_in_: npt.NDArray[np.object_]
    n_layers_: int
    n_outputs_: int
    out_activation_: str
    def save(self, path: Union[str, PathLike[str]]) -> None: ...
    def to_onnx(self, path: Union[str, PathLike[str], None] = ...) -> Optional[bytes]: ...

class MLPClassifier(ClassifierMixin, _MLPBase):
    classes_: npt.NDArray[Any]
    def fit(self, X: Any, y: Any) -> "MLPClassifier": ...
    def partial_fit(self, X: Any, y: Any, classes: Any = ...) -> "MLPClassifier": ...
    def predict(self, X: Any) -> npt.NDArray[Any]: ...
    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]: ...
    def predict_log_proba(self, X: Any) -> npt.NDArray[np.float64]: ...

class MLPRegressor(RegressorMixin, _MLPBase):
    def fit(self, X: Any, y: Any) -> "MLPRegressor": ...
    def partial_fit(self, X: Any, y: Any) -> "MLPRegressor": ...
    def predict(self, X: Any) -> npt.NDArray[np.float64]: ...

def load(path: Union[str, PathLike[str]]) -> Union[MLPClassifier, MLPRegressor]: ...
