//! Batch normalization, composed from primitive ops (so its gradient is the graph's).

use super::conv::trainable;
use super::{LayerSpec, Module};
use crate::{no_grad, DType, Error, Result, Tensor};

/// PyTorch's defaults.
const EPS: f64 = 1e-5;
const MOMENTUM: f64 = 0.1;

/// The shared state of [`BatchNorm1d`] and [`BatchNorm2d`]: channels are dimension 1.
struct BatchNorm {
    op: &'static str,
    ranks: &'static [usize],
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    running_mean: Tensor,
    running_var: Tensor,
    eps: f64,
    momentum: f64,
    training: bool,
}

impl BatchNorm {
    fn new(op: &'static str, ranks: &'static [usize], features: usize, affine: bool, dtype: DType) -> Result<Self> {
        if features == 0 {
            return Err(Error::invalid(op, "num_features must be positive"));
        }
        let ones = || Tensor::ones(&[features], dtype);
        let weight = affine.then(ones);
        let bias = affine.then(|| Tensor::zeros(&[features], dtype));
        Self::from_tensors(op, ranks, weight, bias, Tensor::zeros(&[features], dtype), ones(), EPS, MOMENTUM)
    }

    #[allow(clippy::too_many_arguments)]
    fn from_tensors(
        op: &'static str,
        ranks: &'static [usize],
        weight: Option<Tensor>,
        bias: Option<Tensor>,
        running_mean: Tensor,
        running_var: Tensor,
        eps: f64,
        momentum: f64,
    ) -> Result<Self> {
        let c = running_mean.numel();
        let all = [Some(&running_mean), Some(&running_var), weight.as_ref(), bias.as_ref()];
        if let Some(bad) = all.into_iter().flatten().find(|t| t.shape() != [c] || t.dtype() != running_mean.dtype()) {
            return Err(Error::invalid(
                op,
                format!("every state tensor must be [{c}] of one element type, got {:?}", bad.shape()),
            ));
        }
        if weight.is_some() != bias.is_some() {
            return Err(Error::invalid(op, "weight and bias come together (affine) or not at all"));
        }
        if !(eps > 0.0 && (0.0..=1.0).contains(&momentum)) {
            return Err(Error::invalid(op, format!("eps {eps} must be positive and momentum {momentum} in [0, 1]")));
        }
        Ok(BatchNorm {
            op,
            ranks,
            weight: weight.map(|w| trainable(&w, "weight")),
            bias: bias.map(|b| trainable(&b, "bias")),
            running_mean: running_mean.contiguous().detach(),
            running_var: running_var.contiguous().detach(),
            eps,
            momentum,
            training: true,
        })
    }

