//! Matrix products through the `gemm` crate, which takes arbitrary strides,
//! so transposed operands are multiplied without a copy.

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

/// Multiplies each pair of matrices into a contiguous `[batch, m, n]` result.
pub(crate) fn batched<T: Element>(a: &[T], la: &MatOperand, b: &[T], lb: &MatOperand, d: MatmulDims) -> Vec<T> {
    let mut out = vec![T::zero(); la.offsets.len() * d.m * d.n];
    if d.m * d.n == 0 {
        return out;
    }
    let par = if d.m * d.n * d.k >= PARALLEL_FLOPS {
        Parallelism::Rayon(rayon::current_num_threads())
    } else {
        Parallelism::None
    };
    for (i, (&oa, &ob)) in la.offsets.iter().zip(&lb.offsets).enumerate() {
        let dst = &mut out[i * d.m * d.n..(i + 1) * d.m * d.n];
        // SAFETY: the operands were built from layouts over these buffers, so every
        // element (offset + r·row_stride + c·col_stride) for r, c in range lies inside
        // `a` and `b`; `dst` holds exactly m·n elements with row stride n, column stride 1.
        // With k = 0 gemm reads nothing from `a` or `b`.
        unsafe {
            gemm::gemm(
                d.m,
                d.n,
                d.k,
                dst.as_mut_ptr(),
                1,
                d.n as isize,
                false,
                a.as_ptr().add(oa.min(a.len())),
                la.col_stride as isize,
                la.row_stride as isize,
                b.as_ptr().add(ob.min(b.len())),
                lb.col_stride as isize,
                lb.row_stride as isize,
                T::zero(),
                T::one(),
                false,
                false,
                false,
                par,
            );
        }
    }
    out
}
