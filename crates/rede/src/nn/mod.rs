//! Neural-network building blocks: the [`Module`] trait, layers, initializers and losses.

mod module;

pub use module::{LayerSpec, Module};
