//! Trained models as one `.safetensors` file: the weights under their layer
//! names, and in the header metadata the architecture (as JSON), the rede
//! version and whatever the caller adds (preprocessing, class labels, metrics).

use super::write_atomic;
use crate::nn::{LayerSpec, Module};
use crate::{DType, Error, Result, Rng, Tensor};
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
    let mut info: HashMap<String, String> = metadata.clone().into_iter().collect();
    info.insert(KEY_FORMAT.into(), FORMAT_VERSION.into());
    info.insert(KEY_VERSION.into(), env!("CARGO_PKG_VERSION").into());
    let spec = module.spec().ok_or_else(|| {
        Error::file(
            path,
            "this module has no LayerSpec (a user-defined module), so its architecture cannot be saved; \
             save its weights with module.state_dict().save(path) and load them into a new instance \
             with load_state_dict",
        )
    })?;
    let spec = serde_json::to_string(&spec).map_err(|e| Error::file(path, format!("architecture: {e}")))?;
    info.insert(KEY_SPEC.into(), spec);
    write_atomic(path, &serialize(path, &module.named_parameters(), info)?)
}

/// The safetensors bytes of named tensors (each in its own element type) with header `metadata`;
/// `path` names the file in errors.
pub(crate) fn serialize(
    path: &Path,
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
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
                .map_err(|e| Error::file(path, e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, Some(metadata.into_iter().collect())).map_err(|e| Error::file(path, e.to_string()))
}

/// Loads a model saved by [`save_model`], validating the header, the format
/// version and every tensor's name, type and shape.
pub fn load_model(path: &Path) -> Result<LoadedModel> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |msg: String| Error::file(path, msg);
    let (_, header) = SafeTensors::read_metadata(&bytes)
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
    let tensors = SafeTensors::deserialize(&bytes).map_err(|e| bad(format!("corrupt tensor data: {e}")))?;
    // Parameters take the element type the weights were saved in.
    let dtype = match tensors.iter().next().map(|(_, v)| v.dtype()) {
        Some(Dtype::F64) => DType::F64,
        _ => DType::F32,
    };
    let module = spec.build_with_dtype(&mut Rng::seed(0), dtype)?;
    let params = module.named_parameters();
    for (name, param) in &params {
        let view = tensors.tensor(name).map_err(|_| bad(format!("missing tensor {name}")))?;
        let saved = decode(&view).map_err(|msg| bad(format!("tensor {name}: {msg}")))?;
        if saved.shape() != param.shape() {
            return Err(bad(format!(
                "tensor {name} has shape {:?}, the architecture needs {:?}",
                saved.shape(),
                param.shape()
            )));
        }
        param.assign(&saved.to_dtype(param.dtype()))?; // a mixed-type file still loads
    }
    if let Some(extra) = tensors.names().into_iter().find(|n| !params.iter().any(|(p, _)| p == n)) {
        return Err(bad(format!("unexpected tensor {extra} (not part of the architecture)")));
    }
    Ok(LoadedModel { module, spec, metadata })
}

/// A tensor from a safetensors view of f32 or f64 data.
pub(crate) fn decode(view: &TensorView<'_>) -> std::result::Result<Tensor, String> {
    let data = view.data();
    let shape = view.shape();
    let t = match view.dtype() {
        Dtype::F32 => Tensor::from_vec(
            data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("chunk of 4"))).collect::<Vec<_>>(),
            shape,
        ),
        Dtype::F64 => Tensor::from_vec(
            data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("chunk of 8"))).collect::<Vec<_>>(),
            shape,
        ),
        other => return Err(format!("element type {other:?} is not supported (f32 or f64)")),
    };
    t.map_err(|e| e.to_string())
}
