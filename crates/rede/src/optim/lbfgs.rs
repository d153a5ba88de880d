//! L-BFGS (Nocedal & Wright, *Numerical Optimization*, 2nd ed., algorithm 7.4
//! and 7.5), with PyTorch's `torch.optim.LBFGS` semantics: each `step` runs up
//! to `max_iter` iterations, re-evaluating the loss through a closure.

use super::config::{non_negative, positive, setters};
use super::line_search::{strong_wolfe, Found};
use super::state::{NamedBuffer, OptimizerState, ParamState};
use super::Optimizer;
use crate::{DType, Element, Error, Result, Tensor};
use std::collections::VecDeque;

/// How L-BFGS chooses the step length along its search direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineSearch {
    /// A fixed step of `lr` (after a first step scaled by the gradient's L1 norm), as PyTorch's `line_search_fn=None`.
    Fixed,
    /// A step satisfying the strong Wolfe conditions (Nocedal & Wright algorithms 3.5/3.6),
    /// as PyTorch's `line_search_fn="strong_wolfe"`.
    StrongWolfe,
}

/// Hyperparameters of [`Lbfgs`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsConfig {
    /// Step length (default 1).
    pub lr: f64,
    /// Iterations per `step` (default 20).
    pub max_iter: usize,
    /// Loss evaluations per `step` (default `max_iter·5/4`).
    pub max_eval: Option<usize>,
    /// Stop when the largest gradient element is at most this (default 1e-7).
    pub tolerance_grad: f64,
    /// Stop when the loss or the parameters change by less than this (default 1e-9).
    pub tolerance_change: f64,
    /// Number of past updates kept to approximate the inverse Hessian (default 100).
    pub history_size: usize,
    /// Step-length rule (default [`LineSearch::Fixed`]).
    pub line_search: LineSearch,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        LbfgsConfig {
            lr: 1.0,
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            line_search: LineSearch::Fixed,
        }
    }
}

setters!(LbfgsConfig {
    lr: f64,
    max_iter: usize,
    max_eval: Option<usize>,
    tolerance_grad: f64,
    tolerance_change: f64,
    history_size: usize,
    line_search: LineSearch,
});

impl LbfgsConfig {
    fn validate(&self) -> Result<()> {
        const OP: &str = "Lbfgs";
        positive(OP, "lr", self.lr)?;
        non_negative(OP, "tolerance_grad", self.tolerance_grad)?;
        non_negative(OP, "tolerance_change", self.tolerance_change)?;
        if self.max_iter == 0 || self.history_size == 0 || self.max_eval == Some(0) {
            return Err(Error::invalid(OP, "max_iter, max_eval and history_size must be at least 1"));
        }
        Ok(())
    }

    fn eval_budget(&self) -> usize {
        self.max_eval.unwrap_or(self.max_iter * 5 / 4)
    }
}

/// What L-BFGS carries from one `step` to the next.
#[derive(Default)]
struct History {
    func_evals: u64,
    n_iter: u64,
    /// The last search direction (empty before the first iteration).
    d: Vec<f64>,
    /// The last step length.
    t: f64,
    /// Gradient differences y_k, oldest first.
    old_dirs: VecDeque<Vec<f64>>,
    /// Parameter differences s_k, oldest first.
    old_stps: VecDeque<Vec<f64>>,
    /// 1 / (y_k·s_k).
    ro: VecDeque<f64>,
    /// Scale of the initial inverse-Hessian approximation, γ = s·y / y·y.
    h_diag: f64,
    prev_flat_grad: Vec<f64>,
    prev_loss: f64,
}

/// The parameters seen as one flat f64 vector.
struct FlatParams {
    params: Vec<Tensor>,
    numel: usize,
}

impl FlatParams {
    /// All gradients, concatenated; zeros for parameters without one.
    fn grad(&self) -> Result<Vec<f64>> {
        let mut flat = Vec::with_capacity(self.numel);
        for p in &self.params {
            match super::params::usable_grad(p)? {
                Some(g) => flat.extend(g.to_vec_f64()),
                None => flat.resize(flat.len() + p.numel(), 0.0),
            }
        }
        Ok(flat)
    }

    fn values(&self) -> Vec<f64> {
        self.params.iter().flat_map(|p| p.to_vec_f64()).collect()
    }

