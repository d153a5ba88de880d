//! Where a tensor's data lives.

use crate::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A compute device: host memory, or one CUDA GPU by its ordinal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory, kernels on the CPU thread pool.
    #[default]
    Cpu,
    /// The CUDA GPU with this ordinal (0 for the first).
    Cuda(usize),
}

impl Device {
    /// CUDA device `ordinal` when rede was built with the `cuda` feature and the
    /// device can be opened, else the CPU (like `torch.device("cuda" if
    /// torch.cuda.is_available() else "cpu")`).
    pub fn cuda_if_available(ordinal: usize) -> Device {
        if crate::backend::cuda_available(ordinal) {
            Device::Cuda(ordinal)
        } else {
            Device::Cpu
        }
    }

    /// Whether this is a CUDA device.
    pub fn is_cuda(self) -> bool {
        matches!(self, Device::Cuda(_))
    }

    /// Why this device cannot be used, or `Ok` when it can.
    pub fn check_available(self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Cuda(ordinal) => crate::backend::cuda_status(ordinal),
        }
    }
}

/// `cpu`, `cuda:0`, … as PyTorch writes them.
impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
            Device::Cuda(ordinal) => write!(f, "cuda:{ordinal}"),
        }
    }
}

/// Parses `cpu`, `cuda` (ordinal 0) or `cuda:N`.
impl FromStr for Device {
    type Err = Error;

    fn from_str(s: &str) -> Result<Device> {
        let bad = || Error::invalid("device", format!("'{s}' is not a device: use cpu, cuda or cuda:N"));
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(Device::Cpu),
            "cuda" | "gpu" => Ok(Device::Cuda(0)),
            other => {
                let ordinal = other.strip_prefix("cuda:").ok_or_else(bad)?;
                ordinal.parse().map(Device::Cuda).map_err(|_| bad())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_print_and_parse_as_pytorch_writes_them() {
        for (text, device) in [("cpu", Device::Cpu), ("cuda:0", Device::Cuda(0)), ("cuda:3", Device::Cuda(3))] {
            assert_eq!(device.to_string(), text);
            assert_eq!(text.parse::<Device>().unwrap(), device);
        }
        assert_eq!("CUDA".parse::<Device>().unwrap(), Device::Cuda(0));
        let err = "tpu".parse::<Device>().unwrap_err().to_string();
        assert!(err.contains("'tpu' is not a device"), "{err}");
        assert!("cuda:x".parse::<Device>().is_err());
    }

    #[test]
    fn the_cpu_is_always_available() {
        assert!(Device::Cpu.check_available().is_ok());
        assert!(!Device::Cpu.is_cuda());
    }
}
