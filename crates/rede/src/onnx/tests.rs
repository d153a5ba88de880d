//! The exporter's graphs, checked structurally (onnxruntime checks the numbers
//! in the Python tests): inputs, outputs, operators, weights and their layout.

use super::proto::{tensor_proto::DataType, type_proto, GraphProto, ModelProto, TensorProto};
use super::*;
use crate::data::{synthetic, Column, Table};
use crate::estimator::{MlpClassifier, MlpParams, MlpRegressor, Solver};
use crate::nn::{LayerSpec, RnnConfig};
use crate::{Rng, Tensor};

fn params(hidden: usize) -> MlpParams {
    MlpParams { hidden_layer_sizes: vec![hidden], max_iter: 3, random_state: Some(0), ..MlpParams::default() }
}

fn ops(graph: &GraphProto) -> Vec<&str> {
    graph.node.iter().map(|n| n.op_type.as_deref().unwrap_or("")).collect()
}

fn initializer<'a>(graph: &'a GraphProto, name_start: &str) -> &'a TensorProto {
    graph.initializer.iter().find(|t| t.name.as_deref().unwrap_or("").starts_with(name_start)).expect(name_start)
}

fn floats(t: &TensorProto) -> Vec<f32> {
    t.raw_data.as_ref().expect("raw data").chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
}

/// Name, element type and dimensions (a named dimension as -1) of each input or output.
fn signature(values: &[super::proto::ValueInfoProto]) -> Vec<(String, i32, Vec<i64>)> {
    use super::proto::tensor_shape_proto::dimension::Value;
    values
        .iter()
        .map(|v| {
            let Some(type_proto::Value::TensorType(t)) = v.r#type.as_ref().and_then(|t| t.value.clone()) else {
                panic!("a tensor type")
            };
            let shape = t.shape.expect("a shape");
            let dims = shape.dim.iter().map(|d| match d.value {
                Some(Value::DimValue(n)) => n,
                _ => -1,
            });
            (v.name.clone().unwrap(), t.elem_type.unwrap(), dims.collect())
        })
        .collect()
}

fn graph_of(model: &ModelProto) -> &GraphProto {
    model.graph.as_ref().expect("a graph")
}

#[test]
fn an_mlp_classifier_is_standardization_gemms_and_both_outputs() {
    let data = synthetic::moons(60, 0.1, &mut Rng::seed(0)).unwrap();
    let mut clf = MlpClassifier::new(params(8));
    clf.fit(&data.x, &data.y).unwrap();
    let model = model_proto(clf.pipeline().unwrap(), clf.module().unwrap()).unwrap();
    assert_eq!(model.opset_import.len(), 1, "no ai.onnx.ml without text columns");
    assert_eq!(model.opset_import[0].version, Some(OPSET));
    let graph = graph_of(&model);
    assert_eq!(ops(graph), ["Sub", "Div", "Gemm", "Relu", "Gemm", "Softmax", "ArgMax", "Gather"]);
    assert_eq!(signature(&graph.input), [(FEATURES.to_string(), DataType::Float as i32, vec![-1, 2])]);
    let outputs = signature(&graph.output);
    assert_eq!(outputs[0], (PROBABILITIES.to_string(), DataType::Float as i32, vec![-1, 2]));
    assert_eq!(outputs[1], (LABEL.to_string(), DataType::Int64 as i32, vec![-1]));
    // The first Gemm's weight is the layer's [out, in] matrix, used transposed.
    let weight = clf.coefs()[0].to_vec_f32();
    assert_eq!(floats(initializer(graph, "0.weight")), weight);
    assert_eq!(initializer(graph, "classes").int64_data, [0, 1]);
    // The bytes decode back to the same model.
    let bytes = prost::Message::encode_to_vec(&model);
    assert_eq!(<ModelProto as prost::Message>::decode(bytes.as_slice()).unwrap(), model);
}

#[test]
fn text_columns_are_string_inputs_one_hot_encoded_in_the_graph() {
    let color = ["red", "blue", "green", "red", "blue", "green"].into_iter().collect();
    let table = Table::new(vec![
        ("size".into(), Column::Numeric(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])),
        ("color".into(), Column::Text(color)),
        ("kind".into(), Column::Text(["a", "b", "a", "b", "a", "b"].into_iter().collect())),
    ])
    .unwrap();
    let mut clf = MlpClassifier::new(params(4));
    clf.fit_table(&table, "kind").unwrap();
    let model = model_proto(clf.pipeline().unwrap(), clf.module().unwrap()).unwrap();
    assert!(model.opset_import.iter().any(|o| o.domain.as_deref() == Some("ai.onnx.ml")));
    let graph = graph_of(&model);
    let inputs = signature(&graph.input);
    assert_eq!(inputs[0], ("size".to_string(), DataType::Float as i32, vec![-1, 1]));
    assert_eq!(inputs[1], ("color".to_string(), DataType::String as i32, vec![-1, 1]));
    let one_hot = graph.node.iter().find(|n| n.op_type.as_deref() == Some("OneHotEncoder")).unwrap();
    assert_eq!(one_hot.domain.as_deref(), Some("ai.onnx.ml"));
    let categories: Vec<&[u8]> = one_hot.attribute[0].strings.iter().map(Vec::as_slice).collect();
    assert_eq!(categories, [&b"blue"[..], b"green", b"red"]);
    assert!(ops(graph).contains(&"Concat"));
    assert_eq!(signature(&graph.output)[1].1, DataType::String as i32, "text labels come out as strings");
    assert_eq!(initializer(graph, "classes").string_data, [b"a".to_vec(), b"b".to_vec()]);
}

