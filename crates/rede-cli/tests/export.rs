//! `rede export`: a trained model file becomes an ONNX file that decodes to the
//! documented contract; bad input is one line and exit status 2.

use assert_cmd::Command;
use prost::Message;
use rede::onnx::proto::ModelProto;
use std::path::Path;

fn rede(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("rede").unwrap().current_dir(dir).args(args).output().unwrap()
}

/// A classifier on numeric columns `a`, `b` and a text column `shade`, label `y`.
fn train(dir: &Path, text_column: bool) {
    let mut csv = String::from(if text_column { "a,b,shade,y\n" } else { "a,b,y\n" });
    for i in 0..60 {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        let shade = if text_column { ["light,", "dark,"][i % 2] } else { "" };
        csv += &format!("{},{},{shade}{}\n", sign * (1.0 + (i % 7) as f64 * 0.1), (i % 5) as f64, i % 2);
    }
    std::fs::write(dir.join("train.csv"), csv).unwrap();
    let args = ["train", "--data", "train.csv", "--target", "y", "--hidden", "4", "--epochs", "2", "--quiet"];
    let out = rede(dir, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn export(dir: &Path) -> ModelProto {
    let out = rede(dir, &["export", "--model", "model.safetensors", "--out", "model.onnx"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("written to model.onnx"));
    ModelProto::decode(std::fs::read(dir.join("model.onnx")).unwrap().as_slice()).expect("a valid ONNX protobuf")
}

fn names(values: &[rede::onnx::proto::ValueInfoProto]) -> Vec<String> {
    values.iter().map(|v| v.name.clone().unwrap()).collect()
}

#[test]
fn a_numeric_model_exports_one_features_input_and_two_outputs() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), false);
    let model = export(dir.path());
    let graph = model.graph.unwrap();
    assert_eq!(names(&graph.input), ["features"]);
    assert_eq!(names(&graph.output), ["probabilities", "label"]);
    assert!(graph.node.iter().any(|n| n.op_type.as_deref() == Some("Gemm")));
}

#[test]
fn text_columns_become_inputs_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), true);
    let graph = export(dir.path()).graph.unwrap();
    assert_eq!(names(&graph.input), ["a", "b", "shade"]);
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = rede(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn bad_models_and_destinations_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(dir.path(), &["export", "--model", "missing.safetensors", "--out", "m.onnx"]);
    assert!(err.contains("missing.safetensors"), "{err}");
    std::fs::write(dir.path().join("junk.safetensors"), b"not a model").unwrap();
    let err = fails(dir.path(), &["export", "--model", "junk.safetensors", "--out", "m.onnx"]);
    assert!(err.contains("junk.safetensors"), "{err}");
    assert!(!dir.path().join("m.onnx").exists(), "nothing is written for a bad model");
    train(dir.path(), false);
    let err = fails(dir.path(), &["export", "--model", "model.safetensors", "--out", "no/such/dir/m.onnx"]);
    assert!(err.contains("no/such/dir"), "{err}");
}
