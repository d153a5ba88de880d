//! `rede search`: cross-validated hyperparameter search over a space file.

use crate::distributed::{self, Job};
use crate::error::CliError;
use crate::CliResult;
use clap::{Args, ValueEnum};
use rede::data::{self, datasets, CsvOptions, Table, Task};
use rede::estimator::search::{apply_config, cross_validate, SEARCH_PARAMS};
use rede::estimator::{MlpClassifier, MlpParams, MlpRegressor};
use rede::io::StagedFiles;
use rede::model_selection::{
    search, search_distributed, Config, SearchOptions, SearchReport, SearchSpace, Strategy, Trial,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// How configurations are chosen.
#[derive(Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    /// Every combination of the listed values.
    Grid,
    /// `--trials` random draws.
    Random,
    /// Successive halving: many draws on few epochs, the best third gets three times more, repeated.
    Halving,
}

/// Classification or regression.
#[derive(Clone, Copy, ValueEnum)]
pub enum SearchTask {
    /// Text targets and whole numbers with few distinct values are classes, other numbers regression.
    Auto,
    /// Predict a class.
    Classification,
    /// Predict a number.
    Regression,
}

/// Options of `rede search`.
#[derive(Args)]
pub struct SearchArgs {
    /// A CSV file with a header row, or .npy, .npz or .parquet (by extension).
    #[arg(long, requires = "target", conflicts_with = "dataset")]
    data: Option<PathBuf>,
    /// The column to predict.
    #[arg(long)]
    target: Option<String>,
    /// A built-in dataset instead of a CSV file (see `rede datasets`).
    #[arg(long, required_unless_present = "data")]
    dataset: Option<String>,
    /// TOML file naming `rede train` options with lists or distributions, e.g.
    /// `lr = { log_uniform = [1e-4, 1e-1] }`, `hidden = [[64], [128, 64]]`.
    #[arg(long)]
    space: PathBuf,
    /// How configurations are chosen.
    #[arg(long, value_enum, default_value = "random")]
    strategy: StrategyArg,
    /// Configurations to draw (random and halving).
    #[arg(long, default_value_t = 20)]
    trials: usize,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    cv: usize,
    /// Seed of the draws, the folds and the training runs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Classification or regression.
    #[arg(long, value_enum, default_value = "auto")]
    task: SearchTask,
    /// Epochs of each training run (halving: of the last round) unless the space sets `epochs`.
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Run trials one at a time, each using every core (default: trials side by side).
    #[arg(long)]
    sequential: bool,
    /// Where to save the best configuration, refit on all the data.
    #[arg(long, default_value = "best.safetensors")]
    out: PathBuf,
    /// Write every trial (parameters, fold scores, time) to this CSV file.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print only the final table.
    #[arg(long)]
    quiet: bool,
    /// Most parameters (and buffers) one network may hold; a trial over it fails.
    #[arg(long, default_value_t = rede::nn::limits::DEFAULT_MAX_PARAMETERS, value_name = "N")]
    max_params: usize,
    /// Spread the trials over the processes of an MPI job (`mpirun -np N rede search …
    /// --distributed`, a build with the mpi feature); process 0 reports and writes the files.
    #[arg(long)]
    distributed: bool,
}

/// Runs `rede search`.
pub fn run(args: &SearchArgs) -> CliResult<()> {
    let job = distributed::join(args.distributed)?;
    let result = search_run(args, job.as_ref());
    distributed::finish(job, result)
}

/// The space and the data, checked; rank 0 alone checks the outputs it writes.
fn prepare(args: &SearchArgs, root: bool) -> CliResult<(SearchSpace, Table, String, Task)> {
    rede::nn::limits::set_max_parameters(args.max_params);
    if root {
        let outputs: Vec<&std::path::Path> =
            std::iter::once(&args.out).chain(&args.results).map(PathBuf::as_path).collect();
        crate::outputs::check_writable(&outputs)?;
    }
    let source = args.space.display().to_string();
    let text = std::fs::read_to_string(&args.space).map_err(|e| CliError::new(format!("{source}: {e}")))?;
    let space = SearchSpace::from_toml(&text, &source)?;
    space.check_names(SEARCH_PARAMS, &source)?;
    if args.cv < 2 {
        return Err(CliError::new(format!("--cv must be at least 2, got {}", args.cv)));
    }
    let (table, target, task) = load(args)?;
    Ok((space, table, target, task))
}

