//! NumPy input: `.npy` and `.npz` files read as tables through
//! `rede::data::read_table`. The well-formed files are numpy's own output
//! (tests/fixtures/npy, written by make.py there); the damaged ones are
//! written here byte by byte. Every bad file must be an `Error::File` naming
//! the file and the problem, never a panic.

use rede::data::{read_column_names, read_csv, read_table, read_table_from_bytes, Column, CsvOptions, Format};
use rede::Error;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy").join(name)
}

/// Writes `bytes` to a fresh file named `name` in the temp dir, unique per process.
fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rede-data-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A version 1.0 `.npy` file: `descr` is the Python literal (`'<f8'` with quotes).
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let order = if fortran { "True" } else { "False" };
    let mut header = format!("{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape}, }}");
    // numpy pads the header so that the data starts at a multiple of 64 bytes.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn numeric<'a>(t: &'a rede::data::Table, name: &str) -> &'a [f32] {
    match t.column(name) {
        Some(Column::Numeric(v)) => v,
        other => panic!("column {name}: expected numbers, got {other:?}"),
    }
}

fn allow_missing() -> CsvOptions {
    CsvOptions { allow_missing: true, ..Default::default() }
}

/// The message of the file error reading `path` gives, checking it names the file.
fn error_of(path: &Path, options: &CsvOptions) -> String {
    match read_table(path, options) {
        Err(Error::File { path: p, msg }) => {
            assert_eq!(p, path.display().to_string());
            msg
        }
        other => panic!("{}: expected a file error, got {other:?}", path.display()),
    }
}

fn assert_has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

#[test]
fn format_follows_the_extension_and_csv_keeps_every_other_name() {
    assert_eq!(Format::of(Path::new("a/b.NPY")), Format::Npy);
    assert_eq!(Format::of(Path::new("b.npz")), Format::Npz);
    assert_eq!(Format::of(Path::new("b.parquet")), Format::Parquet);
    for csv in ["b.csv", "b.tsv", "b.txt", "b", "b.data"] {
        assert_eq!(Format::of(Path::new(csv)), Format::Csv, "{csv}");
    }
}

#[test]
fn two_d_arrays_have_pandas_column_names_in_either_order() {
    let c = read_table(fixture("f8_c.npy"), &CsvOptions::default()).unwrap();
    assert_eq!(c.names(), &["0", "1", "2"]);
    assert_eq!(numeric(&c, "0"), &[1.5, 4.0]);
    assert_eq!(numeric(&c, "2"), &[3.0, -6.0]);
    for other in ["f8_fortran.npy", "f4_c.npy", "f4_big_endian.npy"] {
        assert_eq!(read_table(fixture(other), &CsvOptions::default()).unwrap(), c, "{other}");
    }
    assert_eq!(read_column_names(fixture("f8_fortran.npy"), None).unwrap(), c.names());
}

#[test]
fn every_integer_and_boolean_type_reads_as_numbers() {
    for t in ["i1", "i2", "i4", "i8"] {
        let table = read_table(fixture(&format!("int_{t}.npy")), &CsvOptions::default()).unwrap();
        assert_eq!((numeric(&table, "0"), numeric(&table, "1")), (&[0.0, 2.0][..], &[-1.0, 127.0][..]), "{t}");
    }
    for t in ["u1", "u2", "u4", "u8"] {
        let table = read_table(fixture(&format!("int_{t}.npy")), &CsvOptions::default()).unwrap();
        assert_eq!((numeric(&table, "0"), numeric(&table, "1")), (&[0.0, 2.0][..], &[1.0, 255.0][..]), "{t}");
    }
    let b = read_table(fixture("bool.npy"), &CsvOptions::default()).unwrap();
    assert_eq!((numeric(&b, "0"), numeric(&b, "1")), (&[1.0, 0.0][..], &[0.0, 1.0][..]));
}

#[test]
fn structured_arrays_have_named_and_text_columns_and_nan_is_missing() {
    let msg = error_of(&fixture("records.npy"), &CsvOptions::default());
    assert_has(&msg, &["column 'x', row 1 (0-based): missing value", "--impute"]);
    let t = read_table(fixture("records.npy"), &allow_missing()).unwrap();
    assert_eq!(t.names(), &["x", "n", "color", "tag"]);
    let x = numeric(&t, "x");
    assert!(x[0] == 1.0 && x[1].is_nan() && x[2] == 2.5);
    assert_eq!(numeric(&t, "n"), &[10.0, -3.0, 7.0]);
    assert_eq!(t.column("color"), Some(&Column::text(&["red", "blue", "red"])));
    assert_eq!(t.column("tag"), Some(&Column::text(&["a", "b", "c"])));
    assert_eq!(read_column_names(fixture("records.npy"), None).unwrap(), t.names());
    let target = CsvOptions { target: Some("x".into()), ..allow_missing() };
    assert_has(&error_of(&fixture("records.npy"), &target), &["missing value in the target column"]);
}

