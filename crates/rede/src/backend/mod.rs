//! The device seam. A [`Storage`] is a tensor's buffer on some device; every
//! kernel an op needs is a method here that dispatches on the device variant.
//! Adding a device means adding a variant and its kernels, not touching the ops.

pub mod cpu;
mod kernels;
mod recurrent;

pub use kernels::{BinaryOp, CmpOp, ReduceOp, UnaryOp};
pub use recurrent::{Operand, RecurrentCell, RecurrentDims, RecurrentGrads, RecurrentInputs, RecurrentSaved};

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

    /// `len` elements of `dtype`, all `value` (a recycled buffer where one fits).
    pub fn filled(len: usize, value: f64, dtype: DType) -> Storage {
        Storage::Cpu(CpuStorage::filled(len, value, dtype))
    }

    // Fused recurrent layers (see `recurrent`).

    /// The forward pass of one recurrent layer in one direction: its output
    /// (`dims.output_len()` elements) and the workspace its backward pass reads.
    pub fn recurrent_forward(
        inputs: &RecurrentInputs<'_, Storage>,
        dims: &RecurrentDims,
    ) -> crate::Result<(Storage, Storage)> {
        let (out, workspace) = CpuStorage::recurrent_forward(&inputs.map(Storage::as_cpu), dims);
        Ok((Storage::Cpu(out), Storage::Cpu(workspace)))
    }

    /// The backward pass of one recurrent layer in one direction, from the
    /// forward's operands and what it saved; the input's gradient only when `input_grad`.
    pub fn recurrent_backward(
        inputs: &RecurrentInputs<'_, Storage>,
        saved: &RecurrentSaved<'_, Storage>,
        dims: &RecurrentDims,
        input_grad: bool,
    ) -> crate::Result<RecurrentGrads<Storage>> {
        let saved = RecurrentSaved {
            output: (saved.output.0.as_cpu(), saved.output.1),
            workspace: (saved.workspace.0.as_cpu(), saved.workspace.1),
            grad: (saved.grad.0.as_cpu(), saved.grad.1),
        };
        let grads = CpuStorage::recurrent_backward(&inputs.map(Storage::as_cpu), &saved, dims, input_grad);
        Ok(grads.map(Storage::Cpu))
    }

    /// The host buffer of a CPU storage (every storage, while the CPU is the only device).
    fn as_cpu(&self) -> &CpuStorage {
        match self {
            Storage::Cpu(s) => s,
        }
    }
}
