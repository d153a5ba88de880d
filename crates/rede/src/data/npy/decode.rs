//! Turning the elements of one column of an array into a [`Column`]:
//! numbers into f32 (NaN stays a missing value), text into a dictionary.

use super::header::{Dtype, Kind};
use crate::data::text::TextBuilder;
use crate::data::Column;

/// The `n` elements of one column: element `i` is `size` bytes at `start + i * stride`.
pub(super) struct Strided<'a> {
    data: &'a [u8],
    start: usize,
    stride: usize,
    n: usize,
    size: usize,
}

impl<'a> Strided<'a> {
    /// The column, once every element is known to lie inside `data`.
    pub(super) fn new(data: &'a [u8], start: usize, stride: usize, n: usize, size: usize) -> Result<Self, String> {
        let end = n.checked_sub(1).map_or(Some(0), |last| {
            last.checked_mul(stride).and_then(|o| o.checked_add(start)).and_then(|o| o.checked_add(size))
        });
        match end {
            Some(end) if end <= data.len() => Ok(Strided { data, start, stride, n, size }),
            _ => Err("the data is shorter than the header's shape says".into()),
        }
    }

    /// The bytes of element `i`.
    fn at(&self, i: usize) -> &'a [u8] {
        let at = self.start + i * self.stride;
        &self.data[at..at + self.size]
    }

    /// The column these elements make; `name` is for messages.
    pub(super) fn column(&self, dtype: Dtype, name: &str) -> Result<Column, String> {
        let be = dtype.big_endian;
        let values = match (dtype.kind, dtype.size) {
            (Kind::Float, 4) => self.numbers(name, |b: [u8; 4]| f64::from(f32::from_bits(word(b, be) as u32))),
            (Kind::Float, 8) => self.numbers(name, |b: [u8; 8]| f64::from_bits(word(b, be))),
            (Kind::Int, 1) => self.numbers(name, |b: [u8; 1]| f64::from(b[0] as i8)),
            (Kind::Int, 2) => self.numbers(name, |b: [u8; 2]| f64::from(word(b, be) as u16 as i16)),
            (Kind::Int, 4) => self.numbers(name, |b: [u8; 4]| f64::from(word(b, be) as u32 as i32)),
            (Kind::Int, 8) => self.numbers(name, |b: [u8; 8]| word(b, be) as i64 as f64),
            (Kind::Uint, 1) => self.numbers(name, |b: [u8; 1]| f64::from(b[0])),
            (Kind::Bool, 1) => self.numbers(name, |b: [u8; 1]| f64::from(u8::from(b[0] != 0))),
            (Kind::Uint, 2 | 4 | 8) => self.numbers_any(name, be),
            (Kind::Unicode, _) => return self.text(name, |b| unicode(b, be)),
            (Kind::Bytes, _) => return self.text(name, bytes),
            _ => return Err(format!("column '{name}': unsupported element type")),
        }?;
        Ok(Column::Numeric(values))
    }

    /// Unsigned integers of 2, 4 or 8 bytes (all exact or rounded in f64).
    fn numbers_any(&self, name: &str, be: bool) -> Result<Vec<f32>, String> {
        match self.size {
            2 => self.numbers(name, |b: [u8; 2]| word(b, be) as f64),
            4 => self.numbers(name, |b: [u8; 4]| word(b, be) as f64),
            _ => self.numbers(name, |b: [u8; 8]| word(b, be) as f64),
        }
    }

    /// Every element through `value`, checked to fit f32 (NaN: a missing value).
    fn numbers<const N: usize>(&self, name: &str, value: impl Fn([u8; N]) -> f64) -> Result<Vec<f32>, String> {
        let mut out = Vec::new();
        out.try_reserve_exact(self.n).map_err(|_| format!("not enough memory for column '{name}'"))?;
        for i in 0..self.n {
            let mut b = [0u8; N];
            b.copy_from_slice(self.at(i));
            let v = value(b);
            if v.is_nan() || (v.is_finite() && v.abs() <= f64::from(f32::MAX)) {
                out.push(v as f32);
            } else if v.is_finite() {
                return Err(format!(
                    "column '{name}', row {i} (0-based): {v} is outside the range of 32-bit floats (about \
                     ±3.4e38), the precision rede computes in"
                ));
            } else {
                return Err(format!(
                    "column '{name}', row {i} (0-based): {v} is not a finite number (NaN marks a missing value; \
                     infinity is not allowed)"
                ));
            }
        }
        Ok(out)
    }

    /// Every element as text through `value` (NUL padding removed).
    fn text(&self, name: &str, value: impl Fn(&[u8]) -> Option<String>) -> Result<Column, String> {
        let mut builder = TextBuilder::default();
        for i in 0..self.n {
            let s = value(self.at(i))
                .ok_or_else(|| format!("column '{name}', row {i} (0-based): the text is not valid Unicode"))?;
            builder.push(Some(s.as_str()));
        }
        Ok(Column::Text(builder.finish()))
    }
}

/// Up to 8 bytes as an unsigned integer in the file's byte order.
fn word<const N: usize>(b: [u8; N], big_endian: bool) -> u64 {
    let fold = |acc: u64, &x: &u8| (acc << 8) | u64::from(x);
    if big_endian {
        b.iter().fold(0, fold)
    } else {
        b.iter().rev().fold(0, fold)
    }
}

/// A `<U…` element: UCS-4 code points, padded with NULs.
fn unicode(bytes: &[u8], big_endian: bool) -> Option<String> {
    bytes
        .chunks_exact(4)
        .map(|c| word([c[0], c[1], c[2], c[3]], big_endian) as u32)
        .take_while(|&c| c != 0)
        .map(char::from_u32)
        .collect()
}

/// An `|S…` element: bytes padded with NULs, read as UTF-8.
fn bytes(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    String::from_utf8(bytes[..end].to_vec()).ok()
}
