//! Turning a [`LayerSpec`] into a module, and naming it for summaries.

use super::{Dropout, Gelu, Identity, Initializer, LayerSpec, LeakyRelu, Linear, Module, Relu, Sequential};
use super::{Sigmoid, Softmax, Tanh};
use crate::{DType, Result, Rng};

impl LayerSpec {
    /// Builds the module this spec describes with f32 parameters, initializing them from `rng`.
    pub fn build(&self, rng: &mut Rng) -> Result<Box<dyn Module>> {
        self.build_with_dtype(rng, DType::F32)
    }

    /// Builds the module with parameters of element type `dtype`.
    ///
    /// The same spec and the same `rng` state give the same weights (and the same
    /// dropout masks). Invalid arguments (e.g. a dropout `p` of 1.5) are errors.
    pub fn build_with_dtype(&self, rng: &mut Rng, dtype: DType) -> Result<Box<dyn Module>> {
        Ok(match self {
            LayerSpec::Linear { in_features, out_features, bias, init } => {
                let init = init.unwrap_or(Initializer::default_for(None));
                Box::new(Linear::with_init(*in_features, *out_features, *bias, init, dtype, rng)?)
            }
            LayerSpec::Sequential { layers } => Box::new(Sequential::from_specs(layers, dtype, rng)?),
            LayerSpec::Identity => Box::new(Identity),
            LayerSpec::Sigmoid => Box::new(Sigmoid),
            LayerSpec::Tanh => Box::new(Tanh),
            LayerSpec::Relu => Box::new(Relu),
            LayerSpec::LeakyRelu { negative_slope } => Box::new(LeakyRelu::new(*negative_slope)?),
            LayerSpec::Gelu => Box::new(Gelu),
            LayerSpec::Softmax { axis } => Box::new(Softmax::new(*axis)),
            LayerSpec::Dropout { p } => Box::new(Dropout::new(*p, rng)?),
            other => {
                return super::conv::build_family(other, dtype, rng).unwrap_or_else(|| {
                    Err(crate::Error::invalid("LayerSpec::build", format!("no builder for {other:?}")))
                })
            }
        })
    }

    /// A short, PyTorch-style name with the arguments, e.g. `Linear(784, 512)` or `Dropout(p=0.5)`.
    pub fn describe(&self) -> String {
        match self {
            LayerSpec::Linear { in_features, out_features, bias: true, .. } => {
                format!("Linear({in_features}, {out_features})")
            }
            LayerSpec::Linear { in_features, out_features, bias: false, .. } => {
                format!("Linear({in_features}, {out_features}, bias=false)")
            }
            LayerSpec::Sequential { layers } => format!("Sequential({} layers)", layers.len()),
            LayerSpec::Identity => "Identity".into(),
            LayerSpec::Sigmoid => "Sigmoid".into(),
            LayerSpec::Tanh => "Tanh".into(),
            LayerSpec::Relu => "ReLU".into(),
            LayerSpec::LeakyRelu { negative_slope } => format!("LeakyReLU({negative_slope})"),
            LayerSpec::Gelu => "GELU".into(),
            LayerSpec::Softmax { axis } => format!("Softmax(axis={axis})"),
            LayerSpec::Dropout { p } => format!("Dropout(p={p})"),
            other => super::conv::describe_family(other),
        }
    }

    /// Parses a spec from JSON.
    pub fn from_json(json: &str) -> Result<LayerSpec> {
        serde_json::from_str(json).map_err(|e| crate::Error::invalid("LayerSpec::from_json", e.to_string()))
    }

    /// The spec as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a LayerSpec always serializes")
    }
}
