//! The fit loop: mini-batch gradient descent with validation, early stopping,
//! learning-rate schedules and callbacks.

use super::early_stop::Tracker;
use super::{metrics, Callback, EarlyStopping, Monitor};
use crate::data::{stratified_split, train_test_split, Dataset};
use crate::distributed::{reduce_step, sync_parameters, Communicator};
use crate::nn::Module;
use crate::optim::{LrScheduler, Optimizer};
use crate::parallel::on_pool;
use crate::{no_grad, Error, Result, Rng, Tensor};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What the model predicts, which decides the validation score: for
/// classification, class scores (logits) `[n, classes]` against class indices
/// `[n]`, scored by accuracy; for regression, values `[n]` or `[n, k]`, scored
/// by R². The same type as [`crate::data::Task`], which a target column infers.
pub use crate::data::Task;

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
    /// Where the run stood when a callback asked it to stop ([`Callback::should_stop`]).
    pub interrupted: Option<Position>,
}

/// How far a run got: whole epochs, then batches into the next one. Enough, with
/// the model, the optimizer's state and the epochs' records, to continue the run
/// exactly ([`Trainer::resume`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Epochs finished.
    pub epochs_done: usize,
    /// Batches finished of the next epoch (0 between epochs).
    pub batches_done: usize,
    /// Those batches' summed loss, each weighted by its sample count.
    pub loss_sum: f64,
    /// Those batches' samples.
    pub samples: usize,
}

/// Where a resumed run starts: its position, the records of the epochs it
/// finished (replayed into the schedule and the stopping rule), and the best
/// weights so far when early stopping restores them.
#[derive(Clone, Debug, Default)]
pub struct Start {
    /// How far the run got.
    pub position: Position,
    /// One record per finished epoch.
    pub previous: Vec<EpochRecord>,
    /// The weights of the best epoch so far (with `restore_best`).
    pub best_weights: Option<Vec<Tensor>>,
}

/// What a checkpoint hook sees: enough to write a file that [`Trainer::resume`] continues from.
pub struct Snapshot<'s> {
    /// How far the run got.
    pub position: Position,
    /// The model now.
    pub model: &'s dyn Module,
    /// The optimizer now (its state has the next epoch's learning rate).
    pub optimizer: &'s dyn Optimizer,
    /// The records of every finished epoch, those of a resumed start included.
    pub epochs: &'s [EpochRecord],
    /// The best epoch's weights so far, when early stopping restores them.
    pub best_weights: Option<&'s [Tensor]>,
}

