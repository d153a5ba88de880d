//! `.npz` files: zip archives of `.npy` arrays, as `np.savez` and
//! `np.savez_compressed` write them (members stored or deflated).

use super::{names, read_array, read_header, single_column, table_columns, Array};
use crate::data::Column;
use std::io::{Read, Seek};
use std::path::Path;

/// The columns of the `.npz` file at `path`: one per 1-D member, named by
/// its key, or those of its only member when that is a table itself.
pub(in crate::data) fn read_npz(path: &Path) -> Result<Vec<(String, Column)>, String> {
    read_npz_from(open(path)?)
}

/// The columns of the `.npz` file that `reader` holds, as [`read_npz`] reads them.
pub(in crate::data) fn read_npz_from(reader: impl Read + Seek) -> Result<Vec<(String, Column)>, String> {
    let mut archive = archive(reader)?;
    let mut arrays: Vec<(String, Array)> = Vec::new();
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).map_err(|e| format!("cannot read member {}: {e}", i + 1))?;
        if member.is_dir() {
            continue;
        }
        let key = key(member.name());
        let size = member.size();
        let array = read_array(&mut member, size).map_err(|e| format!("member '{key}': {e}"))?;
        // The zip reader checks a member's CRC-32 only once it is read to its end.
        std::io::copy(&mut member, &mut std::io::sink())
            .map_err(|e| format!("member '{key}': the data is damaged ({e})"))?;
        arrays.push((key, array));
    }
    match arrays.as_slice() {
        [] => Err("the archive holds no arrays".into()),
        [(key, array)] if array.header.shape.len() != 1 || is_structured(array) => {
            table_columns(array).map_err(|e| format!("member '{key}': {e}"))
        }
        _ => columns(&arrays),
    }
}

/// The column names of the `.npz` file at `path`, from the members' headers.
pub(in crate::data) fn npz_names(path: &Path) -> Result<Vec<String>, String> {
    let mut archive = archive(open(path)?)?;
    let mut members = Vec::new();
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).map_err(|e| format!("cannot read member {}: {e}", i + 1))?;
        if member.is_dir() {
            continue;
        }
        let key = key(member.name());
        let (header, _) = read_header(&mut member).map_err(|e| format!("member '{key}': {e}"))?;
        members.push((key, header));
    }
    match members.as_slice() {
        [(key, header)] if header.shape.len() != 1 || matches!(header.descr, super::Descr::Fields(_)) => {
            names(header).map_err(|e| format!("member '{key}': {e}"))
        }
        _ => Ok(members.into_iter().map(|(key, _)| key).collect()),
    }
}

fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    Ok(std::io::BufReader::new(file))
}

fn archive<R: Read + Seek>(reader: R) -> Result<zip::ZipArchive<R>, String> {
    zip::ZipArchive::new(reader).map_err(|e| format!("not a valid .npz (zip) archive: {e}"))
}

/// The array's key: numpy stores `key` as the member `key.npy`.
fn key(member: &str) -> String {
    member.strip_suffix(".npy").unwrap_or(member).to_string()
}

fn is_structured(array: &Array) -> bool {
    matches!(array.header.descr, super::Descr::Fields(_))
}

/// One column per member, all of one length.
fn columns(arrays: &[(String, Array)]) -> Result<Vec<(String, Column)>, String> {
    let mut out: Vec<(String, Column)> = Vec::with_capacity(arrays.len());
    for (key, array) in arrays {
        let column = single_column(array, key)?;
        if let Some((first, c)) = out.first().filter(|(_, c)| c.len() != column.len()) {
            return Err(format!(
                "member '{key}' has {} rows but '{first}' has {}; the columns must be of equal length",
                column.len(),
                c.len()
            ));
        }
        out.push((key.clone(), column));
    }
    Ok(out)
}
