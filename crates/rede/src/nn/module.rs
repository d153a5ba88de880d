//! The `Module` abstraction every layer and model implements, and [`LayerSpec`],
//! the architecture as serializable data.

use super::Initializer;
use crate::{Result, Tensor};
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
///
/// In JSON each layer is an object tagged by `"type"`, e.g.
/// `{"type":"linear","in_features":784,"out_features":10,"bias":true}` or
/// `{"type":"dropout","p":0.5}`.
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
        /// How the weight is initialized; `None` picks a default from the next
        /// layer when built inside a [`LayerSpec::Sequential`] (Glorot uniform alone).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        init: Option<Initializer>,
    },
    /// Layers applied in order.
    Sequential {
        /// The layers.
        layers: Vec<LayerSpec>,
    },
    /// y = x.
    Identity,
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// max(x, 0).
    Relu,
    /// x for x > 0, `negative_slope`·x otherwise.
    LeakyRelu {
        /// Slope for negative inputs (PyTorch's default is 0.01).
        negative_slope: f64,
    },
    /// Exact GELU, x·Φ(x).
    Gelu,
    /// Softmax along an axis.
    Softmax {
        /// The axis (negative counts from the end).
        axis: isize,
    },
    /// Inverted dropout with drop probability `p`.
    Dropout {
        /// Probability of zeroing each unit in training, in `[0, 1)`.
        p: f64,
    },
}
