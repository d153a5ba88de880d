//! Fused recurrent layers: one recorded op per layer and direction, computed
//! and differentiated by the backend's kernels (see `backend::RecurrentDims`),
//! with no graph node per gate or per time step.

use crate::autograd::record;
use crate::backend::{RecurrentCell, RecurrentDims, RecurrentGrads, RecurrentInputs, RecurrentSaved, Storage};
use crate::{Error, Result, Tensor};
use std::sync::{Arc, RwLock};

const OP: &str = "recurrent_layer";

/// The parameters of one recurrent layer in one direction, in PyTorch's layout:
/// `w_ih` `[G·H, I]`, `w_hh` `[G·H, H]`, biases `[G·H]`, G gate blocks.
pub(crate) struct RecurrentWeights<'a> {
    pub cell: RecurrentCell,
    pub w_ih: &'a Tensor,
    pub w_hh: &'a Tensor,
    pub b_ih: Option<&'a Tensor>,
    pub b_hh: Option<&'a Tensor>,
}

/// What one layer-direction produces.
pub(crate) struct RecurrentOutput {
    /// The hidden state of every step, `[N, T, H]`.
    pub output: Tensor,
    /// The final hidden state `[N, H]` (of the first step when reversed).
    pub h_n: Tensor,
    /// The final cell state `[N, H]` (LSTM).
    pub c_n: Option<Tensor>,
}

/// Which of the seven operands (x, w_ih, w_hh, b_ih, b_hh, h0, c0) are present.
type Present = [bool; 7];

impl Tensor {
    /// Runs one recurrent layer over this input `[N, T, I]` from the initial
    /// states `h0`, `c0` `[N, H]` (zeros when None), forwards in time or, with
    /// `reverse`, backwards.
    ///
    /// One graph node: its output packs the hidden states and (LSTM) the final
    /// cell state, and its backward rule runs the fused backward kernel. That
    /// rule is not itself differentiable (no second derivatives).
    pub(crate) fn recurrent_layer(
        &self,
        w: &RecurrentWeights<'_>,
        h0: Option<&Tensor>,
        c0: Option<&Tensor>,
        reverse: bool,
    ) -> Result<RecurrentOutput> {
        let dims = check(self, w, h0, c0, reverse)?;
        let optional = [w.b_ih, w.b_hh, h0, c0];
        let present = [true, true, true, w.b_ih.is_some(), w.b_hh.is_some(), h0.is_some(), c0.is_some()];
        let operands: Vec<Tensor> =
            [self, w.w_ih, w.w_hh].into_iter().chain(optional.into_iter().flatten()).map(Tensor::contiguous).collect();
        let (packed, workspace) =
            with_storages(&operands, |s| Storage::recurrent_forward(&inputs_of(s, &operands, present), &dims))?;
        let packed = Tensor::from_storage(packed, &[dims.output_len()]);
        let workspace = Tensor::from_storage(workspace, &[dims.workspace_len()]);
        let refs: Vec<&Tensor> = operands.iter().collect();
        let packed =
            record(packed, OP, &refs, move |g, inputs, out| backward(g, inputs, (out, &workspace), present, &dims));
        unpack(&packed, &dims)
    }
}

/// Checks the operands agree with each other and gives the layer's sizes.
fn check(
    x: &Tensor,
    w: &RecurrentWeights<'_>,
    h0: Option<&Tensor>,
    c0: Option<&Tensor>,
    reverse: bool,
) -> Result<RecurrentDims> {
    let [gh, hidden] = *w.w_hh.shape() else {
        return Err(Error::invalid(OP, format!("w_hh must be [G·H, H], got {:?}", w.w_hh.shape())));
    };
    let [batch, steps, input] = *x.shape() else {
        return Err(Error::invalid(OP, format!("needs an input [N, T, I], got {:?}", x.shape())));
    };
    let dims = RecurrentDims { cell: w.cell, batch, steps, input, hidden, reverse };
    let expected = [
        (Some(w.w_ih), vec![gh, input], "w_ih"),
        (w.b_ih, vec![gh], "b_ih"),
        (w.b_hh, vec![gh], "b_hh"),
        (h0, vec![batch, hidden], "h0"),
        (c0, vec![batch, hidden], "c0"),
    ];
    if gh != w.cell.gates() * hidden || steps == 0 || (c0.is_some() && w.cell != RecurrentCell::Lstm) {
        return Err(Error::invalid(
            OP,
            format!("{:?} cell does not fit w_hh {:?} and input {:?}", w.cell, [gh, hidden], x.shape()),
        ));
    }
    for (t, shape, name) in expected {
        let Some(t) = t else { continue };
        super::same_dtype(OP, x, t)?;
        if t.shape() != shape.as_slice() {
            return Err(Error::invalid(OP, format!("{name} must be {shape:?}, got {:?}", t.shape())));
        }
    }
    super::same_dtype(OP, x, w.w_hh)?;
    Ok(dims)
}

