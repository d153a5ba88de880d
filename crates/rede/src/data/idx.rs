//! The IDX file format (the one MNIST ships in), raw or gzip-compressed.
//!
//! An IDX file is a header — two zero bytes, a type code, the number of
//! dimensions, then each dimension as a big-endian `u32` — followed by the
//! elements in row-major order. Only the unsigned-byte type (0x08) is read.
//!
//! The header is checked against the size of the data before any buffer for
//! the data is allocated, so a damaged or hostile header can neither make the
//! reader allocate gigabytes nor read an endless gzip stream.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use crate::{Error, Result};

/// The IDX type code of unsigned bytes, the only one read here.
const TYPE_U8: u8 = 0x08;

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// DEFLATE cannot compress better than about 1032:1, so a gzip file of `n`
/// bytes never decompresses to more than this many times `n` (plus a margin
/// for tiny files). A header claiming more is lying.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// A decoded IDX file of unsigned bytes: its dimensions and the whole
/// decompressed file (header included, so it can be checksummed as is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    dims: Vec<usize>,
    header_len: usize,
    bytes: Vec<u8>,
}

impl Idx {
    /// Reads the IDX file at `path`, gzip-compressed (detected by its magic
    /// bytes) or raw.
    pub fn read(path: &Path) -> Result<Idx> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let source = path.display().to_string();
        decode(BufReader::new(file), &source, file_len)
    }

    /// Decodes an IDX file held in memory (gzip-compressed or raw); `source`
    /// names it in errors (a file name or a URL).
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Idx> {
        decode(bytes, source, bytes.len() as u64)
    }

    /// The dimensions, outermost first (`[60000, 28, 28]` for MNIST's training images).
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The elements, row-major.
    pub fn data(&self) -> &[u8] {
        &self.bytes[self.header_len..]
    }

    /// The whole decompressed file, header then elements.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Decodes from `input` (raw or gzip, told apart by its first bytes), of
/// `input_len` bytes in all.
fn decode<R: BufRead>(mut input: R, source: &str, input_len: u64) -> Result<Idx> {
    let fail = |msg: String| Error::file(source, msg);
    let is_gzip = input.fill_buf().map_err(|e| fail(format!("cannot read: {e}")))?.starts_with(&GZIP_MAGIC);
    if is_gzip {
        read_body(MultiGzDecoder::new(input), source, Packing::Gzip { compressed_len: input_len })
    } else {
        read_body(input, source, Packing::Raw { file_len: input_len })
    }
}

/// How the IDX bytes are stored, which bounds how much data there can be.
#[derive(Clone, Copy)]
enum Packing {
    Raw { file_len: u64 },
    Gzip { compressed_len: u64 },
}

