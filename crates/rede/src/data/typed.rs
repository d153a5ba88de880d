//! [`CsvOptions`] applied to columns that a binary format (NumPy, Parquet)
//! gives already typed, so that `target`, `drop`, `categorical`,
//! `na_values` and `allow_missing` mean the same as for a CSV file.

use super::csv::NaTokens;
use super::{Column, CsvOptions, Table, TextColumn};

/// Checks that the columns `options` names exist, with the CSV reader's messages.
pub(super) fn check_names(names: &[String], options: &CsvOptions) -> Result<(), String> {
    let known = |what: &str, list: &[String]| -> Result<(), String> {
        match list.iter().find(|n| !names.contains(n)) {
            Some(n) => Err(format!("unknown {what} column '{n}'; the columns are: {}", names.join(", "))),
            None => Ok(()),
        }
    };
    known("target", options.target.as_slice())?;
    known("--drop", &options.drop)?;
    known("--categorical", &options.categorical)?;
    match options.target.as_ref().filter(|t| options.drop.contains(t)) {
        Some(t) => Err(format!("the target column '{t}' cannot be dropped")),
        None => Ok(()),
    }
}

/// The table of `columns` as `options` asks: dropped columns left out,
/// categorical ones as text, missing-value tokens as missing cells, and
/// missing cells refused unless allowed (never in the target).
pub(super) fn finish(columns: Vec<(String, Column)>, options: &CsvOptions) -> Result<Table, String> {
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    if let Some(dup) = super::table::first_duplicate(&names) {
        return Err(format!("duplicate column name '{dup}'"));
    }
    check_names(&names, options)?;
    let na = NaTokens::new(&options.na_values);
    // Numeric tokens (`-999`) mark missing numbers, as they do in a CSV cell.
    let na_numbers: Vec<f32> = options.na_values.iter().filter_map(|t| t.trim().parse().ok()).collect();
    let mut kept = Vec::with_capacity(columns.len());
    for (name, column) in columns.into_iter().filter(|(n, _)| !options.drop.contains(n)) {
        let column = match column {
            Column::Numeric(v) if options.categorical.contains(&name) => Column::Text(as_text(&v)),
            Column::Numeric(mut v) => {
                for x in v.iter_mut().filter(|x| na_numbers.contains(&**x)) {
                    *x = f32::NAN;
                }
                Column::Numeric(v)
            }
            Column::Text(t) => Column::Text(t.mark_missing(|s| na.is_missing(s.trim().as_bytes()))),
        };
        check_missing(&name, &column, options)?;
        kept.push((name, column));
    }
    if kept.is_empty() {
        return Err("every column is dropped".into());
    }
    if kept[0].1.is_empty() {
        return Err("no data rows".into());
    }
    Table::new(kept).map_err(|e| e.to_string())
}

/// Numbers as category names, written as the CSV reader would have read them (`3`, `2.5`).
fn as_text(values: &[f32]) -> TextColumn {
    TextColumn::from_options(values.iter().map(|v| (!v.is_nan()).then(|| v.to_string())))
}

/// An error for the first missing cell where none may be.
fn check_missing(name: &str, column: &Column, options: &CsvOptions) -> Result<(), String> {
    let first = match column {
        Column::Numeric(v) => v.iter().position(|x| x.is_nan()),
        Column::Text(t) => t.iter().position(|s| s.is_none()),
    };
    let Some(row) = first else { return Ok(()) };
    if column.n_missing() == column.len() {
        return Err(format!("column '{name}' is empty (missing) in every row"));
    }
    let at = format!("column '{name}', row {row} (0-based): missing value");
    if options.target.as_deref() == Some(name) {
        Err(format!("{at} in the target column (remove the row)"))
    } else if !options.allow_missing {
        Err(format!(
            "{at} (missing values need imputation: --impute mean|median|most-frequent|constant:VALUE on the \
             command line)"
        ))
    } else {
        Ok(())
    }
}
