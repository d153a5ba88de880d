//! Gradient clipping, in place on the stored gradients (PyTorch's
//! `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`).

use super::config::non_negative;
use crate::{DType, Element, Error, Result, Tensor};

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
        sum_sq += match g.dtype() {
            DType::F32 => sum_of_squares::<f32>(g)?,
            DType::F64 => sum_of_squares::<f64>(g)?,
        };
    }
    let total = sum_sq.sqrt();
    if !total.is_finite() {
        return Err(Error::invalid("clip_grad_norm", format!("the gradient norm is {total}")));
    }
    let scale = max_norm / (total + 1e-6);
    if scale < 1.0 {
        for g in &grads {
            map_in_place(g, |v| v * scale)?;
        }
    }
    Ok(total)
}

/// Clamps every gradient element to `[-clip, clip]`.
pub fn clip_grad_value(params: &[Tensor], clip: f64) -> Result<()> {
    non_negative("clip_grad_value", "clip", clip)?;
    for g in contiguous_grads(params) {
        map_in_place(&g, |v| v.clamp(-clip, clip))?;
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

fn sum_of_squares<T: Element>(g: &Tensor) -> Result<f64> {
    g.with_data::<T, _>(|d| d.iter().map(|v| v.as_f64() * v.as_f64()).sum())
}

fn map_in_place(g: &Tensor, f: impl Fn(f64) -> f64) -> Result<()> {
    match g.dtype() {
        DType::F32 => g.with_data_mut::<f32, _>(|d| d.iter_mut().for_each(|v| *v = f(*v as f64) as f32)),
        DType::F64 => g.with_data_mut::<f64, _>(|d| d.iter_mut().for_each(|v| *v = f(*v))),
    }
}
