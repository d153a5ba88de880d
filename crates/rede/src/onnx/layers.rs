//! The network as ONNX nodes: one or a few nodes per [`LayerSpec`], walking
//! `Sequential`s, with each layer's weights as initializers.

use super::graph::{self, Graph};
use super::proto::tensor_proto::DataType;
use crate::nn::{LayerSpec, Module, RnnConfig};
use crate::{no_grad, DType, Error, Result, Rng, Tensor};
use std::collections::HashMap;

const OP: &str = "onnx export";

/// The model's weights and buffers by name (`"0.weight"`, `"2.running_mean"`).
pub(crate) struct Weights(HashMap<String, Tensor>);

impl Weights {
    pub(crate) fn of(module: &dyn Module) -> Weights {
        Weights(module.named_parameters().into_iter().chain(module.named_buffers()).collect())
    }

    fn get(&self, name: &str) -> Result<&Tensor> {
        self.0.get(name).ok_or_else(|| Error::invalid(OP, format!("the model has no tensor '{name}'")))
    }

    /// A weight as an f32 constant of its own shape.
    fn constant(&self, graph: &mut Graph, name: &str) -> Result<String> {
        let t = self.get(name)?;
        Ok(graph.floats(name, t.shape(), &t.to_vec_f32()))
    }
}

/// A value flowing through the graph: its name and its shape for a batch of one.
pub(crate) struct Value {
    pub(crate) name: String,
    pub(crate) shape: Vec<usize>,
}

/// Emits the nodes of `spec` (parameters named under `prefix`) applied to `x`.
pub(crate) fn emit(graph: &mut Graph, spec: &LayerSpec, weights: &Weights, prefix: &str, x: Value) -> Result<Value> {
    if let LayerSpec::Sequential { layers } = spec {
        return layers
            .iter()
            .enumerate()
            .try_fold(x, |x, (i, layer)| emit(graph, layer, weights, &format!("{prefix}{i}."), x));
    }
    let shape = out_shape(spec, &x.shape)?;
    let name = emit_layer(graph, spec, weights, prefix, &x)?;
    Ok(Value { name, shape })
}

/// The output shape of one layer for an input of `shape`, found by running it on zeros.
fn out_shape(spec: &LayerSpec, shape: &[usize]) -> Result<Vec<usize>> {
    let mut layer = spec.build(&mut Rng::seed(0))?;
    layer.set_training(false);
    let out = no_grad(|| layer.forward(&Tensor::zeros(shape, DType::F32)))
        .map_err(|e| Error::invalid(OP, format!("{} does not accept {shape:?}: {e}", spec.describe())))?;
    Ok(out.shape().to_vec())
}

