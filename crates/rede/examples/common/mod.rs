//! What the MNIST examples share: their command-line options, the optional
//! sample limit and the per-epoch line.

use rede::data::Dataset;
use rede::train::{Callback, EpochRecord};
use std::path::PathBuf;

/// The options `--epochs`, `--data-dir`, `--seed`, `--batch-size`, `--limit`.
pub struct Args {
    pub epochs: usize,
    pub data_dir: Option<PathBuf>,
    pub seed: u64,
    pub batch_size: usize,
    pub limit: Option<usize>,
}

/// Reads the options from the command line.
pub fn parse_args() -> Result<Args, String> {
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

/// The first `limit` samples of `data` (all of them without a limit).
pub fn first(data: Dataset, limit: Option<usize>) -> rede::Result<Dataset> {
    match limit {
        Some(n) if n < data.len() => data.subset(&(0..n).collect::<Vec<_>>()),
        _ => Ok(data),
    }
}

/// Prints one line per epoch.
pub struct Progress;

impl Callback for Progress {
    fn on_epoch_end(&mut self, r: &EpochRecord) {
        let acc = r.val_score.map_or("-".into(), |a| format!("{:.2}%", 100.0 * a));
        println!("epoch {:>2}: train loss {:.4}, test accuracy {acc}, {:.2} s", r.epoch, r.train_loss, r.seconds);
    }
}