/// Reads the header and then exactly the data it announces from the
/// (decompressed) stream `reader`.
fn read_body<R: Read>(mut reader: R, source: &str, packing: Packing) -> Result<Idx> {
    let fail = |msg: String| Error::file(source, msg);
    let mut bytes = read_header(&mut reader, source)?;
    let dims: Vec<usize> =
        bytes[4..].chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();
    let header_len = bytes.len();
    let claimed = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    let claimed = claimed.ok_or_else(|| fail(format!("header dimensions {} overflow", shape_text(&dims))))?;
    let what = match packing {
        Packing::Raw { .. } => "the file",
        Packing::Gzip { .. } => "the decompressed file",
    };
    let short = |held: u64| fail(format!("header claims {} bytes but {what} holds {held}", shape_text(&dims)));

    match packing {
        Packing::Raw { file_len } => {
            let held = file_len.saturating_sub(header_len as u64);
            if held != claimed {
                return Err(short(held));
            }
        }
        Packing::Gzip { compressed_len } => {
            let most = compressed_len.saturating_mul(MAX_DEFLATE_RATIO).saturating_add(1 << 16);
            if claimed > most {
                return Err(fail(format!(
                    "header claims {} bytes but a gzip file of {compressed_len} bytes cannot hold more than {most}",
                    shape_text(&dims)
                )));
            }
        }
    }
    let total = usize::try_from(claimed).ok().and_then(|c| c.checked_add(header_len));
    let total = total.ok_or_else(|| fail(format!("header claims {} bytes, too many for memory", shape_text(&dims))))?;
    // A gzip header is only known to be honest once the data is in, so
    // reserve what the compressed size makes likely and let the buffer grow.
    let reserve = match packing {
        Packing::Raw { .. } => claimed,
        Packing::Gzip { compressed_len } => claimed.min(compressed_len.saturating_mul(8)),
    };
    bytes.try_reserve_exact(reserve as usize).map_err(|_| fail(format!("cannot allocate {total} bytes")))?;

    // One byte past the claim tells "too long" from "exact" without reading on.
    reader.take(claimed + 1).read_to_end(&mut bytes).map_err(|e| read_error(source, e))?;
    let held = (bytes.len() - header_len) as u64;
    if held < claimed {
        return Err(short(held));
    }
    if held > claimed {
        return Err(fail(format!("{what} holds more than the {} bytes its header claims", shape_text(&dims))));
    }
    Ok(Idx { dims, header_len, bytes })
}

/// Reads and checks the magic number and the dimensions; returns the header bytes.
fn read_header<R: Read>(reader: &mut R, source: &str) -> Result<Vec<u8>> {
    let fail = |msg: String| Error::file(source, msg);
    let mut magic = [0u8; 4];
    let got = read_up_to(reader, &mut magic).map_err(|e| read_error(source, e))?;
    if got == 0 {
        return Err(fail("empty file: expected an IDX header".into()));
    }
    if got < magic.len() {
        return Err(fail(format!("only {got} bytes: too short for an IDX header")));
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(fail(format!(
            "not an IDX file: it starts with {:02x} {:02x}, not two zero bytes",
            magic[0], magic[1]
        )));
    }
    if magic[2] != TYPE_U8 {
        return Err(fail(format!(
            "IDX type code 0x{:02x} ({}) is not supported: only unsigned bytes (0x08) are read",
            magic[2],
            type_name(magic[2])
        )));
    }
    let ndim = magic[3] as usize;
    if ndim == 0 {
        return Err(fail("IDX header declares 0 dimensions".into()));
    }
    let mut header = vec![0u8; 4 + 4 * ndim];
    header[..4].copy_from_slice(&magic);
    let got = read_up_to(reader, &mut header[4..]).map_err(|e| read_error(source, e))?;
    if got < 4 * ndim {
        return Err(fail(format!("IDX header declares {ndim} dimensions but ends after {} of them", got / 4)));
    }
    Ok(header)
}

/// Fills as much of `buf` as the stream holds; returns how much that was.
fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A read error, worded for the common case of a damaged gzip stream.
fn read_error(source: &str, e: std::io::Error) -> Error {
    let msg = match e.kind() {
        ErrorKind::UnexpectedEof => "gzip stream ends early: the file is truncated".to_string(),
        ErrorKind::InvalidInput | ErrorKind::InvalidData => format!("corrupt gzip data: {e}"),
        _ => format!("cannot read: {e}"),
    };
    Error::file(source, msg)
}

/// `60000×28×28`.
fn shape_text(dims: &[usize]) -> String {
    dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×")
}

