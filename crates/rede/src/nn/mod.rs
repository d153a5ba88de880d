//! Neural-network building blocks: the [`Module`] trait, layers, initializers and losses.

pub(crate) mod conv;
mod embedding;
mod module;
mod norm;
mod pool;
mod rnn;

pub use conv::{Conv1d, Conv2d, Flatten};
pub use embedding::Embedding;
pub use module::{LayerSpec, Module};
pub use norm::{BatchNorm1d, BatchNorm2d};
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, MaxPool2d};
pub use rnn::{Gru, LastStep, Lstm, Rnn, RnnConfig, RnnState};
