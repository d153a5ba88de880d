//! The estimators' hyperparameters: scikit-learn's names and defaults, plus rede's extras.

use crate::nn::{Activation, Initializer, LayerSpec};
use crate::{Device, Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The activation of the hidden layers (scikit-learn's names, plus `gelu`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HiddenActivation {
    /// f(x) = x.
    Identity,
    /// The logistic sigmoid, 1 / (1 + e⁻ˣ).
    Logistic,
    /// The hyperbolic tangent.
    Tanh,
    /// max(x, 0) (the default).
    #[default]
    Relu,
    /// Exact GELU (a rede extra).
    Gelu,
}

impl HiddenActivation {
    /// The layer this activation is.
    pub fn activation(self) -> Activation {
        match self {
            HiddenActivation::Identity => Activation::Identity,
            HiddenActivation::Logistic => Activation::Sigmoid,
            HiddenActivation::Tanh => Activation::Tanh,
            HiddenActivation::Relu => Activation::Relu,
            HiddenActivation::Gelu => Activation::Gelu,
        }
    }
}

/// The weight optimizer (scikit-learn's `solver`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// Full-batch L-BFGS (good for small data sets).
    Lbfgs,
    /// Mini-batch SGD with (Nesterov) momentum.
    Sgd,
    /// Adam (the default).
    #[default]
    Adam,
    /// RMSProp (a rede extra).
    Rmsprop,
    /// Adam with decoupled weight decay (a rede extra; `alpha` is its decay).
    Adamw,
}

/// How the learning rate changes between epochs (scikit-learn's `learning_rate`,
/// plus `step` and `cosine`). Unlike scikit-learn, where only `sgd` uses it, it
/// applies to every mini-batch solver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LearningRate {
    /// `learning_rate_init` throughout (the default).
    #[default]
    Constant,
    /// `learning_rate_init / (t + 1)^power_t`, `t` counting samples seen.
    Invscaling,
    /// Divided by 5 whenever the training loss stalls for `n_iter_no_change` epochs.
    Adaptive,
    /// Halved every `max(1, max_iter / 4)` epochs (a rede extra).
    Step,
    /// Cosine annealing to 0 over `max_iter` epochs (a rede extra).
    Cosine,
}

/// Parses the snake-case names of the parameter enums (`"relu"`, `"adam"`, `"invscaling"`…).
macro_rules! named_enum {
    ($ty:ty, $what:literal, [$($name:literal => $value:expr),* $(,)?]) => {
        impl FromStr for $ty {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s.to_ascii_lowercase().as_str() {
                    $($name => Ok($value),)*
                    _ => Err(Error::invalid(
                        "MlpParams",
                        format!(concat!("unknown ", $what, " '{}' (choose from: {})"), s, [$($name),*].join(", ")),
                    )),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let name = [$(($value, $name)),*].into_iter().find(|(v, _)| v == self).map_or("?", |(_, n)| n);
                f.write_str(name)
            }
        }
    };
}

named_enum!(HiddenActivation, "activation", [
    "identity" => HiddenActivation::Identity,
    "logistic" => HiddenActivation::Logistic,
    "tanh" => HiddenActivation::Tanh,
    "relu" => HiddenActivation::Relu,
    "gelu" => HiddenActivation::Gelu,
]);
named_enum!(Solver, "solver", [
    "lbfgs" => Solver::Lbfgs,
    "sgd" => Solver::Sgd,
    "adam" => Solver::Adam,
    "rmsprop" => Solver::Rmsprop,
    "adamw" => Solver::Adamw,
]);
named_enum!(LearningRate, "learning-rate schedule", [
    "constant" => LearningRate::Constant,
    "invscaling" => LearningRate::Invscaling,
    "adaptive" => LearningRate::Adaptive,
    "step" => LearningRate::Step,
    "cosine" => LearningRate::Cosine,
]);