/// The shuffling generator of epoch `epoch`: derived from the seed and the epoch
/// alone, so a resumed run shuffles as the uninterrupted one did.
fn epoch_rng(seed: u64, epoch: usize) -> Rng {
    Rng::seed(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

// Sync so that a training step can run on a pool worker (see `crate::parallel`).
type LossFn<'a> = Box<dyn Fn(&Tensor, &Tensor) -> Result<Tensor> + Sync + 'a>;
type PenaltyFn<'a> = Box<dyn Fn(&dyn Module) -> Result<Tensor> + Sync + 'a>;
type CheckpointFn<'a> = Box<dyn FnMut(&Snapshot) -> Result<()> + 'a>;

/// Trains a module: `Trainer::new(config, loss).fit(&mut model, &mut optimizer, &train, validation)`.
pub struct Trainer<'a> {
    config: TrainConfig,
    loss: LossFn<'a>,
    penalty: Option<PenaltyFn<'a>>,
    scheduler: Option<Box<dyn LrScheduler + 'a>>,
    callbacks: Vec<Box<dyn Callback + 'a>>,
    checkpoint: Option<(Option<usize>, CheckpointFn<'a>)>,
    start: Start,
    comm: Option<&'a dyn Communicator>,
}

impl<'a> Trainer<'a> {
    /// A trainer minimising `loss(model_output, targets)`.
    pub fn new(config: TrainConfig, loss: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Sync + 'a) -> Self {
        Trainer {
            config,
            loss: Box::new(loss),
            penalty: None,
            scheduler: None,
            callbacks: Vec::new(),
            checkpoint: None,
            start: Start::default(),
            comm: None,
        }
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

    /// Calls `hook` after every `every` epochs (`None`: never) and when a callback
    /// stops the run, so it can write a checkpoint.
    pub fn with_checkpoint(mut self, every: Option<usize>, hook: impl FnMut(&Snapshot) -> Result<()> + 'a) -> Self {
        self.checkpoint = Some((every, Box::new(hook)));
        self
    }

    /// Trains data-parallel with the other ranks of `comm`, which must run the same
    /// fit on the same data with the same settings. `batch_size` is then the global
    /// batch: every rank shuffles the rows alike and computes on its slice of each
    /// batch, and one all-reduce per step sums the gradients (weighted by the slices'
    /// sizes), so the run follows that of one process with the whole batch. Rank 0's
    /// parameters are given to all ranks first; rank 0 alone evaluates the
    /// validation data and writes checkpoints, and its figures and decisions (early
    /// stopping, stop requests from any rank) are shared, so every rank's schedule
    /// and stopping rule agree.
    pub fn with_communicator(mut self, comm: &'a dyn Communicator) -> Self {
        self.comm = Some(comm);
        self
    }

    /// Continues a run from `start` (its model and optimizer state are the caller's
    /// to restore): the schedule and the stopping rule replay the finished epochs,
    /// and the next epoch shuffles, and skips the batches already done, as the
    /// uninterrupted run did. `config.epochs` still counts from the run's first epoch.
    pub fn resume(mut self, start: Start) -> Self {
        self.start = start;
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
        let (train, held_out) = self.split_validation(train, validation)?;
        let validation = validation.or(held_out.as_ref());
        // The data goes to the model's device once; batches are then gathered there.
        let device = model.device();
        let train = train.to_device(device)?;
        let validation = validation.map(|v| v.to_device(device)).transpose()?;
        let validation = validation.as_ref();
        if let Some(comm) = self.comm {
            sync_parameters(comm, &model.parameters())?;
        }
        let mut tracker = self.config.early_stopping.map(Tracker::new);
        let start = std::mem::take(&mut self.start);
        let mut best_weights = start.best_weights;
        let mut history = History::default();
        let mut finished = start.previous;
        for record in &finished {
            self.replay(record, tracker.as_mut(), &mut history);
        }
        let mut position = start.position;
        for epoch in position.epochs_done + 1..=self.config.epochs {
            let lr = optimizer.learning_rate();
            let started = Instant::now();
            // A stopped epoch is recorded over the batches it ran (after the checkpoint,
            // which holds the run as it stood), and the run ends after it.
            let train_loss = match self.train_epoch(model, optimizer, &train, epoch, position)? {
                EpochEnd::Finished(loss) => loss,
                EpochEnd::Stopped(at) => {
                    history.interrupted = Some(at);
                    self.write_checkpoint(at, model, optimizer, &finished, best_weights.as_deref())?;
                    at.loss_sum / at.samples.max(1) as f64
                }
            };
            position = Position { epochs_done: epoch, ..Position::default() };
            let seconds = started.elapsed().as_secs_f64();
            let (val_loss, val_score) = self.validate(model, validation)?;
            let record = EpochRecord { epoch, train_loss, val_loss, val_score, lr, seconds };
            for cb in &mut self.callbacks {
                cb.on_epoch_end(&record);
            }
            if let Some(s) = &mut self.scheduler {
                optimizer.set_learning_rate(s.step(epoch - 1, val_loss.or(Some(train_loss))));
            }
            history.epochs.push(record.clone());
            finished.push(record.clone());
            if let (Some(t), Some(es)) = (&mut tracker, self.config.early_stopping) {
                if t.observe(epoch, watched(es.monitor, &record)) && es.restore_best {
                    best_weights = Some(model.parameters().iter().map(Tensor::copy).collect());
                }
                history.best_epoch = t.best_epoch;
                if self.agree(t.should_stop())? {
                    history.stopped_early = true;
                    break;
                }
            }
            if history.interrupted.is_some() {
                break;
            }
            let stop = self.any_stop_requested()?;
            let due = self.checkpoint.as_ref().and_then(|c| c.0).is_some_and(|every| epoch % every == 0);
            if (stop || due) && epoch < self.config.epochs {
                self.write_checkpoint(position, model, optimizer, &finished, best_weights.as_deref())?;
            }
            if stop && epoch < self.config.epochs {
                history.interrupted = Some(position);
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

    /// Feeds a finished epoch of a resumed run to the schedule and the stopping
    /// rule, as the run did when it finished that epoch.
    fn replay(&mut self, record: &EpochRecord, tracker: Option<&mut Tracker>, history: &mut History) {
        if let Some(s) = &mut self.scheduler {
            s.step(record.epoch - 1, record.val_loss.or(Some(record.train_loss)));
        }
        if let (Some(t), Some(es)) = (tracker, self.config.early_stopping) {
            t.observe(record.epoch, watched(es.monitor, record));
            history.best_epoch = t.best_epoch;
        }
    }

    /// Loss and score on the validation data: evaluated by rank 0 alone and shared,
    /// so that every rank's schedule and stopping rule see the same figures.
    fn validate(&self, model: &mut dyn Module, validation: Option<&Dataset>) -> Result<(Option<f64>, Option<f64>)> {
        let Some(v) = validation else { return Ok((None, None)) };
        let Some(comm) = self.comm else {
            let (l, s) = evaluate(model, v, &*self.loss, self.config.task, self.config.batch_size.max(256))?;
            return Ok((Some(l), Some(s)));
        };
        let outcome = match comm.is_root() {
            true => evaluate(model, v, &*self.loss, self.config.task, self.config.batch_size.max(256)),
            false => Ok((0.0, 0.0)),
        };
        // Loss, score, and whether rank 0 failed: the others must not wait for it.
        let mut figures = match &outcome {
            Ok((l, s)) => [*l, *s, 0.0],
            Err(_) => [0.0, 0.0, 1.0],
        };
        comm.broadcast_f64(&mut figures, 0)?;
        if figures[2] != 0.0 {
            outcome?;
            return Err(Error::invalid("fit", "rank 0 could not evaluate the validation data"));
        }
        Ok((Some(figures[0]), Some(figures[1])))
    }

    /// Rank 0's `decision`, on every rank (as it is without a communicator).
    fn agree(&self, decision: bool) -> Result<bool> {
        match self.comm {
            Some(comm) => comm.broadcast_bool(decision, 0),
            None => Ok(decision),
        }
    }

    /// Whether a callback on any rank asks to end training.
    fn any_stop_requested(&self) -> Result<bool> {
        match self.comm {
            Some(comm) => comm.any(self.stop_requested()),
            None => Ok(self.stop_requested()),
        }
    }

    fn write_checkpoint(
        &mut self,
        position: Position,
        model: &dyn Module,
        optimizer: &dyn Optimizer,
        epochs: &[EpochRecord],
        best_weights: Option<&[Tensor]>,
    ) -> Result<()> {
        // The ranks hold the same run: rank 0 writes the one file.
        let written = match &mut self.checkpoint {
            Some(_) if self.comm.is_some_and(|c| !c.is_root()) => Ok(()),
            Some((_, hook)) => hook(&Snapshot { position, model, optimizer, epochs, best_weights }),
            None => Ok(()),
        };
        // A failed write ends every rank's run, not only rank 0's (the others would wait for it).
        match self.comm {
            Some(comm) if comm.any(written.is_err())? => {
                written?;
                Err(Error::invalid("fit", "rank 0 could not write the checkpoint"))
            }
            _ => written,
        }
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

    /// One epoch from `from`'s batch on (0 for a whole epoch), stopping after a
    /// batch when a callback asks to.
    fn train_epoch(
        &mut self,
        model: &mut dyn Module,
        optimizer: &mut dyn Optimizer,
        train: &Dataset,
        epoch: usize,
        from: Position,
    ) -> Result<EpochEnd> {
        model.set_training(true);
        let mut rng = epoch_rng(self.config.seed, epoch);
        let (rank, size) = self.comm.map_or((0, 1), |c| (c.rank(), c.size()));
        let batches = train
            .batches(self.config.batch_size, self.config.shuffle.then_some(&mut rng), self.config.drop_last)?
            .skip_to(from.batches_done)
            .shard(rank, size);
        let n_batches = if self.config.drop_last {
            train.len() / self.config.batch_size
        } else {
            train.len().div_ceil(self.config.batch_size)
        };
        let (mut total, mut seen) = (from.loss_sum, from.samples);
        for (i, batch) in batches.enumerate().map(|(i, b)| (i + from.batches_done, b)) {
            let (x, y) = batch?;
            // The global batch's rows; this rank's slice of them is `x`.
            let rows = self.config.batch_size.min(train.len() - i * self.config.batch_size);
            let (value, stop) = self.step(model, optimizer, &x, &y, rows)?;
            if !value.is_finite() {
                return Err(Error::invalid(
                    "fit",
                    format!("the loss became {value} at epoch {epoch}, batch {}; try a lower learning rate or check the inputs for extreme values", i + 1),
                ));
            }
            total += value * rows as f64;
            seen += rows;
            for cb in &mut self.callbacks {
                cb.on_batch_end(epoch, i + 1, n_batches, value);
            }
            // After the last batch the epoch is whole: it ends normally, and the run stops after it.
            if i + 1 < n_batches && stop {
                model.set_training(false);
                let at = Position { epochs_done: epoch - 1, batches_done: i + 1, loss_sum: total, samples: seen };
                return Ok(EpochEnd::Stopped(at));
            }
        }
        model.set_training(false);
        Ok(EpochEnd::Finished(if seen == 0 { 0.0 } else { total / seen as f64 }))
    }

    /// One step on this rank's slice `x`, `y` of a global batch of `rows` rows:
    /// alone, forward, backward and update; with a communicator, the gradients are
    /// summed over the ranks between backward and update. Returns the batch loss
    /// and whether to stop after it (a callback's request, on any rank).
    fn step(
        &self,
        model: &dyn Module,
        optimizer: &mut dyn Optimizer,
        x: &Tensor,
        y: &Tensor,
        rows: usize,
    ) -> Result<(f64, bool)> {
        let (loss, penalty) = (&self.loss, self.penalty.as_ref());
        let Some(comm) = self.comm else {
            let value = on_pool(|| step(loss, penalty, model, &mut *optimizer, x, y))?;
            return Ok((value, self.stop_requested()));
        };
        optimizer.zero_grad();
        let local = x.shape()[0];
        // An empty slice (a last batch smaller than the ranks) contributes nothing.
        let value = if local == 0 { 0.0 } else { on_pool(|| forward_backward(loss, penalty, model, x, y))? };
        let weight = local as f64 / rows.max(1) as f64;
        let (value, stop) = reduce_step(comm, &model.parameters(), weight, value, self.stop_requested())?;
        if value.is_finite() {
            on_pool(|| optimizer.step())?;
        }
        Ok((value, stop))
    }
}

/// How an epoch ended: whole, with its mean loss, or stopped partway.
enum EpochEnd {
    Finished(f64),
    Stopped(Position),
}

/// The quantity early stopping watches in an epoch's record.
fn watched(monitor: Monitor, record: &EpochRecord) -> f64 {
    match monitor {
        Monitor::ValLoss => record.val_loss.unwrap_or(record.train_loss),
        Monitor::ValScore => record.val_score.unwrap_or(-record.train_loss),
        Monitor::TrainLoss => record.train_loss,
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
    let value = forward_backward(loss, penalty, model, x, y)?;
    if value.is_finite() {
        optimizer.step()?;
    }
    Ok(value)
}

/// Forward, loss and (unless the loss is not finite) backward. Returns the loss.
fn forward_backward(
    loss: &LossFn,
    penalty: Option<&PenaltyFn>,
    model: &dyn Module,
    x: &Tensor,
    y: &Tensor,
) -> Result<f64> {
    let mut total = loss(&model.forward(x)?, y)?;
    if let Some(p) = penalty {
        total = total.add(&p(model)?)?;
    }
    let value = total.item()?;
    if value.is_finite() {
        total.backward()?;
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
                Task::Classification => predicted.extend(out.argmax(-1)?.to_vec_f64()),
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
