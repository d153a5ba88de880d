//! Fused softmax cross-entropy on host buffers.

use super::strided;
use crate::backend::CrossEntropyTargets;
use crate::layout::Layout;
use crate::Element;
use rayon::prelude::*;

/// Logit values one rayon task should handle at least.
const VALUES_PER_TASK: usize = 1 << 13;

/// Per-row losses `[n]` and the gradient of their normalized sum `[n, c]` for the
/// `[n, c]` logits under `layout`. With `b` the row's target distribution
/// (`ε/C·w[k] + (1−ε)·w[y]·[k = y]`), the loss is `−Σ_k b[k]·log softmax[k]` and
/// the gradient `(softmax·Σ_k b[k] − b)/norm`. In f64, with the maximum
/// subtracted so any finite logits are safe; rows in parallel.
pub(super) fn cross_entropy<T: Element>(v: &[T], layout: &Layout, t: &CrossEntropyTargets<'_>) -> (Vec<T>, Vec<T>) {
    let (n, c) = (layout.shape()[0], layout.shape()[1]);
    let z: Vec<f64> = strided::collect(v, layout, T::as_f64);
    let mut losses = vec![T::zero(); n];
    let mut grad = vec![T::zero(); n * c];
    if n == 0 || c == 0 {
        return (losses, grad);
    }
    let rows = VALUES_PER_TASK.div_ceil(c);
    losses.par_chunks_mut(rows).zip(grad.par_chunks_mut(rows * c)).enumerate().for_each(|(task, (ls, gs))| {
        // The row's exponentials, computed once for the sum and the gradient.
        let mut exps = vec![0.0; c];
        for (j, (loss, d)) in ls.iter_mut().zip(gs.chunks_exact_mut(c)).enumerate() {
            let i = task * rows + j;
            if let Some(y) = t.classes[i] {
                *loss = T::of(row_loss(&z[i * c..(i + 1) * c], y, t, &mut exps, d));
            } // ignored: loss and gradient stay 0
        }
    });
    (losses, grad)
}

/// One row's loss; writes its gradient into `d`. `exps` is scratch of the row's length.
fn row_loss<T: Element>(row: &[f64], y: usize, t: &CrossEntropyTargets<'_>, exps: &mut [f64], d: &mut [T]) -> f64 {
    let c = row.len();
    let eps_share = t.smoothing / c as f64;
    let mass = |k: usize| eps_share * t.weight[k] + if k == y { (1.0 - t.smoothing) * t.weight[y] } else { 0.0 };
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    exps.iter_mut().zip(row).for_each(|(e, &x)| *e = (x - max).exp());
    let total: f64 = exps.iter().sum();
    let log_total = total.ln();
    let row_mass: f64 = (0..c).map(mass).sum();
    let mut loss = 0.0;
    for (k, ((&x, &e), dk)) in row.iter().zip(exps.iter()).zip(d.iter_mut()).enumerate() {
        let b = mass(k);
        if b != 0.0 {
            loss -= b * (x - max - log_total);
        }
        *dk = T::of(((e / total) * row_mass - b) / t.norm);
    }
    loss
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_over_tasks_match_each_row_computed_alone() {
        // 3,000 rows of 7 logits: three rayon tasks of 1,171 rows, the last shorter;
        // every fifth row ignored, every third one's target the last class.
        let (n, c) = (3000, 7);
        let logits: Vec<f32> = (0..n * c).map(|i| ((i * 37 % 101) as f32 - 50.0) / 9.0).collect();
        let classes: Vec<Option<usize>> = (0..n).map(|i| (i % 5 != 0).then_some(i % 3 * 3)).collect();
        let weight = [1.0, 0.5, 2.0, 1.0, 1.5, 1.0, 0.7];
        let targets = CrossEntropyTargets { classes: &classes, weight: &weight, smoothing: 0.1, norm: 4.0 };
        assert!(n * c > 2 * VALUES_PER_TASK);
        let (losses, grad) = cross_entropy(&logits, &Layout::contiguous(&[n, c]), &targets);
        for i in 0..n {
            let one = CrossEntropyTargets { classes: &classes[i..=i], ..targets };
            let (loss, g) = cross_entropy(&logits[i * c..(i + 1) * c], &Layout::contiguous(&[1, c]), &one);
            assert_eq!(losses[i], loss[0], "row {i}: loss");
            assert_eq!(&grad[i * c..(i + 1) * c], &g[..], "row {i}: gradient");
            assert_eq!(loss[0] == 0.0, classes[i].is_none(), "row {i}: an ignored row has zero loss, no other");
        }
    }
}
