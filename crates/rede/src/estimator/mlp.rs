//! The engine both estimators share: building the network, fitting it with
//! the mini-batch [`Trainer`] or full-batch L-BFGS, and running it on new data.

use super::checkpoint::{self, Checkpoints};
use super::input::{check_table, tensor_feature_names, tensor_table, TENSOR_TARGET};
use super::persist::Parts;
use super::{LearningRate, MlpParams, Solver};
use crate::data::{self, Dataset, FeaturePipeline, PipelineOptions, Preprocessing, Table, UnknownCategory};
use crate::distributed::Communicator;
use crate::nn::{loss, LayerSpec, Module};
use crate::optim::{self, Lbfgs, LbfgsConfig, LineSearch, Optimizer};
use crate::train::{Callback, EarlyStopping, EpochRecord, Monitor, Start, TrainConfig, Trainer};
use crate::{no_grad, Device, Error, Result, Rng, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// What fitting recorded (scikit-learn's fitted attributes `loss_curve_`,
/// `validation_scores_`, `best_loss_`, `best_validation_score_`, `n_iter_`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Mean training loss (penalties included) of each epoch, or of each lbfgs iteration.
    pub loss_curve: Vec<f64>,
    /// Validation loss of each epoch (with `early_stopping`).
    pub validation_loss_curve: Vec<f64>,
    /// Validation accuracy or R² of each epoch (with `early_stopping`).
    pub validation_scores: Vec<f64>,
    /// The lowest training loss.
    pub best_loss: Option<f64>,
    /// The best validation score (with `early_stopping`).
    pub best_validation_score: Option<f64>,
    /// Epochs (or lbfgs iterations) run.
    pub n_iter: usize,
    /// Seconds spent fitting.
    pub seconds: f64,
    /// Whether the fit was stopped before it ended ([`crate::train::Callback::should_stop`]).
    #[serde(default)]
    pub interrupted: bool,
}

impl TrainingRecord {
    pub(crate) fn push(&mut self, record: &EpochRecord) {
        self.loss_curve.push(record.train_loss);
        self.validation_loss_curve.extend(record.val_loss);
        self.validation_scores.extend(record.val_score);
        self.n_iter += 1;
        self.best_loss = Some(self.best_loss.map_or(record.train_loss, |b| b.min(record.train_loss)));
        if let Some(s) = record.val_score {
            self.best_validation_score = Some(self.best_validation_score.map_or(s, |b| b.max(s)));
        }
    }
}

/// A fitted network with the pipeline that encodes its inputs.
pub(crate) struct Fitted {
    pub(crate) pipeline: FeaturePipeline,
    pub(crate) model: Box<dyn Module>,
    /// Kept between `partial_fit` calls so moment estimates carry over.
    pub(crate) optimizer: Option<Box<dyn Optimizer>>,
    pub(crate) seed: u64,
}

impl Fitted {
    pub(crate) fn new(pipeline: FeaturePipeline, mut model: Box<dyn Module>, seed: u64) -> Fitted {
        model.set_training(false);
        Fitted { pipeline, model, optimizer: None, seed }
    }
}

/// The shared state of [`super::MlpClassifier`] and [`super::MlpRegressor`].
pub(crate) struct Mlp {
    pub(crate) params: MlpParams,
    /// Missing values, rare categories and left-out columns of table inputs.
    pub(crate) preprocessing: Preprocessing,
    pub(crate) task: data::Task,
    pub(crate) fitted: Option<Fitted>,
    pub(crate) record: TrainingRecord,
    /// Metadata of the file the estimator was loaded from.
    pub(crate) metadata: BTreeMap<String, String>,
}

/// What a fit reports to and runs with besides the data: progress callback,
/// checkpoint plan, and the other ranks of a data-parallel run.
#[derive(Default)]
pub(crate) struct Hooks<'a> {
    pub(crate) callback: Option<&'a mut dyn Callback>,
    pub(crate) plan: Option<&'a Checkpoints>,
    pub(crate) comm: Option<&'a dyn Communicator>,
}

/// Forwards the trainer's calls (and its question whether to stop) to a caller's callback.
struct Forward<'a>(&'a mut dyn Callback);

