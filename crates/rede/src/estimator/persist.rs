//! Estimators as model files: the network via [`crate::io::save_model`], and
//! everything `predict` needs besides as `rede.*` metadata entries.

use super::mlp::{Fitted, Mlp};
use super::{MlpClassifier, MlpParams, MlpRegressor, TrainingRecord};
use crate::data::{FeaturePipeline, Task};
use crate::io::{load_model_bytes, model_file_bytes, write_atomic};
use crate::nn::Module;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Which estimator a file holds: `mlp_classifier` or `mlp_regressor`.
pub const KEY_ESTIMATOR: &str = "rede.estimator";
/// The feature pipeline (JSON of [`FeaturePipeline`]).
pub const KEY_PIPELINE: &str = "rede.pipeline";
/// The hyperparameters (JSON of [`MlpParams`]).
pub const KEY_PARAMS: &str = "rede.params";
/// The training record (JSON of [`TrainingRecord`]).
pub const KEY_TRAINING: &str = "rede.training";
/// The task: `classification` or `regression`.
pub const KEY_TASK: &str = "rede.task";
/// The class labels (JSON list), for classifiers.
pub const KEY_CLASSES: &str = "rede.classes";
/// The names of the feature tensor's columns (JSON list).
pub const KEY_FEATURES: &str = "rede.features";

const CLASSIFIER: &str = "mlp_classifier";
const REGRESSOR: &str = "mlp_regressor";

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data always serializes")
}

pub(crate) fn save(mlp: &Mlp, path: &Path, extra: &BTreeMap<String, String>) -> Result<()> {
    let bytes = to_bytes(mlp, extra).map_err(|e| Error::file(path, e.to_string()))?;
    write_atomic(path, &bytes)
}

/// The model file `save` writes, as bytes.
pub(crate) fn to_bytes(mlp: &Mlp, extra: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let fitted = mlp.fitted("save")?;
    let parts = Parts { task: mlp.task, params: &mlp.params, pipeline: &fitted.pipeline };
    parts_bytes(&parts, &*fitted.model, &mlp.record, extra)
}

/// What a model file says besides the network and its training record.
pub(crate) struct Parts<'p> {
    pub(crate) task: Task,
    pub(crate) params: &'p MlpParams,
    pub(crate) pipeline: &'p FeaturePipeline,
}

/// The model file of a network with its parts and record, with `extra` metadata entries, as bytes.
pub(crate) fn parts_bytes(
    parts: &Parts,
    model: &dyn Module,
    record: &TrainingRecord,
    extra: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let mut metadata = extra.clone();
    let (kind, task) = match parts.task {
        Task::Classification => (CLASSIFIER, "classification"),
        Task::Regression => (REGRESSOR, "regression"),
    };
    metadata.insert(KEY_ESTIMATOR.into(), kind.into());
    metadata.insert(KEY_TASK.into(), task.into());
    metadata.insert(KEY_PIPELINE.into(), parts.pipeline.to_json()?);
    metadata.insert(KEY_PARAMS.into(), json(parts.params));
    metadata.insert(KEY_TRAINING.into(), json(record));
    metadata.insert(KEY_FEATURES.into(), json(&parts.pipeline.feature_names()));
    if let Some(classes) = parts.pipeline.class_labels() {
        metadata.insert(KEY_CLASSES.into(), json(&classes));
    }
    model_file_bytes(model, &metadata)
}

impl MlpClassifier {
    /// Loads a classifier saved with [`MlpClassifier::save`] (a file holding a regressor
    /// is an error; [`Estimator::load`] reads either).
    pub fn load(path: impl AsRef<Path>) -> Result<MlpClassifier> {
        match Estimator::load(path.as_ref())? {
            Estimator::Classifier(c) => Ok(c),
            Estimator::Regressor(_) => {
                Err(Error::file(path.as_ref(), "holds an MLP regressor; load it with MlpRegressor::load"))
            }
        }
    }
}

impl MlpRegressor {
    /// Loads a regressor saved with [`MlpRegressor::save`] (a file holding a classifier
    /// is an error; [`Estimator::load`] reads either).
    pub fn load(path: impl AsRef<Path>) -> Result<MlpRegressor> {
        match Estimator::load(path.as_ref())? {
            Estimator::Regressor(r) => Ok(r),
            Estimator::Classifier(_) => {
                Err(Error::file(path.as_ref(), "holds an MLP classifier; load it with MlpClassifier::load"))
            }
        }
    }
}

