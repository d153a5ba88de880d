//! # rede
//!
//! Neural networks in Rust: n-dimensional tensors with reverse-mode automatic
//! differentiation (a define-by-run computational graph), and on top of them
//! layers, losses, optimizers and training loops.
//!
//! Build an expression, call `backward`, read the gradients, and look at the graph:
//!
//! ```
//! use rede::{DType, Tensor};
//!
//! # fn main() -> rede::Result<()> {
//! // A neuron: y = tanh(w·x + b)
//! let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2])?;
//! let w = Tensor::from_vec(vec![0.5f32, -0.25], &[2])?.requires_grad_();
//! let b = Tensor::scalar(0.1, DType::F32).requires_grad_();
//! w.set_label("w");
//! b.set_label("b");
//! let y = w.mul(&x)?.sum_all()?.add(&b)?.tanh();
//! y.backward()?;
//!
//! // dy/dw = (1 - y²)·x
//! let dw = w.grad().unwrap().to_vec_f32();
//! let y = y.item()? as f32;
//! assert!((dw[1] - (1.0 - y * y) * 2.0).abs() < 1e-6);
//! println!("dy/dw = {dw:?}, dy/db = {:?}", b.grad().unwrap().to_vec_f32());
//!
//! // The computational graph, in Graphviz DOT
//! let dot = y_graph(&w, &x, &b)?;
//! assert!(dot.contains("tanh") && dot.contains("\"w"));
//! println!("{dot}");
//! # Ok(())
//! # }
//! # fn y_graph(w: &Tensor, x: &Tensor, b: &Tensor) -> rede::Result<String> {
//! #     Ok(w.mul(x)?.sum_all()?.add(b)?.tanh().to_dot())
//! # }
//! ```
#![warn(missing_docs)]

pub mod autograd;
pub mod backend;
pub mod data;
mod device;
mod dtype;
mod error;
pub mod estimator;
pub mod io;
pub mod layout;
pub mod model_selection;
#[cfg(feature = "ndarray")]
mod ndarray_interop;
pub mod nn;
mod ops;
pub mod optim;
pub mod parallel;
pub mod shape;
mod tensor;
pub mod train;

pub use autograd::{gradcheck, no_grad, GradcheckOptions, GradcheckReport, NoGradGuard};
pub use device::Device;
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use ops::conv::{Conv1dOptions, Conv2dOptions};
pub use ops::conv_transpose::ConvTranspose2dOptions;
pub use ops::pool_indices::MaxPool2dOptions;
pub use tensor::{Rng, Tensor, TensorId};
