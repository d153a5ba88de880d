//! Recurrent layers — `Rnn` (tanh), `Lstm`, `Gru` — multi-layer, batch-first, optionally
//! bidirectional, with PyTorch's parameter layout, gate order and initialization.
//! Backpropagation through time is simply the recorded graph of the unrolled steps.

use super::conv::{trainable, uniform_fan_in};
use super::{LayerSpec, Module};
use crate::{DType, Error, Result, Rng, Tensor};
use serde::{Deserialize, Serialize};

/// Sizes and options of a recurrent layer stack (the fields of its [`LayerSpec`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RnnConfig {
    /// Features per time step of the input.
    pub input_size: usize,
    /// Features of the hidden state.
    pub hidden_size: usize,
    /// Stacked layers (default 1); each reads the previous one's outputs.
    #[serde(default = "one")]
    pub num_layers: usize,
    /// Also run each layer backwards in time and concatenate both outputs (default false).
    #[serde(default)]
    pub bidirectional: bool,
    /// Whether there are biases `bias_ih`, `bias_hh` (default true).
    #[serde(default = "yes")]
    pub bias: bool,
}

fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}

impl RnnConfig {
    /// One unidirectional layer with biases.
    pub fn new(input_size: usize, hidden_size: usize) -> RnnConfig {
        RnnConfig { input_size, hidden_size, num_layers: 1, bidirectional: false, bias: true }
    }

    /// With `n` stacked layers.
    pub fn layers(mut self, n: usize) -> RnnConfig {
        self.num_layers = n;
        self
    }

    /// Bidirectional or not.
    pub fn bidirectional(mut self, on: bool) -> RnnConfig {
        self.bidirectional = on;
        self
    }

    /// With or without biases.
    pub fn bias(mut self, on: bool) -> RnnConfig {
        self.bias = on;
        self
    }

    fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }
}

/// Final states of a recurrent stack, each `[num_layers · directions, N, hidden_size]`
/// ordered layer by layer, forward direction first (PyTorch's `h_n`, `c_n`).
#[derive(Clone, Debug)]
pub struct RnnState {
    /// Hidden states.
    pub h: Tensor,
    /// Cell states (LSTM only).
    pub c: Option<Tensor>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Tanh,
    Lstm,
    Gru,
}

impl Cell {
    /// Gate blocks stacked in each weight matrix.
    fn gates(self) -> usize {
        match self {
            Cell::Tanh => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Cell::Tanh => "Rnn",
            Cell::Lstm => "Lstm",
            Cell::Gru => "Gru",
        }
    }
}

/// The weights of one layer in one direction.
struct Weights {
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Option<Tensor>,
    b_hh: Option<Tensor>,
}

/// A recurrent stack of any cell type.
struct Recurrent {
    cell: Cell,
    config: RnnConfig,
    /// Layer-major, then direction.
    weights: Vec<Weights>,
}

/// One step's state: hidden and (LSTM) cell.
type StepState = (Tensor, Option<Tensor>);

impl Recurrent {
    fn shapes(cell: Cell, c: &RnnConfig) -> Vec<(String, Vec<usize>)> {
        let (g, h) = (cell.gates() * c.hidden_size, c.hidden_size);
        let mut out = Vec::new();
        for l in 0..c.num_layers {
            let input = if l == 0 { c.input_size } else { h * c.directions() };
            for d in 0..c.directions() {
                let sfx = format!("_l{l}{}", if d == 1 { "_reverse" } else { "" });
                out.push((format!("weight_ih{sfx}"), vec![g, input]));
                out.push((format!("weight_hh{sfx}"), vec![g, h]));
                if c.bias {
                    out.push((format!("bias_ih{sfx}"), vec![g]));
                    out.push((format!("bias_hh{sfx}"), vec![g]));
                }
            }
        }
        out
    }

    fn new(cell: Cell, config: RnnConfig, dtype: DType, rng: &mut Rng) -> Result<Recurrent> {
        if config.input_size == 0 || config.hidden_size == 0 || config.num_layers == 0 {
            return Err(Error::invalid(cell.name(), format!("sizes and num_layers must be positive, got {config:?}")));
        }
        let params = Self::shapes(cell, &config)
            .into_iter()
            .map(|(_, shape)| uniform_fan_in(&shape, config.hidden_size, dtype, rng))
            .collect();
        Self::from_tensors(cell, config, params)
    }

