//! Reading the data a subcommand works on: data files (CSV, NumPy, Parquet;
//! by extension), built-in datasets, MNIST.

use crate::error::CliError;
use crate::CliResult;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rede::data::{
    self, datasets, Column, CsvOptions, FeaturePipeline, Impute, LabelEncoder, Preprocessing, Table, Task,
};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Files at least this large show a progress bar while they are read (on a
/// terminal) and a line saying how long reading took.
const LARGE_FILE: u64 = 32 << 20;

/// A text column with more distinct values than this looks like an identifier.
const IDENTIFIER_CATEGORIES: usize = 1000;

/// How data files are read and their columns prepared (the delimiter: CSV files only).
#[derive(Args, Clone, Debug, Default)]
pub struct DataOptions {
    /// Field separator of the CSV files: one character, or `tab` [default: the one of , ; tab |
    /// that the header line uses most]
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// More cells that mean a missing value, comma-separated (empty, NA, N/A, nan, null and their
    /// usual spellings always do)
    #[arg(long, value_delimiter = ',', value_name = "TOKEN[,TOKEN...]")]
    pub na_values: Vec<String>,
    /// Fill missing values of numeric columns with the training data's mean, median or most
    /// frequent value, or constant:VALUE; text columns get a "missing" category. Without it a
    /// missing value is an error
    #[arg(long, value_name = "STRATEGY", value_parser = parse::<Impute>)]
    pub impute: Option<Impute>,
    /// Columns to leave out, comma-separated
    #[arg(long, value_delimiter = ',', value_name = "COL[,COL...]")]
    pub drop: Vec<String>,
    /// A column that identifies rows: left out of the features; `rede predict` copies it to its
    /// output
    #[arg(long, value_name = "COL")]
    pub id_column: Option<String>,
    /// Keep at most N categories per text column, the most frequent; the rest (and categories
    /// unseen in training) share one "other" feature
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_categories: Option<u32>,
    /// Read these columns as text (categories) even when they hold numbers, comma-separated
    #[arg(long, value_delimiter = ',', value_name = "COL[,COL...]")]
    pub categorical: Vec<String>,
}

/// A `--delimiter` value: one character, or `tab`.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s.as_bytes() {
        _ if s == "tab" || s == "\\t" => Ok(b'\t'),
        [b] if *b != b'"' && *b != b'\n' && *b != b'\r' => Ok(*b),
        _ => Err(format!("'{s}' is not a one-character delimiter (or tab)")),
    }
}

fn parse<T: std::str::FromStr<Err = rede::Error>>(s: &str) -> Result<T, String> {
    s.parse::<T>().map_err(|e| match e {
        rede::Error::Invalid { msg, .. } => msg,
        other => other.to_string(),
    })
}

impl DataOptions {
    /// What the fitted pipeline records: imputation, categories, left-out columns.
    pub fn preprocessing(&self) -> Preprocessing {
        Preprocessing {
            impute: self.impute,
            max_categories: self.max_categories.map(|n| n as usize),
            ignore: self.drop.clone(),
            id_column: self.id_column.clone(),
            na_values: self.na_values.clone(),
        }
    }

    /// How to read a training file: the identifier column is not read at all.
    fn csv_options(&self, target: &str) -> CsvOptions {
        CsvOptions {
            delimiter: self.delimiter,
            target: Some(target.to_string()),
            allow_missing: self.impute.is_some(),
            na_values: self.na_values.clone(),
            categorical: self.categorical.clone(),
            drop: self.drop.iter().chain(&self.id_column).cloned().collect(),
        }
    }
}

