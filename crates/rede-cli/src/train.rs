//! `rede train`: fit an estimator, report on the test part, save model, metrics and plot.

use crate::architecture::{Architecture, Preset, KEY_ARCHITECTURE};
use crate::distributed::{self, Job};
use crate::error::CliError;
use crate::interrupt::{self, StopOnFlag};
use crate::load::{training_split, DataOptions, Source, Split, TestPart};
use crate::progress::{self, Progress};
use crate::report::Evaluation;
use crate::{plot, CliResult};
use clap::{Args, ValueEnum};
use rede::data::Task;
use rede::estimator::Checkpoints;
use rede::estimator::{Estimator, HiddenActivation, LearningRate, MlpClassifier, MlpParams, MlpRegressor, Solver};
use rede::io::StagedFiles;
use rede::train::Callback;
use rede::Device;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the target asks for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TaskArg {
    /// Classification for a text target or whole numbers with at most 20 distinct values, else regression.
    Auto,
    /// Predict classes.
    Classification,
    /// Predict numbers.
    Regression,
}

/// `rede train` arguments. Defaults are scikit-learn's MLPClassifier/MLPRegressor ones.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training data: a CSV file with a header row, or .npy, .npz or .parquet (by extension).
    #[arg(long, value_name = "FILE", required_unless_present = "dataset", conflicts_with = "dataset")]
    pub data: Option<PathBuf>,
    /// The column of --data to predict.
    #[arg(long, value_name = "COLUMN", requires = "data")]
    pub target: Option<String>,
    /// A built-in dataset instead of --data (see `rede datasets`).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    /// How the data files are read and their columns prepared.
    #[command(flatten)]
    pub data_options: DataOptions,
    /// Test data with the same columns (any format --data takes); without it --test-fraction of the
    /// rows are held out.
    #[arg(long, value_name = "FILE")]
    pub test: Option<PathBuf>,
    /// Share of the rows held out for testing (stratified for classification).
    #[arg(long, default_value_t = 0.2, value_name = "F")]
    pub test_fraction: f64,
    /// Classification or regression.
    #[arg(long, value_enum, default_value = "auto")]
    pub task: TaskArg,
    /// A named architecture [default: mlp].
    #[arg(long, value_enum, value_name = "NAME", conflicts_with = "model_spec")]
    pub model: Option<Preset>,
    /// An architecture file (.toml or .json): a list of layers, optionally with input_shape
    /// (see the README).
    #[arg(long, value_name = "FILE")]
    pub model_spec: Option<PathBuf>,
    /// Hidden layer widths of the MLP, comma-separated (e.g. 100 or 128,64) [default: 100].
    #[arg(long, value_delimiter = ',', value_name = "N[,N...]")]
    pub hidden: Option<Vec<usize>>,
    /// Hidden activation of the MLP (identity, logistic, tanh, relu, gelu); a comma-separated
    /// list gives one per layer [default: relu].
    #[arg(long, value_delimiter = ',', value_parser = parse::<HiddenActivation>)]
    pub activation: Option<Vec<HiddenActivation>>,
    /// Optimizer: lbfgs, sgd, adam, rmsprop, adamw.
    #[arg(long, default_value = "adam", value_parser = parse::<Solver>)]
    pub solver: Solver,
    /// Initial learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Learning-rate schedule: constant, invscaling, adaptive, step, cosine.
    #[arg(long, default_value = "constant", value_parser = parse::<LearningRate>)]
    pub lr_schedule: LearningRate,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f64,
    /// Nesterov momentum for SGD.
    #[arg(long)]
    pub nesterov: bool,
    /// L2 penalty (alpha/2 · Σw² per batch sample).
    #[arg(long, default_value_t = 1e-4)]
    pub alpha: f64,
    /// L1 penalty on the weights.
    #[arg(long, default_value_t = 0.0)]
    pub l1: f64,
    /// Dropout after each hidden layer of the MLP, in [0, 1).
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f64,
    /// Feed the raw feature values to the network instead of standardizing each column.
    #[arg(long)]
    pub no_standardize: bool,
    /// Mini-batch size, or auto for min(200, rows).
    #[arg(long, default_value = "auto", value_parser = parse_batch_size)]
    pub batch_size: BatchSize,
    /// Most epochs (lbfgs: iterations).
    #[arg(long, default_value_t = 200)]
    pub epochs: usize,
    /// Hold out --validation-fraction of the training rows and stop when their score stalls.
    #[arg(long)]
    pub early_stopping: bool,
    /// Share of the training rows held out with --early-stopping.
    #[arg(long, default_value_t = 0.1)]
    pub validation_fraction: f64,
    /// Stop once more than this many epochs in a row did not improve (by --tol).
    #[arg(long, default_value_t = 10)]
    pub patience: usize,
    /// Smallest improvement that counts.
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// Seed of the weights, shuffles, splits and generated datasets.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to train: auto (a CUDA GPU when this build and machine have one), cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto", value_name = "DEVICE", value_parser = parse_device)]
    pub device: DeviceArg,
    /// Where MNIST's files are (default: $REDE_DATA_DIR/mnist, then the cache).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where to save the model.
    #[arg(long, default_value = "model.safetensors", value_name = "MODEL.safetensors")]
    pub out: PathBuf,
    /// Also write the run's metrics as one JSON object.
    #[arg(long, value_name = "FILE")]
    pub metrics_json: Option<PathBuf>,
    /// Where to draw the loss and validation curves (and, for 2-D data, FILE-boundary.png with the
    /// decision regions) [default: the --out name with .png, e.g. model.png]
    #[arg(long, value_name = "FILE.png", conflicts_with = "no_plot")]
    pub plot: Option<PathBuf>,
    /// Draw no plot.
    #[arg(long)]
    pub no_plot: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    /// Also write a checkpoint every N epochs (Ctrl-C writes one too).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,
    /// Where checkpoints go [default: the --out name with .ckpt.safetensors, e.g. model.ckpt.safetensors]
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Continue the run this checkpoint holds; give the options the run was started with
    /// (--epochs may be raised).
    #[arg(long, value_name = "CHECKPOINT")]
    pub resume: Option<PathBuf>,
    /// Most parameters (and buffers) the network may hold; larger architectures are refused
    /// before anything is allocated.
    #[arg(long, default_value_t = rede::nn::limits::DEFAULT_MAX_PARAMETERS, value_name = "N")]
    pub max_params: usize,
    /// Train data-parallel with the other processes of an MPI job
    /// (`mpirun -np N rede train … --distributed`, a build with the mpi feature): every
    /// process reads the same data and trains on its share of each batch; --batch-size
    /// is each process's batch. Process 0 alone reports and writes the files.
    #[arg(long)]
    pub distributed: bool,
}

