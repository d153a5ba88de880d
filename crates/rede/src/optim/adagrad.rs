//! Adagrad (PyTorch's `torch.optim.Adagrad`).

use super::config::{first_order_optimizer, non_negative, positive, setters};
use super::params::{Decay, ParamStates, Penalty, Slot, UpdateRule, UpdateSpec};
use crate::{Element, Result, Tensor};

/// Hyperparameters of [`Adagrad`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdagradConfig {
    /// Learning rate (default 0.01).
    pub lr: f64,
    /// Learning-rate decay: step t uses `lr / (1 + (t−1)·lr_decay)` (default 0).
    pub lr_decay: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// L1 penalty on weights (not biases) added to the gradient (default 0).
    pub l1: f64,
    /// Whether `weight_decay` applies to biases too (default true, as in PyTorch).
    pub decay_biases: bool,
    /// Starting value of the squared-gradient sums (default 0).
    pub initial_accumulator_value: f64,
    /// Added to the denominator for stability (default 1e-10).
    pub eps: f64,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 0.01,
            lr_decay: 0.0,
            weight_decay: 0.0,
            l1: 0.0,
            decay_biases: true,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }
}

setters!(AdagradConfig {
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    l1: f64,
    decay_biases: bool,
    initial_accumulator_value: f64,
    eps: f64,
});

impl AdagradConfig {
    fn validate(&self) -> Result<()> {
        const OP: &str = "Adagrad";
        non_negative(OP, "lr", self.lr)?;
        non_negative(OP, "lr_decay", self.lr_decay)?;
        non_negative(OP, "weight_decay", self.weight_decay)?;
        non_negative(OP, "l1", self.l1)?;
        non_negative(OP, "initial_accumulator_value", self.initial_accumulator_value)?;
        positive(OP, "eps", self.eps)
    }
}

impl UpdateRule for AdagradConfig {
    fn update<T: Element>(&self, s: Slot<'_, T>) {
        let pen = Penalty::for_param(self.weight_decay, self.l1, self.decay_biases, s.is_bias);
        let clr = self.lr / (1.0 + (s.step - 1) as f64 * self.lr_decay);
        for ((w, &g), sum) in s.w.iter_mut().zip(s.g).zip(s.bufs[0].iter_mut()) {
            let wf = w.as_f64();
            let g = pen.grad(wf, g.as_f64());
            *sum = T::of(sum.as_f64() + g * g);
            *w = T::of(wf - clr * (g / (sum.as_f64().sqrt() + self.eps)));
        }
    }

    fn spec(&self) -> UpdateSpec {
        UpdateSpec::Adagrad {
            lr: self.lr,
            lr_decay: self.lr_decay,
            eps: self.eps,
            decay: Decay { weight_decay: self.weight_decay, l1: self.l1, decay_biases: self.decay_biases },
        }
    }
}

/// Adagrad: per-element learning rates shrinking with the sum of squared gradients.
pub struct Adagrad {
    config: AdagradConfig,
    states: ParamStates,
}

impl Adagrad {
    /// An optimizer over `params`; an `Err` for invalid hyperparameters.
    pub fn new(params: Vec<Tensor>, config: AdagradConfig) -> Result<Adagrad> {
        config.validate()?;
        let buffers = [("sum", config.initial_accumulator_value)];
        Ok(Adagrad { states: ParamStates::new("Adagrad", params, &buffers)?, config })
    }
}

first_order_optimizer!(Adagrad, AdagradConfig, "adagrad");
