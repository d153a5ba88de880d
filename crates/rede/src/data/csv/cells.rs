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
    exact_decimal(cell).or_else(|| std::str::from_utf8(cell).ok()?.parse().ok())
}

/// Powers of ten that f64 holds exactly.
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// A plain decimal (`-12.5`, `3e-4`) as f64 when it can be computed with one
/// correctly rounded operation, which gives exactly what the standard parser
/// gives: a significand of at most 2^53 and a power of ten of at most 22
/// either way (Clinger, "How to read floating point numbers accurately",
/// PLDI 1990). `None` sends the cell to the standard parser.
fn exact_decimal(cell: &[u8]) -> Option<f64> {
    let (negative, rest) = match cell.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, cell),
    };
    let (mut significand, mut digits, mut scale) = (0u64, 0usize, 0i32);
    let mut i = 0;
    let mut take_digits = |i: &mut usize, after_point: bool| {
        while let Some(d) = rest.get(*i).filter(|b| b.is_ascii_digit()) {
            significand = significand.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            digits += 1;
            scale -= i32::from(after_point);
            *i += 1;
        }
    };
    take_digits(&mut i, false);
    if rest.get(i) == Some(&b'.') {
        i += 1;
        take_digits(&mut i, true);
    }
    // More than 19 digits may have wrapped the significand.
    if digits == 0 || digits > 19 {
        return None;
    }
    if matches!(rest.get(i), Some(b'e' | b'E')) {
        scale += exponent(&rest[i + 1..])?;
    } else if i != rest.len() {
        return None;
    }
    if significand > 1 << 53 || scale.unsigned_abs() > 22 {
        return None;
    }
    let power = EXACT_POWERS[scale.unsigned_abs() as usize];
    let value = if scale < 0 { significand as f64 / power } else { significand as f64 * power };
    Some(if negative { -value } else { value })
}

/// A short exponent (`-4`, `+12`), all of `bytes`.
fn exponent(bytes: &[u8]) -> Option<i32> {
    let (sign, digits) = match bytes.split_first()? {
        (b'-', rest) => (-1, rest),
        (b'+', rest) => (1, rest),
        _ => (1, bytes),
    };
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(sign * digits.iter().fold(0, |e, d| e * 10 + i32::from(d - b'0')))
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

    /// The fast path agrees bit for bit with the standard parser wherever it answers.
    #[test]
    fn exact_decimals_match_the_standard_parser() {
        let mut cells: Vec<String> = ["0", "-0", "+7", "1.", ".5", "-2.398233", "1e22", "9007199254740993", "3E-4"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let digits = (state % 1_000_000_000_000) as i64 - 500_000_000_000;
            let point = (state >> 40) % 14;
            let mut cell = digits.to_string();
            let at = cell.len().saturating_sub(point as usize).max(usize::from(digits < 0));
            cell.insert(at, '.');
            if state >> 60 == 0 {
                cell += &format!("e{}", ((state >> 20) % 30) as i64 - 15);
            }
            cells.push(cell);
        }
        let mut fast = 0;
        for cell in &cells {
            let standard: f64 = cell.parse().unwrap();
            if let Some(v) = exact_decimal(cell.as_bytes()) {
                assert_eq!(v.to_bits(), standard.to_bits(), "{cell}");
                fast += 1;
            }
        }
        assert!(fast > cells.len() * 9 / 10, "most cells take the fast path ({fast})");
        for not_numbers in ["", "-", ".", "1e", "1e+", "e5", "1.2.3", "1,5", "0x10", "1e99999", "12345678901234567890"]
        {
            assert_eq!(exact_decimal(not_numbers.as_bytes()), None, "{not_numbers}");
        }
    }
}
