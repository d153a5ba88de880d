//! Missing values: the cells that mean "no value", and how a numeric column
//! fills them ([`Impute`]). Text columns give missing cells a category of
//! their own.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Cells read as missing in every file (compared after trimming spaces,
/// case-sensitively, as pandas does): empty, `NA`, `N/A`, `nan`, `null` and
/// their usual spellings.
pub const NA_TOKENS: &[&str] = &["", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "None", "<NA>"];

/// How a numeric column's missing values are filled; the value is learnt on
/// the training data and stored with the model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    /// The mean of the present values.
    Mean,
    /// Their median.
    Median,
    /// The most frequent value (ties: the smallest).
    MostFrequent,
    /// A fixed value.
    Constant(f64),
}

impl std::str::FromStr for Impute {
    type Err = Error;

    /// `mean`, `median`, `most-frequent` or `constant:VALUE`.
    fn from_str(s: &str) -> Result<Impute> {
        let bad = || {
            Error::invalid(
                "Impute",
                format!("'{s}' is not an imputation strategy (mean, median, most-frequent, constant:VALUE)"),
            )
        };
        match s {
            "mean" => Ok(Impute::Mean),
            "median" => Ok(Impute::Median),
            "most-frequent" | "most_frequent" => Ok(Impute::MostFrequent),
            _ => {
                let value = s.strip_prefix("constant:").ok_or_else(bad)?;
                match value.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() && (v as f32).is_finite() => Ok(Impute::Constant(v)),
                    _ => Err(bad()),
                }
            }
        }
    }
}

impl Impute {
    /// The fill value of a column from its values (NaN: missing); `None`
    /// when no value is present and the strategy needs one.
    pub fn fill_value(&self, values: &[f32]) -> Option<f64> {
        if let Impute::Constant(v) = self {
            return Some(*v);
        }
        let mut present: Vec<f32> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        if present.is_empty() {
            return None;
        }
        Some(match self {
            Impute::Mean => present.iter().map(|&x| f64::from(x)).sum::<f64>() / present.len() as f64,
            Impute::Median => median(&mut present),
            Impute::MostFrequent => most_frequent(&mut present),
            Impute::Constant(_) => unreachable!("returned above"),
        })
    }
}

/// The median (the mean of the two middle values for an even count), as NumPy computes it.
fn median(values: &mut [f32]) -> f64 {
    values.sort_unstable_by(f32::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        f64::from(values[mid])
    } else {
        (f64::from(values[mid - 1]) + f64::from(values[mid])) / 2.0
    }
}

/// The most frequent value; among equally frequent ones the smallest (scikit-learn's rule).
fn most_frequent(values: &mut [f32]) -> f64 {
    values.sort_unstable_by(f32::total_cmp);
    let (mut best, mut best_run) = (values[0], 0);
    for run in values.chunk_by(|a, b| a == b) {
        if run.len() > best_run {
            (best, best_run) = (run[0], run.len());
        }
    }
    f64::from(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_parse_and_reject_nonsense() {
        assert_eq!("mean".parse::<Impute>().unwrap(), Impute::Mean);
        assert_eq!("most-frequent".parse::<Impute>().unwrap(), Impute::MostFrequent);
        assert_eq!("constant:-1.5".parse::<Impute>().unwrap(), Impute::Constant(-1.5));
        for bad in ["avg", "constant:", "constant:x", "constant:1e39"] {
            assert!(bad.parse::<Impute>().is_err(), "{bad}");
        }
    }

    #[test]
    fn fill_values_skip_missing_cells() {
        let v = [1.0, f32::NAN, 4.0, 4.0, 10.0];
        assert_eq!(Impute::Mean.fill_value(&v), Some(4.75));
        assert_eq!(Impute::Median.fill_value(&v), Some(4.0));
        assert_eq!(Impute::MostFrequent.fill_value(&v), Some(4.0));
        assert_eq!(Impute::Median.fill_value(&[3.0, 1.0]), Some(2.0));
        assert_eq!(Impute::MostFrequent.fill_value(&[3.0, 1.0]), Some(1.0));
        assert_eq!(Impute::Mean.fill_value(&[f32::NAN]), None);
        assert_eq!(Impute::Constant(7.0).fill_value(&[f32::NAN]), Some(7.0));
    }
}
