//! The CUDA C sources of the backend's kernels, compiled at run time by NVRTC
//! (once per device and module, see `device.rs`). Every module is compiled
//! with the shared prelude in front.

/// Integer types, the strided-operand descriptor, math helpers and block reductions.
const PRELUDE: &str = include_str!("prelude.cu");

/// One kernel module: its name (the cache key) and CUDA C source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelModule {
    /// The module's name.
    pub name: &'static str,
    /// Its source, without the prelude.
    source: &'static str,
}

impl KernelModule {
    /// The complete source NVRTC compiles: the prelude, then the module.
    pub fn full_source(&self) -> String {
        format!("{PRELUDE}\n{}", self.source)
    }
}

/// Copy, cast, unary, binary and select.
pub const ELEMENTWISE: KernelModule = KernelModule { name: "elementwise", source: include_str!("elementwise.cu") };
/// Trailing-axis reductions and column sums.
pub const REDUCE: KernelModule = KernelModule { name: "reduce", source: include_str!("reduce.cu") };
/// index_select, index_add, gather, scatter_add and concat.
pub const INDEX: KernelModule = KernelModule { name: "index", source: include_str!("index.cu") };
/// Max and average pooling, forward and backward.
pub const POOL: KernelModule = KernelModule { name: "pool", source: include_str!("pool.cu") };
/// im2col, col2im and the convolution bias.
pub const CONV: KernelModule = KernelModule { name: "conv", source: include_str!("conv.cu") };
/// Fused softmax cross-entropy.
pub const LOSS: KernelModule = KernelModule { name: "loss", source: include_str!("loss.cu") };
/// Fused optimizer updates.
pub const UPDATE: KernelModule = KernelModule { name: "update", source: include_str!("update.cu") };

/// Every kernel module, for the test that compiles them all.
pub const ALL: [KernelModule; 7] = [ELEMENTWISE, REDUCE, INDEX, POOL, CONV, LOSS, UPDATE];