/// Hyperparameters of [`super::MlpClassifier`] and [`super::MlpRegressor`].
///
/// The fields up to `max_fun` are scikit-learn's `MLPClassifier`/`MLPRegressor`
/// parameters with its defaults; the rest are rede's extras.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MlpParams {
    /// Widths of the hidden layers (default `[100]`).
    pub hidden_layer_sizes: Vec<usize>,
    /// Activation of every hidden layer (default relu); see also `activations`.
    pub activation: HiddenActivation,
    /// Optimizer (default adam).
    pub solver: Solver,
    /// L2 penalty: `alpha/2 · Σw² / batch_size` is added to each batch loss, over weights only (default 1e-4).
    pub alpha: f64,
    /// Mini-batch size; `None` (scikit-learn's "auto") is `min(200, n_samples)`.
    pub batch_size: Option<usize>,
    /// Learning-rate schedule (default constant).
    pub learning_rate: LearningRate,
    /// Initial learning rate (default 1e-3).
    pub learning_rate_init: f64,
    /// Exponent of `invscaling` (default 0.5).
    pub power_t: f64,
    /// Epochs for the mini-batch solvers, iterations for lbfgs (default 200).
    pub max_iter: usize,
    /// Reshuffle the samples every epoch (default true).
    pub shuffle: bool,
    /// Seed of the weights, shuffles and splits; `None` draws one from the clock.
    pub random_state: Option<u64>,
    /// Improvement below this (of the training loss, or of the validation score
    /// with `early_stopping`) does not count (default 1e-4).
    pub tol: f64,
    /// SGD momentum (default 0.9).
    pub momentum: f64,
    /// Nesterov momentum for SGD (default true).
    pub nesterovs_momentum: bool,
    /// Hold out `validation_fraction` of the training data (stratified for
    /// classifiers), stop when its score stalls, and keep the best epoch's weights (default false).
    pub early_stopping: bool,
    /// Share held out for `early_stopping` (default 0.1).
    pub validation_fraction: f64,
    /// Adam's β₁ (default 0.9).
    pub beta_1: f64,
    /// Adam's β₂ (default 0.999).
    pub beta_2: f64,
    /// Adam's ε (default 1e-8).
    pub epsilon: f64,
    /// Training stops once more than this many epochs in a row failed to improve
    /// by `tol` (default 10), as in scikit-learn.
    pub n_iter_no_change: usize,
    /// Most loss evaluations for lbfgs (default 15000).
    pub max_fun: usize,
    /// Dropout after each hidden activation, in `[0, 1)` (default 0: none).
    pub dropout: f64,
    /// L1 penalty: `l1 · Σ|w| / batch_size` added to each batch loss, weights only (default 0).
    pub l1: f64,
    /// One activation per hidden layer, overriding `activation` (default none).
    pub activations: Option<Vec<HiddenActivation>>,
    /// Initializer of every linear layer; `None` is scikit-learn's
    /// ([`MlpParams::default_init`]: Glorot-uniform weights and biases).
    pub init: Option<Initializer>,
    /// Standardize numeric inputs (and regression targets; predictions are given back
    /// in the target's units) with statistics of the training data (default true).
    pub standardize: bool,
    /// The inputs are images of this many channels (their pixels channel-major):
    /// `standardize` then uses one mean and standard deviation per channel over all
    /// its pixels, rather than one per column (default `None`: tabular data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_channels: Option<usize>,
    /// The whole network as a spec (e.g. from [`crate::nn::ModelSpec`] or
    /// [`crate::nn::presets::by_name`]) instead of the MLP the fields above describe
    /// (default none). When set, `hidden_layer_sizes`, `activation`, `activations`,
    /// `dropout` and `init` are ignored (put dropout layers in the spec); the solver,
    /// penalties and schedule still apply. The spec takes the encoded feature rows
    /// `[n, n_features]` and must give `[n, classes]` (regression: `[n, outputs]`),
    /// which `fit` checks before training.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<LayerSpec>,
    /// Where the mini-batch solvers train (default the CPU). On a GPU
    /// (`Device::Cuda(n)`) the fitted network is brought back to the host
    /// afterwards, so predictions and saved models are the same whatever the
    /// device; the device itself is not saved with the model.
    #[serde(skip)]
    pub device: Device,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            hidden_layer_sizes: vec![100],
            activation: HiddenActivation::Relu,
            solver: Solver::Adam,
            alpha: 1e-4,
            batch_size: None,
            learning_rate: LearningRate::Constant,
            learning_rate_init: 1e-3,
            power_t: 0.5,
            max_iter: 200,
            shuffle: true,
            random_state: None,
            tol: 1e-4,
            momentum: 0.9,
            nesterovs_momentum: true,
            early_stopping: false,
            validation_fraction: 0.1,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
            n_iter_no_change: 10,
            max_fun: 15000,
            dropout: 0.0,
            l1: 0.0,
            activations: None,
            init: None,
            standardize: true,
            image_channels: None,
            model: None,
            device: Device::Cpu,
        }
    }
}

