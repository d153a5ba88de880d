//! ONNX export: a fitted estimator — its feature pipeline and its network — as one
//! ONNX graph (opset 17) that any ONNX runtime can run without rede.
//!
//! The graph's contract:
//! - inputs: for all-numeric data one input `features`, float32 `[N, F]`, the raw
//!   feature columns in training order; with text columns, one input per column,
//!   named after it, float32 or string `[N, 1]`;
//! - preprocessing inside the graph: standardization (Sub, Div) and one-hot
//!   encoding (`ai.onnx.ml` OneHotEncoder);
//! - outputs: `probabilities` `[N, C]` and `label` `[N]` for classifiers (int64
//!   labels when every class is a whole number, else strings), `prediction` `[N, 1]`
//!   for regressors, in the target's units.
//!
//! Every layer rede has maps to standard operators: Gemm, Conv, MaxPool,
//! AveragePool, GlobalAveragePool, BatchNormalization, Flatten, Reshape, Gather,
//! the RNN/LSTM/GRU operators and every activation (GELU as Erf arithmetic).
//!
//! ```no_run
//! use rede::estimator::Estimator;
//! # fn main() -> rede::Result<()> {
//! let model = Estimator::load("model.safetensors")?;
//! rede::onnx::save(&model, "model.onnx")?;
//! # Ok(())
//! # }
//! ```

mod contract;
mod graph;
mod layers;
#[allow(missing_docs, clippy::all, clippy::pedantic)]
#[rustfmt::skip]
pub mod proto;
#[cfg(test)]
mod tests;

pub use contract::{FEATURES, LABEL, PREDICTION, PROBABILITIES};

use crate::data::FeaturePipeline;
use crate::estimator::Estimator;
use crate::nn::Module;
use crate::{Error, Result};
use prost::Message;
use proto::{ModelProto, OperatorSetIdProto, StringStringEntryProto};
use std::path::Path;

/// The version of the default ONNX operator set the graphs use.
pub const OPSET: i64 = 17;
/// The version of the `ai.onnx.ml` operator set (for one-hot encoding).
pub const ML_OPSET: i64 = 3;
/// The ONNX IR version that goes with [`OPSET`].
const IR_VERSION: i64 = 8;

/// The ONNX model of a fitted pipeline and network.
pub fn model_proto(pipeline: &FeaturePipeline, module: &dyn Module) -> Result<ModelProto> {
    let mut graph = graph::Graph::default();
    let features = contract::encoded_features(&mut graph, pipeline)?;
    let input = layers::Value { name: features, shape: vec![1, pipeline.n_features()] };
    let weights = layers::Weights::of(module);
    let spec = module.spec().ok_or_else(|| {
        Error::invalid("onnx export", "the network has no architecture description (a user-defined module)")
    })?;
    let out = layers::emit(&mut graph, &spec, &weights, "", input)?;
    contract::outputs(&mut graph, pipeline, &out.name)?;
    let mut opset_import = vec![opset("", OPSET)];
    if graph.uses_ml_domain {
        opset_import.push(opset(graph::ML_DOMAIN, ML_OPSET));
    }
    let entry = |key: &str, value: String| StringStringEntryProto { key: Some(key.into()), value: Some(value) };
    let mut metadata_props = vec![entry("target", pipeline.target_name().to_string())];
    if let Some(classes) = pipeline.class_labels() {
        metadata_props.push(entry("classes", serde_json::to_string(&classes).expect("strings serialize")));
    }
    Ok(ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import,
        producer_name: Some("rede".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        graph: Some(graph.finish("rede")),
        metadata_props,
        ..Default::default()
    })
}

fn opset(domain: &str, version: i64) -> OperatorSetIdProto {
    OperatorSetIdProto { domain: Some(domain.into()), version: Some(version) }
}

/// The serialized ONNX model of an estimator.
pub fn to_bytes(estimator: &Estimator) -> Result<Vec<u8>> {
    Ok(model_proto(estimator.pipeline(), estimator.module())?.encode_to_vec())
}

/// Writes an estimator as an ONNX file, atomically (a temporary file renamed into place).
pub fn save(estimator: &Estimator, path: impl AsRef<Path>) -> Result<()> {
    crate::io::write_atomic(path.as_ref(), &to_bytes(estimator)?)
}
