//! The one error type of rede.

use crate::{DType, Device};

/// Everything that can go wrong in rede, with enough context to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two shapes that an op needed to agree did not.
    #[error("{op}: cannot combine shapes {lhs:?} and {rhs:?}")]
    ShapeMismatch {
        /// The op that failed.
        op: &'static str,
        /// Shape of the first operand.
        lhs: Vec<usize>,
        /// Shape of the second operand.
        rhs: Vec<usize>,
    },
    /// Matrix product of incompatible shapes.
    #[error("matmul: cannot multiply {lhs:?} by {rhs:?}")]
    MatmulShape {
        /// Shape of the left operand.
        lhs: Vec<usize>,
        /// Shape of the right operand.
        rhs: Vec<usize>,
    },
    /// Two tensors of different element types in one op.
    #[error("{op}: element types differ ({lhs:?} and {rhs:?})")]
    DTypeMismatch {
        /// The op that failed.
        op: &'static str,
        /// Element type of the first operand.
        lhs: DType,
        /// Element type of the second operand.
        rhs: DType,
    },
    /// Tensors on different devices in one op (move one with `to_device` first).
    #[error("{op}: tensors on {lhs} and {rhs}")]
    DeviceMismatch {
        /// The op that failed.
        op: &'static str,
        /// Device of the first operand.
        lhs: Device,
        /// Device of the second operand.
        rhs: Device,
    },
    /// A device that this build or this machine cannot use.
    #[error("{device}: {reason}")]
    DeviceUnavailable {
        /// The device asked for.
        device: Device,
        /// Why it cannot be used.
        reason: String,
    },
    /// An axis outside the tensor's rank.
    #[error("{op}: axis {axis} is out of range for a tensor of rank {rank}")]
    AxisOutOfRange {
        /// The op that failed.
        op: &'static str,
        /// The axis asked for (may be negative).
        axis: isize,
        /// Rank of the tensor.
        rank: usize,
    },
    /// An index or range outside a dimension.
    #[error("{op}: index {index} is out of range for dimension {dim} of size {size}")]
    IndexOutOfRange {
        /// The op that failed.
        op: &'static str,
        /// The index asked for.
        index: usize,
        /// The dimension indexed.
        dim: usize,
        /// Size of that dimension.
        size: usize,
    },
    /// A data buffer whose length does not match the shape given with it.
    #[error("{op}: {len} elements cannot have shape {shape:?}")]
    ElementCount {
        /// The op that failed.
        op: &'static str,
        /// Number of elements given.
        len: usize,
        /// Shape asked for.
        shape: Vec<usize>,
    },
    /// Any other invalid argument, with a message naming the op.
    #[error("{op}: {msg}")]
    Invalid {
        /// The op that failed.
        op: &'static str,
        /// What was wrong.
        msg: String,
    },
    /// A problem with a file, naming it.
    #[error("{path}: {msg}")]
    File {
        /// The file.
        path: String,
        /// What was wrong (with line and column where there is one).
        msg: String,
    },
    /// An I/O error with the file it happened on.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Invalid { op, msg: msg.into() }
    }

    /// Shorthand for [`Error::File`].
    pub fn file(path: impl AsRef<std::path::Path>, msg: impl Into<String>) -> Self {
        Error::File { path: path.as_ref().display().to_string(), msg: msg.into() }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), source }
    }
}

/// rede's result type.
pub type Result<T> = std::result::Result<T, Error>;
