//! The CPU backend: buffers in host memory, kernels on the rayon thread pool.

mod conv;
mod elementwise;
mod index;
mod matmul;
pub(crate) mod pool;
mod reduce;
mod rnn;
mod strided;

pub use conv::{ConvGeometry, PoolWindows};
pub use matmul::{MatOperand, MatmulDims};

use super::{BinaryOp, ReduceOp, UnaryOp};
use crate::layout::Layout;
use crate::{DType, Element};

/// Work below this many elements stays on the calling thread: splitting it costs more than it saves.
pub(crate) const PARALLEL_THRESHOLD: usize = 1 << 15;

/// A host buffer of one element type.
#[derive(Clone, Debug)]
pub enum CpuStorage {
    /// f32 elements.
    F32(Vec<f32>),
    /// f64 elements.
    F64(Vec<f64>),
}

/// Hands the buffer to the pool of recycled buffers, so the next kernel of
/// the same size reuses it (see [`pool`]).
impl Drop for CpuStorage {
    fn drop(&mut self) {
        match self {
            CpuStorage::F32(v) => pool::give(std::mem::take(v)),
            CpuStorage::F64(v) => pool::give(std::mem::take(v)),
        }
    }
}

/// Applies `$body` to the typed vector inside a `CpuStorage`, rewrapping a `Vec` result.
macro_rules! map_typed {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            CpuStorage::F32($v) => CpuStorage::F32($body),
            CpuStorage::F64($v) => CpuStorage::F64($body),
        }
    };
}

/// Applies `$body` to two typed vectors of the same element type (checked by the caller).
macro_rules! map_typed2 {
    ($a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {
        match ($a, $b) {
            (CpuStorage::F32($x), CpuStorage::F32($y)) => CpuStorage::F32($body),
            (CpuStorage::F64($x), CpuStorage::F64($y)) => CpuStorage::F64($body),
            _ => unreachable!("element types are checked before kernels run"),
        }
    };
}

impl CpuStorage {
    /// Wraps a typed vector.
    pub fn from_vec<T: Element>(data: Vec<T>) -> Self {
        T::wrap(data)
    }

    /// `len` elements of `dtype`, all `value`, in a recycled buffer where one
    /// fits (so zeros in a training step, e.g. the padding of a narrowed
    /// gradient, cost no allocation).
    pub fn filled(len: usize, value: f64, dtype: DType) -> CpuStorage {
        fn fill<T: Element>(len: usize, value: T) -> Vec<T> {
            let mut v = pool::take::<T>(len);
            v.fill(value);
            v
        }
        match dtype {
            DType::F32 => CpuStorage::F32(fill(len, value as f32)),
            DType::F64 => CpuStorage::F64(fill(len, value)),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            CpuStorage::F32(v) => v.len(),
            CpuStorage::F64(v) => v.len(),
        }
    }

    /// Whether there is no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements of `layout`, converted to `T`, in row-major order.
    pub fn to_vec<T: Element>(&self, layout: &Layout) -> Vec<T> {
        match self {
            CpuStorage::F32(v) => strided::collect(v, layout, |x| T::of(x as f64)),
            CpuStorage::F64(v) => strided::collect(v, layout, T::of),
        }
    }

    /// A contiguous copy of the elements of `layout`.
    pub fn copy_contiguous(&self, layout: &Layout) -> CpuStorage {
        map_typed!(self, v => strided::collect(v, layout, |x| x))
    }

    /// A contiguous copy converted to another element type.
    pub fn to_dtype(&self, layout: &Layout, dtype: DType) -> CpuStorage {
        match dtype {
            DType::F32 => CpuStorage::F32(self.to_vec(layout)),
            DType::F64 => CpuStorage::F64(self.to_vec(layout)),
        }
    }

    /// Elementwise function of one tensor.
    pub fn unary(&self, layout: &Layout, op: UnaryOp) -> CpuStorage {
        map_typed!(self, v => elementwise::unary(v, layout, op))
    }

    /// Elementwise function of two tensors whose layouts are already broadcast to one shape.
    pub fn binary(&self, lhs: &Layout, rhs: &CpuStorage, rhs_layout: &Layout, op: BinaryOp) -> CpuStorage {
        map_typed2!(self, rhs, a, b => elementwise::binary(a, lhs, b, rhs_layout, op))
    }

    /// `cond ? on_true : on_false`, all three broadcast to one shape.
    pub fn select(
        cond: (&CpuStorage, &Layout),
        on_true: (&CpuStorage, &Layout),
        on_false: (&CpuStorage, &Layout),
    ) -> CpuStorage {
        let mask: Vec<bool> = cond.0.to_vec::<f64>(cond.1).into_iter().map(|c| c != 0.0).collect();
        map_typed2!(on_true.0, on_false.0, t, f => elementwise::select(&mask, t, on_true.1, f, on_false.1))
    }

    /// Reduces the trailing `reduced` dimensions of the (permuted) layout.
    pub fn reduce(&self, layout: &Layout, reduced: usize, op: ReduceOp) -> CpuStorage {
        map_typed!(self, v => reduce::reduce_trailing(v, layout, reduced, op))
    }

    /// Sums a contiguous `[rows, cols]` block over its rows, giving `[cols]`
    /// (a reduction over leading axes without permuting).
    pub fn sum_rows(&self, offset: usize, rows: usize, cols: usize) -> CpuStorage {
        map_typed!(self, v => reduce::sum_rows(&v[offset..offset + rows * cols], cols))
    }

    /// `x·wᵀ + bias` for `x` `[n, in]` and `w` `[out, in]` (any strides), into a
    /// contiguous `[n, out]`: the bias rows are written first and the product
    /// accumulated onto them, so the bias costs one pass over the output.
    pub fn linear(&self, x: &Layout, w: (&CpuStorage, &Layout), bias: Option<(&CpuStorage, &Layout)>) -> CpuStorage {
        match (self, w.0) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => {
                CpuStorage::F32(matmul::linear(a, x, (b, w.1), bias.map(|(s, l)| (typed::<f32>(s), l))))
            }
            (CpuStorage::F64(a), CpuStorage::F64(b)) => {
                CpuStorage::F64(matmul::linear(a, x, (b, w.1), bias.map(|(s, l)| (typed::<f64>(s), l))))
            }
            _ => unreachable!("element types are checked before kernels run"),
        }
    }

    /// Batched matrix product; the result is contiguous `[batch, m, n]`.
    pub fn matmul(&self, lhs: &MatOperand, rhs: &CpuStorage, rhs_op: &MatOperand, dims: MatmulDims) -> CpuStorage {
        map_typed2!(self, rhs, a, b => matmul::batched(a, lhs, b, rhs_op, dims))
    }

    /// Picks entries `indices` along `dim` (`index_select`).
    pub fn index_select(&self, layout: &Layout, dim: usize, indices: &[usize]) -> CpuStorage {
        map_typed!(self, v => index::index_select(v, layout, dim, indices))
    }

    /// Adds the slices of `src` (shape of an `index_select` result) back into a zero tensor of `shape`.
    pub fn index_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> CpuStorage {
        map_typed!(self, v => index::index_add(v, layout, dim, indices, shape))
    }

    /// `out[.., i, ..] = x[.., indices[.., i, ..], ..]` along `dim` (`gather`); `indices` has the output's shape.
    pub fn gather(&self, layout: &Layout, dim: usize, indices: &[usize], out_shape: &[usize]) -> CpuStorage {
        map_typed!(self, v => index::gather(v, layout, dim, indices, out_shape))
    }

    /// The adjoint of `gather`: adds `src` into a zero tensor of `shape` at the gathered positions.
    pub fn scatter_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> CpuStorage {
        map_typed!(self, v => index::scatter_add(v, layout, dim, indices, shape))
    }

    /// Joins tensors along `dim`; all have the same element type and agree on the other dimensions.
    pub fn concat(parts: &[(&CpuStorage, &Layout)], dim: usize) -> CpuStorage {
        match parts[0].0 {
            CpuStorage::F32(_) => CpuStorage::F32(index::concat(&typed_parts(parts), dim)),
            CpuStorage::F64(_) => CpuStorage::F64(index::concat(&typed_parts(parts), dim)),
        }
    }

    /// The typed buffer, if `T` is the element type.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        T::unwrap(self)
    }

    /// The typed buffer mutably, if `T` is the element type.
    pub fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        T::unwrap_mut(self)
    }
}

