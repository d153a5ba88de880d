//! Softmax and log-softmax, stable for large logits (the maximum is factored out).

use crate::{Result, Tensor};

impl Tensor {
    /// e^x / Σ e^x along `axis`. Composed from primitive ops, so its gradient is theirs.
    pub fn softmax(&self, axis: isize) -> Result<Tensor> {
        let shifted = self.sub(&self.detach().max(&[axis], true)?)?;
        let e = shifted.exp();
        e.div(&e.sum(&[axis], true)?)
    }

    /// x − log Σ e^x along `axis`.
    pub fn log_softmax(&self, axis: isize) -> Result<Tensor> {
        self.sub(&self.logsumexp(&[axis], true)?)
    }
}