/// A mini-batch size.
#[derive(Clone, Copy, Debug)]
pub struct BatchSize(Option<usize>);

fn parse_batch_size(s: &str) -> Result<BatchSize, String> {
    match s {
        "auto" => Ok(BatchSize(None)),
        _ => match s.parse::<usize>() {
            Ok(n) if n > 0 => Ok(BatchSize(Some(n))),
            _ => Err(format!("'{s}' is not auto or a whole number above 0")),
        },
    }
}

/// `--device`: `None` for auto.
#[derive(Clone, Copy, Debug)]
pub struct DeviceArg(Option<Device>);

/// Parses `--device`; a device this build or machine cannot use is an error here (exit 2).
fn parse_device(s: &str) -> Result<DeviceArg, String> {
    if s == "auto" {
        return Ok(DeviceArg(None));
    }
    let device = parse::<Device>(s)?;
    device.check_available().map_err(|e| format!("{e}"))?;
    Ok(DeviceArg(Some(device)))
}

impl DeviceArg {
    /// The device to train on; auto picks CUDA device 0 when present, except for
    /// L-BFGS, which runs on the CPU.
    fn resolve(self, solver: Solver) -> Device {
        match self.0 {
            Some(device) => device,
            None if solver == Solver::Lbfgs => Device::Cpu,
            None => Device::cuda_if_available(0),
        }
    }
}

