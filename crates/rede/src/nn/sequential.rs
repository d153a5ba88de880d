//! A chain of modules, and the multilayer-perceptron helper.

use super::{Activation, Initializer, LayerSpec, Module};
use crate::{DType, Error, Result, Rng, Tensor};

/// Modules applied in order. Children's parameters are named by position,
/// `"0.weight"`, `"0.bias"`, `"2.weight"`… (like PyTorch's `nn.Sequential`), and
/// labelled so in graph renderings.
///
/// ```
/// use rede::nn::{Linear, Module, Relu, Sequential};
/// # fn main() -> rede::Result<()> {
/// let mut rng = rede::Rng::seed(0);
/// let model = Sequential::new().with(Linear::new(4, 8, &mut rng)?).with(Relu).with(Linear::new(8, 2, &mut rng)?);
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// An empty chain (the identity).
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Builds each spec in turn with parameters of type `dtype`. A linear layer
    /// without an initializer gets [`Initializer::default_for`] the next layer
    /// (dropout skipped): He before ReLU/leaky ReLU/GELU, Glorot otherwise.
    pub fn from_specs(specs: &[LayerSpec], dtype: DType, rng: &mut Rng) -> Result<Sequential> {
        let mut model = Sequential::new();
        for (i, spec) in specs.iter().enumerate() {
            let spec = match spec {
                LayerSpec::Linear { in_features, out_features, bias, init: None } => {
                    let next = specs[i + 1..].iter().find(|s| !matches!(s, LayerSpec::Dropout { .. }));
                    let init = Some(Initializer::default_for(next));
                    LayerSpec::Linear { in_features: *in_features, out_features: *out_features, bias: *bias, init }
                }
                other => other.clone(),
            };
            model.push_boxed(spec.build_with_dtype(rng, dtype)?);
        }
        Ok(model)
    }

    /// Appends a layer.
    pub fn push<M: Module + 'static>(&mut self, layer: M) -> &mut Sequential {
        self.push_boxed(Box::new(layer))
    }

    /// Appends a boxed layer (e.g. from [`LayerSpec::build`]) and labels its parameters with their names.
    pub fn push_boxed(&mut self, layer: Box<dyn Module>) -> &mut Sequential {
        let index = self.layers.len();
        for (name, p) in layer.named_parameters() {
            p.set_label(format!("{index}.{name}"));
        }
        self.layers.push(layer);
        self
    }

    /// Builder form of [`Sequential::push`].
    pub fn with<M: Module + 'static>(mut self, layer: M) -> Sequential {
        self.push(layer);
        self
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }

    /// A Keras-like table of the layers; see [`super::summary`].
    pub fn summary(&self, input_shape: &[usize]) -> Result<String> {
        super::summary(self, input_shape)
    }
}

impl Module for Sequential {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut y = x.clone();
        for layer in &self.layers {
            y = layer.forward(&y)?;
        }
        Ok(y)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut params = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            params.extend(layer.named_parameters().into_iter().map(|(name, p)| (format!("{i}.{name}"), p)));
        }
        params
    }

    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let mut buffers = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            buffers.extend(layer.named_buffers().into_iter().map(|(name, b)| (format!("{i}.{name}"), b)));
        }
        buffers
    }

    fn set_training(&mut self, training: bool) {
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }

    /// The chain's spec, when every layer has one.
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Sequential { layers: self.layers.iter().map(|l| l.spec()).collect::<Option<_>>()? })
    }
}

/// The spec of a multilayer perceptron with layer widths `sizes` (input first,
/// e.g. `[784, 512, 256, 10]`): linear layers with `activation` between them (none
/// after the last, which gives logits), each activation followed by dropout when
/// `dropout` is given. Linear initializers are left to [`Sequential::from_specs`]'s defaults.
pub fn mlp_spec(sizes: &[usize], activation: Activation, dropout: Option<f64>) -> Result<LayerSpec> {
    Ok(LayerSpec::Sequential { layers: mlp_layers(sizes, activation, dropout)? })
}

fn mlp_layers(sizes: &[usize], activation: Activation, dropout: Option<f64>) -> Result<Vec<LayerSpec>> {
    if sizes.len() < 2 {
        return Err(Error::invalid("mlp", format!("needs at least an input and an output width, got {sizes:?}")));
    }
    let mut layers = Vec::new();
    for (i, pair) in sizes.windows(2).enumerate() {
        layers.push(LayerSpec::Linear { in_features: pair[0], out_features: pair[1], bias: true, init: None });
        if i + 2 < sizes.len() {
            layers.push(activation.spec());
            layers.extend(dropout.map(|p| LayerSpec::Dropout { p }));
        }
    }
    Ok(layers)
}

/// A multilayer perceptron with f32 parameters (see [`mlp_spec`]), e.g.
/// `mlp(&[784, 512, 256, 10], Activation::Relu, &mut rng)` (535,818 parameters).
pub fn mlp(sizes: &[usize], activation: Activation, rng: &mut Rng) -> Result<Sequential> {
    Sequential::from_specs(&mlp_layers(sizes, activation, None)?, DType::F32, rng)
}
