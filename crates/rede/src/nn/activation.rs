//! Activation layers: parameterless modules wrapping an elementwise (or softmax) op.

use super::{LayerSpec, Module};
use crate::{Error, Result, Tensor};

/// Defines a parameterless activation layer calling one unary tensor op.
macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, $spec:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq)]
        pub struct $name;

        impl Module for $name {
            fn forward(&self, $x: &Tensor) -> Result<Tensor> {
                Ok($body)
            }

            fn named_parameters(&self) -> Vec<(String, Tensor)> {
                Vec::new()
            }

            fn spec(&self) -> Option<LayerSpec> {
                Some(LayerSpec::$spec)
            }
        }
    };
}

activation!(
    /// y = x (a placeholder, e.g. "no activation" in a generated architecture).
    Identity, Identity, |x| x.clone()
);
activation!(
    /// Logistic sigmoid 1/(1+e^−x).
    Sigmoid, Sigmoid, |x| x.sigmoid()
);
activation!(
    /// Hyperbolic tangent.
    Tanh, Tanh, |x| x.tanh()
);
activation!(
    /// Rectified linear unit max(x, 0).
    Relu, Relu, |x| x.relu()
);
activation!(
    /// Exact GELU x·Φ(x) (PyTorch's default, not the tanh approximation).
    Gelu, Gelu, |x| x.gelu()
);

/// Leaky ReLU: x for x > 0, `slope`·x otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyRelu {
    negative_slope: f64,
}

impl LeakyRelu {
    /// A leaky ReLU with this slope for negative inputs (must be finite).
    pub fn new(negative_slope: f64) -> Result<LeakyRelu> {
        if !negative_slope.is_finite() {
            return Err(Error::invalid("LeakyRelu", format!("slope must be finite, got {negative_slope}")));
        }
        Ok(LeakyRelu { negative_slope })
    }

    /// The slope for negative inputs.
    pub fn negative_slope(&self) -> f64 {
        self.negative_slope
    }
}

impl Default for LeakyRelu {
    /// PyTorch's default slope, 0.01.
    fn default() -> Self {
        LeakyRelu { negative_slope: 0.01 }
    }
}

impl Module for LeakyRelu {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.leaky_relu(self.negative_slope))
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::LeakyRelu { negative_slope: self.negative_slope })
    }
}

/// Softmax along an axis (negative counts from the end), e.g. `Softmax::new(-1)` over classes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Softmax {
    axis: isize,
}

impl Softmax {
    /// Softmax along `axis`; an axis outside the input's rank is an error at `forward`.
    pub fn new(axis: isize) -> Softmax {
        Softmax { axis }
    }

    /// The axis.
    pub fn axis(&self) -> isize {
        self.axis
    }
}

impl Module for Softmax {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.softmax(self.axis)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Softmax { axis: self.axis })
    }
}

/// The activations [`super::mlp`] can put between its linear layers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// No activation.
    Identity,
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// max(x, 0).
    Relu,
    /// Leaky ReLU with this negative slope.
    LeakyRelu(f64),
    /// Exact GELU.
    Gelu,
}

impl Activation {
    /// The layer spec of this activation.
    pub fn spec(self) -> LayerSpec {
        match self {
            Activation::Identity => LayerSpec::Identity,
            Activation::Sigmoid => LayerSpec::Sigmoid,
            Activation::Tanh => LayerSpec::Tanh,
            Activation::Relu => LayerSpec::Relu,
            Activation::LeakyRelu(negative_slope) => LayerSpec::LeakyRelu { negative_slope },
            Activation::Gelu => LayerSpec::Gelu,
        }
    }
}