fn parse<T: std::str::FromStr<Err = rede::Error>>(s: &str) -> Result<T, String> {
    s.parse::<T>().map_err(|e| match e {
        rede::Error::Invalid { msg, .. } => msg,
        other => other.to_string(),
    })
}

impl TrainArgs {
    /// The hyperparameters, without the network of a preset or spec file (see [`Architecture::layer_spec`]).
    fn params(&self) -> CliResult<MlpParams> {
        let hidden = self.hidden.clone().unwrap_or_else(|| MlpParams::default().hidden_layer_sizes);
        let activation = self.activation.clone().unwrap_or_else(|| vec![HiddenActivation::Relu]);
        let activations = match activation.as_slice() {
            [_] => None,
            many if many.len() == hidden.len() => Some(many.to_vec()),
            many => {
                return Err(CliError::new(format!(
                    "--activation lists {} activations for {} hidden layers",
                    many.len(),
                    hidden.len()
                )))
            }
        };
        let params = MlpParams {
            hidden_layer_sizes: hidden,
            activation: activation[0],
            activations,
            standardize: !self.no_standardize,
            solver: self.solver,
            alpha: self.alpha,
            l1: self.l1,
            dropout: self.dropout,
            batch_size: self.batch_size.0,
            learning_rate: self.lr_schedule,
            learning_rate_init: self.lr,
            max_iter: self.epochs,
            random_state: Some(self.seed),
            tol: self.tol,
            momentum: self.momentum,
            nesterovs_momentum: self.nesterov,
            early_stopping: self.early_stopping,
            validation_fraction: self.validation_fraction,
            n_iter_no_change: self.patience,
            device: self.device.resolve(self.solver),
            ..MlpParams::default()
        };
        params.validate().map_err(|e| CliError::new(format!("bad training option: {e}")))?;
        Ok(params)
    }

    /// The architecture asked for; MLP-only options with another one are an error
    /// rather than silently ignored.
    fn architecture(&self) -> CliResult<Architecture> {
        let architecture = Architecture::from_args(self.model, self.model_spec.as_deref())?;
        if !matches!(architecture, Architecture::Mlp) {
            let mlp_only = [
                ("--hidden", self.hidden.is_some()),
                ("--activation", self.activation.is_some()),
                ("--dropout", self.dropout != 0.0),
            ];
            if let Some((flag, _)) = mlp_only.iter().find(|(_, given)| *given) {
                return Err(CliError::new(format!(
                    "{flag} shapes the MLP and does nothing with {}; describe the layers in an architecture \
                     file instead, or leave {flag} out",
                    architecture.flag()
                )));
            }
        }
        Ok(architecture)
    }

    /// The checkpoint file: `--checkpoint`, else the model's name with `.ckpt.safetensors`.
    fn checkpoint_path(&self) -> PathBuf {
        self.checkpoint.clone().unwrap_or_else(|| self.out.with_extension("ckpt.safetensors"))
    }

    /// The checkpoint plan, for the mini-batch solvers (lbfgs takes one step and keeps none).
    fn checkpoints(&self, split: &Split, architecture: &Architecture) -> Option<Checkpoints> {
        let wanted = self.solver != Solver::Lbfgs || self.checkpoint_every.is_some() || self.resume.is_some();
        wanted.then(|| Checkpoints {
            path: self.checkpoint_path(),
            every: self.checkpoint_every.map(|n| n as usize),
            metadata: BTreeMap::from([
                ("rede.data".to_string(), split.name.clone()),
                (KEY_ARCHITECTURE.to_string(), architecture.name()),
            ]),
        })
    }

