//! Reading a CSV file with a header row into a [`Table`].
//!
//! The file is read in blocks of whole records, parsed on all cores straight
//! into typed columns: f32 numbers, and text as codes into a dictionary of
//! its distinct values (no cell becomes a `String` of its own).
//!
//! Column types are decided on the first block (about 4 MB): a column is
//! **numeric** when more of its present cells are numbers than not, and
//! **text** otherwise (or when the caller names it in
//! [`CsvOptions::categorical`]). A cell of a numeric column that is not a
//! number is an error wherever it is in the file, naming its line, column
//! and value: a typo or an unknown missing-value marker never turns a
//! numeric column into categories.
//!
//! Missing cells are the [`NA_TOKENS`](crate::data::NA_TOKENS) and the
//! caller's [`CsvOptions::na_values`]; they are errors unless
//! [`CsvOptions::allow_missing`] is set, and then read as NaN (numeric
//! columns) or a missing text cell, for a
//! [`FeaturePipeline`](crate::data::FeaturePipeline) to impute. Numbers must be
//! finite and within f32's range.
//!
//! Every problem is an [`Error::File`] naming the file and, where there is
//! one, the line (1-based, as a text editor shows it) and the column (by
//! header name and 1-based number).

mod blocks;
mod cells;
mod infer;
mod parse;
mod plain;

use super::text::TextBuilder;
use super::{Column, Table};
use crate::{Error, Result};
use blocks::Blocks;
pub(crate) use cells::NaTokens;
use parse::{CellError, Kind, Layout, MissingRule, Part};
use plain::count_lines;
use rayon::prelude::*;
use std::io::Read;
use std::path::Path;

/// How to read a CSV file.
#[derive(Clone, Debug, Default)]
pub struct CsvOptions {
    /// Field separator; `None` takes the one of `,` `;` tab `|` that the
    /// header line uses most (`,` when it has none).
    pub delimiter: Option<u8>,
    /// The column that holds the target; reading fails if there is none by
    /// that name, or if one of its cells is missing.
    pub target: Option<String>,
    /// Keep missing cells (NaN in numeric columns, a missing text cell)
    /// instead of failing on them.
    pub allow_missing: bool,
    /// More cells that mean "missing", besides [`NA_TOKENS`](crate::data::NA_TOKENS)
    /// (a number such as `-999` is allowed).
    pub na_values: Vec<String>,
    /// Columns read as text even when they hold numbers (codes, zip codes).
    pub categorical: Vec<String>,
    /// Columns left out: not parsed and not in the table.
    pub drop: Vec<String>,
}

/// Reads the CSV file at `path` (header row first).
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Table> {
    read_csv_with_progress(path, options, &mut |_, _| {})
}

/// [`read_csv`], calling `progress(bytes_read, file_size)` as it goes.
pub fn read_csv_with_progress(
    path: impl AsRef<Path>,
    options: &CsvOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Table> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| Error::file(path, format!("cannot open: {e}")))?;
    let size = file.metadata().map(|m| m.len()).ok();
    read(file, &path.display().to_string(), options, size, progress)
}

/// The column names of the CSV file at `path` (the delimiter detected when `None`).
pub fn read_csv_header(path: impl AsRef<Path>, delimiter: Option<u8>) -> Result<Vec<String>> {
    let path = path.as_ref();
    let fail = |msg: String| Error::file(path, msg);
    let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot open: {e}")))?;
    let first = next(&mut Blocks::new(file), &path.display().to_string())?.ok_or_else(|| fail(EMPTY.into()))?;
    let options = CsvOptions { delimiter, ..Default::default() };
    Ok(layout_of(&first, &options).map_err(fail)?.0.names)
}

/// Reads CSV text from `reader`; `source` names it in error messages.
pub fn read_csv_from(reader: impl Read, source: &str, options: &CsvOptions) -> Result<Table> {
    read(reader, source, options, None, &mut |_, _| {})
}

