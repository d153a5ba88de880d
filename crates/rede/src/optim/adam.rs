//! Adam and AdamW (PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`).

use super::config::{first_order_optimizer, lerp, non_negative, positive, setters, unit_interval};
use super::params::{ParamStates, Penalty, Slot, UpdateRule};
use crate::{Element, Result, Tensor};

/// Hyperparameters of [`Adam`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Decay rates of the first and second moment estimates (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// Added to the denominator for stability (default 1e-8).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Use the maximum of past second moments (AMSGrad; default off).
    pub amsgrad: bool,
    /// L1 penalty on weights (not biases) added to the gradient (default 0).
    pub l1: f64,
    /// Whether `weight_decay` applies to biases too (default true, as in PyTorch).
    pub decay_biases: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            l1: 0.0,
            decay_biases: true,
        }
    }
}

setters!(AdamConfig {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    l1: f64,
    decay_biases: bool
});

/// Hyperparameters of [`AdamW`]: those of Adam, with decoupled weight decay
/// (default 0.01, PyTorch's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Decay rates of the first and second moment estimates (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// Added to the denominator for stability (default 1e-8).
    pub eps: f64,
    /// Decoupled weight decay: `w ← w·(1 − lr·weight_decay)` before the Adam step (default 0.01).
    pub weight_decay: f64,
    /// Use the maximum of past second moments (AMSGrad; default off).
    pub amsgrad: bool,
    /// L1 penalty on weights (not biases) added to the gradient (default 0).
    pub l1: f64,
    /// Whether `weight_decay` applies to biases too (default true, as in PyTorch).
    pub decay_biases: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        let a = AdamConfig::default();
        AdamWConfig {
            lr: a.lr,
            betas: a.betas,
            eps: a.eps,
            weight_decay: 0.01,
            amsgrad: a.amsgrad,
            l1: a.l1,
            decay_biases: a.decay_biases,
        }
    }
}

setters!(AdamWConfig {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    l1: f64,
    decay_biases: bool
});

impl AdamConfig {
    fn validate(&self, op: &'static str) -> Result<()> {
        non_negative(op, "lr", self.lr)?;
        unit_interval(op, "betas.0", self.betas.0)?;
        unit_interval(op, "betas.1", self.betas.1)?;
        positive(op, "eps", self.eps)?;
        non_negative(op, "weight_decay", self.weight_decay)?;
        non_negative(op, "l1", self.l1)
    }

    fn buffer_names(&self) -> Vec<(&'static str, f64)> {
        let mut names = vec![("exp_avg", 0.0), ("exp_avg_sq", 0.0)];
        if self.amsgrad {
            names.push(("max_exp_avg_sq", 0.0));
        }
        names
    }
}

impl AdamWConfig {
    /// The same hyperparameters read as Adam's (the weight decay is applied apart).
    fn as_adam(&self) -> AdamConfig {
        AdamConfig {
            lr: self.lr,
            betas: self.betas,
            eps: self.eps,
            weight_decay: self.weight_decay,
            amsgrad: self.amsgrad,
            l1: self.l1,
            decay_biases: self.decay_biases,
        }
    }
}

impl UpdateRule for AdamConfig {
    fn update<T: Element>(&self, s: Slot<'_, T>) {
        adam_update(self, s, false);
    }
}

impl UpdateRule for AdamWConfig {
    fn update<T: Element>(&self, s: Slot<'_, T>) {
        adam_update(&self.as_adam(), s, true);
    }
}

/// One Adam step (Kingma & Ba, 2015, algorithm 1, in PyTorch's arrangement of
/// the bias corrections). With `decoupled`, weight decay shrinks the weights
/// directly (Loshchilov & Hutter, 2019) instead of joining the gradient.
fn adam_update<T: Element>(c: &AdamConfig, s: Slot<'_, T>, decoupled: bool) {
    let pen = Penalty::for_param(c.weight_decay, c.l1, c.decay_biases, s.is_bias);
    let (grad_pen, shrink) = match decoupled {
        true => (Penalty { l2: 0.0, ..pen }, 1.0 - c.lr * pen.l2),
        false => (pen, 1.0),
    };
    let (b1, b2) = c.betas;
    let step = s.step as f64;
    let step_size = c.lr / (1.0 - b1.powf(step));
    let bc2_sqrt = (1.0 - b2.powf(step)).sqrt();
    let [exp_avg, exp_avg_sq, rest @ ..] = s.bufs else { unreachable!("Adam keeps two moment buffers") };
    let mut max_sq = rest.first_mut();
    for (i, (w, &g)) in s.w.iter_mut().zip(s.g).enumerate() {
        let mut wf = w.as_f64();
        if decoupled && shrink != 1.0 {
            wf *= shrink;
        }
        let g = grad_pen.grad(wf, g.as_f64());
        exp_avg[i] = lerp(exp_avg[i], g, 1.0 - b1);
        exp_avg_sq[i] = b2 * exp_avg_sq[i] + (1.0 - b2) * g * g;
        let second = match max_sq.as_deref_mut() {
            Some(mx) => {
                mx[i] = mx[i].max(exp_avg_sq[i]);
                mx[i]
            }
            None => exp_avg_sq[i],
        };
        let denom = second.sqrt() / bc2_sqrt + c.eps;
        *w = T::of(wf - step_size * (exp_avg[i] / denom));
    }
}

/// Adam: adaptive moment estimation with L2 weight decay added to the gradient.
pub struct Adam {
    config: AdamConfig,
    states: ParamStates,
}

impl Adam {
    /// An optimizer over `params`; an `Err` for invalid hyperparameters (e.g. a beta ≥ 1).
    pub fn new(params: Vec<Tensor>, config: AdamConfig) -> Result<Adam> {
        config.validate("Adam")?;
        Ok(Adam { states: ParamStates::new("Adam", params, &config.buffer_names())?, config })
    }
}

first_order_optimizer!(Adam, AdamConfig, "adam");

/// AdamW: Adam with decoupled weight decay.
pub struct AdamW {
    config: AdamWConfig,
    states: ParamStates,
}

impl AdamW {
    /// An optimizer over `params`; an `Err` for invalid hyperparameters (e.g. a beta ≥ 1).
    pub fn new(params: Vec<Tensor>, config: AdamWConfig) -> Result<AdamW> {
        let adam = config.as_adam();
        adam.validate("AdamW")?;
        Ok(AdamW { states: ParamStates::new("AdamW", params, &adam.buffer_names())?, config })
    }
}

first_order_optimizer!(AdamW, AdamWConfig, "adamw");
