//! Element types: f32 (the default) and f64.

use std::fmt::Debug;

/// The element type of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit float, the default.
    F32,
    /// 64-bit float, used by `gradcheck`.
    F64,
}

impl DType {
    /// Name as used in files and messages ("f32", "f64").
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

/// A scalar type a tensor can hold. Kernels are generic over it.
pub trait Element:
    num_traits::Float + Debug + Default + Send + Sync + 'static + std::iter::Sum + crate::backend::cpu::CpuElement
{
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Converts from f64 (rounding for f32).
    fn of(v: f64) -> Self;
    /// Converts to f64.
    fn as_f64(self) -> f64;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    fn of(v: f64) -> Self {
        v as f32
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    fn of(v: f64) -> Self {
        v
    }
    fn as_f64(self) -> f64 {
        self
    }
}
