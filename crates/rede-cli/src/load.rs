//! Reading the data a subcommand works on: CSV files, built-in datasets, MNIST.

use crate::error::CliError;
use crate::CliResult;
use rede::data::{self, datasets, Column, CsvOptions, LabelEncoder, Table, Task};
use std::path::{Path, PathBuf};

/// Reads a CSV file; with `target`, fails unless the file has that column.
pub fn read_table(path: &Path, target: Option<&str>) -> CliResult<Table> {
    let options = CsvOptions { target: target.map(str::to_string), ..Default::default() };
    Ok(data::read_csv(path, &options)?)
}

/// Where training data comes from.
pub enum Source<'a> {
    /// A CSV file and its target column.
    Csv { path: &'a Path, target: &'a str },
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
}

/// How to get a test set when the source has none of its own.
pub struct TestPart<'a> {
    /// A separate test CSV file.
    pub file: Option<&'a Path>,
    /// Else this share of the rows, held out (stratified for classification).
    pub fraction: f64,
    /// Seed of the split.
    pub seed: u64,
}

/// Loads the data and splits off the test part.
pub fn training_split(source: &Source, test: &TestPart, task: Option<Task>) -> CliResult<Split> {
    let (name, table, target, dataset_task) = match source {
        Source::Csv { path, target } => {
            (path.display().to_string(), read_table(path, Some(target))?, target.to_string(), None)
        }
        Source::Builtin { name: "mnist", data_dir } => return mnist(data_dir.map(PathBuf::as_path)),
        Source::Builtin { name, .. } => {
            let named = datasets::by_name(name, test.seed)?;
            (name.to_string(), named.table, named.target, Some(named.task))
        }
    };
    let column = table.column(&target).expect("the reader checked the target column");
    let task = task.or(dataset_task).unwrap_or_else(|| Task::infer(column));
    if task == Task::Regression && !column.is_numeric() {
        return Err(CliError::new(format!(
            "{name}: target column '{target}' holds text, so it cannot be a regression target"
        )));
    }
    let (train, test) = match test.file {
        Some(file) => (table, read_table(file, Some(&target))?),
        None => split_rows(&name, &table, &target, task, test)?,
    };
    Ok(Split { name, train, test, target, task })
}

/// Holds out `test.fraction` of the rows (per class for classification).
fn split_rows(name: &str, table: &Table, target: &str, task: Task, test: &TestPart) -> CliResult<(Table, Table)> {
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
    Ok((table.rows(&train)?, table.rows(&held_out)?))
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
    })
}

/// The values of a numeric column (regression targets).
pub fn numeric(table: &Table, name: &str) -> CliResult<Vec<f64>> {
    match table.column(name) {
        Some(Column::Numeric(v)) => Ok(v.clone()),
        Some(Column::Text(_)) => Err(CliError::new(format!("target column '{name}' holds text, not numbers"))),
        None => Err(CliError::new(format!("no target column '{name}'"))),
    }
}

/// `table` with column `from` called `to` (to evaluate on a differently named target).
pub fn rename_column(table: &Table, from: &str, to: &str) -> CliResult<Table> {
    let columns = table.iter().map(|(name, c)| (if name == from { to } else { name }.to_string(), c.clone())).collect();
    Ok(Table::new(columns)?)
}
