//! Weights-only persistence for any module: its parameters and buffers by name
//! (PyTorch's `state_dict`), saved as `.safetensors` and loaded back by name.
//!
//! ```
//! use rede::nn::{Linear, Module, StateDict};
//! # fn main() -> rede::Result<()> {
//! let trained = Linear::new(3, 2, &mut rede::Rng::seed(1))?;
//! let fresh = Linear::new(3, 2, &mut rede::Rng::seed(2))?;
//! let report = fresh.load_state_dict(&trained.state_dict(), true)?;
//! assert!(report.is_clean());
//! assert_eq!(fresh.weight().to_vec_f32(), trained.weight().to_vec_f32());
//! # Ok(())
//! # }
//! ```

use super::Module;
use crate::io::model_file::{decode, serialize};
use crate::io::write_atomic;
use crate::{Error, Result, Tensor};
use safetensors::SafeTensors;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

/// Names a state-dict file in its header, so a reader can tell what it holds.
const KEY_CONTENT: &str = "rede.content";
const CONTENT: &str = "state_dict";

/// Tensors by name: a module's parameters and buffers (`"blocks.0.linear.weight"`),
/// without its architecture. The tensors share data with the module they came
/// from (like PyTorch's), but are detached from the graph.
#[derive(Clone, Default)]
pub struct StateDict {
    tensors: BTreeMap<String, Tensor>,
}

impl StateDict {
    /// An empty state dict.
    pub fn new() -> StateDict {
        StateDict::default()
    }

    /// The parameters and buffers of `module`.
    pub fn of<M: Module + ?Sized>(module: &M) -> StateDict {
        let named = module.named_parameters().into_iter().chain(module.named_buffers());
        StateDict { tensors: named.map(|(name, t)| (name, t.detach())).collect() }
    }

    /// Adds or replaces the tensor called `name`.
    pub fn insert(&mut self, name: impl Into<String>, tensor: Tensor) {
        self.tensors.insert(name.into(), tensor);
    }

    /// The tensor called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.get(name)
    }

    /// Removes and returns the tensor called `name` (e.g. to drop a classifier head).
    pub fn remove(&mut self, name: &str) -> Option<Tensor> {
        self.tensors.remove(name)
    }

    /// The names, in sorted order.
    pub fn names(&self) -> Vec<&str> {
        self.tensors.keys().map(String::as_str).collect()
    }

    /// Name and tensor pairs, in sorted order of names.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.tensors.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether there is no tensor.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Writes the tensors to a `.safetensors` file (atomically), each in its own
    /// element type; PyTorch's `safetensors.torch.load_file` reads it.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let named: Vec<(String, Tensor)> = self.tensors.iter().map(|(n, t)| (n.clone(), t.clone())).collect();
        let metadata = HashMap::from([(KEY_CONTENT.to_string(), CONTENT.to_string())]);
        let bytes = serialize(&named, metadata).map_err(|e| Error::file(path, e.to_string()))?;
        write_atomic(path, &bytes)
    }

    /// Reads every f32 or f64 tensor of a `.safetensors` file: one written by
    /// [`StateDict::save`], by [`crate::io::save_model`] or by PyTorch's safetensors.
    pub fn load(path: impl AsRef<Path>) -> Result<StateDict> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let file = SafeTensors::deserialize(&bytes)
            .map_err(|e| Error::file(path, format!("not a valid safetensors file: {e}")))?;
        let mut state = StateDict::new();
        for (name, view) in file.iter() {
            let tensor = decode(&view).map_err(|msg| Error::file(path, format!("tensor {name}: {msg}")))?;
            state.insert(name, tensor);
        }
        Ok(state)
    }

    /// Compares these tensors with the parameters and buffers of `module` by name and shape.
    pub fn check<M: Module + ?Sized>(&self, module: &M) -> LoadReport {
        let targets = StateDict::of(module);
        let mut report = LoadReport::default();
        for (name, target) in &targets.tensors {
            match self.tensors.get(name) {
                None => report.missing.push(name.clone()),
                Some(t) if t.shape() != target.shape() => report.mismatched.push(ShapeMismatch {
                    name: name.clone(),
                    expected: target.shape().to_vec(),
                    found: t.shape().to_vec(),
                }),
                Some(_) => {}
            }
        }
        report.unexpected = self.tensors.keys().filter(|n| !targets.tensors.contains_key(*n)).cloned().collect();
        report
    }

    /// Copies the tensors into `module` in place; see [`Module::load_state_dict`].
    pub fn load_into<M: Module + ?Sized>(&self, module: &M, strict: bool) -> Result<LoadReport> {
        let report = self.check(module);
        if strict && !report.is_clean() {
            return Err(Error::invalid("load_state_dict", format!("nothing was loaded: {report}")));
        }
        for (name, target) in module.named_parameters().into_iter().chain(module.named_buffers()) {
            match self.tensors.get(&name) {
                Some(t) if t.shape() == target.shape() => target.assign(t)?, // converts f64 ↔ f32
                _ => {}
            }
        }
        Ok(report)
    }
}

impl fmt::Debug for StateDict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.tensors.iter().map(|(n, t)| (n, t.shape()))).finish()
    }
}

/// A tensor whose shape differs from the module's tensor of the same name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// The tensor's name.
    pub name: String,
    /// The shape the module has.
    pub expected: Vec<usize>,
    /// The shape the state dict has.
    pub found: Vec<usize>,
}

/// What [`Module::load_state_dict`] could not match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// The module's names the state dict lacks (left as they were).
    pub missing: Vec<String>,
    /// The state dict's names the module lacks (ignored).
    pub unexpected: Vec<String>,
    /// Names both have, with different shapes (left as they were).
    pub mismatched: Vec<ShapeMismatch>,
}

impl LoadReport {
    /// Whether every name matched with its shape.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.mismatched.is_empty()
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return write!(f, "every tensor matched");
        }
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("missing {}", self.missing.join(", ")));
        }
        if !self.unexpected.is_empty() {
            parts.push(format!("unexpected {}", self.unexpected.join(", ")));
        }
        for m in &self.mismatched {
            parts.push(format!(
                "{} has shape {:?} in the state dict but {:?} in the module",
                m.name, m.found, m.expected
            ));
        }
        write!(f, "{}", parts.join("; "))
    }
}