#[test]
fn csv_options_mean_the_same_as_for_csv() {
    let options = CsvOptions {
        target: Some("color".into()),
        drop: vec!["tag".into()],
        categorical: vec!["n".into()],
        na_values: vec!["blue".into()],
        allow_missing: true,
        ..Default::default()
    };
    let t = read_table(fixture("records.npy"), &options).unwrap_err();
    assert!(t.to_string().contains("missing value in the target column"), "{t}");
    let options = CsvOptions { target: Some("n".into()), na_values: vec!["red".into()], ..options };
    let t = read_table(fixture("records.npy"), &options).unwrap();
    assert_eq!(t.names(), &["x", "n", "color"]);
    assert_eq!(t.column("n"), Some(&Column::text(&["10", "-3", "7"])));
    assert_eq!(t.column("color").unwrap().n_missing(), 2);
    let unknown = CsvOptions { drop: vec!["nope".into()], ..Default::default() };
    assert_has(&error_of(&fixture("records.npy"), &unknown), &["unknown --drop column 'nope'", "x, n, color, tag"]);
    let minus = CsvOptions { na_values: vec!["-3".into()], ..allow_missing() };
    assert_eq!(read_table(fixture("records.npy"), &minus).unwrap().column("n").unwrap().n_missing(), 1);
}

#[test]
fn the_same_data_as_csv_gives_the_same_table() {
    let csv = write("same.csv", b"x,n,color,tag\n1,10,red,a\n,-3,blue,b\n2.5,7,red,c\n");
    let from_csv = read_csv(&csv, &allow_missing()).unwrap();
    let from_npy = read_table(fixture("records.npy"), &allow_missing()).unwrap();
    // NaN != NaN, so compare the missing cells and the rest apart.
    assert_eq!(from_csv.names(), from_npy.names());
    for (name, column) in from_csv.iter() {
        match (column, from_npy.column(name).unwrap()) {
            (Column::Numeric(a), Column::Numeric(b)) => {
                assert!(a.iter().zip(b).all(|(p, q)| p == q || (p.is_nan() && q.is_nan())), "{name}")
            }
            (a, b) => assert_eq!(a, b, "{name}"),
        }
    }
}

#[test]
fn npz_members_are_named_columns_stored_or_compressed() {
    let t = read_table(fixture("columns.npz"), &allow_missing()).unwrap();
    assert_eq!(t.names(), &["x", "y"]);
    assert!(numeric(&t, "x")[2].is_nan());
    assert_eq!(numeric(&t, "y"), &[0.0, 1.0, 0.0, 1.0]);
    assert_eq!(read_table(fixture("columns_compressed.npz"), &allow_missing()).unwrap().names(), t.names());
    let compressed = read_table(fixture("columns_compressed.npz"), &allow_missing()).unwrap();
    assert_eq!(numeric(&compressed, "y"), numeric(&t, "y"));
    assert_eq!(read_column_names(fixture("columns_compressed.npz"), None).unwrap(), t.names());
    let matrix = read_table(fixture("matrix.npz"), &CsvOptions::default()).unwrap();
    assert_eq!(matrix, read_table(fixture("f8_c.npy"), &CsvOptions::default()).unwrap());
    assert_eq!(read_column_names(fixture("matrix.npz"), None).unwrap(), &["0", "1", "2"]);
}

#[test]
fn npz_columns_of_different_lengths_are_refused() {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, n) in [("a.npy", 3), ("b.npy", 2)] {
        zip.start_file(name, options).unwrap();
        std::io::Write::write_all(&mut zip, &npy("'<f8'", false, &format!("({n},)"), &f64_bytes(&vec![1.0; n])))
            .unwrap();
    }
    zip.finish().unwrap();
    let path = write("ragged.npz", buf.get_ref());
    assert_has(&error_of(&path, &CsvOptions::default()), &["member 'b' has 2 rows but 'a' has 3"]);
    let cut = write("cut.npz", &buf.get_ref()[..buf.get_ref().len() / 2]);
    assert_has(&error_of(&cut, &CsvOptions::default()), &["not a valid .npz (zip) archive"]);
}

