//! Reverse-mode automatic differentiation over a define-by-run graph.
//!
//! Every differentiable op that sees an input requiring gradients records a
//! node: its name, its inputs and a backward rule mapping the gradient of
//! its output to gradients of its inputs. [`Tensor::backward`] visits the
//! graph in reverse topological order and sums the gradients of tensors used
//! more than once.

mod dot;
mod engine;
mod gradcheck;
mod mode;

pub use gradcheck::{gradcheck, GradcheckOptions, GradcheckReport};
pub(crate) use mode::with_grad_mode;
pub use mode::{is_grad_enabled, no_grad, NoGradGuard};

use crate::{Result, Tensor};

/// A backward rule: `(grad_of_output, inputs, output) -> grad_of_each_input`
/// (`None` where an input gets no gradient).
pub(crate) type BackwardFn = dyn Fn(&Tensor, &[Tensor], &Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync;

/// One recorded op in the graph.
pub(crate) struct Node {
    /// The op's name, shown in graph renderings.
    pub op: &'static str,
    /// The tensors the op read.
    pub inputs: Vec<Tensor>,
    /// Maps the output's gradient to the inputs' gradients.
    pub backward: Box<BackwardFn>,
}

/// Dropping a node frees the graph behind it with a loop instead of recursion, so a
/// graph of any depth (a 100,000-op chain, a 5,000-layer network) can be dropped on a
/// thread with a small stack. Each input whose last handle this node held gives its own
/// inputs to the loop before it is freed; an input still held elsewhere is left alone.
impl Drop for Node {
    fn drop(&mut self) {
        let mut pending = std::mem::take(&mut self.inputs);
        while let Some(tensor) = pending.pop() {
            if let Ok(mut inner) = std::sync::Arc::try_unwrap(tensor.0) {
                if let Some(node) = inner.node.as_mut() {
                    pending.append(&mut node.inputs);
                }
                // `inner` is freed here; its node has no inputs left, so this does not recurse.
            }
        }
    }
}

/// Attaches a graph node to `out` when gradients are on and an input needs them;
/// otherwise returns `out` unchanged.
pub(crate) fn record<F>(out: Tensor, op: &'static str, inputs: &[&Tensor], backward: F) -> Tensor
where
    F: Fn(&Tensor, &[Tensor], &Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync + 'static,
{
    if !is_grad_enabled() || !inputs.iter().any(|t| t.requires_grad()) {
        return out;
    }
    let node = Node { op, inputs: inputs.iter().map(|&t| t.clone()).collect(), backward: Box::new(backward) };
    out.view_with(out.layout().clone(), Some(node))
}
