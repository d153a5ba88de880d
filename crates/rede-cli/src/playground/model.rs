//! The network of a session: rede's MLP estimators trained one `partial_fit`
//! epoch at a time, so the page sees every epoch and the optimizer keeps its state.

use super::config::{Config, Schedule};
use super::data::{Task, LABEL};
use crate::architecture::{Architecture, KEY_ARCHITECTURE};
use rede::data::Table;
use rede::estimator::{Estimator, HiddenActivation, MlpClassifier, MlpParams, MlpRegressor};
use rede::optim::{CosineAnnealing, LrScheduler, StepDecay};
use rede::{no_grad, Tensor};
use std::collections::BTreeMap;

/// A classifier or a regressor, with the schedule that drives its learning rate.
pub struct Model {
    estimator: Estimator,
    activations: Vec<HiddenActivation>,
    scheduler: Option<Box<dyn LrScheduler>>,
    /// Epochs trained.
    pub epoch: usize,
    /// The learning rate of the next epoch.
    pub lr: f64,
}

impl Model {
    /// An untrained network for `config` and `task`.
    pub fn new(config: &Config, task: Task) -> Result<Model, String> {
        let params = params(config);
        params.validate().map_err(|e| e.to_string())?;
        let activations = params.hidden_activations();
        let estimator = match task {
            Task::Classes(_) => Estimator::Classifier(MlpClassifier::new(params)),
            Task::Regression => Estimator::Regressor(MlpRegressor::new(params)),
        };
        let scheduler = scheduler(config)?;
        Ok(Model { estimator, activations, scheduler, epoch: 0, lr: config.learning_rate })
    }

    /// Takes a new learning rate and schedule, keeping weights and optimizer state.
    pub fn set_rate(&mut self, config: &Config) -> Result<(), String> {
        self.scheduler = scheduler(config)?;
        self.lr = config.learning_rate;
        Ok(())
    }

    /// One epoch over `train`.
    pub fn epoch(&mut self, train: &Table) -> Result<(), String> {
        let lr = self.lr;
        let result = match &mut self.estimator {
            Estimator::Classifier(c) => {
                c.set_learning_rate(lr).and_then(|()| c.partial_fit_table(train, LABEL).map(drop))
            }
            Estimator::Regressor(r) => {
                r.set_learning_rate(lr).and_then(|()| r.partial_fit_table(train, LABEL).map(drop))
            }
        };
        result.map_err(|e| e.to_string())?;
        if let Some(s) = &mut self.scheduler {
            self.lr = s.step(self.epoch, None);
        }
        self.epoch += 1;
        Ok(())
    }

    /// Whether an epoch has run (before that there are no weights to show).
    pub fn is_fitted(&self) -> bool {
        match &self.estimator {
            Estimator::Classifier(c) => c.is_fitted(),
            Estimator::Regressor(r) => r.is_fitted(),
        }
    }

    /// An error for the page until the first epoch has made the network.
    pub fn check_fitted(&self) -> Result<(), String> {
        if self.is_fitted() {
            Ok(())
        } else {
            Err("the network is made by the first epoch: press play or step first".into())
        }
    }

    /// Mean loss on a labelled table without dropout or penalties: cross-entropy
    /// of the class probabilities, or half the squared error.
    pub fn loss(&self, table: &Table, labels: &[f32]) -> Result<f64, String> {
        let n = labels.len().max(1) as f64;
        match &self.estimator {
            Estimator::Classifier(c) => {
                let probs = c.predict_proba_table(table).map_err(|e| e.to_string())?.to_vec_f32();
                let columns = self.class_columns();
                let width = columns.len().max(1);
                let total: f64 = labels
                    .iter()
                    .zip(probs.chunks(width))
                    .map(|(&l, row)| {
                        let p = columns.iter().position(|&c| c == l as usize).map_or(0.0, |j| row[j]);
                        -(p.max(1e-7) as f64).ln()
                    })
                    .sum();
                Ok(total / n)
            }
            Estimator::Regressor(r) => {
                let predicted = r.predict_table(table).map_err(|e| e.to_string())?;
                Ok(predicted.iter().zip(labels).map(|(p, &y)| 0.5 * (p - y as f64).powi(2)).sum::<f64>() / n)
            }
        }
    }

    /// The class index each probability column stands for.
    fn class_columns(&self) -> Vec<usize> {
        match &self.estimator {
            Estimator::Classifier(c) => {
                c.classes().iter().map(|s| s.parse::<f32>().map_or(0, |v| v as usize)).collect()
            }
            Estimator::Regressor(_) => Vec::new(),
        }
    }