fn emit_layer(graph: &mut Graph, spec: &LayerSpec, w: &Weights, prefix: &str, x: &Value) -> Result<String> {
    let p = |name: &str| format!("{prefix}{name}");
    let input = x.name.as_str();
    Ok(match spec {
        LayerSpec::Linear { bias, .. } => linear(graph, w, prefix, x, *bias)?,
        LayerSpec::Identity | LayerSpec::Dropout { .. } => graph.op("Identity", &[input], vec![]),
        LayerSpec::LayerNorm { .. } | LayerSpec::MultiheadAttention { .. } | LayerSpec::PositionalEmbedding { .. } => {
            return Err(Error::invalid(OP, format!("{} layers cannot be exported to ONNX yet", spec.describe())));
        }
        LayerSpec::Sigmoid => graph.op("Sigmoid", &[input], vec![]),
        LayerSpec::Tanh => graph.op("Tanh", &[input], vec![]),
        LayerSpec::Relu => graph.op("Relu", &[input], vec![]),
        LayerSpec::LeakyRelu { negative_slope } => {
            graph.op("LeakyRelu", &[input], vec![graph::float("alpha", *negative_slope)])
        }
        LayerSpec::Gelu => gelu(graph, input),
        LayerSpec::Softmax { axis } => graph.op("Softmax", &[input], vec![graph::int("axis", *axis as i64)]),
        LayerSpec::Conv1d { kernel_size, stride, padding, dilation, groups, bias, .. } => {
            let attrs = vec![
                graph::ints("kernel_shape", &[*kernel_size]),
                graph::ints("strides", &[*stride]),
                graph::ints("pads", &[*padding, *padding]),
                graph::ints("dilations", &[*dilation]),
                graph::int("group", *groups as i64),
            ];
            conv(graph, w, prefix, input, *bias, attrs)?
        }
        LayerSpec::Conv2d { kernel_size, stride, padding, dilation, groups, bias, .. } => {
            let attrs = vec![
                graph::ints("kernel_shape", kernel_size),
                graph::ints("strides", stride),
                graph::ints("pads", &[padding[0], padding[1], padding[0], padding[1]]),
                graph::ints("dilations", dilation),
                graph::int("group", *groups as i64),
            ];
            conv(graph, w, prefix, input, *bias, attrs)?
        }
        LayerSpec::ConvTranspose2d { kernel_size, stride, padding, output_padding, dilation, groups, bias, .. } => {
            let attrs = vec![
                graph::ints("kernel_shape", kernel_size),
                graph::ints("strides", stride),
                graph::ints("pads", &[padding[0], padding[1], padding[0], padding[1]]),
                graph::ints("output_padding", output_padding),
                graph::ints("dilations", dilation),
                graph::int("group", *groups as i64),
            ];
            weighted(graph, w, prefix, "ConvTranspose", input, *bias, attrs)?
        }
        LayerSpec::MaxPool2d { kernel_size, stride, padding } => {
            graph.op("MaxPool", &[input], pool_attrs(kernel_size, stride, padding))
        }
        LayerSpec::AvgPool2d { kernel_size, stride, padding } => {
            let mut attrs = pool_attrs(kernel_size, stride, padding);
            attrs.push(graph::int("count_include_pad", 1)); // rede counts the padding
            graph.op("AveragePool", &[input], attrs)
        }
        LayerSpec::AdaptiveAvgPool2d { output_size } => adaptive_pool(graph, x, *output_size)?,
        LayerSpec::BatchNorm1d { num_features, eps, affine, .. }
        | LayerSpec::BatchNorm2d { num_features, eps, affine, .. } => {
            let (scale, shift) = if *affine {
                (w.constant(graph, &p("weight"))?, w.constant(graph, &p("bias"))?)
            } else {
                let c = *num_features;
                (graph.floats("bn_scale", &[c], &vec![1.0; c]), graph.floats("bn_shift", &[c], &vec![0.0; c]))
            };
            let (mean, var) = (w.constant(graph, &p("running_mean"))?, w.constant(graph, &p("running_var"))?);
            graph.op("BatchNormalization", &[input, &scale, &shift, &mean, &var], vec![graph::float("epsilon", *eps)])
        }
        LayerSpec::Flatten { start_dim, end_dim } => flatten(graph, x, *start_dim, *end_dim)?,
        LayerSpec::Unflatten { dim, sizes } => {
            if *dim == 0 {
                return Err(Error::invalid(OP, "an Unflatten of the batch dimension cannot be exported"));
            }
            let mut shape: Vec<i64> = x.shape.iter().map(|&d| d as i64).collect();
            shape.splice(*dim..=*dim, sizes.iter().map(|&s| s as i64));
            reshape(graph, input, shape)
        }
        LayerSpec::Embedding { .. } => {
            let ids = graph.op("Cast", &[input], vec![graph::int("to", DataType::Int64 as i64)]);
            let table = w.constant(graph, &p("weight"))?;
            graph.op("Gather", &[&table, &ids], vec![graph::int("axis", 0)])
        }
        LayerSpec::Rnn(config) => recurrent(graph, w, prefix, input, config, Cell::Rnn)?,
        LayerSpec::Lstm(config) => recurrent(graph, w, prefix, input, config, Cell::Lstm)?,
        LayerSpec::Gru(config) => recurrent(graph, w, prefix, input, config, Cell::Gru)?,
        LayerSpec::LastStep => {
            let last = graph.ints("last_step", &[], &[-1]);
            graph.op("Gather", &[input, &last], vec![graph::int("axis", 1)])
        }
        LayerSpec::Sequential { .. } => unreachable!("emit walks sequentials"),
    })
}

/// `x·Wᵀ + b`: one Gemm for rows, MatMul and Add for higher ranks.
fn linear(graph: &mut Graph, w: &Weights, prefix: &str, x: &Value, bias: bool) -> Result<String> {
    let weight = w.get(&format!("{prefix}weight"))?;
    let b = if bias { Some(w.constant(graph, &format!("{prefix}bias"))?) } else { None };
    if x.shape.len() == 2 {
        let w_name = w.constant(graph, &format!("{prefix}weight"))?;
        let mut inputs = vec![x.name.as_str(), w_name.as_str()];
        inputs.extend(b.as_deref());
        return Ok(graph.op("Gemm", &inputs, vec![graph::int("transB", 1)]));
    }
    let transposed = weight.t()?;
    let wt = graph.floats(&format!("{prefix}weight_t"), transposed.shape(), &transposed.to_vec_f32());
    let product = graph.op("MatMul", &[&x.name, &wt], vec![]);
    Ok(match b {
        Some(b) => graph.op("Add", &[&product, &b], vec![]),
        None => product,
    })
}

