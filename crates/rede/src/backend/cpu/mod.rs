//! The CPU backend: buffers in host memory, kernels on the rayon thread pool.

mod conv;
mod dispatch;
mod elementwise;
pub(crate) mod fast_exp;
mod index;
mod loss;
mod matmul;
pub(crate) mod pool;
mod reduce;
mod rnn;
mod strided;
mod update;

pub use conv::{ConvGeometry, PoolWindows};
pub use matmul::{MatOperand, MatmulDims};

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
/// the same size reuses it (see the `pool` module).
impl Drop for CpuStorage {
    fn drop(&mut self) {
        match self {
            CpuStorage::F32(v) => pool::give(std::mem::take(v)),
            CpuStorage::F64(v) => pool::give(std::mem::take(v)),
        }
    }
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

    /// The typed buffer, if `T` is the element type.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        T::unwrap(self)
    }

    /// The typed buffer mutably, if `T` is the element type.
    pub fn as_mut_slice<T: Element>(&mut self) -> Option<&mut [T]> {
        T::unwrap_mut(self)
    }
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
