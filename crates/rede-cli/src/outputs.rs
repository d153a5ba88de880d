//! The files a command writes: checked before the work starts, written together after it succeeds.

use crate::error::CliError;
use crate::CliResult;
use std::path::Path;

/// Fails, naming the file, unless every path can be written: its folder exists and takes
/// a new file (tried with an empty probe file, removed again), and it is not a folder.
/// Run before training, so a bad output path costs no training time.
pub fn check_writable(paths: &[&Path]) -> CliResult<()> {
    for path in paths {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(CliError::new(format!("{}: the folder {} does not exist", path.display(), dir.display())));
        }
        if path.is_dir() {
            return Err(CliError::new(format!("{}: is a folder, not a file name", path.display())));
        }
        let probe = dir.join(format!(".rede-write-check-{}", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
            Ok(_) => {
                let _ = std::fs::remove_file(&probe);
            }
            Err(e) => {
                return Err(CliError::new(format!(
                    "{}: cannot write in the folder {}: {e}",
                    path.display(),
                    dir.display()
                )))
            }
        }
    }
    Ok(())
}
