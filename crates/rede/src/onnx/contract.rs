//! The graph's inputs and outputs: raw columns in, the feature pipeline as
//! nodes, and `probabilities`/`label` or `prediction` out.

use super::graph::{self, Dim, Graph};
use super::proto::tensor_proto::DataType;
use crate::data::{ColumnEncoding, FeaturePipeline, UnknownCategory};
use crate::{Error, Result};

/// The input of an all-numeric model: `[N, F]` raw feature columns.
pub const FEATURES: &str = "features";
/// A classifier's class probabilities `[N, C]`.
pub const PROBABILITIES: &str = "probabilities";
/// A classifier's predicted class `[N]` (int64 labels, or strings for text labels).
pub const LABEL: &str = "label";
/// A regressor's predictions `[N, 1]`, in the target's units.
pub const PREDICTION: &str = "prediction";

const BATCH: Dim = Dim::Named("N");

/// Declares the inputs and encodes them into the `[N, d]` float features the network reads.
pub(crate) fn encoded_features(graph: &mut Graph, pipeline: &FeaturePipeline) -> Result<String> {
    let columns = pipeline.encodings();
    if columns.iter().all(|(_, e)| matches!(e, ColumnEncoding::Numeric { .. })) {
        return Ok(numeric_features(graph, &columns));
    }
    for (name, encoding) in &columns {
        if let ColumnEncoding::OneHot(encoder) = encoding {
            if encoder.other || encoder.missing {
                return Err(Error::invalid(
                    "onnx export",
                    format!(
                        "column '{name}' has an 'other' or 'missing' indicator (--max-categories, or text \
                         with missing cells), which the ONNX export does not support yet"
                    ),
                ));
            }
        }
        if [PROBABILITIES, LABEL, PREDICTION].contains(name) {
            return Err(Error::invalid(
                "onnx export",
                format!("the column '{name}' would share its name with an output of the graph; rename it"),
            ));
        }
    }
    let parts: Vec<String> = columns.iter().map(|(name, encoding)| column_input(graph, name, encoding)).collect();
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    Ok(graph.op("Concat", &refs, vec![graph::int("axis", 1)]))
}

/// One `features` input `[N, F]`, standardized column by column in one Sub and one Div.
fn numeric_features(graph: &mut Graph, columns: &[(&str, ColumnEncoding<'_>)]) -> String {
    graph.input(FEATURES, DataType::Float, &[BATCH, Dim::Fixed(columns.len())]);
    let mut fills = Vec::with_capacity(columns.len());
    let (shifts, scales): (Vec<f32>, Vec<f32>) = columns
        .iter()
        .map(|(_, e)| match e {
            ColumnEncoding::Numeric { shift, scale, fill } => {
                fills.push(fill.map_or(f32::NAN, |f| f as f32));
                (*shift as f32, *scale as f32)
            }
            ColumnEncoding::OneHot(_) => unreachable!("checked all numeric"),
        })
        .unzip();
    let d = columns.len();
    let filled = impute(graph, FEATURES, "feature_fill", &[d], &fills);
    if shifts.iter().all(|&s| s == 0.0) && scales.iter().all(|&s| s == 1.0) {
        return filled;
    }
    let shift = graph.floats("feature_shift", &[d], &shifts);
    let scale = graph.floats("feature_scale", &[d], &scales);
    let centred = graph.op("Sub", &[&filled, &shift], vec![]);
    graph.op("Div", &[&centred, &scale], vec![])
}

/// `x` with its NaN (missing) entries replaced by `fills` (`--impute`); the input
/// itself when no column has a fill value (a NaN fill leaves NaN in place).
fn impute(graph: &mut Graph, x: &str, name: &str, shape: &[usize], fills: &[f32]) -> String {
    if fills.iter().all(|f| f.is_nan()) {
        return x.to_string();
    }
    let fill = graph.floats(name, shape, fills);
    let missing = graph.op("IsNaN", &[x], vec![]);
    graph.op("Where", &[&missing, &fill, x], vec![])
}

/// One input per column, `[N, 1]`: numbers standardized, text one-hot encoded.
fn column_input(graph: &mut Graph, name: &str, encoding: &ColumnEncoding<'_>) -> String {
    match encoding {
        ColumnEncoding::Numeric { shift, scale, fill } => {
            graph.input(name, DataType::Float, &[BATCH, Dim::Fixed(1)]);
            let filled = impute(graph, name, "fill", &[], &[fill.map_or(f32::NAN, |f| f as f32)]);
            let shift = graph.floats("shift", &[], &[*shift as f32]);
            let scale = graph.floats("scale", &[], &[*scale as f32]);
            let centred = graph.op("Sub", &[&filled, &shift], vec![]);
            graph.op("Div", &[&centred, &scale], vec![])
        }
        ColumnEncoding::OneHot(encoder) => {
            graph.input(name, DataType::String, &[BATCH, Dim::Fixed(1)]);
            // An unseen category is all zeros, or an error at run time, as in rede.
            let zeros = i64::from(encoder.unknown == UnknownCategory::Zeros);
            let attrs = vec![graph::strings("cats_strings", &encoder.categories), graph::int("zeros", zeros)];
            let one_hot = graph.ml_op("OneHotEncoder", &[name], attrs); // [N, 1, categories]
            graph.op("Flatten", &[&one_hot], vec![graph::int("axis", 1)])
        }
    }
}

/// Turns the network's output into the graph's outputs.
pub(crate) fn outputs(graph: &mut Graph, pipeline: &FeaturePipeline, network_out: &str) -> Result<()> {
    match (pipeline.class_labels(), pipeline.target_scaling()) {
        (Some(classes), _) => classifier_outputs(graph, network_out, &classes),
        (None, Some((shift, scale))) => {
            let scale = graph.floats("target_scale", &[], &[scale as f32]);
            let shift = graph.floats("target_shift", &[], &[shift as f32]);
            let scaled = graph.op("Mul", &[network_out, &scale], vec![]);
            graph.op_into("Add", &[&scaled, &shift], vec![], PREDICTION);
            graph.output(PREDICTION, DataType::Float, &[BATCH, Dim::Fixed(1)]);
        }
        (None, None) => return Err(Error::invalid("onnx export", "the pipeline has neither classes nor a target")),
    }
    Ok(())
}

/// Softmax probabilities, and the label of the largest logit: an int64 when
/// every class is a whole number, else the class's text.
fn classifier_outputs(graph: &mut Graph, logits: &str, classes: &[String]) {
    let c = classes.len();
    graph.op_into("Softmax", &[logits], vec![graph::int("axis", 1)], PROBABILITIES);
    graph.output(PROBABILITIES, DataType::Float, &[BATCH, Dim::Fixed(c)]);
    let index = graph.op("ArgMax", &[logits], vec![graph::int("axis", 1), graph::int("keepdims", 0)]);
    let numbers: Option<Vec<i64>> = classes.iter().map(|s| s.parse().ok()).collect();
    let (labels, kind) = match numbers {
        Some(values) => (graph.ints("classes", &[c], &values), DataType::Int64),
        None => (graph.strings("classes", &[c], classes), DataType::String),
    };
    graph.op_into("Gather", &[&labels, &index], vec![graph::int("axis", 0)], LABEL);
    graph.output(LABEL, kind, &[BATCH]);
}
