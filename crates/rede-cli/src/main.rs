//! The `rede` command line.

use clap::Parser;

/// rede: train, evaluate and inspect neural networks.
#[derive(Parser)]
#[command(name = "rede", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
    println!("rede {}: no subcommands yet", env!("CARGO_PKG_VERSION"));
}
