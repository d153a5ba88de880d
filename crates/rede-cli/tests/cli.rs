//! The `rede` binary, run for real: training round trips, reports, and every bad input.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A scratch folder the commands run in.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch { dir: tempfile::tempdir().expect("a temporary folder") }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn rede(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("rede").unwrap();
        cmd.current_dir(self.dir.path()).args(args);
        cmd
    }

    /// Runs `rede args…`, expecting success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.rede(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "rede {args:?} failed: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `rede args…`, expecting exit status 2 and one stderr line; returns that line.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.rede(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "rede {args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
        stderr
    }

    /// A small trained classifier on two numeric columns `a`, `b` and label `y`.
    fn trained(&self) -> PathBuf {
        self.write("train.csv", two_blobs(80));
        self.ok(&["train", "--data", "train.csv", "--target", "y", "--hidden", "8", "--epochs", "5", "--quiet"]);
        self.path("model.safetensors")
    }
}

/// Two separable clusters: label 1 when a + b > 0.
fn two_blobs(n: usize) -> String {
    let mut text = String::from("a,b,y\n");
    for i in 0..n {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        let (a, b) = (sign * (1.0 + (i % 7) as f64 * 0.1), sign * (0.5 + (i % 5) as f64 * 0.1));
        text += &format!("{a},{b},{}\n", (sign > 0.0) as u8);
    }
    text
}

#[test]
fn train_save_predict_eval_round_trip() {
    let s = Scratch::new();
    s.write("train.csv", two_blobs(200));
    let report = s.ok(&[
        "train",
        "--data",
        "train.csv",
        "--target",
        "y",
        "--hidden",
        "16",
        "--epochs",
        "40",
        "--lr",
        "0.01",
        "--quiet",
        "--out",
        "m.safetensors",
    ]);
    assert!(report.contains("accuracy 100.00%"), "{report}");
    assert!(report.contains("confusion matrix") && report.contains("precision"), "{report}");
    assert!(report.contains("model saved to m.safetensors"));
    assert!(s.path("m.png").exists() && s.path("m-boundary.png").exists(), "the plots go next to the model by default");
    s.write("new.csv", "b,a\n0.7,1.2\n-0.9,-1.1\n1,1\n");
    let predictions = s.ok(&["predict", "--model", "m.safetensors", "--data", "new.csv"]);
    assert_eq!(predictions, "y\n1\n0\n1\n", "columns may come in any order; rows keep theirs");
    s.ok(&["predict", "--model", "m.safetensors", "--data", "new.csv", "--proba", "--out", "p.csv"]);
    let with_proba = std::fs::read_to_string(s.path("p.csv")).unwrap();
    assert!(with_proba.starts_with("y,p(0),p(1)\n1,0.0"), "{with_proba}");
    s.write("labelled.csv", two_blobs(30));
    let eval = s.ok(&["eval", "--model", "m.safetensors", "--data", "labelled.csv", "--metrics-json", "e.json"]);
    assert!(eval.contains("labelled.csv (30 rows): accuracy 100.00%"), "{eval}");
    let metrics: serde_json::Value = serde_json::from_slice(&std::fs::read(s.path("e.json")).unwrap()).unwrap();
    assert_eq!(metrics["test_accuracy"], 1.0);
}

#[test]
fn text_columns_are_one_hot_encoded() {
    let s = Scratch::new();
    let mut csv = String::from("color,size,fits\n");
    for i in 0..150 {
        let color = ["red", "green", "blue"][i % 3];
        let size = (i % 10) as f64;
        let fits = if color == "red" || size > 6.0 { "yes" } else { "no" };
        csv += &format!("{color},{size},{fits}\n");
    }
    s.write("shirts.csv", csv);
    let report =
        s.ok(&["train", "--data", "shirts.csv", "--target", "fits", "--epochs", "60", "--lr", "0.01", "--quiet"]);
    let accuracy: f64 = report.split("accuracy ").nth(1).unwrap().split('%').next().unwrap().parse().unwrap();
    assert!(accuracy > 90.0, "{report}");
    s.write("ask.csv", "size,color\n9,green\n1,red\n1,blue\n");
    assert_eq!(s.ok(&["predict", "--model", "model.safetensors", "--data", "ask.csv"]), "fits\nyes\nyes\nno\n");
    let inspect = s.ok(&["inspect", "--model", "model.safetensors"]);
    assert!(inspect.contains("color: text, one-hot over 3 categories"), "{inspect}");
    assert!(inspect.contains("classes (2): no, yes"), "{inspect}");
}

