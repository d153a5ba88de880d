//! Built-in datasets by name: the embedded digits set and the synthetic sets.

use super::{synthetic, CsvOptions, Dataset, FeaturePipeline, PipelineOptions, Table, Task};
use crate::{Error, Result, Rng};
use std::io::Read;

/// The digits set (UCI optdigits as scikit-learn ships it, CC BY 4.0; see
/// `crates/rede/data/README.md`), gzip-compressed CSV.
static DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// The target column of [`digits`].
pub const DIGITS_TARGET: &str = "digit";

/// The handwritten digits: 1797 rows of 64 pixel columns `p0`…`p63`
/// (8×8 images, values 0..16, row by row) and the class column `digit` (0–9).
pub fn digits() -> Result<Table> {
    let source = "digits.csv.gz (built in)";
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_end(&mut text)
        .map_err(|e| Error::file(source, format!("cannot decompress: {e}")))?;
    super::read_csv_from(
        text.as_slice(),
        source,
        &CsvOptions { target: Some(DIGITS_TARGET.into()), ..Default::default() },
    )
}

/// A dataset's name and what it is, for listings.
#[derive(Clone, Copy, Debug)]
pub struct DatasetInfo {
    /// The name [`by_name`] takes.
    pub name: &'static str,
    /// One line about it.
    pub description: &'static str,
}

/// Every dataset [`by_name`] knows.
pub const DATASETS: &[DatasetInfo] = &[
    DatasetInfo {
        name: "digits", description: "1797 handwritten digits, 8×8 pixels (64 features, 0..16), 10 classes"
    },
    DatasetInfo { name: "moons", description: "1000 points on two interleaving half circles, 2 classes" },
    DatasetInfo { name: "circles", description: "1000 points on two concentric circles, 2 classes" },
    DatasetInfo { name: "spirals", description: "1000 points on two interleaved spirals (1.5 turns), 2 classes" },
    DatasetInfo { name: "xor", description: "1000 points in four clusters at (±1, ±1), XOR labels, 2 classes" },
    DatasetInfo { name: "blobs", description: "1000 points in three Gaussian clusters, 3 classes" },
    DatasetInfo { name: "sine", description: "500 points of y = sin x + noise, x in [−π, π] (regression)" },
    // MNIST: its loader adds an entry here and an arm in `by_name`.
];

/// A named dataset as a table, with its target column and task.
#[derive(Clone, Debug)]
pub struct NamedData {
    /// Features and target.
    pub table: Table,
    /// The target column's name.
    pub target: String,
    /// Classification or regression.
    pub task: Task,
}

impl NamedData {
    /// The raw features and targets as tensors (nothing standardized):
    /// f32 `[n, d]` and class indices `[n]` or values `[n, 1]`.
    pub fn dataset(&self) -> Result<Dataset> {
        let options = PipelineOptions { standardize: false, task: Some(self.task), ..Default::default() };
        FeaturePipeline::fit(&self.table, &self.target, &options)?.dataset(&self.table)
    }
}

/// The dataset called `name` (see [`DATASETS`]); `seed` draws the synthetic ones.
pub fn by_name(name: &str, seed: u64) -> Result<NamedData> {
    let rng = &mut Rng::seed(seed);
    let synthetic = match name {
        "digits" => {
            return Ok(NamedData { table: digits()?, target: DIGITS_TARGET.into(), task: Task::Classification })
        }
        "moons" => synthetic::moons(1000, 0.1, rng)?,
        "circles" => synthetic::circles(1000, 0.05, 0.5, rng)?,
        "spirals" => synthetic::spirals(1000, 0.05, 1.5, rng)?,
        "xor" => synthetic::xor(1000, 0.3, rng)?,
        "blobs" => synthetic::blobs(1000, 3, 1.0, rng)?,
        "sine" => synthetic::sine(500, 0.1, rng)?,
        // MNIST goes here.
        _ => {
            let names: Vec<&str> = DATASETS.iter().map(|d| d.name).collect();
            let msg = format!("unknown dataset '{name}'; the built-in ones are: {}", names.join(", "));
            return Err(Error::invalid("datasets::by_name", msg));
        }
    };
    let (features, task) = match name {
        "sine" => (vec!["x".to_string()], Task::Regression),
        _ => (vec!["x0".to_string(), "x1".to_string()], Task::Classification),
    };
    Ok(NamedData { table: Table::from_dataset(&synthetic, &features, "y")?, target: "y".into(), task })
}
