//! Per-parameter optimizer state and the single-pass update driver shared by
//! the first-order optimizers.

use super::state::{NamedBuffer, OptimizerState, ParamState};
use crate::backend::Storage;
use crate::layout::Layout;
use crate::{DType, Error, Result, Tensor};

/// The penalty added to one parameter's gradient: `l2·w + l1·sign(w)`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Penalty {
    pub l2: f64,
    pub l1: f64,
}

impl Penalty {
    /// The penalty for a parameter under the "weights, not biases" rule: L1 never
    /// applies to biases, L2 only when `decay_biases` is set.
    pub fn for_param(weight_decay: f64, l1: f64, decay_biases: bool, is_bias: bool) -> Penalty {
        Penalty { l2: if is_bias && !decay_biases { 0.0 } else { weight_decay }, l1: if is_bias { 0.0 } else { l1 } }
    }

    /// The gradient `g` of the loss at `w` plus the penalty's gradient.
    #[inline]
    pub fn grad(self, w: f64, g: f64) -> f64 {
        let mut g = g;
        if self.l2 != 0.0 {
            g += self.l2 * w;
        }
        if self.l1 != 0.0 {
            g += self.l1 * sign(w);
        }
        g
    }
}

/// sign(w) with sign(0) = 0, like `torch.sign` (the subgradient of |w| at 0).
#[inline]
fn sign(w: f64) -> f64 {
    if w > 0.0 {
        1.0
    } else if w < 0.0 {
        -1.0
    } else {
        0.0
    }
}

pub(crate) use crate::backend::{Slot, UpdateRule};

/// One parameter's state buffers in one buffer on the parameter's device, in
/// its element type as PyTorch keeps them (for f32 parameters that halves the
/// update's memory traffic: Adam moves 28 bytes per element instead of 44):
/// buffer `i` is elements `i·n .. (i+1)·n`.
struct Buffers {
    storage: Storage,
    n: usize,
}

