//! scikit-learn-style estimators: [`MlpClassifier`] and [`MlpRegressor`] with
//! `MLPClassifier`/`MLPRegressor`'s parameter names and defaults
//! ([`MlpParams`]), `fit`/`partial_fit`/`predict`/`predict_proba`/`score`, and
//! rede's extras: dropout, L1, per-layer activations, weight initializers,
//! RMSProp/AdamW, more schedules, and standardization built in.
//!
//! Inputs are a numeric tensor `[n, d]` with targets, or a [`crate::data::Table`]
//! with the name of its target column (text columns are one-hot encoded,
//! numeric ones standardized, by [`crate::data::FeaturePipeline`]). A fitted
//! estimator saves to one `.safetensors` file that carries its preprocessing,
//! and [`Estimator::load`] reads it back.
//!
//! Semantics follow scikit-learn where it defines them: `batch_size` auto is
//! `min(200, n)`; the L2 term is `alpha/2 · Σw² / batch size` over weights only;
//! regression minimises half the squared error; without `early_stopping`,
//! training stops once the training loss has not improved by `tol` for
//! `n_iter_no_change` epochs; with it, a stratified `validation_fraction` is
//! held out, its score is watched instead and the best epoch's weights are kept.

pub mod checkpoint;
mod classifier;
mod common;
#[cfg(test)]
mod custom_model_tests;
mod input;
mod mlp;
mod params;
pub mod persist;
mod regressor;
pub mod search;

pub use checkpoint::Checkpoints;
pub use classifier::MlpClassifier;
pub use mlp::TrainingRecord;
pub use params::{HiddenActivation, LearningRate, MlpParams, Solver};
pub use persist::Estimator;
pub use regressor::MlpRegressor;
