//! Neural-network building blocks: the [`Module`] trait, layers, initializers and losses.
//!
//! ```
//! use rede::nn::{loss, mlp, Activation, Module};
//! use rede::{DType, Rng, Tensor};
//! # fn main() -> rede::Result<()> {
//! let mut rng = Rng::seed(42);
//! let model = mlp(&[4, 16, 3], Activation::Relu, &mut rng)?;
//! let x = Tensor::rand_normal(&[8, 4], 0.0, 1.0, DType::F32, &mut rng);
//! let y = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.0], &[8])?;
//! let loss = loss::cross_entropy(&model.forward(&x)?, &y)?;
//! loss.backward()?;
//! assert!(model.parameters().iter().all(|p| p.grad().is_some()));
//! println!("{}", model.summary(&[4])?);
//! # Ok(())
//! # }
//! ```

mod activation;
pub(crate) mod conv;
mod conv_transpose;
mod dropout;
mod embedding;
pub mod init;
pub mod limits;
mod linear;
pub mod loss;
mod module;
mod module_field;
mod norm;
mod pool;
pub mod presets;
mod reshape;
mod rnn;
mod sequential;
mod spec;
mod state_dict;
mod summary;
mod transformer;

pub use activation::{Activation, Gelu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Tanh};
pub use conv::{Conv1d, Conv2d, Flatten};
pub use conv_transpose::ConvTranspose2d;
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use init::Initializer;
pub use linear::Linear;
pub use module::{LayerSpec, Module};
pub use module_field::ModuleField;
pub use norm::{BatchNorm1d, BatchNorm2d};
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, MaxPool2d};
/// `#[derive(Module)]`: see the [`rede_derive`] crate.
pub use rede_derive::Module;
pub use reshape::Unflatten;
pub use rnn::{Gru, LastStep, Lstm, Rnn, RnnConfig, RnnState};
pub use sequential::{mlp, mlp_spec, Sequential};
pub use spec::ModelSpec;
pub use state_dict::{LoadReport, ShapeMismatch, StateDict};
pub use summary::summary;
pub use transformer::{LayerNorm, MultiheadAttention, PositionalEmbedding};
