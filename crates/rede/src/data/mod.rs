//! Data: in-memory datasets and mini-batches.

mod dataset;
#[cfg(feature = "download")]
mod download;
pub mod idx;
mod mnist;

pub use dataset::{Batches, Dataset};
pub use idx::Idx;
pub use mnist::Mnist;
