//! From a [`Table`] to tensors: the feature pipeline learnt on training data
//! and saved with a model, so new data is encoded exactly as the training
//! data was: the same imputed values, scaling and categories.

use super::encode::{LabelEncoder, OneHotEncoder, Slot, UnknownCategory};
use super::{ChannelScaler, Column, Dataset, Impute, Table, TextColumn};
use crate::{Error, Result, Tensor};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A numeric target with whole values and at most this many distinct values
/// is taken for class labels when the task is inferred.
pub const MAX_INFERRED_CLASSES: usize = 20;

/// The largest dense feature matrix a pipeline builds: 4 GiB of f32 values.
/// A text column with many categories, one-hot encoded over many rows, is
/// refused above it, with advice, rather than exhausting memory.
pub const MAX_FEATURE_BYTES: u64 = 4 << 30;

/// What the target column asks a model to predict (also [`crate::train::Task`]:
/// one type for the data and the training loop).
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
                let mut distinct: Vec<f32> = Vec::new();
                for &x in v {
                    if x.fract() != 0.0 {
                        return Task::Regression;
                    }
                    if !distinct.contains(&x) {
                        if distinct.len() == MAX_INFERRED_CLASSES {
                            return Task::Regression;
                        }
                        distinct.push(x);
                    }
                }
                Task::Classification
            }
        }
    }
}

/// Column handling beyond scaling: missing values, rare categories and the
/// columns that are not features. Recorded in the fitted pipeline, so a
/// saved model applies it to new data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preprocessing {
    /// How numeric columns fill missing values (text columns give them a
    /// category of their own); `None`: a missing value is an error.
    pub impute: Option<Impute>,
    /// Keep at most this many categories per text column, the most frequent;
    /// the others, and categories unseen in training, share one indicator.
    pub max_categories: Option<usize>,
    /// Columns that are not features (dropped ones): tables may hold them, and they are ignored.
    pub ignore: Vec<String>,
    /// A column that identifies rows: not a feature; `predict` copies it to its output.
    pub id_column: Option<String>,
    /// The cells besides [`NA_TOKENS`](super::NA_TOKENS) that meant "missing" in
    /// the training files, so new files are read the same way.
    pub na_values: Vec<String>,
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
    /// What one-hot encoding does with a category unseen in training (when
    /// it has no "other" indicator).
    pub unknown_category: UnknownCategory,
    /// The rows are images of this many channels (numeric columns, channel-major):
    /// standardizing uses one mean and standard deviation per channel
    /// ([`ChannelScaler`]) instead of one per column (default `None`).
    pub image_channels: Option<usize>,
    /// Missing values, rare categories, columns left out.
    pub preprocessing: Preprocessing,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            standardize: true,
            scale_target: false,
            task: None,
            unknown_category: UnknownCategory::Error,
            image_channels: None,
            preprocessing: Preprocessing::default(),
        }
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
        /// What a missing value becomes before scaling (`--impute`), if anything.
        fill: Option<f64>,
    },
    /// One indicator feature per category of a text column.
    OneHot(&'a OneHotEncoder),
}

/// How one input column becomes feature columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Encoding {
    /// `(x − shift) / scale` (identity when standardizing is off); a missing
    /// value is `fill` first.
    Numeric {
        shift: f64,
        scale: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fill: Option<f64>,
    },
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

/// Categories of a column unseen in training, found by [`FeaturePipeline::unseen_categories`].
#[derive(Clone, Debug, PartialEq)]
pub struct Unseen {
    /// The column.
    pub column: String,
    /// Rows holding such a category.
    pub rows: usize,
    /// Distinct such categories.
    pub distinct: usize,
}

/// Turns tables into an f32 feature tensor `[n, d]` (numeric columns
/// imputed and standardized, text columns one-hot) and a target tensor
/// (class indices `[n]` for classification, values `[n, 1]` for
/// regression), with statistics learnt once, on the training table.
/// Serializable, so a saved model can carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeaturePipeline {
    inputs: Vec<InputColumn>,
    target: String,
    target_encoding: TargetEncoding,
    #[serde(default)]
    preprocessing: Preprocessing,
}

