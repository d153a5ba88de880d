//! MNIST on the real files: loading, SHA-256 verification, and the download
//! path against a local HTTP server. Skipped (with a message) where the files
//! are not present, so a fresh clone passes.

use std::path::PathBuf;
use std::sync::Mutex;

use rede::data::{Idx, Mnist};

/// Environment variables are process-wide: every test here holds this lock.
static ENV_LOCK: Mutex<()> = Mutex::new(());

const NAMES: [&str; 4] =
    ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

/// Class counts published with MNIST (train, then test).
const TRAIN_COUNTS: [usize; 10] = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS: [usize; 10] = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

/// The folder holding the real `.gz` files, or `None` (with a note) to skip.
fn shared_mnist(test: &str) -> Option<PathBuf> {
    let data = std::env::var_os("REDE_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")));
    let dir = data.join("mnist");
    if NAMES.iter().all(|n| dir.join(format!("{n}.gz")).is_file()) {
        Some(dir)
    } else {
        eprintln!("{test}: skipped, the MNIST .gz files are not in {} (set REDE_DATA_DIR)", dir.display());
        None
    }
}

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("rede-mnist-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn histogram(labels: &[f32]) -> [usize; 10] {
    let mut counts = [0; 10];
    for &label in labels {
        assert_eq!(label, label.round(), "labels are whole numbers");
        counts[label as usize] += 1;
    }
    counts
}

/// Counts, shapes, pixel range and label histograms of a loaded MNIST.
fn check_mnist(mnist: &Mnist) {
    let train = mnist.train().unwrap();
    let test = mnist.test().unwrap();
    assert_eq!(train.x.shape(), &[60000, 784]);
    assert_eq!(test.x.shape(), &[10000, 784]);
    assert_eq!(train.y.shape(), &[60000]);
    assert_eq!(test.y.shape(), &[10000]);
    for images in [&train.x, &test.x] {
        let (min, max) = images
            .with_data::<f32, _>(|p| p.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v))))
            .unwrap();
        assert_eq!((min, max), (0.0, 1.0), "pixels span [0, 1]");
    }
    assert_eq!(histogram(&train.y.to_vec_f32()), TRAIN_COUNTS);
    assert_eq!(histogram(&test.y.to_vec_f32()), TEST_COUNTS);
    assert_eq!(Mnist::to_nchw(&test.x).unwrap().shape(), &[10000, 1, 28, 28]);
    assert!(Mnist::to_nchw(&test.y).is_err());
}

#[test]
fn loads_the_real_files_from_an_explicit_directory() {
    let _env = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(dir) = shared_mnist("loads_the_real_files_from_an_explicit_directory") else { return };
    let mnist = Mnist::load(Some(&dir)).unwrap();
    check_mnist(&mnist);
    // A pixel is a byte over 255: the first training image, byte for byte.
    let raw = Idx::read(&dir.join("train-images-idx3-ubyte.gz")).unwrap();
    let first: Vec<f32> = raw.data()[..784].iter().map(|&p| p as f32 / 255.0).collect();
    assert_eq!(mnist.train_images.narrow(0, 0, 1).unwrap().to_vec_f32(), first);
}

#[test]
fn raw_files_load_and_a_damaged_file_is_refused_by_its_checksum() {
    let _env = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(shared) = shared_mnist("raw_files_load_and_a_damaged_file_is_refused_by_its_checksum") else { return };
    let dir = TempDir::new("raw");
    // Decompressed copies: the checksums are of the IDX bytes, so raw files pass too.
    for name in NAMES {
        let idx = Idx::read(&shared.join(format!("{name}.gz"))).unwrap();
        std::fs::write(dir.0.join(name), idx.as_bytes()).unwrap();
    }
    check_mnist(&Mnist::load(Some(&dir.0)).unwrap());

    // One label changed: still a valid IDX file, but not MNIST's.
    let labels = dir.0.join("t10k-labels-idx1-ubyte");
    let mut bytes = std::fs::read(&labels).unwrap();
    bytes[8] = (bytes[8] + 1) % 10;
    std::fs::write(&labels, &bytes).unwrap();
    let msg = Mnist::load(Some(&dir.0)).unwrap_err().to_string();
    assert!(msg.contains("SHA-256") && msg.contains("t10k-labels-idx1-ubyte"), "{msg}");
}

/// The download path, against servers on 127.0.0.1.
#[cfg(feature = "download")]
mod download {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::Path;
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use flate2::write::GzEncoder;
    use flate2::Compression;
    use rede::data::{Idx, Mnist};

    use super::{check_mnist, shared_mnist, TempDir, ENV_LOCK, NAMES};

