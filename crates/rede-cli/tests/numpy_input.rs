//! NumPy files wherever a CSV file is accepted: a model trained on `.npy`
//! predicts on CSV, one trained on CSV predicts on `.npz`, with the same
//! predictions as from the same rows in the other format; bad files exit 2.

use assert_cmd::Command;
use std::io::Write;
use std::path::PathBuf;
use tempfile::TempDir;

/// One column of the data, as the test writes it in every format.
enum Values {
    Float(Vec<f64>),
    Int(Vec<i64>),
    /// Fixed-width text (numpy's `<U…`).
    Text(Vec<String>),
}

impl Values {
    /// The numpy type string and the bytes of row `i`.
    fn descr(&self) -> String {
        match self {
            Values::Float(_) => "<f8".into(),
            Values::Int(_) => "<i8".into(),
            Values::Text(v) => format!("<U{}", v.iter().map(|s| s.chars().count()).max().unwrap_or(1)),
        }
    }

    fn cell(&self, i: usize) -> Vec<u8> {
        match self {
            Values::Float(v) => v[i].to_le_bytes().to_vec(),
            Values::Int(v) => v[i].to_le_bytes().to_vec(),
            Values::Text(v) => {
                let width = v.iter().map(|s| s.chars().count()).max().unwrap_or(1);
                let mut chars: Vec<u32> = v[i].chars().map(u32::from).collect();
                chars.resize(width, 0);
                chars.iter().flat_map(|c| c.to_le_bytes()).collect()
            }
        }
    }

    fn csv(&self, i: usize) -> String {
        match self {
            Values::Float(v) if v[i].is_nan() => String::new(),
            Values::Float(v) => v[i].to_string(),
            Values::Int(v) => v[i].to_string(),
            Values::Text(v) => v[i].clone(),
        }
    }
}

type Data = Vec<(&'static str, Values)>;

/// A `.npy` file: `descr` as a Python literal, the data after the header.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}");
    while (11 + header.len()) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// The data as a structured array (`df.to_records(index=False)`).
fn records(data: &Data, n: usize) -> Vec<u8> {
    let fields: Vec<String> = data.iter().map(|(name, v)| format!("('{name}', '{}')", v.descr())).collect();
    let bytes: Vec<u8> = (0..n).flat_map(|i| data.iter().flat_map(move |(_, v)| v.cell(i))).collect();
    npy(&format!("[{}]", fields.join(", ")), &format!("({n},)"), &bytes)
}

/// The data as an `.npz` of 1-D columns (`np.savez_compressed(f, **columns)`).
fn npz(data: &Data, n: usize) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, v) in data {
        zip.start_file(format!("{name}.npy"), options).unwrap();
        let bytes: Vec<u8> = (0..n).flat_map(|i| v.cell(i)).collect();
        zip.write_all(&npy(&format!("'{}'", v.descr()), &format!("({n},)"), &bytes)).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

fn csv(data: &Data, n: usize) -> String {
    let mut text = data.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(",") + "\n";
    for i in 0..n {
        text += &(data.iter().map(|(_, v)| v.csv(i)).collect::<Vec<_>>().join(",") + "\n");
    }
    text
}

/// Rows with an identifier, two numbers (`a` missing in every 9th row), a
/// city and a label `y` (1 when a + b > 0).
fn people(n: usize) -> Data {
    let sign = |i: usize| if i % 2 == 0 { 1.0 } else { -1.0 };
    vec![
        ("id", Values::Text((0..n).map(|i| format!("u{i:03}")).collect())),
        (
            "a",
            Values::Float(
                (0..n).map(|i| if i % 9 == 4 { f64::NAN } else { sign(i) * (1.0 + (i % 7) as f64 * 0.1) }).collect(),
            ),
        ),
        ("b", Values::Float((0..n).map(|i| sign(i) * (0.5 + (i % 5) as f64 * 0.1)).collect())),
        ("city", Values::Text((0..n).map(|i| ["lisbon", "porto", "faro"][i % 3].to_string()).collect())),
        ("y", Values::Int((0..n).map(|i| i64::from(i % 2 == 0)).collect())),
    ]
}

struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch { dir: tempfile::tempdir().expect("a temporary folder") }
    }

    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("rede").unwrap().current_dir(self.dir.path()).args(args).output().unwrap()
    }

    /// Runs `rede args…`, expecting success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "rede {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `rede args…`, expecting exit status 2 and one error line; returns it.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "rede {args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
        stderr
    }

    fn predict(&self, model: &str, data: &str) -> String {
        self.ok(&["predict", "--model", model, "--data", data, "--proba"])
    }
}

