//! Checking the estimators' inputs and turning tensors into tables, so that
//! tensors and CSV tables go through one feature pipeline.

use crate::data::{Column, Table};
use crate::{Error, Result, Tensor};

/// The name of the target column of a table made from tensors.
pub(crate) const TENSOR_TARGET: &str = "y";

/// The feature names of a table made from an `[n, d]` tensor: `x0`, `x1`, …
pub(crate) fn tensor_feature_names(d: usize) -> Vec<String> {
    (0..d).map(|j| format!("x{j}")).collect()
}

/// Checks `x` is a non-empty `[n, d]` tensor of finite numbers and returns `(n, d)`.
pub(crate) fn check_features(op: &'static str, x: &Tensor) -> Result<(usize, usize)> {
    let (n, d) = match *x.shape() {
        [n, d] => (n, d),
        _ => {
            return Err(Error::invalid(
                op,
                format!("features must be a 2-D tensor [samples, features], got shape {:?}", x.shape()),
            ))
        }
    };
    if n == 0 || d == 0 {
        return Err(Error::invalid(op, format!("empty data: features of shape {:?}", x.shape())));
    }
    check_finite(op, "features", x)?;
    Ok((n, d))
}

/// Checks `y` holds one finite value per sample.
pub(crate) fn check_targets(op: &'static str, y: &Tensor, n: usize) -> Result<()> {
    let per_sample = matches!(y.shape(), [m] | [m, 1] if *m == n);
    if !per_sample {
        return Err(Error::invalid(
            op,
            format!("{n} samples in the features but targets of shape {:?} (expected [{n}] or [{n}, 1])", y.shape()),
        ));
    }
    check_finite(op, "targets", y)
}

fn check_finite(op: &'static str, what: &str, t: &Tensor) -> Result<()> {
    if let Some(i) = t.to_vec_f64().iter().position(|v| !v.is_finite()) {
        let value = t.to_vec_f64()[i];
        let index =
            if t.rank() == 2 { format!("[{}, {}]", i / t.shape()[1], i % t.shape()[1]) } else { format!("[{i}]") };
        return Err(Error::invalid(op, format!("{what} contain {value} at {index}; all values must be finite")));
    }
    Ok(())
}

/// The numeric columns `x0…` of `x` (checked), with the targets as column `y` if given.
pub(crate) fn tensor_table(op: &'static str, x: &Tensor, y: Option<&Tensor>) -> Result<Table> {
    let (n, d) = check_features(op, x)?;
    let values = x.to_vec_f32();
    let mut columns: Vec<(String, Column)> = tensor_feature_names(d)
        .into_iter()
        .enumerate()
        .map(|(j, name)| (name, Column::Numeric((0..n).map(|i| values[i * d + j]).collect())))
        .collect();
    if let Some(y) = y {
        check_targets(op, y, n)?;
        columns.push((TENSOR_TARGET.to_string(), Column::Numeric(y.to_vec_f32())));
    }
    Table::new(columns)
}

/// Checks a table has rows and the target column.
pub(crate) fn check_table(op: &'static str, table: &Table, target: &str) -> Result<()> {
    if table.n_rows() == 0 {
        return Err(Error::invalid(op, "empty data: the table has no rows"));
    }
    if table.column(target).is_none() {
        return Err(Error::invalid(
            op,
            format!("unknown target column '{target}'; the columns are: {}", table.names().join(", ")),
        ));
    }
    Ok(())
}
