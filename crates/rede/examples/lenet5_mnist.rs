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

mod common;

use common::{first, parse_args, Progress};

use rede::data::{Dataset, Mnist};
use rede::nn::{loss, presets};
use rede::optim::{Adam, AdamConfig};
use rede::train::{evaluate, Task, TrainConfig, Trainer};
use rede::Rng;

/// MNIST images as `[n, 1, 28, 28]`, optionally only the first `limit` samples.
fn as_images(data: Dataset, limit: Option<usize>) -> rede::Result<Dataset> {
    let data = first(data, limit)?;
    Dataset::new(Mnist::to_nchw(&data.x)?, data.y)
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
