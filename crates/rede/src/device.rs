//! Where a tensor's data lives.

/// A compute device. Only the CPU backend exists today; the enum is the seam
/// a CUDA backend plugs into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory, kernels on the CPU thread pool.
    #[default]
    Cpu,
}
