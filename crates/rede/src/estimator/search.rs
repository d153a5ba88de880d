//! Cross-validation and hyperparameter search for the estimators: a search
//! space names `rede train` options (`hidden`, `lr`, `alpha`, …), each trial
//! fits fresh estimators on k-1 folds and scores the held-out fold.

use super::{HiddenActivation, LearningRate, MlpClassifier, MlpParams, MlpRegressor, Solver};
use crate::data::{Column, Table, Task};
use crate::model_selection::{Config, Evaluation, KFold, StratifiedKFold};
use crate::{Error, Result};
use serde_json::Value;

/// The parameter names a search space may use (the `rede train` options they set).
pub const SEARCH_PARAMS: &[&str] = &[
    "hidden",
    "activation",
    "solver",
    "lr",
    "lr_schedule",
    "momentum",
    "nesterov",
    "alpha",
    "l1",
    "dropout",
    "batch_size",
    "epochs",
    "patience",
    "tol",
    "early_stopping",
    "validation_fraction",
    "power_t",
    "beta_1",
    "beta_2",
];

fn bad(name: &str, value: &Value, want: &str) -> Error {
    Error::invalid("search", format!("parameter '{name}' = {value} must be {want}"))
}

fn number(name: &str, v: &Value) -> Result<f64> {
    v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| bad(name, v, "a number"))
}

fn count(name: &str, v: &Value) -> Result<usize> {
    v.as_u64().filter(|&n| n > 0).map(|n| n as usize).ok_or_else(|| bad(name, v, "a whole number ≥ 1"))
}

fn flag(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| bad(name, v, "true or false"))
}

fn text<'a>(name: &str, v: &'a Value) -> Result<&'a str> {
    v.as_str().ok_or_else(|| bad(name, v, "a string"))
}

/// Hidden sizes from `64` or `[128, 64]` (an empty list means no hidden layer).
fn hidden(v: &Value) -> Result<Vec<usize>> {
    match v {
        Value::Array(items) => items.iter().map(|i| count("hidden", i)).collect(),
        other => Ok(vec![count("hidden", other)?]),
    }
}

/// `base` with the options named in `config` replaced.
pub fn apply_config(base: &MlpParams, config: &Config) -> Result<MlpParams> {
    let mut p = base.clone();
    for (name, v) in config {
        match name.as_str() {
            "hidden" => p.hidden_layer_sizes = hidden(v)?,
            "activation" => p.activation = text(name, v)?.parse::<HiddenActivation>()?,
            "solver" => p.solver = text(name, v)?.parse::<Solver>()?,
            "lr" => p.learning_rate_init = number(name, v)?,
            "lr_schedule" => p.learning_rate = text(name, v)?.parse::<LearningRate>()?,
            "momentum" => p.momentum = number(name, v)?,
            "nesterov" => p.nesterovs_momentum = flag(name, v)?,
            "alpha" => p.alpha = number(name, v)?,
            "l1" => p.l1 = number(name, v)?,
            "dropout" => p.dropout = number(name, v)?,
            "batch_size" => p.batch_size = Some(count(name, v)?),
            "epochs" => p.max_iter = count(name, v)?,
            "patience" => p.n_iter_no_change = count(name, v)?,
            "tol" => p.tol = number(name, v)?,
            "early_stopping" => p.early_stopping = flag(name, v)?,
            "validation_fraction" => p.validation_fraction = number(name, v)?,
            "power_t" => p.power_t = number(name, v)?,
            "beta_1" => p.beta_1 = number(name, v)?,
            "beta_2" => p.beta_2 = number(name, v)?,
            other => {
                return Err(Error::invalid(
                    "search",
                    format!("unknown parameter '{other}' (known: {})", SEARCH_PARAMS.join(", ")),
                ))
            }
        }
    }
    p.validate()?;
    Ok(p)
}

/// Class index of every row's target, for stratified folds (classes in sorted order).
fn class_labels(target: &Column) -> Vec<usize> {
    let keys: Vec<String> = match target {
        Column::Text(v) => v.iter().map(|label| label.unwrap_or_default().to_string()).collect(),
        Column::Numeric(v) => v.iter().map(|&x| format!("{:020.6}", f64::from(x) + 1e12)).collect(),
    };
    let mut classes = keys.clone();
    classes.sort();
    classes.dedup();
    keys.iter().map(|k| classes.binary_search(k).expect("every key is a class")).collect()
}

/// Mean score of `params` over `folds` cross-validation folds of `table`
/// (stratified for classification), each fold a fresh estimator; epochs capped at `max_epochs` when given.
pub fn cross_validate(
    params: &MlpParams,
    table: &Table,
    target: &str,
    task: Task,
    folds: usize,
    seed: u64,
    max_epochs: Option<usize>,
) -> Result<Evaluation> {
    let column = table.column(target).ok_or_else(|| Error::invalid("search", format!("no column '{target}'")))?;
    let splits = match task {
        Task::Classification => {
            StratifiedKFold { n_splits: folds, shuffle: true, seed }.split(&class_labels(column))?
        }
        Task::Regression => KFold { n_splits: folds, shuffle: true, seed }.split(table.n_rows())?,
    };
    let mut params = params.clone();
    if let Some(e) = max_epochs {
        params.max_iter = e;
    }
    params.random_state = Some(params.random_state.unwrap_or(seed));
    let (mut fold_scores, mut epochs) = (Vec::new(), 0);
    for (train, val) in &splits {
        let (train, val) = (table.rows(train)?, table.rows(val)?);
        let (score, n_iter) = match task {
            Task::Classification => {
                let mut est = MlpClassifier::new(params.clone());
                est.fit_table(&train, target)?;
                (est.score_table(&val)?, est.n_iter())
            }
            Task::Regression => {
                let mut est = MlpRegressor::new(params.clone());
                est.fit_table(&train, target)?;
                (est.score_table(&val)?, est.n_iter())
            }
        };
        fold_scores.push(score);
        epochs += n_iter;
    }
    Ok(Evaluation { fold_scores, epochs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_set_the_named_options_and_reject_bad_values() {
        let config: Config =
            serde_json::from_str(r#"{"hidden": [32, 16], "lr": 0.01, "activation": "tanh", "epochs": 7}"#).unwrap();
        let p = apply_config(&MlpParams::default(), &config).unwrap();
        assert_eq!(p.hidden_layer_sizes, vec![32, 16]);
        assert_eq!(p.learning_rate_init, 0.01);
        assert_eq!(p.activation, HiddenActivation::Tanh);
        assert_eq!(p.max_iter, 7);
        for bad in [r#"{"lr": "fast"}"#, r#"{"hidden": [0]}"#, r#"{"solver": "newton"}"#, r#"{"colour": 1}"#] {
            let config: Config = serde_json::from_str(bad).unwrap();
            assert!(apply_config(&MlpParams::default(), &config).is_err(), "{bad}");
        }
    }

    #[test]
    fn class_labels_index_sorted_classes() {
        assert_eq!(class_labels(&Column::text(&["b", "a", "b"])), vec![1, 0, 1]);
        assert_eq!(class_labels(&Column::Numeric(vec![10.0, -1.0, 2.0, 10.0])), vec![2, 0, 1, 2]);
    }
}