    fn from_tensors(cell: Cell, config: RnnConfig, params: Vec<Tensor>) -> Result<Recurrent> {
        let shapes = Self::shapes(cell, &config);
        if params.len() != shapes.len() {
            return Err(Error::invalid(
                cell.name(),
                format!("expected {} parameters, got {}", shapes.len(), params.len()),
            ));
        }
        for ((name, shape), p) in shapes.iter().zip(&params) {
            if p.shape() != shape.as_slice() || p.dtype() != params[0].dtype() {
                return Err(Error::invalid(
                    cell.name(),
                    format!("{name} must be {shape:?} of {}, got {:?}", params[0].dtype().name(), p.shape()),
                ));
            }
        }
        let mut it = shapes.iter().zip(params).map(|((name, _), p)| trainable(&p, name));
        let per = if config.bias { 4 } else { 2 };
        let weights = (0..shapes.len() / per)
            .map(|_| {
                let (w_ih, w_hh) = (it.next().expect("counted"), it.next().expect("counted"));
                let (b_ih, b_hh) = if config.bias { (it.next(), it.next()) } else { (None, None) };
                Weights { w_ih, w_hh, b_ih, b_hh }
            })
            .collect();
        Ok(Recurrent { cell, config, weights })
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let tensors = self.weights.iter().flat_map(|w| {
            [Some(&w.w_ih), Some(&w.w_hh), w.b_ih.as_ref(), w.b_hh.as_ref()].into_iter().flatten().cloned()
        });
        Self::shapes(self.cell, &self.config).into_iter().map(|(n, _)| n).zip(tensors).collect()
    }

    /// Runs the stack over `x` `[N, T, input_size]` from `initial` (zeros when None).
    fn forward_with_state(&self, x: &Tensor, initial: Option<&RnnState>) -> Result<(Tensor, RnnState)> {
        let (c, op) = (&self.config, self.cell.name());
        if x.rank() != 3 || x.shape()[2] != c.input_size || x.shape()[1] == 0 {
            return Err(Error::invalid(
                op,
                format!("needs an input [N, T > 0, {}] (batch first), got {:?}", c.input_size, x.shape()),
            ));
        }
        let (n, t) = (x.shape()[0], x.shape()[1]);
        let slots = c.num_layers * c.directions();
        let zeros = || Tensor::zeros(&[slots, n, c.hidden_size], x.dtype());
        let h0 = initial.map_or_else(zeros, |s| s.h.clone());
        let c0 = initial.and_then(|s| s.c.clone()).unwrap_or_else(zeros);
        for s in [&h0, &c0] {
            if s.shape() != [slots, n, c.hidden_size] {
                return Err(Error::invalid(
                    op,
                    format!("initial states must be {:?}, got {:?}", [slots, n, c.hidden_size], s.shape()),
                ));
            }
        }
        let mut inputs: Vec<Tensor> = (0..t).map(|i| x.narrow(1, i, 1)?.squeeze(1)).collect::<Result<_>>()?;
        let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
        for l in 0..c.num_layers {
            let mut outputs = Vec::new();
            for d in 0..c.directions() {
                let slot = l * c.directions() + d;
                let state = (h0.narrow(0, slot, 1)?.squeeze(0)?, Some(c0.narrow(0, slot, 1)?.squeeze(0)?));
                let (outs, (h, cell)) = self.run(&self.weights[slot], &inputs, state, d == 1)?;
                outputs.push(outs);
                h_n.push(h);
                c_n.extend(cell);
            }
            inputs = match outputs.as_slice() {
                [forward] => forward.clone(),
                [forward, backward] => {
                    forward.iter().zip(backward).map(|(f, b)| Tensor::cat(&[f, b], 1)).collect::<Result<_>>()?
                }
                _ => unreachable!("one or two directions"),
            };
        }
        let output = Tensor::stack(&inputs.iter().collect::<Vec<_>>(), 1)?;
        let h = Tensor::stack(&h_n.iter().collect::<Vec<_>>(), 0)?;
        let c = match self.cell {
            Cell::Lstm => Some(Tensor::stack(&c_n.iter().collect::<Vec<_>>(), 0)?),
            _ => None,
        };
        Ok((output, RnnState { h, c }))
    }

    /// One layer in one direction over the per-step inputs; returns the per-step outputs
    /// (in time order) and the final state.
    fn run(&self, w: &Weights, inputs: &[Tensor], state: StepState, reverse: bool) -> Result<(Vec<Tensor>, StepState)> {
        let (w_ih, w_hh) = (w.w_ih.t()?, w.w_hh.t()?);
        // Tanh and LSTM cells only ever use the two biases summed; the GRU keeps b_hn apart.
        let (b_x, b_h) = match (self.cell, &w.b_ih, &w.b_hh) {
            (Cell::Gru, b_ih, b_hh) => (b_ih.clone(), b_hh.clone()),
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
            state = self.step(xg, hg, state)?;
            outputs[t] = Some(state.0.clone());
        }
        Ok((outputs.into_iter().map(|o| o.expect("every step ran")).collect(), state))
    }