/// Exact GELU, `x · ½ (1 + erf(x / √2))` (ONNX's Gelu op needs opset 20).
fn gelu(graph: &mut Graph, x: &str) -> String {
    let root2 = graph.floats("sqrt2", &[], &[std::f32::consts::SQRT_2]);
    let one = graph.floats("one", &[], &[1.0]);
    let half = graph.floats("half", &[], &[0.5]);
    let scaled = graph.op("Div", &[x, &root2], vec![]);
    let erf = graph.op("Erf", &[&scaled], vec![]);
    let shifted = graph.op("Add", &[&erf, &one], vec![]);
    let halved = graph.op("Mul", &[&shifted, &half], vec![]);
    graph.op("Mul", &[x, &halved], vec![])
}

fn conv(
    graph: &mut Graph,
    w: &Weights,
    prefix: &str,
    x: &str,
    bias: bool,
    attrs: Vec<super::proto::AttributeProto>,
) -> Result<String> {
    weighted(graph, w, prefix, "Conv", x, bias, attrs)
}

/// A `Conv` or `ConvTranspose` node over the layer's weight (in the same layout as
/// ONNX's) and optional bias.
fn weighted(
    graph: &mut Graph,
    w: &Weights,
    prefix: &str,
    op: &str,
    x: &str,
    bias: bool,
    attrs: Vec<super::proto::AttributeProto>,
) -> Result<String> {
    let weight = w.constant(graph, &format!("{prefix}weight"))?;
    let mut inputs = vec![x, weight.as_str()];
    let b = if bias { Some(w.constant(graph, &format!("{prefix}bias"))?) } else { None };
    inputs.extend(b.as_deref());
    Ok(graph.op(op, &inputs, attrs))
}

fn pool_attrs(
    kernel: &[usize; 2],
    stride: &Option<[usize; 2]>,
    padding: &[usize; 2],
) -> Vec<super::proto::AttributeProto> {
    vec![
        graph::ints("kernel_shape", kernel),
        graph::ints("strides", &stride.unwrap_or(*kernel)),
        graph::ints("pads", &[padding[0], padding[1], padding[0], padding[1]]),
    ]
}

/// Adaptive average pooling as a global or a plain average pool; other grids
/// (uneven windows) have no ONNX counterpart.
fn adaptive_pool(graph: &mut Graph, x: &Value, out: [usize; 2]) -> Result<String> {
    if out == [1, 1] {
        return Ok(graph.op("GlobalAveragePool", &[&x.name], vec![]));
    }
    let (h, w) = (x.shape[2], x.shape[3]);
    if h % out[0] != 0 || w % out[1] != 0 {
        return Err(Error::invalid(
            OP,
            format!("AdaptiveAvgPool2d to {out:?} from {h}x{w} has uneven windows, which ONNX cannot express"),
        ));
    }
    let kernel = [h / out[0], w / out[1]];
    Ok(graph.op("AveragePool", &[&x.name], pool_attrs(&kernel, &None, &[0, 0])))
}

/// Merges dimensions `start..=end`: ONNX's Flatten when that is everything after
/// the batch, else a Reshape.
fn flatten(graph: &mut Graph, x: &Value, start: isize, end: isize) -> Result<String> {
    let rank = x.shape.len() as isize;
    let norm = |d: isize| if d < 0 { d + rank } else { d };
    let (start, end) = (norm(start) as usize, norm(end) as usize);
    if start == 0 {
        return Err(Error::invalid(OP, "a Flatten that merges the batch dimension cannot be exported"));
    }
    if end + 1 == x.shape.len() {
        return Ok(graph.op("Flatten", &[&x.name], vec![graph::int("axis", start as i64)]));
    }
    let mut shape: Vec<i64> = x.shape.iter().map(|&d| d as i64).collect();
    let merged: i64 = shape[start..=end].iter().product();
    shape.splice(start..=end, [merged]);
    Ok(reshape(graph, &x.name, shape))
}

/// Reshapes to `shape`, keeping the batch dimension (0 copies it).
fn reshape(graph: &mut Graph, x: &str, mut shape: Vec<i64>) -> String {
    shape[0] = 0;
    let target = graph.ints("shape", &[shape.len()], &shape);
    graph.op("Reshape", &[x, &target], vec![])
}

