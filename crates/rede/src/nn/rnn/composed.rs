//! The recurrent layers composed of elementary ops, one graph node per gate and
//! time step: slow, but each part is a tested op, so the fused kernels are
//! tested against it (see `forward_with_state_composed`).

use crate::backend::RecurrentCell;
use crate::ops::rnn::{RecurrentOutput, RecurrentWeights};
use crate::{Result, Tensor};

/// One step's state: hidden and (LSTM) cell.
type StepState = (Tensor, Option<Tensor>);

/// One layer in one direction over `x` `[N, T, I]` from the initial states `[N, H]`.
pub(super) fn layer(w: &RecurrentWeights<'_>, x: &Tensor, state: StepState, reverse: bool) -> Result<RecurrentOutput> {
    let t = x.shape()[1];
    let inputs: Vec<Tensor> = (0..t).map(|i| x.narrow(1, i, 1)?.squeeze(1)).collect::<Result<_>>()?;
    let (outputs, (h_n, c_n)) = run(w, &inputs, state, reverse)?;
    let output = Tensor::stack(&outputs.iter().collect::<Vec<_>>(), 1)?;
    let c_n = c_n.filter(|_| w.cell == RecurrentCell::Lstm);
    Ok(RecurrentOutput { output, h_n, c_n })
}

/// The layer over the per-step inputs; returns the per-step outputs (in time
/// order) and the final state.
fn run(
    w: &RecurrentWeights<'_>,
    inputs: &[Tensor],
    state: StepState,
    reverse: bool,
) -> Result<(Vec<Tensor>, StepState)> {
    let (w_ih, w_hh) = (w.w_ih.t()?, w.w_hh.t()?);
    // Tanh and LSTM cells only ever use the two biases summed; the GRU keeps b_hn apart.
    let (b_x, b_h) = match (w.cell, w.b_ih, w.b_hh) {
        (RecurrentCell::Gru, b_ih, b_hh) => (b_ih.cloned(), b_hh.cloned()),
        (_, Some(b_ih), Some(b_hh)) => (Some(b_ih.add(b_hh)?), None),
        _ => (None, None),
    };
    let affine = |x: &Tensor, w: &Tensor, b: &Option<Tensor>| -> Result<Tensor> {
        let y = x.matmul(w)?;
        b.as_ref().map_or(Ok(y.clone()), |b| y.add(b))
    };
    let mut outputs = vec![None; inputs.len()];
    let mut state = state;
    let order: Box<dyn Iterator<Item = usize>> =
        if reverse { Box::new((0..inputs.len()).rev()) } else { Box::new(0..inputs.len()) };
    for t in order {
        let xg = affine(&inputs[t], &w_ih, &b_x)?;
        let hg = affine(&state.0, &w_hh, &b_h)?;
        state = step(w.cell, xg, hg, state)?;
        outputs[t] = Some(state.0.clone());
    }
    Ok((outputs.into_iter().map(|o| o.expect("every step ran")).collect(), state))
}

/// One time step from the input and hidden projections `x·W_ihᵀ (+ b)`, `h·W_hhᵀ (+ b)`.
fn step(cell: RecurrentCell, xg: Tensor, hg: Tensor, (h, c): StepState) -> Result<StepState> {
    let hs = h.shape()[1];
    let gate = |t: &Tensor, i: usize| t.narrow(1, i * hs, hs);
    match cell {
        RecurrentCell::Tanh => Ok((xg.add(&hg)?.tanh(), c)),
        RecurrentCell::Lstm => {
            // Gate order i, f, g, o: c' = f·c + i·g, h' = o·tanh(c').
            let gates = xg.add(&hg)?;
            let (i, f) = (gate(&gates, 0)?.sigmoid(), gate(&gates, 1)?.sigmoid());
            let (g, o) = (gate(&gates, 2)?.tanh(), gate(&gates, 3)?.sigmoid());
            let c = f.mul(&c.expect("LSTM state has a cell"))?.add(&i.mul(&g)?)?;
            Ok((o.mul(&c.tanh())?, Some(c)))
        }
        RecurrentCell::Gru => {
            // Gate order r, z, n: n = tanh(x_n + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h.
            let r = gate(&xg, 0)?.add(&gate(&hg, 0)?)?.sigmoid();
            let z = gate(&xg, 1)?.add(&gate(&hg, 1)?)?.sigmoid();
            let n = gate(&xg, 2)?.add(&r.mul(&gate(&hg, 2)?)?)?.tanh();
            Ok((n.add(&z.mul(&h.sub(&n)?)?)?, c))
        }
    }
}