#[test]
fn regression_reports_errors_and_r2() {
    let s = Scratch::new();
    let report = s.ok(&[
        "train",
        "--dataset",
        "sine",
        "--epochs",
        "60",
        "--lr",
        "0.01",
        "--hidden",
        "32",
        "--quiet",
        "--metrics-json",
        "m.json",
    ]);
    assert!(report.contains("RMSE") && report.contains("MAE") && report.contains("R²"), "{report}");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(s.path("m.json")).unwrap()).unwrap();
    assert_eq!(m["task"], "regression");
    assert!(m["test_r2"].as_f64().unwrap() > 0.8, "{m}");
    for key in ["test_rmse", "test_mae", "n_train", "n_test", "epochs_run", "train_seconds", "train_loss"] {
        assert!(m.get(key).is_some(), "{key} missing from {m}");
    }
    s.write("x.csv", "x\n0\n1.5707963\n");
    let predicted: Vec<f64> = s
        .ok(&["predict", "--model", "model.safetensors", "--data", "x.csv"])
        .lines()
        .skip(1)
        .map(|l| l.parse().unwrap())
        .collect();
    assert!(predicted[0].abs() < 0.3 && (predicted[1] - 1.0).abs() < 0.3, "{predicted:?}");
}

#[test]
fn metrics_json_has_the_documented_keys_and_plots_are_pngs() {
    let s = Scratch::new();
    s.ok(&[
        "train",
        "--dataset",
        "blobs",
        "--epochs",
        "8",
        "--early-stopping",
        "--metrics-json",
        "m.json",
        "--plot",
        "run.png",
        "--quiet",
    ]);
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(s.path("m.json")).unwrap()).unwrap();
    assert_eq!(m["task"], "classification");
    let (n_train, n_test) = (m["n_train"].as_u64().unwrap(), m["n_test"].as_u64().unwrap());
    assert!(n_train + n_test == 1000 && (195..=205).contains(&n_test), "{m}");
    let epochs = m["epochs_run"].as_u64().unwrap();
    assert!((1..=8).contains(&epochs));
    assert_eq!(m["validation_scores"].as_array().unwrap().len() as u64, epochs);
    for key in ["train_seconds", "train_loss", "test_accuracy", "test_f1_macro"] {
        assert!(m[key].is_number(), "{key}: {m}");
    }
    for png in ["run.png", "run-boundary.png"] {
        let bytes = std::fs::read(s.path(png)).unwrap();
        assert_eq!(&bytes[1..4], b"PNG", "{png}");
    }
}

#[test]
fn datasets_and_help_describe_themselves() {
    let s = Scratch::new();
    let list = s.ok(&["datasets"]);
    for name in ["digits", "moons", "circles", "spirals", "xor", "blobs", "sine", "mnist"] {
        assert!(list.contains(name), "{name}: {list}");
    }
    let help = s.ok(&["train", "--help"]);
    assert!(help.contains("[default: model.safetensors]"), "{help}");
    let inspect = s.ok(&["inspect", "--model", s.trained().to_str().unwrap()]);
    assert!(inspect.contains("Linear(2, 8)") && inspect.contains("Total params"), "{inspect}");
}

