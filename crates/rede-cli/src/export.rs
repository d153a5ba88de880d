//! `rede export`: a saved model as an ONNX file, preprocessing included.

use crate::error::CliError;
use crate::CliResult;
use clap::Args;
use rede::data::ColumnEncoding;
use rede::estimator::Estimator;
use rede::onnx;
use std::path::PathBuf;

/// `rede export` arguments.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The model file (from `rede train` or `rede search`).
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// Where to write the ONNX model (replaced atomically when it exists).
    #[arg(long, value_name = "FILE.onnx")]
    pub out: PathBuf,
}

pub fn run(args: &ExportArgs) -> CliResult<()> {
    let model = Estimator::load(&args.model)?;
    // Errors about the graph name the model they come from; write errors name the output.
    let bytes = onnx::to_bytes(&model).map_err(|e| CliError::new(format!("{}: {e}", args.model.display())))?;
    rede::io::write_atomic(&args.out, &bytes)?;
    let pipeline = model.pipeline();
    let numeric = pipeline.encodings().iter().all(|(_, e)| matches!(e, ColumnEncoding::Numeric { .. }));
    let inputs = if numeric {
        format!("input '{}' [N, {}]", onnx::FEATURES, pipeline.input_columns().len())
    } else {
        format!("one input per column ({})", pipeline.input_columns().join(", "))
    };
    let outputs = match model {
        Estimator::Classifier(_) => format!("outputs '{}' and '{}'", onnx::PROBABILITIES, onnx::LABEL),
        Estimator::Regressor(_) => format!("output '{}'", onnx::PREDICTION),
    };
    eprintln!("ONNX model (opset {}) written to {}: {inputs}; {outputs}", onnx::OPSET, args.out.display());
    Ok(())
}