fn read(
    reader: impl Read,
    source: &str,
    options: &CsvOptions,
    size: Option<u64>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Table> {
    let fail = |msg: String| Error::file(source, msg);
    let mut blocks = Blocks::new(reader);
    let first = next(&mut blocks, source)?.ok_or_else(|| fail(EMPTY.into()))?;
    let (mut layout, header_line) = layout_of(&first, options).map_err(fail)?;
    located(infer::infer_kinds(&mut layout, &first), &layout, 1).map_err(fail)?;
    let rows_hint = size.map_or(0, |s| estimate_rows(s, &first));
    let mut columns = Columns::new(&layout, rows_hint);
    let threads = rayon::current_num_threads().max(1);
    let mut batch = vec![first];
    fill(&mut batch, threads, &mut blocks, source)?;
    let (mut start_line, mut first_batch) = (1u64, true);
    while !batch.is_empty() {
        // The next blocks are read on this thread while the pool parses this batch
        // (in place: the reader need not be `Send`).
        let mut ahead = Vec::with_capacity(threads);
        let mut parsed = Vec::new();
        let read = rayon::in_place_scope(|scope| {
            scope.spawn(|_| {
                let skip = |k: usize| usize::from(first_batch && k == 0);
                let parse = |(k, block): (usize, &Vec<u8>)| (layout.parse(block, skip(k)), count_lines(block));
                parsed = batch.par_iter().enumerate().map(parse).collect();
            });
            fill(&mut ahead, threads, &mut blocks, source)
        });
        read?;
        for (result, lines) in parsed {
            columns.append(located(result, &layout, start_line).map_err(fail)?);
            start_line += lines;
        }
        progress(blocks.consumed, size.unwrap_or(blocks.consumed));
        for block in std::mem::replace(&mut batch, ahead) {
            blocks.recycle(block);
        }
        first_batch = false;
    }
    columns.finish(&layout, header_line).map_err(fail)
}

/// Reads blocks into `batch` until it holds `threads` or the input ends.
fn fill<R: Read>(batch: &mut Vec<Vec<u8>>, threads: usize, blocks: &mut Blocks<R>, source: &str) -> Result<()> {
    while batch.len() < threads {
        match next(blocks, source)? {
            Some(block) => batch.push(block),
            None => break,
        }
    }
    Ok(())
}

const EMPTY: &str = "empty file (expected a header row and data rows)";

fn next<R: Read>(blocks: &mut Blocks<R>, source: &str) -> Result<Option<Vec<u8>>> {
    blocks.next_block().map_err(|e| Error::file(source, format!("cannot read: {e}")))
}

/// About how many rows a file of `size` bytes has, from its first block.
fn estimate_rows(size: u64, first: &[u8]) -> usize {
    let lines = count_lines(first).max(1);
    let per_row = first.len() as f64 / lines as f64;
    (size as f64 / per_row * 1.02) as usize + 16
}

/// The layout the header and `options` describe, and the header's line.
fn layout_of(first: &[u8], options: &CsvOptions) -> std::result::Result<(Layout, u64), String> {
    let delimiter = options.delimiter.unwrap_or_else(|| infer::detect_delimiter(first));
    let mut layout = Layout {
        names: Vec::new(),
        kinds: Vec::new(),
        missing: Vec::new(),
        delimiter,
        na: NaTokens::new(&options.na_values),
    };
    let mut reader = layout.reader(first);
    let mut record = ::csv::ByteRecord::new();
    let has_header = parse::read_record(&mut reader, &mut record).map_err(|e| line_error(&e, 1))?;
    if !has_header {
        return Err(EMPTY.into());
    }
    let (line, names) = infer::header(&record)?;
    super::typed::check_names(&names, options)?;
    layout.kinds = names
        .iter()
        .map(|n| match () {
            _ if options.drop.contains(n) => Kind::Skip,
            _ if options.categorical.contains(n) => Kind::Text,
            _ => Kind::Numeric,
        })
        .collect();
    layout.missing = names
        .iter()
        .map(|n| match () {
            _ if options.target.as_ref() == Some(n) => MissingRule::Target,
            _ if options.allow_missing => MissingRule::Allowed,
            _ => MissingRule::NeedsImputation,
        })
        .collect();
    layout.names = names;
    Ok((layout, line))
}

/// Where a cell is, as a text editor and the header show it.
fn at(line: u64, name: &str, column: usize) -> String {
    format!("line {line}, column '{name}' ({})", column + 1)
}

fn line_error(e: &CellError, start_line: u64) -> String {
    format!("line {}: {}", start_line + e.line.max(1) - 1, e.what)
}

/// A block's result with its error placed in the file: `start_line` is the block's first line.
fn located<T>(
    result: std::result::Result<T, CellError>,
    layout: &Layout,
    start_line: u64,
) -> std::result::Result<T, String> {
    result.map_err(|e| match e.column {
        Some(j) => format!("{}: {}", at(start_line + e.line.max(1) - 1, &layout.names[j], j), e.what),
        None => line_error(&e, start_line),
    })
}

/// The columns of the whole file, filled a block at a time.
struct Columns {
    parts: Vec<Merged>,
}

enum Merged {
    Numeric(Vec<f32>),
    Text(TextBuilder),
    Skip,
}

impl Columns {
    fn new(layout: &Layout, rows_hint: usize) -> Columns {
        let parts = layout
            .kinds
            .iter()
            .map(|k| match k {
                Kind::Numeric => Merged::Numeric(Vec::with_capacity(rows_hint)),
                Kind::Text => Merged::Text(TextBuilder::default()),
                Kind::Skip => Merged::Skip,
            })
            .collect();
        Columns { parts }
    }

    /// Appends a block's parts, a column per task.
    fn append(&mut self, block: Vec<Part>) {
        self.parts.par_iter_mut().zip(block).for_each(|(merged, part)| match (merged, part) {
            (Merged::Numeric(all), Part::Numeric(v)) => all.extend_from_slice(&v),
            (Merged::Text(all), Part::Text(t)) => all.extend(&t),
            _ => {}
        });
    }

    /// The table, once every kept column is known to hold a value.
    fn finish(self, layout: &Layout, header_line: u64) -> std::result::Result<Table, String> {
        let mut columns = Vec::new();
        for (j, merged) in self.parts.into_iter().enumerate() {
            let column = match merged {
                Merged::Numeric(mut v) => {
                    v.shrink_to_fit();
                    Column::Numeric(v)
                }
                Merged::Text(t) => Column::Text(t.finish()),
                Merged::Skip => continue,
            };
            if column.is_empty() {
                return Err(format!("only a header row (line {header_line}), no data rows"));
            }
            if column.n_missing() == column.len() {
                return Err(format!("column '{}' ({}) is empty in every row", layout.names[j], j + 1));
            }
            columns.push((layout.names[j].clone(), column));
        }
        if columns.is_empty() {
            return Err("every column is dropped".into());
        }
        Table::new(columns).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Table> {
        read_csv_from(text.as_bytes(), "t.csv", &CsvOptions::default())
    }

    #[test]
    fn infers_numeric_and_text_columns() {
        let t = read("x, color\n1.5, red\n-2e1 ,blue\n").unwrap();
        assert_eq!(t.column("x"), Some(&Column::Numeric(vec![1.5, -20.0])));
        assert_eq!(t.column("color"), Some(&Column::text(&["red", "blue"])));
    }

    #[test]
    fn quoted_newlines_keep_line_numbers_right() {
        let err = read("a,b\n\"two\nlines\",1\nx,\n").unwrap_err().to_string();
        assert!(err.contains("line 4, column 'b' (2): empty cell"), "{err}");
    }

    #[test]
    fn windows_line_endings_keep_line_numbers_right() {
        // Both readers: the quote-free fast path and the general one.
        for first in ["a", "\"a\""] {
            let err = read(&format!("{first},b\r\n1,2\r\n\r\n3,4\r\n5,6\r\n7,x\r\n")).unwrap_err().to_string();
            assert!(err.contains("line 6, column 'b' (2): text in numeric column: 'x'"), "{err}");
        }
    }

    #[test]
    fn byte_order_mark_is_not_part_of_the_first_name() {
        let t = read("\u{feff}a,b\n1,2\n").unwrap();
        assert_eq!(t.names(), &["a".to_string(), "b".to_string()]);
    }

    /// A file of several blocks: `rows` rows of `i, i/2, category`, with quoted
    /// cells that span two lines every 1,000 rows.
    fn many_rows(rows: usize) -> String {
        let mut text = String::from("i,half,c\n");
        for i in 0..rows {
            let c = if i % 1000 == 0 { "\"two\nlines\"".to_string() } else { format!("c{}", i % 7) };
            text += &format!("{i},{},{c}\n", i as f32 / 2.0);
        }
        text
    }

    #[test]
    fn blocks_parsed_in_parallel_keep_row_order_and_one_dictionary() {
        let rows = 600_000;
        let text = many_rows(rows);
        assert!(text.len() > 2 * blocks::BLOCK_BYTES, "the test spans several blocks");
        let t = read(&text).unwrap();
        let Some(Column::Numeric(i)) = t.column("i") else { panic!("i is numeric") };
        assert!(i.iter().enumerate().all(|(k, &v)| v == k as f32));
        let Some(Column::Text(c)) = t.column("c") else { panic!("c is text") };
        assert_eq!(c.dictionary().len(), 8);
        assert_eq!(c.get(1000), Some("two\nlines"));
        assert_eq!(c.get(rows - 1), Some(format!("c{}", (rows - 1) % 7).as_str()));
    }

    #[test]
    fn stray_text_deep_in_a_numeric_column_names_its_line() {
        let rows = 600_000;
        let text = many_rows(rows).replacen(&format!("\n{},", rows - 5), &format!("\n{}x,", rows - 5), 1);
        let err = read(&text).unwrap_err().to_string();
        // Line 1 is the header, and each quoted cell (one per 1,000 rows) adds a line.
        let line = rows - 5 + 2 + rows / 1000;
        let expected = format!("line {line}, column 'i' (1): text in numeric column: '{}x'", rows - 5);
        assert!(err.contains(&expected), "{err}");
    }
}
