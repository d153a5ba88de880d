//! Softmax and log-softmax, stable for large logits (the maximum is factored out).

use crate::backend::CrossEntropyTargets;
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

impl Tensor {
    /// The fused kernel behind `cross_entropy`: per-row losses `[n]` and the gradient
    /// of their normalized sum `[n, c]` for these `[n, c]` logits, neither recorded.
    pub(crate) fn softmax_cross_entropy(&self, targets: &CrossEntropyTargets<'_>) -> Result<(Tensor, Tensor)> {
        let (losses, grad) = self.with_storage(|s, l| s.cross_entropy(l, targets))?;
        Ok((Tensor::from_storage(losses, &self.shape()[..1]), Tensor::from_storage(grad, self.shape())))
    }
}