/// `rede train` on a CSV with this content fails with a message containing each of `expected`.
fn train_fails_on(content: &[u8], expected: &[&str]) {
    let s = Scratch::new();
    s.write("bad.csv", content);
    let precious = s.write("model.safetensors", "the user's own file");
    let err = s.fails(&["train", "--data", "bad.csv", "--target", "y", "--epochs", "2", "--quiet"]);
    assert!(err.contains("bad.csv"), "the file is named: {err}");
    for e in expected {
        assert!(err.contains(e), "expected '{e}' in: {err}");
    }
    assert_eq!(std::fs::read(precious).unwrap(), b"the user's own file", "a failed run overwrote the model");
}

#[test]
fn bad_csv_files_are_one_line_errors() {
    train_fails_on(b"", &["empty file"]);
    train_fails_on(b"a,b,y\n", &["only a header row"]);
    train_fails_on(b"a,b,y\n1,2,0\n3,4\n", &["line 3", "2 fields", "3 columns"]);
    let mut typo = String::from("a,b,y\n");
    for i in 0..20 {
        typo += &format!("{i},{},{}\n", if i == 13 { "x1" } else { "2" }, i % 2);
    }
    train_fails_on(typo.as_bytes(), &["line 15", "column 'b' (2)", "text in numeric column", "'x1'"]);
    train_fails_on(b"a,b,y\n1,2,0\n1,NaN,1\n", &["line 3", "missing value 'NaN'", "--impute"]);
    train_fails_on(b"a,b,y\n1,2,0\n1,1e39,1\n", &["line 3", "column 'b' (2)", "'1e39' is outside the range"]);
    train_fails_on(b"a,b,y\n1,inf,0\n1,2,1\n", &["line 2", "'inf' is not a finite number"]);
    train_fails_on(b"a,a,y\n1,2,0\n", &["duplicate column name 'a'"]);
    train_fails_on(b"a,b,label\n1,2,0\n", &["unknown target column 'y'", "a, b, label"]);
    train_fails_on(b"a,b,y\n1,caf\xe9,0\n", &["line 2", "column 'b'", "not valid UTF-8"]);
    train_fails_on(b"a,b,y\n1,2,1\n3,4,1\n5,6,1\n7,8,1\n9,10,1\n", &["single class"]);
}

#[test]
fn missing_files_and_arguments_are_one_line_errors() {
    let s = Scratch::new();
    let err = s.fails(&["train", "--data", "nowhere.csv", "--target", "y"]);
    assert!(err.contains("nowhere.csv") && err.contains("cannot open"), "{err}");
    let err = s.fails(&["eval", "--model", "none.safetensors", "--data", "x.csv"]);
    assert!(err.contains("none.safetensors"), "{err}");
    let err = s.fails(&["train", "--dataset", "nope"]);
    assert!(err.contains("unknown dataset 'nope'"), "{err}");
    s.write("t.csv", two_blobs(10));
    let err = s.fails(&["train", "--data", "t.csv"]);
    assert!(err.contains("--target"), "{err}");
}

#[test]
fn damaged_and_foreign_model_files_are_one_line_errors() {
    let s = Scratch::new();
    let model = std::fs::read(s.trained()).unwrap();
    s.write("x.csv", "a,b\n1,2\n");
    let predict = |file: &str| s.fails(&["predict", "--model", file, "--data", "x.csv"]);
    s.write("garbage.safetensors", b"this is not a model file at all");
    let err = predict("garbage.safetensors");
    assert!(err.contains("garbage.safetensors") && err.contains("not a valid model file"), "{err}");
    s.write("half.safetensors", &model[..model.len() / 2]);
    let err = predict("half.safetensors");
    assert!(err.contains("half.safetensors"), "{err}");
    // The same file, claiming another format version (same length, so the header stays valid).
    let text = String::from_utf8_lossy(&model).replace("\"rede.format\":\"1\"", "\"rede.format\":\"9\"");
    assert!(text.contains("\"rede.format\":\"9\""));
    let mut future = model.clone();
    let at = model.windows(17).position(|w| w == b"\"rede.format\":\"1\"").unwrap();
    future[at + 15] = b'9';
    s.write("future.safetensors", &future);
    let err = predict("future.safetensors");
    assert!(err.contains("future.safetensors") && err.contains("model file format 9"), "{err}");
    let err = s.fails(&["inspect", "--model", "garbage.safetensors"]);
    assert!(err.contains("garbage.safetensors"), "{err}");
}

