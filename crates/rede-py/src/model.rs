//! `NativeModel`: a rede estimator held for Python.

use crate::columns::{table, Features, PyColumn};
use crate::progress::Progress;
use crate::to_py;
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rede::estimator::{Estimator, MlpClassifier, MlpParams, MlpRegressor, Solver};
use rede::{Device, Result, Tensor};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// A rede MLP classifier or regressor, fitted or not. The Python estimators own one.
#[pyclass(module = "rede._rede", name = "NativeModel")]
pub(crate) struct NativeModel {
    // A Mutex because the optimizer state is Send but not Sync.
    inner: Mutex<Estimator>,
}

impl NativeModel {
    fn wrap(estimator: Estimator) -> NativeModel {
        NativeModel { inner: Mutex::new(estimator) }
    }

    fn lock(&self) -> PyResult<MutexGuard<'_, Estimator>> {
        self.inner.lock().map_err(|_| PyRuntimeError::new_err("a previous call panicked inside this model"))
    }
}

/// The parameters' `device` entry ("cpu", "cuda", "cuda:N" or "auto"; default
/// "cpu"), which `MlpParams` does not deserialize because a saved model does not
/// keep its device. "auto" picks CUDA device 0 when present, except for L-BFGS.
fn requested_device(params_json: &str, params: &MlpParams) -> PyResult<Device> {
    let value: serde_json::Value =
        serde_json::from_str(params_json).map_err(|e| PyValueError::new_err(format!("invalid parameters: {e}")))?;
    match value.get("device").and_then(serde_json::Value::as_str).unwrap_or("cpu") {
        "auto" if params.solver == Solver::Lbfgs => Ok(Device::Cpu),
        "auto" => Ok(Device::cuda_if_available(0)),
        text => {
            let device: Device = text.parse().map_err(to_py)?;
            device.check_available().map_err(to_py)?;
            Ok(device)
        }
    }
}

#[pymethods]
impl NativeModel {
    /// An unfitted estimator: `kind` is "classifier" or "regressor", `params_json` an MlpParams object.
    #[new]
    fn new(kind: &str, params_json: &str) -> PyResult<NativeModel> {
        let params: MlpParams =
            serde_json::from_str(params_json).map_err(|e| PyValueError::new_err(format!("invalid parameters: {e}")))?;
        params.validate().map_err(to_py)?;
        let params = MlpParams { device: requested_device(params_json, &params)?, ..params };
        Ok(NativeModel::wrap(match kind {
            "classifier" => Estimator::Classifier(MlpClassifier::new(params)),
            "regressor" => Estimator::Regressor(MlpRegressor::new(params)),
            other => return Err(PyValueError::new_err(format!("unknown estimator kind '{other}'"))),
        }))
    }

    /// Fits from scratch on the feature columns and the target column, without the GIL.
    fn fit(&self, py: Python<'_>, columns: Features, target: (String, PyColumn), verbose: bool) -> PyResult<()> {
        let name = target.0.clone();
        let data = table(columns, Some(target))?;
        let mut guard = self.lock()?;
        // Plain `&mut` references, which are Send, cross into the GIL-free closure.
        let (estimator, mut progress) = (&mut *guard, Progress::new(verbose));
        let callback = &mut progress;
        py.allow_threads(move || match estimator {
            Estimator::Classifier(c) => c.fit_table_with(&data, &name, callback).map(|_| ()),
            Estimator::Regressor(r) => r.fit_table_with(&data, &name, callback).map(|_| ()),
        })
        .map_err(to_py)?;
        // Ctrl-C ended training early: the weights so far are kept, and Python sees the interrupt.
        progress.interrupted.map_or(Ok(()), Err)
    }

    /// One epoch over the data, continuing from the current state, without the GIL.
    fn partial_fit(&self, py: Python<'_>, columns: Features, target: (String, PyColumn)) -> PyResult<()> {
        let name = target.0.clone();
        let data = table(columns, Some(target))?;
        let mut guard = self.lock()?;
        let estimator = &mut *guard;
        py.allow_threads(move || match estimator {
            Estimator::Classifier(c) => c.partial_fit_table(&data, &name).map(|_| ()),
            Estimator::Regressor(r) => r.partial_fit_table(&data, &name).map(|_| ()),
        })
        .map_err(to_py)
    }

