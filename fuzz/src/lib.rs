//! The entry points of the fuzz targets: each feeds arbitrary bytes to one of rede's
//! readers the way the command line does, and must return (an error is fine) without
//! panicking, aborting or allocating without bound.
//!
//! `crates/rede/tests/fuzz_corpus.rs` includes this file and replays every file of
//! `fuzz/corpus/` through these same functions on stable Rust, in `cargo test`.

use rede::data::{read_csv_from, read_table_from_bytes, CsvOptions, Format, Idx};
use rede::estimator::search::{apply_config, SEARCH_PARAMS};
use rede::estimator::{Estimator, MlpParams};
use rede::model_selection::SearchSpace;
use rede::nn::ModelSpec;

/// The parameter limit while fuzzing: small, so an accepted input allocates little
/// (the default of 2^28 would let one input take a gigabyte).
const FUZZ_MAX_PARAMETERS: usize = 1 << 20;

/// A CSV file, read without and with its first header field as the target.
pub fn csv(data: &[u8]) {
    let _ = read_csv_from(data, "fuzz.csv", &CsvOptions::default());
    let header = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(header).split(',').next().unwrap_or_default().trim().to_string();
    let options = CsvOptions { target: Some(first), ..Default::default() };
    if let Ok(table) = read_csv_from(data, "fuzz.csv", &options) {
        let _ = (table.n_rows(), table.iter().count());
    }
}

/// An IDX file (MNIST's format).
pub fn idx(data: &[u8]) {
    if let Ok(idx) = Idx::from_bytes(data, "fuzz.idx") {
        let _ = (idx.dims().iter().product::<usize>(), idx.data().len());
    }
}

/// A NumPy `.npy` file, as `read_table` reads one.
pub fn npy(data: &[u8]) {
    numpy(data, Format::Npy, "fuzz.npy");
}

/// A NumPy `.npz` archive, as `read_table` reads one.
pub fn npz(data: &[u8]) {
    numpy(data, Format::Npz, "fuzz.npz");
}

/// A NumPy file read with missing values allowed, then again with its first
/// column as the target.
fn numpy(data: &[u8], format: Format, source: &str) {
    let options = CsvOptions { allow_missing: true, ..Default::default() };
    let Ok(table) = read_table_from_bytes(data, format, source, &options) else { return };
    let options = CsvOptions { target: table.names().first().cloned(), ..Default::default() };
    if let Ok(table) = read_table_from_bytes(data, format, source, &options) {
        let _ = (table.n_rows(), table.iter().count());
    }
}

/// A model file, as `predict`, `eval` and `inspect` load it.
pub fn model_file(data: &[u8]) {
    rede::nn::limits::set_max_parameters(FUZZ_MAX_PARAMETERS);
    if let Ok(model) = Estimator::from_bytes(data, "fuzz.safetensors") {
        let _ = (model.module().num_parameters(), model.pipeline().feature_names().len());
    }
}

/// An architecture file in TOML.
pub fn architecture_toml(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        build(ModelSpec::from_toml(text, "fuzz.toml"));
    }
}

/// An architecture file in JSON.
pub fn architecture_json(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        build(ModelSpec::from_json(text, "fuzz.json"));
    }
}

/// Builds the whole model of an accepted architecture, as `rede train` does.
fn build(spec: rede::Result<ModelSpec>) {
    rede::nn::limits::set_max_parameters(FUZZ_MAX_PARAMETERS);
    if let Ok(spec) = spec {
        let _ = spec.to_layer_spec().build(&mut rede::Rng::seed(0)).map(|m| m.num_parameters());
    }
}

/// A search space, with the configurations `rede search` would try (grid and random)
/// turned into training options.
pub fn search_space(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(space) = SearchSpace::from_toml(text, "fuzz.toml") else { return };
    if space.check_names(SEARCH_PARAMS, "fuzz.toml").is_err() {
        return;
    }
    let base = MlpParams::default();
    if let Ok(grid) = space.grid() {
        grid.iter().take(64).for_each(|config| drop(apply_config(&base, config)));
    }
    space.sample(16, 0).iter().for_each(|config| drop(apply_config(&base, config)));
}
