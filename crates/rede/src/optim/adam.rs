//! Adam and AdamW (PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`).

use super::config::{first_order_optimizer, lerp, non_negative, positive, setters, unit_interval};
use super::params::{Decay, ParamStates, Penalty, Slot, UpdateRule, UpdateSpec};
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

    fn spec(&self) -> UpdateSpec {
        adam_spec(self, false)
    }
}

impl UpdateRule for AdamWConfig {
    fn update<T: Element>(&self, s: Slot<'_, T>) {
        adam_update(&self.as_adam(), s, true);
    }

    fn spec(&self) -> UpdateSpec {
        adam_spec(&self.as_adam(), true)
    }
}

/// Adam's hyperparameters as data; `decoupled` for AdamW.
fn adam_spec(c: &AdamConfig, decoupled: bool) -> UpdateSpec {
    UpdateSpec::Adam {
        lr: c.lr,
        betas: c.betas,
        eps: c.eps,
        amsgrad: c.amsgrad,
        decoupled,
        decay: Decay { weight_decay: c.weight_decay, l1: c.l1, decay_biases: c.decay_biases },
    }
}

/// The per-step constants of an Adam update.
#[derive(Clone, Copy)]
struct AdamStep {
    /// Penalty added to the gradient (zero for AdamW's L2 part).
    grad_pen: Penalty,
    /// Factor applied to the weights before the step (AdamW's decoupled decay; 1 for none).
    shrink: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    step_size: f64,
    bc2_sqrt: f64,
}

/// Parameters with at least this many elements are updated in parallel chunks of this size.
const PARALLEL_CHUNK: usize = 1 << 15;

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
    let k = AdamStep {
        grad_pen,
        shrink,
        b1,
        b2,
        eps: c.eps,
        step_size: c.lr / (1.0 - b1.powf(step)),
        bc2_sqrt: (1.0 - b2.powf(step)).sqrt(),
    };
    let [exp_avg, exp_avg_sq, rest @ ..] = s.bufs else { unreachable!("Adam keeps two moment buffers") };
    match rest.first_mut() {
        // AMSGrad: rare, kept on one thread.
        Some(max_sq) => adam_chunk(&k, s.w, s.g, exp_avg, exp_avg_sq, Some(max_sq)),
        None if s.w.len() >= 2 * PARALLEL_CHUNK => {
            use rayon::prelude::*;
            (s.w.par_chunks_mut(PARALLEL_CHUNK).zip(s.g.par_chunks(PARALLEL_CHUNK)))
                .zip(exp_avg.par_chunks_mut(PARALLEL_CHUNK).zip(exp_avg_sq.par_chunks_mut(PARALLEL_CHUNK)))
                .for_each(|((w, g), (m, v))| adam_chunk(&k, w, g, m, v, None));
        }
        None => adam_chunk(&k, s.w, s.g, exp_avg, exp_avg_sq, None),
    }
}

/// The common Adam update (no penalty, no decoupled decay, no AMSGrad): a
/// branch-free loop the compiler vectorizes, in the parameter's type as
/// PyTorch computes it (sixteen f32 lanes per AVX-512 instruction).
#[inline(always)]
fn adam_plain<T: Element>(k: &AdamStep, w: &mut [T], g: &[T], exp_avg: &mut [T], exp_avg_sq: &mut [T]) {
    let (one_minus_b1, b2, one_minus_b2) = (T::of(1.0 - k.b1), T::of(k.b2), T::of(1.0 - k.b2));
    let (inv_bc2, eps, step_size) = (T::of(1.0 / k.bc2_sqrt), T::of(k.eps), T::of(k.step_size));
    for (((w, &g), m), v) in w.iter_mut().zip(g).zip(exp_avg.iter_mut()).zip(exp_avg_sq.iter_mut()) {
        // m + (1 − β₁)(g − m) is the lerp towards g, as `lerp` computes it for weights below ½.
        *m = flush_subnormal(*m + one_minus_b1 * (g - *m));
        *v = flush_subnormal(b2 * *v + one_minus_b2 * g * g);
        let denom = v.sqrt() * inv_bc2 + eps;
        *w = *w - step_size * (*m / denom);
    }
}

/// `x`, or zero when it is subnormal.
///
/// The moments of a weight whose gradient has stayed zero for a while (an MNIST
/// pixel that is almost always blank) decay geometrically into the subnormal
/// range, where every instruction that touches them takes a slow microcode
/// path: without this, Adam's share of an MNIST epoch tripled by the third
/// epoch. Below the smallest normal number a moment changes no update, so it is
/// stored as zero (what a processor in flush-to-zero mode would do).
#[inline(always)]
fn flush_subnormal<T: Element>(x: T) -> T {
    if x.abs() < T::min_positive_value() {
        T::zero()
    } else {
        x
    }
}

/// [`adam_plain`] compiled for AVX-512 (eight f64 lanes instead of SSE2's two).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn adam_plain_avx512<T: Element>(k: &AdamStep, w: &mut [T], g: &[T], exp_avg: &mut [T], exp_avg_sq: &mut [T]) {
    adam_plain(k, w, g, exp_avg, exp_avg_sq);
}

/// The Adam update of consecutive elements. The common case (no penalty, no
/// decoupled decay, no AMSGrad) runs a branch-free loop the compiler vectorizes;
/// it computes exactly what the general loop computes for those settings.
fn adam_chunk<T: Element>(
    k: &AdamStep,
    w: &mut [T],
    g: &[T],
    exp_avg: &mut [T],
    exp_avg_sq: &mut [T],
    mut max_sq: Option<&mut [T]>,
) {
    let plain = k.grad_pen.l1 == 0.0 && k.grad_pen.l2 == 0.0 && k.shrink == 1.0 && max_sq.is_none();
    if plain {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above).
            unsafe { adam_plain_avx512(k, w, g, exp_avg, exp_avg_sq) };
            return;
        }
        adam_plain(k, w, g, exp_avg, exp_avg_sq);
        return;
    }
    for (i, (w, &g)) in w.iter_mut().zip(g).enumerate() {
        let mut wf = w.as_f64();
        if k.shrink != 1.0 {
            wf *= k.shrink;
        }
        let g = k.grad_pen.grad(wf, g.as_f64());
        exp_avg[i] = flush_subnormal(T::of(lerp(exp_avg[i].as_f64(), g, 1.0 - k.b1)));
        exp_avg_sq[i] = flush_subnormal(T::of(k.b2 * exp_avg_sq[i].as_f64() + (1.0 - k.b2) * g * g));
        let second = match max_sq.as_deref_mut() {
            Some(mx) => {
                mx[i] = T::of(mx[i].as_f64().max(exp_avg_sq[i].as_f64()));
                mx[i].as_f64()
            }
            None => exp_avg_sq[i].as_f64(),
        };
        let denom = second.sqrt() / k.bc2_sqrt + k.eps;
        *w = T::of(wf - k.step_size * (exp_avg[i].as_f64() / denom));
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
