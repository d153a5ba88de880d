//! The fit loop: mini-batch gradient descent with validation, early stopping,
//! learning-rate schedules and callbacks.

use super::early_stop::Tracker;
use super::{metrics, Callback, EarlyStopping, Monitor};
use crate::data::{stratified_split, train_test_split, Dataset};
use crate::nn::Module;
use crate::optim::{LrScheduler, Optimizer};
use crate::parallel::on_pool;
use crate::{no_grad, Error, Result, Rng, Tensor};
use std::time::Instant;

/// What the model predicts, which decides the validation score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Class scores (logits) `[n, classes]` against class indices `[n]`; score is accuracy.
    Classification,
    /// Values `[n]` or `[n, k]`; score is R².
    Regression,
}

/// Settings of a training run.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Passes over the training data (at most, with early stopping).
    pub epochs: usize,
    /// Samples per mini-batch.
    pub batch_size: usize,
    /// Reshuffle the training data every epoch.
    pub shuffle: bool,
    /// Drop the last incomplete batch.
    pub drop_last: bool,
    /// Seed of the shuffling and of the validation split.
    pub seed: u64,
    /// Fraction of the training data held out for validation when no
    /// validation set is given (0 for none).
    pub validation_fraction: f64,
    /// Stop when the monitored quantity stalls.
    pub early_stopping: Option<EarlyStopping>,
    /// Classification or regression.
    pub task: Task,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 32,
            shuffle: true,
            drop_last: false,
            seed: 0,
            validation_fraction: 0.0,
            early_stopping: None,
            task: Task::Classification,
        }
    }
}

/// One epoch's results.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's samples (including any penalty terms).
    pub train_loss: f64,
    /// Loss on the validation data, if any.
    pub val_loss: Option<f64>,
    /// Accuracy (classification) or R² (regression) on the validation data, if any.
    pub val_score: Option<f64>,
    /// Learning rate used during the epoch.
    pub lr: f64,
    /// Wall-clock seconds of the epoch's training loop (shuffle, forward, backward, update).
    pub seconds: f64,
}

/// The record of a whole run.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// One record per epoch run.
    pub epochs: Vec<EpochRecord>,
    /// Epoch (1-based) with the best monitored value, when early stopping was on.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
}

// Sync so that a training step can run on a pool worker (see `crate::parallel`).
type LossFn<'a> = Box<dyn Fn(&Tensor, &Tensor) -> Result<Tensor> + Sync + 'a>;
type PenaltyFn<'a> = Box<dyn Fn(&dyn Module) -> Result<Tensor> + Sync + 'a>;

/// Trains a module: `Trainer::new(config, loss).fit(&mut model, &mut optimizer, &train, validation)`.
pub struct Trainer<'a> {
    config: TrainConfig,
    loss: LossFn<'a>,
    penalty: Option<PenaltyFn<'a>>,
    scheduler: Option<Box<dyn LrScheduler + 'a>>,
    callbacks: Vec<Box<dyn Callback + 'a>>,
}

impl<'a> Trainer<'a> {
    /// A trainer minimising `loss(model_output, targets)`.
    pub fn new(config: TrainConfig, loss: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Sync + 'a) -> Self {
        Trainer { config, loss: Box::new(loss), penalty: None, scheduler: None, callbacks: Vec::new() }
    }

    /// Adds a regularisation term computed from the model (e.g. an L1 penalty) to every batch loss.
    pub fn with_penalty(mut self, penalty: impl Fn(&dyn Module) -> Result<Tensor> + Sync + 'a) -> Self {
        self.penalty = Some(Box::new(penalty));
        self
    }

    /// Steps this schedule after every epoch and applies its learning rate.
    pub fn with_scheduler(mut self, scheduler: impl LrScheduler + 'a) -> Self {
        self.scheduler = Some(Box::new(scheduler));
        self
    }

