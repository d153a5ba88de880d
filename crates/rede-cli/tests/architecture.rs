//! `rede train --model` / `--model-spec`: networks described without Rust, trained,
//! saved, and used by `predict`, `eval` and `inspect`; bad architecture files.

use assert_cmd::Command;
use rede::data::{datasets, Column};
use std::path::Path;
use tempfile::TempDir;

/// A small convolutional network for the 8×8 digits (64 features).
const CONV_TOML: &str = r#"
input_shape = [1, 8, 8]

[[layers]]
type = "conv2d"
in_channels = 1
out_channels = 8
kernel_size = 3
padding = 1

[[layers]]
type = "relu"

[[layers]]
type = "max_pool2d"
kernel_size = 2

[[layers]]
type = "flatten"

[[layers]]
type = "linear"
in_features = 128
out_features = 10
"#;

/// An LSTM reading each digit's 8 rows of 8 pixels.
const LSTM_JSON: &str = r#"{
  "input_shape": [8, 8],
  "layers": [
    {"type": "lstm", "input_size": 8, "hidden_size": 24},
    {"type": "last_step"},
    {"type": "linear", "in_features": 24, "out_features": 10}
  ]
}"#;

fn rede(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("rede").unwrap().current_dir(dir).args(args).output().unwrap()
}

/// Runs `rede args…`, expecting success; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = rede(dir, args);
    assert!(out.status.success(), "rede {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `rede args…`, expecting exit status 2 and one stderr line; returns it.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = rede(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "rede {args:?}: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("internal error"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rede: error")).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {stderr}");
    lines[0].to_string()
}

/// The built-in digits as a CSV file (pixels `p0`…`p63`, class `digit`), every `step`-th row.
fn digits_csv(path: &Path, step: usize) {
    let table = datasets::digits().unwrap();
    let columns: Vec<(&str, &Vec<f32>)> = table
        .iter()
        .map(|(name, column)| match column {
            Column::Numeric(values) => (name, values),
            Column::Text(_) => panic!("digits are numbers"),
        })
        .collect();
    let mut text = columns.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(",") + "\n";
    for row in (0..table.n_rows()).step_by(step) {
        text += &(columns.iter().map(|(_, values)| values[row].to_string()).collect::<Vec<_>>().join(",") + "\n");
    }
    std::fs::write(path, text).unwrap();
}

/// The `test_accuracy` a `--metrics-json` file recorded.
fn accuracy(path: &Path) -> f64 {
    let metrics: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    metrics["test_accuracy"].as_f64().expect("a test accuracy")
}

/// Trains on digits with `extra` options, then checks `predict`, `eval` and `inspect`
/// on the saved file; returns the held-out accuracy and the inspect text.
fn train_and_use(dir: &Path, extra: &[&str]) -> (f64, String) {
    let mut args = vec!["train", "--dataset", "digits", "--lr", "0.01", "--no-plot", "--quiet"];
    args.extend_from_slice(&["--metrics-json", "m.json", "--out", "net.safetensors"]);
    args.extend_from_slice(extra);
    ok(dir, &args);
    let held_out = accuracy(&dir.join("m.json"));

    digits_csv(&dir.join("digits.csv"), 6);
    let predictions = ok(dir, &["predict", "--model", "net.safetensors", "--data", "digits.csv"]);
    let lines: Vec<&str> = predictions.lines().collect();
    assert_eq!(lines[0], "digit");
    assert_eq!(lines.len(), 1 + 1797usize.div_ceil(6), "one prediction per row");
    assert!(lines[1..].iter().all(|l| l.parse::<u8>().is_ok_and(|d| d < 10)), "{predictions}");
    ok(dir, &["eval", "--model", "net.safetensors", "--data", "digits.csv", "--metrics-json", "e.json"]);
    let evaluated = accuracy(&dir.join("e.json"));
    assert!(evaluated > 0.5, "eval accuracy {evaluated} on digits");
    (held_out, ok(dir, &["inspect", "--model", "net.safetensors"]))
}

#[test]
fn a_toml_conv_spec_trains_and_its_file_serves_predict_eval_inspect() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("conv.toml"), CONV_TOML).unwrap();
    let (held_out, inspect) = train_and_use(dir.path(), &["--model-spec", "conv.toml", "--epochs", "8"]);
    assert!(held_out > 0.8, "held-out accuracy {held_out} (chance is 0.1)");
    for expected in ["architecture (spec file conv.toml)", "Unflatten(dim=1, sizes=[1, 8, 8])", "(None, 1, 8, 8)"] {
        assert!(inspect.contains(expected), "{expected}: {inspect}");
    }
    assert!(inspect.contains("Conv2d(1, 8,") && inspect.contains("(None, 8, 4, 4)"), "{inspect}");
    assert!(inspect.contains("Linear(128, 10)") && inspect.contains("Total params: 1,370"), "{inspect}");
}

