//! Rendering the recorded graph as Graphviz DOT.

use super::engine::topological_order;
use crate::Tensor;
use std::fmt::Write;

impl Tensor {
    /// The computational graph that produced this tensor, in Graphviz DOT.
    ///
    /// Ops are boxes with their output shape; leaves that require gradients
    /// (parameters and inputs being differentiated) are green ellipses with
    /// their label; constants are grey ellipses. Render with `dot -Tpng`.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph rede {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
        let order = if self.requires_grad() { topological_order(self) } else { vec![self.clone()] };
        for t in &order {
            let id = t.id();
            let shape = format!("{:?}", t.shape());
            let _ = match (t.node(), t.requires_grad()) {
                (Some(node), _) => writeln!(out, "  t{} [shape=box, label=\"{}\\n{}\"];", id_num(id), node.op, shape),
                (None, true) => writeln!(
                    out,
                    "  t{} [shape=ellipse, style=filled, fillcolor=palegreen, label=\"{}\\n{}\"];",
                    id_num(id),
                    t.label().unwrap_or_else(|| "parameter".into()),
                    shape
                ),
                (None, false) => writeln!(
                    out,
                    "  t{} [shape=ellipse, style=filled, fillcolor=lightgrey, label=\"{}\\n{}\"];",
                    id_num(id),
                    t.label().unwrap_or_else(|| "constant".into()),
                    shape
                ),
            };
            if let Some(node) = t.node() {
                for input in &node.inputs {
                    if !input.requires_grad() {
                        let _ = writeln!(
                            out,
                            "  t{} [shape=ellipse, style=filled, fillcolor=lightgrey, label=\"{}\\n{:?}\"];",
                            id_num(input.id()),
                            input.label().unwrap_or_else(|| "constant".into()),
                            input.shape()
                        );
                    }
                    let _ = writeln!(out, "  t{} -> t{};", id_num(input.id()), id_num(id));
                }
            }
        }
        out.push_str("}\n");
        out
    }
}

fn id_num(id: crate::TensorId) -> usize {
    id.value()
}
