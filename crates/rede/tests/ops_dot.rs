//! The Graphviz export: op names, labelled parameters, one edge per input.

use rede::{DType, Tensor};
use std::collections::HashSet;

/// The `tA -> tB` edges of a DOT text, in order.
fn edges(dot: &str) -> Vec<(String, String)> {
    dot.lines()
        .filter_map(|l| l.trim().strip_suffix(';')?.split_once(" -> "))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Node id → label of every node statement.
fn nodes(dot: &str) -> Vec<(String, String)> {
    dot.lines()
        .filter(|l| l.contains('[') && l.trim().starts_with('t'))
        .map(|l| {
            let l = l.trim();
            let id = l.split_whitespace().next().unwrap().to_string();
            let label = l.split("label=\"").nth(1).unwrap().split("\\n").next().unwrap().to_string();
            (id, label)
        })
        .collect()
}

fn label_of<'a>(nodes: &'a [(String, String)], id: &str) -> &'a str {
    &nodes.iter().find(|(n, _)| n == id).unwrap_or_else(|| panic!("edge to undeclared node {id}")).1
}

#[test]
fn graph_of_a_linear_layer_names_ops_parameters_and_inputs() {
    let x = Tensor::ones(&[2, 3], DType::F32);
    let w = Tensor::ones(&[4, 3], DType::F32).requires_grad_();
    let b = Tensor::zeros(&[4], DType::F32).requires_grad_();
    w.set_label("fc.weight");
    b.set_label("fc.bias");
    let loss = x.matmul(&w.t().unwrap()).unwrap().add(&b).unwrap().relu().sum_all().unwrap();
    let dot = loss.to_dot();
    assert!(dot.starts_with("digraph") && dot.trim_end().ends_with('}'), "{dot}");

    let nodes = nodes(&dot);
    let labels: HashSet<&str> = nodes.iter().map(|(_, l)| l.as_str()).collect();
    for expected in ["transpose", "matmul", "add", "relu", "sum", "fc.weight", "fc.bias", "constant"] {
        assert!(labels.contains(expected), "no node labelled {expected} in\n{dot}");
    }
    assert!(dot.contains("fc.weight\\n[4, 3]"), "a parameter shows its shape:\n{dot}");

    // transpose 1 input, matmul 2, add 2, relu 1, sum 1.
    let edges = edges(&dot);
    assert_eq!(edges.len(), 7, "{dot}");
    let named: HashSet<(&str, &str)> = edges.iter().map(|(a, b)| (label_of(&nodes, a), label_of(&nodes, b))).collect();
    for edge in [
        ("fc.weight", "transpose"),
        ("transpose", "matmul"),
        ("constant", "matmul"),
        ("matmul", "add"),
        ("fc.bias", "add"),
        ("add", "relu"),
        ("relu", "sum"),
    ] {
        assert!(named.contains(&edge), "missing edge {edge:?} in\n{dot}");
    }
}

#[test]
fn an_operand_used_twice_gets_two_edges() {
    let x = Tensor::ones(&[3], DType::F64).requires_grad_();
    x.set_label("x");
    let dot = x.mul(&x).unwrap().to_dot();
    let edges = edges(&dot);
    assert_eq!(edges.len(), 2, "{dot}");
    assert_eq!(edges[0], edges[1], "both edges go from x to mul:\n{dot}");
    assert_eq!(nodes(&dot).iter().filter(|(_, l)| l == "x").count(), 1, "x is declared once:\n{dot}");
}
