//! The settings a page sends: parsed from JSON and checked before anything uses them.

use rede::estimator::{HiddenActivation, Solver};
use serde::{Deserialize, Serialize};

/// Most hidden layers a network may have.
pub const MAX_LAYERS: usize = 8;
/// Most units a hidden layer may have.
pub const MAX_UNITS: usize = 64;

/// The data a session trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetName {
    /// Four clusters, classes by quadrant sign.
    Xor,
    /// A ring around a disc.
    Circles,
    /// Two interleaving half circles.
    Moons,
    /// Two interleaved spirals.
    Spirals,
    /// Three Gaussian clusters.
    Blobs,
    /// Regression: y = sin x.
    Sine,
    /// The CSV file the page uploaded last.
    Upload,
}

/// An input feature computed from the two coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// The first coordinate.
    X1,
    /// The second coordinate.
    X2,
    /// x1².
    X1Sq,
    /// x2².
    X2Sq,
    /// x1·x2.
    X1X2,
    /// sin x1.
    SinX1,
    /// sin x2.
    SinX2,
}

impl Feature {
    /// The column name, also the header `rede predict` expects for an exported model.
    pub fn name(self) -> &'static str {
        match self {
            Feature::X1 => "x1",
            Feature::X2 => "x2",
            Feature::X1Sq => "x1_sq",
            Feature::X2Sq => "x2_sq",
            Feature::X1X2 => "x1_x2",
            Feature::SinX1 => "sin_x1",
            Feature::SinX2 => "sin_x2",
        }
    }

    /// The feature's value at the point `(x1, x2)`.
    pub fn value(self, [x1, x2]: [f32; 2]) -> f32 {
        match self {
            Feature::X1 => x1,
            Feature::X2 => x2,
            Feature::X1Sq => x1 * x1,
            Feature::X2Sq => x2 * x2,
            Feature::X1X2 => x1 * x2,
            Feature::SinX1 => x1.sin(),
            Feature::SinX2 => x2.sin(),
        }
    }
}

/// A hidden layer's activation, by the page's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// f(x) = x.
    Linear,
    /// The logistic sigmoid.
    Sigmoid,
    /// The hyperbolic tangent.
    Tanh,
    /// max(x, 0).
    Relu,
    /// Exact GELU.
    Gelu,
}

impl Activation {
    /// The estimator's name for it.
    pub fn hidden(self) -> HiddenActivation {
        match self {
            Activation::Linear => HiddenActivation::Identity,
            Activation::Sigmoid => HiddenActivation::Logistic,
            Activation::Tanh => HiddenActivation::Tanh,
            Activation::Relu => HiddenActivation::Relu,
            Activation::Gelu => HiddenActivation::Gelu,
        }
    }
}

/// The optimizer, by the page's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerName {
    /// Plain stochastic gradient descent.
    Sgd,
    /// SGD with momentum 0.9.
    Momentum,
    /// RMSProp.
    Rmsprop,
    /// Adam.
    Adam,
}

impl OptimizerName {
    /// The estimator's solver and SGD momentum.
    pub fn solver(self) -> (Solver, f64) {
        match self {
            OptimizerName::Sgd => (Solver::Sgd, 0.0),
            OptimizerName::Momentum => (Solver::Sgd, 0.9),
            OptimizerName::Rmsprop => (Solver::Rmsprop, 0.0),
            OptimizerName::Adam => (Solver::Adam, 0.0),
        }
    }
}

/// How the learning rate changes with the epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// The same rate throughout.
    Constant,
    /// Halved every 100 epochs.
    Step,
    /// Cosine annealing towards zero over 500 epochs.
    Cosine,
}

/// One hidden layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// Its width.
    pub units: usize,
    /// Its activation.
    pub activation: Activation,
}

