//! `rede datasets`: the built-in datasets.

use crate::CliResult;
use rede::data::datasets::DATASETS;

/// MNIST is not a table by name (it is loaded from files), so it is listed here.
pub const MNIST: (&str, &str) =
    ("mnist", "70000 handwritten digits, 28×28 pixels (784 features), 10 classes; files from --data-dir or the cache");

pub fn run() -> CliResult<()> {
    let all: Vec<(&str, &str)> = DATASETS.iter().map(|d| (d.name, d.description)).chain([MNIST]).collect();
    let width = all.iter().map(|d| d.0.len()).max().unwrap_or(0);
    for (name, description) in all {
        println!("{name:width$}  {description}");
    }
    println!("\nTrain on one with: rede train --dataset NAME");
    Ok(())
}
