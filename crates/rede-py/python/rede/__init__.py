"""rede from Python: scikit-learn-compatible neural networks trained by rede's
Rust engine, rede model files, and ONNX export.

>>> import rede
>>> from sklearn.datasets import load_digits
>>> X, y = load_digits(return_X_y=True)
>>> clf = rede.MLPClassifier(hidden_layer_sizes=(64,), random_state=0).fit(X, y)
>>> clf.score(X, y) > 0.95
True
"""

from ._estimators import MLPClassifier, MLPRegressor, load
from ._rede import ONNX_OPSET, __version__

__all__ = ["MLPClassifier", "MLPRegressor", "load", "ONNX_OPSET", "__version__"]