    fn features(&self) -> usize {
        self.running_mean.numel()
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let c = self.features();
        if !self.ranks.contains(&x.rank()) || x.shape()[1] != c {
            return Err(Error::invalid(
                self.op,
                format!(
                    "needs an input with {c} channels in dimension 1 and rank {:?}, got {:?}",
                    self.ranks,
                    x.shape()
                ),
            ));
        }
        let axes: Vec<isize> = (0..x.rank()).filter(|&d| d != 1).map(|d| d as isize).collect();
        let mut per_channel = vec![1; x.rank()];
        per_channel[1] = c;
        let (centered, var) = if self.training {
            let n = x.numel() / c;
            if n < 2 {
                return Err(Error::invalid(
                    self.op,
                    format!("needs more than 1 value per channel to train, got {:?}", x.shape()),
                ));
            }
            let mean = x.mean(&axes, true)?;
            let centered = x.sub(&mean)?;
            // Biased variance normalizes; the running estimate gets the unbiased one, as in PyTorch.
            let var = centered.square().mean(&axes, true)?;
            self.update_running(&mean, &var, n)?;
            (centered, var)
        } else {
            (x.sub(&self.running_mean.reshape(&per_channel)?)?, self.running_var.reshape(&per_channel)?)
        };
        let y = centered.div(&var.add_scalar(self.eps).sqrt())?;
        match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => y.mul(&w.reshape(&per_channel)?)?.add(&b.reshape(&per_channel)?),
            _ => Ok(y),
        }
    }

    /// running ← (1 − momentum)·running + momentum·batch statistic, outside the graph.
    fn update_running(&self, mean: &Tensor, var: &Tensor, n: usize) -> Result<()> {
        no_grad(|| {
            let m = self.momentum;
            let c = [self.features()];
            let unbiased = var.detach().reshape(&c)?.mul_scalar(n as f64 / (n - 1) as f64);
            let new_mean = self.running_mean.mul_scalar(1.0 - m).add(&mean.detach().reshape(&c)?.mul_scalar(m))?;
            let new_var = self.running_var.mul_scalar(1.0 - m).add(&unbiased.mul_scalar(m))?;
            self.running_mean.assign(&new_mean)?;
            self.running_var.assign(&new_var)
        })
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut p: Vec<(String, Tensor)> = self.weight.iter().map(|w| ("weight".to_string(), w.clone())).collect();
        p.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        p
    }

    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        vec![("running_mean".into(), self.running_mean.clone()), ("running_var".into(), self.running_var.clone())]
    }
}

macro_rules! batch_norm {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $ranks:expr) => {
        $(#[$doc])*
        pub struct $name(BatchNorm);

        impl $name {
            /// An f32 layer with PyTorch's defaults: affine, eps 1e-5, momentum 0.1, in training mode.
            pub fn new(num_features: usize) -> Result<$name> {
                Ok($name(BatchNorm::new(stringify!($name), $ranks, num_features, true, DType::F32)?))
            }

            /// A layer with or without the learned scale and shift, with state of `dtype`.
            pub fn with_dtype(num_features: usize, affine: bool, dtype: DType) -> Result<$name> {
                Ok($name(BatchNorm::new(stringify!($name), $ranks, num_features, affine, dtype)?))
            }

            /// A layer over given state: scale and shift (both or neither), running mean and variance.
            pub fn from_tensors(
                weight: Option<Tensor>,
                bias: Option<Tensor>,
                running_mean: Tensor,
                running_var: Tensor,
                eps: f64,
                momentum: f64,
            ) -> Result<$name> {
                let op = stringify!($name);
                Ok($name(BatchNorm::from_tensors(op, $ranks, weight, bias, running_mean, running_var, eps, momentum)?))
            }

            /// The running mean, updated in place by each training batch.
            pub fn running_mean(&self) -> &Tensor {
                &self.0.running_mean
            }

            /// The running (unbiased) variance, updated in place by each training batch.
            pub fn running_var(&self) -> &Tensor {
                &self.0.running_var
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                self.0.forward(x)
            }

            fn named_parameters(&self) -> Vec<(String, Tensor)> {
                self.0.named_parameters()
            }

            fn named_buffers(&self) -> Vec<(String, Tensor)> {
                self.0.named_buffers()
            }

            fn set_training(&mut self, training: bool) {
                self.0.training = training;
            }

            fn spec(&self) -> Option<LayerSpec> {
                Some(LayerSpec::$variant {
                    num_features: self.0.features(),
                    eps: self.0.eps,
                    momentum: self.0.momentum,
                    affine: self.0.weight.is_some(),
                })
            }
        }
    };
}

batch_norm!(
    /// Batch normalization of `[N, C]` or `[N, C, L]` per channel: batch statistics in
    /// training (updating the running ones), running statistics in evaluation.
    BatchNorm1d,
    BatchNorm1d,
    &[2, 3]
);
batch_norm!(
    /// Batch normalization of `[N, C, H, W]` per channel: batch statistics in training
    /// (updating the running ones), running statistics in evaluation.
    BatchNorm2d,
    BatchNorm2d,
    &[4]
);