    /// The plot's file: `--plot`, else the model's name with `.png`; none with `--no-plot`.
    fn plot_path(&self) -> Option<PathBuf> {
        match (&self.plot, self.no_plot) {
            (_, true) => None,
            (Some(path), false) => Some(path.clone()),
            (None, false) => Some(self.out.with_extension("png")),
        }
    }

    fn source(&self) -> CliResult<Source<'_>> {
        match (&self.data, &self.dataset) {
            (Some(path), _) => {
                let target = self.target.as_deref().ok_or_else(|| {
                    CliError::new(format!("--data {} needs --target COLUMN (the column to predict)", path.display()))
                })?;
                Ok(Source::Csv { path, target, options: &self.data_options, quiet: self.quiet })
            }
            (None, Some(name)) => Ok(Source::Builtin { name, data_dir: self.data_dir.as_ref() }),
            (None, None) => Err(CliError::new("give --data FILE --target COLUMN, or --dataset NAME")),
        }
    }
}

pub fn run(args: &TrainArgs) -> CliResult<()> {
    let job = distributed::join(args.distributed)?;
    let result = train(args, job.as_ref());
    // MPI is finalized before the exit, so that mpirun sees every rank end properly.
    if distributed::finish(job, result)? == Ended::Interrupted {
        std::process::exit(interrupt::INTERRUPTED)
    }
    Ok(())
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    Finished,
    /// Ctrl-C stopped it (exit status 130).
    Interrupted,
}

/// Everything a run needs before it trains.
struct Setup {
    params: MlpParams,
    architecture: Architecture,
    split: Split,
}

/// Checks the options and outputs and reads the data; rank 0 alone checks the
/// outputs, since it alone writes them.
fn prepare(args: &TrainArgs, quiet: bool, root: bool) -> CliResult<Setup> {
    rede::nn::limits::set_max_parameters(args.max_params);
    let mut params = args.params()?;
    let architecture = args.architecture()?;
    if root {
        check_outputs(args)?;
    }
    let task = match args.task {
        TaskArg::Auto => None,
        TaskArg::Classification => Some(Task::Classification),
        TaskArg::Regression => Some(Task::Regression),
    };
    let test_part = TestPart { file: args.test.as_deref(), fraction: args.test_fraction, seed: args.seed };
    let source = args.source()?;
    let reading = progress::loading(quiet, &describe_source(&source));
    let split = training_split(&source, &test_part, task)?;
    drop(reading);
    params.model = architecture.layer_spec(&split)?;
    params.image_channels = architecture.image_channels();
    Ok(Setup { params, architecture, split })
}

fn train(args: &TrainArgs, job: Option<&Job>) -> CliResult<Ended> {
    let root = job.is_none_or(Job::is_root);
    // Only rank 0 talks; the others would repeat it.
    let quiet = args.quiet || !root;
    let setup = prepare(args, quiet, root);
    let Setup { params, architecture, split } = match job {
        Some(job) => job.agree(setup)?,
        None => setup?,
    };
    let unit = if params.solver == Solver::Lbfgs { "evaluation" } else { "epoch" };
    if !quiet {
        eprintln!(
            "training a {} ({}) on {} ({} train rows, {} test rows)",
            task_name(split.task),
            architecture.name(),
            split.name,
            split.train.n_rows(),
            split.test.n_rows()
        );
    }
    let mut progress = Progress::new(quiet, args.epochs, unit);
    let plan = args.checkpoints(&split, &architecture);
    let mut callback = StopOnFlag { inner: &mut progress, flag: interrupt::install() };
    let run = Run { callback: &mut callback, plan: plan.as_ref(), resume: args.resume.as_deref(), job };
    let model = fit(params, &split, run)?;
    let record = model.record().clone();
    progress.finish(record.n_iter, record.seconds);
    let ended = if record.interrupted { Ended::Interrupted } else { Ended::Finished };
    if !root {
        return Ok(ended);
    }
    if let Some(job) = job.filter(|_| !quiet) {
        let reducing = job.all_reduce_seconds();
        eprintln!(
            "{} processes; all-reduce took {reducing:.2} s of {:.2} s training ({:.1}%) on rank 0",
            job.comm().size(),
            record.seconds,
            100.0 * reducing / record.seconds.max(1e-9)
        );
    }
    if record.interrupted {
        save_interrupted(args, &model, &architecture, &split)?;
        return Ok(ended);
    }
    save_results(args, &model, &architecture, &split)?;
    Ok(ended)
}

