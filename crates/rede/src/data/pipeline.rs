//! From a [`Table`] to tensors: the feature pipeline learnt on training data
//! and saved with a model, so new data is encoded exactly as the training
//! data was.

use super::encode::{LabelEncoder, OneHotEncoder, UnknownCategory};
use super::{Column, Dataset, StandardScaler, Table};
use crate::{Error, Result, Tensor};
use serde::{Deserialize, Serialize};

/// A numeric target with whole values and at most this many distinct values
/// is taken for class labels when the task is inferred.
pub const MAX_INFERRED_CLASSES: usize = 20;

/// What the target column asks a model to predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Class labels (text, or whole numbers).
    Classification,
    /// Real values.
    Regression,
}

impl Task {
    /// The task a target column suggests: classification for text, and for
    /// whole numbers with at most [`MAX_INFERRED_CLASSES`] distinct values;
    /// regression otherwise.
    pub fn infer(target: &Column) -> Task {
        match target {
            Column::Text(_) => Task::Classification,
            Column::Numeric(v) => {
                let mut distinct: Vec<f64> = v.clone();
                distinct.sort_by(f64::total_cmp);
                distinct.dedup();
                if v.iter().all(|x| x.fract() == 0.0) && distinct.len() <= MAX_INFERRED_CLASSES {
                    Task::Classification
                } else {
                    Task::Regression
                }
            }
        }
    }
}

/// How [`FeaturePipeline::fit`] encodes the data.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// Standardize numeric feature columns (default true).
    pub standardize: bool,
    /// Standardize a regression target (default false); undo it on
    /// predictions with [`FeaturePipeline::inverse_targets`].
    pub scale_target: bool,
    /// The task; `None` infers it from the target column ([`Task::infer`]).
    pub task: Option<Task>,
    /// What one-hot encoding does with a category unseen in training.
    pub unknown_category: UnknownCategory,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions { standardize: true, scale_target: false, task: None, unknown_category: UnknownCategory::Error }
    }
}

/// How one input column is encoded, as [`FeaturePipeline::encodings`] shows it
/// (for exporters that rebuild the preprocessing elsewhere, such as ONNX).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ColumnEncoding<'a> {
    /// One feature, `(x − shift) / scale`.
    Numeric {
        /// Subtracted first (the training mean, or 0 without standardizing).
        shift: f64,
        /// Divided by next (the training standard deviation, or 1).
        scale: f64,
    },
    /// One indicator feature per category of a text column.
    OneHot(&'a OneHotEncoder),
}

/// How one input column becomes feature columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Encoding {
    /// `(x − shift) / scale` (identity when standardizing is off).
    Numeric { shift: f64, scale: f64 },
    /// One indicator per category.
    OneHot { encoder: OneHotEncoder },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct InputColumn {
    name: String,
    encoding: Encoding,
}

impl InputColumn {
    fn width(&self) -> usize {
        match &self.encoding {
            Encoding::Numeric { .. } => 1,
            Encoding::OneHot { encoder } => encoder.width(),
        }
    }
}

/// How the target column becomes the target tensor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum TargetEncoding {
    Classes { encoder: LabelEncoder },
    Values { shift: f64, scale: f64 },
}

/// Turns tables into an f32 feature tensor `[n, d]` (numeric columns
/// standardized, text columns one-hot) and a target tensor (class indices
/// `[n]` for classification, values `[n, 1]` for regression), with
/// statistics learnt once, on the training table. Serializable, so a saved
/// model can carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeaturePipeline {
    inputs: Vec<InputColumn>,
    target: String,
    target_encoding: TargetEncoding,
}

impl FeaturePipeline {
    /// Learns the encoding of every column of `table` but `target`, and of `target`.
    pub fn fit(table: &Table, target: &str, options: &PipelineOptions) -> Result<Self> {
        let target_column = table
            .column(target)
            .ok_or_else(|| Error::invalid("FeaturePipeline::fit", format!("no target column '{target}'")))?;
        let inputs = table
            .iter()
            .filter(|(name, _)| *name != target)
            .map(|(name, column)| fit_input(name, column, options))
            .collect::<Result<Vec<_>>>()?;
        if inputs.is_empty() {
            return Err(Error::invalid("FeaturePipeline::fit", "no feature columns besides the target"));
        }
        let task = options.task.unwrap_or_else(|| Task::infer(target_column));
        let target_encoding = fit_target(target, target_column, task, options.scale_target)?;
        Ok(FeaturePipeline { inputs, target: target.to_string(), target_encoding })
    }

    /// The task: classification or regression.
    pub fn task(&self) -> Task {
        match self.target_encoding {
            TargetEncoding::Classes { .. } => Task::Classification,
            TargetEncoding::Values { .. } => Task::Regression,
        }
    }

    /// The target column's name.
    pub fn target_name(&self) -> &str {
        &self.target
    }

    /// The input columns' names, in training order.
    pub fn input_columns(&self) -> Vec<&str> {
        self.inputs.iter().map(|c| c.name.as_str()).collect()
    }

