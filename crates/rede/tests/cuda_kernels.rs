//! Checks of the CUDA backend that need no GPU: every kernel module compiles
//! with NVRTC (whenever libnvrtc can be loaded, e.g. from the
//! `nvidia-cuda-nvrtc-cu12` wheel; otherwise the test prints why it skipped),
//! and a missing GPU is a clear error. Set `REDE_REQUIRE_NVRTC=1` to make a
//! missing libnvrtc a failure instead of a skip (CI does).

#![cfg(feature = "cuda")]

use rede::backend::cuda::compile_all_kernels;
use rede::{DType, Device, Error, Tensor};

#[test]
fn every_kernel_module_compiles_with_nvrtc() {
    // The oldest architecture the kernels support (f64 atomics) and a current one.
    for arch in ["compute_70", "compute_90"] {
        match compile_all_kernels(arch) {
            Ok(()) => {}
            Err(Error::DeviceUnavailable { reason, .. }) if std::env::var("REDE_REQUIRE_NVRTC").is_err() => {
                eprintln!("cuda kernels: skipping the NVRTC compile ({reason})");
                return;
            }
            Err(e) => panic!("{arch}: {e}"),
        }
    }
}

#[test]
fn a_device_that_does_not_exist_is_an_error_naming_it() {
    let err = Device::Cuda(999).check_available().unwrap_err().to_string();
    assert!(err.starts_with("cuda:999: "), "{err}");
    assert_eq!(Device::cuda_if_available(999), Device::Cpu);
    let moved = Tensor::zeros(&[2, 3], DType::F32).to_device(Device::Cuda(999));
    assert!(moved.unwrap_err().to_string().contains("cuda:999"));
}
