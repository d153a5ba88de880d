//! `rede search` on the real binary: a tiny search end to end, and bad space files.

use assert_cmd::Command;
use std::path::Path;

fn rede() -> Command {
    Command::cargo_bin("rede").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn search_writes_every_trial_and_a_best_model() {
    let dir = tempfile::tempdir().unwrap();
    let space = write(dir.path(), "space.toml", "hidden = [[2], [16]]\nlr = [0.01]\n");
    let (results, best) = (dir.path().join("results.csv"), dir.path().join("best.safetensors"));
    let out = rede()
        .args(["search", "--dataset", "moons", "--strategy", "grid", "--cv", "3", "--epochs", "40", "--quiet"])
        .arg("--space")
        .arg(&space)
        .arg("--results")
        .arg(&results)
        .arg("--out")
        .arg(&best)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("3-fold CV score") && stdout.contains("hidden=[16]"), "{stdout}");
    let csv = std::fs::read_to_string(&results).unwrap();
    assert_eq!(csv.lines().count(), 3, "header and one row per trial:\n{csv}");
    assert!(csv.lines().next().unwrap().contains("fold3"));
    let inspect = rede().arg("inspect").arg("--model").arg(&best).output().unwrap();
    assert!(inspect.status.success(), "{}", String::from_utf8_lossy(&inspect.stderr));
}

#[test]
fn bad_space_files_are_one_line_errors_before_training() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, expected) in [
        ("unknown.toml", "lr = [0.1]\ncolour = [\"red\"]\n", "line 2: unknown parameter 'colour'"),
        ("malformed.toml", "lr = [0.1,\n", "malformed.toml"),
        ("badkind.toml", "lr = { gaussian = [0, 1] }\n", "parameter 'lr'"),
    ] {
        let space = write(dir.path(), name, text);
        let out = rede().args(["search", "--dataset", "moons", "--space"]).arg(&space).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected) && stderr.contains(name), "{name}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!stderr.contains("panicked"));
    }
}
