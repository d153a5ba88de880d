//! The backward pass: topological order, then gradients flowing from the root.

use super::no_grad;
use crate::{Error, Result, Tensor, TensorId};
use std::collections::{HashMap, HashSet};

/// Tensors reachable from `root` through recorded ops, inputs before the ops that read them.
pub(crate) fn topological_order(root: &Tensor) -> Vec<Tensor> {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    // Iterative DFS: (tensor, whether its inputs were already pushed).
    let mut stack = vec![(root.clone(), false)];
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !visited.insert(t.id()) {
            continue;
        }
        stack.push((t.clone(), true));
        if let Some(node) = t.node() {
            for input in node.inputs.iter().filter(|i| i.requires_grad() && !visited.contains(&i.id())) {
                stack.push((input.clone(), false));
            }
        }
    }
    order
}

impl Tensor {
    /// Back-propagates from this one-element tensor (typically a loss): every leaf
    /// that requires gradients gets d(self)/d(leaf) added to its [`Tensor::grad`].
    pub fn backward(&self) -> Result<()> {
        if self.numel() != 1 {
            return Err(Error::invalid(
                "backward",
                format!("needs a single value, got shape {:?}; use backward_with for other shapes", self.shape()),
            ));
        }
        self.backward_with(&self.ones_like())
    }

    /// Back-propagates with an explicit gradient of this tensor (same shape).
    pub fn backward_with(&self, grad: &Tensor) -> Result<()> {
        if !self.requires_grad() {
            return Err(Error::invalid("backward", "this tensor does not require gradients (no input asked for them)"));
        }
        if grad.shape() != self.shape() {
            return Err(Error::ShapeMismatch {
                op: "backward",
                lhs: self.shape().to_vec(),
                rhs: grad.shape().to_vec(),
            });
        }
        no_grad(|| propagate(self, grad.clone()))
    }
}

fn propagate(root: &Tensor, seed: Tensor) -> Result<()> {
    let mut grads: HashMap<TensorId, Tensor> = HashMap::from([(root.id(), seed)]);
    for t in topological_order(root).iter().rev() {
        let Some(g) = grads.remove(&t.id()) else { continue };
        let Some(node) = t.node() else {
            accumulate_leaf(t, g)?;
            continue;
        };
        let input_grads = (node.backward)(&g, &node.inputs, t)?;
        for (input, ig) in node.inputs.iter().zip(input_grads) {
            let Some(ig) = ig.filter(|_| input.requires_grad()) else { continue };
            debug_assert_eq!(ig.shape(), input.shape(), "backward of {} gave a wrong shape", node.op);
            let summed = match grads.remove(&input.id()) {
                Some(prev) => prev.add(&ig)?,
                None => ig,
            };
            grads.insert(input.id(), summed);
        }
    }
    Ok(())
}

fn accumulate_leaf(t: &Tensor, g: Tensor) -> Result<()> {
    let total = match t.grad() {
        Some(prev) => prev.add(&g)?,
        None => g.contiguous(),
    };
    t.set_grad(Some(total));
    Ok(())
}
