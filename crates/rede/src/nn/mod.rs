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
mod dropout;
pub mod init;
mod linear;
pub mod loss;
mod module;
mod sequential;
mod spec;
mod summary;

pub use activation::{Activation, Gelu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Tanh};
pub use dropout::Dropout;
pub use init::Initializer;
pub use linear::Linear;
pub use module::{LayerSpec, Module};
pub use sequential::{mlp, mlp_spec, Sequential};
pub use summary::summary;
