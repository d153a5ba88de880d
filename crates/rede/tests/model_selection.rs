//! Hyperparameter search with the estimators on a generated dataset where one
//! setting is clearly best.

use rede::data::{synthetic, Table, Task};
use rede::estimator::search::{apply_config, cross_validate, SEARCH_PARAMS};
use rede::estimator::MlpParams;
use rede::model_selection::{search, Config, Evaluation, SearchOptions, SearchSpace, Strategy};
use rede::{Result, Rng};

fn spirals() -> Table {
    let data = synthetic::spirals(240, 0.05, 1.5, &mut Rng::seed(4)).unwrap();
    Table::from_dataset(&data, &["x1".into(), "x2".into()], "label").unwrap()
}

fn objective(table: &Table) -> impl Fn(&Config, Option<usize>) -> Result<Evaluation> + Sync + '_ {
    // One batch an epoch: scikit-learn's initialization needs a few hundred steps on the spirals.
    let base = MlpParams { max_iter: 300, random_state: Some(0), ..Default::default() };
    move |config: &Config, epochs: Option<usize>| {
        let params = apply_config(&base, config)?;
        cross_validate(&params, table, "label", Task::Classification, 3, 1, epochs)
    }
}

#[test]
fn grid_search_finds_the_clearly_better_width_and_is_reproducible() {
    let table = spirals();
    let space = SearchSpace::from_toml("hidden = [[1], [64]]\nlr = [0.01]\n", "space.toml").unwrap();
    space.check_names(SEARCH_PARAMS, "space.toml").unwrap();
    let options = SearchOptions { strategy: Strategy::Grid, ..Default::default() };
    let report = search(&space, &objective(&table), &options).unwrap();
    let best = report.best_trial().unwrap();
    assert_eq!(best.config["hidden"], serde_json::json!([64]));
    let narrow = report.trials.iter().find(|t| t.config["hidden"] == serde_json::json!([1])).unwrap();
    assert!(best.mean > narrow.mean + 0.1, "{} vs {}", best.mean, narrow.mean);
    let again = search(&space, &objective(&table), &options).unwrap();
    let scores =
        |r: &rede::model_selection::SearchReport| r.trials.iter().map(|t| t.fold_scores.clone()).collect::<Vec<_>>();
    assert_eq!(scores(&report), scores(&again));
}

#[test]
fn an_invalid_combination_fails_alone() {
    let table = spirals();
    let space = SearchSpace::from_toml("dropout = [0.0, 1.5]\nhidden = [[16]]\nepochs = [5]\n", "s").unwrap();
    let report =
        search(&space, &objective(&table), &SearchOptions { strategy: Strategy::Grid, ..Default::default() }).unwrap();
    assert_eq!(report.trials.len(), 2);
    assert!(report.trials.iter().any(|t| t.error.as_deref().is_some_and(|e| e.contains("dropout"))));
    assert_eq!(report.best_trial().unwrap().config["dropout"], serde_json::json!(0.0));
}
