//! Fetching MNIST over HTTP(S) into the cache (the `download` feature).
//!
//! All four files are downloaded and verified in memory before any is
//! written, and each is written through a temporary file and a rename, so the
//! cache never holds a partial or unverified file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::idx::Idx;
use super::mnist::{verify, Part, PARTS};
use crate::{Error, Result};

/// Environment variable that replaces the mirror list with one base URL.
const MIRROR_VAR: &str = "REDE_MNIST_MIRROR";

/// Public mirrors of the original `.gz` files, tried in order.
const MIRRORS: [&str; 2] =
    ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"];

/// The largest MNIST `.gz` is about 10 MB; refuse bodies far beyond that.
const MAX_BODY_BYTES: u64 = 64 << 20;

/// Downloads the four MNIST files into `cache`, verifying each; returns them
/// decoded, in [`PARTS`] order, with the paths they were cached at.
pub(super) fn fetch_mnist(cache: &Path) -> Result<Vec<(Idx, PathBuf)>> {
    let mirrors = mirrors();
    let agent = agent();
    let mut fetched = Vec::with_capacity(PARTS.len());
    for part in &PARTS {
        fetched.push(fetch_part(&agent, &mirrors, part)?);
    }
    std::fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
    fetched
        .into_iter()
        .zip(&PARTS)
        .map(|((gz, idx), part)| {
            let path = cache.join(format!("{}.gz", part.name));
            write_atomically(&path, &gz)?;
            Ok((idx, path))
        })
        .collect()
}

/// The base URLs to try: `$REDE_MNIST_MIRROR` alone when set, else [`MIRRORS`].
fn mirrors() -> Vec<String> {
    match std::env::var(MIRROR_VAR) {
        Ok(base) if !base.trim().is_empty() => vec![base.trim().to_string()],
        _ => MIRRORS.iter().map(|m| m.to_string()).collect(),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into()
}

/// One file from the first mirror that serves it intact: its `.gz` bytes and decoded form.
fn fetch_part(agent: &ureq::Agent, mirrors: &[String], part: &Part) -> Result<(Vec<u8>, Idx)> {
    let mut failures = Vec::new();
    for base in mirrors {
        let url = format!("{}/{}.gz", base.trim_end_matches('/'), part.name);
        let attempt = get(agent, &url).and_then(|gz| {
            let idx = Idx::from_bytes(&gz, &url)?;
            verify(&idx, part, &url)?;
            Ok((gz, idx))
        });
        match attempt {
            Ok(found) => return Ok(found),
            Err(e) => failures.push(e),
        }
    }
    match failures.len() {
        1 => Err(failures.remove(0)),
        _ => {
            let reasons: Vec<String> = failures.iter().map(|e| e.to_string()).collect();
            Err(Error::invalid("download", format!("every mirror failed: {}", reasons.join("; "))))
        }
    }
}

/// The body of a GET, bounded in size.
fn get(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>> {
    let fail = |e: ureq::Error| Error::file(url, e.to_string());
    let mut response = agent.get(url).call().map_err(fail)?;
    response.body_mut().with_config().limit(MAX_BODY_BYTES).read_to_vec().map_err(fail)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into
/// place, so `path` is either absent or complete.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.part-{}", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
