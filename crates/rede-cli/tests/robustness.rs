//! The binary on hostile input: sizes over the limits, failing searches and unwritable
//! outputs end in one error line and exit status 2, and a failed command writes nothing.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn rede(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("rede").unwrap().current_dir(dir).args(args).output().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Expects exit status 2 and one stderr line without internal names; returns the line.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = rede(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "rede {args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
    for internal in ["panicked", "FeaturePipeline", "::", "LabelEncoder"] {
        assert!(!stderr.contains(internal), "{internal} in: {stderr}");
    }
    stderr
}

/// The files in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Two separable clusters: label 1 when a + b > 0.
fn blobs(n: usize) -> String {
    let mut text = String::from("a,b,y\n");
    for i in 0..n {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        text += &format!("{},{},{}\n", sign * (1.0 + (i % 7) as f64 * 0.1), sign * 0.5, (sign > 0.0) as u8);
    }
    text
}

#[test]
fn architecture_files_over_the_limits_are_refused_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "train.csv", &blobs(40));
    write(d, "wide.toml", "[[layers]]\ntype = \"linear\"\nin_features = 2\nout_features = 2147483648\n");
    write(
        d,
        "deep.json",
        r#"{"layers": [{"type": "gru", "input_size": 2, "hidden_size": 4, "num_layers": 1000000000}]}"#,
    );
    for (file, expected) in [("wide.toml", "over the limit of 268435456"), ("deep.json", "--max-params")] {
        let err = fails(d, &["train", "--data", "train.csv", "--target", "y", "--model-spec", file, "--quiet"]);
        assert!(err.contains(file) && err.contains(expected), "{err}");
    }
    assert_eq!(files(d), ["deep.json", "train.csv", "wide.toml"], "nothing written");
}

#[test]
fn a_model_file_with_a_damaged_header_is_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "train.csv", &blobs(40));
    let out = rede(d, &["train", "--data", "train.csv", "--target", "y", "--hidden", "4", "--epochs", "2", "--quiet"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The architecture entry of the header, widened to 2^31 outputs; the tensors stay.
    let bytes = std::fs::read(d.join("model.safetensors")).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + n].to_vec()).unwrap();
    let damaged = header.replace(r#"\"out_features\":4"#, r#"\"out_features\":2147483648"#);
    assert_ne!(damaged, header, "the test edits the first layer's width");
    let padded = format!("{damaged:<width$}", width = damaged.len().div_ceil(8) * 8);
    let file = [(padded.len() as u64).to_le_bytes().as_slice(), padded.as_bytes(), &bytes[8 + n..]].concat();
    std::fs::write(d.join("damaged.safetensors"), file).unwrap();
    for args in [
        &["inspect", "--model", "damaged.safetensors"][..],
        &["predict", "--model", "damaged.safetensors", "--data", "train.csv"],
        &["eval", "--model", "damaged.safetensors", "--data", "train.csv"],
    ] {
        let err = fails(d, args);
        assert!(err.contains("damaged.safetensors") && err.contains("rede.spec"), "{err}");
    }
}

#[test]
fn a_failed_output_leaves_no_model_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "train.csv", &blobs(40));
    // /proc takes no new file, even for root: the check before training finds that.
    if Path::new("/proc").is_dir() {
        let train = ["train", "--data", "train.csv", "--target", "y", "--hidden", "4", "--epochs", "2", "--quiet"];
        let err = fails(d, &[&train[..], &["--metrics-json", "/proc/rede-metrics.json"]].concat());
        assert!(err.contains("/proc/rede-metrics.json") && err.contains("cannot write"), "{err}");
        assert_eq!(files(d), ["train.csv"], "no model without its metrics");
    } else {
        println!("skipped the unwritable-folder case: no /proc on this system");
    }
}

#[test]
fn a_search_whose_trials_all_fail_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Every width over the parameter limit, and integers over the whole i64 range.
    write(d, "space.toml", "hidden = { int_uniform = [-9223372036854775808, 9223372036854775807] }\n");
    let search = ["search", "--dataset", "moons", "--space", "space.toml", "--cv", "2", "--epochs", "2", "--quiet"];
    let err = fails(d, &[&search[..], &["--trials", "4", "--results", "trials.csv"]].concat());
    assert!(err.contains("every trial failed"), "{err}");
    assert_eq!(files(d), ["space.toml"], "no trials.csv and no model from a failed search");
    let err = fails(d, &[&search[..], &["--strategy", "grid"]].concat());
    assert!(err.contains("space.toml: line 1: parameter 'hidden'") && err.contains("100000"), "{err}");
}

#[test]
fn a_trial_over_the_limits_fails_alone_and_the_search_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "space.toml", "hidden = [[100000000], [9223372036854775807], [4]]\nlr = [0.01]\n");
    let args = ["search", "--dataset", "moons", "--space", "space.toml", "--strategy", "grid", "--cv", "2"];
    let out = rede(d, &[&args[..], &["--epochs", "3", "--quiet", "--results", "trials.csv"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(d.join("trials.csv")).unwrap();
    assert_eq!(csv.matches("over the limit").count(), 2, "{csv}");
    assert!(d.join("best.safetensors").exists());
}

#[test]
fn a_grid_too_large_to_build_is_refused_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = ["lr", "alpha", "momentum", "tol", "beta_1", "beta_2", "power_t", "validation_fraction"];
    let space: String =
        names.iter().map(|n| format!("{n} = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]\n")).collect();
    write(d, "grid.toml", &space);
    let err = fails(d, &["search", "--dataset", "moons", "--space", "grid.toml", "--strategy", "grid"]);
    assert!(err.contains("grid.toml") && err.contains("larger than 100000 configurations"), "{err}");
}

#[test]
fn errors_name_the_file_and_not_library_types() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "train.csv", &blobs(40));
    write(d, "other.csv", "a,c,y\n1,2,1\n-1,-2,0\n");
    let train = ["train", "--data", "train.csv", "--target", "y", "--hidden", "4", "--epochs", "2", "--quiet"];
    let err = fails(d, &[&train[..], &["--test", "other.csv", "--no-plot"]].concat());
    assert!(err.contains("other.csv"), "{err}");
    let err = fails(d, &["train", "--dataset", "no-such-set", "--quiet"]);
    assert!(err.contains("no-such-set"), "{err}");
}