    /// Adds a callback (progress output, logging).
    pub fn with_callback(mut self, callback: impl Callback + 'a) -> Self {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// Runs training. Fails at once, naming epoch and batch, if the loss becomes NaN or infinite.
    pub fn fit(
        &mut self,
        model: &mut dyn Module,
        optimizer: &mut dyn Optimizer,
        train: &Dataset,
        validation: Option<&Dataset>,
    ) -> Result<History> {
        if self.config.batch_size == 0 || self.config.epochs == 0 {
            return Err(Error::invalid("fit", "epochs and batch size must be at least 1"));
        }
        let mut rng = Rng::seed(self.config.seed);
        let (train, held_out) = self.split_validation(train, validation)?;
        let validation = validation.or(held_out.as_ref());
        // The data goes to the model's device once; batches are then gathered there.
        let device = model.device();
        let train = train.to_device(device)?;
        let validation = validation.map(|v| v.to_device(device)).transpose()?;
        let validation = validation.as_ref();
        let mut tracker = self.config.early_stopping.map(Tracker::new);
        let mut best_weights: Option<Vec<Tensor>> = None;
        let mut history = History::default();
        for epoch in 1..=self.config.epochs {
            let lr = optimizer.learning_rate();
            let started = Instant::now();
            let train_loss = self.train_epoch(model, optimizer, &train, epoch, &mut rng)?;
            let seconds = started.elapsed().as_secs_f64();
            let (val_loss, val_score) = match validation {
                Some(v) => {
                    let (l, s) = evaluate(model, v, &*self.loss, self.config.task, self.config.batch_size.max(256))?;
                    (Some(l), Some(s))
                }
                None => (None, None),
            };
            let record = EpochRecord { epoch, train_loss, val_loss, val_score, lr, seconds };
            for cb in &mut self.callbacks {
                cb.on_epoch_end(&record);
            }
            if let Some(s) = &mut self.scheduler {
                optimizer.set_learning_rate(s.step(epoch - 1, val_loss.or(Some(train_loss))));
            }
            history.epochs.push(record.clone());
            if let (Some(t), Some(es)) = (&mut tracker, self.config.early_stopping) {
                let watched = match es.monitor {
                    Monitor::ValLoss => val_loss.unwrap_or(train_loss),
                    Monitor::ValScore => val_score.unwrap_or(-train_loss),
                    Monitor::TrainLoss => train_loss,
                };
                if t.observe(epoch, watched) && es.restore_best {
                    best_weights = Some(model.parameters().iter().map(Tensor::copy).collect());
                }
                history.best_epoch = t.best_epoch;
                if t.should_stop() {
                    history.stopped_early = true;
                    break;
                }
            }
            if self.stop_requested() {
                break;
            }
        }
        if let Some(best) = best_weights {
            for (p, b) in model.parameters().iter().zip(&best) {
                p.assign(b)?;
            }
        }
        Ok(history)
    }

    /// The training data and, if asked for and none was given, a held-out
    /// validation part (stratified by class for classification).
    fn split_validation(&self, train: &Dataset, validation: Option<&Dataset>) -> Result<(Dataset, Option<Dataset>)> {
        let f = self.config.validation_fraction;
        if validation.is_some() || f <= 0.0 {
            return Ok((train.clone(), None));
        }
        let (fit, held_out) = match self.config.task {
            Task::Classification => {
                let labels: Vec<usize> = train.y.to_vec_f64().into_iter().map(|c| c as usize).collect();
                stratified_split(&labels, f, self.config.seed)?
            }
            Task::Regression => train_test_split(train.len(), f, self.config.seed)?,
        };
        Ok((train.subset(&fit)?, Some(train.subset(&held_out)?)))
    }

    /// Whether a callback asks to end training now.
    fn stop_requested(&self) -> bool {
        self.callbacks.iter().any(|cb| cb.should_stop())
    }

    fn train_epoch(
        &mut self,
        model: &mut dyn Module,
        optimizer: &mut dyn Optimizer,
        train: &Dataset,
        epoch: usize,
        rng: &mut Rng,
    ) -> Result<f64> {
        model.set_training(true);
        let batches =
            train.batches(self.config.batch_size, self.config.shuffle.then_some(rng), self.config.drop_last)?;
        let n_batches = if self.config.drop_last {
            train.len() / self.config.batch_size
        } else {
            train.len().div_ceil(self.config.batch_size)
        };
        let (mut total, mut seen) = (0.0, 0usize);
        for (i, batch) in batches.enumerate() {
            let (x, y) = batch?;
            let value = {
                let (loss, penalty) = (&self.loss, self.penalty.as_ref());
                on_pool(|| step(loss, penalty, &*model, &mut *optimizer, &x, &y))
            }?;
            if !value.is_finite() {
                return Err(Error::invalid(
                    "fit",
                    format!("the loss became {value} at epoch {epoch}, batch {}; try a lower learning rate or check the inputs for extreme values", i + 1),
                ));
            }
            total += value * x.shape()[0] as f64;
            seen += x.shape()[0];
            for cb in &mut self.callbacks {
                cb.on_batch_end(epoch, i + 1, n_batches, value);
            }
            if self.stop_requested() {
                break;
            }
        }
        model.set_training(false);
        Ok(if seen == 0 { 0.0 } else { total / seen as f64 })
    }
}

/// One step on a batch: forward, loss, and (unless the loss is not finite)
/// backward and update. Returns the loss.
fn step(
    loss: &LossFn,
    penalty: Option<&PenaltyFn>,
    model: &dyn Module,
    optimizer: &mut dyn Optimizer,
    x: &Tensor,
    y: &Tensor,
) -> Result<f64> {
    optimizer.zero_grad();
    let mut total = loss(&model.forward(x)?, y)?;
    if let Some(p) = penalty {
        total = total.add(&p(model)?)?;
    }
    let value = total.item()?;
    if value.is_finite() {
        total.backward()?;
        optimizer.step()?;
    }
    Ok(value)
}

/// Mean loss and score (accuracy or R²) of `model` on `data`, in batches, without a graph.
pub fn evaluate(
    model: &mut dyn Module,
    data: &Dataset,
    loss: &dyn Fn(&Tensor, &Tensor) -> Result<Tensor>,
    task: Task,
    batch_size: usize,
) -> Result<(f64, f64)> {
    model.set_training(false);
    no_grad(|| {
        let (mut total, mut truth, mut predicted) = (0.0, Vec::new(), Vec::new());
        let data = data.to_device(model.device())?;
        for batch in data.batches(batch_size.max(1), None, false)? {
            let (x, y) = batch?;
            let out = model.forward(&x)?;
            total += loss(&out, &y)?.item()? * x.shape()[0] as f64;
            truth.extend(y.to_vec_f64());
            match task {
                Task::Classification => predicted.extend(out.argmax(-1, false)?.to_vec_f64()),
                Task::Regression => predicted.extend(out.reshape(y.shape())?.to_vec_f64()),
            }
        }
        let score = match task {
            Task::Classification => {
                let as_class = |v: &[f64]| v.iter().map(|&c| c as usize).collect::<Vec<_>>();
                metrics::accuracy(&as_class(&truth), &as_class(&predicted))
            }
            Task::Regression => metrics::r2(&truth, &predicted),
        };
        Ok((total / data.len().max(1) as f64, score))
    })
}
