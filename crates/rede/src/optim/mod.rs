//! Optimizers, learning-rate schedules and gradient clipping.
//!
//! The first-order optimizers ([`Sgd`], [`RmsProp`], [`Adam`], [`AdamW`],
//! [`Adagrad`]) follow PyTorch's update rules and defaults. Each step is one
//! pass over each parameter's buffer and its state, in place and outside the
//! graph, allocating nothing. State is kept in f64 whatever the parameter type.
//!
//! Regularization: `weight_decay` is L2 (added to the gradient, except for
//! [`AdamW`], where it is decoupled), `l1` adds `l1·sign(w)` to the gradient.
//! L1 only applies to weights: parameters whose label ([`Tensor::label`]) ends in
//! `"bias"` are exempt. Weight decay applies to biases too unless
//! `decay_biases` is switched off (default on, as in PyTorch). Labels are read
//! when the optimizer is built.
//!
//! [`Lbfgs`] is the quasi-Newton method of PyTorch's `torch.optim.LBFGS`, stepped
//! with a closure that re-evaluates the loss.

mod adagrad;
mod adam;
mod clip;
mod config;
mod lbfgs;
mod line_search;
mod params;
mod plateau;
mod rmsprop;
mod schedule;
mod sgd;
mod state;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamW, AdamWConfig};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use lbfgs::{Lbfgs, LbfgsConfig, LineSearch};
pub use plateau::{ImprovementRule, ReduceOnPlateau};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedule::{Constant, CosineAnnealing, Exponential, InverseScaling, LinearWarmup, StepDecay};
pub use sgd::{Sgd, SgdConfig};
pub use state::{NamedBuffer, OptimizerState, ParamState};

use crate::{Result, Tensor};

/// Updates parameters from their gradients. Updates run outside the graph.
pub trait Optimizer: Send {
    /// Applies one update to every parameter that has a gradient.
    fn step(&mut self) -> Result<()>;

    /// Evaluates the loss with `closure` (which computes it and calls `backward`),
    /// then updates, returning the loss. Optimizers that need to re-evaluate the
    /// loss several times per step ([`Lbfgs`]) override this.
    fn step_with(&mut self, closure: &mut dyn FnMut() -> Result<f64>) -> Result<f64> {
        let loss = closure()?;
        self.step()?;
        Ok(loss)
    }

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

    /// A copy of the optimizer's state (moment estimates, step counts, learning rate).
    fn state_dict(&self) -> OptimizerState;

    /// Restores a state from [`Optimizer::state_dict`] of an optimizer of the same
    /// kind over parameters of the same shapes; anything else is an `Err`.
    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()>;
}

/// A learning-rate schedule, stepped once per epoch.
pub trait LrScheduler: Send {
    /// The learning rate for the epoch after `epoch` (0-based) given the
    /// validation metric just measured (lower is better), if any.
    fn step(&mut self, epoch: usize, metric: Option<f64>) -> f64;

    /// The learning rate for epoch 0, before any step.
    fn initial_lr(&self) -> f64;
}
