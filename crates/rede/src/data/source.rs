//! Reading a table from a file in any format rede reads, chosen by the
//! file's extension: `.npy` and `.npz` (NumPy), `.parquet` (with the
//! `parquet` feature), and CSV for every other name (`.csv`, `.tsv`,
//! `.txt`, none at all), as before these formats existed; or from a file's
//! bytes held in memory, in a format named by the caller.

use super::{npy, typed, CsvOptions, Table};
use crate::{Error, Result};
use std::path::Path;

/// The formats a table can be read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Delimited text with a header row.
    Csv,
    /// A NumPy array (`.npy`).
    Npy,
    /// A zip archive of NumPy arrays (`.npz`).
    Npz,
    /// An Apache Parquet file (`.parquet`, `.pq`).
    Parquet,
}

impl Format {
    /// The format of the file at `path`, by its extension (case ignored); CSV
    /// when the extension names no other format.
    pub fn of(path: &Path) -> Format {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("npy") => Format::Npy,
            Some("npz") => Format::Npz,
            Some("parquet" | "pq") => Format::Parquet,
            _ => Format::Csv,
        }
    }
}

/// Reads the table in the file at `path`, in the format its extension names
/// (see [`Format::of`]). The options mean the same for every format;
/// [`CsvOptions::delimiter`] applies to CSV files only. In NumPy and Parquet
/// files a NaN is a missing value, as an empty CSV cell is.
pub fn read_table(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Table> {
    read_table_with_progress(path, options, &mut |_, _| {})
}

/// [`read_table`], calling `progress(bytes_read, file_size)` as it goes
/// (for formats other than CSV, once at the end).
pub fn read_table_with_progress(
    path: impl AsRef<Path>,
    options: &CsvOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Table> {
    let path = path.as_ref();
    let columns = match Format::of(path) {
        Format::Csv => return super::read_csv_with_progress(path, options, progress),
        Format::Npy => npy::read_npy(path),
        Format::Npz => npy::read_npz(path),
        Format::Parquet => parquet_columns(Input::File(path)),
    };
    let table = finish(columns, options, path)?;
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    progress(size, size);
    Ok(table)
}

/// Reads the table in `bytes`, the whole content of a file in `format`, as
/// [`read_table`] reads a file (the options mean the same); `source` names
/// the data in error messages, as a path does.
pub fn read_table_from_bytes(bytes: &[u8], format: Format, source: &str, options: &CsvOptions) -> Result<Table> {
    let columns = match format {
        Format::Csv => return super::read_csv_from(bytes, source, options),
        Format::Npy => npy::read_npy_from(bytes, bytes.len() as u64),
        Format::Npz => npy::read_npz_from(std::io::Cursor::new(bytes)),
        Format::Parquet => parquet_columns(Input::Memory(bytes)),
    };
    finish(columns, options, source)
}

/// The column names of the file at `path` without reading its data where the
/// format allows (`delimiter`: of a CSV file, detected when `None`).
pub fn read_column_names(path: impl AsRef<Path>, delimiter: Option<u8>) -> Result<Vec<String>> {
    let path = path.as_ref();
    let names = match Format::of(path) {
        Format::Csv => return super::read_csv_header(path, delimiter),
        Format::Npy => npy::npy_names(path),
        Format::Npz => npy::npz_names(path),
        Format::Parquet => parquet_names(path),
    };
    names.map_err(|msg| Error::file(path, msg))
}

type Columns = std::result::Result<Vec<(String, super::Column)>, String>;

/// The table these columns make under `options`; errors name `source`.
fn finish(columns: Columns, options: &CsvOptions, source: impl AsRef<Path>) -> Result<Table> {
    columns.and_then(|c| typed::finish(c, options)).map_err(|msg| Error::file(source, msg))
}

/// Where the bytes of a Parquet file are.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
enum Input<'a> {
    File(&'a Path),
    Memory(&'a [u8]),
}

#[cfg(feature = "parquet")]
fn parquet_columns(input: Input) -> Columns {
    match input {
        Input::File(path) => super::parquet::read_parquet(path),
        Input::Memory(bytes) => super::parquet::read_parquet_bytes(bytes::Bytes::copy_from_slice(bytes)),
    }
}

#[cfg(feature = "parquet")]
fn parquet_names(path: &Path) -> std::result::Result<Vec<String>, String> {
    super::parquet::parquet_names(path)
}

#[cfg(not(feature = "parquet"))]
const NO_PARQUET: &str =
    "reading Parquet files needs rede built with the `parquet` feature (cargo build --features parquet)";

#[cfg(not(feature = "parquet"))]
fn parquet_columns(_: Input) -> Columns {
    Err(NO_PARQUET.into())
}

#[cfg(not(feature = "parquet"))]
fn parquet_names(_: &Path) -> std::result::Result<Vec<String>, String> {
    Err(NO_PARQUET.into())
}