    /// Names of the feature tensor's columns (`age`, `color=red`, …).
    pub fn feature_names(&self) -> Vec<String> {
        self.inputs
            .iter()
            .flat_map(|c| match &c.encoding {
                Encoding::Numeric { .. } => vec![c.name.clone()],
                Encoding::OneHot { encoder } => encoder.feature_names(),
            })
            .collect()
    }

    /// Width `d` of the feature tensor.
    pub fn n_features(&self) -> usize {
        self.inputs.iter().map(InputColumn::width).sum()
    }

    /// The class labels in index order (classification only).
    pub fn class_labels(&self) -> Option<Vec<String>> {
        match &self.target_encoding {
            TargetEncoding::Classes { encoder } => Some(encoder.labels()),
            TargetEncoding::Values { .. } => None,
        }
    }

    /// Model outputs needed: the number of classes, or 1 for regression.
    pub fn n_outputs(&self) -> usize {
        self.class_labels().map_or(1, |c| c.len())
    }

    /// The f32 feature tensor `[n, d]` of a table with the training feature
    /// columns (in any order; the target column may be there or not).
    pub fn features(&self, table: &Table) -> Result<Tensor> {
        self.check_columns(table)?;
        let (n, d) = (table.n_rows(), self.n_features());
        let mut out = vec![0.0f32; n * d];
        let mut offset = 0;
        for input in &self.inputs {
            let column = table.column(&input.name).expect("checked above");
            encode_input(input, column, &mut out, d, offset)?;
            offset += input.width();
        }
        Tensor::from_vec(out, &[n, d])
    }

    /// The target tensor of a table: f32 class indices `[n]`, or values `[n, 1]`.
    pub fn targets(&self, table: &Table) -> Result<Tensor> {
        let column = table.column(&self.target).ok_or_else(|| {
            Error::invalid("FeaturePipeline::targets", format!("the table has no target column '{}'", self.target))
        })?;
        match (&self.target_encoding, column) {
            (TargetEncoding::Classes { encoder }, _) => {
                let idx: Vec<f32> = encoder.transform(column)?.into_iter().map(|i| i as f32).collect();
                Tensor::from_vec(idx, &[column.len()])
            }
            (TargetEncoding::Values { shift, scale }, Column::Numeric(v)) => {
                let values: Vec<f32> = v.iter().map(|x| ((x - shift) / scale) as f32).collect();
                Tensor::from_vec(values, &[v.len(), 1])
            }
            (TargetEncoding::Values { .. }, Column::Text(_)) => Err(Error::invalid(
                "FeaturePipeline::targets",
                format!("regression target column '{}' holds text", self.target),
            )),
        }
    }

    /// Features and targets of a table, as a [`Dataset`].
    pub fn dataset(&self, table: &Table) -> Result<Dataset> {
        Dataset::new(self.features(table)?, self.targets(table)?)
    }

    /// Regression predictions back in the target's units (undoes `scale_target`).
    pub fn inverse_targets(&self, predictions: &Tensor) -> Result<Tensor> {
        match self.target_encoding {
            TargetEncoding::Values { shift, scale } => Ok(predictions.affine(scale, shift)),
            TargetEncoding::Classes { .. } => {
                Err(Error::invalid("FeaturePipeline::inverse_targets", "the target holds classes, not values"))
            }
        }
    }

    /// Each input column's name and encoding, in training order (the feature
    /// tensor's columns are their outputs, concatenated).
    pub fn encodings(&self) -> Vec<(&str, ColumnEncoding<'_>)> {
        fn view(c: &InputColumn) -> ColumnEncoding<'_> {
            match &c.encoding {
                Encoding::Numeric { shift, scale } => ColumnEncoding::Numeric { shift: *shift, scale: *scale },
                Encoding::OneHot { encoder } => ColumnEncoding::OneHot(encoder),
            }
        }
        self.inputs.iter().map(|c| (c.name.as_str(), view(c))).collect()
    }

    /// The `(shift, scale)` of a regression target: predictions are `output · scale + shift`
    /// (`None` for classification).
    pub fn target_scaling(&self) -> Option<(f64, f64)> {
        match self.target_encoding {
            TargetEncoding::Values { shift, scale } => Some((shift, scale)),
            TargetEncoding::Classes { .. } => None,
        }
    }

    /// The pipeline as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::invalid("FeaturePipeline::to_json", e.to_string()))
    }

    /// A pipeline from [`FeaturePipeline::to_json`]'s output.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::invalid("FeaturePipeline::from_json", e.to_string()))
    }

    /// Fails naming the missing and unexpected columns when `table`'s
    /// feature columns are not the training ones.
    fn check_columns(&self, table: &Table) -> Result<()> {
        let expected = self.input_columns();
        let missing: Vec<&str> = expected.iter().copied().filter(|n| table.column(n).is_none()).collect();
        let unexpected: Vec<&str> =
            table.names().iter().map(String::as_str).filter(|n| *n != self.target && !expected.contains(n)).collect();
        if missing.is_empty() && unexpected.is_empty() {
            return Ok(());
        }
        let list = |names: &[&str]| if names.is_empty() { "none".to_string() } else { names.join(", ") };
        let msg = format!(
            "the columns do not match the training data: missing: {}; unexpected: {}",
            list(&missing),
            list(&unexpected)
        );
        Err(Error::invalid("FeaturePipeline", msg))
    }
}

