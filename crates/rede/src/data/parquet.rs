//! Apache Parquet files as tables (feature `parquet`): numeric columns
//! (floats, integers, booleans) become f32 with nulls and NaN as missing
//! values; UTF-8 string columns become dictionary-encoded text.
//!
//! The file is read into memory once and its columns are decoded in
//! parallel, each through every row group, with the `parquet` crate's
//! column readers (no Arrow, to keep the build small).

use super::text::TextBuilder;
use super::Column;
use bytes::Bytes;
use parquet::basic::{LogicalType, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;
use rayon::prelude::*;
use std::path::Path;

/// At most this many values are reserved ahead for a column (about 1 GB of f32).
const MAX_RESERVE: usize = 1 << 28;

/// Values decoded per call to a column reader.
const BATCH: usize = 64 * 1024;

/// The columns of the Parquet file at `path`.
pub(super) fn read_parquet(path: &Path) -> Result<Vec<(String, Column)>, String> {
    read_parquet_bytes(read(path)?)
}

/// The columns of the Parquet file `bytes` holds.
pub(super) fn read_parquet_bytes(bytes: Bytes) -> Result<Vec<(String, Column)>, String> {
    let reader = open(bytes)?;
    let schema = reader.metadata().file_metadata().schema_descr();
    let kept: Vec<usize> = (0..schema.num_columns()).filter(|&j| !is_index(schema.column(j).name())).collect();
    kept.par_iter()
        .map(|&j| {
            let descr = schema.column(j);
            let name = descr.name().to_string();
            let column = read_column(&reader, j, &descr).map_err(|e| format!("column '{name}': {e}"))?;
            Ok((name, column))
        })
        .collect()
}

/// The column names of the Parquet file at `path`, from its metadata.
pub(super) fn parquet_names(path: &Path) -> Result<Vec<String>, String> {
    let reader = open(read(path)?)?;
    let schema = reader.metadata().file_metadata().schema_descr();
    Ok((0..schema.num_columns()).map(|j| schema.column(j).name().to_string()).filter(|n| !is_index(n)).collect())
}

fn read(path: &Path) -> Result<Bytes, String> {
    std::fs::read(path).map(Bytes::from).map_err(|e| format!("cannot read: {e}"))
}

fn open(bytes: Bytes) -> Result<SerializedFileReader<Bytes>, String> {
    SerializedFileReader::new(bytes).map_err(|e| format!("not a valid Parquet file: {e}"))
}

/// pandas stores a non-default index as a column of this name; like
/// `pandas.read_parquet`, rede does not take it for data.
fn is_index(name: &str) -> bool {
    name.starts_with("__index_level_")
}

/// Column `j` through every row group.
fn read_column(reader: &SerializedFileReader<Bytes>, j: usize, descr: &ColumnDescriptor) -> Result<Column, String> {
    if descr.max_rep_level() > 0 {
        return Err("nested (list) columns are not supported".into());
    }
    let logical = descr.logical_type_ref();
    let unsigned = matches!(logical, Some(LogicalType::Integer { is_signed: false, .. }));
    // Dates, timestamps and decimals are numbers in the file but not as rede would read them.
    let supported = matches!(
        (descr.physical_type(), logical),
        (PhysicalType::INT32 | PhysicalType::INT64, None | Some(LogicalType::Integer { .. }))
            | (PhysicalType::BOOLEAN | PhysicalType::FLOAT | PhysicalType::DOUBLE, None)
            | (PhysicalType::BYTE_ARRAY, None | Some(LogicalType::String | LogicalType::Enum))
    );
    if !supported {
        return Err(format!(
            "type {} ({:?}) is not supported; rede reads numbers, booleans and UTF-8 text",
            descr.physical_type(),
            logical
        ));
    }
    let rows = usize::try_from(reader.metadata().file_metadata().num_rows()).unwrap_or(0);
    let mut out = Out::new(descr.physical_type() == PhysicalType::BYTE_ARRAY, rows);
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(|e| format!("row group {g}: {e}"))?;
        let column = group.get_column_reader(j).map_err(|e| format!("row group {g}: {e}"))?;
        let max_def = descr.max_def_level();
        match column {
            ColumnReader::BoolColumnReader(r) => drain(r, max_def, &mut out, |v| f64::from(u8::from(*v))),
            ColumnReader::Int32ColumnReader(r) if unsigned => drain(r, max_def, &mut out, |v| f64::from(*v as u32)),
            ColumnReader::Int32ColumnReader(r) => drain(r, max_def, &mut out, |v| f64::from(*v)),
            ColumnReader::Int64ColumnReader(r) if unsigned => drain(r, max_def, &mut out, |v| *v as u64 as f64),
            ColumnReader::Int64ColumnReader(r) => drain(r, max_def, &mut out, |v| *v as f64),
            ColumnReader::FloatColumnReader(r) => drain(r, max_def, &mut out, |v| f64::from(*v)),
            ColumnReader::DoubleColumnReader(r) => drain(r, max_def, &mut out, |v| *v),
            ColumnReader::ByteArrayColumnReader(r) => drain_text(r, max_def, &mut out),
            _ => Err("unsupported physical type".into()),
        }?;
    }
    out.finish()
}