impl FeaturePipeline {
    /// Learns the encoding of every column of `table` but `target` (and the
    /// columns `options.preprocessing` leaves out), and of `target`.
    pub fn fit(table: &Table, target: &str, options: &PipelineOptions) -> Result<Self> {
        let target_column = table
            .column(target)
            .ok_or_else(|| Error::invalid("FeaturePipeline::fit", format!("no target column '{target}'")))?;
        let prep = &options.preprocessing;
        let mut inputs = table
            .iter()
            .filter(|(name, _)| *name != target && !is_left_out(prep, name))
            .map(|(name, column)| fit_input(name, column, options))
            .collect::<Result<Vec<_>>>()?;
        if let (Some(channels), true) = (options.image_channels, options.standardize) {
            scale_per_channel(&mut inputs, table, channels)?;
        }
        if inputs.is_empty() {
            return Err(Error::invalid("FeaturePipeline::fit", "no feature columns besides the target"));
        }
        let task = options.task.unwrap_or_else(|| Task::infer(target_column));
        let target_encoding = fit_target(target, target_column, task, options.scale_target)?;
        let pipeline =
            FeaturePipeline { inputs, target: target.to_string(), target_encoding, preprocessing: prep.clone() };
        pipeline.check_size(table.n_rows())?;
        Ok(pipeline)
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

    /// The input columns one-hot encoded from text.
    pub fn text_columns(&self) -> Vec<&str> {
        let text = self.inputs.iter().filter(|c| matches!(c.encoding, Encoding::OneHot { .. }));
        text.map(|c| c.name.as_str()).collect()
    }

    /// Missing values, rare categories and the columns left out, as fitted.
    pub fn preprocessing(&self) -> &Preprocessing {
        &self.preprocessing
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
    /// columns (in any order; the target and left-out columns may be there or not).
    pub fn features(&self, table: &Table) -> Result<Tensor> {
        self.features_of_rows(table, 0..table.n_rows())
    }

    /// [`FeaturePipeline::features`] of the rows `rows` of `table` only (to
    /// encode a large table a part at a time).
    pub fn features_of_rows(&self, table: &Table, rows: std::ops::Range<usize>) -> Result<Tensor> {
        self.check_columns(table)?;
        if rows.end > table.n_rows() || rows.start > rows.end {
            let msg = format!("rows {rows:?} of a table of {} rows", table.n_rows());
            return Err(Error::invalid("FeaturePipeline::features", msg));
        }
        let (n, d) = (rows.len(), self.n_features());
        self.check_size(n)?;
        let prepared = self
            .inputs
            .iter()
            .map(|input| prepare(input, table.column(&input.name).expect("checked above")))
            .collect::<Result<Vec<_>>>()?;
        let mut out = vec![0.0f32; n * d];
        // Blocks of rows, each written whole: every column is written where
        // its rows are hot in cache, and the blocks run in parallel.
        const ROWS: usize = 512;
        out.par_chunks_mut(ROWS * d.max(1)).enumerate().for_each(|(b, block)| {
            let mut offset = 0;
            for (column, input) in prepared.iter().zip(&self.inputs) {
                column.write(block, rows.start + b * ROWS, d, offset);
                offset += input.width();
            }
        });
        Tensor::from_vec(out, &[n, d])
    }

    /// The target tensor of a table: f32 class indices `[n]`, or values `[n, 1]`.
    pub fn targets(&self, table: &Table) -> Result<Tensor> {
        let column = table.column(&self.target).ok_or_else(|| {
            Error::invalid("FeaturePipeline::targets", format!("the table has no target column '{}'", self.target))
        })?;
        if column.n_missing() > 0 {
            let msg = format!("the target column '{}' has {} missing values", self.target, column.n_missing());
            return Err(Error::invalid("FeaturePipeline::targets", msg));
        }
        match (&self.target_encoding, column) {
            (TargetEncoding::Classes { encoder }, _) => {
                let idx: Vec<f32> = encoder.transform(column)?.into_iter().map(|i| i as f32).collect();
                Tensor::from_vec(idx, &[column.len()])
            }
            (TargetEncoding::Values { shift, scale }, Column::Numeric(v)) => {
                let values: Vec<f32> = v.iter().map(|&x| ((f64::from(x) - shift) / scale) as f32).collect();
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

    /// For each text column of `table` with categories the training data did
    /// not have, how many rows and distinct values (they are encoded as
    /// "other", or as all zeros).
    pub fn unseen_categories(&self, table: &Table) -> Vec<Unseen> {
        self.inputs
            .iter()
            .filter_map(|input| match (&input.encoding, table.column(&input.name)) {
                (Encoding::OneHot { encoder }, Some(Column::Text(values))) => {
                    let (rows, distinct) = encoder.unseen(values);
                    (rows > 0).then(|| Unseen { column: input.name.clone(), rows, distinct })
                }
                _ => None,
            })
            .collect()
    }

    /// Each input column's name and encoding, in training order (the feature
    /// tensor's columns are their outputs, concatenated).
    pub fn encodings(&self) -> Vec<(&str, ColumnEncoding<'_>)> {
        fn view(c: &InputColumn) -> ColumnEncoding<'_> {
            match &c.encoding {
                Encoding::Numeric { shift, scale, fill } => {
                    ColumnEncoding::Numeric { shift: *shift, scale: *scale, fill: *fill }
                }
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
        let unexpected: Vec<&str> = table
            .names()
            .iter()
            .map(String::as_str)
            .filter(|n| *n != self.target && !expected.contains(n) && !is_left_out(&self.preprocessing, n))
            .collect();
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

    /// Refuses a dense feature matrix of `n` rows over [`MAX_FEATURE_BYTES`],
    /// naming the widest text columns.
    fn check_size(&self, n: usize) -> Result<()> {
        let d = self.n_features();
        let bytes = (n as u64).saturating_mul(d as u64).saturating_mul(4);
        if bytes <= MAX_FEATURE_BYTES {
            return Ok(());
        }
        let widest = self
            .inputs
            .iter()
            .filter(|c| matches!(c.encoding, Encoding::OneHot { .. }))
            .max_by_key(|c| c.width())
            .map(|c| (c.name.as_str(), c.width()));
        let mut msg = format!(
            "{n} rows × {d} features would take {:.1} GB as a dense matrix (the limit is {} GB)",
            bytes as f64 / 1e9,
            MAX_FEATURE_BYTES / (1 << 30)
        );
        if let Some((name, width)) = widest {
            msg += &format!(
                "; text column '{name}' alone is one-hot encoded into {width} columns: leave it out \
                 (--drop {name}) or keep its most frequent categories (--max-categories N)"
            );
        }
        Err(Error::invalid("FeaturePipeline", msg))
    }
}

/// Whether the preprocessing leaves column `name` out of the features.
fn is_left_out(prep: &Preprocessing, name: &str) -> bool {
    prep.ignore.iter().any(|n| n == name) || prep.id_column.as_deref() == Some(name)
}

fn fit_input(name: &str, column: &Column, options: &PipelineOptions) -> Result<InputColumn> {
    let prep = &options.preprocessing;
    let missing = column.n_missing();
    if missing > 0 && prep.impute.is_none() {
        let msg = format!("column '{name}' has {missing} missing values; choose how to fill them (impute)");
        return Err(Error::invalid("FeaturePipeline::fit", msg));
    }
    let encoding = match column {
        Column::Numeric(v) => {
            let fill = match prep.impute {
                Some(strategy) => Some(strategy.fill_value(v).ok_or_else(|| {
                    Error::invalid("FeaturePipeline::fit", format!("column '{name}' has no value to impute from"))
                })?),
                None => None,
            };
            let (shift, scale) = if options.standardize { mean_and_scale(v, fill) } else { (0.0, 1.0) };
            Encoding::Numeric { shift, scale, fill }
        }
        Column::Text(v) => Encoding::OneHot {
            encoder: OneHotEncoder::fit_text(name, v, options.unknown_category, prep.max_categories)?,
        },
    };
    Ok(InputColumn { name: name.to_string(), encoding })
}

/// Replaces the per-column statistics of image inputs by their channel's
/// (missing pixels count as their fill value, as in the per-column statistics).
fn scale_per_channel(inputs: &mut [InputColumn], table: &Table, channels: usize) -> Result<()> {
    let columns = inputs
        .iter()
        .map(|input| match (table.column(&input.name), &input.encoding) {
            (Some(Column::Numeric(v)), Encoding::Numeric { fill, .. }) => {
                let value = |x: f32| if x.is_nan() { fill.unwrap_or(0.0) } else { f64::from(x) };
                Ok(v.iter().map(|&x| value(x)).collect::<Vec<f64>>())
            }
            _ => Err(Error::invalid(
                "FeaturePipeline::fit",
                format!("image inputs must all be numeric, but column '{}' holds text", input.name),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let scaler = ChannelScaler::fit_columns(&slices, channels)?;
    let d = inputs.len();
    for (j, input) in inputs.iter_mut().enumerate() {
        if let Encoding::Numeric { shift, scale, .. } = &mut input.encoding {
            let c = scaler.channel_of(j, d);
            (*shift, *scale) = (scaler.mean[c], scaler.scale[c]);
        }
    }
    Ok(())
}

/// Mean and population standard deviation (1 for a constant column) of
/// `values` with missing ones replaced by `fill`, as scikit-learn's imputer
/// followed by its scaler computes them.
fn mean_and_scale(values: &[f32], fill: Option<f64>) -> (f64, f64) {
    let value = |x: f32| if x.is_nan() { fill.unwrap_or(0.0) } else { f64::from(x) };
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|&x| value(x)).sum::<f64>() / n;
    let var = values.iter().map(|&x| (value(x) - mean).powi(2)).sum::<f64>() / n;
    let std = var.sqrt();
    (mean, if std > 0.0 && std.is_finite() { std } else { 1.0 })
}

fn fit_target(name: &str, column: &Column, task: Task, scale: bool) -> Result<TargetEncoding> {
    match (task, column) {
        (Task::Classification, _) => Ok(TargetEncoding::Classes { encoder: LabelEncoder::fit(column)? }),
        (Task::Regression, Column::Numeric(v)) if scale => {
            let (shift, scale) = mean_and_scale(v, None);
            Ok(TargetEncoding::Values { shift, scale })
        }
        (Task::Regression, Column::Numeric(_)) => Ok(TargetEncoding::Values { shift: 0.0, scale: 1.0 }),
        (Task::Regression, Column::Text(_)) => Err(Error::invalid(
            "FeaturePipeline::fit",
            format!("target column '{name}' holds text, so it cannot be a regression target"),
        )),
    }
}

/// A column ready to be written into the feature matrix: every check done.
enum Prepared<'a> {
    Numeric { values: &'a [f32], shift: f64, scale: f64, fill: f64 },
    OneHot { values: &'a TextColumn, slots: Vec<Slot>, missing: Slot },
}

fn prepare<'a>(input: &InputColumn, column: &'a Column) -> Result<Prepared<'a>> {
    match (&input.encoding, column) {
        (&Encoding::Numeric { shift, scale, fill }, Column::Numeric(values)) => {
            let fill = match fill {
                Some(f) => f,
                None if values.iter().any(|x| x.is_nan()) => {
                    let msg = format!(
                        "column '{}' has missing values, and the model was trained without imputation",
                        input.name
                    );
                    return Err(Error::invalid("FeaturePipeline", msg));
                }
                None => f64::NAN,
            };
            Ok(Prepared::Numeric { values, shift, scale, fill })
        }
        (Encoding::OneHot { encoder }, Column::Text(values)) => {
            Ok(Prepared::OneHot { values, slots: encoder.slots(values)?, missing: encoder.missing_slot() })
        }
        (_, column) => {
            let trained = if column.is_numeric() { "text" } else { "numeric" };
            let msg =
                format!("column '{}' was {trained} in the training data but is {} here", input.name, column.kind());
            Err(Error::invalid("FeaturePipeline", msg))
        }
    }
}

impl Prepared<'_> {
    /// Writes rows `first..` of this column into columns `offset..` of `block`
    /// (whole rows of the `[n, d]` matrix, zeroed).
    fn write(&self, block: &mut [f32], first: usize, d: usize, offset: usize) {
        let rows = block.chunks_mut(d);
        match self {
            Prepared::Numeric { values, shift, scale, fill } => {
                for (row, &x) in rows.zip(&values[first..]) {
                    let x = if x.is_nan() { *fill } else { f64::from(x) };
                    row[offset] = ((x - shift) / scale) as f32;
                }
            }
            Prepared::OneHot { values, slots, missing } => {
                for (row, i) in rows.zip(first..) {
                    if let Some(k) = values.code_at(i).map_or(*missing, |c| slots[c]) {
                        row[offset + k] = 1.0;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(names: &[&str]) -> Table {
        let col = |name: &str| match name {
            "color" => Column::text(&["red", "blue", "red"]),
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
        let many: Vec<f32> = (0..=MAX_INFERRED_CLASSES).map(|i| i as f32).collect();
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