#[test]
fn a_json_lstm_spec_trains_and_its_file_serves_predict_eval_inspect() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("lstm.json"), LSTM_JSON).unwrap();
    let (held_out, inspect) = train_and_use(dir.path(), &["--model-spec", "lstm.json", "--epochs", "6"]);
    assert!(held_out > 0.5, "held-out accuracy {held_out} (chance is 0.1)");
    assert!(inspect.contains("LSTM(8, 24,") && inspect.contains("(None, 8, 24)"), "{inspect}");
    assert!(inspect.contains("LastStep") && inspect.contains("Unflatten(dim=1, sizes=[8, 8])"), "{inspect}");
}

#[test]
fn the_lstm_preset_reads_square_images_row_by_row() {
    let dir = TempDir::new().unwrap();
    let (_, inspect) = train_and_use(dir.path(), &["--model", "lstm", "--epochs", "1", "--batch-size", "64"]);
    assert!(inspect.contains("architecture (lstm)") && inspect.contains("LSTM(8, 128,"), "{inspect}");
}

#[test]
fn presets_that_do_not_fit_the_data_and_mlp_options_are_refused() {
    let dir = TempDir::new().unwrap();
    let err = fails(dir.path(), &["train", "--dataset", "digits", "--model", "lenet5", "--quiet"]);
    assert!(err.contains("lenet5 expects 28x28 images = 784 features") && err.contains("has 64"), "{err}");
    std::fs::write(dir.path().join("conv.toml"), CONV_TOML).unwrap();
    let err = fails(dir.path(), &["train", "--dataset", "digits", "--model-spec", "conv.toml", "--hidden", "32"]);
    assert!(err.contains("--hidden") && err.contains("--model-spec conv.toml"), "{err}");
    let err = fails(dir.path(), &["train", "--dataset", "digits", "--model", "lstm", "--dropout", "0.2"]);
    assert!(err.contains("--dropout") && err.contains("--model lstm"), "{err}");
    let out = rede(dir.path(), &["train", "--dataset", "digits", "--model", "lenet5", "--model-spec", "conv.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    let out = rede(dir.path(), &["train", "--dataset", "digits", "--model", "resnet"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() == Some(2) && stderr.contains("mlp, lenet5, lstm"), "{stderr}");
}

/// `rede train --model-spec NAME` with a file of `content` fails naming the file and each of `expected`,
/// leaving an existing model file alone.
fn spec_fails(name: &str, content: &str, expected: &[&str]) {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join(name), content).unwrap();
    let precious = dir.path().join("model.safetensors");
    std::fs::write(&precious, "the user's own file").unwrap();
    let err = fails(dir.path(), &["train", "--dataset", "digits", "--model-spec", name, "--epochs", "1", "--quiet"]);
    for e in expected {
        assert!(err.contains(e), "expected '{e}' in: {err}");
    }
    assert_eq!(std::fs::read(precious).unwrap(), b"the user's own file", "a failed run overwrote the model");
}

#[test]
fn bad_architecture_files_are_one_line_errors() {
    let broken = CONV_TOML.replace("padding = 1", "padding = ");
    spec_fails("conv.toml", &broken, &["conv.toml: line 9"]);
    let unknown = CONV_TOML.replace("\"relu\"", "\"swish\"");
    spec_fails("conv.toml", &unknown, &["conv.toml: line 12", "unknown variant `swish`", "relu"]);
    let twelve = CONV_TOML.replace("out_features = 10", "out_features = 12");
    spec_fails("conv.toml", &twelve, &["digits", "12 outputs", "10 classes"]);
    let too_wide = CONV_TOML.replace("in_features = 128", "in_features = 100");
    spec_fails("conv.toml", &too_wide, &["does not fit the data", "64 features", "100"]);
    spec_fails("conv.json", "{\"layers\": [\n  {\"type\": \"relu\",}\n]}", &["conv.json: line 2"]);
    spec_fails("conv.yaml", CONV_TOML, &["conv.yaml", ".toml or .json"]);
    spec_fails("empty.toml", "", &["empty.toml", "layers"]);
}

#[test]
fn image_specs_scale_each_channel_as_a_whole() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("conv.toml"), CONV_TOML).unwrap();
    let args = ["train", "--dataset", "digits", "--model-spec", "conv.toml", "--epochs", "1", "--no-plot", "--quiet"];
    ok(dir.path(), &args);
    let model = rede::estimator::Estimator::load(dir.path().join("model.safetensors")).unwrap();
    assert_eq!(model.params().image_channels, Some(1));
    // Every pixel at the same value: one mean and deviation for the channel map them all alike.
    let pipeline = model.pipeline();
    let columns = pipeline.input_columns().iter().map(|c| (c.to_string(), Column::Numeric(vec![5.0]))).collect();
    let x = pipeline.features(&rede::data::Table::new(columns).unwrap()).unwrap().to_vec_f32();
    assert_eq!(x.len(), 64);
    assert!(x.iter().all(|&v| v == x[0]), "one scaling for all 64 pixels: {x:?}");
}
