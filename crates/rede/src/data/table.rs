//! A table of named columns, each numeric (f32) or text (dictionary-encoded):
//! what a CSV file holds before it becomes tensors.

use super::{Dataset, TextColumn};
use crate::{Error, Result};

/// One column of a [`Table`].
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Finite numbers, at the precision the networks compute in; NaN marks a
    /// missing value.
    Numeric(Vec<f32>),
    /// Text values (categories or labels); a cell may be missing.
    Text(TextColumn),
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }

    /// Whether the column has no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A text column with these values, none missing.
    pub fn text<S: AsRef<str>>(values: &[S]) -> Column {
        Column::Text(values.iter().map(AsRef::as_ref).collect())
    }

    /// Number of missing cells.
    pub fn n_missing(&self) -> usize {
        match self {
            Column::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            Column::Text(v) => v.n_missing(),
        }
    }

    /// Whether the column holds numbers.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Column::Numeric(_))
    }

    /// `"numeric"` or `"text"`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Column::Numeric(_) => "numeric",
            Column::Text(_) => "text",
        }
    }

    /// The rows at `indices`, in that order.
    fn take(&self, indices: &[usize]) -> Column {
        match self {
            Column::Numeric(v) => Column::Numeric(indices.iter().map(|&i| v[i]).collect()),
            Column::Text(v) => Column::Text(v.take(indices)),
        }
    }
}

/// Named columns of equal length. Names are unique.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Table {
    /// A table from `(name, column)` pairs; names must be unique and columns
    /// of equal length.
    pub fn new(columns: Vec<(String, Column)>) -> Result<Table> {
        let (names, columns): (Vec<String>, Vec<Column>) = columns.into_iter().unzip();
        if let Some(dup) = first_duplicate(&names) {
            return Err(Error::invalid("Table::new", format!("duplicate column name '{dup}'")));
        }
        if let Some(c) = columns.iter().position(|c| c.len() != columns[0].len()) {
            let msg = format!(
                "column '{}' has {} rows but '{}' has {}",
                names[c],
                columns[c].len(),
                names[0],
                columns[0].len()
            );
            return Err(Error::invalid("Table::new", msg));
        }
        Ok(Table { names, columns })
    }

    /// A table from a dataset with 2-D features `x` `[n, d]` and targets `y`
    /// `[n]` or `[n, 1]`: the features become numeric columns named by
    /// `feature_names` and the targets a numeric column named `target`.
    pub fn from_dataset(data: &Dataset, feature_names: &[String], target: &str) -> Result<Table> {
        let (n, d) = match data.x.shape() {
            &[n, d] => (n, d),
            s => return Err(Error::invalid("Table::from_dataset", format!("features must be [n, d], got {s:?}"))),
        };
        if d != feature_names.len() || data.y.numel() != n {
            let msg =
                format!("{} feature names for x {:?} and y {:?}", feature_names.len(), data.x.shape(), data.y.shape());
            return Err(Error::invalid("Table::from_dataset", msg));
        }
        let x = data.x.to_vec_f32();
        let mut columns: Vec<(String, Column)> = feature_names
            .iter()
            .enumerate()
            .map(|(j, name)| (name.clone(), Column::Numeric((0..n).map(|i| x[i * d + j]).collect())))
            .collect();
        columns.push((target.to_string(), Column::Numeric(data.y.to_vec_f32())));
        Table::new(columns)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// Column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names.iter().position(|n| n == name).map(|i| &self.columns[i])
    }

    /// `(name, column)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.names.iter().map(String::as_str).zip(&self.columns)
    }

    /// The rows at `indices`, in that order (for train/test splits).
    pub fn rows(&self, indices: &[usize]) -> Result<Table> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.n_rows()) {
            return Err(Error::IndexOutOfRange { op: "Table::rows", index: bad, dim: 0, size: self.n_rows() });
        }
        Ok(Table { names: self.names.clone(), columns: self.columns.iter().map(|c| c.take(indices)).collect() })
    }

    /// Two tables of the rows at `first` and at `second` (a train/test split),
    /// built a column at a time while this table is given up, so the data is
    /// never held twice.
    pub fn split_rows(self, first: &[usize], second: &[usize]) -> Result<(Table, Table)> {
        let n = self.n_rows();
        if let Some(&bad) = first.iter().chain(second).find(|&&i| i >= n) {
            return Err(Error::IndexOutOfRange { op: "Table::split_rows", index: bad, dim: 0, size: n });
        }
        let (mut a, mut b) = (Vec::with_capacity(self.columns.len()), Vec::with_capacity(self.columns.len()));
        for column in self.columns {
            a.push(column.take(first));
            b.push(column.take(second));
        }
        Ok((Table { names: self.names.clone(), columns: a }, Table { names: self.names, columns: b }))
    }
}

/// The first name that occurs twice, if any.
pub(crate) fn first_duplicate(names: &[String]) -> Option<&str> {
    let mut seen = std::collections::HashSet::new();
    names.iter().find(|n| !seen.insert(n.as_str())).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::new(vec![
            ("a".into(), Column::Numeric(vec![1.0, 2.0, 3.0])),
            ("b".into(), Column::text(&["x", "y", "z"])),
        ])
        .unwrap()
    }

    #[test]
    fn rows_selects_in_order() {
        let t = sample().rows(&[2, 0]).unwrap();
        assert_eq!(t.column("a"), Some(&Column::Numeric(vec![3.0, 1.0])));
        assert_eq!(t.column("b"), Some(&Column::text(&["z", "x"])));
        assert!(sample().rows(&[3]).is_err());
    }

    #[test]
    fn split_rows_gives_both_parts() {
        let (a, b) = sample().split_rows(&[1], &[2, 0]).unwrap();
        assert_eq!(a, sample().rows(&[1]).unwrap());
        assert_eq!(b, sample().rows(&[2, 0]).unwrap());
        assert!(sample().split_rows(&[0], &[5]).is_err());
    }

    #[test]
    fn new_rejects_duplicates_and_ragged_columns() {
        let dup = Table::new(vec![("a".into(), Column::Numeric(vec![1.0])), ("a".into(), Column::Numeric(vec![2.0]))]);
        assert!(dup.unwrap_err().to_string().contains("duplicate column name 'a'"));
        let ragged = Table::new(vec![("a".into(), Column::Numeric(vec![1.0])), ("b".into(), Column::Numeric(vec![]))]);
        assert!(ragged.unwrap_err().to_string().contains("'b' has 0 rows"));
    }
}
