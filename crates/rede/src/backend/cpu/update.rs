//! The optimizer-update driver on host buffers: it splits a parameter's state
//! buffer into the rule's named buffers and runs the rule in one pass.

use crate::backend::{Slot, UpdateRule, MAX_STATE_BUFFERS};
use crate::Element;

/// Runs `rule` over the parameter `w` with gradient `g`; `state` holds `buffers`
/// buffers of `w.len()` elements one after another. Allocates nothing.
pub(super) fn apply<T: Element, R: UpdateRule>(
    rule: &R,
    w: &mut [T],
    g: &[T],
    state: &mut [T],
    buffers: usize,
    (step, is_bias): (u64, bool),
) {
    assert!(buffers <= MAX_STATE_BUFFERS, "an update rule keeps at most {MAX_STATE_BUFFERS} buffers");
    let mut slices: [&mut [T]; MAX_STATE_BUFFERS] = Default::default();
    if w.is_empty() {
        return;
    }
    for (slot, chunk) in slices.iter_mut().zip(state.chunks_exact_mut(w.len())) {
        *slot = chunk;
    }
    rule.update(Slot { w, g, bufs: &mut slices[..buffers], step, is_bias });
}
