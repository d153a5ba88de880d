//! Parsing one block of records straight into typed column parts: f32
//! numbers, and text as codes into a dictionary. No cell becomes a `String`
//! of its own.

use super::cells::{numeric_cell, NaTokens, NumericCell};
use super::plain;
use crate::data::text::{TextBuilder, TextColumn};

/// How a column is read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    Numeric,
    Text,
    /// Left out (`drop`): never parsed.
    Skip,
}

/// What every block needs to know about the file's columns.
pub(super) struct Layout {
    pub(super) names: Vec<String>,
    pub(super) kinds: Vec<Kind>,
    /// Per column: what a missing cell is.
    pub(super) missing: Vec<MissingRule>,
    pub(super) delimiter: u8,
    pub(super) na: NaTokens,
}

/// What a missing cell in a column is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum MissingRule {
    /// A missing value, kept (imputed later).
    Allowed,
    /// An error: the caller did not ask for imputation.
    NeedsImputation,
    /// An error: a target value cannot be imputed.
    Target,
}

/// A problem in a block, at a line counted from the block's start (1-based).
pub(super) struct CellError {
    pub(super) line: u64,
    /// The column, when the problem is in one cell.
    pub(super) column: Option<usize>,
    pub(super) what: String,
}

/// The rows of one block, column by column.
pub(super) enum Part {
    Numeric(Vec<f32>),
    Text(TextColumn),
    Skip,
}

impl Layout {
    /// A reader over `block` with this layout's delimiter (fields trimmed).
    pub(super) fn reader<'a>(&self, block: &'a [u8]) -> ::csv::Reader<&'a [u8]> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(::csv::Trim::All)
            .delimiter(self.delimiter)
            .from_reader(block)
    }

    /// Parses the records of `block`, skipping the first `skip` (the header).
    pub(super) fn parse(&self, block: &[u8], skip: usize) -> Result<Vec<Part>, CellError> {
        let rows = plain::count_lines(block) as usize + 1;
        let mut parts: Vec<Builder> = self.kinds.iter().map(|k| Builder::new(*k, rows)).collect();
        let mut index = 0;
        self.for_each_record(block, |line, fields| {
            index += 1;
            if index <= skip {
                return Ok(());
            }
            self.check_width(fields.len(), line)?;
            for (j, (field, part)) in fields.iter().zip(&mut parts).enumerate() {
                part.push(field, &self.na, self.missing[j]).map_err(|what| CellError {
                    line,
                    column: Some(j),
                    what,
                })?;
            }
            Ok(())
        })?;
        Ok(parts.into_iter().map(Builder::finish).collect())
    }

    /// Calls `each(line, fields)` for every record of `block` (fields
    /// trimmed, `line` counted from 1 at the block's start), through the
    /// quote-free fast path when the block allows it.
    pub(super) fn for_each_record(
        &self,
        block: &[u8],
        mut each: impl FnMut(u64, &[&[u8]]) -> Result<(), CellError>,
    ) -> Result<(), CellError> {
        if plain::is_plain(block) {
            return plain::for_each_record(block, self.delimiter, each);
        }
        let mut reader = self.reader(block);
        let mut record = ::csv::ByteRecord::new();
        while read_record(&mut reader, &mut record)? {
            let line = record.position().map_or(0, |p| line_of(p, block));
            each(line, &record.iter().collect::<Vec<_>>())?;
        }
        Ok(())
    }

    fn check_width(&self, width: usize, line: u64) -> Result<(), CellError> {
        if width == self.names.len() {
            return Ok(());
        }
        let what = format!("{width} fields, but the header has {} columns", self.names.len());
        Err(CellError { line, column: None, what })
    }
}

/// The line a record starts on. After a `\r\n` the reader places the next
/// record at the `\n`, still counted on the line before.
fn line_of(position: &::csv::Position, block: &[u8]) -> u64 {
    let at_newline = usize::try_from(position.byte()).ok().and_then(|b| block.get(b)) == Some(&b'\n');
    position.line() + u64::from(at_newline)
}

/// Reads the next record; `false` at the end of the block.
pub(super) fn read_record(
    reader: &mut ::csv::Reader<&[u8]>,
    record: &mut ::csv::ByteRecord,
) -> Result<bool, CellError> {
    reader.read_byte_record(record).map_err(|e| CellError {
        line: e.position().map_or(0, |p| p.line()),
        column: None,
        what: e.to_string(),
    })
}

/// One column of a block as it is parsed.
enum Builder {
    Numeric(Vec<f32>),
    Text(TextBuilder),
    Skip,
}

impl Builder {
    /// An empty column part with room for `rows` values.
    fn new(kind: Kind, rows: usize) -> Builder {
        match kind {
            Kind::Numeric => Builder::Numeric(Vec::with_capacity(rows)),
            Kind::Text => Builder::Text(TextBuilder::default()),
            Kind::Skip => Builder::Skip,
        }
    }

    fn push(&mut self, field: &[u8], na: &NaTokens, missing: MissingRule) -> Result<(), String> {
        match self {
            Builder::Numeric(values) => values.push(number(field, na, missing)?),
            Builder::Text(builder) if na.is_missing(field) => {
                check_missing(field, missing)?;
                builder.push(None);
            }
            Builder::Text(builder) => builder.push(Some(utf8(field)?)),
            Builder::Skip => {}
        }
        Ok(())
    }

    fn finish(self) -> Part {
        match self {
            Builder::Numeric(v) => Part::Numeric(v),
            Builder::Text(b) => Part::Text(b.finish()),
            Builder::Skip => Part::Skip,
        }
    }
}

/// A numeric column's cell as f32 (NaN: missing), or what is wrong with it.
fn number(field: &[u8], na: &NaTokens, missing: MissingRule) -> Result<f32, String> {
    let shown = || String::from_utf8_lossy(field);
    match numeric_cell(field, na) {
        NumericCell::Number(v) => Ok(v),
        NumericCell::Missing => check_missing(field, missing).map(|_| f32::NAN),
        NumericCell::NotFinite => {
            Err(format!("'{}' is not a finite number (NaN and infinity are not allowed in a numeric column)", shown()))
        }
        NumericCell::OutOfRange => Err(format!(
            "'{}' is outside the range of 32-bit floats (about ±3.4e38), the precision rede computes in",
            shown()
        )),
        NumericCell::Text => Err(format!(
            "text in numeric column: '{}' is not a number (if it marks a missing value, add it to the \
             missing-value tokens: --na-values on the command line; if the column holds categories, read it as \
             text: --categorical)",
            shown()
        )),
    }
}

fn check_missing(field: &[u8], rule: MissingRule) -> Result<(), String> {
    let cell = || -> Result<String, String> {
        Ok(if field.is_empty() { "empty cell".to_string() } else { format!("missing value '{}'", utf8(field)?) })
    };
    match rule {
        MissingRule::Allowed => Ok(()),
        MissingRule::NeedsImputation => Err(format!(
            "{} (missing values need imputation: --impute mean|median|most-frequent|constant:VALUE on the \
             command line)",
            cell()?
        )),
        MissingRule::Target => Err(format!("{} in the target column (remove the row)", cell()?)),
    }
}

fn utf8(field: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(field).map_err(|e| format!("not valid UTF-8 (byte {} of the cell)", e.valid_up_to() + 1))
}
