//! Saved optimizer state: plain serializable data, so a run can stop and resume
//! on exactly the same trajectory.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A named vector of state values (a moment estimate, an L-BFGS history vector, …).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedBuffer {
    /// What the values are, e.g. `"exp_avg"`.
    pub name: String,
    /// The values, flattened row-major (f64 whatever the parameter type).
    pub values: Vec<f64>,
}

/// The state an optimizer keeps for one parameter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamState {
    /// The parameter's shape, checked on load.
    pub shape: Vec<usize>,
    /// How many updates the parameter has had.
    pub step: u64,
    /// The per-element buffers, one value per parameter element.
    pub buffers: Vec<NamedBuffer>,
}

/// Everything an optimizer needs to continue a run: produced by
/// [`Optimizer::state_dict`](super::Optimizer::state_dict), consumed by
/// [`Optimizer::load_state_dict`](super::Optimizer::load_state_dict).
/// Serializable with serde (e.g. JSON via [`OptimizerState::save_json`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    /// Which optimizer wrote it (`"sgd"`, `"adam"`, …); loading into another kind fails.
    pub kind: String,
    /// The learning rate at the time of saving (restored on load, like PyTorch's param groups).
    pub learning_rate: f64,
    /// Per-parameter state, in the order of the optimizer's parameters.
    pub params: Vec<ParamState>,
    /// State over all parameters at once (L-BFGS's history), if any.
    pub global: Vec<NamedBuffer>,
    /// Named counters and scalars over all parameters (L-BFGS's iteration count), if any.
    pub scalars: Vec<(String, f64)>,
}

impl OptimizerState {
    /// Fails unless the state was written by an optimizer of kind `kind`.
    pub(crate) fn check_kind(&self, kind: &str) -> Result<()> {
        if self.kind != kind {
            return Err(Error::invalid(
                "load_state_dict",
                format!("state of a {} optimizer given to {kind}", self.kind),
            ));
        }
        Ok(())
    }

    /// The global buffer called `name`.
    pub(crate) fn global(&self, name: &str) -> Result<&[f64]> {
        self.global
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.values.as_slice())
            .ok_or_else(|| Error::invalid("load_state_dict", format!("missing buffer {name}")))
    }

    /// The scalar called `name`.
    pub(crate) fn scalar(&self, name: &str) -> Result<f64> {
        self.scalars
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
            .ok_or_else(|| Error::invalid("load_state_dict", format!("missing value {name}")))
    }

    /// Writes the state as JSON (f64 values round-trip exactly).
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let text = serde_json::to_string(self).map_err(|e| Error::file(path, e.to_string()))?;
        std::fs::write(path, text).map_err(|e| Error::io(path, e))
    }

    /// Reads a state written by [`OptimizerState::save_json`].
    pub fn load_json(path: impl AsRef<Path>) -> Result<OptimizerState> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::file(path, format!("line {}, column {}: {e}", e.line(), e.column())))
    }
}
