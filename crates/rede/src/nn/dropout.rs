//! Inverted dropout.

use super::{LayerSpec, Module};
use crate::{Error, Result, Rng, Tensor};
use std::sync::Mutex;

/// Zeroes each unit with probability `p` in training and scales the kept ones by
/// 1/(1−p) ("inverted" dropout, Srivastava et al. 2014), so the expected value is
/// unchanged and evaluation is the identity.
///
/// Starts in training mode, like PyTorch. It owns a seeded generator (behind a
/// mutex, so `forward(&self)` can draw): the same seed gives the same masks.
pub struct Dropout {
    p: f64,
    training: bool,
    rng: Mutex<Rng>,
}

impl Dropout {
    /// Dropout with probability `p` in `[0, 1)`, seeded by a draw from `rng`.
    pub fn new(p: f64, rng: &mut Rng) -> Result<Dropout> {
        Dropout::with_seed(p, rng.next_u64())
    }

    /// Dropout with probability `p` in `[0, 1)` and its own seed.
    pub fn with_seed(p: f64, seed: u64) -> Result<Dropout> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid("Dropout", format!("p must be in [0, 1), got {p}")));
        }
        Ok(Dropout { p, training: true, rng: Mutex::new(Rng::seed(seed)) })
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Whether masks are applied (training mode).
    pub fn is_training(&self) -> bool {
        self.training
    }
}

impl Module for Dropout {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if !self.training || self.p == 0.0 {
            return Ok(x.clone());
        }
        // A poisoned lock only means another thread panicked mid-draw; the state is still usable.
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let uniform = Tensor::rand_uniform(x.shape(), 0.0, 1.0, x.dtype(), &mut rng).to_device(x.device())?;
        let mask = uniform.ge_scalar(self.p).mul_scalar(1.0 / (1.0 - self.p));
        x.mul(&mask)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::Dropout { p: self.p }
    }
}