#[test]
fn a_regressor_undoes_the_target_scaling() {
    let data = synthetic::sine(40, 0.05, &mut Rng::seed(1)).unwrap();
    let y = data.y.affine(10.0, 3.0);
    let mut reg = MlpRegressor::new(MlpParams { solver: Solver::Lbfgs, ..params(6) });
    reg.fit(&data.x, &y).unwrap();
    let model = model_proto(reg.pipeline().unwrap(), reg.module().unwrap()).unwrap();
    let graph = graph_of(&model);
    assert_eq!(&ops(graph)[ops(graph).len() - 2..], ["Mul", "Add"]);
    assert_eq!(signature(&graph.output), [(PREDICTION.to_string(), DataType::Float as i32, vec![-1, 1])]);
    let (shift, scale) = reg.pipeline().unwrap().target_scaling().unwrap();
    assert!((scale - 10.0 * y_std(&data.y)).abs() < 1e-3 && (shift - 3.0 - 10.0 * y_mean(&data.y)).abs() < 1e-3);
    assert_eq!(floats(initializer(graph, "target_scale")), [scale as f32]);
}

fn y_mean(y: &Tensor) -> f64 {
    let v = y.to_vec_f64();
    v.iter().sum::<f64>() / v.len() as f64
}

fn y_std(y: &Tensor) -> f64 {
    let (v, m) = (y.to_vec_f64(), y_mean(y));
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
}

#[test]
fn lstm_gates_are_reordered_for_onnx() {
    // Rows of 12 features read as 4 steps of 3.
    let spec = LayerSpec::Sequential {
        layers: vec![
            LayerSpec::Unflatten { dim: 1, sizes: vec![4, 3] },
            LayerSpec::Lstm(RnnConfig::new(3, 5)),
            LayerSpec::LastStep,
            LayerSpec::Linear { in_features: 5, out_features: 2, bias: true, init: None },
        ],
    };
    let x = Tensor::from_vec((0..24 * 12).map(|i| (i % 7) as f32).collect::<Vec<_>>(), &[24, 12]).unwrap();
    let y = Tensor::from_vec((0..24).map(|i| (i % 2) as f32).collect::<Vec<_>>(), &[24]).unwrap();
    let mut clf = MlpClassifier::new(MlpParams { model: Some(spec), ..params(1) });
    clf.fit(&x, &y).unwrap();
    let model = model_proto(clf.pipeline().unwrap(), clf.module().unwrap()).unwrap();
    let graph = graph_of(&model);
    let lstm = graph.node.iter().find(|n| n.op_type.as_deref() == Some("LSTM")).expect("an LSTM node");
    let w = initializer(graph, "1.W_l0");
    assert_eq!(w.dims, [1, 20, 3]);
    let rede_w = clf.module().unwrap().named_parameters().into_iter().find(|(n, _)| n == "1.weight_ih_l0").unwrap();
    let (rede_w, onnx_w) = (rede_w.1.to_vec_f32(), floats(w));
    let block = 5 * 3;
    // ONNX's second block is the output gate, PyTorch's (and rede's) fourth.
    assert_eq!(onnx_w[block..2 * block], rede_w[3 * block..4 * block]);
    assert_eq!(onnx_w[2 * block..3 * block], rede_w[block..2 * block], "then the forget gate");
    assert_eq!(lstm.input.len(), 4, "X, W, R and B");
    assert!(ops(graph).contains(&"Reshape"), "the Unflatten");
}

#[test]
fn uneven_adaptive_pooling_is_refused_with_the_reason() {
    let spec = LayerSpec::Sequential {
        layers: vec![
            LayerSpec::Unflatten { dim: 1, sizes: vec![1, 5, 5] },
            LayerSpec::AdaptiveAvgPool2d { output_size: [2, 2] },
            LayerSpec::Flatten { start_dim: 1, end_dim: -1 },
            LayerSpec::Linear { in_features: 4, out_features: 2, bias: true, init: None },
        ],
    };
    let module = spec.build(&mut Rng::seed(0)).unwrap();
    let x = Tensor::from_vec((0..8 * 25).map(|i| (i % 5) as f32).collect::<Vec<_>>(), &[8, 25]).unwrap();
    let y = Tensor::from_vec((0..8).map(|i| (i % 2) as f32).collect::<Vec<_>>(), &[8]).unwrap();
    let mut clf = MlpClassifier::new(params(1));
    clf.fit(&x, &y).unwrap();
    let err = model_proto(clf.pipeline().unwrap(), &*module).unwrap_err().to_string();
    assert!(err.contains("AdaptiveAvgPool2d") && err.contains("uneven"), "{err}");
}