/// The output `[N, T, H]`, the final hidden state and (LSTM) the final cell state, as views of the packed output.
fn unpack(packed: &Tensor, d: &RecurrentDims) -> Result<RecurrentOutput> {
    let (n, t, h) = (d.batch, d.steps, d.hidden);
    let states = n * t * h;
    let output = match d.cell {
        RecurrentCell::Lstm => packed.narrow(0, 0, states)?,
        _ => packed.clone(),
    }
    .reshape(&[n, t, h])?;
    let h_n = output.narrow(1, if d.reverse { 0 } else { t - 1 }, 1)?.squeeze(1)?;
    let c_n = match d.cell {
        RecurrentCell::Lstm => Some(packed.narrow(0, states, n * h)?.reshape(&[n, h])?),
        _ => None,
    };
    Ok(RecurrentOutput { output, h_n, c_n })
}

/// Runs `f` on the buffers of `tensors`, taking each buffer's lock once (the
/// same buffer may stand behind several of them, e.g. both initial states).
fn with_storages<R>(tensors: &[Tensor], f: impl FnOnce(&[&Storage]) -> R) -> R {
    let mut unique: Vec<&Arc<RwLock<Storage>>> = Vec::new();
    let slots: Vec<usize> = tensors
        .iter()
        .map(|t| {
            unique.iter().position(|u| Arc::ptr_eq(u, &t.0.storage)).unwrap_or_else(|| {
                unique.push(&t.0.storage);
                unique.len() - 1
            })
        })
        .collect();
    let guards: Vec<_> = unique.iter().map(|s| s.read().expect("storage lock poisoned")).collect();
    let storages: Vec<&Storage> = slots.iter().map(|&i| &*guards[i]).collect();
    f(&storages)
}

/// The kernel operands from the buffers of `tensors`, the present ones of
/// (x, w_ih, w_hh, b_ih, b_hh, h0, c0) in that order.
fn inputs_of<'a>(storages: &[&'a Storage], tensors: &'a [Tensor], present: Present) -> RecurrentInputs<'a, Storage> {
    let mut it = storages.iter().zip(tensors).map(|(s, t)| (*s, t.layout()));
    let mut next = |here: bool| if here { it.next() } else { None };
    let mut slots = present.map(&mut next);
    let mut take = |i: usize| slots[i].take().expect("x and the weights are always present");
    let (x, w_ih, w_hh) = (take(0), take(1), take(2));
    RecurrentInputs { x, w_ih, w_hh, b_ih: slots[3], b_hh: slots[4], h0: slots[5], c0: slots[6] }
}

/// The backward rule: the fused kernel's gradients, in the order of the op's inputs.
fn backward(
    g: &Tensor,
    inputs: &[Tensor],
    (out, workspace): (&Tensor, &Tensor),
    present: Present,
    dims: &RecurrentDims,
) -> Result<Vec<Option<Tensor>>> {
    let g = g.contiguous();
    let k = inputs.len();
    let all: Vec<Tensor> = inputs.iter().chain([out, workspace, &g]).cloned().collect();
    let grads = with_storages(&all, |s| {
        let saved = RecurrentSaved {
            output: (s[k], out.layout()),
            workspace: (s[k + 1], workspace.layout()),
            grad: (s[k + 2], g.layout()),
        };
        Storage::recurrent_backward(&inputs_of(&s[..k], inputs, present), &saved, dims, inputs[0].requires_grad())
    })?;
    let RecurrentGrads { x, w_ih, w_hh, b_ih, b_hh, h0, c0 } = grads;
    let slots = [x, Some(w_ih), Some(w_hh), b_ih, b_hh, h0, c0];
    let grads = slots.into_iter().zip(present).filter(|(_, here)| *here).map(|(s, _)| s);
    Ok(grads.zip(inputs).map(|(s, t)| s.map(|s| Tensor::from_storage(s, t.shape()))).collect())
}