impl MlpParams {
    /// Checks every value, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::invalid("MlpParams", msg));
        if self.hidden_layer_sizes.contains(&0) {
            return bad(format!("hidden_layer_sizes must all be at least 1, got {:?}", self.hidden_layer_sizes));
        }
        if let Some(acts) = &self.activations {
            if acts.len() != self.hidden_layer_sizes.len() {
                return bad(format!("{} activations for {} hidden layers", acts.len(), self.hidden_layer_sizes.len()));
            }
        }
        for (name, v) in [("alpha", self.alpha), ("l1", self.l1), ("tol", self.tol), ("momentum", self.momentum)] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!("{name} must be a finite number >= 0, got {v}"));
            }
        }
        if !(self.learning_rate_init.is_finite() && self.learning_rate_init > 0.0) {
            return bad(format!("learning_rate_init must be > 0, got {}", self.learning_rate_init));
        }
        if self.max_iter == 0 || self.batch_size == Some(0) || self.max_fun == 0 {
            return bad("max_iter, batch_size and max_fun must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return bad(format!("validation_fraction must be in (0, 1), got {}", self.validation_fraction));
        }
        for (name, v) in [("beta_1", self.beta_1), ("beta_2", self.beta_2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(format!("{name} must be in [0, 1), got {v}"));
            }
        }
        if self.image_channels == Some(0) {
            return bad("image_channels must be at least 1".into());
        }
        if let Some(init) = &self.init {
            init.validate()?;
        }
        Ok(())
    }

    /// scikit-learn's initialization for these hyperparameters: weights and biases
    /// uniform in ±√(6 / (fan_in + fan_out)), or ±√(2 / (fan_in + fan_out)) when
    /// the (first) hidden activation is logistic, as in its `_init_coef`.
    pub fn default_init(&self) -> Initializer {
        let logistic = self.hidden_activations().first().map_or(self.activation, |a| *a) == HiddenActivation::Logistic;
        Initializer::ScikitLearn { factor: if logistic { 2.0 } else { 6.0 } }
    }

    /// The activation of each hidden layer.
    pub fn hidden_activations(&self) -> Vec<HiddenActivation> {
        self.activations.clone().unwrap_or_else(|| vec![self.activation; self.hidden_layer_sizes.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for name in ["identity", "logistic", "tanh", "relu", "gelu"] {
            assert_eq!(name.parse::<HiddenActivation>().unwrap().to_string(), name);
        }
        assert_eq!("ADAM".parse::<Solver>().unwrap(), Solver::Adam);
        let err = "fast".parse::<LearningRate>().unwrap_err().to_string();
        assert!(err.contains("unknown learning-rate schedule 'fast'") && err.contains("cosine"), "{err}");
    }

    #[test]
    fn defaults_are_scikit_learns() {
        let p = MlpParams::default();
        assert_eq!((p.hidden_layer_sizes.as_slice(), p.solver, p.max_iter), (&[100][..], Solver::Adam, 200));
        assert_eq!((p.alpha, p.learning_rate_init, p.tol, p.n_iter_no_change), (1e-4, 1e-3, 1e-4, 10));
        assert!(p.validate().is_ok());
        assert!(MlpParams { dropout: 1.0, ..MlpParams::default() }.validate().is_err());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<MlpParams>(&json).unwrap(), p);
    }
}
