//! Encoders for text features (one-hot) and class labels (indices). Both
//! work on a text column's dictionary, so each distinct value is looked up
//! once, not once per row.

use super::{Column, TextColumn};
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
/// sorted, as scikit-learn sorts them. Optionally one more indicator for the
/// rare categories left out (and, later, unseen ones), and one for missing
/// cells; in that order, after the categories.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    /// The column's name, for feature names and messages.
    pub column: String,
    /// The categories seen when fitted, sorted.
    pub categories: Vec<String>,
    /// What to do with a category not in `categories` when there is no `other` indicator.
    pub unknown: UnknownCategory,
    /// An indicator for the categories beyond `max_categories` and for unseen ones.
    #[serde(default)]
    pub other: bool,
    /// An indicator for missing cells.
    #[serde(default)]
    pub missing: bool,
}

/// Where a value's indicator is: a column of the encoder's output, or none (all zeros).
pub(crate) type Slot = Option<usize>;

impl OneHotEncoder {
    /// Learns the categories of column `column` from its values.
    pub fn fit<S: AsRef<str>>(column: &str, values: &[S], unknown: UnknownCategory) -> Result<Self> {
        let values: TextColumn = values.iter().map(AsRef::as_ref).collect();
        Self::fit_text(column, &values, unknown, None)
    }

    /// Learns the categories of a text column: all of them, or the
    /// `max_categories` most frequent (ties: the first in sorted order) with
    /// an `other` indicator for the rest. Missing cells, if any, get an
    /// indicator of their own.
    pub fn fit_text(
        column: &str,
        values: &TextColumn,
        unknown: UnknownCategory,
        max_categories: Option<usize>,
    ) -> Result<Self> {
        let counts = values.counts();
        let mut present: Vec<(&String, usize)> =
            values.dictionary().iter().zip(counts).filter(|(_, n)| *n > 0).collect();
        if present.is_empty() {
            return Err(Error::invalid("OneHotEncoder::fit", format!("column '{column}' has no values")));
        }
        let other = max_categories.is_some_and(|k| present.len() > k);
        if let Some(k) = max_categories.filter(|_| other) {
            present.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            present.truncate(k);
        }
        let mut categories: Vec<String> = present.into_iter().map(|(v, _)| v.clone()).collect();
        categories.sort_unstable();
        let missing = values.n_missing() > 0;
        Ok(OneHotEncoder { column: column.to_string(), categories, unknown, other, missing })
    }

    /// Number of indicator columns (one per category, `other` and `missing` if there).
    pub fn width(&self) -> usize {
        self.categories.len() + usize::from(self.other) + usize::from(self.missing)
    }

    /// `column=category` for each indicator column (`column=(other)`, `column=(missing)`).
    pub fn feature_names(&self) -> Vec<String> {
        let extra = [(self.other, "(other)"), (self.missing, "(missing)")];
        let extra = extra.iter().filter(|(on, _)| *on).map(|(_, name)| name.to_string());
        self.categories.iter().cloned().chain(extra).map(|c| format!("{}={c}", self.column)).collect()
    }

    /// Writes the indicators of `value` into `out` (length [`OneHotEncoder::width`], zeroed by the caller).
    pub fn encode_into(&self, value: &str, out: &mut [f32]) -> Result<()> {
        if let Some(k) = self.slot(value)? {
            out[k] = 1.0;
        }
        Ok(())
    }

    /// Where `value`'s indicator is; an unknown value goes to `other`, to
    /// none, or is an error, as the encoder says.
    pub(crate) fn slot(&self, value: &str) -> Result<Slot> {
        match self.categories.binary_search_by(|c| c.as_str().cmp(value)) {
            Ok(k) => Ok(Some(k)),
            Err(_) if self.other => Ok(Some(self.categories.len())),
            Err(_) if self.unknown == UnknownCategory::Zeros => Ok(None),
            Err(_) => {
                let msg = format!(
                    "column '{}': unknown category '{value}' (known: {})",
                    self.column,
                    self.categories.join(", ")
                );
                Err(Error::invalid("OneHotEncoder", msg))
            }
        }
    }

    /// The slot of a missing cell: its own indicator, else as an unseen category.
    pub(crate) fn missing_slot(&self) -> Slot {
        if self.missing {
            Some(self.categories.len() + usize::from(self.other))
        } else {
            self.other.then_some(self.categories.len())
        }
    }