/// The typed buffer of a storage whose element type the op layer has checked.
fn typed<T: Element>(s: &CpuStorage) -> &[T] {
    T::unwrap(s).expect("element types are checked before kernels run")
}

fn typed_parts<'a, T: Element>(parts: &[(&'a CpuStorage, &'a Layout)]) -> Vec<(&'a [T], &'a Layout)> {
    parts.iter().map(|(s, l)| (T::unwrap(s).expect("element types are checked before kernels run"), *l)).collect()
}

/// Moving typed vectors in and out of [`CpuStorage`].
pub trait CpuElement: Sized {
    /// Wraps a vector.
    fn wrap(v: Vec<Self>) -> CpuStorage;
    /// The buffer, if it holds this type.
    fn unwrap(s: &CpuStorage) -> Option<&[Self]>;
    /// The buffer mutably, if it holds this type.
    fn unwrap_mut(s: &mut CpuStorage) -> Option<&mut [Self]>;
}

impl CpuElement for f32 {
    fn wrap(v: Vec<Self>) -> CpuStorage {
        CpuStorage::F32(v)
    }
    fn unwrap(s: &CpuStorage) -> Option<&[Self]> {
        match s {
            CpuStorage::F32(v) => Some(v),
            CpuStorage::F64(_) => None,
        }
    }
    fn unwrap_mut(s: &mut CpuStorage) -> Option<&mut [Self]> {
        match s {
            CpuStorage::F32(v) => Some(v),
            CpuStorage::F64(_) => None,
        }
    }
}

impl CpuElement for f64 {
    fn wrap(v: Vec<Self>) -> CpuStorage {
        CpuStorage::F64(v)
    }
    fn unwrap(s: &CpuStorage) -> Option<&[Self]> {
        match s {
            CpuStorage::F64(v) => Some(v),
            CpuStorage::F32(_) => None,
        }
    }
    fn unwrap_mut(s: &mut CpuStorage) -> Option<&mut [Self]> {
        match s {
            CpuStorage::F64(v) => Some(v),
            CpuStorage::F32(_) => None,
        }
    }
}
