//! Checkpoints: a model file (so `predict` can use it) with one more metadata
//! entry holding what the run needs to continue exactly where it stopped.

use super::mlp::{Fitted, Mlp};
use super::persist::{self, Estimator};
use super::{MlpParams, TrainingRecord};
use crate::optim::OptimizerState;
use crate::train::{EpochRecord, Position, Snapshot, Start};
use crate::{Error, Result, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The run's state (JSON of the position, optimizer state, seed and best weights).
pub const KEY_CHECKPOINT: &str = "rede.checkpoint";

/// Where and how often a fit writes checkpoints.
#[derive(Clone, Debug, Default)]
pub struct Checkpoints {
    /// The checkpoint file, rewritten atomically each time.
    pub path: PathBuf,
    /// Every this many epochs; `None` only when the run is stopped
    /// ([`crate::train::Callback::should_stop`]).
    pub every: Option<usize>,
    /// Extra metadata entries for the file.
    pub metadata: BTreeMap<String, String>,
}

/// What a checkpoint holds besides the model file's usual entries.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RunState {
    position: Position,
    optimizer: OptimizerState,
    /// The seed the run shuffles and splits with (drawn from the clock without `random_state`).
    seed: u64,
    /// The best epoch's weights, in parameter order, with early stopping.
    best_weights: Option<Vec<Vec<f64>>>,
}

/// Writes `snapshot` as a checkpoint: the model file of `parts` with the run's state.
pub(crate) fn write(plan: &Checkpoints, parts: &persist::Parts, seed: u64, snapshot: &Snapshot) -> Result<()> {
    let mut record = TrainingRecord::default();
    snapshot.epochs.iter().for_each(|e| record.push(e));
    let state = RunState {
        position: snapshot.position,
        optimizer: snapshot.optimizer.state_dict(),
        seed,
        best_weights: snapshot.best_weights.map(|w| w.iter().map(Tensor::to_vec_f64).collect()),
    };
    let mut metadata = plan.metadata.clone();
    let state = serde_json::to_string(&state).map_err(|e| Error::file(&plan.path, e.to_string()))?;
    metadata.insert(KEY_CHECKPOINT.into(), state);
    let bytes = persist::parts_bytes(parts, snapshot.model, &record, &metadata)
        .map_err(|e| Error::file(&plan.path, e.to_string()))?;
    crate::io::write_atomic(&plan.path, &bytes)
}

/// A run read back from a checkpoint, ready to continue.
pub(crate) struct Resumed {
    pub(crate) fitted: Fitted,
    pub(crate) record: TrainingRecord,
    pub(crate) optimizer: OptimizerState,
    pub(crate) start: Start,
}

/// Reads a checkpoint for `mlp`, whose hyperparameters must be those of the run
/// (apart from `max_iter`, so a run can be extended).
pub(crate) fn read(path: &Path, mlp: &Mlp) -> Result<Resumed> {
    let loaded = Estimator::load(path)?;
    let state = loaded.metadata().get(KEY_CHECKPOINT).ok_or_else(|| {
        Error::file(
            path,
            format!(
                "a model file, not a checkpoint (no {KEY_CHECKPOINT} entry); resume from the file --checkpoint names"
            ),
        )
    })?;
    let state: RunState = serde_json::from_str(state)
        .map_err(|e| Error::file(path, format!("unreadable {KEY_CHECKPOINT} entry: {e}")))?;
    if loaded.task() != mlp.task {
        return Err(Error::file(path, format!("the checkpoint is of a {:?} run, not {:?}", loaded.task(), mlp.task)));
    }
    check_same_params(path, loaded.params(), &mlp.params)?;
    let record = loaded.record().clone();
    let mut inner = match loaded {
        Estimator::Classifier(c) => c.inner,
        Estimator::Regressor(r) => r.inner,
    };
    let mut fitted = inner.fitted.take().expect("a loaded estimator is fitted");
    fitted.seed = state.seed;
    let best_weights = match state.best_weights {
        Some(values) => Some(weights(path, &*fitted.model, values)?),
        None => None,
    };
    let start = Start { position: state.position, previous: epoch_records(&record), best_weights };
    Ok(Resumed { fitted, record, optimizer: state.optimizer, start })
}

/// The finished epochs' records, as the schedule and the stopping rule saw them.
fn epoch_records(record: &TrainingRecord) -> Vec<EpochRecord> {
    (0..record.loss_curve.len())
        .map(|i| EpochRecord {
            epoch: i + 1,
            train_loss: record.loss_curve[i],
            val_loss: record.validation_loss_curve.get(i).copied(),
            val_score: record.validation_scores.get(i).copied(),
            lr: 0.0,
            seconds: 0.0,
        })
        .collect()
}

/// Tensors shaped like the model's parameters from the saved values.
fn weights(path: &Path, model: &dyn crate::nn::Module, values: Vec<Vec<f64>>) -> Result<Vec<Tensor>> {
    let params = model.parameters();
    if params.len() != values.len() {
        return Err(Error::file(path, "the best weights do not match the model's parameters"));
    }
    params
        .iter()
        .zip(values)
        .map(|(p, v)| {
            Ok(Tensor::from_vec(v, p.shape()).map_err(|e| Error::file(path, e.to_string()))?.to_dtype(p.dtype()))
        })
        .collect()
}

/// Fails naming every setting that differs between the checkpoint's run and this one.
fn check_same_params(path: &Path, saved: &MlpParams, given: &MlpParams) -> Result<()> {
    let as_map = |p: &MlpParams| match serde_json::to_value(p) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (saved, given) = (as_map(saved), as_map(given));
    let mut keys: Vec<&String> = saved.keys().chain(given.keys()).filter(|k| *k != "max_iter").collect();
    keys.sort();
    keys.dedup();
    let differing: Vec<String> = keys
        .into_iter()
        .filter(|k| saved.get(*k) != given.get(*k))
        .map(|k| format!("{k}: {} there, {} here", show(saved.get(k)), show(given.get(k))))
        .collect();
    if differing.is_empty() {
        return Ok(());
    }
    Err(Error::file(
        path,
        format!(
            "the checkpoint's run had other settings ({}); resume with the options it was started with",
            differing.join("; ")
        ),
    ))
}

fn show(value: Option<&serde_json::Value>) -> String {
    value.map_or_else(|| "unset".into(), |v| v.to_string())
}
