//! Reducing the learning rate when a metric stops improving: PyTorch's
//! `ReduceLROnPlateau`, and scikit-learn's `learning_rate='adaptive'`.

use super::config::{non_negative, positive};
use super::LrScheduler;
use crate::{Error, Result};

/// When a metric counts as better than the best so far (lower is better).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ImprovementRule {
    /// PyTorch's `threshold_mode='rel'`: `metric < best·(1 − threshold)`.
    Relative,
    /// PyTorch's `threshold_mode='abs'`: `metric < best − threshold`.
    Absolute,
    /// scikit-learn's MLP rule: an epoch fails when `metric > best − threshold`, and
    /// the best is updated by any lower metric, even one that counted as a failure.
    Sklearn,
}

/// Divides the learning rate by a factor when the metric has not improved for
/// more than `patience` epochs (PyTorch's `ReduceLROnPlateau` in `min` mode).
/// Epochs without a metric leave everything unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceOnPlateau {
    lr: f64,
    lr0: f64,
    factor: f64,
    patience: usize,
    threshold: f64,
    rule: ImprovementRule,
    cooldown: usize,
    min_lr: f64,
    eps: f64,
    best: f64,
    bad_epochs: usize,
    cooldown_left: usize,
    exhausted: bool,
}

impl ReduceOnPlateau {
    /// PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4 (relative),
    /// cooldown 0, min_lr 0, eps 1e-8; starts at `lr0`.
    pub fn new(lr0: f64) -> Result<ReduceOnPlateau> {
        non_negative("ReduceOnPlateau", "lr0", lr0)?;
        Ok(ReduceOnPlateau {
            lr: lr0,
            lr0,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            rule: ImprovementRule::Relative,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
            best: f64::INFINITY,
            bad_epochs: 0,
            cooldown_left: 0,
            exhausted: false,
        })
    }

    /// scikit-learn's `learning_rate='adaptive'` (`MLPClassifier`, `MLPRegressor`):
    /// each time the training loss has failed to fall by at least `tol` below the
    /// best so far for more than `n_iter_no_change` (default 10) consecutive epochs,
    /// the rate is divided by 5 and the count restarts. scikit-learn stops training
    /// instead once the rate is at most 1e-6; here the rate then stays and
    /// [`ReduceOnPlateau::exhausted`] turns true.
    ///
    /// scikit-learn's documentation says "two consecutive epochs", but its code
    /// (`_fit_stochastic`) compares the count with `n_iter_no_change`; this follows
    /// the code. Use [`ReduceOnPlateau::patience`] to change `n_iter_no_change`.
    pub fn sklearn_adaptive(lr0: f64, tol: f64) -> Result<ReduceOnPlateau> {
        non_negative("ReduceOnPlateau::sklearn_adaptive", "tol", tol)?;
        Ok(ReduceOnPlateau { factor: 0.2, rule: ImprovementRule::Sklearn, threshold: tol, ..Self::new(lr0)? })
    }

    /// The factor the rate is multiplied by on a plateau (in (0, 1)).
    pub fn factor(mut self, factor: f64) -> Result<Self> {
        if !(factor > 0.0 && factor < 1.0) {
            return Err(Error::invalid("ReduceOnPlateau", format!("factor must be in (0, 1), got {factor}")));
        }
        self.factor = factor;
        Ok(self)
    }

    /// How many epochs without improvement are tolerated before reducing.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// The improvement threshold and how it is applied.
    pub fn threshold(mut self, threshold: f64, rule: ImprovementRule) -> Result<Self> {
        non_negative("ReduceOnPlateau", "threshold", threshold)?;
        (self.threshold, self.rule) = (threshold, rule);
        Ok(self)
    }

    /// Epochs to wait after a reduction before counting bad epochs again.
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The rate is never reduced below this.
    pub fn min_lr(mut self, min_lr: f64) -> Result<Self> {
        non_negative("ReduceOnPlateau", "min_lr", min_lr)?;
        self.min_lr = min_lr;
        Ok(self)
    }

    /// Reductions smaller than this are skipped.
    pub fn eps(mut self, eps: f64) -> Result<Self> {
        positive("ReduceOnPlateau", "eps", eps)?;
        self.eps = eps;
        Ok(self)
    }

    /// In scikit-learn mode: the rate has reached 1e-6, where scikit-learn stops training.
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// Counts `metric` as a good or bad epoch, updating the best value.
    fn record(&mut self, metric: f64) {
        let improved = match self.rule {
            ImprovementRule::Relative => metric < self.best * (1.0 - self.threshold),
            ImprovementRule::Absolute => metric < self.best - self.threshold,
            ImprovementRule::Sklearn => metric <= self.best - self.threshold,
        };
        if improved {
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        if improved || (self.rule == ImprovementRule::Sklearn && metric < self.best) {
            self.best = metric;
        }
    }

    fn reduce(&mut self) {
        if self.rule == ImprovementRule::Sklearn && self.lr <= 1e-6 {
            self.exhausted = true;
            return;
        }
        // scikit-learn divides by 5, which is not always bit-equal to multiplying by 0.2.
        let scaled = match self.rule {
            ImprovementRule::Sklearn => self.lr / (1.0 / self.factor),
            _ => self.lr * self.factor,
        };
        let reduced = scaled.max(self.min_lr);
        if self.lr - reduced > self.eps {
            self.lr = reduced;
        }
    }
}

impl LrScheduler for ReduceOnPlateau {
    fn step(&mut self, _epoch: usize, metric: Option<f64>) -> f64 {
        let Some(metric) = metric else { return self.lr };
        self.record(metric);
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad_epochs = 0;
        }
        if self.bad_epochs > self.patience {
            self.reduce();
            self.cooldown_left = self.cooldown;
            self.bad_epochs = 0;
        }
        self.lr
    }

    fn initial_lr(&self) -> f64 {
        self.lr0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldown_delays_counting_and_min_lr_floors_the_rate() {
        let mut s = ReduceOnPlateau::new(1.0).unwrap().patience(0).cooldown(2).min_lr(0.05).unwrap();
        let lrs: Vec<f64> = (0..8).map(|e| s.step(e, Some(1.0))).collect();
        // Epoch 0 sets the best; then a reduction on each bad epoch after a 2-epoch cooldown.
        assert_eq!(lrs, vec![1.0, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
    }
}