#[derive(Clone, Copy)]
enum Cell {
    Rnn,
    Lstm,
    Gru,
}

impl Cell {
    fn op(self) -> &'static str {
        match self {
            Cell::Rnn => "RNN",
            Cell::Lstm => "LSTM",
            Cell::Gru => "GRU",
        }
    }

    /// For each ONNX gate block, the PyTorch-layout block it comes from
    /// (ONNX orders LSTM gates i, o, f, c and GRU gates z, r, h; PyTorch i, f, g, o and r, z, n).
    fn gate_order(self) -> &'static [usize] {
        match self {
            Cell::Rnn => &[0],
            Cell::Lstm => &[0, 3, 1, 2],
            Cell::Gru => &[1, 0, 2],
        }
    }
}

/// A batch-first recurrent stack `[N, T, F]` as one ONNX RNN/LSTM/GRU node per
/// layer, run time-major in between (the layout ONNX runtimes all support).
fn recurrent(graph: &mut Graph, w: &Weights, prefix: &str, x: &str, c: &RnnConfig, cell: Cell) -> Result<String> {
    let dirs = if c.bidirectional { 2 } else { 1 };
    let mut seq = graph.op("Transpose", &[x], vec![graph::ints("perm", &[1, 0, 2])]);
    for layer in 0..c.num_layers {
        let (wi, wh, b) = stacked_weights(graph, w, prefix, c, cell, layer)?;
        let y = graph.fresh("rnn_y");
        let mut attrs = vec![graph::int("hidden_size", c.hidden_size as i64)];
        attrs.push(graph::string("direction", if dirs == 2 { "bidirectional" } else { "forward" }));
        if let Cell::Gru = cell {
            attrs.push(graph::int("linear_before_reset", 1)); // as PyTorch's GRU computes n
        }
        let mut inputs = vec![seq.as_str(), wi.as_str(), wh.as_str()];
        inputs.extend(b.as_deref());
        graph.push_node("", cell.op(), &inputs, attrs, std::slice::from_ref(&y));
        // Y is [T, directions, N, H]: bring the directions next to H and merge them.
        let moved = graph.op("Transpose", &[&y], vec![graph::ints("perm", &[0, 2, 1, 3])]);
        let shape = graph.ints("shape", &[3], &[0, 0, -1]);
        seq = graph.op("Reshape", &[&moved, &shape], vec![]);
    }
    Ok(graph.op("Transpose", &[&seq], vec![graph::ints("perm", &[1, 0, 2])]))
}

/// ONNX's W `[dirs, G·H, in]`, R `[dirs, G·H, H]` and B `[dirs, 2·G·H]` of one layer.
fn stacked_weights(
    graph: &mut Graph,
    w: &Weights,
    prefix: &str,
    c: &RnnConfig,
    cell: Cell,
    layer: usize,
) -> Result<(String, String, Option<String>)> {
    let dirs = if c.bidirectional { 2 } else { 1 };
    let h = c.hidden_size;
    let (mut wi, mut wh, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for d in 0..dirs {
        let name = |kind: &str| format!("{prefix}{kind}_l{layer}{}", if d == 1 { "_reverse" } else { "" });
        wi.extend(reorder_gates(&w.get(&name("weight_ih"))?.to_vec_f32(), h, cell));
        wh.extend(reorder_gates(&w.get(&name("weight_hh"))?.to_vec_f32(), h, cell));
        if c.bias {
            b.extend(reorder_gates(&w.get(&name("bias_ih"))?.to_vec_f32(), h, cell));
            b.extend(reorder_gates(&w.get(&name("bias_hh"))?.to_vec_f32(), h, cell));
        }
    }
    let gates = cell.gate_order().len() * h;
    let input = wi.len() / (dirs * gates);
    let wi = graph.floats(&format!("{prefix}W_l{layer}"), &[dirs, gates, input], &wi);
    let wh = graph.floats(&format!("{prefix}R_l{layer}"), &[dirs, gates, h], &wh);
    let b = (!b.is_empty()).then(|| graph.floats(&format!("{prefix}B_l{layer}"), &[dirs, 2 * gates], &b));
    Ok((wi, wh, b))
}

/// Gate blocks (each `h` rows of a row-major matrix, or `h` values of a bias) in ONNX's order.
fn reorder_gates(values: &[f32], h: usize, cell: Cell) -> Vec<f32> {
    let block = values.len() / cell.gate_order().len();
    debug_assert_eq!(block % h, 0);
    cell.gate_order().iter().flat_map(|&g| values[g * block..(g + 1) * block].iter().copied()).collect()
}