    /// Class probabilities `[n, classes]` (classifier) or predictions `[n, 1]` (regressor).
    fn predict<'py>(&self, py: Python<'py>, columns: Features) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let data = table(columns, None)?;
        let mut guard = self.lock()?;
        // `&mut`, not `&`: the estimator is Send but not Sync.
        let estimator = &mut *guard;
        let (values, width) = py
            .allow_threads(move || -> Result<(Vec<f64>, usize)> {
                Ok(match estimator {
                    Estimator::Classifier(c) => (c.predict_proba_table(&data)?.to_vec_f64(), c.classes().len()),
                    Estimator::Regressor(r) => (r.predict_table(&data)?, 1),
                })
            })
            .map_err(to_py)?;
        let rows = values.len() / width.max(1);
        PyArray1::from_vec(py, values).reshape([rows, width])
    }

    /// "classifier" or "regressor".
    #[getter]
    fn kind(&self) -> PyResult<&'static str> {
        Ok(match &*self.lock()? {
            Estimator::Classifier(_) => "classifier",
            Estimator::Regressor(_) => "regressor",
        })
    }

    /// Whether the model has been fitted (or loaded).
    #[getter]
    fn is_fitted(&self) -> PyResult<bool> {
        Ok(match &*self.lock()? {
            Estimator::Classifier(c) => c.is_fitted(),
            Estimator::Regressor(r) => r.is_fitted(),
        })
    }

    /// The hyperparameters, as the JSON of rede's MlpParams.
    #[getter]
    fn params_json(&self) -> PyResult<String> {
        serde_json::to_string(self.lock()?.params()).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The class labels in the order of the probability columns (None for a regressor).
    #[getter]
    fn classes(&self) -> PyResult<Option<Vec<String>>> {
        Ok(match &*self.lock()? {
            Estimator::Classifier(c) => Some(c.classes()),
            Estimator::Regressor(_) => None,
        })
    }

    /// The input columns the model reads, in training order (empty before fitting).
    #[getter]
    fn input_columns(&self) -> PyResult<Vec<String>> {
        let estimator = self.lock()?;
        Ok(pipeline(&estimator).map(|p| p.input_columns().iter().map(|s| s.to_string()).collect()).unwrap_or_default())
    }

    /// Which input columns hold text (one-hot encoded).
    #[getter]
    fn text_columns(&self) -> PyResult<Vec<String>> {
        let estimator = self.lock()?;
        let Some(p) = pipeline(&estimator) else { return Ok(Vec::new()) };
        let text = p.encodings().into_iter().filter(|(_, e)| matches!(e, rede::data::ColumnEncoding::OneHot(_)));
        Ok(text.map(|(name, _)| name.to_string()).collect())
    }

    /// Whether the fitted model fills missing numeric values (a CLI model trained
    /// with `--impute`), so NaN inputs are allowed at prediction.
    #[getter]
    fn imputes(&self) -> PyResult<bool> {
        let estimator = self.lock()?;
        Ok(pipeline(&estimator).is_some_and(|p| p.preprocessing().impute.is_some()))
    }

    /// The target column's name (None before fitting).
    #[getter]
    fn target_name(&self) -> PyResult<Option<String>> {
        let estimator = self.lock()?;
        Ok(pipeline(&estimator).map(|p| p.target_name().to_string()))
    }

    /// Training loss of each epoch.
    #[getter]
    fn loss_curve(&self) -> PyResult<Vec<f64>> {
        Ok(self.lock()?.record().loss_curve.clone())
    }

    /// Validation score of each epoch (with early stopping).
    #[getter]
    fn validation_scores(&self) -> PyResult<Vec<f64>> {
        Ok(self.lock()?.record().validation_scores.clone())
    }

    /// The lowest training loss.
    #[getter]
    fn best_loss(&self) -> PyResult<Option<f64>> {
        Ok(self.lock()?.record().best_loss)
    }

    /// The best validation score (with early stopping).
    #[getter]
    fn best_validation_score(&self) -> PyResult<Option<f64>> {
        Ok(self.lock()?.record().best_validation_score)
    }

    /// Epochs (or lbfgs iterations) run.
    #[getter]
    fn n_iter(&self) -> PyResult<usize> {
        Ok(self.lock()?.record().n_iter)
    }

    /// Each layer's weights, matrices as `[in, out]` (scikit-learn's `coefs_`).
    fn coefs<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let estimator = self.lock()?;
        let weights = match &*estimator {
            Estimator::Classifier(c) => c.coefs(),
            Estimator::Regressor(r) => r.coefs(),
        };
        weights.iter().map(|w| array(py, &if w.rank() == 2 { w.t().map_err(to_py)? } else { w.clone() })).collect()
    }

    /// Each layer's bias (scikit-learn's `intercepts_`).
    fn intercepts<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let estimator = self.lock()?;
        let biases = match &*estimator {
            Estimator::Classifier(c) => c.intercepts(),
            Estimator::Regressor(r) => r.intercepts(),
        };
        biases.iter().map(|b| array(py, b)).collect()
    }

    /// The whole fitted state as the bytes of a rede model file (safetensors).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.lock()?.to_bytes(&BTreeMap::new()).map_err(to_py)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A model from [`NativeModel::to_bytes`]'s output.
    #[staticmethod]
    fn from_bytes(bytes: &[u8]) -> PyResult<NativeModel> {
        Estimator::from_bytes(bytes, "pickled model").map(NativeModel::wrap).map_err(to_py)
    }

    /// Saves the fitted model as a rede model file (the CLI reads it), atomically.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        let extra = BTreeMap::new();
        match &*self.lock()? {
            Estimator::Classifier(c) => c.save_with_metadata(&path, &extra),
            Estimator::Regressor(r) => r.save_with_metadata(&path, &extra),
        }
        .map_err(to_py)
    }

    /// Loads a rede model file (from the CLI, or `save`).
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<NativeModel> {
        Estimator::load(&path).map(NativeModel::wrap).map_err(to_py)
    }

    /// The fitted model as the bytes of an ONNX model.
    fn onnx_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = rede::onnx::to_bytes(&*self.fitted()?).map_err(to_py)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Writes the fitted model as an ONNX file, atomically.
    fn save_onnx(&self, path: PathBuf) -> PyResult<()> {
        rede::onnx::save(&*self.fitted()?, &path).map_err(to_py)
    }
}

impl NativeModel {
    fn fitted(&self) -> PyResult<MutexGuard<'_, Estimator>> {
        let estimator = self.lock()?;
        if pipeline(&estimator).is_none() {
            return Err(PyValueError::new_err("the model is not fitted yet (call fit first)"));
        }
        Ok(estimator)
    }
}

fn pipeline(estimator: &Estimator) -> Option<&rede::data::FeaturePipeline> {
    match estimator {
        Estimator::Classifier(c) => c.pipeline(),
        Estimator::Regressor(r) => r.pipeline(),
    }
}

/// A tensor as a float64 NumPy array of its shape.
fn array<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_vec(py, t.to_vec_f64()).reshape(t.shape())?.into_any())
}
