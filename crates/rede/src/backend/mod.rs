//! The device seam. A [`Storage`] is a tensor's buffer on some device. Ops reach
//! memory only through its methods, each of which matches on the device variant
//! and calls the same-named kernel of that device's [`BackendStorage`]; operands
//! on different devices are an [`Error::DeviceMismatch`] naming the op and both
//! devices. Adding a device means adding a variant and implementing
//! [`BackendStorage`] for its buffer type, not touching the ops.

pub mod cpu;
#[cfg(feature = "cuda")]
pub mod cuda;
mod device_storage;
mod kernels;
mod recurrent;
mod update;

pub use crate::layout::{Layout, StridedOffsets};
pub use cpu::{ConvGeometry, MatOperand, MatmulDims, PoolWindows};
pub use device_storage::{BackendStorage, CrossEntropyTargets};
pub use kernels::{BinaryOp, CmpOp, ReduceOp, UnaryOp};
pub use recurrent::{Operand, RecurrentCell, RecurrentDims, RecurrentGrads, RecurrentInputs, RecurrentSaved};
pub use update::{Decay, Slot, UpdateRule, UpdateSpec, MAX_STATE_BUFFERS};

use crate::{DType, Device, Element, Error, Result};
use cpu::CpuStorage;
#[cfg(feature = "cuda")]
use cuda::CudaStorage;

/// A tensor's buffer on one device.
#[derive(Clone, Debug)]
pub enum Storage {
    /// Host memory.
    Cpu(CpuStorage),
    /// The memory of one CUDA GPU.
    #[cfg(feature = "cuda")]
    Cuda(CudaStorage),
}

/// Positions kept by max pooling for its backward, on the device that made them.
pub enum PoolIndices {
    /// Host memory.
    Cpu(<CpuStorage as BackendStorage>::Indices),
    /// The memory of one CUDA GPU.
    #[cfg(feature = "cuda")]
    Cuda(<CudaStorage as BackendStorage>::Indices),
}

/// Runs `$body` on the buffer of whichever device `$s` is on, rewrapping the
/// resulting buffer in the same variant.
macro_rules! on_device {
    ($s:expr, $x:ident => $body:expr) => {
        match $s {
            Storage::Cpu($x) => Ok(Storage::Cpu($body?)),
            #[cfg(feature = "cuda")]
            Storage::Cuda($x) => Ok(Storage::Cuda($body?)),
        }
    };
}

