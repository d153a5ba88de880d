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
fn infinity_is_rejected_in_numeric_columns() {
    for (test, cell) in [("inf", "inf"), ("neg_inf", "-Infinity"), ("big", "1e999")] {
        let msg = error(test, &format!("a,b\n1,2\n3,{cell}\n"));
        assert_has(&msg, &["line 3, column 'b' (2)", &format!("'{cell}' is not a finite number")]);
    }
}

#[test]
fn numbers_beyond_f32_are_rejected() {
    for (test, cell) in [("f32_big", "1e39"), ("f32_neg", "-4e38")] {
        let msg = error(test, &format!("a,b\n1,2\n3,{cell}\n"));
        assert_has(&msg, &["line 3, column 'b' (2)", &format!("'{cell}' is outside the range of 32-bit floats")]);
    }
}

#[test]
fn missing_cells_fail_without_imputation_and_are_kept_with_it() {
    let text = "x,color\n1,red\n,blue\nNA,red\n2,\n";
    assert_has(&error("empty_cell", text), &["line 3, column 'x' (1): empty cell", "--impute"]);
    assert_has(&error("na_cell", "x\n1\nnan\n"), &["line 3, column 'x' (1): missing value 'nan'", "--impute"]);
    let options = CsvOptions { allow_missing: true, ..Default::default() };
    let t = read_csv(write("impute", text.as_bytes()), &options).unwrap();
    let Some(Column::Numeric(x)) = t.column("x") else { panic!("x is numeric") };
    assert_eq!((x[0], x[1].is_nan(), x[2].is_nan(), x[3]), (1.0, true, true, 2.0));
    let Some(Column::Text(color)) = t.column("color") else { panic!("color is text") };
    assert_eq!(color.iter().collect::<Vec<_>>(), vec![Some("red"), Some("blue"), Some("red"), None]);
}

#[test]
fn every_standard_na_token_and_extra_ones_are_missing() {
    let cells = ["", "NA", "N/A", "nan", "NaN", "null", "NULL", "-999", "?"];
    // Two columns: a blank line is no row at all.
    let text = format!("x,k\n1,a\n{},a\n", cells.join(",a\n"));
    let options = CsvOptions { allow_missing: true, na_values: vec!["-999".into(), "?".into()], ..Default::default() };
    let t = read_csv(write("na_tokens", text.as_bytes()), &options).unwrap();
    let Some(Column::Numeric(x)) = t.column("x") else { panic!("x is numeric") };
    assert_eq!(x.len(), 1 + cells.len());
    assert!(x[1..].iter().all(|v| v.is_nan()), "{x:?}");
}

#[test]
fn a_missing_target_is_an_error_even_with_imputation() {
    let options = CsvOptions { allow_missing: true, target: Some("y".into()), ..Default::default() };
    let msg = error_of("target_missing", b"x,y\n1,a\n2,NA\n", &options);
    assert_has(&msg, &["line 3, column 'y' (2): missing value 'NA' in the target column"]);
}

#[test]
fn a_column_empty_in_every_row_is_an_error_even_with_imputation() {
    let options = CsvOptions { allow_missing: true, ..Default::default() };
    assert_has(&error_of("all_empty", b"a,b\n1,\n2,\n", &options), &["column 'b' (2) is empty in every row"]);
}

#[test]
fn text_in_a_mostly_numeric_column() {
    let mut text = String::from("id,value\n");
    for i in 0..12 {
        text += &format!("{i},{}\n", if i == 7 { "?".to_string() } else { (i * 3).to_string() });
    }
    assert_has(
        &error("text_in_numeric", &text),
        &["line 9, column 'value' (2): text in numeric column", "'?' is not a number", "--na-values", "--categorical"],
    );
    // Whatever the size: one stray cell among two numbers.
    assert_has(&error("text_in_small", "v\n1\n2\nabc\n"), &["line 4, column 'v' (1): text in numeric column"]);
}

#[test]
fn categorical_columns_are_text_and_dropped_columns_are_gone() {
    let options = CsvOptions { categorical: vec!["zip".into()], drop: vec!["id".into()], ..Default::default() };
    let t = read_csv(write("categorical", b"id,zip,x\nu1,02134,1\nu2,10001,2\n"), &options).unwrap();
    assert_eq!(t.names(), &["zip".to_string(), "x".to_string()]);
    assert_eq!(t.column("zip"), Some(&Column::text(&["02134", "10001"])));
    let unknown = CsvOptions { drop: vec!["nope".into()], ..Default::default() };
    assert_has(&error_of("drop_unknown", b"a\n1\n", &unknown), &["unknown --drop column 'nope'", "the columns are: a"]);
}

#[test]
fn a_mostly_text_column_is_text() {
    let t = read_csv(write("text", b"size,n\nS,1\n12,2\nM,3\n"), &CsvOptions::default()).unwrap();
    assert_eq!(t.column("size"), Some(&Column::text(&["S", "12", "M"])));
}

#[test]
fn unknown_target_column_lists_the_columns() {
    let options = CsvOptions { target: Some("label".into()), ..Default::default() };
    let msg = error_of("target", b"a,b\n1,2\n", &options);
    assert_has(&msg, &["unknown target column 'label'", "a, b"]);
}

#[test]
fn well_formed_file_with_other_delimiter() {
    let options = CsvOptions { delimiter: Some(b';'), target: Some("y".into()), ..Default::default() };
    let t = read_csv(write("semicolon", b"x;\"y\"\n1,5;a\n2;b\n"), &options);
    // "1,5" is not a number, and half the cells are not a majority of numbers: text.
    let t = t.unwrap();
    assert_eq!(t.n_rows(), 2);
    assert_eq!(t.column("x"), Some(&Column::text(&["1,5", "2"])));
    assert_eq!(t.column("y"), Some(&Column::text(&["a", "b"])));
}

#[test]
fn the_delimiter_is_detected_from_the_header() {
    for (test, text) in [
        ("detect_semicolon", "a;b;c\n1,5;2;x\n"),
        ("detect_tab", "a\tb\tc\n1.5\t2\tx\n"),
        ("detect_pipe", "a|b|c\n1.5|2|x\n"),
    ] {
        let t = read_csv(write(test, text.as_bytes()), &CsvOptions::default()).unwrap();
        assert_eq!(t.names(), &["a".to_string(), "b".into(), "c".into()], "{test}");
        assert_eq!(t.column("b"), Some(&Column::Numeric(vec![2.0])), "{test}");
    }
}