impl Callback for Forward<'_> {
    fn on_batch_end(&mut self, epoch: usize, batch: usize, batches: usize, loss: f64) {
        self.0.on_batch_end(epoch, batch, batches, loss);
    }

    fn on_epoch_end(&mut self, record: &EpochRecord) {
        self.0.on_epoch_end(record);
    }

    fn should_stop(&self) -> bool {
        self.0.should_stop()
    }
}

impl Mlp {
    pub(crate) fn new(params: MlpParams, task: data::Task) -> Mlp {
        Mlp {
            params,
            preprocessing: Preprocessing::default(),
            task,
            fitted: None,
            record: TrainingRecord::default(),
            metadata: BTreeMap::new(),
        }
    }

    pub(crate) fn fitted(&self, op: &'static str) -> Result<&Fitted> {
        self.fitted.as_ref().ok_or_else(|| Error::invalid(op, "the estimator is not fitted yet (call fit first)"))
    }

    /// Fits from scratch on `table`, predicting column `target`.
    pub(crate) fn fit_table(&mut self, table: &Table, target: &str, callback: Option<&mut dyn Callback>) -> Result<()> {
        self.fit_checkpointed(table, target, Hooks { callback, ..Hooks::default() }, None)
    }

    /// Fits on `table`, writing checkpoints as `hooks.plan` says, from scratch or
    /// from the checkpoint file `resume`, data-parallel with `hooks.comm`'s ranks.
    pub(crate) fn fit_checkpointed(
        &mut self,
        table: &Table,
        target: &str,
        hooks: Hooks,
        resume: Option<&Path>,
    ) -> Result<()> {
        const OP: &str = "fit";
        self.params.validate()?;
        check_table(OP, table, target)?;
        if self.params.solver == Solver::Lbfgs && hooks.comm.is_some() {
            return Err(Error::invalid(
                OP,
                "distributed training needs a mini-batch solver (sgd, adam, rmsprop or adamw), not lbfgs",
            ));
        }
        if self.params.solver == Solver::Lbfgs && (hooks.plan.is_some() || resume.is_some()) {
            return Err(Error::invalid(
                OP,
                "checkpoints need a mini-batch solver (sgd, adam, rmsprop or adamw), not lbfgs",
            ));
        }
        let started = Instant::now();
        self.fitted = None;
        self.record = TrainingRecord::default();
        let (data, start) = match resume {
            Some(path) => self.resume(path, table)?,
            None => {
                let (data, fitted) = self.initialize(table, target)?;
                self.fitted = Some(fitted);
                (data, Start::default())
            }
        };
        match self.params.solver {
            Solver::Lbfgs => self.run_lbfgs(&data, hooks.callback)?,
            _ => self.run_epochs(&data, self.params.max_iter, true, hooks, start)?,
        }
        self.record.seconds = started.elapsed().as_secs_f64();
        Ok(())
    }

    /// Takes up the run a checkpoint holds: its network, pipeline, record and
    /// optimizer state; `table` is encoded with the checkpoint's pipeline.
    fn resume(&mut self, path: &Path, table: &Table) -> Result<(Dataset, Start)> {
        let resumed = checkpoint::read(path, self)?;
        let mut fitted = resumed.fitted;
        let data = fitted.pipeline.dataset(table)?;
        let mut optimizer = make_optimizer(&self.params, fitted.model.parameters())?;
        optimizer.load_state_dict(&resumed.optimizer).map_err(|e| Error::file(path, e.to_string()))?;
        fitted.optimizer = Some(optimizer);
        self.fitted = Some(fitted);
        self.record = resumed.record;
        self.record.interrupted = false;
        Ok((data, resumed.start))
    }

    /// One epoch over `table`; the first call also learns the preprocessing and classes.
    pub(crate) fn partial_fit_table(&mut self, table: &Table, target: &str) -> Result<()> {
        const OP: &str = "partial_fit";
        if self.params.solver == Solver::Lbfgs {
            return Err(Error::invalid(
                OP,
                "partial_fit needs a mini-batch solver (sgd, adam, rmsprop or adamw), not lbfgs",
            ));
        }
        check_table(OP, table, target)?;
        let data = match &self.fitted {
            Some(f) => f.pipeline.dataset(table)?,
            None => {
                self.params.validate()?;
                let (data, fitted) = self.initialize(table, target)?;
                self.fitted = Some(fitted);
                data
            }
        };
        self.run_epochs(&data, 1, false, Hooks::default(), Start::default())
    }

