//! What the start of a file says about all of it: the delimiter, the column
//! names, and whether each column holds numbers or text.

use super::cells::{numeric_cell, NumericCell};
use super::parse::{CellError, Kind, Layout};

/// Delimiters recognized when none is given.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The delimiter the header line uses most, outside quotes; `,` when it has none.
pub(super) fn detect_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; CANDIDATES.len()];
    let mut quoted = false;
    for &b in bytes {
        if !quoted && (b == b'\n' || b == b'\r') {
            break;
        }
        if b == b'"' {
            quoted = !quoted;
        } else if let Some(k) = CANDIDATES.iter().position(|&c| c == b && !quoted) {
            counts[k] += 1;
        }
    }
    // Ties go to the earlier candidate, so `,` wins over the rest.
    let best = (0..CANDIDATES.len()).rev().max_by_key(|&k| counts[k]).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        CANDIDATES[best]
    }
}

/// The header record: its line and the column names (checked: UTF-8, non-empty, unique).
pub(super) fn header(record: &::csv::ByteRecord) -> Result<(u64, Vec<String>), String> {
    let line = record.position().map_or(1, |p| p.line());
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    for (j, field) in record.iter().enumerate() {
        let name = std::str::from_utf8(field)
            .map_err(|_| format!("line {line}, column {}: the header name is not valid UTF-8", j + 1))?;
        // A byte-order mark some editors write at the start of the file.
        let name = if j == 0 { name.trim_start_matches('\u{feff}').trim() } else { name };
        if name.is_empty() {
            return Err(format!("line {line}, column {}: empty column name in the header", j + 1));
        }
        if let Some(first) = names.iter().position(|n| n == name) {
            return Err(format!("line {line}: duplicate column name '{name}' (columns {} and {})", first + 1, j + 1));
        }
        names.push(name.to_string());
    }
    Ok((line, names))
}

/// Decides the kind of every column still `Numeric` in `layout` from the
/// records of `block` (the header skipped): numeric when more of its present
/// cells are numbers than not, text otherwise. The text cells of a numeric
/// column are then reported as errors by the parser, wherever they are.
pub(super) fn infer_kinds(layout: &mut Layout, block: &[u8]) -> Result<(), CellError> {
    let n = layout.names.len();
    let (mut numbers, mut texts) = (vec![0usize; n], vec![0usize; n]);
    let mut first = true;
    layout.for_each_record(block, |_, fields| {
        if std::mem::take(&mut first) || fields.len() != n {
            return Ok(());
        }
        for (j, field) in fields.iter().enumerate().filter(|(j, _)| layout.kinds[*j] == Kind::Numeric) {
            match numeric_cell(field, &layout.na) {
                NumericCell::Missing => {}
                NumericCell::Text => texts[j] += 1,
                _ => numbers[j] += 1,
            }
        }
        Ok(())
    })?;
    for j in 0..n {
        if layout.kinds[j] == Kind::Numeric && texts[j] >= numbers[j] && texts[j] > 0 {
            layout.kinds[j] = Kind::Text;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_the_most_used_candidate_outside_quotes() {
        assert_eq!(detect_delimiter(b"a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(detect_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(detect_delimiter(b"\"x;y\"|b|c\n"), b'|');
        assert_eq!(detect_delimiter(b"a,b;c\n"), b',', "a tie goes to the comma");
        assert_eq!(detect_delimiter(b"single\n"), b',');
    }
}
