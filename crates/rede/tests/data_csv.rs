//! The CSV reader on well-formed and malformed files: every bad input is an
//! `Error::File` naming the file, and the line and column where there is one.

use rede::data::{read_csv, Column, CsvOptions};
use rede::Error;
use std::path::PathBuf;

/// Writes `bytes` to a fresh file in the temp dir, unique per test.
fn write(test: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rede-data-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{test}.csv"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Reads `bytes` as a CSV file and returns the error message, checking it is a
/// `File` error naming that file.
fn error_of(test: &str, bytes: &[u8], options: &CsvOptions) -> String {
    let path = write(test, bytes);
    match read_csv(&path, options) {
        Err(Error::File { path: p, msg }) => {
            assert_eq!(p, path.display().to_string());
            let full = Error::File { path: p, msg: msg.clone() }.to_string();
            assert!(full.starts_with(&path.display().to_string()), "{full}");
            msg
        }
        other => panic!("{test}: expected a file error, got {other:?}"),
    }
}

fn error(test: &str, text: &str) -> String {
    error_of(test, text.as_bytes(), &CsvOptions::default())
}

fn assert_has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

#[test]
fn missing_file_is_named() {
    let path = std::env::temp_dir().join("rede-no-such-dir-for-tests").join("absent.csv");
    let err = read_csv(&path, &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::File { path: p, msg } if *p == path.display().to_string() && msg.contains("cannot open"))
    );
}

#[test]
fn empty_and_header_only_files() {
    assert_has(&error("empty", ""), &["empty file"]);
    assert_has(&error("header_only", "a,b,c\n"), &["only a header row (line 1), no data rows"]);
}

#[test]
fn ragged_row_names_its_line() {
    assert_has(&error("ragged", "a,b,c\n1,2,3\n4,5\n"), &["line 3: 2 fields, but the header has 3 columns"]);
}

#[test]
fn duplicate_column_names() {
    assert_has(&error("dup", "x,y,x\n1,2,3\n"), &["line 1: duplicate column name 'x' (columns 1 and 3)"]);
}

#[test]
fn non_utf8_bytes_name_line_and_column() {
    let msg = error_of("utf8", b"a,name\n1,ok\n2,caf\xe9\n", &CsvOptions::default());
    assert_has(&msg, &["line 3, column 'name' (2)", "not valid UTF-8"]);
}

#[test]
fn nan_and_infinity_are_rejected_in_numeric_columns() {
    for (test, cell) in [("nan", "nan"), ("inf", "inf"), ("neg_inf", "-Infinity"), ("big", "1e999")] {
        let msg = error(test, &format!("a,b\n1,2\n3,{cell}\n"));
        assert_has(&msg, &["line 3, column 'b' (2)", &format!("'{cell}' is not a finite number")]);
    }
}

#[test]
fn empty_cell_fails_without_imputation_and_is_filled_with_it() {
    let text = "x,color\n1,red\n,blue\n5,red\n2,\n";
    assert_has(&error("empty_cell", text), &["line 3, column 'x' (1): empty cell"]);
    let options = CsvOptions { impute_missing: true, ..Default::default() };
    let t = read_csv(write("impute", text.as_bytes()), &options).unwrap();
    assert_eq!(t.column("x"), Some(&Column::Numeric(vec![1.0, 8.0 / 3.0, 5.0, 2.0])));
    assert_eq!(t.column("color"), Some(&Column::Text(["red", "blue", "red", "red"].map(String::from).to_vec())));
}

#[test]
fn a_column_empty_in_every_row_is_an_error_even_with_imputation() {
    let options = CsvOptions { impute_missing: true, ..Default::default() };
    assert_has(&error_of("all_empty", b"a,b\n1,\n2,\n", &options), &["column 'b' (2) is empty in every row"]);
}

#[test]
fn text_in_a_mostly_numeric_column() {
    let mut text = String::from("id,value\n");
    for i in 0..12 {
        text += &format!("{i},{}\n", if i == 7 { "NA".to_string() } else { (i * 3).to_string() });
    }
    assert_has(
        &error("text_in_numeric", &text),
        &["line 9, column 'value' (2): text in numeric column", "'NA' is not a number", "11 of the column's 12"],
    );
}

#[test]
fn a_mostly_text_column_is_text() {
    let t = read_csv(write("text", b"size,n\nS,1\n12,2\nM,3\n"), &CsvOptions::default()).unwrap();
    assert_eq!(t.column("size"), Some(&Column::Text(["S", "12", "M"].map(String::from).to_vec())));
}

#[test]
fn unknown_target_column_lists_the_columns() {
    let options = CsvOptions { target: Some("label".into()), ..Default::default() };
    let msg = error_of("target", b"a,b\n1,2\n", &options);
    assert_has(&msg, &["unknown target column 'label'", "a, b"]);
}

#[test]
fn well_formed_file_with_other_delimiter() {
    let options = CsvOptions { delimiter: b';', target: Some("y".into()), ..Default::default() };
    let t = read_csv(write("semicolon", b"x;\"y\"\n1,5;a\n2;b\n"), &options);
    // "1,5" is not a number, and one of two cells is under the numeric share: text.
    let t = t.unwrap();
    assert_eq!(t.n_rows(), 2);
    assert_eq!(t.column("x"), Some(&Column::Text(vec!["1,5".into(), "2".into()])));
    assert_eq!(t.column("y"), Some(&Column::Text(vec!["a".into(), "b".into()])));
}