    pub(crate) fn fit_tensors(&mut self, x: &Tensor, y: &Tensor, callback: Option<&mut dyn Callback>) -> Result<()> {
        let table = tensor_table("fit", x, Some(y))?;
        self.fit_table(&table, TENSOR_TARGET, callback)
    }

    pub(crate) fn partial_fit_tensors(&mut self, x: &Tensor, y: &Tensor) -> Result<()> {
        self.check_tensor_width("partial_fit", x)?;
        let table = tensor_table("partial_fit", x, Some(y))?;
        self.partial_fit_table(&table, TENSOR_TARGET)
    }

    /// Learns the pipeline on `table`, encodes it and builds a fresh network.
    fn initialize(&self, table: &Table, target: &str) -> Result<(Dataset, Fitted)> {
        let seed = self.params.random_state.unwrap_or_else(clock_seed);
        let options = PipelineOptions {
            standardize: self.params.standardize,
            scale_target: self.params.standardize && self.task == data::Task::Regression,
            task: Some(self.task),
            // A category seen only in new data is all zeros rather than an error.
            unknown_category: UnknownCategory::Zeros,
            image_channels: self.params.image_channels,
            preprocessing: self.preprocessing.clone(),
        };
        let pipeline = FeaturePipeline::fit(table, target, &options)?;
        if let Some(classes) = pipeline.class_labels() {
            if classes.len() < 2 {
                let msg = format!(
                    "the target '{target}' has a single class ({}); a classifier needs at least two",
                    classes[0]
                );
                return Err(Error::invalid("fit", msg));
            }
        }
        let model = self.build_network(&pipeline, seed)?;
        let data = pipeline.dataset(table)?;
        Ok((data, Fitted::new(pipeline, model, seed)))
    }

    /// The network to train: `params.model` once it is known to fit the data, or the
    /// MLP the hyperparameters describe. Checked before the data is encoded, so a spec
    /// that does not fit fails fast.
    fn build_network(&self, pipeline: &FeaturePipeline, seed: u64) -> Result<Box<dyn Module>> {
        const OP: &str = "fit";
        let (n_in, n_out) = (pipeline.n_features(), pipeline.n_outputs());
        let Some(spec) = &self.params.model else {
            return network_spec(&self.params, n_in, n_out).build(&mut Rng::seed(seed));
        };
        let mut model = spec.build(&mut Rng::seed(seed))?;
        // Evaluation mode, so the trial row draws no dropout mask.
        model.set_training(false);
        let row = Tensor::zeros(&[1, n_in], crate::DType::F32);
        let out = no_grad(|| model.forward(&row)).map_err(|e| {
            Error::invalid(OP, format!("the model spec does not fit the data ({n_in} features per row): {e}"))
        })?;
        if out.shape() != [1, n_out] {
            let wanted = match self.task {
                data::Task::Classification => format!("{n_out} classes"),
                data::Task::Regression => format!("{n_out} target values"),
            };
            let given = match out.shape() {
                [1, width] => format!("{width} outputs per row"),
                shape => format!("outputs of shape {:?} per row", &shape[1..]),
            };
            return Err(Error::invalid(
                OP,
                format!(
                    "the model spec gives {given}, but the data has {wanted}: its last layer must have {n_out} outputs"
                ),
            ));
        }
        Ok(model)
    }