/// A fitted estimator read back from a file.
pub enum Estimator {
    /// A saved [`MlpClassifier`].
    Classifier(MlpClassifier),
    /// A saved [`MlpRegressor`].
    Regressor(MlpRegressor),
}

impl Estimator {
    /// Loads an estimator saved with `save`, checking the file and every entry it needs.
    pub fn load(path: impl AsRef<Path>) -> Result<Estimator> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Estimator::from_bytes(&bytes, &path.display().to_string())
    }

    /// [`Estimator::load`] of a file's bytes; `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Estimator> {
        let loaded = load_model_bytes(bytes, path)?;
        let meta = &loaded.metadata;
        let entry = |key: &str| {
            meta.get(key).ok_or_else(|| {
                Error::file(path, format!("not a model saved by a rede estimator (no {key} entry in its metadata)"))
            })
        };
        let parse = |key: &str, e: String| Error::file(path, format!("unreadable {key} entry: {e}"));
        let kind = entry(KEY_ESTIMATOR)?.clone();
        let pipeline =
            FeaturePipeline::from_json(entry(KEY_PIPELINE)?).map_err(|e| parse(KEY_PIPELINE, e.to_string()))?;
        let params: MlpParams =
            serde_json::from_str(entry(KEY_PARAMS)?).map_err(|e| parse(KEY_PARAMS, e.to_string()))?;
        let record: TrainingRecord = match meta.get(KEY_TRAINING) {
            Some(text) => serde_json::from_str(text).map_err(|e| parse(KEY_TRAINING, e.to_string()))?,
            None => TrainingRecord::default(),
        };
        let task = match kind.as_str() {
            CLASSIFIER => Task::Classification,
            REGRESSOR => Task::Regression,
            other => return Err(Error::file(path, format!("unknown estimator kind '{other}' in {KEY_ESTIMATOR}"))),
        };
        if pipeline.task() != task {
            return Err(Error::file(path, format!("{KEY_ESTIMATOR} says {kind} but the pipeline's task differs")));
        }
        let mut mlp = Mlp::new(params, task);
        mlp.fitted = Some(Fitted::new(pipeline, loaded.module, 0));
        mlp.record = record;
        mlp.metadata = loaded.metadata;
        Ok(match task {
            Task::Classification => Estimator::Classifier(MlpClassifier { inner: mlp }),
            Task::Regression => Estimator::Regressor(MlpRegressor { inner: mlp }),
        })
    }

    /// The model file [`MlpClassifier::save`] or [`MlpRegressor::save`] would write, as bytes.
    pub fn to_bytes(&self, extra: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        match self {
            Estimator::Classifier(c) => c.to_bytes(extra),
            Estimator::Regressor(r) => r.to_bytes(extra),
        }
    }

    /// The task of the saved estimator.
    pub fn task(&self) -> Task {
        match self {
            Estimator::Classifier(_) => Task::Classification,
            Estimator::Regressor(_) => Task::Regression,
        }
    }

    /// The feature pipeline.
    pub fn pipeline(&self) -> &FeaturePipeline {
        match self {
            Estimator::Classifier(c) => c.pipeline(),
            Estimator::Regressor(r) => r.pipeline(),
        }
        .expect("a loaded estimator is fitted")
    }

    /// The network.
    pub fn module(&self) -> &dyn crate::nn::Module {
        match self {
            Estimator::Classifier(c) => c.module(),
            Estimator::Regressor(r) => r.module(),
        }
        .expect("a loaded estimator is fitted")
    }

    /// The hyperparameters.
    pub fn params(&self) -> &MlpParams {
        match self {
            Estimator::Classifier(c) => c.params(),
            Estimator::Regressor(r) => r.params(),
        }
    }

    /// The training record.
    pub fn record(&self) -> &TrainingRecord {
        match self {
            Estimator::Classifier(c) => c.record(),
            Estimator::Regressor(r) => r.record(),
        }
    }

    /// Every metadata entry of the file.
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        match self {
            Estimator::Classifier(c) => c.metadata(),
            Estimator::Regressor(r) => r.metadata(),
        }
    }
}