/// A column as it is decoded.
enum Out {
    Numeric(Vec<f32>),
    Text(TextBuilder),
}

impl Out {
    /// An empty column; a numeric one with room for `rows` values when
    /// memory allows (the file says how many, so it is only a hint).
    fn new(text: bool, rows: usize) -> Out {
        if text {
            Out::Text(TextBuilder::default())
        } else {
            let mut values = Vec::new();
            // Growing by doubling would copy and touch the memory again.
            let _ = values.try_reserve_exact(rows.min(MAX_RESERVE));
            Out::Numeric(values)
        }
    }

    /// Appends a number (`None`: null), checked to fit f32.
    fn number(&mut self, v: Option<f64>) -> Result<(), String> {
        let Out::Numeric(values) = self else { return Err("mixed types".into()) };
        let v = v.unwrap_or(f64::NAN);
        let fits = v.is_finite() && v.abs() <= f64::from(f32::MAX);
        if !(v.is_nan() || fits) {
            let row = values.len();
            return Err(format!(
                "row {row} (0-based): {v} is not a finite number within the range of 32-bit floats (about \
                 ±3.4e38), the precision rede computes in"
            ));
        }
        values.push(v as f32);
        Ok(())
    }

    fn finish(self) -> Result<Column, String> {
        Ok(match self {
            Out::Numeric(v) => Column::Numeric(v),
            Out::Text(t) => Column::Text(t.finish()),
        })
    }
}

/// Reads a numeric column chunk to its end; nulls become NaN.
fn drain<T: DataType>(
    mut reader: ColumnReaderImpl<T>,
    max_def: i16,
    out: &mut Out,
    value: impl Fn(&T::T) -> f64,
) -> Result<(), String> {
    let (mut defs, mut values) = (Vec::new(), Vec::new());
    loop {
        defs.clear();
        values.clear();
        let (records, _, _) =
            reader.read_records(BATCH, Some(&mut defs), None, &mut values).map_err(|e| e.to_string())?;
        if records == 0 {
            return Ok(());
        }
        if max_def == 0 {
            values.iter().try_for_each(|v| out.number(Some(value(v))))?;
        } else {
            let mut present = values.iter();
            for &d in &defs {
                let v = if d == max_def { present.next().map(&value) } else { None };
                out.number(v)?;
            }
        }
    }
}

fn text(v: &parquet::data_type::ByteArray) -> Result<&str, String> {
    v.as_utf8().map_err(|_| "a value is not valid UTF-8".to_string())
}

/// Reads a text column chunk to its end; nulls become missing cells.
fn drain_text(
    mut reader: ColumnReaderImpl<parquet::data_type::ByteArrayType>,
    max_def: i16,
    out: &mut Out,
) -> Result<(), String> {
    let Out::Text(builder) = out else { return Err("mixed types".into()) };
    let (mut defs, mut values) = (Vec::new(), Vec::new());
    loop {
        defs.clear();
        values.clear();
        let (records, _, _) =
            reader.read_records(BATCH, Some(&mut defs), None, &mut values).map_err(|e| e.to_string())?;
        if records == 0 {
            return Ok(());
        }
        if max_def == 0 {
            for v in &values {
                builder.push(Some(text(v)?));
            }
        } else {
            let mut present = values.iter();
            for &d in &defs {
                // Only present values are stored: a null takes none.
                match if d == max_def { present.next() } else { None } {
                    Some(v) => builder.push(Some(text(v)?)),
                    None => builder.push(None),
                }
            }
        }
    }
}
