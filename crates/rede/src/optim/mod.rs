//! Optimizers, learning-rate schedules and gradient clipping.

use crate::{Result, Tensor};

/// Updates parameters from their gradients. Updates run outside the graph.
pub trait Optimizer: Send {
    /// Applies one update to every parameter that has a gradient.
    fn step(&mut self) -> Result<()>;

    /// Clears the gradients of all parameters.
    fn zero_grad(&mut self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// The parameters being optimized.
    fn parameters(&self) -> &[Tensor];

    /// The current learning rate.
    fn learning_rate(&self) -> f64;

    /// Changes the learning rate (schedules call this between epochs).
    fn set_learning_rate(&mut self, lr: f64);
}

/// A learning-rate schedule, stepped once per epoch.
pub trait LrScheduler: Send {
    /// The learning rate for the epoch after `epoch` (0-based) given the
    /// validation metric just measured (lower is better), if any.
    fn step(&mut self, epoch: usize, metric: Option<f64>) -> f64;
}