    /// Serves `files` (name → bytes) on 127.0.0.1 for at most `max_requests`
    /// requests or `deadline`, whichever comes first; returns the base URL.
    fn serve(files: Vec<(String, Vec<u8>)>, max_requests: usize, deadline: Duration) -> (String, JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}/mnist/", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let start = Instant::now();
            let mut served = 0;
            while served < max_requests && start.elapsed() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        answer(stream, &files);
                        served += 1;
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            served
        });
        (base, handle)
    }

    /// Answers one HTTP GET: the file named by the last path segment, or 404.
    fn answer(mut stream: TcpStream, files: &[(String, Vec<u8>)]) {
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let request = String::from_utf8_lossy(&request);
        let path = request.split_whitespace().nth(1).unwrap_or("");
        let name = path.rsplit('/').next().unwrap_or("");
        let response = match files.iter().find(|(n, _)| n == name) {
            Some((_, body)) => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                [head.as_bytes(), body].concat()
            }
            None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        };
        let _ = stream.write_all(&response);
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// Every entry of `dir` (none if it does not exist).
    fn entries(dir: &Path) -> Vec<String> {
        match std::fs::read_dir(dir) {
            Ok(read) => read.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Points the loader at `cache` (through XDG_CACHE_HOME), `mirror`, and an empty data dir.
    fn set_env(cache: &Path, mirror: &str, empty_data: &Path) {
        std::env::set_var("XDG_CACHE_HOME", cache);
        std::env::set_var("REDE_MNIST_MIRROR", mirror);
        std::env::set_var("REDE_DATA_DIR", empty_data);
    }

    /// Puts environment variables back as they were, even when a test fails.
    struct EnvRestore(Vec<(&'static str, Option<std::ffi::OsString>)>);

    impl EnvRestore {
        fn save(keys: &[&'static str]) -> EnvRestore {
            EnvRestore(keys.iter().map(|&k| (k, std::env::var_os(k))).collect())
        }
    }

    impl Drop for EnvRestore {
        fn drop(&mut self) {
            for (key, value) in &self.0 {
                match value {
                    Some(v) => std::env::set_var(key, v),
                    None => std::env::remove_var(key),
                }
            }
        }
    }

    #[test]
    fn downloads_into_the_cache_and_refuses_a_corrupted_mirror() {
        let _env = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let Some(shared) = shared_mnist("downloads_into_the_cache_and_refuses_a_corrupted_mirror") else { return };
        let _restore = EnvRestore::save(&["XDG_CACHE_HOME", "REDE_MNIST_MIRROR", "REDE_DATA_DIR"]);
        let scratch = TempDir::new("download");
        let empty_data = scratch.0.join("data");
        std::fs::create_dir_all(&empty_data).unwrap();
        let gz_files: Vec<(String, Vec<u8>)> =
            NAMES.iter().map(|n| (format!("{n}.gz"), std::fs::read(shared.join(format!("{n}.gz"))).unwrap())).collect();

        // 1. A good mirror: the four files land in the cache and load.
        let good_cache = scratch.0.join("good-cache");
        let (base, server) = serve(gz_files.clone(), 4, Duration::from_secs(60));
        set_env(&good_cache, &base, &empty_data);
        let mnist = Mnist::load(None).unwrap();
        check_mnist(&mnist);
        assert_eq!(server.join().unwrap(), 4, "one request per file");
        let mut cached = entries(&good_cache.join("rede/mnist"));
        cached.sort();
        let mut expected: Vec<String> = NAMES.iter().map(|n| format!("{n}.gz")).collect();
        expected.sort();
        assert_eq!(cached, expected, "exactly the four files, no temporary left");
        // Loaded again from the cache: no server this time.
        set_env(&good_cache, "http://127.0.0.1:9/", &empty_data);
        assert_eq!(Mnist::load(None).unwrap().test_labels.to_vec_f32(), mnist.test_labels.to_vec_f32());

        // 2. A mirror serving a corrupted copy (a valid gzip of a changed file): refused, cache left empty.
        let mut corrupted = gz_files.clone();
        let mut labels = Idx::from_bytes(&corrupted[3].1, "labels").unwrap().as_bytes().to_vec();
        labels[8] = (labels[8] + 1) % 10;
        corrupted[3].1 = gzip(&labels);
        let bad_cache = scratch.0.join("bad-cache");
        let (base, server) = serve(corrupted, 4, Duration::from_secs(60));
        set_env(&bad_cache, &base, &empty_data);
        let msg = Mnist::load(None).unwrap_err().to_string();
        server.join().unwrap();
        assert!(msg.contains("SHA-256") && msg.contains("t10k-labels-idx1-ubyte"), "{msg}");
        assert_eq!(entries(&bad_cache.join("rede/mnist")), Vec::<String>::new(), "nothing cached");

        // 3. No mirror answers: one line saying where to put the files.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        set_env(&bad_cache, &closed, &empty_data);
        let msg = Mnist::load(None).unwrap_err().to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(
            msg.contains("REDE_DATA_DIR") && msg.contains(&bad_cache.join("rede/mnist").display().to_string()),
            "{msg}"
        );
    }
}
