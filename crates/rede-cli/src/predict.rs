//! `rede predict`: a saved model's predictions for every row of a data file.

use crate::error::CliError;
use crate::load::{model_csv_options, parse_delimiter, read_table, warn_unseen};
use crate::CliResult;
use clap::Args;
use rede::data::{Column, Table};
use rede::estimator::Estimator;
use rede::io::write_atomic;
use std::path::PathBuf;

/// `rede predict` arguments.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model file (from `rede train`).
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// Rows to predict: a CSV, .npy, .npz or .parquet file with the model's feature columns (a target
    /// column is ignored).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Write the predictions to this CSV file instead of stdout.
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// Add each class's probability (classifiers).
    #[arg(long)]
    pub proba: bool,
    /// Field separator of --data: one character, or `tab` [default: detected from the header]
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

pub fn run(args: &PredictArgs) -> CliResult<()> {
    let model = Estimator::load(&args.model)?;
    let options = model_csv_options(model.pipeline(), &args.data, args.delimiter, None)?;
    let table = read_table(&args.data, &options, false)?;
    warn_unseen(model.pipeline(), &table, &args.data);
    let in_file = |e: rede::Error| CliError::new(format!("{}: {}", args.data.display(), e));
    let target = model.pipeline().target_name().to_string();
    let ids = identifiers(&model, &table);
    let mut out = csv_row(&[target.as_str()]);
    match &model {
        Estimator::Classifier(c) => {
            let labels = c.predict_table(&table).map_err(in_file)?;
            let classes = c.classes();
            let proba =
                if args.proba { Some(c.predict_proba_table(&table).map_err(in_file)?.to_vec_f64()) } else { None };
            if args.proba {
                let header: Vec<String> =
                    std::iter::once(target.clone()).chain(classes.iter().map(|c| format!("p({c})"))).collect();
                out = csv_row(&header.iter().map(String::as_str).collect::<Vec<_>>());
            }
            for (i, label) in labels.iter().enumerate() {
                let mut fields = vec![label.clone()];
                if let Some(p) = &proba {
                    fields.extend(p[i * classes.len()..(i + 1) * classes.len()].iter().map(|v| format!("{v:.6}")));
                }
                out += &csv_row(&fields.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
        Estimator::Regressor(r) => {
            if args.proba {
                return Err(CliError::new("--proba needs a classifier; this model is a regressor"));
            }
            for v in r.predict_table(&table).map_err(in_file)? {
                out += &format!("{v}\n");
            }
        }
    }
    if let Some((name, values)) = &ids {
        out = with_first_column(&out, name, values);
    }
    match &args.out {
        Some(path) => {
            write_atomic(path, out.as_bytes())?;
            eprintln!("{} predictions written to {}", table.n_rows(), path.display());
        }
        None => print!("{out}"),
    }
    Ok(())
}

/// The model's identifier column and its values, when the table has it.
fn identifiers(model: &Estimator, table: &Table) -> Option<(String, Vec<String>)> {
    let name = model.pipeline().preprocessing().id_column.clone()?;
    let values = match table.column(&name)? {
        Column::Text(v) => v.iter().map(|s| s.unwrap_or_default().to_string()).collect(),
        Column::Numeric(v) => v.iter().map(|x| if x.is_nan() { String::new() } else { x.to_string() }).collect(),
    };
    Some((name, values))
}

/// `csv` (a header line, then one line per row) with the column `name` of `values` put first.
fn with_first_column(csv: &str, name: &str, values: &[String]) -> String {
    let firsts = std::iter::once(name).chain(values.iter().map(String::as_str));
    csv.lines().zip(firsts).map(|(line, first)| csv_row(&[first]).trim_end().to_string() + "," + line + "\n").collect()
}

/// One CSV line, quoting fields that need it.
fn csv_row(fields: &[&str]) -> String {
    let quoted: Vec<String> =
        fields
            .iter()
            .map(|f| {
                if f.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.to_string()
                }
            })
            .collect();
    quoted.join(",") + "\n"
}
