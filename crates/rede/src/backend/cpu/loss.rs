//! Fused softmax cross-entropy on host buffers.

use super::fast_exp::FastExp;
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
/// the gradient `(softmax·Σ_k b[k] − b)/norm`. The maximum is subtracted so any
/// finite logits are safe; rows in parallel.
///
/// The exponentials and the gradient are computed in the element type, as
/// PyTorch does, with [`FastExp`] (for f32, a vectorized polynomial): in f64
/// with libm's `exp`, one value at a time, this kernel was 9 % of training the
/// `char_lm` example. Each row's loss is summed in f64.
pub(super) fn cross_entropy<T: FastExp>(v: &[T], layout: &Layout, t: &CrossEntropyTargets<'_>) -> (Vec<T>, Vec<T>) {
    let (n, c) = (layout.shape()[0], layout.shape()[1]);
    let z = strided::packed(v, layout);
    let mut losses = vec![T::zero(); n];
    let mut grad = vec![T::zero(); n * c];
    if n == 0 || c == 0 {
        return (losses, grad);
    }
    let terms = ClassTerms::new(t, c);
    let rows = VALUES_PER_TASK.div_ceil(c);
    losses.par_chunks_mut(rows).zip(grad.par_chunks_mut(rows * c)).enumerate().for_each(|(task, (ls, gs))| {
        let first = task * rows;
        let task = Rows { z: &z[first * c..(first + ls.len()) * c], classes: &t.classes[first..first + ls.len()] };
        task_rows(&task, &terms, ls, gs);
    });
    (losses, grad)
}

/// What every row shares: the smoothing's share of each class, as gradient
/// terms and in f64 for the loss.
struct ClassTerms<'a, T> {
    targets: &'a CrossEntropyTargets<'a>,
    /// `ε/C·w[k]/norm`, subtracted from every row's gradient (empty when ε = 0).
    smoothing_grad: Vec<T>,
    /// `ε/C`: the smoothing's share of each class.
    share: f64,
    /// `ε/C·Σ_k w[k]`: the smoothing's part of each row's target mass.
    smoothing_mass: f64,
}

impl<'a, T: Element> ClassTerms<'a, T> {
    fn new(t: &'a CrossEntropyTargets<'a>, c: usize) -> Self {
        let share = t.smoothing / c as f64;
        let smoothing_grad = match t.smoothing {
            0.0 => Vec::new(),
            _ => t.weight.iter().map(|&w| T::of(share * w / t.norm)).collect(),
        };
        ClassTerms { targets: t, smoothing_grad, share, smoothing_mass: share * t.weight.iter().sum::<f64>() }
    }
}

/// One rayon task's rows of logits and their targets.
struct Rows<'a, T> {
    z: &'a [T],
    classes: &'a [Option<usize>],
}

/// The losses and gradient rows of one task (ignored rows stay 0).
fn task_rows<T: FastExp>(rows: &Rows<'_, T>, terms: &ClassTerms<'_, T>, losses: &mut [T], grad: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F (checked just above).
        unsafe { task_rows_avx512(rows, terms, losses, grad) };
        return;
    }
    task_rows_plain::<T, false>(rows, terms, losses, grad);
}

/// [`task_rows_plain`] compiled for AVX-512, with fused multiply-adds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn task_rows_avx512<T: FastExp>(rows: &Rows<'_, T>, terms: &ClassTerms<'_, T>, ls: &mut [T], gs: &mut [T]) {
    task_rows_plain::<T, true>(rows, terms, ls, gs);
}

#[inline(always)]
fn task_rows_plain<T: FastExp, const FMA: bool>(
    rows: &Rows<'_, T>,
    terms: &ClassTerms<'_, T>,
    losses: &mut [T],
    grad: &mut [T],
) {
    let c = rows.z.len() / losses.len().max(1);
    for (i, (loss, d)) in losses.iter_mut().zip(grad.chunks_exact_mut(c)).enumerate() {
        if let Some(y) = rows.classes[i] {
            *loss = T::of(row_loss::<T, FMA>(&rows.z[i * c..(i + 1) * c], y, terms, d));
        }
    }
}

/// One row's loss; writes its gradient into `d`.
#[inline(always)]
fn row_loss<T: FastExp, const FMA: bool>(row: &[T], y: usize, terms: &ClassTerms<'_, T>, d: &mut [T]) -> f64 {
    let t = terms.targets;
    let d = &mut d[..row.len()];
    let max = lane_max(row);
    for (dk, &x) in d.iter_mut().zip(row) {
        *dk = (x - max).fast_exp::<FMA>();
    }
    let total = lane_sum(d).as_f64();
    let target_mass = (1.0 - t.smoothing) * t.weight[y];
    let scale = T::of((terms.smoothing_mass + target_mass) / (total * t.norm));
    for dk in d.iter_mut() {
        *dk = *dk * scale;
    }
    d[y] = d[y] - T::of(target_mass / t.norm);
    // −log softmax[k] = max + log Σ e − x[k], each term computed in that order.
    let log_z = max.as_f64() + total.ln();
    let mut loss = target_mass * (log_z - row[y].as_f64());
    if !terms.smoothing_grad.is_empty() {
        for (dk, &s) in d.iter_mut().zip(&terms.smoothing_grad) {
            *dk = *dk - s;
        }
        loss += terms.share * row.iter().zip(t.weight).map(|(&x, &w)| w * (log_z - x.as_f64())).sum::<f64>();
    }
    loss
}

/// Lanes a row's sum and maximum run in, so the loops vectorize (a single
/// running float sum or maximum must go in order, one value at a time).
const LANES: usize = 16;

/// The largest value of `v` (−∞ for none).
#[inline(always)]
fn lane_max<T: Element>(v: &[T]) -> T {
    lane_fold(v, T::neg_infinity(), |m, x| if x > m { x } else { m })
}

/// The sum of `v`.
#[inline(always)]
fn lane_sum<T: Element>(v: &[T]) -> T {
    lane_fold(v, T::zero(), |s, x| s + x)
}

/// `v` folded with `op` from `start` in [`LANES`] running values, then those together.
#[inline(always)]
fn lane_fold<T: Element>(v: &[T], start: T, op: impl Fn(T, T) -> T) -> T {
    let mut acc = [start; LANES];
    let chunks = v.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a = op(*a, x);
        }
    }
    acc.iter().chain(rest).copied().fold(start, op)
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