#[test]
fn predict_names_missing_and_unexpected_columns() {
    let s = Scratch::new();
    s.trained();
    s.write("other.csv", "a,c\n1,2\n");
    let err = s.fails(&["predict", "--model", "model.safetensors", "--data", "other.csv"]);
    assert!(err.contains("other.csv") && err.contains("missing: b; unexpected: c"), "{err}");
    s.write("text.csv", "a,b\n1,red\n2,blue\n");
    let err = s.fails(&["predict", "--model", "model.safetensors", "--data", "text.csv"]);
    assert!(err.contains("column 'b' was numeric in the training data but is text here"), "{err}");
}

#[test]
fn outputs_are_written_only_after_training_succeeds() {
    let s = Scratch::new();
    s.write("train.csv", two_blobs(40));
    let precious = s.write("keep.safetensors", "mine");
    let metrics = s.write("keep.json", "mine too");
    // A learning rate this large makes the loss infinite: training fails after it started.
    let err = s.fails(&[
        "train",
        "--data",
        "train.csv",
        "--target",
        "y",
        "--solver",
        "sgd",
        "--lr",
        "1e30",
        "--epochs",
        "20",
        "--quiet",
        "--out",
        "keep.safetensors",
        "--metrics-json",
        "keep.json",
    ]);
    assert!(err.contains("loss became"), "{err}");
    assert_eq!(std::fs::read(&precious).unwrap(), b"mine");
    assert_eq!(std::fs::read(&metrics).unwrap(), b"mine too");
    assert!(!Path::new(&s.path("model.safetensors")).exists() && !s.path("keep.png").exists());
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::io::Read;
    let s = Scratch::new();
    s.trained();
    // Far more output than a pipe buffers, so writing fails once the reader has gone.
    s.write("many.csv", two_blobs(60_000));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rede"))
        .current_dir(s.dir.path())
        .args(["predict", "--model", "model.safetensors", "--data", "many.csv", "--proba"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}: {stderr}", out.status);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn training_saves_the_model_even_when_the_reader_stops_early() {
    let s = Scratch::new();
    s.write("train.csv", two_blobs(80));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rede"))
        .current_dir(s.dir.path())
        .args(["train", "--data", "train.csv", "--target", "y", "--hidden", "8", "--epochs", "5", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the pipe at once: the report cannot be written.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(s.path("model.safetensors").exists(), "the model is saved before the report is printed");
}

#[test]
fn a_device_that_cannot_be_used_stops_training_with_the_reason() {
    let s = Scratch::new();
    s.write("train.csv", two_blobs(40));
    let train = |device: &str| {
        let args = ["train", "--data", "train.csv", "--target", "y", "--epochs", "2", "--quiet", "--device", device];
        s.rede(&args).output().unwrap()
    };
    // No machine has a 1000th GPU; `tpu` is no device at all.
    for (device, expected) in [("cuda:999", "cuda:999"), ("tpu", "'tpu' is not a device")] {
        let out = train(device);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--device {device}: {stderr}");
        assert!(stderr.contains(expected) && !stderr.contains("panicked"), "{stderr}");
        assert!(!s.path("model.safetensors").exists(), "nothing is written");
    }
    // auto trains wherever it can, and the CPU always can.
    for device in ["auto", "cpu"] {
        assert!(train(device).status.success(), "--device {device}");
    }
}

/// Without the mpi feature `--distributed` is refused at once, not trained alone.
#[cfg(not(feature = "mpi"))]
#[test]
fn distributed_in_a_build_without_mpi_is_a_clear_error() {
    let s = Scratch::new();
    let line = s.fails(&["train", "--dataset", "digits", "--distributed", "--quiet"]);
    assert!(line.contains("--features mpi"), "{line}");
    assert!(!s.path("model.safetensors").exists());
}
