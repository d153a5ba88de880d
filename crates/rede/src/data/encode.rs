//! Encoders for text features (one-hot) and class labels (indices).

use super::Column;
use crate::{Error, Result, Tensor};
use serde::{Deserialize, Serialize};

/// What [`OneHotEncoder`] does with a category it did not see when fitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownCategory {
    /// Fail, naming the column and the value.
    #[default]
    Error,
    /// Encode it as an all-zero row.
    Zeros,
}

/// One indicator column per category of a text column. Categories are
/// sorted, as scikit-learn sorts them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    /// The column's name, for feature names and messages.
    pub column: String,
    /// The categories seen when fitted, sorted.
    pub categories: Vec<String>,
    /// What to do with a category not in `categories`.
    pub unknown: UnknownCategory,
}

impl OneHotEncoder {
    /// Learns the categories of column `column` from its values.
    pub fn fit<S: AsRef<str>>(column: &str, values: &[S], unknown: UnknownCategory) -> Result<Self> {
        let mut categories: Vec<String> = values.iter().map(|v| v.as_ref().to_string()).collect();
        categories.sort_unstable();
        categories.dedup();
        if categories.is_empty() {
            return Err(Error::invalid("OneHotEncoder::fit", format!("column '{column}' has no values")));
        }
        Ok(OneHotEncoder { column: column.to_string(), categories, unknown })
    }

    /// Number of indicator columns (one per category).
    pub fn width(&self) -> usize {
        self.categories.len()
    }

    /// `column=category` for each indicator column.
    pub fn feature_names(&self) -> Vec<String> {
        self.categories.iter().map(|c| format!("{}={c}", self.column)).collect()
    }

    /// Writes the indicators of `value` into `out` (length [`OneHotEncoder::width`], zeroed by the caller).
    pub fn encode_into(&self, value: &str, out: &mut [f32]) -> Result<()> {
        match self.categories.binary_search_by(|c| c.as_str().cmp(value)) {
            Ok(k) => out[k] = 1.0,
            Err(_) if self.unknown == UnknownCategory::Zeros => {}
            Err(_) => {
                let msg = format!(
                    "column '{}': unknown category '{value}' (known: {})",
                    self.column,
                    self.categories.join(", ")
                );
                return Err(Error::invalid("OneHotEncoder", msg));
            }
        }
        Ok(())
    }

    /// The indicators of `values` as an f32 tensor `[n, width]`.
    pub fn transform<S: AsRef<str>>(&self, values: &[S]) -> Result<Tensor> {
        let k = self.width();
        let mut out = vec![0.0f32; values.len() * k];
        for (row, v) in out.chunks_mut(k).zip(values) {
            self.encode_into(v.as_ref(), row)?;
        }
        Tensor::from_vec(out, &[values.len(), k])
    }
}

/// The classes a [`LabelEncoder`] knows, sorted (text by code point,
/// numbers numerically — as scikit-learn sorts them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classes {
    /// Text labels.
    Text(Vec<String>),
    /// Whole-number labels from a numeric column.
    Integer(Vec<i64>),
}

/// Maps class labels to indices `0..n_classes` and back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelEncoder {
    /// The known classes; a label's index is its position here.
    pub classes: Classes,
}

impl LabelEncoder {
    /// Learns the classes of a column: text labels, or numbers that are all
    /// whole (2.0 is class "2"; 2.5 is an error).
    pub fn fit(labels: &Column) -> Result<Self> {
        let classes = match labels {
            Column::Text(v) => {
                let mut c = v.clone();
                c.sort_unstable();
                c.dedup();
                Classes::Text(c)
            }
            Column::Numeric(v) => {
                let mut c = v.iter().map(|&x| whole("LabelEncoder::fit", x)).collect::<Result<Vec<_>>>()?;
                c.sort_unstable();
                c.dedup();
                Classes::Integer(c)
            }
        };
        let encoder = LabelEncoder { classes };
        if encoder.n_classes() == 0 {
            return Err(Error::invalid("LabelEncoder::fit", "no labels"));
        }
        Ok(encoder)
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        match &self.classes {
            Classes::Text(c) => c.len(),
            Classes::Integer(c) => c.len(),
        }
    }

