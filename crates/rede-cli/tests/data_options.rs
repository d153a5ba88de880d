//! The data options of `rede train` run for real, and what `predict` and
//! `eval` do with the choices a model file records: missing values,
//! left-out and identifier columns, categories, delimiters.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

struct Scratch {
    dir: TempDir,
}

/// What a run printed.
struct Output {
    stdout: String,
    stderr: String,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch { dir: tempfile::tempdir().expect("a temporary folder") }
    }

    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::cargo_bin("rede").unwrap();
        cmd.current_dir(self.dir.path()).args(args).output().unwrap()
    }

    /// Runs `rede args…`, expecting success.
    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "rede {args:?} failed: {stderr}");
        Output { stdout: String::from_utf8(out.stdout).unwrap(), stderr }
    }

    /// Runs `rede args…`, expecting exit status 2 and one error line; returns it.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "rede {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
        stderr
    }

    fn train(&self, data: &str, extra: &[&str]) -> Output {
        let mut args = vec!["train", "--data", data, "--target", "y", "--hidden", "8", "--epochs", "30"];
        args.extend(["--seed", "1", "--no-plot"]);
        args.extend(extra);
        self.ok(&args)
    }
}

/// Rows of two numeric columns `a`, `b`, a text column `city` and label `y`
/// (1 when a + b > 0); `cell(i, column, value)` may replace any cell's text.
fn table(n: usize, sep: char, cell: impl Fn(usize, &str, String) -> String) -> String {
    let mut text = ["id", "a", "b", "city", "y"].join(&sep.to_string()) + "\n";
    for i in 0..n {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        let a = sign * (1.0 + (i % 7) as f64 * 0.1);
        let b = sign * (0.5 + (i % 5) as f64 * 0.1);
        let city = ["lisbon", "porto", "faro"][i % 3].to_string();
        let row = [
            cell(i, "id", format!("u{i:04}")),
            cell(i, "a", a.to_string()),
            cell(i, "b", b.to_string()),
            cell(i, "city", city),
            cell(i, "y", ((sign > 0.0) as u8).to_string()),
        ];
        text += &(row.join(&sep.to_string()) + "\n");
    }
    text
}

fn plain(_: usize, _: &str, v: String) -> String {
    v
}

/// The predictions file `rede predict` wrote: header and rows.
fn predictions(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
}

#[test]
fn missing_values_need_impute_and_its_statistics_serve_predict_and_eval() {
    let s = Scratch::new();
    // Every fifth `a` is missing, spelt in several ways; city has gaps too.
    let holes = |i: usize, column: &str, v: String| match (column, i % 5) {
        ("a", 0) => ["", "NA", "?", "null", "nan"][i / 5 % 5].to_string(),
        ("city", 3) => String::new(),
        _ => v,
    };
    s.write("holes.csv", table(120, ',', holes));
    let err = s.fails(&["train", "--data", "holes.csv", "--target", "y", "--drop", "id", "--na-values", "?"]);
    assert!(err.contains("holes.csv: line 2, column 'a' (2): empty cell") && err.contains("--impute"), "{err}");

    // Testing on the training file itself: every row trains, so the median is known.
    let options = ["--drop", "id", "--na-values", "?", "--impute", "median", "--test", "holes.csv"];
    let trained = s.train("holes.csv", &options);
    assert!(trained.stdout.contains("model saved"), "{}", trained.stdout);
    let inspect = s.ok(&["inspect", "--model", "model.safetensors"]).stdout;
    assert!(inspect.contains("a: numeric") && inspect.contains("missing values filled with"), "{inspect}");
    assert!(inspect.contains("city: text, one-hot over 3 categories, + \"missing\""), "{inspect}");

    // Predicting a row with `a` missing (as "?", a token the model file
    // remembers) gives what the row with the training median gives.
    let a_values: Vec<f64> = (0..120)
        .filter(|i| i % 5 != 0)
        .map(|i| {
            let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
            sign * (1.0 + (i % 7) as f64 * 0.1)
        })
        .collect();
    let mut sorted = a_values.clone();
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0;
    s.write("new.csv", format!("a,b,city\n?,0.05,porto\n{median},0.05,porto\n,0.05,\n"));
    s.ok(&["predict", "--model", "model.safetensors", "--data", "new.csv", "--out", "p.csv", "--proba"]);
    let rows = predictions(&s.dir.path().join("p.csv"));
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[1], rows[2], "a missing value is the training median");

    let eval = s.ok(&["eval", "--model", "model.safetensors", "--data", "holes.csv"]).stdout;
    assert!(eval.contains("accuracy"), "{eval}");
}

