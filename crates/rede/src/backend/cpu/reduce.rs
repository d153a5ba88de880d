//! Reductions over the trailing dimensions of a layout (the op layer permutes
//! the reduced axes to the end first).

use super::strided::packed;
use super::PARALLEL_THRESHOLD;
use crate::backend::ReduceOp;
use crate::layout::Layout;
use crate::Element;
use rayon::prelude::*;

/// Reduces each group of the trailing `reduced` dimensions to one value.
pub(crate) fn reduce_trailing<T: Element>(v: &[T], layout: &Layout, reduced: usize, op: ReduceOp) -> Vec<T> {
    let shape = layout.shape();
    let group: usize = shape[shape.len() - reduced..].iter().product();
    let outer: usize = shape[..shape.len() - reduced].iter().product();
    if group == 0 {
        let empty = match op {
            ReduceOp::Sum => T::zero(),
            ReduceOp::Max => T::neg_infinity(),
            ReduceOp::Min => T::infinity(),
            ReduceOp::ArgMax | ReduceOp::ArgMin => T::zero(),
        };
        return vec![empty; outer];
    }
    let data = packed(v, layout);
    let f = move |chunk: &[T]| reduce_one(chunk, op);
    if outer == 1 && group >= PARALLEL_THRESHOLD && op == ReduceOp::Sum {
        return vec![T::of(data.par_iter().map(|x| x.as_f64()).sum())];
    }
    if outer * group >= PARALLEL_THRESHOLD {
        data.par_chunks(group).map(f).collect()
    } else {
        data.chunks(group).map(f).collect()
    }
}

/// One group's reduction. Sums accumulate in f64 so long f32 sums stay accurate.
fn reduce_one<T: Element>(chunk: &[T], op: ReduceOp) -> T {
    match op {
        ReduceOp::Sum => T::of(chunk.iter().map(|x| x.as_f64()).sum()),
        ReduceOp::Max => chunk.iter().copied().fold(T::neg_infinity(), |a, b| if b > a || b.is_nan() { b } else { a }),
        ReduceOp::Min => chunk.iter().copied().fold(T::infinity(), |a, b| if b < a || b.is_nan() { b } else { a }),
        // A NaN beats every number (the first NaN wins), as in PyTorch.
        ReduceOp::ArgMax => T::of(arg_best(chunk, |a, b| a > b || (a.is_nan() && !b.is_nan())) as f64),
        ReduceOp::ArgMin => T::of(arg_best(chunk, |a, b| a < b || (a.is_nan() && !b.is_nan())) as f64),
    }
}

/// Index of the first element that no later element beats.
fn arg_best<T: Element>(chunk: &[T], better: impl Fn(T, T) -> bool) -> usize {
    let mut best = 0;
    for (i, &x) in chunk.iter().enumerate().skip(1) {
        if better(x, chunk[best]) {
            best = i;
        }
    }
    best
}

/// Column sums of a contiguous `[rows, cols]` block, accumulated in f64 row by
/// row (sequential reads, and as accurate as the trailing reductions).
pub(crate) fn sum_rows<T: Element>(block: &[T], cols: usize) -> Vec<T> {
    let mut acc = vec![0.0f64; cols];
    if cols > 0 {
        for row in block.chunks_exact(cols) {
            for (a, &x) in acc.iter_mut().zip(row) {
                *a += x.as_f64();
            }
        }
    }
    acc.into_iter().map(T::of).collect()
}
