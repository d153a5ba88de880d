//! `rede inspect`: what a saved model is and how it was trained.

use crate::CliResult;
use clap::Args;
use rede::estimator::Estimator;
use rede::nn::summary;
use std::path::PathBuf;

/// `rede inspect` arguments.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The model file (from `rede train`).
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
}

pub fn run(args: &InspectArgs) -> CliResult<()> {
    let model = Estimator::load(&args.model)?;
    let pipeline = model.pipeline();
    let meta = model.metadata();
    println!("model: {}", args.model.display());
    let kind = match model {
        Estimator::Classifier(_) => "classifier",
        Estimator::Regressor(_) => "regressor",
    };
    println!("task: {kind}, predicting '{}'", pipeline.target_name());
    if let Some(data) = meta.get("rede.data") {
        println!("trained on: {data}");
    }
    if let Some(classes) = pipeline.class_labels() {
        println!("classes ({}): {}", classes.len(), classes.join(", "));
    }
    let name = meta.get(crate::architecture::KEY_ARCHITECTURE).map_or(String::new(), |n| format!(" ({n})"));
    println!("\narchitecture{name}:");
    println!("{}", summary(model.module(), &[pipeline.n_features()])?);
    println!("\npreprocessing: {} input columns -> {} features", pipeline.input_columns().len(), pipeline.n_features());
    println!("{}", preprocessing(pipeline)?);
    let params = model.params();
    println!(
        "\ntraining: solver {}, learning rate {} ({}), alpha {}, batch size {}, dropout {}, standardize {}",
        params.solver,
        params.learning_rate_init,
        params.learning_rate,
        params.alpha,
        params.batch_size.map_or("auto".to_string(), |b| b.to_string()),
        params.dropout,
        params.standardize
    );
    let record = model.record();
    println!(
        "  {} epochs in {:.1}s, final loss {}, best loss {}",
        record.n_iter,
        record.seconds,
        record.loss_curve.last().map_or("-".into(), |l| format!("{l:.6}")),
        record.best_loss.map_or("-".into(), |l| format!("{l:.6}"))
    );
    if let Some(metrics) = meta.get("rede.metrics").and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok()) {
        let keys = ["test_accuracy", "test_f1_macro", "test_r2", "test_rmse", "test_mae", "n_train", "n_test"];
        let shown: Vec<String> =
            keys.iter().filter_map(|k| metrics.get(*k).map(|v| format!("{k} {}", short(v)))).collect();
        println!("  {}", shown.join(", "));
    }
    println!(
        "  rede {}, model format {}",
        meta.get("rede.version").map_or("?", String::as_str),
        meta.get("rede.format").map_or("?", String::as_str)
    );
    Ok(())
}

fn short(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() != 0.0 => format!("{f:.4}"),
        _ => v.to_string(),
    }
}

/// One line per input column: how it becomes features.
fn preprocessing(pipeline: &rede::data::FeaturePipeline) -> CliResult<String> {
    let json: serde_json::Value = serde_json::from_str(&pipeline.to_json()?).unwrap_or_default();
    let mut lines = Vec::new();
    let inputs = json.get("inputs").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    const SHOWN: usize = 12;
    for input in inputs.iter().take(SHOWN) {
        let name = input.get("name").and_then(|v| v.as_str()).unwrap_or("?");
        let enc = input.get("encoding").cloned().unwrap_or_default();
        let line = match enc.get("kind").and_then(|v| v.as_str()) {
            Some("numeric") => {
                let fill =
                    enc.get("fill").map_or(String::new(), |f| format!(", missing values filled with {}", short(f)));
                format!(
                    "  {name}: numeric, standardized (mean {}, scale {}){fill}",
                    short(&enc["shift"]),
                    short(&enc["scale"])
                )
            }
            Some("one_hot") => {
                let encoder = &enc["encoder"];
                let cats = encoder["categories"].as_array().map_or(0, Vec::len);
                let flag = |key: &str, text: &'static str| if encoder[key] == true { text } else { "" };
                let other = flag("other", ", + \"other\" for rarer and unseen ones");
                let missing = flag("missing", ", + \"missing\"");
                format!("  {name}: text, one-hot over {cats} categories{other}{missing}")
            }
            _ => format!("  {name}"),
        };
        lines.push(line);
    }
    if inputs.len() > SHOWN {
        lines.push(format!("  … and {} more columns", inputs.len() - SHOWN));
    }
    Ok(lines.join("\n"))
}
