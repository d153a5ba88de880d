//! Checkpoints through the real binary: Ctrl-C (SIGINT) stops `rede train` after
//! the current batch with a checkpoint and the model so far (exit status 130), and
//! `--resume` ends with the weights of the uninterrupted run, bit for bit.

use assert_cmd::cargo::CommandCargoExt;
use rede::estimator::Estimator;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Enough epochs that the run is still going when the signal comes; no early stop.
#[rustfmt::skip]
const RUN: &[&str] = &[
    "train", "--dataset", "digits", "--hidden", "64", "--epochs", "400", "--patience", "1000",
    "--no-plot", "--seed", "4",
];

fn rede(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("rede").unwrap();
    cmd.current_dir(dir).args(RUN).args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

fn weights(path: &Path) -> Vec<Vec<f32>> {
    let model = Estimator::load(path).unwrap();
    model.module().parameters().iter().map(|p| p.to_vec_f32()).collect()
}

/// Waits up to a minute for `path` to appear.
fn wait_for(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_saves_a_checkpoint_and_resume_matches_the_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let ok = |args: &[&str]| {
        let out = rede(dir, args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    ok(&["--out", "full.safetensors"]);

    let run = rede(dir, &["--out", "cut.safetensors", "--checkpoint-every", "1"]).spawn().unwrap();
    // The first checkpoint (after epoch 1) shows the run is training; then press Ctrl-C.
    wait_for(&dir.join("cut.ckpt.safetensors"));
    let signal = Command::new("kill").args(["-INT", &run.id().to_string()]).status().unwrap();
    assert!(signal.success());
    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume cut.ckpt.safetensors"), "{stderr}");
    let so_far = Estimator::load(dir.join("cut.safetensors")).unwrap();
    let epochs_done = so_far.record().n_iter;
    assert!(so_far.record().interrupted && epochs_done < 400, "stopped partway, after {epochs_done} epochs");
    assert!(Estimator::load(dir.join("cut.ckpt.safetensors")).unwrap().metadata().contains_key("rede.checkpoint"));

    ok(&["--out", "resumed.safetensors", "--resume", "cut.ckpt.safetensors"]);
    let resumed = Estimator::load(dir.join("resumed.safetensors")).unwrap();
    assert_eq!(resumed.record().n_iter, 400);
    assert_eq!(weights(&dir.join("resumed.safetensors")), weights(&dir.join("full.safetensors")), "bit for bit");
}

#[test]
fn resume_errors_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = rede(dir.path(), &["--resume", "absent.ckpt"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("absent.ckpt"), "{stderr}");
    let out = rede(dir.path(), &["--solver", "lbfgs", "--checkpoint-every", "2"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("checkpoints need a mini-batch solver"), "{stderr}");
}
