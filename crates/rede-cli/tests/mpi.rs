//! `rede train --distributed` under mpirun (the mpi feature; needs Open MPI's
//! mpirun on the PATH): two processes with batch b end with the weights of one
//! process with batch 2b, and failures end the job with one line, without hanging.
#![cfg(feature = "mpi")]

use assert_cmd::cargo::cargo_bin;
use rede::data::{datasets, Column};
use rede::estimator::Estimator;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// Long enough for a debug build on a loaded machine; a hang fails the test.
const LIMIT: Duration = Duration::from_secs(300);

/// `rede train ARGS` in `dir`, alone or as `ranks` processes under mpirun.
fn train(dir: &Path, ranks: Option<usize>, args: &[&str]) -> Output {
    let rede = cargo_bin("rede");
    let mut cmd = match ranks {
        Some(n) => {
            let mut cmd = assert_cmd::Command::new("mpirun");
            cmd.args(["--allow-run-as-root", "--oversubscribe", "-np", &n.to_string()]).arg(&rede);
            cmd
        }
        None => assert_cmd::Command::new(&rede),
    };
    cmd.current_dir(dir).arg("train").args(args).arg("--no-plot").timeout(LIMIT);
    // One thread per process: two ranks share the machine's cores.
    cmd.env("RAYON_NUM_THREADS", "1");
    cmd.output().unwrap()
}

fn weights(path: &Path) -> Vec<f32> {
    let model = Estimator::load(path).unwrap();
    model.module().parameters().iter().flat_map(|p| p.to_vec_f32()).collect()
}

/// Trains alone with `batch` and on two ranks with half of it each; the weights must agree.
fn check_two_ranks_match_one(dir: &Path, args: &[&str], batch: usize) {
    let single = train(dir, None, &[args, &["--batch-size", &batch.to_string(), "--out", "one.safetensors"]].concat());
    assert!(single.status.success(), "{}", String::from_utf8_lossy(&single.stderr));
    let half = (batch / 2).to_string();
    let two =
        train(dir, Some(2), &[args, &["--batch-size", &half, "--out", "two.safetensors", "--distributed"]].concat());
    let stdout = String::from_utf8_lossy(&two.stdout);
    assert!(two.status.success(), "{}{}", stdout, String::from_utf8_lossy(&two.stderr));
    assert_eq!(stdout.matches("model saved to").count(), 1, "rank 0 alone reports: {stdout}");
    let (one, two) = (weights(&dir.join("one.safetensors")), weights(&dir.join("two.safetensors")));
    assert_eq!(one.len(), two.len());
    let largest = one.iter().zip(&two).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(largest < 1e-5, "the two-rank run's weights differ from the lone run's by {largest}");
}

#[test]
fn two_ranks_train_the_mlp_of_one_process_with_twice_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    // 1437 training rows in batches of 64: 23 steps, the last one short.
    let args = ["--dataset", "digits", "--hidden", "32", "--solver", "adam", "--lr", "0.01", "--epochs", "1"];
    check_two_ranks_match_one(dir.path(), &args, 64);
}

/// 120 digits drawn 3× larger and centred on a 28×28 canvas, as LeNet-5 expects.
fn write_digits_28x28(path: &Path) {
    let table = datasets::digits().unwrap();
    let pixel = |j: usize, i: usize| match table.column(&format!("p{j}")) {
        Some(Column::Numeric(v)) => v[i],
        _ => panic!("digits has no column p{j}"),
    };
    let Some(Column::Numeric(labels)) = table.column("digit") else { panic!("digits has no target") };
    let mut csv: Vec<String> =
        vec![(0..784).map(|k| format!("q{k}")).chain(["digit".into()]).collect::<Vec<_>>().join(",")];
    for (i, label) in labels.iter().enumerate().take(120) {
        let mut row = vec![0.0f32; 784];
        for (k, value) in row.iter_mut().enumerate() {
            let (r, c) = (k / 28, k % 28);
            if (2..26).contains(&r) && (2..26).contains(&c) {
                *value = pixel((r - 2) / 3 * 8 + (c - 2) / 3, i);
            }
        }
        csv.push(row.iter().map(f32::to_string).chain([label.to_string()]).collect::<Vec<_>>().join(","));
    }
    std::fs::write(path, csv.join("\n") + "\n").unwrap();
}

#[test]
fn two_ranks_train_the_lenet5_of_one_process_with_twice_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    write_digits_28x28(&dir.path().join("digits28.csv"));
    // 96 training rows in batches of 16: 6 steps an epoch, 24 in 4 epochs.
    #[rustfmt::skip]
    let args = ["--data", "digits28.csv", "--target", "digit", "--model", "lenet5", "--epochs", "4",
        "--patience", "100", "--task", "classification"];
    check_two_ranks_match_one(dir.path(), &args, 16);
}

#[test]
fn a_rank_that_cannot_read_its_data_ends_the_job_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = train(dir.path(), Some(2), &["--data", "missing.csv", "--target", "y", "--distributed"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ours: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rede:")).collect();
    assert_eq!(ours.len(), 1, "one line from rank 0: {stderr}");
    assert!(ours[0].contains("missing.csv"), "{stderr}");
}

#[test]
fn distributed_outside_an_mpi_job_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = train(dir.path(), None, &["--dataset", "digits", "--distributed"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mpirun -np N"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// The results table without its seconds column, which differs from run to run.
fn results_without_seconds(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let seconds = header.iter().position(|h| *h == "seconds").unwrap();
    text.lines()
        .map(|line| {
            line.split(',').enumerate().filter(|(i, _)| *i != seconds).map(|(_, f)| f).collect::<Vec<_>>().join(",")
        })
        .collect()
}

#[test]
fn a_search_over_two_ranks_gives_the_table_and_model_of_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("space.toml"), "hidden = [[8], [16]]\nlr = { log_uniform = [1e-3, 1e-1] }\n").unwrap();
    let search = |ranks: Option<usize>, name: &str| {
        let rede = cargo_bin("rede");
        let mut cmd = match ranks {
            Some(n) => {
                let mut cmd = assert_cmd::Command::new("mpirun");
                cmd.args(["--allow-run-as-root", "--oversubscribe", "-np", &n.to_string()]).arg(&rede);
                cmd
            }
            None => assert_cmd::Command::new(&rede),
        };
        #[rustfmt::skip]
        cmd.current_dir(dir).args(["search", "--dataset", "moons", "--space", "space.toml", "--trials", "5",
            "--cv", "2", "--epochs", "5", "--quiet", "--results", &format!("{name}.csv"),
            "--out", &format!("{name}.safetensors")]);
        if ranks.is_some() {
            cmd.arg("--distributed");
        }
        let out = cmd.env("RAYON_NUM_THREADS", "1").timeout(LIMIT).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let alone = search(None, "one");
    let spread = search(Some(2), "two");
    let table =
        |s: &str| s.lines().take_while(|l| !l.starts_with("all trials written")).map(String::from).collect::<Vec<_>>();
    assert_eq!(table(&alone), table(&spread), "the printed table");
    assert_eq!(results_without_seconds(&dir.join("one.csv")), results_without_seconds(&dir.join("two.csv")));
    assert_eq!(results_without_seconds(&dir.join("one.csv")).len(), 6, "a header and five trials");
    assert_eq!(weights(&dir.join("one.safetensors")), weights(&dir.join("two.safetensors")), "the best model");
}