    /// The slot of each entry of `values`' dictionary.
    pub(crate) fn slots(&self, values: &TextColumn) -> Result<Vec<Slot>> {
        values.dictionary().iter().map(|v| self.slot(v)).collect()
    }

    /// Rows of `values` whose category was not seen in training (missing
    /// cells without an indicator of their own included), and how many
    /// distinct such values there are.
    pub fn unseen(&self, values: &TextColumn) -> (usize, usize) {
        let counts = values.counts();
        let (mut rows, mut distinct) = (0, 0);
        for (v, n) in values.dictionary().iter().zip(counts) {
            if n > 0 && self.categories.binary_search(v).is_err() {
                (rows, distinct) = (rows + n, distinct + 1);
            }
        }
        if !self.missing {
            rows += values.n_missing();
        }
        (rows, distinct)
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
                no_missing("LabelEncoder::fit", v)?;
                let mut c: Vec<String> =
                    v.dictionary().iter().zip(v.counts()).filter(|(_, n)| *n > 0).map(|(l, _)| l.clone()).collect();
                c.sort_unstable();
                Classes::Text(c)
            }
            Column::Numeric(v) => {
                let mut c = v.iter().map(|&x| whole("LabelEncoder::fit", x.into())).collect::<Result<Vec<_>>>()?;
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
                no_missing("LabelEncoder::transform", v)?;
                let index: Vec<usize> = v
                    .dictionary()
                    .iter()
                    .zip(v.counts())
                    .map(|(l, n)| match c.binary_search(l) {
                        Ok(k) => Ok(k),
                        // A value no row uses any more (after a row selection) needs no index.
                        Err(_) if n == 0 => Ok(usize::MAX),
                        Err(_) => Err(unknown(l.clone())),
                    })
                    .collect::<Result<_>>()?;
                Ok(v.codes().map(|code| index[code.expect("checked: no missing label")]).collect())
            }
            (Classes::Integer(c), Column::Numeric(v)) => v
                .iter()
                .map(|&x| {
                    let k = whole("LabelEncoder::transform", x.into())?;
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

/// An error when a label is missing.
fn no_missing(op: &'static str, labels: &TextColumn) -> Result<()> {
    match labels.n_missing() {
        0 => Ok(()),
        n => Err(Error::invalid(op, format!("{n} labels are missing"))),
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
    fn max_categories_keeps_the_most_frequent_and_sends_the_rest_to_other() {
        let values = TextColumn::from_options([Some("a"), Some("b"), Some("b"), Some("c"), Some("c"), None]);
        let enc = OneHotEncoder::fit_text("k", &values, UnknownCategory::Error, Some(2)).unwrap();
        assert_eq!(enc.feature_names(), vec!["k=b", "k=c", "k=(other)", "k=(missing)"]);
        assert_eq!(
            enc.transform(&["a", "zzz", "c"]).unwrap().to_vec_f32(),
            vec![
                0., 0., 1., 0., //
                0., 0., 1., 0., //
                0., 1., 0., 0.,
            ]
        );
        assert_eq!(enc.missing_slot(), Some(3));
        let later = TextColumn::from_options([Some("a"), Some("q"), Some("q"), None]);
        assert_eq!(enc.unseen(&later), (3, 2));
    }

    #[test]
    fn label_encoder_sorts_text_and_numbers_like_scikit_learn() {
        let text = LabelEncoder::fit(&Column::text(&["b", "a", "b"])).unwrap();
        assert_eq!(text.labels(), vec!["a", "b"]);
        assert_eq!(text.transform(&Column::text(&["b", "a"])).unwrap(), vec![1, 0]);
        assert!(text.transform(&Column::text(&["c"])).unwrap_err().to_string().contains("unknown class 'c'"));
        let nums = LabelEncoder::fit(&Column::Numeric(vec![10.0, 2.0, -1.0, 2.0])).unwrap();
        assert_eq!(nums.labels(), vec!["-1", "2", "10"]);
        assert_eq!(nums.transform(&Column::Numeric(vec![10.0, -1.0])).unwrap(), vec![2, 0]);
        assert!(nums.transform(&Column::Numeric(vec![3.0])).unwrap_err().to_string().contains("unknown class '3'"));
        assert!(LabelEncoder::fit(&Column::Numeric(vec![0.5])).unwrap_err().to_string().contains("not a whole number"));
    }
}