    /// Per row of `table`: the predicted class and its probability, or the predicted value.
    pub fn predict(&self, table: &Table) -> Result<Vec<(usize, f32)>, String> {
        match &self.estimator {
            Estimator::Classifier(c) => {
                let probs = c.predict_proba_table(table).map_err(|e| e.to_string())?.to_vec_f32();
                let columns = self.class_columns();
                Ok(probs
                    .chunks(columns.len().max(1))
                    .map(|row| {
                        let (j, p) =
                            row.iter().enumerate().fold((0, f32::MIN), |b, (j, &p)| if p > b.1 { (j, p) } else { b });
                        (columns.get(j).copied().unwrap_or(0), p)
                    })
                    .collect())
            }
            Estimator::Regressor(r) => {
                Ok(r.predict_table(table).map_err(|e| e.to_string())?.into_iter().map(|v| (0, v as f32)).collect())
            }
        }
    }

    /// The network's inputs (standardized features) and each hidden layer's
    /// outputs on the rows of an unlabelled feature table, each `[rows, units]`.
    pub fn activations(&self, table: &Table) -> Result<Vec<Tensor>, String> {
        self.check_fitted()?;
        let pipeline = self.estimator.pipeline();
        let x = pipeline.features(table).map_err(|e| e.to_string())?;
        let weights = self.estimator.module().named_parameters();
        let mut layers = vec![x];
        // The MLP is linear layers, each hidden one followed by its activation (and
        // dropout, the identity outside training); the last linear layer is the output.
        let linear: Vec<(&Tensor, &Tensor)> =
            weights.chunks(2).filter_map(|pair| if let [w, b] = pair { Some((&w.1, &b.1)) } else { None }).collect();
        for ((w, b), act) in linear.iter().zip(&self.activations) {
            let h = no_grad(|| layers.last().expect("has the input").linear(w, Some(b)).map(|z| activate(&z, *act)));
            layers.push(h.map_err(|e| e.to_string())?);
        }
        Ok(layers)
    }

    /// The weights of each linear layer, `[out][in]`, the output layer last.
    pub fn weights(&self) -> Vec<Vec<Vec<f32>>> {
        let coefs = match &self.estimator {
            Estimator::Classifier(c) => c.coefs(),
            Estimator::Regressor(r) => r.coefs(),
        };
        coefs.iter().map(|w| w.to_vec_f32().chunks(w.shape()[1].max(1)).map(<[f32]>::to_vec).collect()).collect()
    }

    /// The hidden activations, in order.
    pub fn hidden_activations(&self) -> &[HiddenActivation] {
        &self.activations
    }

    /// The fitted estimator (for the one-step graph).
    pub fn estimator(&self) -> &Estimator {
        &self.estimator
    }

    /// The model file `rede predict` reads.
    pub fn to_bytes(&self, data: &str) -> Result<Vec<u8>, String> {
        self.check_fitted()?;
        let metadata = BTreeMap::from([
            ("rede.data".to_string(), data.to_string()),
            (KEY_ARCHITECTURE.to_string(), Architecture::Mlp.name()),
        ]);
        self.estimator.to_bytes(&metadata).map_err(|e| e.to_string())
    }
}

/// Applies a hidden activation to a tensor.
pub fn activate(z: &Tensor, act: HiddenActivation) -> Tensor {
    match act {
        HiddenActivation::Identity => z.clone(),
        HiddenActivation::Logistic => z.sigmoid(),
        HiddenActivation::Tanh => z.tanh(),
        HiddenActivation::Relu => z.relu(),
        HiddenActivation::Gelu => z.gelu(),
    }
}

/// The estimator's hyperparameters for `config`.
fn params(config: &Config) -> MlpParams {
    let (solver, momentum) = config.optimizer.solver();
    let activations: Vec<HiddenActivation> = config.layers.iter().map(|l| l.activation.hidden()).collect();
    MlpParams {
        hidden_layer_sizes: config.layers.iter().map(|l| l.units).collect(),
        activation: activations.first().copied().unwrap_or_default(),
        activations: Some(activations),
        solver,
        momentum,
        nesterovs_momentum: false,
        learning_rate_init: config.learning_rate,
        alpha: config.l2,
        l1: config.l1,
        dropout: config.dropout,
        batch_size: Some(config.batch_size),
        max_iter: 1,
        random_state: Some(config.seed),
        ..MlpParams::default()
    }
}

/// rede's scheduler for the page's schedule (none for a constant rate).
fn scheduler(config: &Config) -> Result<Option<Box<dyn LrScheduler>>, String> {
    let lr = config.learning_rate;
    let made: Option<Box<dyn LrScheduler>> = match config.schedule {
        Schedule::Constant => None,
        Schedule::Step => Some(Box::new(StepDecay::new(lr, 100, 0.5).map_err(|e| e.to_string())?)),
        Schedule::Cosine => Some(Box::new(CosineAnnealing::new(lr, 500, 0.0).map_err(|e| e.to_string())?)),
    };
    Ok(made)
}
