//! Optimizer steps on the device: an [`UpdateSpec`] becomes one fused kernel
//! launch per parameter, with the per-step constants computed here on the host.

use super::alloc::Buf;
use super::kernels::UPDATE;
use super::launch::{elems, launch, GpuElement};
use crate::backend::{Decay, UpdateSpec};
use crate::Result;

/// One parameter's buffers: weights and gradient (buffer and offset), the
/// state buffer (its rule's buffers one after another) and the element count.
pub(super) struct Param<'a, T: GpuElement> {
    pub w: (&'a Buf<T>, usize),
    pub g: (&'a Buf<T>, usize),
    pub state: &'a Buf<T>,
    pub n: usize,
}

/// The (L2, L1) coefficients for a weight or a bias.
fn penalties(d: Decay, is_bias: bool) -> (f64, f64) {
    let l2 = if is_bias && !d.decay_biases { 0.0 } else { d.weight_decay };
    (l2, if is_bias { 0.0 } else { d.l1 })
}

/// Runs one step of `spec` on `p`; `step` is the update count (1 on the first)
/// and whether the parameter is a bias.
pub(super) fn update<T: GpuElement>(p: &Param<'_, T>, spec: UpdateSpec, (step, is_bias): (u64, bool)) -> Result<()> {
    let n = p.n;
    if n == 0 {
        return Ok(());
    }
    let dev = &p.w.0.dev;
    let (w, g) = (p.w.0.ptr(p.w.1), p.g.0.ptr(p.g.1));
    let buf = |k: usize| p.state.ptr(k * n);
    let cfg = elems(n);
    match spec {
        UpdateSpec::Sgd { lr, momentum, dampening, nesterov, decay } => {
            let (l2, l1) = penalties(decay, is_bias);
            launch!(dev, UPDATE, T::kernel("sgd"), cfg;
                w, g, buf(0), (momentum != 0.0) as i32, (step == 1) as i32, nesterov as i32, n as u64,
                lr, momentum, dampening, l2, l1);
        }
        UpdateSpec::Adam { lr, betas: (b1, b2), eps, amsgrad, decoupled, decay } => {
            let (l2, l1) = penalties(decay, is_bias);
            let (grad_l2, shrink) = if decoupled { (0.0, 1.0 - lr * l2) } else { (l2, 1.0) };
            let t = step as f64;
            let (step_size, bc2_sqrt) = (lr / (1.0 - b1.powf(t)), (1.0 - b2.powf(t)).sqrt());
            launch!(dev, UPDATE, T::kernel("adam"), cfg;
                w, g, buf(0), buf(1), buf(if amsgrad { 2 } else { 1 }), amsgrad as i32, n as u64,
                step_size, bc2_sqrt, b1, b2, eps, grad_l2, l1, shrink);
        }
        UpdateSpec::RmsProp { lr, alpha, eps, momentum, centered, decay } => {
            let (l2, l1) = penalties(decay, is_bias);
            // Unused buffers get a valid address (the square average) that the kernel never touches.
            let grad_avg = if centered { buf(1) } else { buf(0) };
            let momentum_buf = if momentum == 0.0 { buf(0) } else { buf(1 + centered as usize) };
            launch!(dev, UPDATE, T::kernel("rmsprop"), cfg;
                w, g, buf(0), grad_avg, momentum_buf, centered as i32,
                (momentum != 0.0) as i32, n as u64, lr, alpha, eps, momentum, l2, l1);
        }
        UpdateSpec::Adagrad { lr, lr_decay, eps, decay } => {
            let (l2, l1) = penalties(decay, is_bias);
            let clr = lr / (1.0 + (step - 1) as f64 * lr_decay);
            launch!(dev, UPDATE, T::kernel("adagrad"), cfg; w, g, buf(0), n as u64, clr, eps, l2, l1);
        }
    }
    Ok(())
}
