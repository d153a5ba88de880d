//! The optimizer-update vocabulary shared by every backend: what one update
//! rule sees of one parameter, and the rule itself.

use crate::Element;

/// What an update rule sees of one parameter during a step.
pub struct Slot<'a, T> {
    /// The parameter's values, updated in place.
    pub w: &'a mut [T],
    /// Its gradient.
    pub g: &'a [T],
    /// Its state buffers, in the order of the optimizer's buffer names, in the
    /// parameter's element type.
    pub bufs: &'a mut [&'a mut [T]],
    /// How many updates this parameter has had, this one included (1 on the first).
    pub step: u64,
    /// Whether the parameter's label ends in "bias".
    pub is_bias: bool,
}

/// One optimizer's update of a single parameter, in one pass over its buffers.
pub trait UpdateRule: Sync {
    /// Updates `slot.w` in place from `slot.g` and the state buffers.
    fn update<T: Element>(&self, slot: Slot<'_, T>);
}

/// The most state buffers a rule keeps per parameter (RMSProp, centered with
/// momentum, keeps three).
pub const MAX_STATE_BUFFERS: usize = 4;
