//! MNIST, the handwritten digits: found on disk, or fetched once into the
//! user's cache, and checked against known SHA-256 sums either way.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::idx::Idx;
use super::Dataset;
use crate::{Error, Result, Tensor};

/// Side of an MNIST image, in pixels.
const SIDE: usize = 28;

/// Pixels in an MNIST image.
const PIXELS: usize = SIDE * SIDE;

/// Digits 0 to 9.
const CLASSES: u8 = 10;

/// One of the four MNIST files, with the SHA-256 of its decompressed IDX
/// bytes (the same whatever gzip packaging a mirror serves).
pub(super) struct Part {
    /// File name without `.gz`.
    pub(super) name: &'static str,
    sha256: &'static str,
}

/// The four files, in the order [`Mnist`] is built from them.
pub(super) const PARTS: [Part; 4] = [
    Part {
        name: "train-images-idx3-ubyte",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    Part {
        name: "train-labels-idx1-ubyte",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    Part { name: "t10k-images-idx3-ubyte", sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7" },
    Part { name: "t10k-labels-idx1-ubyte", sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2" },
];

/// Environment variable naming a data directory; MNIST is looked for in its `mnist` folder.
const DATA_DIR_VAR: &str = "REDE_DATA_DIR";

/// The MNIST training and test sets: images as `f32` in `[0, 1]`, shaped
/// `[n, 784]` (row-major 28×28), and labels as class indices `0..=9` stored
/// as whole-number `f32`, shaped `[n]`.
///
/// ```no_run
/// # fn main() -> rede::Result<()> {
/// let mnist = rede::data::Mnist::load(None)?;
/// let train = mnist.train()?; // x: [60000, 784], y: [60000]
/// let conv_input = rede::data::Mnist::to_nchw(&train.x)?; // [60000, 1, 28, 28]
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Training images, `[60000, 784]`.
    pub train_images: Tensor,
    /// Training labels, `[60000]`.
    pub train_labels: Tensor,
    /// Test images, `[10000, 784]`.
    pub test_images: Tensor,
    /// Test labels, `[10000]`.
    pub test_labels: Tensor,
}

impl Mnist {
    /// Loads MNIST from the first of these directories that holds all four
    /// files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each raw or `.gz`):
    /// `dir` when given, `$REDE_DATA_DIR/mnist`, then the cache directory
    /// ([`Mnist::cache_dir`]). When none does and the `download` feature is on,
    /// fetches the files into the cache directory first (mirrors overridable
    /// with `REDE_MNIST_MIRROR`, a base URL).
    ///
    /// Every file is checked against the SHA-256 of the real MNIST file; a
    /// found file that does not match is an error, not skipped.
    pub fn load(dir: Option<&Path>) -> Result<Mnist> {
        let dirs = search_dirs(dir);
        for dir in &dirs {
            if let Some(paths) = find_parts(dir) {
                let idxs = paths.iter().zip(&PARTS).map(|(path, part)| read_verified(path, part));
                return Mnist::from_idxs(idxs.collect::<Result<Vec<_>>>()?);
            }
        }
        let cache = Mnist::cache_dir();
        let failure = match &cache {
            Some(cache) => match fetch(cache) {
                Ok(idxs) => return Mnist::from_idxs(idxs),
                Err(why) => why,
            },
            None => "no cache directory ($XDG_CACHE_HOME and $HOME are unset)".to_string(),
        };
        Err(not_found(&dirs, cache.as_deref(), &failure))
    }

    /// Where MNIST is cached: `$XDG_CACHE_HOME/rede/mnist`, else
    /// `$HOME/.cache/rede/mnist`; `None` when neither variable is set.
    pub fn cache_dir() -> Option<PathBuf> {
        let base = match non_empty_var("XDG_CACHE_HOME") {
            Some(xdg) => PathBuf::from(xdg),
            None => PathBuf::from(non_empty_var("HOME")?).join(".cache"),
        };
        Some(base.join("rede").join("mnist"))
    }

    /// The training set as a [`Dataset`]: `x` `[60000, 784]`, `y` `[60000]`.
    pub fn train(&self) -> Result<Dataset> {
        Dataset::new(self.train_images.clone(), self.train_labels.clone())
    }

    /// The test set as a [`Dataset`]: `x` `[10000, 784]`, `y` `[10000]`.
    pub fn test(&self) -> Result<Dataset> {
        Dataset::new(self.test_images.clone(), self.test_labels.clone())
    }

    /// Flat images `[n, 784]` as single-channel pictures `[n, 1, 28, 28]`
    /// for convolutional models.
    pub fn to_nchw(images: &Tensor) -> Result<Tensor> {
        if images.rank() != 2 || images.shape()[1] != PIXELS {
            return Err(Error::invalid(
                "Mnist::to_nchw",
                format!("expected [n, 784] images, got {:?}", images.shape()),
            ));
        }
        images.reshape(&[images.shape()[0], 1, SIDE, SIDE])
    }

    /// Builds the tensors from the four verified files, in [`PARTS`] order.
    fn from_idxs(idxs: Vec<(Idx, PathBuf)>) -> Result<Mnist> {
        let [train_images, train_labels, test_images, test_labels] =
            <[_; 4]>::try_from(idxs).map_err(|_| Error::invalid("Mnist::load", "expected the four MNIST files"))?;
        let (train_images, train_labels) = image_label_pair(&train_images, &train_labels)?;
        let (test_images, test_labels) = image_label_pair(&test_images, &test_labels)?;
        Ok(Mnist { train_images, train_labels, test_images, test_labels })
    }
}

/// The images `[n, 784]` in `[0, 1]` and labels `[n]` of one split.
fn image_label_pair(images: &(Idx, PathBuf), labels: &(Idx, PathBuf)) -> Result<(Tensor, Tensor)> {
    let ((images, image_path), (labels, label_path)) = (images, labels);
    let n = labels.dims()[0];
    if images.dims() != [n, SIDE, SIDE] {
        return Err(Error::file(
            image_path,
            format!("expected {n} images of 28×28 (as many as the labels), got dimensions {:?}", images.dims()),
        ));
    }
    if let Some(bad) = labels.data().iter().find(|&&label| label >= CLASSES) {
        return Err(Error::file(label_path, format!("label {bad} is not a digit")));
    }
    let pixels = images.data().iter().map(|&p| f32::from(p) / 255.0).collect();
    let classes = labels.data().iter().map(|&c| f32::from(c)).collect();
    Ok((Tensor::from_vec::<f32>(pixels, &[n, PIXELS])?, Tensor::from_vec::<f32>(classes, &[n])?))
}

/// Reads one file and checks its decompressed bytes against the known sum.
fn read_verified(path: &Path, part: &Part) -> Result<(Idx, PathBuf)> {
    let idx = Idx::read(path)?;
    verify(&idx, part, &path.display().to_string())?;
    Ok((idx, path.to_path_buf()))
}

/// Checks the SHA-256 of the decompressed IDX bytes; `source` names them in the error.
pub(super) fn verify(idx: &Idx, part: &Part, source: &str) -> Result<()> {
    let actual: String = Sha256::digest(idx.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    if actual == part.sha256 {
        return Ok(());
    }
    Err(Error::file(
        source,
        format!(
            "SHA-256 of the decompressed {} is {actual}, expected {}: the file is damaged or not MNIST's",
            part.name, part.sha256
        ),
    ))
}

/// The directories searched, in order, without repeats.
fn search_dirs(explicit: Option<&Path>) -> Vec<PathBuf> {
    let env_dir = non_empty_var(DATA_DIR_VAR).map(|d| PathBuf::from(d).join("mnist"));
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in [explicit.map(Path::to_path_buf), env_dir, Mnist::cache_dir()].into_iter().flatten() {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// The paths of the four files in `dir` (each raw or `.gz`), if all are there.
fn find_parts(dir: &Path) -> Option<Vec<PathBuf>> {
    PARTS
        .iter()
        .map(|part| {
            let raw = dir.join(part.name);
            let gz = dir.join(format!("{}.gz", part.name));
            [raw, gz].into_iter().find(|p| p.is_file())
        })
        .collect()
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The one-line error for "not on disk and could not be fetched".
fn not_found(searched: &[PathBuf], cache: Option<&Path>, failure: &str) -> Error {
    let names: Vec<&str> = PARTS.iter().map(|p| p.name).collect();
    let searched: Vec<String> = searched.iter().map(|d| d.display().to_string()).collect();
    let target = match cache {
        Some(cache) => format!("{} (the cache directory) or in ${DATA_DIR_VAR}/mnist", cache.display()),
        None => format!("${DATA_DIR_VAR}/mnist"),
    };
    Error::invalid(
        "Mnist::load",
        format!(
            "MNIST not found: put {} (each raw or .gz) in {target}; searched [{}]; {failure}",
            names.join(", "),
            searched.join(", ")
        ),
    )
}

/// Downloads, verifies and caches the four files, or says why it could not.
#[cfg(feature = "download")]
fn fetch(cache: &Path) -> std::result::Result<Vec<(Idx, PathBuf)>, String> {
    super::download::fetch_mnist(cache).map_err(|e| format!("download failed: {e}"))
}

#[cfg(not(feature = "download"))]
fn fetch(_cache: &Path) -> std::result::Result<Vec<(Idx, PathBuf)>, String> {
    Err("this build of rede has no `download` feature".to_string())
}
