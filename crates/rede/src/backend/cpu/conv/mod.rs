//! Convolution and pooling kernels over contiguous `[N, C, H, W]` buffers.
//!
//! Convolution is im2col + GEMM ([`unroll`], [`kernels`]); pooling works plane by plane
//! ([`pooling`]). This module holds the shared sizes, the per-thread scratch buffers and
//! the typed entry points over [`CpuStorage`].

mod kernels;
mod pooling;
mod unroll;

pub use pooling::PoolWindows;

use super::CpuStorage;
use crate::layout::Layout;
use crate::Element;
use kernels::{forward, grad_bias, grad_input, grad_weight};
use pooling::{avg_pool, avg_pool_backward, max_pool, max_pool_backward};
use std::cell::RefCell;

/// The sizes of one 2-D convolution (1-D convolutions use a height of 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Samples N.
    pub batch: usize,
    /// Input channels C.
    pub in_channels: usize,
    /// Input height and width.
    pub in_size: [usize; 2],
    /// Output channels O.
    pub out_channels: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Step between windows.
    pub stride: [usize; 2],
    /// Implicit zeros on each side.
    pub padding: [usize; 2],
    /// Spacing between kernel taps.
    pub dilation: [usize; 2],
    /// Channel groups (each output channel sees `C / groups` inputs).
    pub groups: usize,
    /// Output height and width.
    pub out_size: [usize; 2],
}

impl ConvGeometry {
    fn group_in(&self) -> usize {
        self.in_channels / self.groups
    }
    fn group_out(&self) -> usize {
        self.out_channels / self.groups
    }
    /// Rows of the unrolled patch matrix of one group: `C/groups · kh · kw`.
    fn patch_len(&self) -> usize {
        self.group_in() * self.kernel[0] * self.kernel[1]
    }
    fn in_plane(&self) -> usize {
        self.in_size[0] * self.in_size[1]
    }
    fn out_plane(&self) -> usize {
        self.out_size[0] * self.out_size[1]
    }
}

/// Elements with a per-thread scratch buffer for the patch matrix.
pub(crate) trait ConvElement: Element + std::ops::AddAssign {
    /// Runs `f` on a scratch slice of `len` elements (contents unspecified).
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
}

macro_rules! conv_element {
    ($t:ty, $cell:ident) => {
        thread_local! {
            static $cell: RefCell<Vec<$t>> = const { RefCell::new(Vec::new()) };
        }
        impl ConvElement for $t {
            fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
                $cell.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut buf) => {
                        if buf.len() < len {
                            buf.resize(len, 0.0);
                        }
                        f(&mut buf[..len])
                    }
                    // Re-entered on this thread (should not happen): fall back to a fresh buffer.
                    Err(_) => f(&mut vec![0.0; len]),
                })
            }
        }
    };
}
conv_element!(f32, SCRATCH_F32);
conv_element!(f64, SCRATCH_F64);

/// The contiguous elements of `layout` in `data`.
fn packed<'a, T>(data: &'a [T], layout: &Layout) -> &'a [T] {
    assert!(layout.is_contiguous(), "convolution kernels need contiguous operands");
    &data[layout.offset()..layout.offset() + layout.numel()]
}

/// Dispatches `$body` on two buffers of one element type, with typed slices `$a`, `$b`.
macro_rules! typed2 {
    ($sa:expr, $sb:expr, $a:ident, $b:ident => $body:expr) => {
        match ($sa, $sb) {
            (CpuStorage::F32($a), CpuStorage::F32($b)) => CpuStorage::F32($body),
            (CpuStorage::F64($a), CpuStorage::F64($b)) => CpuStorage::F64($body),
            _ => unreachable!("element types are checked before kernels run"),
        }
    };
}

/// Convolution of the input `[N, C, H, W]` (this buffer under `layout`) with the
/// weights `[O, C/groups, kh, kw]`, plus the bias `[O]`; the result is contiguous
/// `[N, O, OH, OW]`. All operands must be contiguous.
pub(super) fn conv2d(
    this: &CpuStorage,
    layout: &Layout,
    weight: (&CpuStorage, &Layout),
    bias: Option<&CpuStorage>,
    geometry: &ConvGeometry,
) -> CpuStorage {
    match (this, weight.0, bias) {
        (CpuStorage::F32(x), CpuStorage::F32(w), b) => CpuStorage::F32(forward(
            packed(x, layout),
            packed(w, weight.1),
            b.map(|b| b.as_slice::<f32>().expect("bias element type is checked")),
            geometry,
        )),
        (CpuStorage::F64(x), CpuStorage::F64(w), b) => CpuStorage::F64(forward(
            packed(x, layout),
            packed(w, weight.1),
            b.map(|b| b.as_slice::<f64>().expect("bias element type is checked")),
            geometry,
        )),
        _ => unreachable!("element types are checked before kernels run"),
    }
}

