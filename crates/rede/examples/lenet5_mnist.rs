//! LeNet-5 on MNIST: two convolution + max-pool stages and three dense layers
//! (`rede::nn::presets::lenet5`), trained with Adam (lr 1e-3, batches of 128).
//!
//! ```sh
//! cargo run --release -p rede --example lenet5_mnist -- --epochs 10 --data-dir DIR
//! ```
//!
//! Options: `--epochs N` (10), `--data-dir DIR` (where the four MNIST files are; else
//! `$REDE_DATA_DIR/mnist` or the cache, downloading if allowed), `--seed S` (0),
//! `--batch-size B` (128), `--limit N` (train on the first N images only, for a quick run).
//! Prints one line per epoch (training loss, test accuracy, seconds) and a final JSON line.

use rede::data::{Dataset, Mnist};
use rede::nn::{loss, presets};
use rede::optim::{Adam, AdamConfig};
use rede::train::{evaluate, Callback, EpochRecord, Task, TrainConfig, Trainer};
use rede::Rng;
use std::path::PathBuf;

struct Args {
    epochs: usize,
    data_dir: Option<PathBuf>,
    seed: u64,
    batch_size: usize,
    limit: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { epochs: 10, data_dir: None, seed: 0, batch_size: 128, limit: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("{flag}: '{v}' is not a whole number"));
        match flag.as_str() {
            "--epochs" => args.epochs = number(value()?)? as usize,
            "--data-dir" => args.data_dir = Some(PathBuf::from(value()?)),
            "--seed" => args.seed = number(value()?)?,
            "--batch-size" => args.batch_size = number(value()?)? as usize,
            "--limit" => args.limit = Some(number(value()?)? as usize),
            other => return Err(format!("unknown option {other} (see the example's header)")),
        }
    }
    Ok(args)
}

/// MNIST images as `[n, 1, 28, 28]`, optionally only the first `limit` samples.
fn as_images(data: Dataset, limit: Option<usize>) -> rede::Result<Dataset> {
    let data = match limit {
        Some(n) if n < data.len() => data.subset(&(0..n).collect::<Vec<_>>())?,
        _ => data,
    };
    Dataset::new(Mnist::to_nchw(&data.x)?, data.y)
}

/// Prints one line per epoch.
struct Progress;

impl Callback for Progress {
    fn on_epoch_end(&mut self, r: &EpochRecord) {
        let acc = r.val_score.map_or("-".into(), |a| format!("{:.2}%", 100.0 * a));
        println!("epoch {:>2}: train loss {:.4}, test accuracy {acc}, {:.2} s", r.epoch, r.train_loss, r.seconds);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let mnist = Mnist::load(args.data_dir.as_deref())?;
    let (train, test) = (as_images(mnist.train()?, args.limit)?, as_images(mnist.test()?, None)?);
    let mut rng = Rng::seed(args.seed);
    let mut model = presets::lenet5().build(&mut rng)?;
    let mut optimizer = Adam::new(model.parameters(), AdamConfig::default())?;
    let config =
        TrainConfig { epochs: args.epochs, batch_size: args.batch_size, seed: args.seed, ..Default::default() };
    // The test set is only watched (printed per epoch), never used to choose anything.
    let history = Trainer::new(config, loss::cross_entropy).with_callback(Progress).fit(
        &mut *model,
        &mut optimizer,
        &train,
        Some(&test),
    )?;
    let (_, accuracy) = evaluate(&mut *model, &test, &loss::cross_entropy, Task::Classification, 1000)?;
    let seconds: f64 = history.epochs.iter().map(|e| e.seconds).sum();
    let summary =
        serde_json::json!({ "test_accuracy": accuracy, "epochs": history.epochs.len(), "train_seconds": seconds });
    println!("{summary}");
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("lenet5_mnist: {e}");
        std::process::exit(1);
    }
}
