//! NumPy's `.npy` and `.npz` files as tables (the format of
//! `numpy.lib.format`, parsed here; nothing is ever unpickled).
//!
//! * A 2-D array (C or Fortran order) has columns named `0`, `1`, … as
//!   `pandas.DataFrame(array)` names them.
//! * A 1-D structured array (`df.to_records(index=False)`) has a column per
//!   field; text fields (`<U…`, `|S…`) become text columns.
//! * An `.npz` archive holds either one column per 1-D member, named by its
//!   key, or a single 2-D member read as above.
//!
//! Every size the file claims is checked against the bytes present before
//! anything is allocated, so a damaged file is an error, never an abort:
//! every element takes at least one byte, and the columns of an array with
//! no rows, which no bytes back, are not counted.

mod decode;
mod header;
mod npz;

use super::Column;
use decode::Strided;
use header::{shape_text, Descr, Header, Kind};
use std::io::Read;
use std::path::Path;

/// The magic string that starts every `.npy` file.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Headers longer than this are refused (numpy writes a few hundred bytes,
/// more only for structured arrays with many fields).
const MAX_HEADER: usize = 16 << 20;

/// An array read from a file: its header and its raw data.
pub(super) struct Array {
    header: Header,
    data: Vec<u8>,
}

/// The columns of the `.npy` file at `path`.
pub(super) fn read_npy(path: &Path) -> Result<Vec<(String, Column)>, String> {
    let (file, size) = open(path)?;
    read_npy_from(std::io::BufReader::new(file), size)
}

/// The columns of the `.npy` file that `reader` holds, `size` bytes in all.
pub(super) fn read_npy_from(reader: impl Read, size: u64) -> Result<Vec<(String, Column)>, String> {
    table_columns(&read_array(reader, size)?)
}

/// The column names of the `.npy` file at `path`, from its header alone.
pub(super) fn npy_names(path: &Path) -> Result<Vec<String>, String> {
    let (file, _) = open(path)?;
    let (header, _) = read_header(&mut std::io::BufReader::new(file))?;
    names(&header)
}

pub(super) use npz::{npz_names, read_npz, read_npz_from};

fn open(path: &Path) -> Result<(std::fs::File, u64), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let size = file.metadata().map_err(|e| format!("cannot read: {e}"))?.len();
    Ok((file, size))
}

/// Reads the header, returning it and the bytes it took.
fn read_header(reader: &mut impl Read) -> Result<(Header, u64), String> {
    let mut start = [0u8; 10];
    read_exact(reader, &mut start, "the header")?;
    if &start[..6] != MAGIC {
        return Err("not a .npy file (it does not start with \\x93NUMPY)".into());
    }
    let (len, prefix) = match start[6] {
        1 => (usize::from(u16::from_le_bytes([start[8], start[9]])), 10),
        2 | 3 => {
            let mut more = [0u8; 2];
            read_exact(reader, &mut more, "the header")?;
            (u32::from_le_bytes([start[8], start[9], more[0], more[1]]) as usize, 12)
        }
        v => return Err(format!("unsupported .npy format version {v}.{}", start[7])),
    };
    if len > MAX_HEADER {
        return Err(format!("the header claims {len} bytes, more than any array needs"));
    }
    let mut text = vec![0u8; len];
    read_exact(reader, &mut text, "the header")?;
    let text = std::str::from_utf8(&text).map_err(|_| "the header is not text".to_string())?;
    Ok((header::parse(text)?, (prefix + len) as u64))
}

