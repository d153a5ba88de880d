//! The optimizer-update vocabulary shared by every backend: what one update
//! rule sees of one parameter, and the rule itself.

use crate::Element;

/// What an update rule sees of one parameter during a step.
pub struct Slot<'a, T> {
    /// The parameter's values, updated in place.
    pub w: &'a mut [T],
    /// Its gradient.
    pub g: &'a [T],
    /// Its state buffers, in the order of the optimizer's buffer names, in the
    /// parameter's element type.
    pub bufs: &'a mut [&'a mut [T]],
    /// How many updates this parameter has had, this one included (1 on the first).
    pub step: u64,
    /// Whether the parameter's label ends in "bias".
    pub is_bias: bool,
}

/// One optimizer's update of a single parameter, in one pass over its buffers.
pub trait UpdateRule: Sync {
    /// Updates `slot.w` in place from `slot.g` and the state buffers.
    fn update<T: Element>(&self, slot: Slot<'_, T>);

    /// The same rule as data, for devices that run it in a kernel of their own
    /// rather than through [`UpdateRule::update`] on host slices.
    fn spec(&self) -> UpdateSpec;
}

/// The penalties of an update rule: L2 weight decay (on biases only with
/// `decay_biases`) and L1 (never on biases).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decay {
    /// L2 coefficient.
    pub weight_decay: f64,
    /// L1 coefficient.
    pub l1: f64,
    /// Whether the L2 penalty also applies to biases.
    pub decay_biases: bool,
}

/// An update rule's hyperparameters, one variant per rule, with the state
/// buffers in the order the optimizer names them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UpdateSpec {
    /// SGD, with (Nesterov) momentum when `momentum` is not 0 (buffer: momentum).
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum μ.
        momentum: f64,
        /// Dampening τ.
        dampening: f64,
        /// Nesterov momentum.
        nesterov: bool,
        /// Penalties.
        decay: Decay,
    },
    /// Adam or AdamW (buffers: first moment, second moment, and its running maximum with AMSGrad).
    Adam {
        /// Learning rate.
        lr: f64,
        /// β₁ and β₂.
        betas: (f64, f64),
        /// Denominator term ε.
        eps: f64,
        /// Keep the running maximum of the second moment.
        amsgrad: bool,
        /// AdamW: weight decay shrinks the weights instead of joining the gradient.
        decoupled: bool,
        /// Penalties.
        decay: Decay,
    },
    /// RMSProp (buffers: square average, then the gradient average when
    /// centered, then the momentum buffer when `momentum` is not 0).
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// Smoothing constant α.
        alpha: f64,
        /// Denominator term ε.
        eps: f64,
        /// Momentum.
        momentum: f64,
        /// Divide by the centered second moment.
        centered: bool,
        /// Penalties.
        decay: Decay,
    },
    /// Adagrad (buffer: the sum of squared gradients).
    Adagrad {
        /// Learning rate.
        lr: f64,
        /// Learning-rate decay per step.
        lr_decay: f64,
        /// Denominator term ε.
        eps: f64,
        /// Penalties.
        decay: Decay,
    },
}

/// The most state buffers a rule keeps per parameter (RMSProp, centered with
/// momentum, keeps three).
pub const MAX_STATE_BUFFERS: usize = 4;