    /// One time step from the input and hidden projections `x·W_ihᵀ (+ b)`, `h·W_hhᵀ (+ b)`.
    fn step(&self, xg: Tensor, hg: Tensor, (h, c): StepState) -> Result<StepState> {
        let hs = self.config.hidden_size;
        let gate = |t: &Tensor, i: usize| t.narrow(1, i * hs, hs);
        match self.cell {
            Cell::Tanh => Ok((xg.add(&hg)?.tanh(), c)),
            Cell::Lstm => {
                // Gate order i, f, g, o: c' = f·c + i·g, h' = o·tanh(c').
                let gates = xg.add(&hg)?;
                let (i, f) = (gate(&gates, 0)?.sigmoid(), gate(&gates, 1)?.sigmoid());
                let (g, o) = (gate(&gates, 2)?.tanh(), gate(&gates, 3)?.sigmoid());
                let c = f.mul(&c.expect("LSTM state has a cell"))?.add(&i.mul(&g)?)?;
                Ok((o.mul(&c.tanh())?, Some(c)))
            }
            Cell::Gru => {
                // Gate order r, z, n: n = tanh(x_n + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h.
                let r = gate(&xg, 0)?.add(&gate(&hg, 0)?)?.sigmoid();
                let z = gate(&xg, 1)?.add(&gate(&hg, 1)?)?.sigmoid();
                let n = gate(&xg, 2)?.add(&r.mul(&gate(&hg, 2)?)?)?.tanh();
                Ok((n.add(&z.mul(&h.sub(&n)?)?)?, c))
            }
        }
    }
}

macro_rules! recurrent {
    ($(#[$doc:meta])* $name:ident, $cell:expr, $variant:ident) => {
        $(#[$doc])*
        pub struct $name(Recurrent);

        impl $name {
            /// An f32 stack with PyTorch's initialization, U(±1/√hidden_size) for every parameter.
            pub fn new(config: RnnConfig, rng: &mut Rng) -> Result<$name> {
                $name::with_dtype(config, DType::F32, rng)
            }

            /// A stack with parameters of `dtype`.
            pub fn with_dtype(config: RnnConfig, dtype: DType, rng: &mut Rng) -> Result<$name> {
                Ok($name(Recurrent::new($cell, config, dtype, rng)?))
            }

            /// A stack over given parameters, in the order of [`Module::named_parameters`]
            /// (PyTorch's: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then
            /// the `_reverse` ones, then the next layer).
            pub fn from_tensors(config: RnnConfig, parameters: Vec<Tensor>) -> Result<$name> {
                Ok($name(Recurrent::from_tensors($cell, config, parameters)?))
            }

            /// The sizes and options.
            pub fn config(&self) -> RnnConfig {
                self.0.config
            }

            /// Runs over `x` `[N, T, input_size]` from `initial` (zeros when None), giving the
            /// outputs `[N, T, hidden_size · directions]` and the final states.
            pub fn forward_with_state(&self, x: &Tensor, initial: Option<&RnnState>) -> Result<(Tensor, RnnState)> {
                self.0.forward_with_state(x, initial)
            }
        }

        impl Module for $name {
            /// The outputs `[N, T, hidden_size · directions]` from zero initial states.
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                Ok(self.0.forward_with_state(x, None)?.0)
            }

            fn named_parameters(&self) -> Vec<(String, Tensor)> {
                self.0.named_parameters()
            }

            fn spec(&self) -> Option<LayerSpec> {
                Some(LayerSpec::$variant(self.0.config))
            }
        }
    };
}

recurrent!(
    /// Elman RNN: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
    Rnn,
    Cell::Tanh,
    Rnn
);
recurrent!(
    /// Long short-term memory, PyTorch's formulation and gate order (i, f, g, o).
    Lstm,
    Cell::Lstm,
    Lstm
);
recurrent!(
    /// Gated recurrent unit, PyTorch's formulation and gate order (r, z, n).
    Gru,
    Cell::Gru,
    Gru
);

/// The last time step of a sequence: `[N, T, F]` to `[N, F]` (to classify after an RNN).
#[derive(Clone, Copy, Debug, Default)]
pub struct LastStep;

impl Module for LastStep {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.rank() != 3 || x.shape()[1] == 0 {
            return Err(Error::invalid("LastStep", format!("needs a sequence [N, T > 0, F], got {:?}", x.shape())));
        }
        x.narrow(1, x.shape()[1] - 1, 1)?.squeeze(1)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::LastStep)
    }
}
