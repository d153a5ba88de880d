//! `rede eval`: a saved model's metrics on labelled data.

use crate::load::{model_csv_options, parse_delimiter, read_table, rename_column, warn_unseen};
use crate::report::Evaluation;
use crate::CliResult;
use clap::Args;
use rede::estimator::Estimator;
use rede::io::write_atomic;
use serde_json::{json, Value};
use std::path::PathBuf;

/// `rede eval` arguments.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The model file (from `rede train`).
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// Labelled data: a CSV, .npy, .npz or .parquet file with the model's feature columns and the
    /// target.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The target column (default: the one the model was trained on).
    #[arg(long, value_name = "COLUMN")]
    pub target: Option<String>,
    /// Also write the metrics as one JSON object.
    #[arg(long, value_name = "FILE")]
    pub metrics_json: Option<PathBuf>,
    /// Field separator of --data: one character, or `tab` [default: detected from the header]
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

pub fn run(args: &EvalArgs) -> CliResult<()> {
    let model = Estimator::load(&args.model)?;
    let trained_target = model.pipeline().target_name().to_string();
    let target = args.target.clone().unwrap_or(trained_target.clone());
    let options = model_csv_options(model.pipeline(), &args.data, args.delimiter, Some(&target))?;
    let mut table = read_table(&args.data, &options, false)?;
    warn_unseen(model.pipeline(), &table, &args.data);
    if target != trained_target {
        table = rename_column(&table, &target, &trained_target)?;
    }
    let evaluation = Evaluation::of(&model, &table)
        .map_err(|e| crate::error::CliError::new(format!("{}: {}", args.data.display(), e)))?;
    evaluation.print(&args.data.display().to_string(), table.n_rows());
    if let Some(path) = &args.metrics_json {
        let mut m = serde_json::Map::new();
        m.insert(
            "task".into(),
            json!(if model.pipeline().class_labels().is_some() { "classification" } else { "regression" }),
        );
        m.insert("model".into(), json!(args.model.display().to_string()));
        m.insert("data".into(), json!(args.data.display().to_string()));
        m.insert("n_test".into(), json!(table.n_rows()));
        m.extend(evaluation.json_fields());
        write_atomic(path, format!("{:#}\n", Value::Object(m)).as_bytes())?;
        println!("metrics written to {}", path.display());
    }
    Ok(())
}