fn search_run(args: &SearchArgs, job: Option<&Job>) -> CliResult<()> {
    let root = job.is_none_or(Job::is_root);
    let prepared = prepare(args, root);
    let (space, table, target, task) = match job {
        Some(job) => job.agree(prepared)?,
        None => prepared?,
    };
    let base = MlpParams { max_iter: args.epochs, random_state: Some(args.seed), ..MlpParams::default() };
    let objective = |config: &Config, epochs: Option<usize>| {
        let params = apply_config(&base, config)?;
        cross_validate(&params, &table, &target, task, args.cv, args.seed, epochs)
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Ctrl-C lets running trials finish, starts no new one, then saves what was found.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let planned = planned_trials(args, &space)?;
    // Only rank 0 talks; the others would repeat it.
    let progress = TrialProgress::new(planned, args.quiet || !root);
    let on_trial = |t: &Trial| progress.trial_done(t);
    let options = SearchOptions {
        strategy: strategy(args.strategy),
        n_trials: args.trials,
        seed: args.seed,
        min_epochs: (args.epochs / 9).max(1),
        max_epochs: args.epochs,
        parallel: !args.sequential,
        stop: Some(&stop),
        on_trial: Some(&on_trial),
    };
    let started = Instant::now();
    let report = match job {
        Some(job) => search_distributed(&space, &objective, &options, job.comm())?,
        None => search(&space, &objective, &options)?,
    };
    if !root {
        return Ok(());
    }
    let best = report.best_trial().ok_or_else(|| {
        print_table(&report, args.cv);
        CliError::new("every trial failed; see the errors above")
    })?;
    // Files first, report after: a reader that stops early (`rede search … | head`)
    // does not cost the user the trials or the refit model. Both files are written
    // together once the refit succeeded, or neither.
    let mut files = StagedFiles::new();
    files.stage(&args.out, &refit(&apply_config(&base, &best.config)?, &table, &target, task, best)?)?;
    if let Some(path) = &args.results {
        files.stage(path, results_csv(&report).as_bytes())?;
    }
    files.commit()?;
    print_table(&report, args.cv);
    if let Some(path) = &args.results {
        println!("all trials written to {}", path.display());
    }
    println!(
        "{} trials, {} epochs in {:.1} s{}; best configuration refit on all {} rows and saved to {}",
        report.trials.len(),
        report.total_epochs(),
        started.elapsed().as_secs_f64(),
        if report.interrupted { " (interrupted)" } else { "" },
        table.n_rows(),
        args.out.display()
    );
    Ok(())
}

fn strategy(s: StrategyArg) -> Strategy {
    match s {
        StrategyArg::Grid => Strategy::Grid,
        StrategyArg::Random => Strategy::Random,
        StrategyArg::Halving => Strategy::Halving,
    }
}

/// The whole table (cross-validation needs no separate test part), its target and task.
fn load(args: &SearchArgs) -> CliResult<(Table, String, Task)> {
    let (table, target, known_task) = match (&args.data, &args.dataset) {
        (Some(path), _) => {
            let target = args.target.clone().expect("clap requires --target with --data");
            let options = CsvOptions { target: Some(target.clone()), ..Default::default() };
            (data::read_table(path, &options)?, target, None)
        }
        (None, Some(name)) if name == "mnist" => {
            return Err(CliError::new("search cross-validates many models: use a smaller dataset than mnist"))
        }
        (None, Some(name)) => {
            let named = datasets::by_name(name, args.seed)?;
            (named.table, named.target, Some(named.task))
        }
        (None, None) => unreachable!("clap requires --data or --dataset"),
    };
    let column = table.column(&target).ok_or_else(|| CliError::new(format!("no column '{target}'")))?;
    let task = match args.task {
        SearchTask::Classification => Task::Classification,
        SearchTask::Regression => Task::Regression,
        SearchTask::Auto => known_task.unwrap_or_else(|| Task::infer(column)),
    };
    Ok((table, target, task))
}

fn planned_trials(args: &SearchArgs, space: &SearchSpace) -> CliResult<usize> {
    Ok(match args.strategy {
        StrategyArg::Grid => space.grid()?.len(),
        StrategyArg::Random => args.trials,
        // Rounds keep a third each time: n + n/3 + n/9 + …
        StrategyArg::Halving => (0..4).map(|r| args.trials.div_ceil(3usize.pow(r))).sum(),
    })
}

/// One line per finished trial with the best score so far and an ETA.
struct TrialProgress {
    planned: usize,
    quiet: bool,
    done: AtomicUsize,
    started: Instant,
    best: std::sync::Mutex<f64>,
}

impl TrialProgress {
    fn new(planned: usize, quiet: bool) -> Self {
        TrialProgress {
            planned,
            quiet,
            done: AtomicUsize::new(0),
            started: Instant::now(),
            best: f64::NEG_INFINITY.into(),
        }
    }

    fn trial_done(&self, t: &Trial) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let mut best = self.best.lock().expect("progress lock poisoned");
        if t.error.is_none() && t.mean > *best {
            *best = t.mean;
        }
        if self.quiet {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = elapsed / done as f64 * self.planned.saturating_sub(done) as f64;
        let outcome = match &t.error {
            None => format!("{:.4} ± {:.4}", t.mean, t.std),
            Some(e) => format!("failed: {e}"),
        };
        eprintln!(
            "[{done}/{}] trial {} {}: {outcome}  (best {:.4}, ETA {:.0} s)",
            self.planned.max(done),
            t.id,
            describe(&t.config),
            *best,
            eta
        );
    }
}

/// A parameter value as written on a command line: strings without JSON quotes.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn describe(config: &Config) -> String {
    config.iter().map(|(k, v)| format!("{k}={}", plain(v))).collect::<Vec<_>>().join(" ")
}

