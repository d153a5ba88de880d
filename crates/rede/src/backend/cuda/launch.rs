//! What every launch needs: the strided-operand descriptor kernels take by
//! value, grid sizes, the element types' kernel suffixes and the `launch!` macro.

use super::alloc::{Buf, Poolable};
use super::CudaData;
use crate::layout::Layout;
use crate::{Element, Error, Result};
use cudarc::driver::{DeviceRepr, LaunchConfig};

/// Most dimensions a strided operand may have (`MAX_DIMS` in prelude.cu).
pub(crate) const MAX_DIMS: usize = 8;
/// Threads per block of every kernel (`BLOCK` in prelude.cu).
pub(crate) const BLOCK: u32 = 256;

/// A layout as kernels take it (`struct Strided` in prelude.cu).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Strided {
    rank: u32,
    contiguous: u32,
    offset: u64,
    shape: [u64; MAX_DIMS],
    strides: [u64; MAX_DIMS],
}

// SAFETY: a plain `repr(C)` struct of integers, laid out as the CUDA struct.
unsafe impl DeviceRepr for Strided {}

impl Strided {
    /// The descriptor of `layout`; an error beyond [`MAX_DIMS`] dimensions.
    pub fn of(layout: &Layout) -> Result<Strided> {
        Strided::from_parts(layout.shape(), layout.strides(), layout.offset(), layout.is_contiguous())
    }

    /// A descriptor from its parts.
    pub fn from_parts(shape: &[usize], strides: &[usize], offset: usize, contiguous: bool) -> Result<Strided> {
        if shape.len() > MAX_DIMS {
            return Err(Error::invalid(
                "cuda",
                format!("tensors of rank {} are not supported on CUDA (at most {MAX_DIMS})", shape.len()),
            ));
        }
        let mut s = Strided {
            rank: shape.len() as u32,
            contiguous: contiguous as u32,
            offset: offset as u64,
            ..Default::default()
        };
        for (d, (&n, &st)) in shape.iter().zip(strides).enumerate() {
            s.shape[d] = n as u64;
            s.strides[d] = st as u64;
        }
        Ok(s)
    }
}

/// A grid-stride launch over `n` elements.
pub(crate) fn elems(n: usize) -> LaunchConfig {
    let blocks = n.div_ceil(BLOCK as usize).clamp(1, 1 << 16) as u32;
    LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 }
}

/// One block per row (looping when there are more rows than blocks).
pub(crate) fn rows(n: usize) -> LaunchConfig {
    let blocks = n.clamp(1, 1 << 16) as u32;
    LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 }
}

/// Launches kernel `$name` of `$module` on `$dev` with `$cfg` and the given
/// arguments (plain values: device addresses as `u64`, sizes, descriptors).
/// The argument temporaries live until the launch has copied them.
macro_rules! launch {
    ($dev:expr, $module:expr, $name:expr, $cfg:expr; $($arg:expr),* $(,)?) => {{
        use cudarc::driver::PushKernelArg;
        let f = $dev.func($module, $name)?;
        // SAFETY: each kernel's parameters are declared in its .cu source with
        // these types, and every address points into a live buffer of this device.
        unsafe { $dev.stream.launch_builder(&f)$(.arg(&$arg))*.launch($cfg) }.map_err(|e| $dev.err(e))?;
    }};
}
pub(crate) use launch;

/// Element types with kernels: f32 and f64.
pub(crate) trait GpuElement: Element + Poolable + super::blas::BlasElement {
    /// The suffix of this type's kernels (`unary_f32`).
    const SUFFIX: &'static str;
    /// Wraps a buffer.
    fn into_data(b: Buf<Self>) -> CudaData;
    /// The buffer, if it holds this type.
    fn data_ref(d: &CudaData) -> Option<&Buf<Self>>;
    /// The kernel `base` for this type, as a static name.
    fn kernel(base: &'static str) -> &'static str;
}

/// `name_suffix` as a `&'static str`, made once per name and kept.
fn kernel_name(base: &'static str, suffix: &'static str) -> &'static str {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashMap<(&str, &str), &'static str>>> = OnceLock::new();
    let mut names = super::device::lock(NAMES.get_or_init(Default::default));
    names.entry((base, suffix)).or_insert_with(|| Box::leak(format!("{base}_{suffix}").into_boxed_str()))
}

macro_rules! gpu_element {
    ($t:ident, $variant:ident, $suffix:literal) => {
        impl GpuElement for $t {
            const SUFFIX: &'static str = $suffix;
            fn into_data(b: Buf<Self>) -> CudaData {
                CudaData::$variant(b)
            }
            fn data_ref(d: &CudaData) -> Option<&Buf<Self>> {
                match d {
                    CudaData::$variant(b) => Some(b),
                    _ => None,
                }
            }
            fn kernel(base: &'static str) -> &'static str {
                kernel_name(base, $suffix)
            }
        }
    };
}
gpu_element!(f32, F32, "f32");
gpu_element!(f64, F64, "f64");
