//! Replays every file of the fuzz corpora (`fuzz/corpus/TARGET/`) through the fuzz
//! targets' own entry points (`fuzz/src/lib.rs`), on stable Rust: the seeds, and every
//! crash the fuzzer found once, must keep running without a panic.

#[allow(dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod entries;

use std::path::{Path, PathBuf};

type Entry = fn(&[u8]);

const TARGETS: [(&str, Entry); 8] = [
    ("csv", entries::csv),
    ("idx", entries::idx),
    ("npy", entries::npy),
    ("npz", entries::npz),
    ("model_file", entries::model_file),
    ("architecture_toml", entries::architecture_toml),
    ("architecture_json", entries::architecture_json),
    ("search_space", entries::search_space),
];

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_runs_through_its_target_without_a_panic() {
    for (target, entry) in TARGETS {
        let files = corpus(target);
        assert!(!files.is_empty(), "the {target} corpus has no seed");
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            if std::panic::catch_unwind(|| entry(&bytes)).is_err() {
                panic!("{target}: {} panicked (see the message above)", file.display());
            }
        }
    }
}
