//! Gradient clipping, in place on the stored gradients (PyTorch's
//! `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`).

use super::config::non_negative;
use crate::{DType, Error, Result, Tensor};

/// Scales all gradients together so that their global L2 norm (the norm of
/// all gradient elements of all parameters as one vector) is at most
/// `max_norm`, and returns the norm before clipping. As in PyTorch, the scale
/// is `max_norm / (norm + 1e-6)` when below 1. Parameters without a gradient
/// are skipped; a non-finite norm is an `Err` (nothing is changed).
pub fn clip_grad_norm(params: &[Tensor], max_norm: f64) -> Result<f64> {
    non_negative("clip_grad_norm", "max_norm", max_norm)?;
    let grads = contiguous_grads(params);
    let mut sum_sq = 0.0;
    for g in &grads {
        sum_sq += sum_of_squares(g)?;
    }
    let total = sum_sq.sqrt();
    if !total.is_finite() {
        return Err(Error::invalid("clip_grad_norm", format!("the gradient norm is {total}")));
    }
    let scale = max_norm / (total + 1e-6);
    if scale < 1.0 {
        for g in &grads {
            map_in_place(g, |g| g.mul_scalar(scale))?;
        }
    }
    Ok(total)
}

/// Clamps every gradient element to `[-clip, clip]`.
pub fn clip_grad_value(params: &[Tensor], clip: f64) -> Result<()> {
    non_negative("clip_grad_value", "clip", clip)?;
    for g in contiguous_grads(params) {
        map_in_place(&g, |g| g.clamp(-clip, clip))?;
    }
    Ok(())
}

/// The parameters' gradients, made contiguous (and stored back) where needed
/// so they can be changed in place.
fn contiguous_grads(params: &[Tensor]) -> Vec<Tensor> {
    let mut grads = Vec::with_capacity(params.len());
    for p in params {
        let Some(g) = p.grad() else { continue };
        if g.is_contiguous() {
            grads.push(g);
        } else {
            let copy = crate::no_grad(|| g.mul_scalar(1.0));
            p.set_grad(Some(copy.clone()));
            grads.push(copy);
        }
    }
    grads
}

/// Σg² accumulated in f64 on the gradient's device (one value read back).
fn sum_of_squares(g: &Tensor) -> Result<f64> {
    crate::no_grad(|| g.to_dtype(DType::F64).square().sum_all()?.item())
}

/// Replaces the gradient's values by `f(g)`, computed on its device.
fn map_in_place(g: &Tensor, f: impl Fn(&Tensor) -> Tensor) -> Result<()> {
    let new = crate::no_grad(|| f(g));
    g.assign(&new)
}