    /// Runs up to `epochs` epochs of the mini-batch solver; `full` is a whole
    /// fit (validation split, stopping rule, schedule) rather than one `partial_fit` epoch.
    fn run_epochs(&mut self, data: &Dataset, epochs: usize, full: bool, hooks: Hooks, start: Start) -> Result<()> {
        let Hooks { callback, plan, comm } = hooks;
        let p = self.params.clone();
        let task = self.task;
        let (train, validation) =
            if full && p.early_stopping { self.validation_split(data)? } else { (data.clone(), None) };
        // `batch_size` is each rank's batch; the trainer takes the global one.
        let ranks = comm.map_or(1, |c| c.size());
        let batch = p.batch_size.unwrap_or(200).saturating_mul(ranks).clamp(1, train.len());
        let monitor = if p.early_stopping { Monitor::ValScore } else { Monitor::TrainLoss };
        // scikit-learn stops once the no-improvement count exceeds n_iter_no_change.
        let stopping = EarlyStopping {
            patience: p.n_iter_no_change + 1,
            min_delta: p.tol,
            monitor,
            restore_best: p.early_stopping,
        };
        // partial_fit calls shuffle differently each time; a whole (or resumed) fit counts epochs itself.
        let seed_offset = if full { 0 } else { self.record.n_iter as u64 };
        let fitted = self.fitted.as_mut().expect("initialized before training");
        let config = TrainConfig {
            epochs,
            batch_size: batch,
            shuffle: p.shuffle,
            drop_last: false,
            seed: fitted.seed.wrapping_add(seed_offset),
            validation_fraction: 0.0,
            early_stopping: full.then_some(stopping),
            task,
        };
        let mut trainer = Trainer::new(config, move |out: &Tensor, y: &Tensor| data_loss(task, out, y));
        // AdamW applies alpha as its decoupled weight decay instead of a loss term.
        let alpha = if p.solver == Solver::Adamw { 0.0 } else { p.alpha };
        if alpha > 0.0 || p.l1 > 0.0 {
            trainer = trainer.with_penalty(move |m: &dyn Module| penalty(m, alpha, p.l1, batch));
        }
        if full {
            trainer = with_schedule(trainer, &p, train.len())?;
        }
        if let Some(cb) = callback {
            trainer = trainer.with_callback(Forward(cb));
        }
        if let Some(comm) = comm {
            trainer = trainer.with_communicator(comm);
        }
        let Fitted { pipeline, model, optimizer, seed } = fitted;
        if let Some(plan) = plan {
            let (parts, seed) = (Parts { task: self.task, params: &self.params, pipeline }, *seed);
            trainer =
                trainer.with_checkpoint(plan.every, move |snapshot| checkpoint::write(plan, &parts, seed, snapshot));
        }
        // The network trains on the device (where the optimizer keeps its state
        // from the first call on) and comes back to the host for everything else.
        model.to_device(p.device)?;
        if optimizer.is_none() {
            *optimizer = Some(make_optimizer(&p, model.parameters())?);
        }
        let optimizer = optimizer.as_mut().expect("just made");
        let history = trainer.resume(start).fit(&mut **model, &mut **optimizer, &train, validation.as_ref());
        model.to_device(Device::Cpu)?;
        let history = history?;
        model.set_training(false);
        for record in &history.epochs {
            self.record.push(record);
        }
        self.record.interrupted = history.interrupted.is_some();
        Ok(())
    }

    /// The training part and the held-out validation part (stratified for classifiers).
    fn validation_split(&self, data: &Dataset) -> Result<(Dataset, Option<Dataset>)> {
        let f = self.params.validation_fraction;
        let seed = self.fitted.as_ref().map_or(0, |s| s.seed);
        let (train, val) = match self.task {
            data::Task::Classification => {
                let labels: Vec<usize> = data.y.to_vec_f64().iter().map(|&c| c as usize).collect();
                data::stratified_split(&labels, f, seed)?
            }
            data::Task::Regression => data::train_test_split(data.len(), f, seed)?,
        };
        Ok((data.subset(&train)?, Some(data.subset(&val)?)))
    }

