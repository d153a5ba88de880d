//! Hyperparameter search: evaluate configurations (each by cross-validation,
//! through an [`Objective`]), record failures without stopping, pick the best.

use super::{Config, SearchSpace};
use crate::distributed::Communicator;
use crate::{Error, Result};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// How configurations are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Every combination of the listed values.
    Grid,
    /// `n_trials` independent draws.
    Random,
    /// Successive halving (Jamieson & Talwalkar, 2016): start `n_trials` draws
    /// on few epochs, keep the best third, triple their epochs, and repeat.
    Halving,
}

/// What an [`Objective`] reports for one configuration.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// One score per cross-validation fold (higher is better).
    pub fold_scores: Vec<f64>,
    /// Training epochs actually spent (summed over folds).
    pub epochs: usize,
}

/// Scores a configuration, training for at most `epochs` epochs when given (halving budgets).
pub trait Objective: Sync {
    /// Evaluates one configuration.
    fn evaluate(&self, config: &Config, epochs: Option<usize>) -> Result<Evaluation>;
}

impl<F: Fn(&Config, Option<usize>) -> Result<Evaluation> + Sync> Objective for F {
    fn evaluate(&self, config: &Config, epochs: Option<usize>) -> Result<Evaluation> {
        self(config, epochs)
    }
}

/// One evaluated configuration.
#[derive(Clone, Debug)]
pub struct Trial {
    /// 0-based trial number (draw order).
    pub id: usize,
    /// The configuration.
    pub config: Config,
    /// Halving round (0 for grid and random search).
    pub round: usize,
    /// Epoch budget given (None: the configuration's own).
    pub budget: Option<usize>,
    /// Fold scores (empty if it failed).
    pub fold_scores: Vec<f64>,
    /// Mean of the fold scores (NaN if it failed).
    pub mean: f64,
    /// Standard deviation of the fold scores.
    pub std: f64,
    /// Epochs spent.
    pub epochs: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Why it failed, if it did (diverged loss, invalid combination, …).
    pub error: Option<String>,
}

/// Search settings.
pub struct SearchOptions<'a> {
    /// Grid, random or halving.
    pub strategy: Strategy,
    /// Configurations drawn (random and halving).
    pub n_trials: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// Epochs of the first halving round.
    pub min_epochs: usize,
    /// Epoch budget of the final halving round.
    pub max_epochs: usize,
    /// Evaluate trials of a round concurrently on the thread pool.
    pub parallel: bool,
    /// When set (e.g. by Ctrl-C), no new trial starts; finished ones are kept.
    pub stop: Option<&'a AtomicBool>,
    /// Called after each trial (progress output, saving partial results).
    pub on_trial: Option<&'a (dyn Fn(&Trial) + Sync)>,
}

impl Default for SearchOptions<'_> {
    fn default() -> Self {
        SearchOptions {
            strategy: Strategy::Random,
            n_trials: 20,
            seed: 0,
            min_epochs: 5,
            max_epochs: 45,
            parallel: false,
            stop: None,
            on_trial: None,
        }
    }
}

/// All trials and the best one.
#[derive(Clone, Debug)]
pub struct SearchReport {
    /// Every trial run, in the order they finished within each round.
    pub trials: Vec<Trial>,
    /// Index into `trials` of the best (highest mean) successful trial of the last round reached.
    pub best: Option<usize>,
    /// Whether the stop flag cut the search short.
    pub interrupted: bool,
}

impl SearchReport {
    /// Total epochs spent by all trials.
    pub fn total_epochs(&self) -> usize {
        self.trials.iter().map(|t| t.epochs).sum()
    }

    /// The best trial, if any succeeded.
    pub fn best_trial(&self) -> Option<&Trial> {
        self.best.map(|i| &self.trials[i])
    }
}

/// Runs the search. A configuration whose evaluation fails or gives a
/// non-finite score is recorded as failed; the search goes on.
pub fn search(space: &SearchSpace, objective: &dyn Objective, options: &SearchOptions<'_>) -> Result<SearchReport> {
    search_on(space, objective, options, None)
}

/// [`search`] spread over the ranks of `comm`, which all call it with the same
/// space, objective and options: each rank runs whole trials (the k-th of every
/// round on rank k mod size), and after each round the ranks share their trials,
/// so every rank returns the report a single process would (but for the seconds).
/// `on_trial` hears of another rank's trials at the end of the round.
pub fn search_distributed(
    space: &SearchSpace,
    objective: &dyn Objective,
    options: &SearchOptions<'_>,
    comm: &dyn Communicator,
) -> Result<SearchReport> {
    search_on(space, objective, options, Some(comm))
}

