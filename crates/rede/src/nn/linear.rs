//! The fully connected layer.

use super::{Initializer, LayerSpec, Module};
use crate::{DType, Error, Result, Rng, Tensor};

/// y = x·Wᵀ + b, with W of shape `[out_features, in_features]` like PyTorch.
///
/// Accepts inputs of shape `[..., in_features]` (a batch `[N, in]`, a single
/// vector `[in]`, or more leading dimensions) and maps the last dimension.
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
    init: Option<Initializer>,
}

/// A trainable leaf over `t`'s data, labelled for graph renderings. A tensor that
/// already is a trainable leaf is used as is, so gradients reach the caller's handle
/// (this is how `gradcheck` differentiates a layer with respect to its parameters).
pub(crate) fn parameter(t: &Tensor, name: &str) -> Tensor {
    let p = if t.is_leaf() && t.requires_grad() { t.clone() } else { t.requires_grad_() };
    p.set_label(name);
    p
}

impl Linear {
    /// An f32 layer with a zero bias and a Glorot-uniform weight (Keras's default;
    /// [`super::Sequential::from_specs`] and [`super::mlp`] pick He before ReLU-like activations).
    pub fn new(in_features: usize, out_features: usize, rng: &mut Rng) -> Result<Linear> {
        Linear::with_init(in_features, out_features, true, Initializer::GlorotUniform, DType::F32, rng)
    }

    /// A layer with the given weight initializer and element type; the bias (if any)
    /// is [`Initializer::bias`]: zero, or drawn for [`Initializer::ScikitLearn`].
    pub fn with_init(
        in_features: usize,
        out_features: usize,
        bias: bool,
        init: Initializer,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<Linear> {
        if in_features == 0 || out_features == 0 {
            return Err(Error::invalid(
                "Linear",
                format!("features must be positive, got in_features {in_features}, out_features {out_features}"),
            ));
        }
        let weight = init.init(&[out_features, in_features], dtype, rng)?;
        let bias = if bias { Some(init.bias(weight.shape(), dtype, rng)?) } else { None };
        let mut layer = Linear::from_tensors(weight, bias)?;
        layer.init = Some(init);
        Ok(layer)
    }

    /// A layer over given values: `weight` `[out, in]` and `bias` `[out]` of the same element type.
    /// The parameters share the given tensors' data (and are those very handles when
    /// they are already leaves that require gradients).
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>) -> Result<Linear> {
        if weight.rank() != 2 {
            return Err(Error::invalid("Linear", format!("weight must be [out, in], got shape {:?}", weight.shape())));
        }
        if let Some(b) = &bias {
            if b.shape() != [weight.shape()[0]] {
                return Err(Error::ShapeMismatch {
                    op: "Linear",
                    lhs: weight.shape().to_vec(),
                    rhs: b.shape().to_vec(),
                });
            }
            if b.dtype() != weight.dtype() {
                return Err(Error::DTypeMismatch { op: "Linear", lhs: weight.dtype(), rhs: b.dtype() });
            }
        }
        Ok(Linear {
            weight: parameter(&weight, "weight"),
            bias: bias.as_ref().map(|b| parameter(b, "bias")),
            init: None,
        })
    }

    /// Input features.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Output features.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }

    /// The weight `[out, in]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The bias `[out]`, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.shape().last() != Some(&self.in_features()) {
            return Err(Error::invalid(
                "Linear",
                format!("expected input of shape [..., {}], got {:?}", self.in_features(), x.shape()),
            ));
        }
        x.linear(&self.weight, self.bias.as_ref())
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut params = vec![("weight".to_string(), self.weight.clone())];
        params.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        params
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Linear {
            in_features: self.in_features(),
            out_features: self.out_features(),
            bias: self.bias.is_some(),
            init: self.init,
        })
    }
}