#[test]
fn identifier_columns_warn_and_id_column_is_copied_to_predictions() {
    let s = Scratch::new();
    s.write("people.csv", table(60, ',', plain));
    let warned = s.train("people.csv", &[]).stderr;
    let line = warned.lines().find(|l| l.contains("looks like an identifier")).expect("a warning");
    assert!(line.contains("'id'") && line.contains("60 distinct values") && line.contains("--drop id"), "{line}");
    assert_eq!(warned.matches("looks like an identifier").count(), 1, "{warned}");

    let quiet = s.train("people.csv", &["--id-column", "id", "--drop", "city"]).stderr;
    assert!(!quiet.contains("identifier"), "{quiet}");
    // The file to predict still has the dropped column and the target: both ignored.
    s.ok(&["predict", "--model", "model.safetensors", "--data", "people.csv", "--out", "p.csv"]);
    let rows = predictions(&s.dir.path().join("p.csv"));
    assert_eq!(rows[0], vec!["id", "y"]);
    assert_eq!(rows[1][0], "u0000");
    assert_eq!(rows[60][0], "u0059");
}

#[test]
fn rare_and_unseen_categories_go_to_other_with_a_warning() {
    let s = Scratch::new();
    let rare = |i: usize, column: &str, v: String| if column == "city" && i == 7 { "braga".to_string() } else { v };
    s.write("train.csv", table(90, ',', rare));
    s.train("train.csv", &["--drop", "id", "--max-categories", "3"]);
    let inspect = s.ok(&["inspect", "--model", "model.safetensors"]).stdout;
    assert!(inspect.contains("city: text, one-hot over 3 categories, + \"other\""), "{inspect}");
    let unseen = |i: usize, column: &str, v: String| if column == "city" && i < 4 { "tokyo".to_string() } else { v };
    s.write("new.csv", table(10, ',', unseen));
    let out = s.ok(&["predict", "--model", "model.safetensors", "--data", "new.csv"]);
    let warning = out.stderr.lines().filter(|l| l.contains("unseen in training")).collect::<Vec<_>>();
    assert_eq!(warning.len(), 1, "{}", out.stderr);
    assert!(warning[0].contains("'city': 4 rows, 1 values"), "{}", warning[0]);
    assert_eq!(out.stdout.lines().count(), 11);
}

#[test]
fn categorical_reads_numbers_as_categories() {
    let s = Scratch::new();
    let zip = |i: usize, column: &str, v: String| if column == "city" { format!("{}", 1000 + i % 4) } else { v };
    s.write("zip.csv", table(60, ',', zip));
    s.train("zip.csv", &["--drop", "id"]);
    let numeric = s.ok(&["inspect", "--model", "model.safetensors"]).stdout;
    assert!(numeric.contains("city: numeric"), "{numeric}");
    s.train("zip.csv", &["--drop", "id", "--categorical", "city"]);
    let text = s.ok(&["inspect", "--model", "model.safetensors"]).stdout;
    assert!(text.contains("city: text, one-hot over 4 categories"), "{text}");
    let err = s.fails(&["train", "--data", "zip.csv", "--target", "y", "--categorical", "town"]);
    assert!(err.contains("unknown --categorical column 'town'"), "{err}");
}

#[test]
fn delimiters_are_detected_or_given() {
    let s = Scratch::new();
    s.write("semi.csv", table(40, ';', plain));
    s.train("semi.csv", &["--drop", "id"]);
    s.write("tabs.tsv", table(40, '\t', plain));
    s.train("tabs.tsv", &["--drop", "id", "--delimiter", "tab"]);
    let out = s.ok(&["predict", "--model", "model.safetensors", "--data", "semi.csv"]);
    assert_eq!(out.stdout.lines().count(), 41);
    let err = s.fails(&["train", "--data", "semi.csv", "--target", "y", "--delimiter", ","]);
    assert!(err.contains("unknown target column 'y'"), "{err}");
}

#[test]
fn a_huge_one_hot_encoding_is_refused_with_advice() {
    let s = Scratch::new();
    // 20,000 categories over 200,000 rows: 16 GB as a dense matrix.
    let mut text = String::from("key,x,y\n");
    for i in 0..200_000 {
        text += &format!("k{},{},{}\n", i % 20_000, i % 3, i % 2);
    }
    s.write("wide.csv", text);
    let err = s.fails(&["train", "--data", "wide.csv", "--target", "y", "--epochs", "1", "--quiet"]);
    assert!(err.contains("'key'") && err.contains("--drop key") && err.contains("--max-categories"), "{err}");
    let ok =
        s.ok(&["train", "--data", "wide.csv", "--target", "y", "--epochs", "1", "--quiet", "--max-categories", "20"]);
    assert!(ok.stdout.contains("model saved"), "{}", ok.stdout);
}