fn search_on(
    space: &SearchSpace,
    objective: &dyn Objective,
    options: &SearchOptions<'_>,
    comm: Option<&dyn Communicator>,
) -> Result<SearchReport> {
    let configs = match options.strategy {
        Strategy::Grid => space.grid()?,
        Strategy::Random | Strategy::Halving => space.sample(options.n_trials, options.seed),
    };
    if configs.is_empty() {
        return Err(Error::invalid("search", "no configuration to try"));
    }
    let mut report = SearchReport { trials: Vec::new(), best: None, interrupted: false };
    if options.strategy != Strategy::Halving {
        let candidates: Vec<(usize, Config)> = configs.into_iter().enumerate().collect();
        run_round(&candidates, (0, None), objective, options, comm, &mut report)?;
        report.best = best_of(&report.trials, 0);
        return Ok(report);
    }
    if options.min_epochs == 0 || options.max_epochs < options.min_epochs {
        return Err(Error::invalid("search", "halving needs 1 ≤ min_epochs ≤ max_epochs"));
    }
    let mut survivors: Vec<(usize, Config)> = configs.into_iter().enumerate().collect();
    let (mut round, mut budget) = (0, options.min_epochs);
    loop {
        run_round(&survivors, (round, Some(budget)), objective, options, comm, &mut report)?;
        let mut ranked: Vec<&Trial> = report.trials.iter().filter(|t| t.round == round && t.error.is_none()).collect();
        ranked.sort_by(|a, b| b.mean.total_cmp(&a.mean));
        let keep = survivors.len().div_ceil(3);
        if report.interrupted || ranked.len() <= 1 || budget >= options.max_epochs {
            report.best = best_of(&report.trials, round);
            return Ok(report);
        }
        survivors = ranked.iter().take(keep).map(|t| (t.id, t.config.clone())).collect();
        round += 1;
        budget = (budget * 3).min(options.max_epochs);
    }
}

fn best_of(trials: &[Trial], round: usize) -> Option<usize> {
    (0..trials.len())
        .filter(|&i| trials[i].round == round && trials[i].error.is_none())
        .max_by(|&a, &b| trials[a].mean.total_cmp(&trials[b].mean))
}

/// Runs a round's candidates (this rank's share of them with `comm`) at `(round, budget)`.
fn run_round(
    candidates: &[(usize, Config)],
    (round, budget): (usize, Option<usize>),
    objective: &dyn Objective,
    options: &SearchOptions<'_>,
    comm: Option<&dyn Communicator>,
    report: &mut SearchReport,
) -> Result<()> {
    let (rank, size) = comm.map_or((0, 1), |c| (c.rank(), c.size()));
    let mine: Vec<&(usize, Config)> = candidates.iter().skip(rank).step_by(size).collect();
    let done = Mutex::new(Vec::new());
    let stopped = || options.stop.is_some_and(|s| s.load(Ordering::SeqCst));
    let run = |&(id, config): &&(usize, Config)| {
        if stopped() {
            return;
        }
        let trial = run_trial(*id, config, round, budget, objective);
        if let Some(cb) = options.on_trial {
            cb(&trial);
        }
        done.lock().expect("trial list lock poisoned").push(trial);
    };
    if options.parallel {
        mine.par_iter().for_each(run);
    } else {
        mine.iter().for_each(run);
    }
    let mut finished = done.into_inner().expect("trial list lock poisoned");
    if let Some(comm) = comm {
        finished = super::share::share_trials(comm, candidates, &finished, (round, budget))?;
        if let Some(cb) = options.on_trial {
            finished.iter().filter(|t| !mine.iter().any(|(id, _)| *id == t.id)).for_each(cb);
        }
    }
    finished.sort_by_key(|t| t.id);
    report.interrupted |= finished.len() < candidates.len();
    report.trials.extend(finished);
    Ok(())
}

impl Trial {
    /// A trial of `config` before it is scored: no fold scores, NaN mean and deviation.
    pub(crate) fn unscored(id: usize, config: Config, round: usize, budget: Option<usize>) -> Trial {
        Trial {
            id,
            config,
            round,
            budget,
            fold_scores: Vec::new(),
            mean: f64::NAN,
            std: f64::NAN,
            epochs: 0,
            seconds: 0.0,
            error: None,
        }
    }
}

