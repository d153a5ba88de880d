//! The "one step" panel: the computational graph of one training sample's loss,
//! recorded by rede's autograd and rendered with its DOT export, with each
//! intermediate value and its gradient.

use super::model::activate;
use super::session::Session;
use rede::data::Task;
use rede::estimator::HiddenActivation;
use rede::nn::loss;
use rede::Tensor;
use serde_json::{json, Value};

/// Most elements shown of a value or gradient.
const SHOWN: usize = 8;

/// A named tensor of the forward pass, with the zero "probe" added to it when
/// its gradient is wanted (the gradient of a probe is the gradient of the node).
struct Node {
    name: String,
    value: Tensor,
    probe: Option<Tensor>,
}

/// The graph of the first training sample's loss (data loss, no penalties) under
/// the current weights, and every node's value and gradient. The network's own
/// parameters are left untouched: the pass runs on leaf copies of them.
pub fn one_step(session: &Session) -> Result<Value, String> {
    let model = session.model();
    model.check_fitted()?;
    let estimator = model.estimator();
    let row = session.first_train_row()?;
    let pipeline = estimator.pipeline();
    let x = pipeline.features(&row).map_err(|e| e.to_string())?;
    let y = pipeline.targets(&row).map_err(|e| e.to_string())?;
    let params: Vec<Tensor> = estimator.module().parameters();
    let acts = model.hidden_activations();
    let err = |e: rede::Error| e.to_string();

    // First pass: the plain graph, for the DOT text and the parameters' gradients.
    let leaves = leaf_copies(&params);
    let (loss, _) = forward(&x, &y, &leaves, acts, estimator.task(), false).map_err(err)?;
    loss.backward().map_err(err)?;
    let dot = loss.to_dot();
    // Second pass: the same sums with zero probes, whose gradients are the nodes'.
    let (_, nodes) = forward(&x, &y, &leaf_copies(&params), acts, estimator.task(), true).map_err(err)?;
    nodes.last().expect("the loss is a node").value.backward().map_err(err)?;

    let mut shown: Vec<Value> = nodes.iter().map(|n| node_json(&n.name, &n.value, n.probe.as_ref())).collect();
    shown.extend(leaves.iter().map(|p| node_json(&p.label().unwrap_or_default(), p, Some(p))));
    Ok(json!({
        "dot": dot,
        "loss": loss.item().map_err(err)?,
        "features": pipeline.feature_names(),
        "nodes": shown,
    }))
}

/// Leaf copies of the parameters (sharing their data), named for the graph.
fn leaf_copies(params: &[Tensor]) -> Vec<Tensor> {
    params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let leaf = p.detach().requires_grad_();
            let kind = if i % 2 == 0 { "W" } else { "b" };
            leaf.set_label(format!("{kind}{}", i / 2 + 1));
            leaf
        })
        .collect()
}

/// The MLP's forward pass and loss on one sample, naming each step.
fn forward(
    x: &Tensor,
    y: &Tensor,
    params: &[Tensor],
    acts: &[HiddenActivation],
    task: Task,
    probes: bool,
) -> rede::Result<(Tensor, Vec<Node>)> {
    let input = x.detach();
    input.set_label("x");
    let mut nodes = vec![Node { name: "x (standardized features)".into(), value: input, probe: None }];
    let mut push = |name: String, value: Tensor| -> rede::Result<Tensor> {
        let probe = probes.then(|| value.zeros_like().requires_grad_());
        let value = match &probe {
            Some(p) => value.add(p)?,
            None => value,
        };
        nodes.push(Node { name, value: value.clone(), probe });
        Ok(value)
    };
    let mut h = x.detach();
    let layers = params.len() / 2;
    for l in 0..layers {
        let (w, b) = (&params[2 * l], &params[2 * l + 1]);
        let k = l + 1;
        let input = if l == 0 { "x".to_string() } else { format!("h{l}") };
        let z = push(format!("z{k} = {input}·W{k}ᵀ + b{k}"), h.linear(w, Some(b))?)?;
        h = match acts.get(l) {
            Some(&act) => push(format!("h{k} = {}(z{k})", act_name(act)), activate(&z, act))?,
            None => z,
        };
    }
    let loss = match task {
        Task::Classification => loss::cross_entropy(&h, y)?,
        Task::Regression => loss::mse_loss(&h, &y.reshape(h.shape())?)?.mul_scalar(0.5),
    };
    let name = match task {
        Task::Classification => "loss = cross_entropy(output, label)",
        Task::Regression => "loss = ½(output − target)²",
    };
    let loss = push(name.into(), loss)?;
    Ok((loss, nodes))
}

fn act_name(act: HiddenActivation) -> &'static str {
    match act {
        HiddenActivation::Identity => "linear",
        HiddenActivation::Logistic => "sigmoid",
        HiddenActivation::Tanh => "tanh",
        HiddenActivation::Relu => "relu",
        HiddenActivation::Gelu => "gelu",
    }
}

/// A node for the page: name, shape, the first values and gradients.
fn node_json(name: &str, value: &Tensor, grad_of: Option<&Tensor>) -> Value {
    let first = |t: &Tensor| t.to_vec_f32().into_iter().take(SHOWN).collect::<Vec<_>>();
    json!({
        "name": name,
        "shape": value.shape(),
        "value": first(value),
        "grad": grad_of.and_then(Tensor::grad).map(|g| first(&g)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graph_names_every_step_and_its_gradients() {
        let mut session = Session::new();
        assert!(one_step(&session).unwrap_err().contains("first epoch"));
        session.step().unwrap();
        let before = session.model().weights();
        let graph = one_step(&session).unwrap();
        assert!(graph["dot"].as_str().unwrap().starts_with("digraph"));
        assert!(graph["dot"].as_str().unwrap().contains("W1"));
        let nodes = graph["nodes"].as_array().unwrap();
        let names: Vec<&str> = nodes.iter().map(|n| n["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"h1 = tanh(z1)") && names.contains(&"W3"), "{names:?}");
        // Every node after the input has a gradient; the loss's own is 1.
        assert!(nodes[1..].iter().all(|n| n["grad"].is_array()), "{nodes:?}");
        let loss_node = nodes.iter().find(|n| n["name"].as_str().unwrap().starts_with("loss")).unwrap();
        assert_eq!(loss_node["grad"][0], 1.0);
        assert_eq!(session.model().weights(), before, "the pass leaves the network alone");
    }
}