/// Reading a member only as far as its array's data ends never let the zip
/// reader compare the CRC-32, so a flipped bit read as a different number.
#[test]
fn npz_members_whose_checksum_fails_are_refused() {
    for name in ["columns.npz", "columns_compressed.npz"] {
        let mut bytes = std::fs::read(fixture(name)).unwrap();
        let good = read_table(fixture(name), &allow_missing()).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let member = archive.by_name("x.npy").unwrap();
        let (start, size) = (member.data_start() as usize, member.compressed_size() as usize);
        // Stored: the last byte of the array's data (its header comes first); deflated: mid-stream.
        let at =
            if member.compression() == zip::CompressionMethod::Stored { start + size - 1 } else { start + size / 2 };
        drop(member);
        bytes[at] ^= 1;
        let path = write(&format!("flipped_{name}"), &bytes);
        match read_table(&path, &allow_missing()) {
            Err(Error::File { msg, .. }) => assert_has(&msg, &["member 'x'"]),
            Ok(t) => panic!("{name}: a damaged member read as {:?} (intact: {:?})", t.column("x"), good.column("x")),
            Err(e) => panic!("{name}: expected a file error, got {e}"),
        }
    }
}

#[test]
fn object_arrays_and_other_shapes_are_refused() {
    assert_has(&error_of(&fixture("object.npy"), &CsvOptions::default()), &["Python objects", "never unpickles"]);
    let one_d = write("one_d.npy", &npy("'<f8'", false, "(2,)", &f64_bytes(&[1.0, 2.0])));
    assert_has(&error_of(&one_d, &CsvOptions::default()), &["a 1-D array (shape (2,))", "reshape"]);
    let three_d = write("three_d.npy", &npy("'<f8'", false, "(1, 1, 2)", &f64_bytes(&[1.0, 2.0])));
    assert_has(&error_of(&three_d, &CsvOptions::default()), &["shape (1, 1, 2)", "2-D"]);
    let half = write("half.npy", &npy("'<f2'", false, "(1, 1)", &[0, 0]));
    assert_has(&error_of(&half, &CsvOptions::default()), &["2-byte floats"]);
    let rows = write("no_rows.npy", &npy("'<f8'", false, "(0, 2)", &[]));
    assert_has(&error_of(&rows, &CsvOptions::default()), &["no data rows"]);
}

#[test]
fn damaged_files_are_errors_naming_the_problem() {
    let good = std::fs::read(fixture("f8_c.npy")).unwrap();
    let cut = write("truncated.npy", &good[..good.len() - 5]);
    assert_has(&error_of(&cut, &CsvOptions::default()), &["truncated", "shape (2, 3) needs 48 bytes", "has 43"]);
    let header_cut = write("header_cut.npy", &good[..40]);
    assert_has(&error_of(&header_cut, &CsvOptions::default()), &["truncated", "header"]);
    let mut bad_magic = good.clone();
    bad_magic[1] = b'X';
    assert_has(&error_of(&write("magic.npy", &bad_magic), &CsvOptions::default()), &["not a .npy file"]);
    let huge = write("huge.npy", &npy("'<f8'", false, "(1000000000000, 1000000)", &f64_bytes(&[1.0])));
    assert_has(&error_of(&huge, &CsvOptions::default()), &["truncated", "shape (1000000000000, 1000000)"]);
    let overflow = write("overflow.npy", &npy("'<f8'", false, "(18446744073709551615, 3)", &[]));
    assert_has(&error_of(&overflow, &CsvOptions::default()), &["impossibly large"]);
    let wide = write("wide.npy", &npy("'<U4611686018427387904'", false, "(1, 1)", &[]));
    assert_has(&error_of(&wide, &CsvOptions::default()), &["too wide"]);
    let mut long_header = b"\x93NUMPY\x02\x00".to_vec();
    long_header.extend(u32::MAX.to_le_bytes());
    assert_has(&error_of(&write("long_header.npy", &long_header), &CsvOptions::default()), &["header claims"]);
    let garbage = write("garbage.npy", &npy("'<f8'", false, "(1, 1", &f64_bytes(&[1.0])));
    assert_has(&error_of(&garbage, &CsvOptions::default()), &["malformed header"]);
    assert_has(&error_of(&write("empty.npy", b""), &CsvOptions::default()), &["truncated"]);
    assert_has(&error_of(&write("not.npz", b"hello"), &CsvOptions::default()), &["not a valid .npz"]);
}