/// The top configurations of the last round, best first.
fn print_table(report: &SearchReport, folds: usize) {
    let last_round = report.trials.iter().map(|t| t.round).max().unwrap_or(0);
    let mut ranked: Vec<&Trial> = report.trials.iter().filter(|t| t.round == last_round && t.error.is_none()).collect();
    ranked.sort_by(|a, b| b.mean.total_cmp(&a.mean));
    let failed = report.trials.iter().filter(|t| t.error.is_some()).count();
    println!("\nrank  {folds}-fold CV score     configuration");
    for (i, t) in ranked.iter().take(5).enumerate() {
        println!("{:>4}  {:.4} ± {:.4}   {}", i + 1, t.mean, t.std, describe(&t.config));
    }
    if failed > 0 {
        println!("({failed} trials failed)");
    }
}

/// Every trial as CSV: parameters, fold scores, mean, std, epochs, seconds, error.
fn results_csv(report: &SearchReport) -> String {
    let names: Vec<&String> = report.trials.first().map(|t| t.config.keys().collect()).unwrap_or_default();
    let folds = report.trials.iter().map(|t| t.fold_scores.len()).max().unwrap_or(0);
    let quote = |s: String| if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s };
    let mut header = vec!["trial".to_string(), "round".into(), "budget_epochs".into()];
    header.extend(names.iter().map(|n| n.to_string()));
    header.extend((1..=folds).map(|k| format!("fold{k}")));
    header.extend(["mean", "std", "epochs", "seconds", "error"].map(String::from));
    let mut out = header.join(",") + "\n";
    for t in &report.trials {
        let mut row = vec![t.id.to_string(), t.round.to_string(), t.budget.map_or(String::new(), |b| b.to_string())];
        row.extend(names.iter().map(|n| quote(t.config.get(*n).map_or(String::new(), plain))));
        row.extend((0..folds).map(|k| t.fold_scores.get(k).map_or(String::new(), |s| format!("{s:.6}"))));
        row.extend([
            format!("{:.6}", t.mean),
            format!("{:.6}", t.std),
            t.epochs.to_string(),
            format!("{:.3}", t.seconds),
        ]);
        row.push(quote(t.error.clone().unwrap_or_default()));
        out += &(row.join(",") + "\n");
    }
    out
}

/// The best configuration refit on all rows, as the bytes of its model file.
fn refit(params: &MlpParams, table: &Table, target: &str, task: Task, best: &Trial) -> CliResult<Vec<u8>> {
    let extra = BTreeMap::from([
        ("rede.search.config".to_string(), serde_json::to_string(&best.config).unwrap_or_default()),
        ("rede.search.cv_score".to_string(), format!("{:.6}", best.mean)),
    ]);
    Ok(match task {
        Task::Classification => MlpClassifier::new(params.clone()).fit_table(table, target)?.to_bytes(&extra)?,
        Task::Regression => MlpRegressor::new(params.clone()).fit_table(table, target)?.to_bytes(&extra)?,
    })
}