/// The element type an IDX type code stands for.
fn type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;

    /// A directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("rede-idx-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, TYPE_U8, dims.len() as u8];
        for d in dims {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(data);
        out
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn message(result: Result<Idx>) -> String {
        result.expect_err("the file should be refused").to_string()
    }

    #[test]
    fn reads_raw_and_gzip_files_alike() {
        let dir = TempDir::new("valid");
        let data: Vec<u8> = (0..24).map(|i| (i * 11) as u8).collect();
        let raw = idx_bytes(&[2, 3, 4], &data);
        for path in [dir.write("a-idx3-ubyte", &raw), dir.write("a-idx3-ubyte.gz", &gzip(&raw))] {
            let idx = Idx::read(&path).unwrap();
            assert_eq!(idx.dims(), &[2, 3, 4]);
            assert_eq!(idx.data(), &data[..]);
            assert_eq!(idx.as_bytes(), &raw[..]);
        }
    }

    #[test]
    fn truncated_files_are_refused_with_the_sizes() {
        let dir = TempDir::new("truncated");
        let raw = idx_bytes(&[10, 5], &[7u8; 50]);
        let msg = message(Idx::read(&dir.write("short", &raw[..raw.len() - 3])));
        assert!(msg.contains("header claims 10×5 bytes but the file holds 47"), "{msg}");
        assert!(msg.contains("short"), "the error names the file: {msg}");

        let gz = gzip(&raw);
        let msg = message(Idx::read(&dir.write("short.gz", &gz[..gz.len() / 2])));
        assert!(msg.contains("truncated") || msg.contains("header claims"), "{msg}");

        let msg = message(Idx::read(&dir.write("header-cut", &raw[..9])));
        assert!(msg.contains("declares 2 dimensions but ends after 1"), "{msg}");
    }

    #[test]
    fn a_header_claiming_more_than_present_is_refused_before_allocating() {
        let dir = TempDir::new("lying");
        let overflowing = idx_bytes(&[u32::MAX, u32::MAX, u32::MAX], &[]);
        assert!(message(Idx::from_bytes(&overflowing, "overflow")).contains("overflow"));
        let msg = message(Idx::read(&dir.write("huge", &idx_bytes(&[60000, 28, 28], &[1, 2, 3]))));
        assert!(msg.contains("header claims 60000×28×28 bytes but the file holds 3"), "{msg}");
        let msg = message(Idx::read(&dir.write("huge.gz", &gzip(&idx_bytes(&[u32::MAX, u32::MAX], &[1, 2])))));
        assert!(msg.contains("cannot hold more than"), "{msg}");
        let msg = message(Idx::from_bytes(&gzip(&idx_bytes(&[100, 28, 28], &[0; 100])), "mem.gz"));
        assert!(msg.contains("header claims 100×28×28 bytes but the decompressed file holds 100"), "{msg}");
        let msg = message(Idx::from_bytes(&idx_bytes(&[4], &[0; 6]), "long"));
        assert!(msg.contains("holds 6"), "{msg}");
        let msg = message(Idx::from_bytes(&gzip(&idx_bytes(&[4], &[0; 6])), "long.gz"));
        assert!(msg.contains("holds more than the 4 bytes"), "{msg}");
    }

    #[test]
    fn bad_magic_and_empty_files_are_refused() {
        let dir = TempDir::new("magic");
        let mut not_idx = idx_bytes(&[3], &[1, 2, 3]);
        not_idx[1] = 8;
        assert!(message(Idx::read(&dir.write("not-idx", &not_idx))).contains("not two zero bytes"));
        let mut floats = idx_bytes(&[1], &[0; 4]);
        floats[2] = 0x0D;
        assert!(message(Idx::read(&dir.write("floats", &floats))).contains("0x0d (f32) is not supported"));
        assert!(message(Idx::read(&dir.write("no-dims", &[0, 0, 8, 0]))).contains("0 dimensions"));
        assert!(message(Idx::read(&dir.write("empty", &[]))).contains("empty file"));
        assert!(message(Idx::read(&dir.write("empty.gz", &gzip(&[])))).contains("empty file"));
        assert!(message(Idx::read(&dir.write("tiny", &[0, 0]))).contains("too short"));
        assert!(message(Idx::read(&dir.write("garbage.gz", &[0x1f, 0x8b, 1, 2, 3]))).contains("gzip"));
        assert!(message(Idx::read(&dir.0.join("missing"))).contains("missing"));
    }
}
