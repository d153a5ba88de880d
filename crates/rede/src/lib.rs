//! # rede
//!
//! Neural networks in Rust: n-dimensional tensors with reverse-mode automatic
//! differentiation (a define-by-run computational graph), and on top of them
//! layers, losses, optimizers, training loops and scikit-learn-style estimators.
//!
//! ## Train an MLP
//!
//! ```
//! use rede::nn::{loss, mlp, Activation, Module};
//! use rede::optim::{Adam, AdamConfig, Optimizer};
//! use rede::{DType, Rng, Tensor};
//!
//! # fn main() -> rede::Result<()> {
//! let mut rng = Rng::seed(0);
//! // Two blobs: class 0 around (−1, −1), class 1 around (1, 1).
//! let noise = Tensor::rand_normal(&[64, 2], 0.0, 0.5, DType::F32, &mut rng);
//! let labels: Vec<f32> = (0..64).map(|i| (i % 2) as f32).collect();
//! let centers: Vec<f32> = labels.iter().flat_map(|&y| [2.0 * y - 1.0; 2]).collect();
//! let x = noise.add(&Tensor::from_vec(centers, &[64, 2])?)?;
//! let y = Tensor::from_vec(labels, &[64])?;
//!
//! let model = mlp(&[2, 16, 2], Activation::Relu, &mut rng)?;
//! let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 0.05, ..Default::default() })?;
//! for _ in 0..50 {
//!     let l = loss::cross_entropy(&model.forward(&x)?, &y)?;
//!     optimizer.zero_grad();
//!     l.backward()?;
//!     optimizer.step()?;
//! }
//! let predicted = model.forward(&x)?.argmax(-1)?;
//! let accuracy = predicted.eq(&y)?.mean_all()?.item()?;
//! assert!(accuracy > 0.9, "accuracy {accuracy}");
//! # Ok(())
//! # }
//! ```
//!
//! ## Or let an estimator do it
//!
//! ```
//! use rede::data::synthetic;
//! use rede::estimator::{MlpClassifier, MlpParams};
//!
//! # fn main() -> rede::Result<()> {
//! let data = synthetic::moons(200, 0.1, &mut rede::Rng::seed(3))?;
//! let params = MlpParams { hidden_layer_sizes: vec![16], learning_rate_init: 0.01, max_iter: 100, random_state: Some(1), ..Default::default() };
//! let mut clf = MlpClassifier::new(params);
//! clf.fit(&data.x, &data.y)?;
//! assert!(clf.score(&data.x, &data.y)? > 0.9);
//! let probabilities = clf.predict_proba(&data.x)?; // [200, 2]
//! assert_eq!(probabilities.shape(), &[200, 2]);
//! # Ok(())
//! # }
//! ```
//!
//! ## Your own modules
//!
//! `#[derive(Module)]` names a struct's parameters as PyTorch does, and
//! [`nn::StateDict`] saves and loads them by name (see the `custom_module` example).
//!
//! ## Gradients and the graph
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
#![deny(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]

pub mod autograd;
pub mod backend;
pub mod data;
mod device;
pub mod distributed;
mod dtype;
mod error;
pub mod estimator;
pub mod io;
mod layout;
pub mod model_selection;
#[cfg(feature = "ndarray")]
mod ndarray_interop;
pub mod nn;
pub mod onnx;
mod ops;
pub mod optim;
mod parallel;
mod shape;
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