fn fit_input(name: &str, column: &Column, options: &PipelineOptions) -> Result<InputColumn> {
    let encoding = match column {
        Column::Numeric(v) if options.standardize => {
            let s = StandardScaler::fit_columns(&[v])?;
            Encoding::Numeric { shift: s.mean[0], scale: s.scale[0] }
        }
        Column::Numeric(_) => Encoding::Numeric { shift: 0.0, scale: 1.0 },
        Column::Text(v) => Encoding::OneHot { encoder: OneHotEncoder::fit(name, v, options.unknown_category)? },
    };
    Ok(InputColumn { name: name.to_string(), encoding })
}

fn fit_target(name: &str, column: &Column, task: Task, scale: bool) -> Result<TargetEncoding> {
    match (task, column) {
        (Task::Classification, _) => Ok(TargetEncoding::Classes { encoder: LabelEncoder::fit(column)? }),
        (Task::Regression, Column::Numeric(v)) if scale => {
            let s = StandardScaler::fit_columns(&[v])?;
            Ok(TargetEncoding::Values { shift: s.mean[0], scale: s.scale[0] })
        }
        (Task::Regression, Column::Numeric(_)) => Ok(TargetEncoding::Values { shift: 0.0, scale: 1.0 }),
        (Task::Regression, Column::Text(_)) => Err(Error::invalid(
            "FeaturePipeline::fit",
            format!("target column '{name}' holds text, so it cannot be a regression target"),
        )),
    }
}

/// Writes the encoded `column` into columns `offset..` of the row-major `[n, d]` buffer `out`.
fn encode_input(input: &InputColumn, column: &Column, out: &mut [f32], d: usize, offset: usize) -> Result<()> {
    let rows = out.chunks_mut(d);
    match (&input.encoding, column) {
        (Encoding::Numeric { shift, scale }, Column::Numeric(v)) => {
            for (row, x) in rows.zip(v) {
                row[offset] = ((x - shift) / scale) as f32;
            }
        }
        (Encoding::OneHot { encoder }, Column::Text(v)) => {
            for (row, x) in rows.zip(v) {
                encoder.encode_into(x, &mut row[offset..offset + encoder.width()])?;
            }
        }
        (_, column) => {
            let trained = if column.is_numeric() { "text" } else { "numeric" };
            let msg =
                format!("column '{}' was {trained} in the training data but is {} here", input.name, column.kind());
            return Err(Error::invalid("FeaturePipeline", msg));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(names: &[&str]) -> Table {
        let col = |name: &str| match name {
            "color" => Column::Text(vec!["red".into(), "blue".into(), "red".into()]),
            _ => Column::Numeric(vec![1.0, 2.0, 3.0]),
        };
        Table::new(names.iter().map(|&n| (n.to_string(), col(n))).collect()).unwrap()
    }

    #[test]
    fn mismatched_columns_are_named() {
        let p = FeaturePipeline::fit(&table(&["a", "color", "y"]), "y", &PipelineOptions::default()).unwrap();
        let err = p.features(&table(&["a", "b"])).unwrap_err().to_string();
        assert!(err.contains("missing: color; unexpected: b"), "{err}");
        assert!(p.features(&table(&["color", "a"])).is_ok(), "order and a missing target do not matter");
    }

    #[test]
    fn task_inference_follows_the_documented_rule() {
        assert_eq!(Task::infer(&Column::Numeric(vec![0.0, 1.0, 2.0])), Task::Classification);
        assert_eq!(Task::infer(&Column::Numeric(vec![0.0, 1.5])), Task::Regression);
        let many: Vec<f64> = (0..=MAX_INFERRED_CLASSES).map(|i| i as f64).collect();
        assert_eq!(Task::infer(&Column::Numeric(many)), Task::Regression);
    }

    #[test]
    fn scaled_regression_targets_invert() {
        let opts = PipelineOptions { scale_target: true, ..PipelineOptions::default() };
        let t = table(&["a", "y"]);
        let p = FeaturePipeline::fit(&t, "y", &PipelineOptions { task: Some(Task::Regression), ..opts }).unwrap();
        let y = p.targets(&t).unwrap();
        assert_eq!(y.shape(), &[3, 1]);
        assert!(y.to_vec_f32()[0] < 0.0);
        let back = p.inverse_targets(&y).unwrap().to_vec_f32();
        assert!(back.iter().zip([1.0, 2.0, 3.0]).all(|(a, b)| (a - b).abs() < 1e-6), "{back:?}");
    }
}