/// Header claims that no bytes back: the columns of an array with no rows (the
/// `npy` fuzz target found (0, 930280), 270 MB from 255 bytes; more columns
/// aborted) and elements of no width (found reviewing the same checks: any
/// number of rows, looped over for minutes). Each must be an error at once.
#[test]
fn claims_no_data_backs_are_refused_before_anything_is_allocated() {
    let cases = [
        (
            "empty_wide.npy",
            npy("'<f8'", false, "(0, 10000000000)", &[]),
            "no data rows (the array has shape (0, 10000000000))",
        ),
        ("s0.npy", npy("'|S0'", false, "(100000000000, 1)", &[]), "element type '|S0' has no width"),
        (
            "u0_field.npy",
            npy("[('a', '<U0')]", false, "(100000000000,)", &[]),
            "field 'a': element type '<U0' has no width",
        ),
        ("v0.npy", npy("'|V0'", false, "(1, 100000000000)", &[]), "raw bytes ('|V0')"),
    ];
    for (name, bytes, expected) in cases {
        let path = write(name, &bytes);
        assert_has(&error_of(&path, &CsvOptions::default()), &[expected]);
        assert_has(&read_column_names(&path, None).unwrap_err().to_string(), &[expected]);
        let err = read_table_from_bytes(&bytes, Format::Npy, name, &allow_missing()).unwrap_err();
        assert_has(&err.to_string(), &[name, expected]);
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    zip.start_file("x.npy", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut zip, &npy("'<f8'", false, "(0, 10000000000)", &[])).unwrap();
    zip.finish().unwrap();
    let npz = write("empty_wide.npz", buf.get_ref());
    assert_has(&error_of(&npz, &CsvOptions::default()), &["member 'x': no data rows"]);
    assert_has(&read_column_names(&npz, None).unwrap_err().to_string(), &["member 'x': no data rows"]);
}

#[test]
fn values_beyond_f32_or_infinite_name_column_and_row() {
    let big = write("big.npy", &npy("'<f8'", false, "(2, 1)", &f64_bytes(&[1.0, 1e39])));
    assert_has(&error_of(&big, &CsvOptions::default()), &["column '0', row 1 (0-based)", "range of 32-bit floats"]);
    let inf = write("inf.npy", &npy("[('a', '<f8')]", false, "(1,)", &f64_bytes(&[f64::INFINITY])));
    assert_has(&error_of(&inf, &CsvOptions::default()), &["column 'a', row 0 (0-based)", "not a finite number"]);
}

#[test]
fn bytes_in_memory_read_as_the_file_does_and_errors_name_the_source() {
    for name in ["f8_c.npy", "f8_fortran.npy", "records.npy", "columns.npz", "columns_compressed.npz", "matrix.npz"] {
        let path = fixture(name);
        let bytes = std::fs::read(&path).unwrap();
        let from_file = read_table(&path, &allow_missing()).unwrap();
        let from_bytes = read_table_from_bytes(&bytes, Format::of(&path), name, &allow_missing()).unwrap();
        // Debug, since NaN != NaN.
        assert_eq!(format!("{from_bytes:?}"), format!("{from_file:?}"), "{name}");
    }
    let csv = read_table_from_bytes(b"a,b\n1,2\n", Format::Csv, "upload.csv", &CsvOptions::default()).unwrap();
    assert_eq!((csv.names(), numeric(&csv, "b")), (&["a".to_string(), "b".to_string()][..], &[2.0][..]));
    let good = std::fs::read(fixture("f8_c.npy")).unwrap();
    for (bytes, format, expected) in [
        (&good[..good.len() - 5], Format::Npy, "shape (2, 3) needs 48 bytes"),
        (&b"hello"[..], Format::Npz, "not a valid .npz"),
        (&good[..], Format::Npz, "not a valid .npz"),
        (&b"\x93NUMPY\x09\x00\x00\x00"[..], Format::Npy, "unsupported .npy format version 9.0"),
    ] {
        match read_table_from_bytes(bytes, format, "upload", &CsvOptions::default()) {
            Err(Error::File { path, msg }) => {
                assert_eq!(path, "upload");
                assert_has(&msg, &[expected]);
            }
            other => panic!("expected a file error with {expected:?}, got {other:?}"),
        }
    }
}

#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_without_the_feature_says_how_to_get_it() {
    let path = write("x.parquet", b"PAR1");
    assert_has(&error_of(&path, &CsvOptions::default()), &["--features parquet"]);
    assert!(read_column_names(&path, None).unwrap_err().to_string().contains("--features parquet"));
    let err = read_table_from_bytes(b"PAR1", Format::Parquet, "upload.parquet", &CsvOptions::default()).unwrap_err();
    assert_has(&err.to_string(), &["upload.parquet", "--features parquet"]);
}
