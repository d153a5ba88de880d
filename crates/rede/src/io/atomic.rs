//! Writes that never leave a half-written file behind.

use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a temporary file in the same folder, then
/// renames it into place: a crash mid-write leaves the old file (or nothing).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut files = StagedFiles::new();
    files.stage(path, bytes)?;
    files.commit()
}

/// Several files written together or not at all, for commands with more than one
/// output: each is first written to a temporary file next to its destination, and
/// [`StagedFiles::commit`] renames them all into place once every one was written.
/// Dropped without a commit (an error on the way), the temporaries are removed and
/// the destinations are left as they were.
#[derive(Debug, Default)]
pub struct StagedFiles {
    /// (temporary file, destination), in staging order.
    staged: Vec<(PathBuf, PathBuf)>,
}

impl StagedFiles {
    /// Nothing staged yet.
    pub fn new() -> StagedFiles {
        StagedFiles::default()
    }

    /// Writes `bytes` to a temporary file next to `path` (flushed to disk).
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path.file_name().ok_or_else(|| Error::file(path, "not a file name"))?;
        let tmp = dir.join(format!(".{}.tmp-{}-{}", name.to_string_lossy(), std::process::id(), self.staged.len()));
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io(path, e));
        }
        self.staged.push((tmp, path.to_path_buf()));
        Ok(())
    }

    /// Renames every staged file into place.
    pub fn commit(mut self) -> Result<()> {
        for (tmp, path) in std::mem::take(&mut self.staged) {
            std::fs::rename(&tmp, &path).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::io(&path, e)
            })?;
        }
        Ok(())
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("rede-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.bin");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert!(write_atomic(&dir.join("missing").join("x"), b"y").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn staged_files_are_all_written_or_none() {
        let dir = std::env::temp_dir().join(format!("rede-staged-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (model, metrics) = (dir.join("model.bin"), dir.join("metrics.json"));
        let mut files = StagedFiles::new();
        files.stage(&model, b"weights").unwrap();
        assert!(files.stage(&dir.join("missing").join("plot.png"), b"png").is_err());
        drop(files); // the command gives up after the error
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "neither the model nor a temporary is left");
        let mut files = StagedFiles::new();
        files.stage(&model, b"weights").unwrap();
        files.stage(&metrics, b"{}").unwrap();
        files.commit().unwrap();
        assert_eq!(
            (std::fs::read(&model).unwrap(), std::fs::read(&metrics).unwrap()),
            (b"weights".to_vec(), b"{}".to_vec())
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
