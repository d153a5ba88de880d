//! Stopping when the monitored quantity stops improving.

/// What early stopping watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monitor {
    /// Validation loss (lower is better); the default.
    ValLoss,
    /// Validation score: accuracy or R² (higher is better).
    ValScore,
    /// Training loss (lower is better), for runs without validation data.
    TrainLoss,
}

/// Early-stopping settings (Keras' `EarlyStopping`, scikit-learn's `n_iter_no_change`/`tol`).
#[derive(Clone, Copy, Debug)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Smallest change that counts as an improvement.
    pub min_delta: f64,
    /// The quantity watched.
    pub monitor: Monitor,
    /// Put back the weights of the best epoch when training ends.
    pub restore_best: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping { patience: 10, min_delta: 1e-4, monitor: Monitor::ValLoss, restore_best: true }
    }
}

/// Tracks the best value seen and how long ago it was.
#[derive(Debug)]
pub(crate) struct Tracker {
    config: EarlyStopping,
    best: Option<f64>,
    pub(crate) best_epoch: Option<usize>,
    waited: usize,
}

impl Tracker {
    pub(crate) fn new(config: EarlyStopping) -> Self {
        Tracker { config, best: None, best_epoch: None, waited: 0 }
    }

    /// Records an epoch's value; returns whether it is a new best.
    pub(crate) fn observe(&mut self, epoch: usize, value: f64) -> bool {
        // Scores are maximised; compare on the loss scale by negating them.
        let v = if self.config.monitor == Monitor::ValScore { -value } else { value };
        let improved = self.best.is_none_or(|b| v < b - self.config.min_delta);
        if improved {
            self.best = Some(v);
            self.best_epoch = Some(epoch);
            self.waited = 0;
        } else {
            self.waited += 1;
        }
        improved
    }

    /// Whether patience has run out.
    pub(crate) fn should_stop(&self) -> bool {
        self.waited >= self.config.patience
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_after_patience_epochs_without_improvement() {
        let mut t = Tracker::new(EarlyStopping { patience: 2, ..Default::default() });
        assert!(t.observe(1, 1.0));
        assert!(t.observe(2, 0.5));
        assert!(!t.observe(3, 0.49995)); // within min_delta
        assert!(!t.should_stop());
        assert!(!t.observe(4, 0.6));
        assert!(t.should_stop());
        assert_eq!(t.best_epoch, Some(2));
    }

    #[test]
    fn scores_are_maximised() {
        let mut t = Tracker::new(EarlyStopping { monitor: Monitor::ValScore, ..Default::default() });
        assert!(t.observe(1, 0.5));
        assert!(t.observe(2, 0.9));
        assert!(!t.observe(3, 0.8));
    }
}
