//! Closed-form learning-rate schedules. Each computes the rate for an epoch
//! from the epoch number alone, so a resumed run picks up the same sequence.
//! `step(epoch, _)` returns the rate for epoch `epoch + 1`, i.e. after `epoch + 1`
//! calls of PyTorch's `scheduler.step()`.

use super::config::non_negative;
use super::LrScheduler;
use crate::{Error, Result};

/// The same learning rate every epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct Constant {
    lr: f64,
}

impl Constant {
    /// A constant rate `lr`.
    pub fn new(lr: f64) -> Result<Constant> {
        non_negative("Constant", "lr", lr)?;
        Ok(Constant { lr })
    }
}

impl LrScheduler for Constant {
    fn step(&mut self, _epoch: usize, _metric: Option<f64>) -> f64 {
        self.lr
    }

    fn initial_lr(&self) -> f64 {
        self.lr
    }
}

/// Multiplies the rate by `gamma` every `step_size` epochs (PyTorch's `StepLR`):
/// epoch e uses `lr0·gamma^⌊e/step_size⌋`.
#[derive(Clone, Debug, PartialEq)]
pub struct StepDecay {
    lr0: f64,
    step_size: usize,
    gamma: f64,
}

impl StepDecay {
    /// Starts at `lr0`; `step_size` must be at least 1.
    pub fn new(lr0: f64, step_size: usize, gamma: f64) -> Result<StepDecay> {
        non_negative("StepDecay", "lr0", lr0)?;
        non_negative("StepDecay", "gamma", gamma)?;
        if step_size == 0 {
            return Err(Error::invalid("StepDecay", "step_size must be at least 1"));
        }
        Ok(StepDecay { lr0, step_size, gamma })
    }
}

impl LrScheduler for StepDecay {
    fn step(&mut self, epoch: usize, _metric: Option<f64>) -> f64 {
        self.lr0 * self.gamma.powf(((epoch + 1) / self.step_size) as f64)
    }

    fn initial_lr(&self) -> f64 {
        self.lr0
    }
}

/// Multiplies the rate by `gamma` every epoch (PyTorch's `ExponentialLR`):
/// epoch e uses `lr0·gamma^e`.
#[derive(Clone, Debug, PartialEq)]
pub struct Exponential {
    lr0: f64,
    gamma: f64,
}

impl Exponential {
    /// Starts at `lr0`.
    pub fn new(lr0: f64, gamma: f64) -> Result<Exponential> {
        non_negative("Exponential", "lr0", lr0)?;
        non_negative("Exponential", "gamma", gamma)?;
        Ok(Exponential { lr0, gamma })
    }
}

impl LrScheduler for Exponential {
    fn step(&mut self, epoch: usize, _metric: Option<f64>) -> f64 {
        self.lr0 * self.gamma.powf((epoch + 1) as f64)
    }

    fn initial_lr(&self) -> f64 {
        self.lr0
    }
}

/// scikit-learn's `learning_rate='invscaling'` for `MLPClassifier`/`MLPRegressor`:
/// `lr = lr0 / (t + 1)^power`, where t is the number of training samples seen so far.
///
/// scikit-learn counts samples, not epochs: after each epoch it adds the number of
/// training samples to `t` and sets the rate to `lr0 / (t + 1)^power_t`
/// (`SGDOptimizer.iteration_ends`), and the first epoch runs at `lr0`. With
/// `samples_per_epoch` set to the training-set size this reproduces its sequence
/// exactly; with 1 it is the per-epoch `lr0 / (e + 1)^power`.
#[derive(Clone, Debug, PartialEq)]
pub struct InverseScaling {
    lr0: f64,
    power: f64,
    samples_per_epoch: usize,
}

impl InverseScaling {
    /// Starts at `lr0` (scikit-learn's `learning_rate_init`), `power` is its
    /// `power_t` (default there 0.5), `samples_per_epoch` the training-set size.
    pub fn new(lr0: f64, power: f64, samples_per_epoch: usize) -> Result<InverseScaling> {
        non_negative("InverseScaling", "lr0", lr0)?;
        non_negative("InverseScaling", "power", power)?;
        if samples_per_epoch == 0 {
            return Err(Error::invalid("InverseScaling", "samples_per_epoch must be at least 1"));
        }
        Ok(InverseScaling { lr0, power, samples_per_epoch })
    }
}

impl LrScheduler for InverseScaling {
    fn step(&mut self, epoch: usize, _metric: Option<f64>) -> f64 {
        let samples_seen = ((epoch + 1) * self.samples_per_epoch) as f64;
        self.lr0 / (samples_seen + 1.0).powf(self.power)
    }

    fn initial_lr(&self) -> f64 {
        self.lr0
    }
}

/// Cosine annealing from `lr0` down to `eta_min` over `t_max` epochs (SGDR without
/// restarts, Loshchilov & Hutter 2017; PyTorch's `CosineAnnealingLR` closed form):
/// epoch e uses `eta_min + (lr0 − eta_min)·(1 + cos(π·e/t_max))/2`. Past `t_max` the
/// cosine continues, rising again, as in PyTorch.
#[derive(Clone, Debug, PartialEq)]
pub struct CosineAnnealing {
    lr0: f64,
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealing {
    /// Starts at `lr0`, reaching `eta_min` after `t_max` (≥ 1) epochs.
    pub fn new(lr0: f64, t_max: usize, eta_min: f64) -> Result<CosineAnnealing> {
        non_negative("CosineAnnealing", "lr0", lr0)?;
        non_negative("CosineAnnealing", "eta_min", eta_min)?;
        if t_max == 0 {
            return Err(Error::invalid("CosineAnnealing", "t_max must be at least 1"));
        }
        Ok(CosineAnnealing { lr0, t_max, eta_min })
    }
}

impl LrScheduler for CosineAnnealing {
    fn step(&mut self, epoch: usize, _metric: Option<f64>) -> f64 {
        let phase = std::f64::consts::PI * (epoch + 1) as f64 / self.t_max as f64;
        self.eta_min + (self.lr0 - self.eta_min) * (1.0 + phase.cos()) / 2.0
    }

    fn initial_lr(&self) -> f64 {
        self.lr0
    }
}

/// A linear ramp up to another schedule's starting rate, then that schedule.
///
/// With W warm-up epochs and `then` starting at lr0, epoch e < W uses
/// `lr0·(e+1)/(W+1)` (PyTorch's `LinearLR(start_factor=1/(W+1), total_iters=W)`),
/// and epoch W + k uses the rate `then` gives its own epoch k; metrics reach
/// `then` only after the warm-up.
pub struct LinearWarmup {
    warmup_epochs: usize,
    then: Box<dyn LrScheduler>,
}

impl LinearWarmup {
    /// Warms up over `warmup_epochs` epochs (0 means none), then follows `then`.
    pub fn new(warmup_epochs: usize, then: Box<dyn LrScheduler>) -> LinearWarmup {
        LinearWarmup { warmup_epochs, then }
    }
}

impl LrScheduler for LinearWarmup {
    fn step(&mut self, epoch: usize, metric: Option<f64>) -> f64 {
        let next = epoch + 1;
        match next.checked_sub(self.warmup_epochs) {
            None => self.then.initial_lr() * (next + 1) as f64 / (self.warmup_epochs + 1) as f64,
            Some(0) => self.then.initial_lr(),
            Some(k) => self.then.step(k - 1, metric),
        }
    }

    fn initial_lr(&self) -> f64 {
        match self.warmup_epochs {
            0 => self.then.initial_lr(),
            w => self.then.initial_lr() / (w + 1) as f64,
        }
    }
}