/// Evaluates the model on the test part, then writes model, metrics and plots
/// and prints the report.
fn save_results(args: &TrainArgs, model: &Estimator, architecture: &Architecture, split: &Split) -> CliResult<()> {
    let test_name = args.test.as_ref().map_or(split.name.clone(), |p| p.display().to_string());
    let evaluation = Evaluation::of(model, &split.test).map_err(|e| CliError::new(format!("{test_name}: {e}")))?;
    let metrics = metrics_json(split, model, &evaluation);

    // Everything is computed before anything is written: a failure above leaves the user's files alone.
    let plots = match args.plot_path() {
        Some(path) => render_plots(&path, model, split)?,
        None => Vec::new(),
    };
    let metadata = BTreeMap::from([
        ("rede.metrics".to_string(), metrics.to_string()),
        ("rede.data".to_string(), split.name.clone()),
        (KEY_ARCHITECTURE.to_string(), architecture.name()),
    ]);
    // The files are written before the report is printed, so a reader that stops
    // early (`rede train … | head`) does not cost the user the trained model; and
    // all together or none, so a failure leaves no model without its metrics.
    let mut files = StagedFiles::new();
    files.stage(&args.out, &model.to_bytes(&metadata)?)?;
    let mut written = vec![format!("\nmodel saved to {}", args.out.display())];
    if let Some(path) = &args.metrics_json {
        files.stage(path, format!("{metrics:#}\n").as_bytes())?;
        written.push(format!("metrics written to {}", path.display()));
    }
    for (path, bytes) in plots {
        files.stage(&path, &bytes)?;
        written.push(format!("plot written to {}", path.display()));
    }
    files.commit()?;
    evaluation.print("test", split.test.n_rows());
    written.iter().for_each(|line| println!("{line}"));
    Ok(())
}

/// What is being read, for the note shown while loading.
fn describe_source(source: &Source) -> String {
    match source {
        Source::Csv { path, .. } => path.display().to_string(),
        Source::Builtin { name, .. } => format!("the {name} dataset"),
    }
}

fn task_name(task: Task) -> &'static str {
    match task {
        Task::Classification => "classifier",
        Task::Regression => "regressor",
    }
}

/// Saves the model of a run Ctrl-C stopped (its checkpoint is written already),
/// and says how to continue.
fn save_interrupted(args: &TrainArgs, model: &Estimator, architecture: &Architecture, split: &Split) -> CliResult<()> {
    let metadata = BTreeMap::from([
        ("rede.data".to_string(), split.name.clone()),
        (KEY_ARCHITECTURE.to_string(), architecture.name()),
    ]);
    match model {
        Estimator::Classifier(c) => c.save_with_metadata(&args.out, &metadata)?,
        Estimator::Regressor(r) => r.save_with_metadata(&args.out, &metadata)?,
    }
    let checkpoint = args.checkpoint_path();
    eprintln!(
        "interrupted after {} epochs: model so far saved to {}, checkpoint to {}; continue with the same options and --resume {}",
        model.record().n_iter,
        args.out.display(),
        checkpoint.display(),
        checkpoint.display()
    );
    Ok(())
}

/// How a fit runs besides its data: progress, checkpoints, and the MPI job.
struct Run<'a> {
    callback: &'a mut dyn Callback,
    plan: Option<&'a Checkpoints>,
    resume: Option<&'a Path>,
    job: Option<&'a Job>,
}

