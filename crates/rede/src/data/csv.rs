//! Reading a CSV file with a header row into a [`Table`].
//!
//! Column types are inferred: a column is **numeric** when every non-empty
//! cell parses as a finite f64, and **text** otherwise. A column where at
//! least 90% of the non-empty cells are numbers but some are not is taken to
//! be a numeric column with a typo or a missing-value marker (`NA`, `?`), and
//! is rejected with "text in numeric column" naming the first offending cell,
//! rather than silently becoming a column of categories.
//!
//! Every problem is an [`Error::File`] naming the file and, where there is
//! one, the line (1-based, as a text editor shows it) and the column (by
//! header name and 1-based number).

use super::{Column, Table};
use crate::{Error, Result};
use std::io::Read;
use std::path::Path;

/// A column where at least this share of the non-empty cells are numbers is
/// numeric, and its other cells are errors.
const NUMERIC_SHARE: f64 = 0.9;

/// How to read a CSV file.
#[derive(Clone, Debug)]
pub struct CsvOptions {
    /// Field separator (default `,`).
    pub delimiter: u8,
    /// The column that holds the target; reading fails if there is none by that name.
    pub target: Option<String>,
    /// Fill empty cells (the column's mean for numeric columns, its most
    /// frequent value for text columns) instead of failing on them.
    pub impute_missing: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { delimiter: b',', target: None, impute_missing: false }
    }
}

/// Reads the CSV file at `path` (header row first).
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Table> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| Error::file(path, format!("cannot open: {e}")))?;
    read_csv_from(file, &path.display().to_string(), options)
}

/// Reads CSV text from `reader`; `source` names it in error messages.
pub fn read_csv_from(reader: impl Read, source: &str, options: &CsvOptions) -> Result<Table> {
    let fail = |msg: String| Error::file(source, msg);
    let raw = RawTable::parse(reader, options.delimiter).map_err(fail)?;
    if let Some(target) = &options.target {
        if !raw.names.contains(target) {
            return Err(fail(format!("unknown target column '{target}'; the columns are: {}", raw.names.join(", "))));
        }
    }
    let columns = (0..raw.names.len())
        .map(|j| Ok((raw.names[j].clone(), raw.column(j, options.impute_missing)?)))
        .collect::<std::result::Result<Vec<_>, String>>()
        .map_err(fail)?;
    Table::new(columns)
}

/// Where a cell is, as a text editor and the header show it.
fn at(line: u64, name: &str, column: usize) -> String {
    format!("line {line}, column '{name}' ({})", column + 1)
}

/// The cells of a CSV file as text, column by column, with the line of each row.
struct RawTable {
    names: Vec<String>,
    cells: Vec<Vec<String>>,
    lines: Vec<u64>,
}

impl RawTable {
    fn parse(reader: impl Read, delimiter: u8) -> std::result::Result<RawTable, String> {
        let mut csv = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(::csv::Trim::All)
            .delimiter(delimiter)
            .from_reader(reader);
        let mut records = csv.byte_records();
        let (header_line, names) = match records.next() {
            None => return Err("empty file (expected a header row and data rows)".into()),
            Some(record) => header(record.map_err(csv_error)?)?,
        };
        let mut raw = RawTable { cells: vec![Vec::new(); names.len()], names, lines: Vec::new() };
        for record in records {
            raw.push_row(record.map_err(csv_error)?)?;
        }
        if raw.lines.is_empty() {
            return Err(format!("only a header row (line {header_line}), no data rows"));
        }
        Ok(raw)
    }

    fn push_row(&mut self, record: ::csv::ByteRecord) -> std::result::Result<(), String> {
        let line = line_of(&record);
        if record.len() != self.names.len() {
            return Err(format!(
                "line {line}: {} fields, but the header has {} columns",
                record.len(),
                self.names.len()
            ));
        }
        for (j, field) in record.iter().enumerate() {
            let text = std::str::from_utf8(field).map_err(|e| {
                format!("{}: not valid UTF-8 (byte {} of the cell)", at(line, &self.names[j], j), e.valid_up_to() + 1)
            })?;
            self.cells[j].push(text.to_string());
        }
        self.lines.push(line);
        Ok(())
    }

