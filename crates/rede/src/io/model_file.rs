//! Trained models as one `.safetensors` file: the weights under their layer
//! names, and in the header metadata the architecture (as JSON), the rede
//! version and whatever the caller adds (preprocessing, class labels, metrics).

use super::write_atomic;
use crate::nn::{LayerSpec, Module};
use crate::{DType, Element, Error, Result, Rng, Tensor};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The model-file layout this rede writes and reads.
pub const FORMAT_VERSION: &str = "1";

const KEY_FORMAT: &str = "rede.format";
const KEY_VERSION: &str = "rede.version";
const KEY_SPEC: &str = "rede.spec";

/// A model read back from a file.
pub struct LoadedModel {
    /// The rebuilt module with the saved weights.
    pub module: Box<dyn Module>,
    /// Its architecture.
    pub spec: LayerSpec,
    /// Every metadata entry of the file (the caller's and rede's own `rede.*` keys).
    pub metadata: BTreeMap<String, String>,
}

/// Little-endian bytes of a tensor's elements in its own element type.
fn tensor_bytes(t: &Tensor) -> (Dtype, Vec<u8>) {
    match t.dtype() {
        DType::F32 => (Dtype::F32, t.to_vec::<f32>().iter().flat_map(|v| v.to_le_bytes()).collect()),
        DType::F64 => (Dtype::F64, t.to_vec::<f64>().iter().flat_map(|v| v.to_le_bytes()).collect()),
    }
}

/// Saves `module` (weights and architecture) with extra `metadata`, atomically.
pub fn save_model(path: &Path, module: &dyn Module, metadata: &BTreeMap<String, String>) -> Result<()> {
    let bytes = model_file_bytes(module, metadata).map_err(|e| Error::file(path, e.to_string()))?;
    write_atomic(path, &bytes)
}

/// The bytes [`save_model`] writes, for callers that write several files together
/// (see [`super::StagedFiles`]).
pub fn model_file_bytes(module: &dyn Module, metadata: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let mut info: HashMap<String, String> = metadata.clone().into_iter().collect();
    info.insert(KEY_FORMAT.into(), FORMAT_VERSION.into());
    info.insert(KEY_VERSION.into(), env!("CARGO_PKG_VERSION").into());
    let spec = module.spec().ok_or_else(|| {
        Error::invalid(
            "save",
            "this module has no LayerSpec (a user-defined module), so its architecture cannot be saved; \
             save its weights with module.state_dict().save(path) and load them into a new instance \
             with load_state_dict",
        )
    })?;
    let spec = serde_json::to_string(&spec).map_err(|e| Error::invalid("save", format!("architecture: {e}")))?;
    info.insert(KEY_SPEC.into(), spec);
    // Buffers (batch-norm running statistics) are part of the trained model:
    // without them a loaded network normalizes with the initial mean 0, variance 1.
    let tensors: Vec<(String, Tensor)> = module.named_parameters().into_iter().chain(module.named_buffers()).collect();
    serialize(&tensors, info)
}

/// The safetensors bytes of named tensors (each in its own element type) with header `metadata`.
pub(crate) fn serialize(tensors: &[(String, Tensor)], metadata: HashMap<String, String>) -> Result<Vec<u8>> {
    let named: Vec<(String, Dtype, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(name, t)| {
            let (dtype, bytes) = tensor_bytes(t);
            (name.clone(), dtype, bytes, t.shape().to_vec())
        })
        .collect();
    let views = named
        .iter()
        .map(|(name, dtype, bytes, shape)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::invalid("save", e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, Some(metadata.into_iter().collect()))
        .map_err(|e| Error::invalid("save", e.to_string()))
}

/// Loads a model saved by [`save_model`], validating the header, the format
/// version and every tensor's name, type, shape and values (all finite). The
/// architecture's sizes are checked against the stored tensors before any
/// layer is built, so a damaged header cannot make the loader allocate more
/// than the file holds.
pub fn load_model(path: &Path) -> Result<LoadedModel> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    load_model_bytes(&bytes, &path.display().to_string())
}

