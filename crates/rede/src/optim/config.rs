//! Checks on hyperparameters shared by the optimizer and schedule constructors.

use crate::{Error, Result};

/// `Err` unless `value` is finite and `>= 0`.
pub(crate) fn non_negative(op: &'static str, name: &str, value: f64) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(Error::invalid(op, format!("{name} must be a finite number >= 0, got {value}")));
    }
    Ok(())
}

/// `Err` unless `value` is finite and `> 0`.
pub(crate) fn positive(op: &'static str, name: &str, value: f64) -> Result<()> {
    if !(value.is_finite() && value > 0.0) {
        return Err(Error::invalid(op, format!("{name} must be a finite number > 0, got {value}")));
    }
    Ok(())
}

/// `Err` unless `0 <= value < 1`.
pub(crate) fn unit_interval(op: &'static str, name: &str, value: f64) -> Result<()> {
    if !(0.0..1.0).contains(&value) {
        return Err(Error::invalid(op, format!("{name} must be in [0, 1), got {value}")));
    }
    Ok(())
}

/// Builder-style setters, one per named field: `Config::default().lr(0.1)`.
macro_rules! setters {
    ($ty:ty { $($name:ident: $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($name), "`.")]
                pub fn $name(mut self, value: $t) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}
pub(crate) use setters;

/// Implements [`Optimizer`](super::Optimizer) for a first-order optimizer made of a
/// `config` (an [`UpdateRule`](super::params::UpdateRule) with an `lr` field) and
/// `states` ([`ParamStates`](super::params::ParamStates)).
macro_rules! first_order_optimizer {
    ($ty:ty, $config:ty, $kind:literal) => {
        impl $crate::optim::Optimizer for $ty {
            fn step(&mut self) -> $crate::Result<()> {
                self.states.apply(&self.config)
            }

            fn parameters(&self) -> &[$crate::Tensor] {
                self.states.params()
            }

            fn learning_rate(&self) -> f64 {
                self.config.lr
            }

            fn set_learning_rate(&mut self, lr: f64) {
                self.config.lr = lr;
            }

            fn state_dict(&self) -> $crate::optim::OptimizerState {
                self.states.to_state($kind, self.config.lr)
            }

            fn load_state_dict(&mut self, state: &$crate::optim::OptimizerState) -> $crate::Result<()> {
                self.states.load($kind, state)?;
                self.config.lr = state.learning_rate;
                Ok(())
            }
        }

        impl $ty {
            /// The hyperparameters.
            pub fn config(&self) -> &$config {
                &self.config
            }
        }
    };
}
pub(crate) use first_order_optimizer;

/// Lerp as PyTorch computes it (`torch.lerp`): `a + w·(b − a)` for small weights,
/// `b − (b − a)·(1 − w)` otherwise, so moment estimates match it to the last bit.
#[inline]
pub(crate) fn lerp(a: f64, b: f64, w: f64) -> f64 {
    if w.abs() < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}
