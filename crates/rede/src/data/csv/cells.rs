//! What one CSV cell holds: a number, a missing value, or text.

use crate::data::missing::NA_TOKENS;

/// The cells that mean "missing": the standard tokens and the caller's own.
pub(crate) struct NaTokens {
    /// Checked before a cell is parsed as a number, so a number (`-999`) can mean missing.
    extra: Vec<Vec<u8>>,
}

impl NaTokens {
    pub(crate) fn new(extra: &[String]) -> NaTokens {
        NaTokens { extra: extra.iter().map(|t| t.trim().as_bytes().to_vec()).collect() }
    }

    /// Whether `cell` (trimmed) is one of the caller's tokens.
    fn is_extra(&self, cell: &[u8]) -> bool {
        self.extra.iter().any(|t| t == cell)
    }

    /// Whether `cell` (trimmed) means a missing value.
    pub(crate) fn is_missing(&self, cell: &[u8]) -> bool {
        NA_TOKENS.iter().any(|t| t.as_bytes() == cell) || self.is_extra(cell)
    }
}

/// A cell of a numeric column.
#[derive(Debug, PartialEq)]
pub(super) enum NumericCell {
    Number(f32),
    Missing,
    /// Parses, but as NaN or an infinity.
    NotFinite,
    /// Finite, but beyond what an f32 holds.
    OutOfRange,
    Text,
}

/// Reads a (trimmed) cell of a numeric column.
pub(super) fn numeric_cell(cell: &[u8], na: &NaTokens) -> NumericCell {
    if cell.is_empty() || na.is_extra(cell) {
        return NumericCell::Missing;
    }
    match parse_f64(cell) {
        Some(v) if v.is_finite() && v.abs() <= f64::from(f32::MAX) => NumericCell::Number(v as f32),
        Some(v) if v.is_finite() => NumericCell::OutOfRange,
        _ if na.is_missing(cell) => NumericCell::Missing,
        Some(_) => NumericCell::NotFinite,
        None => NumericCell::Text,
    }
}

fn parse_f64(cell: &[u8]) -> Option<f64> {
    std::str::from_utf8(cell).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_numbers_missing_or_problems() {
        let na = NaTokens::new(&["-999".into(), "?".into()]);
        let read = |s: &str| numeric_cell(s.as_bytes(), &na);
        assert_eq!(read("2.5e1"), NumericCell::Number(25.0));
        for missing in ["", "NA", "N/A", "nan", "null", "-999", "?"] {
            assert_eq!(read(missing), NumericCell::Missing, "{missing}");
        }
        assert_eq!(read("inf"), NumericCell::NotFinite);
        assert_eq!(read("1e39"), NumericCell::OutOfRange);
        assert_eq!(read("-3.4e38"), NumericCell::Number(-3.4e38));
        assert_eq!(read("abc"), NumericCell::Text);
    }
}