fn run_trial(id: usize, config: &Config, round: usize, budget: Option<usize>, objective: &dyn Objective) -> Trial {
    let started = Instant::now();
    let outcome = objective.evaluate(config, budget).and_then(|e| {
        if e.fold_scores.is_empty() || e.fold_scores.iter().any(|s| !s.is_finite()) {
            Err(Error::invalid("search", format!("non-finite or missing scores {:?}", e.fold_scores)))
        } else {
            Ok(e)
        }
    });
    let mut trial = Trial::unscored(id, config.clone(), round, budget);
    match outcome {
        Ok(e) => {
            let n = e.fold_scores.len() as f64;
            trial.mean = e.fold_scores.iter().sum::<f64>() / n;
            trial.std = (e.fold_scores.iter().map(|s| (s - trial.mean).powi(2)).sum::<f64>() / n).sqrt();
            trial.fold_scores = e.fold_scores;
            trial.epochs = e.epochs;
        }
        Err(err) => trial.error = Some(err.to_string()),
    }
    trial.seconds = started.elapsed().as_secs_f64();
    trial
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Score peaks at x = 3; each epoch of budget brings the score closer to its peak value.
    fn objective(config: &Config, epochs: Option<usize>) -> Result<Evaluation> {
        let x = config["x"].as_f64().unwrap();
        if x < 0.5 {
            return Err(Error::invalid("test", "diverged"));
        }
        let e = epochs.unwrap_or(30);
        let score = -(x - 3.0).powi(2) - 1.0 / e as f64;
        Ok(Evaluation { fold_scores: vec![score, score + 0.01], epochs: e * 2 })
    }

    fn space() -> SearchSpace {
        SearchSpace::from_toml("x = { uniform = [0.0, 6.0] }", "t").unwrap()
    }

    #[test]
    fn random_search_finds_the_peak_and_records_failures() {
        let report = search(&space(), &objective, &SearchOptions { n_trials: 40, ..Default::default() }).unwrap();
        let best = report.best_trial().unwrap();
        assert!((best.config["x"].as_f64().unwrap() - 3.0).abs() < 0.3, "{best:?}");
        assert!(report.trials.iter().any(|t| t.error.is_some()), "x < 0.5 draws must fail, not stop the search");
        assert_eq!(report.trials.len(), 40);
    }

    #[test]
    fn grid_search_and_parallel_give_the_same_results() {
        let space = SearchSpace::from_toml("x = [1.0, 2.0, 3.0, 4.0]", "t").unwrap();
        let seq =
            search(&space, &objective, &SearchOptions { strategy: Strategy::Grid, ..Default::default() }).unwrap();
        let par = search(
            &space,
            &objective,
            &SearchOptions { strategy: Strategy::Grid, parallel: true, ..Default::default() },
        )
        .unwrap();
        assert_eq!(seq.best_trial().unwrap().config["x"], 3.0);
        let means = |r: &SearchReport| r.trials.iter().map(|t| t.mean).collect::<Vec<_>>();
        assert_eq!(means(&seq), means(&par));
    }

    #[test]
    fn halving_spends_fewer_epochs_than_random_search_and_keeps_a_good_config() {
        let random = SearchOptions { n_trials: 27, max_epochs: 45, ..Default::default() };
        let full = search(&space(), &|c: &Config, _: Option<usize>| objective(c, Some(45)), &random).unwrap();
        let halving = search(&space(), &objective, &SearchOptions { strategy: Strategy::Halving, ..random }).unwrap();
        assert!(
            halving.total_epochs() < full.total_epochs() / 2,
            "{} vs {}",
            halving.total_epochs(),
            full.total_epochs()
        );
        let best = halving.best_trial().unwrap();
        assert_eq!(best.budget, Some(45));
        assert!((best.config["x"].as_f64().unwrap() - 3.0).abs() < 0.5);
    }

    #[test]
    fn a_raised_stop_flag_starts_no_trial() {
        let stop = AtomicBool::new(true);
        let report = search(&space(), &objective, &SearchOptions { stop: Some(&stop), ..Default::default() }).unwrap();
        assert!(report.interrupted && report.trials.is_empty() && report.best.is_none());
    }
}
