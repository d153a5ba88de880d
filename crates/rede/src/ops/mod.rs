//! Differentiable tensor operations, one file per family. Each op computes its
//! result with a backend kernel and records a backward rule written with other
//! ops (so rules are short, device-independent and themselves tested).

mod activation;
pub(crate) mod attention;
mod binary;
pub(crate) mod conv;
pub(crate) mod conv_transpose;
mod einsum;
mod index;
mod linear;
mod math;
mod matmul;
mod movement;
mod normalization;
mod overload;
mod pool;
pub(crate) mod pool_indices;
mod rearrange;
mod reduce;
pub(crate) mod rnn;
mod select;
mod softmax;
mod sort;
mod statistics;
mod unary;

use crate::{Error, Result, Tensor};

/// Checks two operands share an element type.
pub(crate) fn same_dtype(op: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch { op, lhs: a.dtype(), rhs: b.dtype() });
    }
    Ok(())
}

/// Ends an op whose signature cannot fail because its device kernel failed
/// (host kernels never do; a GPU can run out of memory).
#[cold]
pub(crate) fn kernel_failed(error: Error) -> ! {
    panic!("device kernel failed: {error}")
}

/// Runs `f` on the buffers of two tensors (taking one lock when they share a buffer).
pub(crate) fn with_two<R>(
    a: &Tensor,
    b: &Tensor,
    f: impl FnOnce(&crate::backend::Storage, &crate::backend::Storage) -> R,
) -> R {
    if a.shares_storage(b) {
        return a.with_storage(|s, _| f(s, s));
    }
    a.with_storage(|sa, _| b.with_storage(|sb, _| f(sa, sb)))
}
