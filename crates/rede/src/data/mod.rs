//! Data: in-memory datasets and mini-batches.

mod dataset;

pub use dataset::{Batches, Dataset};