/// [`load_model`] of a file's bytes; `source` names the file in errors.
pub fn load_model_bytes(bytes: &[u8], source: &str) -> Result<LoadedModel> {
    let bad = |msg: String| Error::file(source, msg);
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a valid model file (safetensors header: {e})")))?;
    let metadata: BTreeMap<String, String> = header.metadata().clone().unwrap_or_default().into_iter().collect();
    match metadata.get(KEY_FORMAT).map(String::as_str) {
        Some(FORMAT_VERSION) => {}
        Some(other) => {
            return Err(bad(format!(
                "model file format {other}; this rede ({}) reads format {FORMAT_VERSION}",
                env!("CARGO_PKG_VERSION")
            )))
        }
        None => return Err(bad("not a rede model file (no rede.format entry in its metadata)".into())),
    }
    let spec_json = metadata.get(KEY_SPEC).ok_or_else(|| bad("model file has no architecture (rede.spec)".into()))?;
    let spec: LayerSpec = serde_json::from_str(spec_json).map_err(|e| bad(format!("unreadable architecture: {e}")))?;
    let tensors = SafeTensors::deserialize(bytes).map_err(|e| bad(format!("corrupt tensor data: {e}")))?;
    check_against_tensors(&spec, &tensors).map_err(bad)?;
    // Parameters take the element type the weights were saved in.
    let dtype = match tensors.iter().next().map(|(_, v)| v.dtype()) {
        Some(Dtype::F64) => DType::F64,
        _ => DType::F32,
    };
    let module =
        spec.build_with_dtype(&mut Rng::seed(0), dtype).map_err(|e| bad(format!("architecture (rede.spec): {e}")))?;
    let params = module.named_parameters();
    let buffers = module.named_buffers();
    for (name, target) in &params {
        load_tensor(&tensors, name, target).map_err(&bad)?;
    }
    // Files written before buffers were saved hold none: those keep their initial values.
    let stores_buffers = buffers.iter().any(|(name, _)| tensors.tensor(name).is_ok());
    for (name, target) in buffers.iter().filter(|_| stores_buffers) {
        load_tensor(&tensors, name, target).map_err(&bad)?;
    }
    let known = |n: &str| params.iter().chain(&buffers).any(|(p, _)| p == n);
    if let Some(extra) = tensors.names().into_iter().find(|n| !known(n)) {
        return Err(bad(format!("unexpected tensor {extra} (not part of the architecture)")));
    }
    Ok(LoadedModel { module, spec, metadata })
}

/// Copies the stored tensor `name` into `target`, checking its shape.
fn load_tensor(tensors: &SafeTensors<'_>, name: &str, target: &Tensor) -> std::result::Result<(), String> {
    let view = tensors.tensor(name).map_err(|_| format!("missing tensor {name}"))?;
    let saved = decode(&view).map_err(|msg| format!("tensor {name}: {msg}"))?;
    if saved.shape() != target.shape() {
        return Err(format!(
            "tensor {name} has shape {:?}, the architecture needs {:?}",
            saved.shape(),
            target.shape()
        ));
    }
    target.assign(&saved.to_dtype(target.dtype())).map_err(|e| e.to_string()) // a mixed-type file still loads
}

/// Checks the architecture's sizes ([`crate::nn::limits`]) and that the parameters it
/// implies (with or without its buffers: files written before buffers were saved
/// hold none) number exactly the stored tensors' elements, without building anything.
/// The model may hold more than the default limit when the file itself stores that
/// much (the file was trained with a raised limit and already sits in memory).
fn check_against_tensors(spec: &LayerSpec, tensors: &SafeTensors<'_>) -> std::result::Result<(), String> {
    let stored = tensors
        .iter()
        .try_fold(0usize, |sum, (_, view)| {
            let numel = view.shape().iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
            sum.checked_add(numel)
        })
        .ok_or("the stored tensors' sizes overflow")?;
    let limit = crate::nn::limits::max_parameters().max(stored.saturating_mul(3));
    let footprint = spec.check_size(limit).map_err(|e| format!("architecture (rede.spec): {e}"))?;
    if footprint.parameters != stored && footprint.total() != Some(stored) {
        return Err(format!(
            "the architecture (rede.spec) has {} parameters and {} buffer values but the file stores {stored} values",
            footprint.parameters, footprint.buffers
        ));
    }
    Ok(())
}

/// A tensor from a safetensors view of f32 or f64 data, every value finite.
pub(crate) fn decode(view: &TensorView<'_>) -> std::result::Result<Tensor, String> {
    let data = view.data();
    let shape = view.shape();
    let t = match view.dtype() {
        Dtype::F32 => Tensor::from_vec(
            finite(data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("chunk of 4"))))?,
            shape,
        ),
        Dtype::F64 => Tensor::from_vec(
            finite(data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("chunk of 8"))))?,
            shape,
        ),
        other => return Err(format!("element type {other:?} is not supported (f32 or f64)")),
    };
    t.map_err(|e| e.to_string())
}

/// The values, unless one is NaN or infinite.
fn finite<T: Element>(values: impl Iterator<Item = T>) -> std::result::Result<Vec<T>, String> {
    let v: Vec<T> = values.collect();
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(format!("value {i} is not finite (was the model saved after training diverged?)")),
        None => Ok(v),
    }
}