    /// Full-batch L-BFGS for up to `max_iter` iterations or `max_fun` loss
    /// evaluations, in one optimizer step. The loss curve gets one entry per
    /// loss evaluation (line-search trials included).
    fn run_lbfgs(&mut self, data: &Dataset, mut callback: Option<&mut dyn Callback>) -> Result<()> {
        if self.params.device != Device::Cpu {
            return Err(Error::invalid(
                "fit",
                format!("the lbfgs solver runs on the cpu only, not {}; use adam or sgd there", self.params.device),
            ));
        }
        let p = self.params.clone();
        let task = self.task;
        let fitted = self.fitted.as_mut().expect("initialized before training");
        let model = &mut fitted.model;
        let config = LbfgsConfig::default()
            .max_iter(p.max_iter)
            .max_eval(Some(p.max_fun))
            .line_search(LineSearch::StrongWolfe)
            .tolerance_grad(p.tol);
        let mut lbfgs = Lbfgs::new(model.parameters(), config)?;
        let n = data.len();
        model.set_training(true);
        let record = &mut self.record;
        let mut started = Instant::now();
        let model_ref = &**model;
        lbfgs.step(|| {
            for param in model_ref.parameters() {
                param.zero_grad();
            }
            let mut loss = data_loss(task, &model_ref.forward(&data.x)?, &data.y)?;
            if p.alpha > 0.0 || p.l1 > 0.0 {
                loss = loss.add(&penalty(model_ref, p.alpha, p.l1, n)?)?;
            }
            let value = loss.item()?;
            if !value.is_finite() {
                let msg = format!("the loss became {value} at lbfgs evaluation {}", record.n_iter + 1);
                return Err(Error::invalid("fit", msg));
            }
            loss.backward()?;
            let epoch = EpochRecord {
                epoch: record.n_iter + 1,
                train_loss: value,
                val_loss: None,
                val_score: None,
                lr: p.learning_rate_init,
                seconds: std::mem::replace(&mut started, Instant::now()).elapsed().as_secs_f64(),
            };
            record.push(&epoch);
            if let Some(cb) = callback.as_mut() {
                cb.on_epoch_end(&epoch);
            }
            Ok(value)
        })?;
        model.set_training(false);
        Ok(())
    }

    /// Checks a tensor has the width of the tensor the estimator was fitted on.
    pub(crate) fn check_tensor_width(&self, op: &'static str, x: &Tensor) -> Result<()> {
        let Some(fitted) = &self.fitted else { return Ok(()) };
        let columns = fitted.pipeline.input_columns();
        let d = x.shape().get(1).copied().unwrap_or(0);
        if columns != tensor_feature_names(columns.len()) {
            return Err(Error::invalid(op, "the estimator was fitted on a table; pass a table (the *_table methods)"));
        }
        if x.rank() == 2 && d != columns.len() {
            return Err(Error::invalid(
                op,
                format!("X has {d} features, but the estimator was fitted with {} features", columns.len()),
            ));
        }
        Ok(())
    }

    /// The network's raw outputs (logits or scaled values) for a table.
    pub(crate) fn outputs_table(&self, op: &'static str, table: &Table) -> Result<Tensor> {
        let fitted = self.fitted(op)?;
        if table.n_rows() == 0 {
            return Err(Error::invalid(op, "empty data: the table has no rows"));
        }
        // A part at a time, so the features and activations of a large table
        // never take more memory than this many rows' worth.
        const ROWS: usize = 65_536;
        let n = table.n_rows();
        let parts = (0..n)
            .step_by(ROWS)
            .map(|start| {
                let x = fitted.pipeline.features_of_rows(table, start..(start + ROWS).min(n))?;
                no_grad(|| fitted.model.forward(&x))
            })
            .collect::<Result<Vec<_>>>()?;
        match parts.as_slice() {
            [one] => Ok(one.clone()),
            _ => Tensor::cat(&parts.iter().collect::<Vec<_>>(), 0),
        }
    }

    /// The network's raw outputs for an `[n, d]` tensor.
    pub(crate) fn outputs(&self, op: &'static str, x: &Tensor) -> Result<Tensor> {
        self.fitted(op)?;
        self.check_tensor_width(op, x)?;
        self.outputs_table(op, &tensor_table(op, x, None)?)
    }

    /// The weights of each linear layer, `[out, in]` (scikit-learn's `coefs_` holds their transposes).
    pub(crate) fn coefs(&self) -> Vec<Tensor> {
        self.parameters_ending("weight")
    }

    /// The bias of each linear layer (scikit-learn's `intercepts_`).
    pub(crate) fn intercepts(&self) -> Vec<Tensor> {
        self.parameters_ending("bias")
    }

    fn parameters_ending(&self, suffix: &str) -> Vec<Tensor> {
        self.fitted.as_ref().map_or_else(Vec::new, |f| {
            f.model.named_parameters().into_iter().filter(|(n, _)| n.ends_with(suffix)).map(|(_, t)| t).collect()
        })
    }
}