impl Buffers {
    /// One buffer per `(name, initial value)`, `n` elements each, beside `param`.
    fn new(param: &Tensor, init: &[(&'static str, f64)]) -> Result<Buffers> {
        let n = param.numel();
        let storage = match param.dtype() {
            DType::F32 => Storage::from_host(filled_runs(init, n, |v| v as f32), param.device())?,
            DType::F64 => Storage::from_host(filled_runs(init, n, |v| v), param.device())?,
        };
        Ok(Buffers { storage, n })
    }

    /// Buffer `i` widened to f64 (exact for both types).
    fn to_f64(&self, i: usize) -> Result<Vec<f64>> {
        self.storage.to_host(&Layout::new(vec![self.n], vec![1], i * self.n))
    }

    /// Overwrites buffer `i` with `values` (same length, checked by the caller).
    fn set(&mut self, i: usize, values: &[f64]) -> Result<()> {
        self.storage.write_host(&Layout::new(vec![self.n], vec![1], i * self.n), values)
    }
}

/// `n` copies of each initial value, one run after another (filled, not pushed one by one).
fn filled_runs<T: Clone>(init: &[(&'static str, f64)], n: usize, of: impl Fn(f64) -> T) -> Vec<T> {
    let mut values = Vec::with_capacity(init.len() * n);
    for &(_, v) in init {
        values.resize(values.len() + n, of(v));
    }
    values
}

/// The parameters of a first-order optimizer with their state: a step counter
/// and named buffers per parameter. Saved state holds the buffers as f64, which
/// represents f32 values exactly, so a restored run continues bit for bit.
pub(crate) struct ParamStates {
    params: Vec<Tensor>,
    is_bias: Vec<bool>,
    steps: Vec<u64>,
    buffers: Vec<Buffers>,
    names: Vec<&'static str>,
}

impl ParamStates {
    /// State for `params` with one buffer per `(name, initial value)`, allocated now
    /// so steps allocate nothing. Parameters must be contiguous leaves.
    pub fn new(op: &'static str, params: Vec<Tensor>, buffers: &[(&'static str, f64)]) -> Result<ParamStates> {
        for (i, p) in params.iter().enumerate() {
            if !p.is_contiguous() {
                return Err(Error::invalid(op, format!("parameter {i} (shape {:?}) is not contiguous", p.shape())));
            }
        }
        // Labels are read once here: a step must not allocate, and `label()` clones.
        let is_bias = params.iter().map(|p| p.label().is_some_and(|l| l.ends_with("bias"))).collect();
        Ok(ParamStates {
            buffers: params.iter().map(|p| Buffers::new(p, buffers)).collect::<Result<_>>()?,
            steps: vec![0; params.len()],
            is_bias,
            names: buffers.iter().map(|&(n, _)| n).collect(),
            params,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &[Tensor] {
        &self.params
    }

    /// Applies `rule` to every parameter that has a gradient.
    pub fn apply<R: UpdateRule>(&mut self, rule: &R) -> Result<()> {
        for i in 0..self.params.len() {
            let p = &self.params[i];
            let Some(g) = usable_grad(p)? else { continue };
            self.steps[i] += 1;
            let (step, is_bias, bufs) = (self.steps[i], self.is_bias[i], &mut self.buffers[i]);
            // The buffers took the parameter's type and device when they were made; a
            // parameter whose type or device differs now is reported by the update.
            let state = &mut bufs.storage;
            p.update_in_place(&g, state, self.names.len(), rule, (step, is_bias))?;
        }
        Ok(())
    }

    /// The state as plain data.
    pub fn to_state(&self, kind: &str, learning_rate: f64) -> OptimizerState {
        let params = (self.params.iter().zip(&self.steps).zip(&self.buffers))
            .map(|((p, &step), bufs)| {
                let buffers = (self.names.iter().enumerate())
                    .map(|(i, n)| Ok(NamedBuffer { name: n.to_string(), values: bufs.to_f64(i)? }))
                    .collect::<Result<_>>()?;
                Ok(ParamState { shape: p.shape().to_vec(), step, buffers })
            })
            .collect::<Result<_>>()
            .unwrap_or_else(|e| crate::ops::kernel_failed(e));
        OptimizerState { kind: kind.to_string(), learning_rate, params, ..OptimizerState::default() }
    }

    /// Restores state saved by [`ParamStates::to_state`], checking that it fits these parameters.
    pub fn load(&mut self, kind: &str, state: &OptimizerState) -> Result<()> {
        let op = "load_state_dict";
        state.check_kind(kind)?;
        if state.params.len() != self.params.len() {
            let msg = format!("state has {} parameters, optimizer has {}", state.params.len(), self.params.len());
            return Err(Error::invalid(op, msg));
        }
        for (i, (p, ps)) in self.params.iter().zip(&state.params).enumerate() {
            if ps.shape != p.shape() {
                return Err(Error::invalid(
                    op,
                    format!("parameter {i}: state shape {:?} vs {:?}", ps.shape, p.shape()),
                ));
            }
            let names: Vec<&str> = ps.buffers.iter().map(|b| b.name.as_str()).collect();
            if names != self.names {
                let msg = format!("parameter {i}: state buffers {names:?}, expected {:?}", self.names);
                return Err(Error::invalid(op, msg));
            }
            if let Some(b) = ps.buffers.iter().find(|b| b.values.len() != p.numel()) {
                let msg = format!(
                    "parameter {i}: buffer {} has {} values for {} elements",
                    b.name,
                    b.values.len(),
                    p.numel()
                );
                return Err(Error::invalid(op, msg));
            }
        }
        for ((steps, bufs), ps) in self.steps.iter_mut().zip(&mut self.buffers).zip(&state.params) {
            *steps = ps.step;
            for (i, src) in ps.buffers.iter().enumerate() {
                bufs.set(i, &src.values)?;
            }
        }
        Ok(())
    }
}

/// The gradient of `p` in a form the update can read directly (contiguous, own
/// buffer), `None` when there is none; an `Err` when it does not fit `p`.
pub(crate) fn usable_grad(p: &Tensor) -> Result<Option<Tensor>> {
    let Some(g) = p.grad() else { return Ok(None) };
    if g.shape() != p.shape() {
        return Err(Error::ShapeMismatch { op: "optimizer step", lhs: p.shape().to_vec(), rhs: g.shape().to_vec() });
    }
    if g.dtype() != p.dtype() {
        return Err(Error::DTypeMismatch { op: "optimizer step", lhs: p.dtype(), rhs: g.dtype() });
    }
    // A gradient sharing the parameter's buffer would deadlock the in-place update; copy it.
    if !g.is_contiguous() || g.shares_storage(p) {
        return Ok(Some(crate::no_grad(|| g.mul_scalar(1.0))));
    }
    Ok(Some(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l1_spares_biases_and_weight_decay_spares_them_only_on_request() {
        let weight = Penalty::for_param(0.1, 0.5, false, false);
        assert_eq!((weight.l2, weight.l1), (0.1, 0.5));
        let bias = Penalty::for_param(0.1, 0.5, false, true);
        assert_eq!((bias.l2, bias.l1), (0.0, 0.0));
        let bias = Penalty::for_param(0.1, 0.5, true, true);
        assert_eq!((bias.l2, bias.l1), (0.1, 0.0));
    }

    #[test]
    fn penalty_gradient_uses_the_sign_with_sign_of_zero_zero() {
        let p = Penalty { l2: 0.1, l1: 0.5 };
        assert_eq!(p.grad(2.0, 1.0), 1.0 + 0.2 + 0.5);
        assert_eq!(p.grad(-2.0, 1.0), 1.0 - 0.2 - 0.5);
        assert_eq!(p.grad(0.0, 1.0), 1.0);
    }

    #[test]
    fn bias_is_recognized_by_label_suffix() {
        let w = Tensor::zeros(&[2], DType::F32).requires_grad_();
        let b = Tensor::zeros(&[2], DType::F32).requires_grad_();
        w.set_label("fc1.weight");
        b.set_label("fc1.bias");
        let states = ParamStates::new("test", vec![w, b, Tensor::zeros(&[1], DType::F32)], &[("m", 0.5)]).unwrap();
        assert_eq!(states.is_bias, vec![false, true, false]);
        assert_eq!(states.buffers[1].storage.dtype(), DType::F32);
        assert_eq!(states.buffers[1].to_f64(0).unwrap(), vec![0.5, 0.5]);
    }
}