/// Everything the page can set. Fields left out of a request keep their defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The data.
    pub dataset: DatasetName,
    /// Noise of the generated data (standard deviation, in the data's units).
    pub noise: f64,
    /// Share of the points held out for the test loss.
    pub test_fraction: f64,
    /// The network's inputs.
    pub features: Vec<Feature>,
    /// The hidden layers.
    pub layers: Vec<Layer>,
    /// The optimizer.
    pub optimizer: OptimizerName,
    /// The initial learning rate.
    pub learning_rate: f64,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Mini-batch size.
    pub batch_size: usize,
    /// L1 penalty on the weights.
    pub l1: f64,
    /// L2 penalty on the weights.
    pub l2: f64,
    /// Dropout after each hidden layer.
    pub dropout: f64,
    /// Seed of the data, the split, the weights and the shuffles.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Config {
        let layer = |units| Layer { units, activation: Activation::Tanh };
        Config {
            dataset: DatasetName::Circles,
            noise: 0.05,
            test_fraction: 0.5,
            features: vec![Feature::X1, Feature::X2],
            layers: vec![layer(4), layer(2)],
            optimizer: OptimizerName::Adam,
            learning_rate: 0.03,
            schedule: Schedule::Constant,
            batch_size: 10,
            l1: 0.0,
            l2: 0.0,
            dropout: 0.0,
            seed: 1,
        }
    }
}

impl Config {
    /// Parses a request body; a message for the page when it is not a valid configuration.
    pub fn from_json(body: &[u8]) -> Result<Config, String> {
        let config: Config = serde_json::from_slice(body).map_err(|e| format!("bad settings: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value is in its range (the caps included).
    pub fn validate(&self) -> Result<(), String> {
        in_range("noise", self.noise, 0.0, 1.0)?;
        in_range("test_fraction", self.test_fraction, 0.1, 0.9)?;
        in_range("learning_rate", self.learning_rate, 1e-6, 10.0)?;
        in_range("l1", self.l1, 0.0, 1.0)?;
        in_range("l2", self.l2, 0.0, 1.0)?;
        in_range("dropout", self.dropout, 0.0, 0.9)?;
        if self.features.is_empty() {
            return Err("pick at least one input feature".into());
        }
        let mut distinct = self.features.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() != self.features.len() {
            return Err("an input feature is listed twice".into());
        }
        if self.layers.len() > MAX_LAYERS {
            return Err(format!("at most {MAX_LAYERS} hidden layers, got {}", self.layers.len()));
        }
        if let Some(layer) = self.layers.iter().find(|l| l.units == 0 || l.units > MAX_UNITS) {
            return Err(format!("a hidden layer has 1 to {MAX_UNITS} units, got {}", layer.units));
        }
        if !(1..=1000).contains(&self.batch_size) {
            return Err(format!("batch_size must be 1 to 1000, got {}", self.batch_size));
        }
        Ok(())
    }

    /// Whether `other` differs from this one only in what can change during training
    /// (learning rate and schedule), so the network can be kept.
    pub fn same_network(&self, other: &Config) -> bool {
        let rate_free = |c: &Config| Config { learning_rate: 0.0, schedule: Schedule::Constant, ..c.clone() };
        rate_free(self) == rate_free(other)
    }
}

fn in_range(name: &str, value: f64, low: f64, high: f64) -> Result<(), String> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(format!("{name} must be between {low} and {high}, got {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let config = Config::default();
        config.validate().unwrap();
        let json = serde_json::to_vec(&config).unwrap();
        assert_eq!(Config::from_json(&json).unwrap(), config);
    }

    #[test]
    fn bad_values_are_refused_with_a_message() {
        let bad = [
            (r#"{"dataset": "mnist"}"#, "unknown variant"),
            (r#"{"noise": 2}"#, "noise"),
            (r#"{"layers": [{"units": 65, "activation": "relu"}]}"#, "64 units"),
            (r#"{"features": []}"#, "at least one"),
            (r#"{"features": ["x1", "x1"]}"#, "twice"),
            (r#"{"batch_size": 0}"#, "batch_size"),
            (r#"{"seed": -1}"#, "bad settings"),
            (r#"{"colour": "red"}"#, "unknown field"),
            ("not json", "bad settings"),
        ];
        for (body, wanted) in bad {
            let err = Config::from_json(body.as_bytes()).unwrap_err();
            assert!(err.contains(wanted), "{body}: {err}");
        }
        let nine = vec![Layer { units: 1, activation: Activation::Relu }; MAX_LAYERS + 1];
        assert!(Config { layers: nine, ..Config::default() }.validate().unwrap_err().contains("at most 8"));
    }

    #[test]
    fn only_rate_changes_keep_the_network() {
        let base = Config::default();
        assert!(base.same_network(&Config { learning_rate: 0.1, schedule: Schedule::Cosine, ..base.clone() }));
        assert!(!base.same_network(&Config { seed: 2, ..base.clone() }));
    }
}