/// The network: linear layers of the hidden widths, each followed by its
/// activation (and dropout), then a linear output layer.
pub(crate) fn network_spec(p: &MlpParams, n_in: usize, n_out: usize) -> LayerSpec {
    let init = Some(p.init.unwrap_or_else(|| p.default_init()));
    let mut layers = Vec::new();
    let mut width = n_in;
    for (&size, act) in p.hidden_layer_sizes.iter().zip(p.hidden_activations()) {
        layers.push(LayerSpec::Linear { in_features: width, out_features: size, bias: true, init });
        layers.push(act.activation().spec());
        if p.dropout > 0.0 {
            layers.push(LayerSpec::Dropout { p: p.dropout });
        }
        width = size;
    }
    layers.push(LayerSpec::Linear { in_features: width, out_features: n_out, bias: true, init });
    LayerSpec::Sequential { layers }
}

/// Cross-entropy of logits, or scikit-learn's half squared error.
fn data_loss(task: crate::train::Task, out: &Tensor, y: &Tensor) -> Result<Tensor> {
    match task {
        crate::train::Task::Classification => loss::cross_entropy(out, y),
        crate::train::Task::Regression => Ok(loss::mse_loss(out, y)?.mul_scalar(0.5)),
    }
}

/// `alpha/2 · Σw² / n + l1 · Σ|w| / n` over the weights (scikit-learn scales its
/// L2 term by the batch's sample count `n`).
fn penalty(model: &dyn Module, alpha: f64, l1: f64, n: usize) -> Result<Tensor> {
    let n = n.max(1) as f64;
    let mut total = loss::l2_penalty(model)?.mul_scalar(alpha / (2.0 * n));
    if l1 > 0.0 {
        total = total.add(&loss::l1_penalty(model)?.mul_scalar(l1 / n))?;
    }
    Ok(total)
}

fn make_optimizer(p: &MlpParams, params: Vec<Tensor>) -> Result<Box<dyn Optimizer>> {
    let lr = p.learning_rate_init;
    Ok(match p.solver {
        Solver::Sgd => {
            let nesterov = p.nesterovs_momentum && p.momentum > 0.0;
            Box::new(optim::Sgd::new(
                params,
                optim::SgdConfig::default().lr(lr).momentum(p.momentum).nesterov(nesterov),
            )?)
        }
        Solver::Adam => Box::new(optim::Adam::new(
            params,
            optim::AdamConfig::default().lr(lr).betas((p.beta_1, p.beta_2)).eps(p.epsilon),
        )?),
        Solver::Adamw => Box::new(optim::AdamW::new(
            params,
            optim::AdamWConfig::default().lr(lr).betas((p.beta_1, p.beta_2)).eps(p.epsilon).weight_decay(p.alpha),
        )?),
        Solver::Rmsprop => {
            Box::new(optim::RmsProp::new(params, optim::RmsPropConfig::default().lr(lr).eps(p.epsilon))?)
        }
        Solver::Lbfgs => unreachable!("lbfgs runs full-batch, without a mini-batch optimizer"),
    })
}

/// Adds the learning-rate schedule `p.learning_rate` asks for.
fn with_schedule<'a>(trainer: Trainer<'a>, p: &MlpParams, n_train: usize) -> Result<Trainer<'a>> {
    let lr = p.learning_rate_init;
    Ok(match p.learning_rate {
        LearningRate::Constant => trainer,
        LearningRate::Invscaling => trainer.with_scheduler(optim::InverseScaling::new(lr, p.power_t, n_train)?),
        LearningRate::Adaptive => {
            trainer.with_scheduler(optim::ReduceOnPlateau::sklearn_adaptive(lr, p.tol)?.patience(p.n_iter_no_change))
        }
        LearningRate::Step => trainer.with_scheduler(optim::StepDecay::new(lr, (p.max_iter / 4).max(1), 0.5)?),
        LearningRate::Cosine => trainer.with_scheduler(optim::CosineAnnealing::new(lr, p.max_iter, 0.0)?),
    })
}

/// A seed for `random_state: None`, from the clock (scikit-learn draws one too).
fn clock_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}
