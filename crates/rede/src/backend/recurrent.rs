//! The vocabulary of the fused recurrent-layer kernels, shared by every backend:
//! which cell, the sizes, and the operands and gradients of one layer in one direction.

use crate::layout::Layout;

/// The cell a fused recurrent layer computes (PyTorch's formulations and gate orders).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecurrentCell {
    /// Elman RNN: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
    Tanh,
    /// LSTM, gates i, f, g, o: c' = f·c + i·g, h' = o·tanh(c').
    Lstm,
    /// GRU, gates r, z, n: n = tanh(x_n + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h.
    Gru,
}

impl RecurrentCell {
    /// Gate blocks stacked in each weight matrix.
    pub fn gates(self) -> usize {
        match self {
            RecurrentCell::Tanh => 1,
            RecurrentCell::Lstm => 4,
            RecurrentCell::Gru => 3,
        }
    }

    /// Values per batch row and time step that backward needs besides the
    /// gates and the outputs: the LSTM's cell state, the GRU's `W_hn h + b_hn`.
    pub fn extra(self) -> usize {
        match self {
            RecurrentCell::Tanh => 0,
            RecurrentCell::Lstm | RecurrentCell::Gru => 1,
        }
    }
}

/// Sizes and direction of one recurrent layer run over a batch-first sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecurrentDims {
    /// The cell.
    pub cell: RecurrentCell,
    /// Sequences in the batch (N).
    pub batch: usize,
    /// Time steps (T).
    pub steps: usize,
    /// Features per step of the input (I).
    pub input: usize,
    /// Features of the hidden state (H).
    pub hidden: usize,
    /// Whether the layer reads the sequence from its last step to its first.
    pub reverse: bool,
}

impl RecurrentDims {
    /// Elements of the forward output: the hidden states `[N, T, H]`, then (LSTM)
    /// the final cell state `[N, H]`.
    pub fn output_len(&self) -> usize {
        let cell_state = if self.cell == RecurrentCell::Lstm { self.batch * self.hidden } else { 0 };
        self.batch * self.steps * self.hidden + cell_state
    }

    /// Elements of the workspace the forward pass keeps for backward: the
    /// activated gates `[N, T, G·H]`, then the extra values `[N, T, extra·H]`.
    pub fn workspace_len(&self) -> usize {
        self.batch * self.steps * self.hidden * (self.cell.gates() + self.cell.extra())
    }
}

/// A buffer and the layout of the tensor it holds.
pub type Operand<'a, S> = (&'a S, &'a Layout);

/// The operands of one layer in one direction, each contiguous: the input
/// `[N, T, I]`, the weights `[G·H, I]` and `[G·H, H]`, the biases `[G·H]` and
/// the initial states `[N, H]` (zeros when absent).
#[derive(Clone, Copy)]
pub struct RecurrentInputs<'a, S> {
    /// The input sequence.
    pub x: Operand<'a, S>,
    /// Input-to-hidden weights.
    pub w_ih: Operand<'a, S>,
    /// Hidden-to-hidden weights.
    pub w_hh: Operand<'a, S>,
    /// Input-to-hidden bias.
    pub b_ih: Option<Operand<'a, S>>,
    /// Hidden-to-hidden bias.
    pub b_hh: Option<Operand<'a, S>>,
    /// Initial hidden state.
    pub h0: Option<Operand<'a, S>>,
    /// Initial cell state (LSTM).
    pub c0: Option<Operand<'a, S>>,
}

impl<'a, S> RecurrentInputs<'a, S> {
    /// The same operands with each buffer replaced by `f(buffer)` (e.g. the
    /// device's own), or `f`'s first error.
    pub fn try_map<U, E>(&self, f: impl Fn(&'a S) -> Result<&'a U, E>) -> Result<RecurrentInputs<'a, U>, E> {
        let g = |(s, l): Operand<'a, S>| Ok((f(s)?, l));
        Ok(RecurrentInputs {
            x: g(self.x)?,
            w_ih: g(self.w_ih)?,
            w_hh: g(self.w_hh)?,
            b_ih: self.b_ih.map(g).transpose()?,
            b_hh: self.b_hh.map(g).transpose()?,
            h0: self.h0.map(g).transpose()?,
            c0: self.c0.map(g).transpose()?,
        })
    }
}

/// What backward reads besides the inputs: the forward output, its workspace,
/// and the gradient of the output (all contiguous, `output_len` and `workspace_len` long).
#[derive(Clone, Copy)]
pub struct RecurrentSaved<'a, S> {
    /// The forward output.
    pub output: Operand<'a, S>,
    /// The forward workspace.
    pub workspace: Operand<'a, S>,
    /// The gradient of the output.
    pub grad: Operand<'a, S>,
}

impl<'a, S> RecurrentSaved<'a, S> {
    /// The same buffers each replaced by `f(buffer)`, or `f`'s first error.
    pub fn try_map<U, E>(&self, f: impl Fn(&'a S) -> Result<&'a U, E>) -> Result<RecurrentSaved<'a, U>, E> {
        let g = |(s, l): Operand<'a, S>| Ok((f(s)?, l));
        Ok(RecurrentSaved { output: g(self.output)?, workspace: g(self.workspace)?, grad: g(self.grad)? })
    }
}

/// Gradients of a layer's operands; `None` where the operand was absent (or, for
/// the input, not asked for). Each is contiguous with its operand's shape.
pub struct RecurrentGrads<S> {
    /// Of the input.
    pub x: Option<S>,
    /// Of the input-to-hidden weights.
    pub w_ih: S,
    /// Of the hidden-to-hidden weights.
    pub w_hh: S,
    /// Of the input-to-hidden bias.
    pub b_ih: Option<S>,
    /// Of the hidden-to-hidden bias.
    pub b_hh: Option<S>,
    /// Of the initial hidden state.
    pub h0: Option<S>,
    /// Of the initial cell state.
    pub c0: Option<S>,
}

impl<S> RecurrentGrads<S> {
    /// The same gradients with each buffer converted by `f` (e.g. wrapped in a device variant).
    pub fn map<U>(self, f: impl Fn(S) -> U) -> RecurrentGrads<U> {
        RecurrentGrads {
            x: self.x.map(&f),
            w_ih: f(self.w_ih),
            w_hh: f(self.w_hh),
            b_ih: self.b_ih.map(&f),
            b_hh: self.b_hh.map(&f),
            h0: self.h0.map(&f),
            c0: self.c0.map(&f),
        }
    }
}