    /// Column `j` as numbers or text (see the module docs for the rule).
    fn column(&self, j: usize, impute: bool) -> std::result::Result<Column, String> {
        let (name, cells) = (&self.names[j], &self.cells[j]);
        let filled: Vec<usize> = (0..cells.len()).filter(|&i| !cells[i].is_empty()).collect();
        if filled.is_empty() {
            return Err(format!("column '{name}' ({}) is empty in every row", j + 1));
        }
        if !impute {
            if let Some(i) = (0..cells.len()).find(|&i| cells[i].is_empty()) {
                return Err(format!(
                    "{}: empty cell (use the impute option to fill empty cells)",
                    at(self.lines[i], name, j)
                ));
            }
        }
        let numbers: Vec<(usize, f64)> =
            filled.iter().filter_map(|&i| cells[i].parse::<f64>().ok().map(|v| (i, v))).collect();
        if numbers.len() == filled.len() {
            return self.numeric(j, &numbers);
        }
        if numbers.len() as f64 >= NUMERIC_SHARE * filled.len() as f64 {
            let i = filled.iter().copied().find(|&i| cells[i].parse::<f64>().is_err()).expect("a non-number exists");
            let msg = format!(
                "{}: text in numeric column: '{}' is not a number ({} of the column's {} cells are numbers)",
                at(self.lines[i], name, j),
                cells[i],
                numbers.len(),
                filled.len()
            );
            return Err(msg);
        }
        Ok(Column::Text(fill_text(cells)))
    }

    /// A numeric column from its parsed cells; empty cells get the mean.
    fn numeric(&self, j: usize, numbers: &[(usize, f64)]) -> std::result::Result<Column, String> {
        if let Some(&(i, _)) = numbers.iter().find(|(_, v)| !v.is_finite()) {
            let cell = &self.cells[j][i];
            return Err(format!(
                "{}: '{cell}' is not a finite number (NaN and infinity are not allowed in a numeric column)",
                at(self.lines[i], &self.names[j], j)
            ));
        }
        let mean = numbers.iter().map(|&(_, v)| v).sum::<f64>() / numbers.len() as f64;
        let mut values = vec![mean; self.cells[j].len()];
        for &(i, v) in numbers {
            values[i] = v;
        }
        Ok(Column::Numeric(values))
    }
}

/// The header record: its line and the column names (checked: UTF-8, non-empty, unique).
fn header(record: ::csv::ByteRecord) -> std::result::Result<(u64, Vec<String>), String> {
    let line = line_of(&record);
    let mut names = Vec::with_capacity(record.len());
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

/// Text cells with the empty ones replaced by the most frequent value (ties:
/// the first in sorted order, so the result does not depend on row order).
fn fill_text(cells: &[String]) -> Vec<String> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for c in cells.iter().filter(|c| !c.is_empty()) {
        *counts.entry(c).or_default() += 1;
    }
    let top = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(v, _)| v.to_string());
    let top = top.unwrap_or_default();
    cells.iter().map(|c| if c.is_empty() { top.clone() } else { c.clone() }).collect()
}

/// The 1-based line where a record starts.
fn line_of(record: &::csv::ByteRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

fn csv_error(e: ::csv::Error) -> String {
    match e.position() {
        Some(p) => format!("line {}: {e}", p.line()),
        None => e.to_string(),
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
        assert_eq!(t.column("color"), Some(&Column::Text(vec!["red".into(), "blue".into()])));
    }

    #[test]
    fn quoted_newlines_keep_line_numbers_right() {
        let err = read("a,b\n\"two\nlines\",1\nx,\n").unwrap_err().to_string();
        assert!(err.contains("line 4, column 'b' (2): empty cell"), "{err}");
    }

    #[test]
    fn most_frequent_fill_breaks_ties_by_sorted_order() {
        let cells: Vec<String> = ["b", "a", "", "b", "a"].iter().map(|s| s.to_string()).collect();
        assert_eq!(fill_text(&cells)[2], "a");
    }

    #[test]
    fn byte_order_mark_is_not_part_of_the_first_name() {
        let t = read("\u{feff}a,b\n1,2\n").unwrap();
        assert_eq!(t.names(), &["a".to_string(), "b".to_string()]);
    }
}
