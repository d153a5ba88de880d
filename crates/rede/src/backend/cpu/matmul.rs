//! Matrix products through the `gemm` crate, which takes arbitrary strides,
//! so transposed operands are multiplied without a copy.

use super::strided;
use crate::layout::Layout;
use crate::Element;
use gemm::Parallelism;

/// Sizes of each product `[m, k] x [k, n]`.
#[derive(Clone, Copy, Debug)]
pub struct MatmulDims {
    /// Rows of the left operand and the result.
    pub m: usize,
    /// Inner dimension.
    pub k: usize,
    /// Columns of the right operand and the result.
    pub n: usize,
}

/// One operand of a batched product: where each matrix starts and its row and column steps.
#[derive(Clone, Debug)]
pub struct MatOperand {
    /// Storage offset of each matrix in the batch.
    pub offsets: Vec<usize>,
    /// Step between rows.
    pub row_stride: usize,
    /// Step between columns.
    pub col_stride: usize,
}

/// Products smaller than this many multiply-adds run on one thread.
const PARALLEL_FLOPS: usize = 1 << 16;

/// How many threads a product of this size gets.
fn parallelism(d: MatmulDims) -> Parallelism {
    if d.m * d.n * d.k >= PARALLEL_FLOPS {
        Parallelism::Rayon(rayon::current_num_threads())
    } else {
        Parallelism::None
    }
}

/// Multiplies each pair of matrices into a contiguous `[batch, m, n]` result.
pub(crate) fn batched<T: Element>(a: &[T], la: &MatOperand, b: &[T], lb: &MatOperand, d: MatmulDims) -> Vec<T> {
    let size = d.m * d.n;
    let mut out = super::pool::take::<T>(la.offsets.len() * size);
    for (i, (&oa, &ob)) in la.offsets.iter().zip(&lb.offsets).enumerate() {
        product_into(&mut out[i * size..(i + 1) * size], false, (a, oa, la), (b, ob, lb), d);
    }
    out
}

/// One matrix of an operand: its buffer, its starting offset there, and its strides.
pub(crate) type Matrix<'a, T> = (&'a [T], usize, &'a MatOperand);

/// `dst = a·b`, or `dst += a·b` with `accumulate`, for one pair of matrices;
/// `dst` is contiguous `[m, n]`. Fully overwrites `dst` when not accumulating,
/// so it may hold any values on entry.
pub(crate) fn product_into<T: Element>(
    dst: &mut [T],
    accumulate: bool,
    (a, oa, la): Matrix<'_, T>,
    (b, ob, lb): Matrix<'_, T>,
    d: MatmulDims,
) {
    assert_eq!(dst.len(), d.m * d.n, "product destination of the wrong size");
    if d.m * d.n == 0 {
        return;
    }
    if d.k == 0 {
        if !accumulate {
            dst.fill(T::zero());
        }
        return;
    }
    // The operands describe in-bounds views: check the last element of each.
    let last = |o: &MatOperand, off: usize, rows: usize, cols: usize| {
        off + (rows - 1) * o.row_stride + (cols - 1) * o.col_stride
    };
    assert!(last(la, oa, d.m, d.k) < a.len() && last(lb, ob, d.k, d.n) < b.len(), "product operand out of bounds");
    // SAFETY: every element (offset + r·row_stride + c·col_stride) for r, c in range
    // lies inside `a` and `b` (checked above); `dst` holds exactly m·n elements with
    // row stride n, column stride 1. gemm computes dst = alpha·dst + beta·a·b and
    // reads `dst` only when `read_dst` is true.
    unsafe {
        gemm::gemm(
            d.m,
            d.n,
            d.k,
            dst.as_mut_ptr(),
            1,
            d.n as isize,
            accumulate,
            a.as_ptr().add(oa),
            la.col_stride as isize,
            la.row_stride as isize,
            b.as_ptr().add(ob),
            lb.col_stride as isize,
            lb.row_stride as isize,
            T::one(),
            T::one(),
            false,
            false,
            false,
            parallelism(d),
        );
    }
}

/// `x·wᵀ + bias` for `x` `[n, in]` and `w` `[out, in]` (any strides) into a
/// contiguous `[n, out]`.
pub(crate) fn linear<T: Element>(
    x: &[T],
    lx: &Layout,
    (w, lw): (&[T], &Layout),
    bias: Option<(&[T], &Layout)>,
) -> Vec<T> {
    let (n, outputs) = (lx.shape()[0], lw.shape()[0]);
    let d = MatmulDims { m: n, k: lx.shape()[1], n: outputs };
    let mut out = super::pool::take::<T>(n * outputs);
    if let Some((b, lb)) = bias {
        let b = strided::collect(b, lb, |v| v);
        for row in out.chunks_exact_mut(outputs.max(1)) {
            row.copy_from_slice(&b);
        }
    }
    let xo = MatOperand { offsets: Vec::new(), row_stride: lx.strides()[0], col_stride: lx.strides()[1] };
    // wᵀ: element (i, o) of the [in, out] view is w[o, i].
    let wt = MatOperand { offsets: Vec::new(), row_stride: lw.strides()[1], col_stride: lw.strides()[0] };
    product_into(&mut out, bias.is_some(), (x, lx.offset(), &xo), (w, lw.offset(), &wt), d);
    out
}