/// Like [`on_device!`] for two buffers, which must share a device.
macro_rules! on_device2 {
    ($op:expr, $a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {
        match ($a, $b) {
            (Storage::Cpu($x), Storage::Cpu($y)) => Ok(Storage::Cpu($body?)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda($x), Storage::Cuda($y)) if $x.device() == $y.device() => Ok(Storage::Cuda($body?)),
            #[allow(unreachable_patterns)]
            (a, b) => Err(Error::DeviceMismatch { op: $op, lhs: a.device(), rhs: b.device() }),
        }
    };
}

/// Runs `$body` on the buffers `$p` of `parts`, all on the first part's device
/// (else the mismatch error naming the first part elsewhere), rewrapping the result.
macro_rules! on_parts {
    ($op:expr, $parts:expr, $p:ident => $body:expr) => {{
        let parts: &[(&Storage, &Layout)] = $parts;
        match parts.first().map(|(s, _)| *s) {
            #[cfg(feature = "cuda")]
            Some(Storage::Cuda(_)) => {
                let $p = same_device($op, parts, Storage::as_cuda)?;
                Ok(Storage::Cuda($body?))
            }
            _ => {
                let $p = same_device($op, parts, Storage::as_cpu)?;
                Ok(Storage::Cpu($body?))
            }
        }
    }};
}

/// The buffers of `parts` through `pick`, when all are on the first part's device.
fn same_device<'a, S>(
    op: &'static str,
    parts: &[(&'a Storage, &'a Layout)],
    pick: impl Fn(&'a Storage) -> Option<&'a S>,
) -> Result<Vec<(&'a S, &'a Layout)>> {
    let first = parts.first().map_or(Device::Cpu, |(s, _)| s.device());
    parts
        .iter()
        .map(|(s, l)| match pick(s) {
            Some(b) if s.device() == first => Ok((b, *l)),
            _ => Err(Error::DeviceMismatch { op, lhs: first, rhs: s.device() }),
        })
        .collect()
}

/// Whether CUDA device `ordinal` can be used by this build on this machine.
pub(crate) fn cuda_available(ordinal: usize) -> bool {
    cuda_status(ordinal).is_ok()
}

/// Why CUDA device `ordinal` cannot be used, or `Ok` when it can.
pub(crate) fn cuda_status(ordinal: usize) -> Result<()> {
    #[cfg(feature = "cuda")]
    return cuda::status(ordinal);
    #[cfg(not(feature = "cuda"))]
    Err(Error::DeviceUnavailable {
        device: Device::Cuda(ordinal),
        reason: "this build of rede has no CUDA backend (build with the `cuda` feature)".to_string(),
    })
}

impl Storage {
    /// The host buffer, if this is one.
    fn as_cpu(&self) -> Option<&CpuStorage> {
        match self {
            Storage::Cpu(s) => Some(s),
            #[cfg(feature = "cuda")]
            _ => None,
        }
    }

    /// The CUDA buffer, if this is one.
    #[cfg(feature = "cuda")]
    fn as_cuda(&self) -> Option<&CudaStorage> {
        match self {
            Storage::Cuda(s) => Some(s),
            _ => None,
        }
    }

    /// The device the buffer lives on.
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(s) => s.device(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.device(),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.dtype(),
        }
    }

    /// Number of elements in the buffer.
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.len(),
        }
    }

    /// Whether the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A host buffer from a vector of any element type.
    pub fn from_vec<T: Element>(data: Vec<T>) -> Storage {
        Storage::Cpu(CpuStorage::from_vec(data))
    }

    /// A buffer on `device` holding `data`.
    pub fn from_host<T: Element>(data: Vec<T>, device: Device) -> Result<Storage> {
        let host = Storage::from_vec(data);
        match device {
            Device::Cpu => Ok(host),
            _ => host.to_device(device),
        }
    }

    /// `n` elements of `value` on `device`.
    pub fn filled(device: Device, dtype: DType, n: usize, value: f64) -> Result<Storage> {
        let host = Storage::Cpu(CpuStorage::filled(n, value, dtype));
        match device {
            Device::Cpu => Ok(host),
            _ => host.to_device(device),
        }
    }

    /// The whole buffer copied to `device`, so any layout over it stays valid.
    pub fn to_device(&self, device: Device) -> Result<Storage> {
        if self.device() == device {
            return Ok(self.clone());
        }
        device.check_available()?;
        #[cfg(feature = "cuda")]
        return match (self, device) {
            (Storage::Cpu(host), Device::Cuda(ordinal)) => Ok(Storage::Cuda(CudaStorage::upload(host, ordinal)?)),
            (Storage::Cuda(gpu), Device::Cpu) => Ok(Storage::Cpu(gpu.download()?)),
            // Between two GPUs through the host: simple, and rare enough.
            (Storage::Cuda(gpu), Device::Cuda(ordinal)) => {
                Ok(Storage::Cuda(CudaStorage::upload(&gpu.download()?, ordinal)?))
            }
            (Storage::Cpu(_), Device::Cpu) => Ok(self.clone()),
        };
        #[cfg(not(feature = "cuda"))]
        Err(Error::DeviceUnavailable { device, reason: "no backend for this device".to_string() })
    }

    /// The elements of `layout`, converted to `T`, copied to host memory.
    pub fn to_host<T: Element>(&self, layout: &Layout) -> Result<Vec<T>> {
        match self {
            Storage::Cpu(s) => s.to_host(layout),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.to_host(layout),
        }
    }

    /// The contiguous elements `layout` covers, in place in host memory; an error on other devices.
    pub fn host_slice<T: Element>(&self, op: &'static str, layout: &Layout) -> Result<&[T]> {
        match self {
            Storage::Cpu(s) => {
                let dtype = s.dtype();
                let data = s.as_slice::<T>().ok_or(Error::DTypeMismatch { op, lhs: dtype, rhs: T::DTYPE })?;
                Ok(&data[layout.offset()..][..layout.numel()])
            }
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Err(not_on_host(op, s.device())),
        }
    }

    /// The contiguous elements `layout` covers, mutably in host memory; an error on other devices.
    pub fn host_slice_mut<T: Element>(&mut self, op: &'static str, layout: &Layout) -> Result<&mut [T]> {
        match self {
            Storage::Cpu(s) => {
                let dtype = s.dtype();
                let data = s.as_mut_slice::<T>().ok_or(Error::DTypeMismatch { op, lhs: dtype, rhs: T::DTYPE })?;
                Ok(&mut data[layout.offset()..][..layout.numel()])
            }
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Err(not_on_host(op, s.device())),
        }
    }

    /// Overwrites the contiguous elements `layout` covers with host `values`.
    pub fn write_host<T: Element>(&mut self, layout: &Layout, values: &[T]) -> Result<()> {
        match self {
            Storage::Cpu(s) => s.write_host(layout, values),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.write_host(layout, values),
        }
    }

    /// A contiguous copy of the elements of `layout`.
    pub fn copy_contiguous(&self, layout: &Layout) -> Result<Storage> {
        on_device!(self, s => s.copy_contiguous(layout))
    }

    /// A contiguous copy converted to another element type.
    pub fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Storage> {
        on_device!(self, s => s.to_dtype(layout, dtype))
    }

    /// Elementwise function of one tensor.
    pub fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Storage> {
        on_device!(self, s => s.unary(layout, op))
    }

    /// Elementwise function of two tensors whose layouts are broadcast to one shape.
    pub fn binary(
        &self,
        lhs: &Layout,
        rhs: &Storage,
        rhs_layout: &Layout,
        op: BinaryOp,
        name: &'static str,
    ) -> Result<Storage> {
        on_device2!(name, self, rhs, a, b => a.binary(lhs, b, rhs_layout, op))
    }

    /// `cond ? on_true : on_false`, all three broadcast to one shape.
    pub fn select(
        cond: (&Storage, &Layout),
        on_true: (&Storage, &Layout),
        on_false: (&Storage, &Layout),
    ) -> Result<Storage> {
        on_parts!("where_cond", &[cond, on_true, on_false], p => BackendStorage::select(p[0], p[1], p[2]))
    }

    /// Reduces the trailing `reduced` dimensions of the (permuted) layout.
    pub fn reduce(&self, layout: &Layout, reduced: usize, op: ReduceOp) -> Result<Storage> {
        on_device!(self, s => s.reduce(layout, reduced, op))
    }

    /// Sums a contiguous `[rows, cols]` block starting at `offset` over its rows.
    pub fn sum_rows(&self, offset: usize, rows: usize, cols: usize) -> Result<Storage> {
        on_device!(self, s => s.sum_rows(offset, rows, cols))
    }

    /// `x·wᵀ + bias` into a contiguous `[n, out]`.
    pub fn linear(&self, x: &Layout, w: (&Storage, &Layout), bias: Option<(&Storage, &Layout)>) -> Result<Storage> {
        let (wl, bl) = (w.1, bias.map(|b| b.1));
        match bias {
            None => on_device2!("linear", self, w.0, sx, sw => sx.linear(x, (sw, wl), None)),
            Some((b, _)) => {
                let parts = [(self, x), (w.0, wl), (b, bl.expect("bias layout"))];
                on_parts!("linear", &parts, p => p[0].0.linear(x, p[1], Some(p[2])))
            }
        }
    }

    /// Batched matrix product; the result is contiguous `[batch, m, n]`.
    pub fn matmul(&self, lhs: &MatOperand, rhs: &Storage, rhs_op: &MatOperand, dims: MatmulDims) -> Result<Storage> {
        on_device2!("matmul", self, rhs, a, b => a.matmul(lhs, b, rhs_op, dims))
    }

    /// Picks entries `indices` along `dim`.
    pub fn index_select(&self, layout: &Layout, dim: usize, indices: &[usize]) -> Result<Storage> {
        on_device!(self, s => s.index_select(layout, dim, indices))
    }

    /// Adds the slices of an `index_select` result back into a zero tensor of `shape`.
    pub fn index_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> Result<Storage> {
        on_device!(self, s => s.index_add(layout, dim, indices, shape))
    }

    /// `out[.., i, ..] = x[.., indices[.., i, ..], ..]` along `dim`.
    pub fn gather(&self, layout: &Layout, dim: usize, indices: &[usize], out_shape: &[usize]) -> Result<Storage> {
        on_device!(self, s => s.gather(layout, dim, indices, out_shape))
    }

    /// The adjoint of `gather`.
    pub fn scatter_add(&self, layout: &Layout, dim: usize, indices: &[usize], shape: &[usize]) -> Result<Storage> {
        on_device!(self, s => s.scatter_add(layout, dim, indices, shape))
    }

    /// This buffer placed at `start` along `dim` in zeros of `shape`.
    pub fn pad(&self, layout: &Layout, dim: usize, start: usize, shape: &[usize]) -> Result<Storage> {
        on_device!(self, s => s.pad(layout, dim, start, shape))
    }

    /// Joins buffers along `dim`.
    pub fn concat(parts: &[(&Storage, &Layout)], dim: usize) -> Result<Storage> {
        on_parts!("cat", parts, p => BackendStorage::concat(&p, dim))
    }

    /// 2-D convolution (see [`BackendStorage::conv2d`]).
    pub fn conv2d(
        &self,
        layout: &Layout,
        weight: (&Storage, &Layout),
        bias: Option<&Storage>,
        geometry: &ConvGeometry,
    ) -> Result<Storage> {
        let empty = Layout::contiguous(&[0]);
        let mut parts = vec![(self, layout), weight];
        parts.extend(bias.map(|b| (b, &empty)));
        on_parts!("conv2d", &parts, p => p[0].0.conv2d(layout, p[1], p.get(2).map(|b| b.0), geometry))
    }

    /// Gradient of `conv2d` for its input.
    pub fn conv2d_grad_input(
        &self,
        layout: &Layout,
        weight: (&Storage, &Layout),
        geometry: &ConvGeometry,
    ) -> Result<Storage> {
        on_device2!("conv2d_backward", self, weight.0, g, w => g.conv2d_grad_input(layout, (w, weight.1), geometry))
    }

    /// Gradient of `conv2d` for its weights.
    pub fn conv2d_grad_weight(
        &self,
        layout: &Layout,
        gout: (&Storage, &Layout),
        geometry: &ConvGeometry,
    ) -> Result<Storage> {
        on_device2!("conv2d_backward", self, gout.0, x, g => x.conv2d_grad_weight(layout, (g, gout.1), geometry))
    }

    /// Gradient of `conv2d` for its bias.
    pub fn conv2d_grad_bias(&self, layout: &Layout, geometry: &ConvGeometry) -> Result<Storage> {
        on_device!(self, s => s.conv2d_grad_bias(layout, geometry))
    }

    /// Maximum of each pooling window, with the positions backward needs.
    pub fn max_pool2d(&self, layout: &Layout, planes: usize, windows: &PoolWindows) -> Result<(Storage, PoolIndices)> {
        match self {
            Storage::Cpu(s) => {
                let (out, argmax) = s.max_pool2d(layout, planes, windows)?;
                Ok((Storage::Cpu(out), PoolIndices::Cpu(argmax)))
            }
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => {
                let (out, argmax) = s.max_pool2d(layout, planes, windows)?;
                Ok((Storage::Cuda(out), PoolIndices::Cuda(argmax)))
            }
        }
    }

    /// Routes the output gradient of `max_pool2d` to the maxima.
    pub fn max_pool2d_backward(
        &self,
        layout: &Layout,
        argmax: &PoolIndices,
        planes: usize,
        windows: &PoolWindows,
    ) -> Result<Storage> {
        match (self, argmax) {
            (Storage::Cpu(g), PoolIndices::Cpu(a)) => {
                Ok(Storage::Cpu(g.max_pool2d_backward(layout, a, planes, windows)?))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(g), PoolIndices::Cuda(a)) => {
                Ok(Storage::Cuda(g.max_pool2d_backward(layout, a, planes, windows)?))
            }
            #[cfg(feature = "cuda")]
            (g, _) => Err(Error::invalid(
                "max_pool2d_backward",
                format!("the gradient is on {} but the maxima are not", g.device()),
            )),
        }
    }

    /// Mean of each pooling window.
    pub fn avg_pool2d(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> Result<Storage> {
        on_device!(self, s => s.avg_pool2d(layout, planes, windows, divisor))
    }

    /// Spreads the output gradient of `avg_pool2d` over each window.
    pub fn avg_pool2d_backward(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> Result<Storage> {
        on_device!(self, s => s.avg_pool2d_backward(layout, planes, windows, divisor))
    }

    /// Per-row softmax cross-entropy losses and the gradient of their normalized sum.
    pub fn cross_entropy(&self, layout: &Layout, targets: &CrossEntropyTargets<'_>) -> Result<(Storage, Storage)> {
        match self {
            Storage::Cpu(s) => {
                let (losses, grad) = s.cross_entropy(layout, targets)?;
                Ok((Storage::Cpu(losses), Storage::Cpu(grad)))
            }
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => {
                let (losses, grad) = s.cross_entropy(layout, targets)?;
                Ok((Storage::Cuda(losses), Storage::Cuda(grad)))
            }
        }
    }

    /// One optimizer step on this parameter buffer, in place: `state` holds the
    /// rule's `buffers` state buffers one after another, each as long as the parameter.
    pub fn update<R: UpdateRule>(
        &mut self,
        layout: &Layout,
        grad: (&Storage, &Layout),
        state: &mut Storage,
        buffers: usize,
        rule: &R,
        step: (u64, bool),
    ) -> Result<()> {
        const OP: &str = "optimizer step";
        let device = self.device();
        match (self, grad.0, state) {
            (Storage::Cpu(w), Storage::Cpu(g), Storage::Cpu(s)) => {
                w.update(layout, (g, grad.1), s, buffers, rule, step)
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(w), Storage::Cuda(g), Storage::Cuda(s)) if g.device() == device && s.device() == device => {
                w.update(layout, (g, grad.1), s, buffers, rule, step)
            }
            #[allow(unreachable_patterns)]
            (_, g, s) => {
                let other = if g.device() != device { g.device() } else { s.device() };
                Err(Error::DeviceMismatch { op: OP, lhs: device, rhs: other })
            }
        }
    }

    // Fused recurrent layers (see `recurrent`).

    /// The forward pass of one recurrent layer in one direction: its output
    /// (`dims.output_len()` elements) and the workspace its backward pass reads.
    pub fn recurrent_forward(
        inputs: &RecurrentInputs<'_, Storage>,
        dims: &RecurrentDims,
    ) -> Result<(Storage, Storage)> {
        let device = inputs.x.0.device();
        let (out, workspace) =
            CpuStorage::recurrent_forward(&inputs.try_map(|s| s.on_cpu(OP_RECURRENT, device))?, dims)?;
        Ok((Storage::Cpu(out), Storage::Cpu(workspace)))
    }

    /// The backward pass of one recurrent layer in one direction, from the
    /// forward's operands and what it saved; the input's gradient only when `input_grad`.
    pub fn recurrent_backward(
        inputs: &RecurrentInputs<'_, Storage>,
        saved: &RecurrentSaved<'_, Storage>,
        dims: &RecurrentDims,
        input_grad: bool,
    ) -> Result<RecurrentGrads<Storage>> {
        let device = inputs.x.0.device();
        let saved = saved.try_map(|s| s.on_cpu(OP_RECURRENT, device))?;
        let inputs = inputs.try_map(|s| s.on_cpu(OP_RECURRENT, device))?;
        Ok(CpuStorage::recurrent_backward(&inputs, &saved, dims, input_grad)?.map(Storage::Cpu))
    }

    /// The host buffer, or the mismatch error when the buffer is not on the
    /// CPU (or `device`, that of the op's first operand, is not).
    fn on_cpu(&self, op: &'static str, device: Device) -> Result<&CpuStorage> {
        match self {
            Storage::Cpu(c) if device == Device::Cpu => Ok(c),
            #[allow(unreachable_patterns)]
            other => Err(Error::DeviceMismatch { op, lhs: device, rhs: other.device() }),
        }
    }
}

/// The error for host access to a buffer on another device.
#[cfg(feature = "cuda")]
fn not_on_host(op: &'static str, device: Device) -> Error {
    Error::invalid(op, format!("the tensor is on {device}; move it to the cpu first"))
}

/// The op name the recurrent kernels report in errors.
const OP_RECURRENT: &str = "recurrent_layer";
