//! The `Module` abstraction every layer and model implements.

use crate::{Result, Rng, Tensor};
use serde::{Deserialize, Serialize};

/// A differentiable function with parameters: a layer or a whole model.
pub trait Module: Send + Sync {
    /// Applies the module to a batch.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// Parameters with their names (containers prefix children, e.g. `"0.weight"`).
    fn named_parameters(&self) -> Vec<(String, Tensor)>;

    /// The parameters, in the order of [`Module::named_parameters`].
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters().into_iter().map(|(_, t)| t).collect()
    }

    /// Number of trainable scalars.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Tensor::numel).sum()
    }

    /// Switches between training (dropout active, batch statistics) and evaluation behaviour.
    fn set_training(&mut self, _training: bool) {}

    /// The architecture as data, so a saved model can be rebuilt.
    fn spec(&self) -> LayerSpec;
}

/// A serializable description of a layer or model. `build` turns it into a
/// module with freshly initialized parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerSpec {
    /// y = x·Wᵀ + b.
    Linear {
        /// Input features.
        in_features: usize,
        /// Output features.
        out_features: usize,
        /// Whether there is a bias.
        bias: bool,
    },
    /// Layers applied in order.
    Sequential {
        /// The layers.
        layers: Vec<LayerSpec>,
    },
}

impl LayerSpec {
    /// Builds the module this spec describes, initializing parameters from `rng`.
    pub fn build(&self, _rng: &mut Rng) -> Result<Box<dyn Module>> {
        Err(crate::Error::invalid("LayerSpec::build", "not implemented yet"))
    }
}