    /// The class labels as text, in index order.
    pub fn labels(&self) -> Vec<String> {
        match &self.classes {
            Classes::Text(c) => c.clone(),
            Classes::Integer(c) => c.iter().map(i64::to_string).collect(),
        }
    }

    /// The index of each label; an unknown label is an error naming it.
    pub fn transform(&self, labels: &Column) -> Result<Vec<usize>> {
        let unknown = |label: String| {
            Error::invalid(
                "LabelEncoder::transform",
                format!("unknown class '{label}' (known: {})", self.labels().join(", ")),
            )
        };
        match (&self.classes, labels) {
            (Classes::Text(c), Column::Text(v)) => {
                v.iter().map(|l| c.binary_search(l).map_err(|_| unknown(l.clone()))).collect()
            }
            (Classes::Integer(c), Column::Numeric(v)) => v
                .iter()
                .map(|&x| {
                    let k = whole("LabelEncoder::transform", x)?;
                    c.binary_search(&k).map_err(|_| unknown(k.to_string()))
                })
                .collect(),
            (_, col) => Err(Error::invalid(
                "LabelEncoder::transform",
                format!("the classes were learnt from {} labels, got a {} column", self.kind(), col.kind()),
            )),
        }
    }

    fn kind(&self) -> &'static str {
        match self.classes {
            Classes::Text(_) => "text",
            Classes::Integer(_) => "numeric",
        }
    }
}

/// `x` as a whole number, or an error saying it cannot be a class label.
fn whole(op: &'static str, x: f64) -> Result<i64> {
    // 2^53: beyond it not every whole number is representable.
    if x.fract() != 0.0 || x.abs() > 9_007_199_254_740_992.0 {
        return Err(Error::invalid(op, format!("{x} is not a whole number, so it cannot be a class label")));
    }
    Ok(x as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hot_sorts_categories_and_handles_unknowns_by_option() {
        let enc = OneHotEncoder::fit("color", &["red", "blue", "red", "green"], UnknownCategory::Error).unwrap();
        assert_eq!(enc.feature_names(), vec!["color=blue", "color=green", "color=red"]);
        assert_eq!(enc.transform(&["red", "blue"]).unwrap().to_vec_f32(), vec![0., 0., 1., 1., 0., 0.]);
        let err = enc.transform(&["pink"]).unwrap_err().to_string();
        assert!(err.contains("column 'color': unknown category 'pink'"), "{err}");
        let lenient = OneHotEncoder { unknown: UnknownCategory::Zeros, ..enc };
        assert_eq!(lenient.transform(&["pink"]).unwrap().to_vec_f32(), vec![0., 0., 0.]);
    }

    #[test]
    fn label_encoder_sorts_text_and_numbers_like_scikit_learn() {
        let text = LabelEncoder::fit(&Column::Text(vec!["b".into(), "a".into(), "b".into()])).unwrap();
        assert_eq!(text.labels(), vec!["a", "b"]);
        assert_eq!(text.transform(&Column::Text(vec!["b".into(), "a".into()])).unwrap(), vec![1, 0]);
        let nums = LabelEncoder::fit(&Column::Numeric(vec![10.0, 2.0, -1.0, 2.0])).unwrap();
        assert_eq!(nums.labels(), vec!["-1", "2", "10"]);
        assert_eq!(nums.transform(&Column::Numeric(vec![10.0, -1.0])).unwrap(), vec![2, 0]);
        assert!(nums.transform(&Column::Numeric(vec![3.0])).unwrap_err().to_string().contains("unknown class '3'"));
        assert!(LabelEncoder::fit(&Column::Numeric(vec![0.5])).unwrap_err().to_string().contains("not a whole number"));
    }
}
