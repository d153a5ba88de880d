//! A small builder over the protobuf types: nodes with fresh output names,
//! constants as initializers, attributes, and typed graph inputs and outputs.

use super::proto::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto, AttributeProto, GraphProto,
    NodeProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The domain of ONNX's classical machine-learning operators (OneHotEncoder).
pub(crate) const ML_DOMAIN: &str = "ai.onnx.ml";

/// One dimension of a graph input or output: a fixed size or a named, free one.
#[derive(Clone, Debug)]
pub(crate) enum Dim {
    Fixed(usize),
    Named(&'static str),
}

/// The graph under construction.
#[derive(Default)]
pub(crate) struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    next_id: usize,
    /// Whether a node of the `ai.onnx.ml` domain was added.
    pub(crate) uses_ml_domain: bool,
}

impl Graph {
    /// A name no other value has; `hint` keeps the graph readable.
    pub(crate) fn fresh(&mut self, hint: &str) -> String {
        self.next_id += 1;
        format!("{hint}_{}", self.next_id)
    }

    /// Adds a node of the default domain with one output, named from the op.
    pub(crate) fn op(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        let output = self.fresh(&op.to_ascii_lowercase());
        self.op_into(op, inputs, attributes, &output);
        output
    }

    /// Adds a node of the default domain whose one output is called `output`.
    pub(crate) fn op_into(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>, output: &str) {
        self.push_node("", op, inputs, attributes, &[output.to_string()]);
    }

    /// Adds a node of the `ai.onnx.ml` domain with one output.
    pub(crate) fn ml_op(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        self.uses_ml_domain = true;
        let output = self.fresh(&op.to_ascii_lowercase());
        self.push_node(ML_DOMAIN, op, inputs, attributes, std::slice::from_ref(&output));
        output
    }

    /// Adds a node with several outputs (an empty name leaves an optional output out).
    pub(crate) fn push_node(
        &mut self,
        domain: &str,
        op: &str,
        inputs: &[&str],
        attributes: Vec<AttributeProto>,
        outputs: &[String],
    ) {
        let name = self.fresh(&format!("{op}_node"));
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.to_vec(),
            name: Some(name),
            op_type: Some(op.to_string()),
            domain: (!domain.is_empty()).then(|| domain.to_string()),
            attribute: attributes,
            ..Default::default()
        });
    }

    /// A float32 constant of shape `dims`.
    pub(crate) fn floats(&mut self, hint: &str, dims: &[usize], values: &[f32]) -> String {
        debug_assert_eq!(dims.iter().product::<usize>(), values.len());
        let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.constant(hint, dims, DataType::Float, |t| t.raw_data = Some(raw))
    }

    /// An int64 constant of shape `dims` (`[]` is a scalar).
    pub(crate) fn ints(&mut self, hint: &str, dims: &[usize], values: &[i64]) -> String {
        let values = values.to_vec();
        self.constant(hint, dims, DataType::Int64, |t| t.int64_data = values)
    }

    /// A string constant of shape `dims`.
    pub(crate) fn strings(&mut self, hint: &str, dims: &[usize], values: &[String]) -> String {
        let values = values.iter().map(|s| s.as_bytes().to_vec()).collect();
        self.constant(hint, dims, DataType::String, |t| t.string_data = values)
    }

    fn constant(&mut self, hint: &str, dims: &[usize], kind: DataType, fill: impl FnOnce(&mut TensorProto)) -> String {
        let name = self.fresh(hint);
        let mut tensor = TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(kind as i32),
            name: Some(name.clone()),
            ..Default::default()
        };
        fill(&mut tensor);
        self.initializers.push(tensor);
        name
    }

    /// Declares a graph input.
    pub(crate) fn input(&mut self, name: &str, kind: DataType, dims: &[Dim]) {
        self.inputs.push(value_info(name, kind, dims));
    }

    /// Declares a graph output (a value some node already produces).
    pub(crate) fn output(&mut self, name: &str, kind: DataType, dims: &[Dim]) {
        self.outputs.push(value_info(name, kind, dims));
    }

    /// The finished graph.
    pub(crate) fn finish(self, name: &str) -> GraphProto {
        GraphProto {
            node: self.nodes,
            name: Some(name.to_string()),
            initializer: self.initializers,
            input: self.inputs,
            output: self.outputs,
            ..Default::default()
        }
    }
}

fn value_info(name: &str, kind: DataType, dims: &[Dim]) -> ValueInfoProto {
    use tensor_shape_proto::{dimension::Value, Dimension};
    let dim = |d: &Dim| Dimension {
        value: Some(match d {
            Dim::Fixed(n) => Value::DimValue(*n as i64),
            Dim::Named(s) => Value::DimParam(s.to_string()),
        }),
        ..Default::default()
    };
    let tensor = type_proto::Tensor {
        elem_type: Some(kind as i32),
        shape: Some(TensorShapeProto { dim: dims.iter().map(dim).collect() }),
    };
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto { value: Some(type_proto::Value::TensorType(tensor)), ..Default::default() }),
        ..Default::default()
    }
}

/// An integer attribute.
pub(crate) fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto { i: Some(value), ..attribute(name, AttributeType::Int) }
}

/// A list-of-integers attribute.
pub(crate) fn ints<T: Copy + TryInto<i64>>(name: &str, values: &[T]) -> AttributeProto {
    let ints = values.iter().map(|&v| v.try_into().unwrap_or(i64::MAX)).collect();
    AttributeProto { ints, ..attribute(name, AttributeType::Ints) }
}

/// A float attribute.
pub(crate) fn float(name: &str, value: f64) -> AttributeProto {
    AttributeProto { f: Some(value as f32), ..attribute(name, AttributeType::Float) }
}

/// A string attribute.
pub(crate) fn string(name: &str, value: &str) -> AttributeProto {
    AttributeProto { s: Some(value.as_bytes().to_vec()), ..attribute(name, AttributeType::String) }
}

/// A list-of-strings attribute.
pub(crate) fn strings(name: &str, values: &[String]) -> AttributeProto {
    let strings = values.iter().map(|s| s.as_bytes().to_vec()).collect();
    AttributeProto { strings, ..attribute(name, AttributeType::Strings) }
}

fn attribute(name: &str, kind: AttributeType) -> AttributeProto {
    AttributeProto { name: Some(name.to_string()), r#type: Some(kind as i32), ..Default::default() }
}