/// Reads one array from `reader`, which holds `available` bytes in all.
fn read_array(mut reader: impl Read, available: u64) -> Result<Array, String> {
    let (header, used) = read_header(&mut reader)?;
    let needed = header.count()?.checked_mul(header.item_size()).ok_or("the array is impossibly large")?;
    let present = available.saturating_sub(used);
    let truncated = |present: u64| {
        format!(
            "truncated: the shape {} needs {needed} bytes of data but the file has {present}",
            shape_text(&header.shape)
        )
    };
    if (needed as u64) > present {
        return Err(truncated(present));
    }
    let mut data = Vec::new();
    data.try_reserve_exact(needed).map_err(|_| format!("not enough memory for {needed} bytes of data"))?;
    reader.take(needed as u64).read_to_end(&mut data).map_err(|e| format!("cannot read the data: {e}"))?;
    if data.len() < needed {
        return Err(truncated(data.len() as u64));
    }
    Ok(Array { header, data })
}

fn read_exact(reader: &mut impl Read, buf: &mut [u8], what: &str) -> Result<(), String> {
    reader.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => format!("truncated: the file ends inside {what}"),
        _ => format!("cannot read {what}: {e}"),
    })
}

/// The column names a table read from an array with this header has.
fn names(header: &Header) -> Result<Vec<String>, String> {
    match (&header.descr, header.shape.as_slice()) {
        // No bytes back the number of columns of an empty array, so it is not trusted.
        (Descr::Plain(_), &[0, _]) => Err(format!("no data rows (the array has shape {})", shape_text(&header.shape))),
        (Descr::Plain(_), &[_, d]) => Ok((0..d).map(|j| j.to_string()).collect()),
        (Descr::Fields(fields), &[_]) => {
            Ok(fields.iter().filter(|f| f.dtype.kind != Kind::Padding).map(|f| f.name.clone()).collect())
        }
        _ => Err(shape_problem(header)),
    }
}

/// Why an array of this shape is no table.
fn shape_problem(header: &Header) -> String {
    let shape = shape_text(&header.shape);
    match (&header.descr, header.shape.len()) {
        (Descr::Plain(_), 1) => format!(
            "a 1-D array (shape {shape}) is one column without a name; save a 2-D array (x.reshape(-1, 1)), \
             or name columns in an .npz (np.savez(file, **{{name: column}}))"
        ),
        (Descr::Plain(_), _) => format!("the array has shape {shape}; a table needs a 2-D array (rows, columns)"),
        (Descr::Fields(_), _) => {
            format!("the structured array has shape {shape}; a table needs a 1-D array of records")
        }
    }
}

/// The columns of a 2-D array or a 1-D structured array.
fn table_columns(array: &Array) -> Result<Vec<(String, Column)>, String> {
    let header = &array.header;
    let names = names(header)?;
    match (&header.descr, header.shape.as_slice()) {
        (Descr::Plain(dtype), &[n, d]) => (0..d)
            .map(|j| {
                // C order stores row after row, Fortran order column after column.
                let (start, stride) =
                    if header.fortran { (j * n * dtype.size, dtype.size) } else { (j * dtype.size, d * dtype.size) };
                let column = Strided::new(&array.data, start, stride, n, dtype.size)?.column(*dtype, &names[j])?;
                Ok((names[j].clone(), column))
            })
            .collect(),
        (Descr::Fields(fields), &[n]) => fields
            .iter()
            .filter(|f| f.dtype.kind != Kind::Padding)
            .map(|f| {
                let column = Strided::new(&array.data, f.offset, header.item_size(), n, f.dtype.size)?
                    .column(f.dtype, &f.name)?;
                Ok((f.name.clone(), column))
            })
            .collect(),
        _ => Err(shape_problem(header)),
    }
}

/// The single column of a 1-D array (an `.npz` member), called `name`.
fn single_column(array: &Array, name: &str) -> Result<Column, String> {
    match (&array.header.descr, array.header.shape.as_slice()) {
        (Descr::Plain(dtype), &[n]) => Strided::new(&array.data, 0, dtype.size, n, dtype.size)?.column(*dtype, name),
        _ => Err(format!(
            "member '{name}' has shape {}; with several members each must be a 1-D column",
            shape_text(&array.header.shape)
        )),
    }
}
