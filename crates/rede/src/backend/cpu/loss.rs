//! Fused softmax cross-entropy on host buffers.

use super::strided;
use crate::backend::CrossEntropyTargets;
use crate::layout::Layout;
use crate::Element;

/// Per-row losses `[n]` and the gradient of their normalized sum `[n, c]` for the
/// `[n, c]` logits under `layout`. With `b` the row's target distribution
/// (`ε/C·w[k] + (1−ε)·w[y]·[k = y]`), the loss is `−Σ_k b[k]·log softmax[k]` and
/// the gradient `(softmax·Σ_k b[k] − b)/norm`. One pass per row, in f64, with
/// the maximum subtracted so any finite logits are safe.
pub(super) fn cross_entropy<T: Element>(v: &[T], layout: &Layout, t: &CrossEntropyTargets<'_>) -> (Vec<T>, Vec<T>) {
    let (n, c) = (layout.shape()[0], layout.shape()[1]);
    let z: Vec<f64> = strided::collect(v, layout, T::as_f64);
    let mut losses = vec![T::zero(); n];
    let mut grad = vec![T::zero(); n * c];
    let eps_share = t.smoothing / c as f64;
    for (i, (row, d)) in z.chunks_exact(c).zip(grad.chunks_exact_mut(c)).enumerate() {
        let y = t.classes[i];
        let mass = |k: usize| eps_share * t.weight[k] + if k == y { (1.0 - t.smoothing) * t.weight[y] } else { 0.0 };
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = row.iter().map(|&x| (x - max).exp()).sum();
        let log_total = total.ln();
        let row_mass: f64 = (0..c).map(mass).sum();
        let mut loss = 0.0;
        for (k, (&x, dk)) in row.iter().zip(d.iter_mut()).enumerate() {
            let (b, shifted) = (mass(k), x - max);
            if b != 0.0 {
                loss -= b * (shifted - log_total);
            }
            *dk = T::of(((shifted.exp() / total) * row_mass - b) / t.norm);
        }
        losses[i] = T::of(loss);
    }
    (losses, grad)
}
