//! RMSProp (PyTorch's `torch.optim.RMSprop`).

use super::config::{first_order_optimizer, lerp, non_negative, positive, setters, unit_interval};
use super::params::{Decay, ParamStates, Penalty, Slot, UpdateRule, UpdateSpec};
use crate::{Element, Result, Tensor};

/// Hyperparameters of [`RmsProp`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsPropConfig {
    /// Learning rate (default 0.01).
    pub lr: f64,
    /// Smoothing constant of the squared-gradient average (default 0.99).
    pub alpha: f64,
    /// Added to the denominator for stability (default 1e-8).
    pub eps: f64,
    /// Momentum factor (default 0).
    pub momentum: f64,
    /// Normalize by the estimated variance instead of the raw second moment (default off).
    pub centered: bool,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// L1 penalty on weights (not biases) added to the gradient (default 0).
    pub l1: f64,
    /// Whether `weight_decay` applies to biases too (default true, as in PyTorch).
    pub decay_biases: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 0.01,
            alpha: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            centered: false,
            weight_decay: 0.0,
            l1: 0.0,
            decay_biases: true,
        }
    }
}

setters!(RmsPropConfig {
    lr: f64,
    alpha: f64,
    eps: f64,
    momentum: f64,
    centered: bool,
    weight_decay: f64,
    l1: f64,
    decay_biases: bool,
});

impl RmsPropConfig {
    fn validate(&self) -> Result<()> {
        const OP: &str = "RmsProp";
        non_negative(OP, "lr", self.lr)?;
        unit_interval(OP, "alpha", self.alpha)?;
        positive(OP, "eps", self.eps)?;
        non_negative(OP, "momentum", self.momentum)?;
        non_negative(OP, "weight_decay", self.weight_decay)?;
        non_negative(OP, "l1", self.l1)
    }

    fn buffer_names(&self) -> Vec<(&'static str, f64)> {
        let mut names = vec![("square_avg", 0.0)];
        if self.centered {
            names.push(("grad_avg", 0.0));
        }
        if self.momentum > 0.0 {
            names.push(("momentum_buffer", 0.0));
        }
        names
    }
}

impl UpdateRule for RmsPropConfig {
    fn update<T: Element>(&self, s: Slot<'_, T>) {
        let pen = Penalty::for_param(self.weight_decay, self.l1, self.decay_biases, s.is_bias);
        let (a, lr, m) = (self.alpha, self.lr, self.momentum);
        let (square_avg, rest) = s.bufs.split_first_mut().expect("square_avg buffer");
        let (mut grad_avg, rest) = match self.centered {
            true => rest.split_first_mut().map(|(g, r)| (Some(g), r)).expect("grad_avg buffer"),
            false => (None, rest),
        };
        let mut momentum_buf = rest.first_mut();
        for (i, (w, &g)) in s.w.iter_mut().zip(s.g).enumerate() {
            let wf = w.as_f64();
            let g = pen.grad(wf, g.as_f64());
            square_avg[i] = T::of(a * square_avg[i].as_f64() + (1.0 - a) * g * g);
            let sq = square_avg[i].as_f64();
            let var = match grad_avg.as_deref_mut() {
                Some(ga) => {
                    ga[i] = T::of(lerp(ga[i].as_f64(), g, 1.0 - a));
                    let ga = ga[i].as_f64();
                    sq - ga * ga
                }
                None => sq,
            };
            let avg = var.sqrt() + self.eps;
            let delta = match momentum_buf.as_deref_mut() {
                Some(b) => {
                    b[i] = T::of(m * b[i].as_f64() + g / avg);
                    b[i].as_f64()
                }
                None => g / avg,
            };
            *w = T::of(wf - lr * delta);
        }
    }

    fn spec(&self) -> UpdateSpec {
        UpdateSpec::RmsProp {
            lr: self.lr,
            alpha: self.alpha,
            eps: self.eps,
            momentum: self.momentum,
            centered: self.centered,
            decay: Decay { weight_decay: self.weight_decay, l1: self.l1, decay_biases: self.decay_biases },
        }
    }
}

/// RMSProp: divides the gradient by a running root-mean-square of recent gradients.
pub struct RmsProp {
    config: RmsPropConfig,
    states: ParamStates,
}

impl RmsProp {
    /// An optimizer over `params`; an `Err` for invalid hyperparameters.
    pub fn new(params: Vec<Tensor>, config: RmsPropConfig) -> Result<RmsProp> {
        config.validate()?;
        Ok(RmsProp { states: ParamStates::new("RmsProp", params, &config.buffer_names())?, config })
    }
}

first_order_optimizer!(RmsProp, RmsPropConfig, "rmsprop");
