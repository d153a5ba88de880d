//! The device seam. A [`Storage`] is a tensor's buffer on some device; every
//! kernel an op needs is a method here that dispatches on the device variant.
//! Adding a device means adding a variant and its kernels, not touching the ops.

pub mod cpu;
mod kernels;

pub use kernels::{BinaryOp, CmpOp, ReduceOp, UnaryOp};

use crate::{DType, Device, Element};
use cpu::CpuStorage;

/// A tensor's buffer on one device.
#[derive(Clone, Debug)]
pub enum Storage {
    /// Host memory.
    Cpu(CpuStorage),
}

impl Storage {
    /// The device the buffer lives on.
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
        }
    }

    /// Number of elements in the buffer.
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
        }
    }

    /// Whether the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A CPU buffer from a vector of any element type.
    pub fn from_vec<T: Element>(data: Vec<T>) -> Storage {
        Storage::Cpu(CpuStorage::from_vec(data))
    }

    /// The CPU buffer (the only device today).
    pub fn cpu(&self) -> &CpuStorage {
        match self {
            Storage::Cpu(s) => s,
        }
    }

    /// The CPU buffer, mutably.
    pub fn cpu_mut(&mut self) -> &mut CpuStorage {
        match self {
            Storage::Cpu(s) => s,
        }
    }
}
