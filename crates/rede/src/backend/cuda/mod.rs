//! The CUDA backend: buffers in GPU memory, kernels compiled at run time by
//! NVRTC, matrix products by cuBLAS, all queued on one stream per device so a
//! training step never waits for the GPU until a value is read back.
//!
//! The CUDA libraries (driver, cuBLAS, NVRTC) are loaded when a device is
//! first opened, so building needs no CUDA installation; where they are
//! missing, the device reports itself unavailable with the reason.

mod alloc;
mod blas;
mod conv;
mod device;
mod dispatch;
mod elementwise;
mod index;
pub mod kernels;
mod launch;
mod loss;
mod reduce;
mod update;

pub use device::TF32_ENV;

use super::cpu::CpuStorage;
use crate::{Device, Error, Result};
use alloc::Buf;
use device::gpu;
use launch::GpuElement;

/// A buffer of f32 or f64 elements in the memory of one CUDA device.
pub struct CudaStorage {
    data: CudaData,
}

/// The typed buffer inside a [`CudaStorage`].
pub(crate) enum CudaData {
    /// f32 elements.
    F32(Buf<f32>),
    /// f64 elements.
    F64(Buf<f64>),
}

/// Max pooling's argmax positions, on the device.
pub struct CudaIndices(Buf<u32>);

impl CudaStorage {
    /// Copies a host buffer to CUDA device `ordinal`.
    pub fn upload(host: &CpuStorage, ordinal: usize) -> Result<CudaStorage> {
        let dev = gpu(ordinal)?;
        let data = match host {
            CpuStorage::F32(v) => CudaData::F32(Buf::upload(&dev, v)?),
            CpuStorage::F64(v) => CudaData::F64(Buf::upload(&dev, v)?),
        };
        Ok(CudaStorage { data })
    }

    /// The whole buffer copied to host memory (waits for the queued work).
    pub fn download(&self) -> Result<CpuStorage> {
        Ok(match &self.data {
            CudaData::F32(b) => CpuStorage::F32(b.download(0, b.len())?),
            CudaData::F64(b) => CpuStorage::F64(b.download(0, b.len())?),
        })
    }

    fn wrap<T: GpuElement>(b: Buf<T>) -> CudaStorage {
        CudaStorage { data: T::into_data(b) }
    }
}

/// A device-side copy of the buffer. Cloning cannot report errors, so a copy
/// that fails (the GPU out of memory) panics with the device's message.
impl Clone for CudaStorage {
    fn clone(&self) -> Self {
        let copy = |data: &CudaData| -> Result<CudaData> {
            Ok(match data {
                CudaData::F32(b) => {
                    CudaData::F32(elementwise::copy(b, &crate::layout::Layout::contiguous(&[b.len()]))?)
                }
                CudaData::F64(b) => {
                    CudaData::F64(elementwise::copy(b, &crate::layout::Layout::contiguous(&[b.len()]))?)
                }
            })
        };
        match copy(&self.data) {
            Ok(data) => CudaStorage { data },
            Err(e) => panic!("copying a CUDA buffer failed: {e}"),
        }
    }
}

impl std::fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::BackendStorage;
        write!(f, "CudaStorage({} {:?} elements on {})", self.len(), self.dtype(), self.device())
    }
}

/// Why CUDA device `ordinal` cannot be used, or `Ok` when it can (opening it on first use).
pub(crate) fn status(ordinal: usize) -> Result<()> {
    gpu(ordinal).map(|_| ())
}

/// Waits until all work queued on CUDA device `ordinal` has finished (for timing).
pub fn synchronize(ordinal: usize) -> Result<()> {
    gpu(ordinal)?.synchronize()
}

/// Compiles every kernel module with NVRTC for the virtual architecture `arch`
/// (`compute_80`, …), without a GPU: the error names the first module that
/// fails. An error also when libnvrtc cannot be loaded.
pub fn compile_all_kernels(arch: &'static str) -> Result<()> {
    // SAFETY: only tries to dlopen the library.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(Error::DeviceUnavailable {
            device: Device::Cuda(0),
            reason: "the NVRTC library (libnvrtc) cannot be loaded".into(),
        });
    }
    for module in kernels::ALL {
        device::compile(module, arch).map_err(|e| Error::invalid("cuda", e))?;
    }
    Ok(())
}
