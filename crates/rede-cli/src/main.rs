//! The `rede` command line: train, evaluate, apply and inspect neural networks
//! on CSV files and built-in datasets, with no code.

mod architecture;
mod datasets;
mod distributed;
mod error;
mod eval;
mod export;
mod inspect;
mod interrupt;
mod load;
mod outputs;
mod playground;
mod plot;
mod predict;
mod progress;
mod report;
mod search;
mod train;

use clap::{Parser, Subcommand};
use error::CliError;
use std::process::ExitCode;

/// rede: train, evaluate and inspect neural networks on CSV data.
#[derive(Parser)]
#[command(name = "rede", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a network on a CSV file or a built-in dataset, report test metrics and save the model.
    Train(Box<train::TrainArgs>),
    /// Evaluate a saved model on a labelled data file.
    Eval(eval::EvalArgs),
    /// Predict the target of every row of a data file with a saved model.
    Predict(predict::PredictArgs),
    /// Show a saved model: architecture, parameters, preprocessing, training metrics.
    Inspect(inspect::InspectArgs),
    /// List the built-in datasets.
    Datasets,
    /// Search hyperparameters by cross-validation and save the best model.
    Search(Box<search::SearchArgs>),
    /// Export a saved model as ONNX (preprocessing included) for ONNX runtimes.
    Export(export::ExportArgs),
    /// Serve a local web page that trains small networks live on 2-D data.
    Playground(playground::PlaygroundArgs),
}

fn main() -> ExitCode {
    error::install_panic_hook();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Predict(args) => predict::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Datasets => datasets::run(),
        Command::Search(args) => search::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Playground(args) => playground::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

/// Shared by the subcommands.
type CliResult<T> = Result<T, CliError>;
