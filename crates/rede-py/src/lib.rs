//! `rede._rede`: the compiled half of the `rede` Python package. It exposes one
//! class, `NativeModel`, a fitted or unfitted rede estimator that the Python
//! estimators (`rede.MLPClassifier`, `rede.MLPRegressor`) drive: input checks,
//! label handling and the scikit-learn protocol live in Python, training and
//! prediction here, with the GIL released while they run.

mod columns;
mod model;
mod progress;

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;

/// A rede error as the Python exception of the right type: missing files are
/// `FileNotFoundError`, other I/O failures `OSError`, everything else (bad data,
/// bad parameters, unreadable model files) `ValueError`.
pub(crate) fn to_py(e: rede::Error) -> PyErr {
    match &e {
        rede::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(e.to_string())
        }
        rede::Error::Io { .. } => PyOSError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// The layer spec (JSON) of a named preset (`lenet5`, `lstm`) for rows of
/// `n_features` values and `n_outputs` classes.
#[pyfunction]
fn preset_spec(name: &str, n_features: usize, n_outputs: usize) -> PyResult<String> {
    rede::nn::presets::by_name(name, n_features, n_outputs).map(|spec| spec.to_json()).map_err(to_py)
}

/// The layer spec (JSON) of an architecture file (`.toml` or `.json`, as `rede train --arch` reads).
#[pyfunction]
fn architecture_spec(path: std::path::PathBuf) -> PyResult<String> {
    rede::nn::ModelSpec::read(path).map(|spec| spec.to_layer_spec().to_json()).map_err(to_py)
}

#[pymodule]
fn _rede(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<model::NativeModel>()?;
    m.add_function(wrap_pyfunction!(preset_spec, m)?)?;
    m.add_function(wrap_pyfunction!(architecture_spec, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ONNX_OPSET", rede::onnx::OPSET)?;
    Ok(())
}
