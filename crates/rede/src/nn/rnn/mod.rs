//! Recurrent layers — `Rnn` (tanh), `Lstm`, `Gru` — multi-layer, batch-first, optionally
//! bidirectional, with PyTorch's parameter layout, gate order and initialization.
//!
//! Each layer and direction is one fused op (`Tensor::recurrent_layer`) whose
//! forward and backward through time are hand-written kernels; the same
//! computation composed of elementary ops (`composed`) is kept as their test oracle.

mod composed;

use super::conv::{trainable, uniform_fan_in};
use super::{LayerSpec, Module};
use crate::backend::RecurrentCell as Cell;
use crate::ops::rnn::{RecurrentOutput, RecurrentWeights};
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

/// The layer's name in messages.
fn layer_name(cell: Cell) -> &'static str {
    match cell {
        Cell::Tanh => "Rnn",
        Cell::Lstm => "Lstm",
        Cell::Gru => "Gru",
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
            return Err(Error::invalid(
                layer_name(cell),
                format!("sizes and num_layers must be positive, got {config:?}"),
            ));
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
                layer_name(cell),
                format!("expected {} parameters, got {}", shapes.len(), params.len()),
            ));
        }
        for ((name, shape), p) in shapes.iter().zip(&params) {
            if p.shape() != shape.as_slice() || p.dtype() != params[0].dtype() {
                return Err(Error::invalid(
                    layer_name(cell),
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

    /// Runs the stack over `x` `[N, T, input_size]` from `initial` (zeros when
    /// None), each layer-direction as one fused op, or with `composed` as the
    /// reference made of elementary ops.
    fn forward_with_state(&self, x: &Tensor, initial: Option<&RnnState>, composed: bool) -> Result<(Tensor, RnnState)> {
        let (c, op) = (&self.config, layer_name(self.cell));
        if x.rank() != 3 || x.shape()[2] != c.input_size || x.shape()[1] == 0 {
            return Err(Error::invalid(
                op,
                format!("needs an input [N, T > 0, {}] (batch first), got {:?}", c.input_size, x.shape()),
            ));
        }
        let slots = c.num_layers * c.directions();
        let state_shape = [slots, x.shape()[0], c.hidden_size];
        let given = initial.map(|s| [Some(&s.h), s.c.as_ref()]).unwrap_or_default();
        if let Some(s) = given.iter().flatten().find(|s| s.shape() != state_shape) {
            return Err(Error::invalid(op, format!("initial states must be {state_shape:?}, got {:?}", s.shape())));
        }
        let (mut input, mut h_n, mut c_n) = (x.clone(), Vec::new(), Vec::new());
        for l in 0..c.num_layers {
            let mut outputs = Vec::new();
            for d in 0..c.directions() {
                let slot = l * c.directions() + d;
                let [h0, c0] = given.map(|s| s.map(|s| s.narrow(0, slot, 1)?.squeeze(0)).transpose());
                let out = self.layer(slot, &input, [h0?, c0?], d == 1, composed)?;
                outputs.push(out.output);
                h_n.push(out.h_n);
                c_n.extend(out.c_n);
            }
            input = match outputs.as_slice() {
                [forward] => forward.clone(),
                both => Tensor::cat(&both.iter().collect::<Vec<_>>(), 2)?,
            };
        }
        let stack = |states: &[Tensor]| Tensor::stack(&states.iter().collect::<Vec<_>>(), 0);
        let c = if self.cell == Cell::Lstm { Some(stack(&c_n)?) } else { None };
        Ok((input, RnnState { h: stack(&h_n)?, c }))
    }

    /// One layer in one direction (`slot`) over `x` `[N, T, in]` from the initial states `[N, H]`.
    fn layer(
        &self,
        slot: usize,
        x: &Tensor,
        [h0, c0]: [Option<Tensor>; 2],
        reverse: bool,
        composed: bool,
    ) -> Result<RecurrentOutput> {
        let w = &self.weights[slot];
        let c0 = c0.filter(|_| self.cell == Cell::Lstm);
        let weights = RecurrentWeights {
            cell: self.cell,
            w_ih: &w.w_ih,
            w_hh: &w.w_hh,
            b_ih: w.b_ih.as_ref(),
            b_hh: w.b_hh.as_ref(),
        };
        // The fused kernels exist for the CPU; other devices run the composed layer.
        if !composed && x.device() == crate::Device::Cpu {
            return x.recurrent_layer(&weights, h0.as_ref(), c0.as_ref(), reverse);
        }
        let zeros = || Tensor::zeros(&[x.shape()[0], self.config.hidden_size], x.dtype());
        let state = (h0.unwrap_or_else(zeros), Some(c0.unwrap_or_else(zeros)));
        composed::layer(&weights, x, state, reverse)
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
                self.0.forward_with_state(x, initial, false)
            }

            /// [`forward_with_state`](Self::forward_with_state) composed of elementary
            /// ops, one graph node per gate and step: the reference the fused kernels
            /// are tested against (slow; not for training).
            #[doc(hidden)]
            pub fn forward_with_state_composed(&self, x: &Tensor, initial: Option<&RnnState>) -> Result<(Tensor, RnnState)> {
                self.0.forward_with_state(x, initial, true)
            }
        }

        impl Module for $name {
            /// The outputs `[N, T, hidden_size · directions]` from zero initial states.
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                Ok(self.0.forward_with_state(x, None, false)?.0)
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
