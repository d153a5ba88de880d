//! Parquet input (feature `parquet`): pandas' own files (tests/fixtures/parquet,
//! written by make.py there) read through `rede::data::read_table`.
#![cfg(feature = "parquet")]

use rede::data::{read_column_names, read_table, read_table_from_bytes, Column, CsvOptions, Format, Table};
use rede::Error;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parquet").join(name)
}

fn allow_missing() -> CsvOptions {
    CsvOptions { allow_missing: true, ..Default::default() }
}

fn numeric<'a>(t: &'a Table, name: &str) -> &'a [f32] {
    match t.column(name) {
        Some(Column::Numeric(v)) => v,
        other => panic!("column {name}: expected numbers, got {other:?}"),
    }
}

const NAMES: [&str; 9] = ["f64", "f32", "i32", "i64", "u8", "u64", "flag", "nullable", "city"];

#[test]
fn numbers_booleans_text_and_nulls_read_as_pandas_wrote_them() {
    for file in ["mixed.parquet", "mixed_uncompressed.parquet", "with_index.parquet"] {
        let t = read_table(fixture(file), &allow_missing()).unwrap();
        assert_eq!(t.names(), NAMES, "{file}");
        let f64s = numeric(&t, "f64");
        assert!(f64s[0] == 1.5 && f64s[1].is_nan() && f64s[3] == 4.0, "{file}");
        assert_eq!(numeric(&t, "f32"), &[0.5, 1.0, 2.0, 3.0]);
        assert_eq!(numeric(&t, "i32"), &[1.0, -2.0, 3.0, 4.0]);
        assert_eq!(numeric(&t, "i64"), &[10.0, 20.0, 30.0, -40.0]);
        assert_eq!(numeric(&t, "u8"), &[0.0, 255.0, 1.0, 2.0]);
        assert_eq!(numeric(&t, "u64"), &[0.0, 1.0, 2.0, 2f32.powi(40)]);
        assert_eq!(numeric(&t, "flag"), &[1.0, 0.0, 1.0, 1.0]);
        let nullable = numeric(&t, "nullable");
        assert!(nullable[1].is_nan() && nullable[3] == 4.0);
        assert_eq!(
            t.column("city"),
            Some(&Column::Text(rede::data::TextColumn::from_options([
                Some("lisbon"),
                Some("porto"),
                None,
                Some("lisbon")
            ])))
        );
        assert_eq!(read_column_names(fixture(file), None).unwrap(), NAMES);
    }
}

#[test]
fn options_and_missing_values_work_as_for_csv() {
    let err = read_table(fixture("mixed.parquet"), &CsvOptions::default()).unwrap_err().to_string();
    assert!(err.contains("column 'f64', row 1 (0-based): missing value") && err.contains("--impute"), "{err}");
    let options = CsvOptions {
        target: Some("i32".into()),
        drop: vec!["f64".into(), "nullable".into(), "city".into()],
        categorical: vec!["u8".into()],
        ..Default::default()
    };
    let t = read_table(fixture("mixed.parquet"), &options).unwrap();
    assert_eq!(t.names(), &["f32", "i32", "i64", "u8", "u64", "flag"]);
    assert_eq!(t.column("u8"), Some(&Column::text(&["0", "255", "1", "2"])));
}

#[test]
fn damaged_files_and_other_codecs_are_errors_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("rede-data-parquet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read(fixture("mixed.parquet")).unwrap();
    for (name, bytes) in [("cut.parquet", &good[..good.len() / 2]), ("tail.parquet", &good[100..])] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        match read_table(&path, &CsvOptions::default()) {
            Err(Error::File { path: p, .. }) => assert_eq!(p, path.display().to_string()),
            other => panic!("{name}: expected a file error, got {other:?}"),
        }
    }
    let err = read_table(fixture("gzip.parquet"), &allow_missing()).unwrap_err().to_string();
    assert!(err.contains("gzip.parquet") && err.to_lowercase().contains("gzip"), "{err}");
}

#[test]
fn bytes_in_memory_read_as_the_file_does_and_errors_name_the_source() {
    let bytes = std::fs::read(fixture("mixed.parquet")).unwrap();
    let from_file = read_table(fixture("mixed.parquet"), &allow_missing()).unwrap();
    let from_bytes = read_table_from_bytes(&bytes, Format::Parquet, "upload.parquet", &allow_missing()).unwrap();
    // Debug, since NaN != NaN.
    assert_eq!(format!("{from_bytes:?}"), format!("{from_file:?}"));
    match read_table_from_bytes(&bytes[..bytes.len() / 2], Format::Parquet, "upload.parquet", &allow_missing()) {
        Err(Error::File { path, msg }) => {
            assert!(path == "upload.parquet" && msg.contains("not a valid Parquet"), "{msg}")
        }
        other => panic!("expected a file error, got {other:?}"),
    }
}