/// Gradient of `conv2d` with respect to its input, from the output gradient
/// (this buffer) and the weights.
pub(super) fn conv2d_grad_input(
    this: &CpuStorage,
    layout: &Layout,
    weight: (&CpuStorage, &Layout),
    geometry: &ConvGeometry,
) -> CpuStorage {
    typed2!(this, weight.0, g, w => grad_input(packed(g, layout), packed(w, weight.1), geometry))
}

/// Gradient of `conv2d` with respect to its weights, from the input
/// (this buffer) and the output gradient.
pub(super) fn conv2d_grad_weight(
    this: &CpuStorage,
    layout: &Layout,
    gout: (&CpuStorage, &Layout),
    geometry: &ConvGeometry,
) -> CpuStorage {
    typed2!(this, gout.0, x, g => grad_weight(packed(x, layout), packed(g, gout.1), geometry))
}

/// Gradient of `conv2d` with respect to its bias: the output gradient
/// (this buffer) summed over samples and positions.
pub(super) fn conv2d_grad_bias(this: &CpuStorage, layout: &Layout, geometry: &ConvGeometry) -> CpuStorage {
    match this {
        CpuStorage::F32(g) => CpuStorage::F32(grad_bias(packed(g, layout), geometry)),
        CpuStorage::F64(g) => CpuStorage::F64(grad_bias(packed(g, layout), geometry)),
    }
}

/// Maximum of each window of each of `planes` contiguous `H×W` planes, with the
/// position (within its plane) of the maximum.
pub(super) fn max_pool2d(
    this: &CpuStorage,
    layout: &Layout,
    planes: usize,
    windows: &PoolWindows,
) -> (CpuStorage, Vec<u32>) {
    match this {
        CpuStorage::F32(x) => {
            let (out, arg) = max_pool(packed(x, layout), planes, windows);
            (CpuStorage::F32(out), arg)
        }
        CpuStorage::F64(x) => {
            let (out, arg) = max_pool(packed(x, layout), planes, windows);
            (CpuStorage::F64(out), arg)
        }
    }
}

/// Routes the output gradient (this buffer) of `max_pool2d` to the maxima.
pub(super) fn max_pool2d_backward(
    this: &CpuStorage,
    layout: &Layout,
    argmax: &[u32],
    planes: usize,
    windows: &PoolWindows,
) -> CpuStorage {
    match this {
        CpuStorage::F32(g) => CpuStorage::F32(max_pool_backward(packed(g, layout), argmax, planes, windows)),
        CpuStorage::F64(g) => CpuStorage::F64(max_pool_backward(packed(g, layout), argmax, planes, windows)),
    }
}

/// Mean of each window, dividing by `divisor` when given (padding counted) or by the
/// window's own size.
pub(super) fn avg_pool2d(
    this: &CpuStorage,
    layout: &Layout,
    planes: usize,
    windows: &PoolWindows,
    divisor: Option<usize>,
) -> CpuStorage {
    match this {
        CpuStorage::F32(x) => CpuStorage::F32(avg_pool(packed(x, layout), planes, windows, divisor)),
        CpuStorage::F64(x) => CpuStorage::F64(avg_pool(packed(x, layout), planes, windows, divisor)),
    }
}

/// Spreads the output gradient (this buffer) of `avg_pool2d` evenly over each window.
pub(super) fn avg_pool2d_backward(
    this: &CpuStorage,
    layout: &Layout,
    planes: usize,
    windows: &PoolWindows,
    divisor: Option<usize>,
) -> CpuStorage {
    match this {
        CpuStorage::F32(g) => CpuStorage::F32(avg_pool_backward(packed(g, layout), planes, windows, divisor)),
        CpuStorage::F64(g) => CpuStorage::F64(avg_pool_backward(packed(g, layout), planes, windows, divisor)),
    }
}
