//! Reductions over trailing axes and column sums, accumulated in f64 like the CPU's.

use super::alloc::Buf;
use super::kernels::REDUCE;
use super::launch::{elems, launch, rows, GpuElement, Strided};
use crate::backend::ReduceOp;
use crate::layout::Layout;
use crate::Result;

/// The kernel's op code for `op` (see reduce.cu).
fn reduce_code(op: ReduceOp) -> i32 {
    match op {
        ReduceOp::Sum => 0,
        ReduceOp::Max => 1,
        ReduceOp::Min => 2,
        ReduceOp::ArgMax => 3,
        ReduceOp::ArgMin => 4,
    }
}

/// Reduces each group of the trailing `reduced` dimensions of `layout` to one value.
pub(super) fn reduce<T: GpuElement>(x: &Buf<T>, layout: &Layout, reduced: usize, op: ReduceOp) -> Result<Buf<T>> {
    let shape = layout.shape();
    let group: usize = shape[shape.len() - reduced..].iter().product();
    let outer: usize = shape[..shape.len() - reduced].iter().product();
    let out = Buf::<T>::alloc(&x.dev, outer)?;
    if outer > 0 {
        launch!(x.dev, REDUCE, T::kernel("reduce"), rows(outer);
            out.ptr(0), x.ptr(0), Strided::of(layout)?, outer as u64, group as u64, reduce_code(op));
    }
    Ok(out)
}

/// Column sums of the contiguous `[rows, cols]` block at `offset`.
pub(super) fn sum_rows<T: GpuElement>(x: &Buf<T>, offset: usize, rows: usize, cols: usize) -> Result<Buf<T>> {
    let out = Buf::<T>::alloc(&x.dev, cols)?;
    if cols > 0 {
        launch!(x.dev, REDUCE, T::kernel("sum_rows"), elems(cols);
            out.ptr(0), x.ptr(0), offset as u64, rows as u64, cols as u64);
    }
    Ok(out)
}