/// How to read a file for a saved model: its missing-value tokens and
/// imputation, its text columns as text, and the identifier column (if the
/// file has it) as text.
pub fn model_csv_options(
    pipeline: &FeaturePipeline,
    path: &Path,
    delimiter: Option<u8>,
    target: Option<&str>,
) -> CliResult<CsvOptions> {
    let names = data::read_column_names(path, delimiter)?;
    let prep = pipeline.preprocessing();
    let wanted = pipeline.text_columns().into_iter().chain(prep.id_column.as_deref());
    Ok(CsvOptions {
        delimiter,
        target: target.map(str::to_string),
        allow_missing: prep.impute.is_some(),
        na_values: prep.na_values.clone(),
        categorical: wanted.filter(|c| names.iter().any(|n| n == c)).map(str::to_string).collect(),
        drop: prep.ignore.iter().filter(|c| names.contains(c)).cloned().collect(),
    })
}

/// Reads a data file in the format its extension names; a large one shows its
/// progress (unless `quiet`).
pub fn read_table(path: &Path, options: &CsvOptions, quiet: bool) -> CliResult<Table> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if quiet || size < LARGE_FILE {
        return Ok(data::read_table(path, options)?);
    }
    let started = Instant::now();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(size);
        let style = ProgressStyle::with_template("reading [{bar:30}] {bytes}/{total_bytes} ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> ");
        bar.set_style(style);
        bar
    });
    let table = data::read_table_with_progress(path, options, &mut |done, _| {
        if let Some(bar) = &bar {
            bar.set_position(done);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let table = table?;
    eprintln!(
        "read {}: {} rows × {} columns in {:.1}s",
        path.display(),
        table.n_rows(),
        table.n_columns(),
        started.elapsed().as_secs_f64()
    );
    Ok(table)
}

/// One warning line for each text feature column that looks like an
/// identifier: more than half its values distinct (among 20 or more), or
/// more than [`IDENTIFIER_CATEGORIES`] categories.
pub fn warn_identifiers(table: &Table, target: &str) {
    for (name, column) in table.iter().filter(|(name, _)| *name != target) {
        let Column::Text(values) = column else { continue };
        let distinct = values.n_distinct();
        // A handful of distinct values in a tiny file is no identifier.
        let most_distinct = distinct >= 20 && distinct * 2 > values.len();
        if most_distinct || distinct > IDENTIFIER_CATEGORIES {
            eprintln!(
                "rede: warning: text column '{name}' looks like an identifier ({distinct} distinct values in {} \
                 rows, each a feature of its own); leave it out with --drop {name}",
                values.len()
            );
        }
    }
}

/// One warning line when `table` has categories the model never saw, with counts.
pub fn warn_unseen(pipeline: &FeaturePipeline, table: &Table, source: &Path) {
    let unseen = pipeline.unseen_categories(table);
    if unseen.is_empty() {
        return;
    }
    let parts: Vec<String> =
        unseen.iter().map(|u| format!("'{}': {} rows, {} values", u.column, u.rows, u.distinct)).collect();
    eprintln!(
        "rede: warning: {}: categories unseen in training (encoded as \"other\" where the model has it, else as \
         all zeros) in column {}",
        source.display(),
        parts.join("; column ")
    );
}

/// Where training data comes from.
pub enum Source<'a> {
    /// A data file, its target column and how to read it.
    Csv { path: &'a Path, target: &'a str, options: &'a DataOptions, quiet: bool },
    /// A built-in dataset by name (MNIST's files looked for in `data_dir` first).
    Builtin { name: &'a str, data_dir: Option<&'a PathBuf> },
}

/// Training and test tables with what the run needs to know about them.
pub struct Split {
    /// What the data is called in reports (the file or the dataset's name).
    pub name: String,
    /// Rows to train on.
    pub train: Table,
    /// Rows to test on.
    pub test: Table,
    /// The target column.
    pub target: String,
    /// The task the data suggests (the dataset's own, or inferred from the target column).
    pub task: Task,
    /// Missing values, categories and left-out columns, for the feature pipeline.
    pub preprocessing: Preprocessing,
}

/// How to get a test set when the source has none of its own.
pub struct TestPart<'a> {
    /// A separate test file.
    pub file: Option<&'a Path>,
    /// Else this share of the rows, held out (stratified for classification).
    pub fraction: f64,
    /// Seed of the split.
    pub seed: u64,
}

/// Loads the data and splits off the test part.
pub fn training_split(source: &Source, test: &TestPart, task: Option<Task>) -> CliResult<Split> {
    let (name, table, target, dataset_task, preprocessing) = match source {
        Source::Csv { path, target, options, quiet } => {
            let table = read_table(path, &options.csv_options(target), *quiet)?;
            if !quiet {
                warn_identifiers(&table, target);
            }
            (path.display().to_string(), table, target.to_string(), None, options.preprocessing())
        }
        Source::Builtin { name: "mnist", data_dir } => return mnist(data_dir.map(PathBuf::as_path)),
        Source::Builtin { name, .. } => {
            let named = datasets::by_name(name, test.seed)?;
            (name.to_string(), named.table, named.target, Some(named.task), Preprocessing::default())
        }
    };
    let column = table.column(&target).expect("the reader checked the target column");
    let task = task.or(dataset_task).unwrap_or_else(|| Task::infer(column));
    if task == Task::Regression && !column.is_numeric() {
        return Err(CliError::new(format!(
            "{name}: target column '{target}' holds text, so it cannot be a regression target"
        )));
    }
    let (train, test) = match (test.file, source) {
        (Some(file), Source::Csv { options, quiet, .. }) => {
            (table, read_table(file, &options.csv_options(&target), *quiet)?)
        }
        (Some(file), Source::Builtin { .. }) => {
            let options = CsvOptions { target: Some(target.clone()), ..Default::default() };
            (table, read_table(file, &options, false)?)
        }
        (None, _) => split_rows(&name, table, &target, task, test)?,
    };
    Ok(Split { name, train, test, target, task, preprocessing })
}

/// Holds out `test.fraction` of the rows (per class for classification).
fn split_rows(name: &str, table: Table, target: &str, task: Task, test: &TestPart) -> CliResult<(Table, Table)> {
    if !(test.fraction > 0.0 && test.fraction < 1.0) {
        return Err(CliError::new(format!(
            "--test-fraction must be between 0 and 1 (exclusive), got {}",
            test.fraction
        )));
    }
    let column = table.column(target).expect("checked");
    let split = match task {
        Task::Classification => {
            let labels = LabelEncoder::fit(column)?.transform(column)?;
            data::stratified_split(&labels, test.fraction, test.seed)
        }
        Task::Regression => data::train_test_split(table.n_rows(), test.fraction, test.seed),
    };
    let (train, held_out) = split.map_err(|e| CliError::new(format!("{name}: {} rows: {e}", table.n_rows())))?;
    Ok(table.split_rows(&train, &held_out)?)
}

/// MNIST's official training and test sets as tables of pixels `p0`…`p783` and `digit`.
fn mnist(dir: Option<&Path>) -> CliResult<Split> {
    let m = data::Mnist::load(dir)?;
    let names: Vec<String> = (0..784).map(|j| format!("p{j}")).collect();
    let table = |d: data::Dataset| -> CliResult<Table> { Ok(Table::from_dataset(&d, &names, "digit")?) };
    Ok(Split {
        name: "mnist".into(),
        train: table(m.train()?)?,
        test: table(m.test()?)?,
        target: "digit".into(),
        task: Task::Classification,
        preprocessing: Preprocessing::default(),
    })
}

/// The values of a numeric column (regression targets).
pub fn numeric(table: &Table, name: &str) -> CliResult<Vec<f64>> {
    match table.column(name) {
        Some(Column::Numeric(v)) => Ok(v.iter().map(|&x| f64::from(x)).collect()),
        Some(Column::Text(_)) => Err(CliError::new(format!("target column '{name}' holds text, not numbers"))),
        None => Err(CliError::new(format!("no target column '{name}'"))),
    }
}

/// `table` with column `from` called `to` (to evaluate on a differently named target).
pub fn rename_column(table: &Table, from: &str, to: &str) -> CliResult<Table> {
    let columns = table.iter().map(|(name, c)| (if name == from { to } else { name }.to_string(), c.clone())).collect();
    Ok(Table::new(columns)?)
}