    /// Sets each parameter element to `f(offset, current value)`.
    fn update(&self, f: impl Fn(usize, f64) -> f64) -> Result<()> {
        let mut offset = 0;
        for p in &self.params {
            match p.dtype() {
                DType::F32 => update_typed::<f32>(p, offset, &f)?,
                DType::F64 => update_typed::<f64>(p, offset, &f)?,
            }
            offset += p.numel();
        }
        Ok(())
    }

    /// x ← x + t·d.
    fn add(&self, t: f64, d: &[f64]) -> Result<()> {
        self.update(|i, w| w + t * d[i])
    }

    fn set(&self, x: &[f64]) -> Result<()> {
        self.update(|i, _| x[i])
    }

    /// Loss and gradient at x + t·d, leaving the parameters at `x`.
    fn directional_evaluate(
        &self,
        closure: &mut dyn FnMut() -> Result<f64>,
        x: &[f64],
        t: f64,
        d: &[f64],
    ) -> Result<(f64, Vec<f64>)> {
        self.add(t, d)?;
        let loss = closure();
        let grad = self.grad();
        self.set(x)?;
        Ok((loss?, grad?))
    }
}

/// L-BFGS keeps its history as flat f64 vectors in host memory (as scikit-learn
/// does); each parameter is read back, updated there and written to its device.
fn update_typed<T: Element>(p: &Tensor, offset: usize, f: &impl Fn(usize, f64) -> f64) -> Result<()> {
    let values: Vec<T> = p.to_vec::<f64>().into_iter().enumerate().map(|(i, v)| T::of(f(offset + i, v))).collect();
    p.write_from_host(&values)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// Limited-memory BFGS, for full-batch problems (scikit-learn's default MLP solver
/// on small data). Call [`Lbfgs::step`] with a closure that zeroes the gradients,
/// computes the loss, calls `backward` and returns the loss.
///
/// ```
/// use rede::optim::{Lbfgs, LbfgsConfig, LineSearch, Optimizer};
/// use rede::Tensor;
/// # fn main() -> rede::Result<()> {
/// let x = Tensor::from_vec(vec![3.0f64, -2.0], &[2])?.requires_grad_();
/// let cfg = LbfgsConfig::default().line_search(LineSearch::StrongWolfe);
/// let mut opt = Lbfgs::new(vec![x.clone()], cfg)?;
/// opt.step(|| {
///     x.zero_grad();
///     let loss = x.sub_scalar(1.0).square().sum_all()?; // minimum at (1, 1)
///     loss.backward()?;
///     loss.item()
/// })?;
/// assert!(x.to_vec_f64().iter().all(|v| (v - 1.0).abs() < 1e-6));
/// # Ok(())
/// # }
/// ```
pub struct Lbfgs {
    config: LbfgsConfig,
    flat: FlatParams,
    history: History,
}

impl Lbfgs {
    /// An optimizer over `params` (contiguous tensors); an `Err` for invalid hyperparameters.
    pub fn new(params: Vec<Tensor>, config: LbfgsConfig) -> Result<Lbfgs> {
        config.validate()?;
        if let Some(p) = params.iter().find(|p| !p.is_contiguous()) {
            return Err(Error::invalid("Lbfgs", format!("a parameter of shape {:?} is not contiguous", p.shape())));
        }
        let numel = params.iter().map(Tensor::numel).sum();
        Ok(Lbfgs { config, flat: FlatParams { params, numel }, history: History::default() })
    }

    /// The hyperparameters.
    pub fn config(&self) -> &LbfgsConfig {
        &self.config
    }

    /// Runs up to `max_iter` L-BFGS iterations; `closure` must zero the gradients,
    /// compute the loss, call `backward` and return the loss. Returns the loss
    /// from the first evaluation (before this step's updates), as PyTorch does.
    pub fn step(&mut self, mut closure: impl FnMut() -> Result<f64>) -> Result<f64> {
        self.run(&mut closure)
    }

    /// Total loss evaluations so far.
    pub fn func_evals(&self) -> u64 {
        self.history.func_evals
    }

    fn run(&mut self, closure: &mut dyn FnMut() -> Result<f64>) -> Result<f64> {
        let c = self.config;
        let max_eval = c.eval_budget();
        let orig_loss = closure()?;
        let mut loss = orig_loss;
        let mut current_evals = 1;
        let h = &mut self.history;
        h.func_evals += 1;
        let mut flat_grad = self.flat.grad()?;
        if max_abs(&flat_grad) <= c.tolerance_grad {
            return Ok(orig_loss);
        }
        let mut opt_cond = false;
        let mut n_iter = 0;
        while n_iter < c.max_iter {
            n_iter += 1;
            h.n_iter += 1;
            h.d = if h.n_iter == 1 {
                h.old_dirs.clear();
                h.old_stps.clear();
                h.ro.clear();
                h.h_diag = 1.0;
                flat_grad.iter().map(|g| -g).collect()
            } else {
                h.remember_last_update(&flat_grad, c.history_size);
                h.direction(&flat_grad)
            };
            h.prev_flat_grad.clone_from(&flat_grad);
            h.prev_loss = loss;
            h.t = match h.n_iter {
                1 => (1.0f64).min(1.0 / flat_grad.iter().map(|g| g.abs()).sum::<f64>()) * c.lr,
                _ => c.lr,
            };
            let gtd = dot(&flat_grad, &h.d);
            if gtd > -c.tolerance_change {
                break;
            }
            let mut ls_evals = 0;
            match c.line_search {
                LineSearch::StrongWolfe => {
                    let x_init = self.flat.values();
                    let flat = &self.flat;
                    let mut obj = |t: f64| flat.directional_evaluate(closure, &x_init, t, &h.d);
                    let max_ls = max_eval.saturating_sub(current_evals);
                    let found = strong_wolfe(&mut obj, h.t, &h.d, loss, &flat_grad, gtd, c.tolerance_change, max_ls)?;
                    let Found { loss: l, grad, t, evals } = found;
                    (loss, flat_grad, h.t, ls_evals) = (l, grad, t, evals);
                    self.flat.add(h.t, &h.d)?;
                    opt_cond = max_abs(&flat_grad) <= c.tolerance_grad;
                }
                LineSearch::Fixed => {
                    self.flat.add(h.t, &h.d)?;
                    if n_iter != c.max_iter {
                        loss = closure()?;
                        flat_grad = self.flat.grad()?;
                        opt_cond = max_abs(&flat_grad) <= c.tolerance_grad;
                        ls_evals = 1;
                    }
                }
            }
            current_evals += ls_evals;
            h.func_evals += ls_evals as u64;
            let moved = h.d.iter().fold(0.0f64, |m, v| m.max((v * h.t).abs()));
            if n_iter == c.max_iter
                || current_evals >= max_eval
                || opt_cond
                || moved <= c.tolerance_change
                || (loss - h.prev_loss).abs() < c.tolerance_change
            {
                break;
            }
        }
        Ok(orig_loss)
    }
}

impl History {
    /// Adds the curvature pair of the last update (s = t·d, y = Δgradient) to the
    /// history when it keeps the approximation positive definite (y·s > 1e-10).
    fn remember_last_update(&mut self, flat_grad: &[f64], history_size: usize) {
        let y: Vec<f64> = flat_grad.iter().zip(&self.prev_flat_grad).map(|(g, p)| g - p).collect();
        let s: Vec<f64> = self.d.iter().map(|d| d * self.t).collect();
        let ys = dot(&y, &s);
        if ys > 1e-10 {
            if self.old_dirs.len() == history_size {
                self.old_dirs.pop_front();
                self.old_stps.pop_front();
                self.ro.pop_front();
            }
            self.h_diag = ys / dot(&y, &y);
            self.old_dirs.push_back(y);
            self.old_stps.push_back(s);
            self.ro.push_back(1.0 / ys);
        }
    }

    /// The quasi-Newton direction −H·g by the two-loop recursion (Nocedal & Wright algorithm 7.4).
    fn direction(&self, flat_grad: &[f64]) -> Vec<f64> {
        let n = self.old_dirs.len();
        let mut al = vec![0.0; n];
        let mut q: Vec<f64> = flat_grad.iter().map(|g| -g).collect();
        for i in (0..n).rev() {
            al[i] = dot(&self.old_stps[i], &q) * self.ro[i];
            q.iter_mut().zip(&self.old_dirs[i]).for_each(|(q, y)| *q += -al[i] * y);
        }
        let mut r: Vec<f64> = q.iter().map(|q| q * self.h_diag).collect();
        for (i, &al_i) in al.iter().enumerate() {
            let be_i = dot(&self.old_dirs[i], &r) * self.ro[i];
            r.iter_mut().zip(&self.old_stps[i]).for_each(|(r, s)| *r += (al_i - be_i) * s);
        }
        r
    }
}

impl Optimizer for Lbfgs {
    /// L-BFGS needs to re-evaluate the loss: this is always an `Err`; use
    /// [`Lbfgs::step`] or [`Optimizer::step_with`].
    fn step(&mut self) -> Result<()> {
        Err(Error::invalid("Lbfgs::step", "L-BFGS needs a closure that re-evaluates the loss; use step_with"))
    }

    fn step_with(&mut self, closure: &mut dyn FnMut() -> Result<f64>) -> Result<f64> {
        self.run(closure)
    }

    fn parameters(&self) -> &[Tensor] {
        &self.flat.params
    }

    fn learning_rate(&self) -> f64 {
        self.config.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    fn state_dict(&self) -> OptimizerState {
        let h = &self.history;
        let buf = |name: String, values: &[f64]| NamedBuffer { name, values: values.to_vec() };
        let mut global = vec![buf("d".into(), &h.d), buf("prev_flat_grad".into(), &h.prev_flat_grad)];
        global.extend(h.old_dirs.iter().enumerate().map(|(i, v)| buf(format!("old_dirs.{i}"), v)));
        global.extend(h.old_stps.iter().enumerate().map(|(i, v)| buf(format!("old_stps.{i}"), v)));
        global.push(NamedBuffer { name: "ro".into(), values: h.ro.iter().copied().collect() });
        let scalars = [
            ("func_evals", h.func_evals as f64),
            ("n_iter", h.n_iter as f64),
            ("t", h.t),
            ("h_diag", h.h_diag),
            ("prev_loss", h.prev_loss),
            ("history_len", h.old_dirs.len() as f64),
        ];
        OptimizerState {
            kind: "lbfgs".into(),
            learning_rate: self.config.lr,
            params: self
                .flat
                .params
                .iter()
                .map(|p| ParamState { shape: p.shape().to_vec(), ..Default::default() })
                .collect(),
            global,
            scalars: scalars.iter().map(|&(n, v)| (n.to_string(), v)).collect(),
        }
    }

    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()> {
        const OP: &str = "load_state_dict";
        state.check_kind("lbfgs")?;
        let shapes: Vec<&[usize]> = state.params.iter().map(|p| p.shape.as_slice()).collect();
        let ours: Vec<&[usize]> = self.flat.params.iter().map(Tensor::shape).collect();
        if shapes != ours {
            return Err(Error::invalid(OP, format!("state for parameter shapes {shapes:?}, optimizer has {ours:?}")));
        }
        let n = self.flat.numel;
        let vector = |name: &str, allow_empty: bool| -> Result<Vec<f64>> {
            let v = state.global(name)?;
            if v.len() != n && !(allow_empty && v.is_empty()) {
                return Err(Error::invalid(OP, format!("buffer {name} has {} values, expected {n}", v.len())));
            }
            Ok(v.to_vec())
        };
        let len = state.scalar("history_len")? as usize;
        let ro = state.global("ro")?;
        if ro.len() != len || len > self.config.history_size {
            return Err(Error::invalid(OP, format!("inconsistent history of {len} pairs")));
        }
        self.history = History {
            func_evals: state.scalar("func_evals")? as u64,
            n_iter: state.scalar("n_iter")? as u64,
            d: vector("d", true)?,
            t: state.scalar("t")?,
            old_dirs: (0..len).map(|i| vector(&format!("old_dirs.{i}"), false)).collect::<Result<_>>()?,
            old_stps: (0..len).map(|i| vector(&format!("old_stps.{i}"), false)).collect::<Result<_>>()?,
            ro: ro.iter().copied().collect(),
            h_diag: state.scalar("h_diag")?,
            prev_flat_grad: vector("prev_flat_grad", true)?,
            prev_loss: state.scalar("prev_loss")?,
        };
        self.config.lr = state.learning_rate;
        Ok(())
    }
}
