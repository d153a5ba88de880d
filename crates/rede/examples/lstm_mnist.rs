//! An LSTM reading MNIST images row by row: 28 steps of 28 pixels, 128 hidden units,
//! then a linear layer on the last step (`rede::nn::presets::lstm_classifier(28, 128, 1, 10)`),
//! trained with Adam (lr 1e-3, batches of 128).
//!
//! ```sh
//! cargo run --release -p rede --example lstm_mnist -- --epochs 10 --data-dir DIR
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

/// MNIST images as sequences of rows `[n, 28, 28]`, optionally only the first `limit` samples.
fn as_rows(data: Dataset, limit: Option<usize>) -> rede::Result<Dataset> {
    let data = first(data, limit)?;
    let n = data.len();
    Dataset::new(data.x.reshape(&[n, 28, 28])?, data.y)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let mnist = Mnist::load(args.data_dir.as_deref())?;
    let (train, test) = (as_rows(mnist.train()?, args.limit)?, as_rows(mnist.test()?, None)?);
    let mut rng = Rng::seed(args.seed);
    let mut model = presets::lstm_classifier(28, 128, 1, 10).build(&mut rng)?;
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
        eprintln!("lstm_mnist: {e}");
        std::process::exit(1);
    }
}
