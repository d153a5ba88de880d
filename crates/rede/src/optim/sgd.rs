//! Stochastic gradient descent with momentum (PyTorch's `torch.optim.SGD`).

use super::config::{first_order_optimizer, non_negative, setters};
use super::params::{Decay, ParamStates, Penalty, Slot, UpdateRule, UpdateSpec};
use crate::{Element, Error, Result, Tensor};

/// Hyperparameters of [`Sgd`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Momentum factor (default 0: plain SGD).
    pub momentum: f64,
    /// Dampening of the gradient's share in the momentum buffer (default 0).
    pub dampening: f64,
    /// Nesterov momentum (needs momentum > 0 and no dampening; default off).
    pub nesterov: bool,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// L1 penalty on weights (not biases) added to the gradient (default 0).
    pub l1: f64,
    /// Whether `weight_decay` applies to biases too (default true, as in PyTorch).
    pub decay_biases: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            l1: 0.0,
            decay_biases: true,
        }
    }
}

setters!(SgdConfig {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    l1: f64,
    decay_biases: bool
});

impl SgdConfig {
    fn validate(&self) -> Result<()> {
        const OP: &str = "Sgd";
        for (name, v) in [("lr", self.lr), ("momentum", self.momentum), ("weight_decay", self.weight_decay)] {
            non_negative(OP, name, v)?;
        }
        non_negative(OP, "l1", self.l1)?;
        if !self.dampening.is_finite() {
            return Err(Error::invalid(OP, format!("dampening must be finite, got {}", self.dampening)));
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::invalid(OP, "nesterov momentum needs momentum > 0 and dampening 0"));
        }
        Ok(())
    }
}

impl UpdateRule for SgdConfig {
    fn update<T: Element>(&self, s: Slot<'_, T>) {
        let pen = Penalty::for_param(self.weight_decay, self.l1, self.decay_biases, s.is_bias);
        let lr = self.lr;
        if self.momentum == 0.0 {
            for (w, &g) in s.w.iter_mut().zip(s.g) {
                let wf = w.as_f64();
                *w = T::of(wf - lr * pen.grad(wf, g.as_f64()));
            }
            return;
        }
        let (m, first) = (self.momentum, s.step == 1);
        let buf = &mut s.bufs[0];
        for ((w, &g), b) in s.w.iter_mut().zip(s.g).zip(buf.iter_mut()) {
            let wf = w.as_f64();
            let g = pen.grad(wf, g.as_f64());
            // PyTorch starts the buffer at the first gradient, undamped.
            *b = T::of(if first { g } else { m * b.as_f64() + (1.0 - self.dampening) * g });
            let b = b.as_f64();
            let d = if self.nesterov { g + m * b } else { b };
            *w = T::of(wf - lr * d);
        }
    }

    fn spec(&self) -> UpdateSpec {
        UpdateSpec::Sgd {
            lr: self.lr,
            momentum: self.momentum,
            dampening: self.dampening,
            nesterov: self.nesterov,
            decay: Decay { weight_decay: self.weight_decay, l1: self.l1, decay_biases: self.decay_biases },
        }
    }
}

/// Stochastic gradient descent, optionally with (Nesterov) momentum:
/// `b ← μ·b + (1−τ)·g`, `w ← w − lr·b` (or `w ← w − lr·(g + μ·b)` for Nesterov).
pub struct Sgd {
    config: SgdConfig,
    states: ParamStates,
}

impl Sgd {
    /// An optimizer over `params`; an `Err` for invalid hyperparameters.
    pub fn new(params: Vec<Tensor>, config: SgdConfig) -> Result<Sgd> {
        config.validate()?;
        let buffers: &[(&str, f64)] = if config.momentum != 0.0 { &[("momentum_buffer", 0.0)] } else { &[] };
        Ok(Sgd { states: ParamStates::new("Sgd", params, buffers)?, config })
    }
}

first_order_optimizer!(Sgd, SgdConfig, "sgd");