const TRAIN: [&str; 12] =
    ["--target", "y", "--id-column", "id", "--impute", "median", "--hidden", "8", "--epochs", "20", "--seed", "1"];

#[test]
fn trained_on_npy_predicts_on_csv_and_trained_on_csv_predicts_on_npz() {
    let s = Scratch::new();
    let (data, n) = (people(90), 90);
    s.write("p.npy", records(&data, n));
    s.write("p.npz", npz(&data, n));
    s.write("p.csv", csv(&data, n));

    let mut args = vec!["train", "--data", "p.npy", "--out", "from_npy.safetensors", "--no-plot"];
    args.extend(TRAIN);
    let trained = s.ok(&args);
    assert!(trained.contains("model saved"), "{trained}");
    let from_csv = s.predict("from_npy.safetensors", "p.csv");
    assert!(from_csv.starts_with("id,y,p(0),p(1)\nu000,"), "{from_csv}");
    assert_eq!(from_csv.lines().count(), n + 1);
    assert_eq!(s.predict("from_npy.safetensors", "p.npy"), from_csv);
    assert_eq!(s.predict("from_npy.safetensors", "p.npz"), from_csv);

    let mut args = vec!["train", "--data", "p.csv", "--test", "p.npz", "--out", "from_csv.safetensors", "--no-plot"];
    args.extend(TRAIN);
    s.ok(&args);
    let on_csv = s.predict("from_csv.safetensors", "p.csv");
    assert_eq!(s.predict("from_csv.safetensors", "p.npz"), on_csv);
    let eval = s.ok(&["eval", "--model", "from_csv.safetensors", "--data", "p.npy"]);
    assert!(eval.contains("accuracy"), "{eval}");
}

#[test]
fn a_plain_2d_array_names_its_columns_by_position() {
    let s = Scratch::new();
    let n = 60;
    let rows: Vec<[f64; 3]> = (0..n)
        .map(|i| {
            let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
            [sign * (1.0 + (i % 7) as f64 * 0.1), (i % 5) as f64, f64::from(u8::from(sign > 0.0))]
        })
        .collect();
    let bytes: Vec<u8> = rows.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
    s.write("x.npy", npy("'<f8'", &format!("({n}, 3)"), &bytes));
    s.ok(&["train", "--data", "x.npy", "--target", "2", "--hidden", "4", "--epochs", "5", "--no-plot"]);
    let text: String = rows.iter().map(|r| format!("{},{}\n", r[0], r[1])).collect();
    s.write("x.csv", format!("0,1\n{text}"));
    assert_eq!(s.predict("model.safetensors", "x.csv"), s.predict("model.safetensors", "x.npy"));
    let err = s.fails(&["train", "--data", "x.npy", "--target", "3", "--no-plot"]);
    assert!(err.contains("unknown target column '3'; the columns are: 0, 1, 2"), "{err}");
}

#[test]
fn bad_files_exit_with_status_2_and_say_why() {
    let s = Scratch::new();
    s.write("cut.npy", &records(&people(10), 10)[..200]);
    let err = s.fails(&["train", "--data", "cut.npy", "--target", "y", "--no-plot"]);
    assert!(err.contains("cut.npy") && err.contains("truncated"), "{err}");
    let nan =
        npy("'<f8'", "(2, 2)", &[1.0f64, 2.0, f64::NAN, 0.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    s.write("nan.npy", nan);
    let err = s.fails(&["train", "--data", "nan.npy", "--target", "1", "--no-plot"]);
    assert!(err.contains("column '0', row 1 (0-based): missing value") && err.contains("--impute"), "{err}");
    if !cfg!(feature = "parquet") {
        s.write("x.parquet", b"PAR1");
        let err = s.fails(&["train", "--data", "x.parquet", "--target", "y", "--no-plot"]);
        assert!(err.contains("--features parquet"), "{err}");
    }
}
