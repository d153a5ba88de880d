//! One opened CUDA device: its context, the stream every kernel runs on, the
//! cuBLAS handle, the kernels compiled for it and its buffer pool. Devices are
//! opened on first use and kept for the life of the process.

use super::alloc::Pools;
use super::kernels::KernelModule;
use crate::{Device, Error, Result};
use cudarc::cublas::CudaBlas;
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream};
use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Set to 1 to let cuBLAS use TF32 tensor cores for f32 products (faster, about
/// three fewer decimal digits in each product).
pub const TF32_ENV: &str = "REDE_CUDA_TF32";

/// An opened CUDA device.
pub(crate) struct GpuDevice {
    /// Its ordinal.
    pub ordinal: usize,
    /// The stream every kernel, copy and product of this device is queued on,
    /// so they run in order without host synchronization.
    pub stream: Arc<CudaStream>,
    /// The cuBLAS handle, bound to `stream`.
    pub blas: CudaBlas,
    /// Buffers given back, reused by later allocations of the same size.
    pub pools: Mutex<Pools>,
    /// The virtual architecture NVRTC compiles for (`compute_XY`).
    arch: &'static str,
    /// Loaded kernel modules by name, and their functions by name.
    modules: Mutex<HashMap<&'static str, Arc<CudaModule>>>,
    functions: Mutex<HashMap<&'static str, CudaFunction>>,
}

impl GpuDevice {
    fn open(ordinal: usize) -> Result<GpuDevice> {
        let err = |e: &dyn std::fmt::Display| unavailable(ordinal, e.to_string());
        let ctx = CudaContext::new(ordinal).map_err(|e| err(&e))?;
        // One stream per device orders all work, so cudarc's per-buffer events are not needed.
        // SAFETY: no buffer has been allocated on this context yet.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.new_stream().map_err(|e| err(&e))?;
        let blas = CudaBlas::new(stream.clone()).map_err(|e| err(&e))?;
        if std::env::var(TF32_ENV).is_ok_and(|v| v == "1") {
            use cudarc::cublas::sys::{cublasMath_t, cublasSetMathMode};
            // SAFETY: the handle is valid for the life of `blas`.
            unsafe { cublasSetMathMode(*blas.handle(), cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH) }
                .result()
                .map_err(|e| err(&e))?;
        }
        let (major, minor) = ctx.compute_capability().map_err(|e| err(&e))?;
        let arch: &'static str = Box::leak(format!("compute_{major}{minor}").into_boxed_str());
        Ok(GpuDevice {
            ordinal,
            stream,
            blas,
            pools: Mutex::new(Pools::default()),
            arch,
            modules: Mutex::new(HashMap::new()),
            functions: Mutex::new(HashMap::new()),
        })
    }

    /// The rede device this is.
    pub fn device(&self) -> Device {
        Device::Cuda(self.ordinal)
    }

    /// An error naming this device and what failed.
    pub fn err(&self, what: impl std::fmt::Display) -> Error {
        Error::invalid("cuda", format!("{}: {what}", self.device()))
    }

    /// Kernel `name` of `module`, compiling and loading the module on first use.
    pub fn func(&self, module: KernelModule, name: &'static str) -> Result<CudaFunction> {
        if let Some(f) = lock(&self.functions).get(name) {
            return Ok(f.clone());
        }
        let loaded = self.module(module)?;
        let f = loaded.load_function(name).map_err(|e| self.err(format!("kernel {name}: {e}")))?;
        lock(&self.functions).insert(name, f.clone());
        Ok(f)
    }

    fn module(&self, module: KernelModule) -> Result<Arc<CudaModule>> {
        if let Some(m) = lock(&self.modules).get(module.name) {
            return Ok(m.clone());
        }
        let ptx = compile(module, self.arch).map_err(|e| self.err(e))?;
        let loaded = self.stream.context().load_module(ptx).map_err(|e| self.err(e))?;
        lock(&self.modules).insert(module.name, loaded.clone());
        Ok(loaded)
    }

    /// Waits until every queued kernel and copy has finished.
    pub fn synchronize(&self) -> Result<()> {
        self.stream.synchronize().map_err(|e| self.err(e))
    }
}

/// Compiles one kernel module for the virtual architecture `arch` (`compute_70`, …).
pub fn compile(module: KernelModule, arch: &'static str) -> std::result::Result<cudarc::nvrtc::Ptx, String> {
    let opts = CompileOptions { arch: Some(arch), name: Some(format!("{}.cu", module.name)), ..Default::default() };
    compile_ptx_with_opts(module.full_source(), opts).map_err(|e| format!("compiling the {} kernels: {e}", module.name))
}

/// A poisoned lock only means another thread panicked mid-insert; the maps stay usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn unavailable(ordinal: usize, reason: String) -> Error {
    Error::DeviceUnavailable { device: Device::Cuda(ordinal), reason }
}

/// Why the CUDA libraries cannot be used here, or `Ok` when they can be loaded.
fn libraries_present() -> std::result::Result<(), String> {
    // SAFETY: each probe only tries to dlopen the library.
    let (driver, blas, nvrtc) = unsafe {
        (
            cudarc::driver::sys::is_culib_present(),
            cudarc::cublas::sys::is_culib_present(),
            cudarc::nvrtc::sys::is_culib_present(),
        )
    };
    match (driver, blas, nvrtc) {
        (false, _, _) => Err("the CUDA driver library (libcuda) cannot be loaded: no NVIDIA driver here".into()),
        (_, false, _) => Err("the cuBLAS library (libcublas) cannot be loaded".into()),
        (_, _, false) => Err("the NVRTC library (libnvrtc) cannot be loaded".into()),
        _ => Ok(()),
    }
}

/// CUDA device `ordinal`, opened on first use.
pub(crate) fn gpu(ordinal: usize) -> Result<Arc<GpuDevice>> {
    static DEVICES: OnceLock<Mutex<HashMap<usize, Arc<GpuDevice>>>> = OnceLock::new();
    let devices = DEVICES.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(d) = lock(devices).get(&ordinal) {
        return Ok(d.clone());
    }
    libraries_present().map_err(|reason| unavailable(ordinal, reason))?;
    let count = CudaContext::device_count().map_err(|e| unavailable(ordinal, e.to_string()))?;
    if ordinal >= count.max(0) as usize {
        return Err(unavailable(ordinal, format!("no such device: this machine has {count} CUDA device(s)")));
    }
    let opened = Arc::new(GpuDevice::open(ordinal)?);
    Ok(lock(devices).entry(ordinal).or_insert(opened).clone())
}
