//! Layer and group normalization, composed from primitive ops (so their
//! gradients are the graph's), with PyTorch's biased variance.

use crate::{Error, Result, Tensor};

/// (x − mean)/√(var + eps) over `axes`, the variance biased (divided by n).
fn standardize(x: &Tensor, axes: &[isize], eps: f64) -> Result<Tensor> {
    let centered = x.sub(&x.mean(axes, true)?)?;
    let var = centered.square().mean(axes, true)?;
    centered.mul(&var.add_scalar(eps).rsqrt())
}

/// Checks an optional scale or shift has `shape` and the input's element type.
fn check_affine(op: &'static str, x: &Tensor, t: Option<&Tensor>, shape: &[usize]) -> Result<()> {
    match t {
        Some(t) if t.shape() != shape => {
            Err(Error::invalid(op, format!("weight and bias must have shape {shape:?}, got {:?}", t.shape())))
        }
        Some(t) => super::same_dtype(op, x, t),
        None => Ok(()),
    }
}

impl Tensor {
    /// Layer normalization over the trailing dimensions `normalized_shape` (PyTorch's
    /// `layer_norm`): each sample's last dimensions are standardized, then scaled by
    /// `weight` and shifted by `bias` (both of shape `normalized_shape`) when given.
    pub fn layer_norm(
        &self,
        normalized_shape: &[usize],
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Tensor> {
        const OP: &str = "layer_norm";
        let k = normalized_shape.len();
        if k == 0 || k > self.rank() || self.shape()[self.rank() - k..] != *normalized_shape {
            return Err(Error::invalid(
                OP,
                format!("normalized_shape {normalized_shape:?} must end the input's shape {:?}", self.shape()),
            ));
        }
        if eps.is_nan() || eps <= 0.0 {
            return Err(Error::invalid(OP, format!("eps must be positive, got {eps}")));
        }
        check_affine(OP, self, weight, normalized_shape)?;
        check_affine(OP, self, bias, normalized_shape)?;
        let axes: Vec<isize> = (1..=k as isize).map(|a| -a).collect();
        let mut y = standardize(self, &axes, eps)?;
        if let Some(w) = weight {
            y = y.mul(w)?;
        }
        match bias {
            Some(b) => y.add(b),
            None => Ok(y),
        }
    }

    /// Group normalization of `[N, C, ...]` (PyTorch's `group_norm`): the channels are
    /// split into `groups` groups, each standardized over its channels and positions,
    /// then scaled by `weight` and shifted by `bias` (shape `[C]`) per channel.
    pub fn group_norm(
        &self,
        groups: usize,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f64,
    ) -> Result<Tensor> {
        const OP: &str = "group_norm";
        if self.rank() < 2 || groups == 0 || self.shape()[1] % groups != 0 {
            return Err(Error::invalid(
                OP,
                format!("needs [N, C, ...] with C divisible by {groups} groups, got {:?}", self.shape()),
            ));
        }
        if eps.is_nan() || eps <= 0.0 {
            return Err(Error::invalid(OP, format!("eps must be positive, got {eps}")));
        }
        let c = self.shape()[1];
        check_affine(OP, self, weight, &[c])?;
        check_affine(OP, self, bias, &[c])?;
        let n = self.shape()[0];
        let grouped = self.reshape(&[n, groups, self.numel() / (n * groups).max(1)])?;
        let mut y = standardize(&grouped, &[2], eps)?.reshape(self.shape())?;
        let mut per_channel = vec![1; self.rank()];
        per_channel[1] = c;
        if let Some(w) = weight {
            y = y.mul(&w.reshape(&per_channel)?)?;
        }
        match bias {
            Some(b) => y.add(&b.reshape(&per_channel)?),
            None => Ok(y),
        }
    }
}