/// Fits the estimator (from a checkpoint with `resume`); errors name the data.
fn fit(params: MlpParams, split: &Split, run: Run) -> CliResult<Estimator> {
    let (train, target, prep) = (&split.train, split.target.as_str(), split.preprocessing.clone());
    let Run { callback, plan, resume, job } = run;
    // Both estimators have the same fitting methods; this runs the right one.
    macro_rules! fit_into {
        ($estimator:expr, $variant:path) => {{
            let mut estimator = $estimator;
            match (plan, job) {
                (_, Some(job)) => {
                    estimator.fit_table_distributed(train, target, callback, plan, resume, job.comm()).map(|_| ())
                }
                (Some(plan), None) => {
                    estimator.fit_table_checkpointed(train, target, callback, plan, resume).map(|_| ())
                }
                (None, None) => estimator.fit_table_with(train, target, callback).map(|_| ()),
            }
            .map(|()| $variant(estimator))
        }};
    }
    let fitted = match split.task {
        Task::Classification => fit_into!(MlpClassifier::new(params).with_preprocessing(prep), Estimator::Classifier),
        Task::Regression => fit_into!(MlpRegressor::new(params).with_preprocessing(prep), Estimator::Regressor),
    };
    fitted.map_err(|e| CliError::new(format!("{}: {e}", split.name)))
}

/// Fails early, before training, on output paths that cannot be written.
fn check_outputs(args: &TrainArgs) -> CliResult<()> {
    let plot = args.plot_path();
    let checkpoint = args.checkpoint_path();
    let outputs: Vec<&Path> = [Some(&args.out), args.metrics_json.as_ref(), plot.as_ref(), Some(&checkpoint)]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
    crate::outputs::check_writable(&outputs)?;
    if let Some(plot) = &plot {
        if plot.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() != Some("png") {
            return Err(CliError::new(format!(
                "{}: --plot writes PNG pictures; give a name ending in .png",
                plot.display()
            )));
        }
    }
    Ok(())
}

/// The curves picture and, for planar data, the decision regions next to it (`NAME-boundary.png`).
fn render_plots(path: &Path, model: &Estimator, split: &Split) -> CliResult<Vec<(PathBuf, Vec<u8>)>> {
    let score = if split.task == Task::Classification { "accuracy" } else { "R²" };
    let mut plots = vec![(path.to_path_buf(), plot::curves(model.record(), score)?)];
    if plot::is_planar(model, &split.train) {
        let stem = path.file_stem().map_or("plot".into(), |s| s.to_string_lossy().into_owned());
        let boundary_path = path.with_file_name(format!("{stem}-boundary.png"));
        plots.push((boundary_path, plot::boundary(model, &split.test)?));
    }
    Ok(plots)
}

fn metrics_json(split: &Split, model: &Estimator, evaluation: &Evaluation) -> Value {
    let record = model.record();
    let mut m = serde_json::Map::new();
    m.insert("task".into(), json!(if split.task == Task::Classification { "classification" } else { "regression" }));
    m.insert("data".into(), json!(split.name));
    m.insert("target".into(), json!(split.target));
    m.insert("n_train".into(), json!(split.train.n_rows()));
    m.insert("n_test".into(), json!(split.test.n_rows()));
    m.insert("epochs_run".into(), json!(record.n_iter));
    m.insert("train_seconds".into(), json!(record.seconds));
    m.insert("train_loss".into(), json!(record.loss_curve.last()));
    m.insert("best_loss".into(), json!(record.best_loss));
    m.insert("best_validation_score".into(), json!(record.best_validation_score));
    m.extend(evaluation.json_fields());
    m.insert("loss_curve".into(), json!(record.loss_curve));
    m.insert("validation_scores".into(), json!(record.validation_scores));
    Value::Object(m)
}
