//! A text column stored as a dictionary: each distinct value once, and one
//! small code per row. A million rows of a few categories cost four bytes a
//! row instead of a `String` each, and encoders work on the dictionary.

use std::collections::HashMap;

/// The code of a missing cell.
const MISSING: u32 = u32::MAX;

/// Text values, dictionary-encoded; a cell may be missing.
#[derive(Clone, Debug, Default)]
pub struct TextColumn {
    /// The distinct values, in order of first appearance.
    dictionary: Vec<String>,
    /// Per row: an index into `dictionary`, or [`MISSING`].
    codes: Vec<u32>,
}

impl TextColumn {
    /// A column of values where some may be missing (`None`).
    pub fn from_options<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> TextColumn {
        let mut builder = TextBuilder::default();
        for v in values {
            builder.push(v.as_ref().map(AsRef::as_ref));
        }
        builder.finish()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the column has no row.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The value of row `i` (`None` when missing). Panics if `i` is out of range.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.value(self.codes[i])
    }

    /// The values in row order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.codes.iter().map(|&c| self.value(c))
    }

    /// The distinct values (possibly including some no row uses after a row selection).
    pub fn dictionary(&self) -> &[String] {
        &self.dictionary
    }

    /// Per row, the index of its value in [`TextColumn::dictionary`], or `None` when missing.
    pub fn codes(&self) -> impl Iterator<Item = Option<usize>> + '_ {
        self.codes.iter().map(|&c| (c != MISSING).then_some(c as usize))
    }

    /// The dictionary index of row `i`'s value (`None`: missing).
    pub(crate) fn code_at(&self, i: usize) -> Option<usize> {
        let c = self.codes[i];
        (c != MISSING).then_some(c as usize)
    }

    /// How many rows hold each dictionary entry.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.dictionary.len()];
        for c in self.codes.iter().filter(|&&c| c != MISSING) {
            counts[*c as usize] += 1;
        }
        counts
    }

    /// Number of missing cells.
    pub fn n_missing(&self) -> usize {
        self.codes.iter().filter(|&&c| c == MISSING).count()
    }

    /// Number of distinct values present in some row.
    pub fn n_distinct(&self) -> usize {
        self.counts().iter().filter(|&&n| n > 0).count()
    }

    /// The values as owned strings, missing ones as `None`.
    pub fn to_options(&self) -> Vec<Option<String>> {
        self.iter().map(|v| v.map(str::to_string)).collect()
    }

    /// The rows at `indices`, in that order (the dictionary is shared as is).
    pub(crate) fn take(&self, indices: &[usize]) -> TextColumn {
        TextColumn { dictionary: self.dictionary.clone(), codes: indices.iter().map(|&i| self.codes[i]).collect() }
    }

    /// This column with the values `missing` picks turned into missing cells
    /// (a file format's missing-value tokens).
    pub(crate) fn mark_missing(self, missing: impl Fn(&str) -> bool) -> TextColumn {
        let gone: Vec<bool> = self.dictionary.iter().map(|v| missing(v)).collect();
        if !gone.contains(&true) {
            return self;
        }
        TextColumn::from_options(
            self.iter().enumerate().map(|(i, v)| v.filter(|_| !self.code_at(i).is_some_and(|c| gone[c]))),
        )
    }

    fn value(&self, code: u32) -> Option<&str> {
        (code != MISSING).then(|| self.dictionary[code as usize].as_str())
    }
}

impl<S: AsRef<str>> FromIterator<S> for TextColumn {
    fn from_iter<I: IntoIterator<Item = S>>(values: I) -> TextColumn {
        TextColumn::from_options(values.into_iter().map(Some))
    }
}

/// Two columns are equal when their rows hold the same values, however their
/// dictionaries are ordered.
impl PartialEq for TextColumn {
    fn eq(&self, other: &TextColumn) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Builds a [`TextColumn`] a cell at a time, each distinct value stored once.
#[derive(Default)]
pub(crate) struct TextBuilder {
    index: HashMap<String, u32>,
    dictionary: Vec<String>,
    codes: Vec<u32>,
}

impl TextBuilder {
    /// Appends a cell (`None`: missing).
    pub(crate) fn push(&mut self, value: Option<&str>) {
        let code = match value {
            None => MISSING,
            Some(v) => self.code_of(v),
        };
        self.codes.push(code);
    }

    /// The code of `value`, added to the dictionary if new.
    pub(crate) fn code_of(&mut self, value: &str) -> u32 {
        if let Some(&c) = self.index.get(value) {
            return c;
        }
        let c = self.dictionary.len() as u32;
        self.dictionary.push(value.to_string());
        self.index.insert(value.to_string(), c);
        c
    }

    /// Appends the rows of another column, re-coding its values into this dictionary.
    pub(crate) fn extend(&mut self, other: &TextColumn) {
        let recode: Vec<u32> = other.dictionary.iter().map(|v| self.code_of(v)).collect();
        self.codes.extend(other.codes.iter().map(|&c| if c == MISSING { MISSING } else { recode[c as usize] }));
    }

    pub(crate) fn finish(self) -> TextColumn {
        TextColumn { dictionary: self.dictionary, codes: self.codes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_each_value_once_and_keeps_missing_cells() {
        let col = TextColumn::from_options([Some("a"), None, Some("b"), Some("a")]);
        assert_eq!(col.dictionary(), &["a".to_string(), "b".to_string()]);
        assert_eq!(col.iter().collect::<Vec<_>>(), vec![Some("a"), None, Some("b"), Some("a")]);
        assert_eq!((col.counts(), col.n_missing(), col.n_distinct()), (vec![2, 1], 1, 2));
    }

    #[test]
    fn extend_recodes_into_one_dictionary() {
        let mut b = TextBuilder::default();
        b.push(Some("x"));
        b.extend(&["y", "x"].into_iter().collect());
        let col = b.finish();
        assert_eq!(col.dictionary().len(), 2);
        assert_eq!(col, ["x", "y", "x"].into_iter().collect());
    }

    #[test]
    fn equality_ignores_dictionary_order() {
        let a: TextColumn = ["p", "q"].into_iter().collect();
        let b = ["q", "p"].into_iter().collect::<TextColumn>().take(&[1, 0]);
        assert_eq!(b.dictionary(), &["q".to_string(), "p".to_string()]);
        assert_eq!(a, b);
        assert_ne!(a.take(&[0]), b);
    }
}
