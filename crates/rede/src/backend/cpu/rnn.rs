//! Fused recurrent layers (tanh RNN, LSTM, GRU) on the CPU, computed as cuDNN
//! and oneDNN compute them.
//!
//! The batch is split into bands of rows, one per thread, each running the
//! whole sequence on its own (see [`Band`]).
//!
//! Forward: each step is one product and one pass over the band's rows that
//! applies the gate functions and writes the new cell and hidden states. For
//! the tanh RNN and the LSTM the product is `[h_prev | x_t]·[W_hh | W_ih]ᵀ`;
//! the GRU, whose n gate needs the two projections apart, first projects the
//! input of every step at once (`[N·T, I] × [I, G·H]`), then each step
//! computes `h·W_hhᵀ`. The activated gates and the cell states (LSTM) or the
//! `W_hn·h + b_hn` values (GRU) form the workspace backward reads.
//!
//! Backward runs the steps in the opposite order: one pass per step turns the
//! output's gradient into the gradients of the gate pre-activations (dG), one
//! product carries them to the previous hidden state and, when asked, one to
//! the step's input. For the tanh RNN and the LSTM each step also adds its
//! `[h_prev | x | 1]ᵀ·dG` to the weight and bias gradients, while dG is in
//! the caches; the GRU's are products and column sums over all steps at the end.

use super::matmul::{product_into, product_into_rows, transpose_into, MatOperand, MatmulDims};
use super::{pool, reduce, CpuStorage};
use crate::backend::{Operand, RecurrentCell, RecurrentDims, RecurrentGrads, RecurrentInputs, RecurrentSaved};
use crate::Element;
use rayon::prelude::*;

mod cells;

use cells::{CellMath, GradRow, StepRow};

/// Gate values one rayon task should handle at least: below this, handing
/// rows to another thread costs more than the gate functions.
const GATES_PER_TASK: usize = 1 << 13;

/// The forward pass of one layer in one direction: the output (hidden
/// states `[N, T, H]`, then the LSTM's final cell state `[N, H]`) and the
/// workspace backward needs (see [`RecurrentDims::workspace_len`]).
pub(super) fn recurrent_forward(
    inputs: &RecurrentInputs<'_, CpuStorage>,
    dims: &RecurrentDims,
) -> (CpuStorage, CpuStorage) {
    match inputs.x.0 {
        CpuStorage::F32(_) => {
            let (out, ws) = forward::<f32>(&Slices::of(inputs), dims);
            (CpuStorage::F32(out), CpuStorage::F32(ws))
        }
        CpuStorage::F64(_) => {
            let (out, ws) = forward::<f64>(&Slices::of(inputs), dims);
            (CpuStorage::F64(out), CpuStorage::F64(ws))
        }
    }
}

/// The backward pass of one layer in one direction; the input's gradient
/// only when `input_grad`.
pub(super) fn recurrent_backward(
    inputs: &RecurrentInputs<'_, CpuStorage>,
    saved: &RecurrentSaved<'_, CpuStorage>,
    dims: &RecurrentDims,
    input_grad: bool,
) -> RecurrentGrads<CpuStorage> {
    match inputs.x.0 {
        CpuStorage::F32(_) => {
            backward::<f32>(&Slices::of(inputs), &Saved::of(saved), dims, input_grad).map(CpuStorage::F32)
        }
        CpuStorage::F64(_) => {
            backward::<f64>(&Slices::of(inputs), &Saved::of(saved), dims, input_grad).map(CpuStorage::F64)
        }
    }
}

/// The elements of a contiguous operand.
fn slice<'a, T: Element>((s, l): Operand<'a, CpuStorage>) -> &'a [T] {
    let data = s.as_slice::<T>().expect("element types are checked before kernels run");
    &data[l.offset()..l.offset() + l.numel()]
}

/// The typed operands of one layer-direction.
struct Slices<'a, T> {
    x: &'a [T],
    w_ih: &'a [T],
    w_hh: &'a [T],
    b_ih: Option<&'a [T]>,
    b_hh: Option<&'a [T]>,
    h0: Option<&'a [T]>,
    c0: Option<&'a [T]>,
}

impl<'a, T: Element> Slices<'a, T> {
    fn of(p: &RecurrentInputs<'a, CpuStorage>) -> Self {
        Slices {
            x: slice(p.x),
            w_ih: slice(p.w_ih),
            w_hh: slice(p.w_hh),
            b_ih: p.b_ih.map(slice),
            b_hh: p.b_hh.map(slice),
            h0: p.h0.map(slice),
            c0: p.c0.map(slice),
        }
    }

    /// The same operands with the initial states cut to `band`'s rows.
    fn band(&self, band: Band, hidden: usize) -> Self {
        Slices { h0: self.h0.map(|s| band.of(s, hidden)), c0: self.c0.map(|s| band.of(s, hidden)), ..*self }
    }
}

/// The typed buffers backward reads besides the operands.
struct Saved<'a, T> {
    output: &'a [T],
    workspace: &'a [T],
    grad: &'a [T],
}

impl<'a, T: Element> Saved<'a, T> {
    fn of(s: &RecurrentSaved<'a, CpuStorage>) -> Self {
        Saved { output: slice(s.output), workspace: slice(s.workspace), grad: slice(s.grad) }
    }
}

/// A row-major `[rows, cols]` matrix with rows `stride` apart.
fn rows(stride: usize) -> MatOperand {
    MatOperand { offsets: Vec::new(), row_stride: stride, col_stride: 1 }
}

/// The transpose of a row-major matrix with rows `stride` apart.
fn transposed(stride: usize) -> MatOperand {
    MatOperand { offsets: Vec::new(), row_stride: 1, col_stride: stride }
}

/// The time step processed `k`-th (the last one first when reversed).
fn step_at(d: &RecurrentDims, k: usize) -> usize {
    if d.reverse {
        d.steps - 1 - k
    } else {
        k
    }
}

/// The initial states `[N, H]` where none were given: zeros (pooled buffers).
/// Only the LSTM has a cell state; for the other cells it is empty.
struct Initial<T> {
    h: Option<Vec<T>>,
    c: Option<Vec<T>>,
}

impl<T: Element> Initial<T> {
    fn zeros_unless(given: Option<&[T]>, len: usize) -> Option<Vec<T>> {
        given.is_none().then(|| {
            let mut v = pool::take::<T>(len);
            v.fill(T::zero());
            v
        })
    }

    fn new(p: &Slices<'_, T>, d: &RecurrentDims) -> Self {
        let len = d.batch * d.hidden;
        let c = if d.cell == RecurrentCell::Lstm { Self::zeros_unless(p.c0, len) } else { None };
        Initial { h: Self::zeros_unless(p.h0, len), c }
    }

    fn h<'a>(&'a self, p: &Slices<'a, T>) -> &'a [T] {
        p.h0.or(self.h.as_deref()).unwrap_or(&[])
    }

    fn c<'a>(&'a self, p: &Slices<'a, T>) -> &'a [T] {
        p.c0.or(self.c.as_deref()).unwrap_or(&[])
    }

    fn give_back(self) {
        self.h.into_iter().chain(self.c).for_each(pool::give);
    }
}

/// Widths per batch row and step of the workspace's extra values and of the
/// cell state (zero for the cells without them).
fn widths(d: &RecurrentDims) -> (usize, usize) {
    let cell = if d.cell == RecurrentCell::Lstm { d.hidden } else { 0 };
    (d.cell.extra() * d.hidden, cell)
}

/// The bias of the pre-activations: both biases summed, except for the GRU,
/// whose `b_hn` sits inside `r·(W_hn·h + b_hn)` and so stays with the
/// recurrent projection (this is then `b_ih` alone). A pooled buffer, or None
/// without biases.
fn summed_bias<T: Element>(p: &Slices<'_, T>, d: &RecurrentDims) -> Option<Vec<T>> {
    let b_hh = if d.cell == RecurrentCell::Gru { None } else { p.b_hh };
    let parts: Vec<&[T]> = p.b_ih.into_iter().chain(b_hh).collect();
    let first = parts.first()?;
    let mut bias = pool::take::<T>(first.len());
    bias.copy_from_slice(first);
    for part in &parts[1..] {
        bias.iter_mut().zip(*part).for_each(|(b, &v)| *b = *b + v);
    }
    Some(bias)
}

/// Fills each `width`-element row of `dst` with `bias`, or zeros.
fn fill_rows<T: Element>(dst: &mut [T], bias: Option<&[T]>, width: usize) {
    match bias {
        Some(b) => dst.chunks_exact_mut(width).for_each(|row| row.copy_from_slice(b)),
        None => dst.fill(T::zero()),
    }
}

/// A band of consecutive batch rows whose steps one thread runs alone. The
/// rows of a batch never meet inside a layer, so with one band per thread
/// each runs its whole sequence without waiting for the others, where
/// splitting every step's product and gate pass across the threads put two
/// waits into every step (on 2 threads the LSTM ran 1.73x as fast as on one).
#[derive(Clone, Copy)]
struct Band {
    first: usize,
    rows: usize,
}

/// Rows a band should have at least: thinner per-step products lose more to
/// gemm's edge tiles than their thread gains.
const BAND_ROWS: usize = 16;

impl Band {
    /// The bands of a batch: one per pool thread where the batch has rows
    /// enough, else a single band whose steps use all the threads.
    fn split(d: &RecurrentDims) -> Vec<Band> {
        let count = rayon::current_num_threads().min(d.batch / BAND_ROWS).max(1);
        let per = d.batch.div_ceil(count).max(1);
        (0..d.batch).step_by(per).map(|first| Band { first, rows: per.min(d.batch - first) }).collect()
    }

    /// The layer's sizes for this band alone.
    fn dims(self, d: &RecurrentDims) -> RecurrentDims {
        RecurrentDims { batch: self.rows, ..*d }
    }

    /// This band's rows of a buffer of `width` values per batch row (an
    /// empty buffer stays empty).
    fn of<T>(self, buf: &[T], width: usize) -> &[T] {
        if buf.is_empty() {
            buf
        } else {
            &buf[self.first * width..(self.first + self.rows) * width]
        }
    }
}

/// The threads each band's products may use: one each when the bands
/// already occupy the pool.
fn band_threads(bands: &[Band]) -> usize {
    if bands.len() > 1 {
        1
    } else {
        usize::MAX
    }
}

fn forward<T: CellMath>(p: &Slices<'_, T>, d: &RecurrentDims) -> (Vec<T>, Vec<T>) {
    let (n, t, h, gh) = (d.batch, d.steps, d.hidden, d.cell.gates() * d.hidden);
    let mut workspace = pool::take::<T>(d.workspace_len());
    let (mut gates, mut extra) = workspace.split_at_mut(n * t * gh);
    // The GRU's input projection is one product over all steps, [N·T, I] ×
    // [I, G·H], onto b_ih: its n gate needs it apart from the recurrent one.
    // The other cells need only the sum, which each step computes as one
    // product (see `joined_projection`), with the bias added in the gate pass.
    let bias = summed_bias(p, d);
    let joined = d.cell != RecurrentCell::Gru;
    if !joined {
        fill_rows(gates, bias.as_deref(), gh);
        let dims = MatmulDims { m: n * t, k: d.input, n: gh };
        product_into(gates, bias.is_some(), (p.x, 0, &rows(d.input)), (p.w_ih, 0, &transposed(d.input)), dims);
    }

    let mut output = pool::take::<T>(d.output_len());
    let (mut hs, c_n) = output.split_at_mut(n * t * h);
    let initial = Initial::new(p, d);
    let bands = Band::split(d);
    let (ew, _) = widths(d);
    let work: Vec<ForwardBand<'_, T>> = bands
        .iter()
        .map(|&band| ForwardBand {
            band,
            gates: take_rows(&mut gates, band.rows, t * gh),
            extra: take_rows(&mut extra, band.rows, t * ew),
            hs: take_rows(&mut hs, band.rows, t * h),
        })
        .collect();
    let threads = band_threads(&bands);
    let w_t = step_weights(p, d, joined);
    let h_bias = if joined { bias.as_deref() } else { p.b_hh };
    let weights = StepWeights { w_t: &w_t, bias: h_bias, joined };
    work.into_par_iter().for_each(|w| forward_band(p, &weights, d, &initial, w, threads));
    pool::give(w_t);
    bias.into_iter().for_each(pool::give);
    if d.cell == RecurrentCell::Lstm {
        let last = step_at(d, t - 1);
        let cells = &workspace[n * t * gh..];
        for (dst, cells) in c_n.chunks_exact_mut(h).zip(cells.chunks_exact(t * h)) {
            dst.copy_from_slice(&cells[last * h..(last + 1) * h]);
        }
    }
    initial.give_back();
    (output, workspace)
}

/// One band's rows of the forward buffers.
struct ForwardBand<'a, T> {
    band: Band,
    gates: &'a mut [T],
    extra: &'a mut [T],
    hs: &'a mut [T],
}

/// `[cols, rows]` from a row-major `[rows, cols]` matrix, in a pooled buffer.
fn transpose<T: Element>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = pool::take::<T>(rows * cols);
    transpose_into(m, rows, cols, &mut out);
    out
}

/// The right operand of each forward step's product, in a pooled buffer:
/// `W_hhᵀ` `[H, G·H]`, or with `joined` `[W_hh | W_ih]ᵀ` `[H + I, G·H]`.
///
/// Transposed here, once per call: gemm lays its left operand out column by
/// column (it computes the transposed product, since rede's results are
/// row-major), so given the row-major weights it transposed them on every step.
fn step_weights<T: Element>(p: &Slices<'_, T>, d: &RecurrentDims, joined: bool) -> Vec<T> {
    let (h, i, gh) = (d.hidden, d.input, d.cell.gates() * d.hidden);
    let rows = if joined { h + i } else { h };
    let mut out = pool::take::<T>(rows * gh);
    let (hh, ih) = out.split_at_mut(h * gh);
    transpose_into(p.w_hh, gh, h, hh);
    if joined {
        transpose_into(p.w_ih, gh, i, ih);
    }
    out
}

/// What every forward step's product multiplies by and adds.
struct StepWeights<'a, T> {
    /// See [`step_weights`].
    w_t: &'a [T],
    /// Added to each row: the GRU's `b_hh` (to the recurrent projection), the
    /// other cells' summed biases (in the gate pass).
    bias: Option<&'a [T]>,
    /// Whether each step's product covers the input too ([`joined_projection`]).
    joined: bool,
}

/// Every step of one band: the step's product (on at most `threads`
/// threads), then the gate pass.
fn forward_band<T: CellMath>(
    p: &Slices<'_, T>,
    weights: &StepWeights<'_, T>,
    d: &RecurrentDims,
    initial: &Initial<T>,
    w: ForwardBand<'_, T>,
    threads: usize,
) {
    let (bd, bp) = (w.band.dims(d), p.band(w.band, d.hidden));
    let init = (w.band.of(initial.h(p), d.hidden), w.band.of(initial.c(p), d.hidden));
    let gh = d.cell.gates() * d.hidden;
    let mut hw = pool::take::<T>(if weights.joined { gh } else { w.band.rows * gh });
    if weights.joined {
        // The gate pass adds hw to the gates: here the bias, one row that
        // every batch row and step reads (copies of it per row only filled the caches).
        fill_rows(&mut hw, weights.bias, gh);
        let x = w.band.of(p.x, d.steps * d.input);
        let mut h_x = pool::take::<T>(w.band.rows * (d.hidden + d.input));
        for k in 0..d.steps {
            joined_projection(&bp, x, weights.w_t, &bd, k, (w.hs, &mut h_x), w.gates, threads);
            forward_step(&bd, k, init, &hw, w.gates, w.extra, w.hs, threads > 1);
        }
        pool::give(h_x);
    } else {
        for k in 0..d.steps {
            recurrent_projection(&bp, weights, &bd, k, w.hs, &mut hw, threads);
            forward_step(&bd, k, init, &hw, w.gates, w.extra, w.hs, threads > 1);
        }
    }
    pool::give(hw);
}

/// The `k`-th step's pre-activations (without bias) written into its rows of
/// `gates`, as one product `[h_prev | x_t] · [W_hh | W_ih]ᵀ` with `k = H + I`.
///
/// The input projection of every step at once (as the GRU does) writes an
/// `[N, T, G·H]` buffer too large for the caches (7.3 MB for the MNIST LSTM),
/// which each step's gate pass then reads back; its products also have only
/// `I` terms (28) each. Here each step's rows are written just before the
/// gate pass reads them, and the product is one of `H + I` terms.
#[allow(clippy::too_many_arguments)] // the step's buffers, each borrowed on its own
fn joined_projection<T: Element>(
    p: &Slices<'_, T>,
    x: &[T],
    w_t: &[T],
    d: &RecurrentDims,
    k: usize,
    (hs, h_x): (&[T], &mut [T]),
    gates: &mut [T],
    threads: usize,
) {
    let (t, h, i, gh) = (d.steps, d.hidden, d.input, d.cell.gates() * d.hidden);
    let at = step_at(d, k);
    let prev = k.checked_sub(1).map(|j| step_at(d, j));
    for (r, row) in h_x.chunks_exact_mut(h + i).enumerate() {
        let (h_part, x_part) = row.split_at_mut(h);
        match (prev, p.h0) {
            (Some(q), _) => h_part.copy_from_slice(&hs[(r * t + q) * h..][..h]),
            (None, Some(h0)) => h_part.copy_from_slice(&h0[r * h..(r + 1) * h]),
            (None, None) => h_part.fill(T::zero()),
        }
        x_part.copy_from_slice(&x[(r * t + at) * i..][..i]);
    }
    // Starting from zeros, the first step's product needs only the input's columns.
    let skipped = if prev.is_none() && p.h0.is_none() { h } else { 0 };
    let dims = MatmulDims { m: d.batch, k: h + i - skipped, n: gh };
    let (a, b) = ((&h_x[..], skipped, &rows(h + i)), (w_t, skipped * gh, &rows(gh)));
    step_product(threads, &mut gates[at * gh..], t * gh, false, a, b, dims);
}

/// Batch rows per product of a step on one thread: gemm copies its whole
/// left operand (here the weights, 512 × 156 values for the MNIST LSTM) into
/// a packing buffer when a single-threaded product has more than 48 columns
/// in its view (rede's rows), and reads it in place otherwise.
const STEP_ROWS: usize = 48;

/// Rows of rede's result that gemm's AVX-512 f32 micro-kernel computes at a
/// time (its tile is 64 × 6 in gemm's column-major view, the transpose of ours).
const GEMM_TILE_ROWS: usize = 6;

/// [`product_into_rows`] for one step's product: on one thread, in chunks of
/// at most [`STEP_ROWS`] rows.
fn step_product<T: Element>(
    threads: usize,
    dst: &mut [T],
    ld: usize,
    accumulate: bool,
    (a, oa, la): (&[T], usize, &MatOperand),
    b: (&[T], usize, &MatOperand),
    d: MatmulDims,
) {
    if threads > 1 || d.m <= STEP_ROWS {
        product_into_rows(threads, dst, ld, accumulate, (a, oa, la), b, d);
        return;
    }
    // Near-equal chunks of a multiple of GEMM_TILE_ROWS rows, so that only the
    // last one ends in a narrower tile: 64 rows as 36 + 28 (32 + 32 ended
    // each chunk in a 2-row tile, which runs at about half speed).
    let per = d.m.div_ceil(d.m.div_ceil(STEP_ROWS)).next_multiple_of(GEMM_TILE_ROWS).min(STEP_ROWS);
    for first in (0..d.m).step_by(per) {
        let m = per.min(d.m - first);
        let a = (a, oa + first * la.row_stride, la);
        product_into_rows(1, &mut dst[first * ld..], ld, accumulate, a, b, MatmulDims { m, ..d });
    }
}

/// `hw = h_prev·W_hhᵀ + bias` for the `k`-th step, reading the previous
/// step's hidden states in place in the output.
fn recurrent_projection<T: Element>(
    p: &Slices<'_, T>,
    &StepWeights { w_t, bias, .. }: &StepWeights<'_, T>,
    d: &RecurrentDims,
    k: usize,
    hs: &[T],
    hw: &mut [T],
    threads: usize,
) {
    let (h, gh) = (d.hidden, d.cell.gates() * d.hidden);
    let prev = match k {
        0 => p.h0.map(|h0| (h0, 0, h)),
        _ => Some((hs, step_at(d, k - 1) * h, d.steps * h)),
    };
    if bias.is_some() || prev.is_none() {
        fill_rows(hw, bias, gh);
    }
    if let Some((a, offset, stride)) = prev {
        let dims = MatmulDims { m: d.batch, k: h, n: gh };
        step_product(threads, hw, gh, bias.is_some(), (a, offset, &rows(stride)), (w_t, 0, &rows(gh)), dims);
    }
}

/// Takes the first `rows · width` elements off the front of `buf`.
fn take_rows<'a, T>(buf: &mut &'a mut [T], rows: usize, width: usize) -> &'a mut [T] {
    let (head, tail) = std::mem::take(buf).split_at_mut(rows * width);
    *buf = tail;
    head
}

/// The cache a prefetch fills.
#[derive(Clone, Copy)]
enum Cache {
    L1,
    L2,
}

/// Asks the CPU to start loading `data` into `cache`. Each step's gate pass
/// reads one row of every batch entry's sequence, and those rows lie a whole
/// sequence apart (57 KB of gates for the MNIST LSTM): too far apart for the
/// hardware prefetchers. Forward, with the input projection of all steps
/// computed up front (the GRU), a third of the gate pass waited on the loads
/// of the gates: the pass prefetches the next row's into L1. Backward, every
/// cell reads what the forward pass wrote long before, from memory: it
/// prefetches [`BACKWARD_AHEAD`] rows ahead into L2, which keeps more loads in
/// flight than L1 (one row ahead into L1 made no measurable difference).
#[inline(always)]
fn prefetch<T>(data: &[T], cache: Cache) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0, _MM_HINT_T1};
        let start = data.as_ptr().cast::<i8>();
        for offset in (0..std::mem::size_of_val(data)).step_by(64) {
            // SAFETY: the address lies inside `data`, and a prefetch is a hint
            // that never faults.
            unsafe {
                match cache {
                    Cache::L1 => _mm_prefetch::<_MM_HINT_T0>(start.add(offset)),
                    Cache::L2 => _mm_prefetch::<_MM_HINT_T1>(start.add(offset)),
                }
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, cache);
}

/// How many rows ahead the backward gate pass prefetches (2: backward 4 %
/// faster; 4: about 1 % more; 8: no better than 4).
const BACKWARD_AHEAD: usize = 4;

/// Batch rows per rayon task for a pass over `gates` values per row.
fn rows_per_task(batch: usize, gates: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    batch.div_ceil(threads).max(GATES_PER_TASK.div_ceil(gates.max(1))).max(1)
}

/// Step `at`'s row of `width` values in a batch row holding every step, and
/// the previous step's (None on the first step): disjoint borrows of one row.
fn steps_of<T>(row: &mut [T], width: usize, prev: Option<usize>, at: usize) -> (Option<&[T]>, &mut [T]) {
    let span = |s: usize| s * width..(s + 1) * width;
    match prev {
        None => (None, &mut row[span(at)]),
        Some(p) if p < at => {
            let (before, from) = row.split_at_mut(at * width);
            (Some(&before[span(p)]), &mut from[..width])
        }
        Some(p) => {
            let (before, from) = row.split_at_mut(p * width);
            (Some(&from[..width]), &mut before[span(at)])
        }
    }
}

/// The rows of one forward rayon task.
struct ForwardTask<'a, T> {
    first: usize,
    gates: &'a mut [T],
    extra: &'a mut [T],
    hs: &'a mut [T],
}

/// The gate pass of the `k`-th step over every batch row, in parallel when
/// `parallel`. `hw` is added to the gates: a row per batch row, or a single
/// row (the bias) that all of them share.
#[allow(clippy::too_many_arguments)] // the step's buffers, each borrowed on its own
fn forward_step<T: CellMath>(
    d: &RecurrentDims,
    k: usize,
    (h0, c0): (&[T], &[T]),
    hw: &[T],
    mut gates: &mut [T],
    mut extra: &mut [T],
    mut hs: &mut [T],
    parallel: bool,
) {
    let (t, h, gh) = (d.steps, d.hidden, d.cell.gates() * d.hidden);
    let (at, prev) = (step_at(d, k), k.checked_sub(1).map(|j| step_at(d, j)));
    let (ew, cw) = widths(d);
    let per_task = if parallel { rows_per_task(d.batch, gh) } else { d.batch.max(1) };
    let mut tasks = Vec::with_capacity(d.batch.div_ceil(per_task));
    for first in (0..d.batch).step_by(per_task) {
        let rows = per_task.min(d.batch - first);
        let (g, e) = (take_rows(&mut gates, rows, t * gh), take_rows(&mut extra, rows, t * ew));
        tasks.push(ForwardTask { first, gates: g, extra: e, hs: take_rows(&mut hs, rows, t * h) });
    }
    tasks.into_par_iter().for_each(|task| {
        let rows = task.hs.len() / (t * h);
        for r in 0..rows {
            let n = task.first + r;
            if r + 1 < rows {
                prefetch(&task.gates[((r + 1) * t + at) * gh..((r + 1) * t + at + 1) * gh], Cache::L1);
            }
            let (h_prev, h_out) = steps_of(&mut task.hs[r * t * h..(r + 1) * t * h], h, prev, at);
            let (c_prev, extra) = steps_of(&mut task.extra[r * t * ew..(r + 1) * t * ew], ew, prev, at);
            let row = StepRow {
                gates: &mut task.gates[(r * t + at) * gh..(r * t + at + 1) * gh],
                // One row shared by every batch row (the bias), or one row each.
                hw: if hw.len() == gh { hw } else { &hw[n * gh..(n + 1) * gh] },
                h_prev: h_prev.unwrap_or(&h0[n * h..(n + 1) * h]),
                c_prev: c_prev.unwrap_or(&c0[n * cw..(n + 1) * cw]),
                h: h_out,
                extra,
            };
            cells::forward_row(d.cell, row);
        }
    });
}

/// Gradient buffers of the pre-activations: `dgx` for the input projection
/// (`[N, T, G·H]`, or one step's rows: see [`kept_steps`]); the GRU's
/// recurrent projection differs in its n block, so it gets its own `dgh`
/// `[N, T, G·H]`.
struct GateGrads<T> {
    dgx: Vec<T>,
    dgh: Option<Vec<T>>,
}

impl<T> GateGrads<T> {
    /// The gradients of the recurrent projection.
    fn hidden(&self) -> &[T] {
        self.dgh.as_deref().unwrap_or(&self.dgx)
    }
}

fn backward<T: CellMath>(
    p: &Slices<'_, T>,
    s: &Saved<'_, T>,
    d: &RecurrentDims,
    input_grad: bool,
) -> RecurrentGrads<Vec<T>> {
    let (n, t, h, gh) = (d.batch, d.steps, d.hidden, d.cell.gates() * d.hidden);
    let initial = Initial::new(p, d);
    let (i, kept) = (d.input, kept_steps(d));
    let mut grads = GateGrads {
        dgx: pool::take::<T>(n * kept * gh),
        dgh: (d.cell == RecurrentCell::Gru).then(|| pool::take::<T>(n * t * gh)),
    };
    // dh: the gradient reaching the hidden state from later steps; dc: the cell state's (LSTM).
    let mut dh = pool::take::<T>(n * h);
    dh.fill(T::zero());
    let mut dc = pool::take::<T>(if d.cell == RecurrentCell::Lstm { n * h } else { 0 });
    dc.copy_from_slice(&s.grad[n * t * h..]);
    let bands = Band::split(d);
    let saved = SavedRows::of(s, d);
    let (cw, gh_width) = (widths(d).1, if grads.dgh.is_some() { t * gh } else { 0 });
    let (mut dgx, mut dgh) = (&mut grads.dgx[..], grads.dgh.as_deref_mut().unwrap_or(&mut []));
    let (mut dh_rest, mut dc_rest) = (&mut dh[..], &mut dc[..]);
    let mut dx = input_grad.then(|| pool::take::<T>(n * t * i));
    let (mut dx_rest, dx_width) = (dx.as_deref_mut().unwrap_or(&mut []), if input_grad { t * i } else { 0 });
    let work: Vec<BackwardBand<'_, T>> = bands
        .iter()
        .map(|&band| BackwardBand {
            band,
            grads: GateGradRows {
                dgx: take_rows(&mut dgx, band.rows, kept * gh),
                dgh: take_rows(&mut dgh, band.rows, gh_width),
            },
            dh: take_rows(&mut dh_rest, band.rows, h),
            dc: take_rows(&mut dc_rest, band.rows, cw),
            dx: take_rows(&mut dx_rest, band.rows, dx_width),
        })
        .collect();
    let threads = band_threads(&bands);
    let partials: Vec<Vec<T>> =
        work.into_par_iter().filter_map(|w| backward_band(p, &saved, d, &initial, w, threads)).collect();
    let out = weight_grads(p, s, d, &grads, initial.h(p), partials);
    let kept = |given: bool, v: Vec<T>| {
        if given {
            Some(v)
        } else {
            pool::give(v);
            None
        }
    };
    let out = RecurrentGrads { x: dx, h0: kept(p.h0.is_some(), dh), c0: kept(p.c0.is_some(), dc), ..out };
    pool::give(grads.dgx);
    grads.dgh.into_iter().for_each(pool::give);
    initial.give_back();
    out
}

/// What the backward gate pass reads, each `[rows, T, width]`: the activated
/// gates, the workspace's extra values, the hidden states and their gradients.
struct SavedRows<'a, T> {
    gates: &'a [T],
    extra: &'a [T],
    hs: &'a [T],
    dy: &'a [T],
}

impl<'a, T> SavedRows<'a, T> {
    fn of(s: &Saved<'a, T>, d: &RecurrentDims) -> Self {
        let (n, t, h, gh) = (d.batch, d.steps, d.hidden, d.cell.gates() * d.hidden);
        let (gates, extra) = s.workspace.split_at(n * t * gh);
        SavedRows { gates, extra, hs: &s.output[..n * t * h], dy: &s.grad[..n * t * h] }
    }

    /// `band`'s rows.
    fn band(&self, band: Band, d: &RecurrentDims) -> Self {
        let (t, h, gh, (ew, _)) = (d.steps, d.hidden, d.cell.gates() * d.hidden, widths(d));
        SavedRows {
            gates: band.of(self.gates, t * gh),
            extra: band.of(self.extra, t * ew),
            hs: band.of(self.hs, t * h),
            dy: band.of(self.dy, t * h),
        }
    }
}

/// One band's rows of the gate gradients; `dgh` is empty except for the GRU.
struct GateGradRows<'a, T> {
    dgx: &'a mut [T],
    dgh: &'a mut [T],
}

impl<T> GateGradRows<'_, T> {
    /// The gradients of the recurrent projection.
    fn hidden(&self) -> &[T] {
        if self.dgh.is_empty() {
            self.dgx
        } else {
            self.dgh
        }
    }
}

/// One band's rows of the backward buffers; `dx` (the input's gradient) is
/// empty unless asked for.
struct BackwardBand<'a, T> {
    band: Band,
    grads: GateGradRows<'a, T>,
    dh: &'a mut [T],
    dc: &'a mut [T],
    dx: &'a mut [T],
}

/// The steps whose gate gradients `dgx` holds per batch row: the GRU's weight
/// gradients are products over all steps at the end, so it keeps every
/// step's; the tanh RNN and the LSTM consume each step's right away (see
/// [`JoinedGrad`]), so one step's rows suffice, and they stay in the caches.
fn kept_steps(d: &RecurrentDims) -> usize {
    if d.cell == RecurrentCell::Gru {
        d.steps
    } else {
        1
    }
}

/// Where step `at`'s rows start in `dgx` (and the GRU's `dgh`), and how far
/// apart they lie.
fn step_grad_rows(d: &RecurrentDims, at: usize) -> (usize, usize) {
    let gh = d.cell.gates() * d.hidden;
    match kept_steps(d) {
        1 => (0, gh),
        kept => (at * gh, kept * gh),
    }
}

/// Every step of one band, last first: the gate pass, then the product that
/// carries the gradients to the previous hidden state (on at most `threads`
/// threads), and the step's rows of the input's gradient when asked for. For
/// the tanh RNN and the LSTM also the band's part of the weight gradients
/// (see [`JoinedGrad`]), which it returns.
fn backward_band<T: CellMath>(
    p: &Slices<'_, T>,
    saved: &SavedRows<'_, T>,
    d: &RecurrentDims,
    initial: &Initial<T>,
    mut w: BackwardBand<'_, T>,
    threads: usize,
) -> Option<Vec<T>> {
    let (bd, saved) = (w.band.dims(d), saved.band(w.band, d));
    let init = (w.band.of(initial.h(p), d.hidden), w.band.of(initial.c(p), d.hidden));
    let gh = d.cell.gates() * d.hidden;
    let mut joined = (d.cell != RecurrentCell::Gru).then(|| JoinedGrad::new(p, &bd));
    let x = w.band.of(p.x, d.steps * d.input);
    for k in (0..d.steps).rev() {
        backward_step(&saved, &bd, k, init, &mut w.grads, (&mut *w.dh, &mut *w.dc), threads > 1);
        let (at, (first, ld)) = (step_at(d, k), step_grad_rows(d, step_at(d, k)));
        if k > 0 || p.h0.is_some() {
            // dh_prev (+)= dG_h·W_hh, where the GRU has already put its direct term z·dh.
            let dims = MatmulDims { m: bd.batch, k: gh, n: d.hidden };
            let a = (w.grads.hidden(), first, &rows(ld));
            let b = (p.w_hh, 0, &rows(d.hidden));
            step_product(threads, w.dh, d.hidden, d.cell == RecurrentCell::Gru, a, b, dims);
        }
        if !w.dx.is_empty() {
            // dx_t = dG_x·W_ih, into the step's rows of the input's gradient.
            let (t, i) = (d.steps, d.input);
            let dims = MatmulDims { m: bd.batch, k: gh, n: i };
            let (a, b) = ((&w.grads.dgx[..], first, &rows(ld)), (p.w_ih, 0, &rows(i)));
            step_product(threads, &mut w.dx[at * i..], t * i, false, a, b, dims);
        }
        if let Some(joined) = &mut joined {
            let h0 = p.h0.map(|h0| w.band.of(h0, d.hidden));
            joined.add_step(&bd, k, (saved.hs, h0, x), w.grads.dgx, threads);
        }
    }
    joined.map(JoinedGrad::finish)
}

/// The tanh RNN's and the LSTM's weight gradients for one band, whose
/// recurrent and input projections share one gradient dG: the product
/// `[h_prev | x | 1]ᵀ·dG` gives `W_hh`'s, `W_ih`'s and (the ones column) the
/// biases' gradients, `[H + I (+ 1), G·H]`.
///
/// It is added up step by step, right after each step's gate pass, while the
/// step's dG rows are still in the caches: as one product over all steps at
/// the end it read all of dG (7.3 MB for the MNIST LSTM) back from memory.
struct JoinedGrad<T> {
    /// The sum so far, `[width, G·H]`.
    w_t: Vec<T>,
    /// One step's `[h_prev | x | 1]` rows, `[rows, width]`.
    inputs: Vec<T>,
    width: usize,
    /// Whether `w_t` holds a step's product yet.
    started: bool,
}

impl<T: Element> JoinedGrad<T> {
    fn new(p: &Slices<'_, T>, d: &RecurrentDims) -> Self {
        let biased = p.b_ih.is_some() || p.b_hh.is_some();
        let width = d.hidden + d.input + usize::from(biased);
        let mut inputs = pool::take::<T>(d.batch * width);
        if biased {
            inputs.chunks_exact_mut(width).for_each(|row| row[width - 1] = T::one());
        }
        JoinedGrad { w_t: pool::take::<T>(width * d.cell.gates() * d.hidden), inputs, width, started: false }
    }

    /// Adds the `k`-th processed step's product, reading the band's hidden
    /// states `hs`, initial states `h0` (None: zeros) and inputs `x`, and its
    /// gate gradients `dg` (see [`step_grad_rows`]).
    fn add_step(
        &mut self,
        d: &RecurrentDims,
        k: usize,
        (hs, h0, x): (&[T], Option<&[T]>, &[T]),
        dg: &[T],
        threads: usize,
    ) {
        let (t, h, i, gh) = (d.steps, d.hidden, d.input, d.cell.gates() * d.hidden);
        let (at, prev) = (step_at(d, k), k.checked_sub(1).map(|j| step_at(d, j)));
        for (r, row) in self.inputs.chunks_exact_mut(self.width).enumerate() {
            match (prev, h0) {
                (Some(q), _) => row[..h].copy_from_slice(&hs[(r * t + q) * h..][..h]),
                (None, Some(h0)) => row[..h].copy_from_slice(&h0[r * h..(r + 1) * h]),
                (None, None) => row[..h].fill(T::zero()),
            }
            row[h..h + i].copy_from_slice(&x[(r * t + at) * i..][..i]);
        }
        // From zero initial states the first step adds nothing to W_hh's rows,
        // once there is a sum to add to.
        let skipped = if prev.is_none() && h0.is_none() && self.started { h } else { 0 };
        let (first, ld) = step_grad_rows(d, at);
        let dims = MatmulDims { m: self.width - skipped, k: d.batch, n: gh };
        let a = (&self.inputs[..], skipped, &transposed(self.width));
        let b = (dg, first, &rows(ld));
        product_into_rows(threads, &mut self.w_t[skipped * gh..], gh, self.started, a, b, dims);
        self.started = true;
    }

    /// The band's sum.
    fn finish(self) -> Vec<T> {
        pool::give(self.inputs);
        self.w_t
    }
}

/// The rows of one backward rayon task.
struct BackwardTask<'a, T> {
    first: usize,
    dgx: &'a mut [T],
    dgh: &'a mut [T],
    dh: &'a mut [T],
    dc: &'a mut [T],
}

/// The gate pass of the `k`-th processed step, backwards, over every batch
/// row, in parallel when `parallel`.
fn backward_step<T: CellMath>(
    s: &SavedRows<'_, T>,
    d: &RecurrentDims,
    k: usize,
    (h0, c0): (&[T], &[T]),
    grads: &mut GateGradRows<'_, T>,
    (mut dh, mut dc): (&mut [T], &mut [T]),
    parallel: bool,
) {
    let (n, t, h, gh) = (d.batch, d.steps, d.hidden, d.cell.gates() * d.hidden);
    let (at, prev) = (step_at(d, k), k.checked_sub(1).map(|j| step_at(d, j)));
    let (ew, cw) = widths(d);
    let gh_width = if grads.dgh.is_empty() { 0 } else { t * gh };
    let (first_dg, ld) = step_grad_rows(d, at);
    let (mut dgx, mut dgh) = (&mut *grads.dgx, &mut *grads.dgh);
    let per_task = if parallel { rows_per_task(n, gh) } else { n.max(1) };
    let mut tasks = Vec::with_capacity(n.div_ceil(per_task));
    for first in (0..n).step_by(per_task) {
        let rows = per_task.min(n - first);
        tasks.push(BackwardTask {
            first,
            dgx: take_rows(&mut dgx, rows, ld),
            dgh: take_rows(&mut dgh, rows, gh_width),
            dh: take_rows(&mut dh, rows, h),
            dc: take_rows(&mut dc, rows, cw),
        });
    }
    tasks.into_par_iter().for_each(|task| {
        let rows = task.dh.len() / h;
        for r in 0..rows {
            let i = task.first + r;
            let here = |w: usize, step: usize| (i * t + step) * w..(i * t + step + 1) * w;
            if r + BACKWARD_AHEAD < rows {
                let ahead = i + BACKWARD_AHEAD;
                let there = |w: usize, step: usize| (ahead * t + step) * w..(ahead * t + step + 1) * w;
                prefetch(&s.gates[there(gh, at)], Cache::L2);
                prefetch(&s.dy[there(h, at)], Cache::L2);
                if let Some(q) = prev {
                    prefetch(&s.extra[there(ew, q)], Cache::L2);
                }
            }
            let (h_prev, c_prev) = match prev {
                Some(q) => (&s.hs[here(h, q)], &s.extra[here(ew, q)]),
                None => (&h0[i * h..(i + 1) * h], &c0[i * cw..(i + 1) * cw]),
            };
            let row = GradRow {
                gates: &s.gates[here(gh, at)],
                extra: &s.extra[here(ew, at)],
                h: &s.hs[here(h, at)],
                h_prev,
                c_prev,
                dy: &s.dy[here(h, at)],
                dh: &mut task.dh[r * h..(r + 1) * h],
                dc: &mut task.dc[r * cw..(r + 1) * cw],
                dgx: &mut task.dgx[r * ld + first_dg..][..gh],
                dgh: if gh_width > 0 { &mut task.dgh[(r * t + at) * gh..(r * t + at + 1) * gh] } else { &mut [] },
            };
            cells::backward_row(d.cell, row);
        }
    });
}

/// The gradients of the weights and biases over all steps. `partials` are the
/// bands' [`JoinedGrad`]s (the tanh RNN and the LSTM); the GRU has none and
/// takes a product and a column sum per projection.
fn weight_grads<T: Element>(
    p: &Slices<'_, T>,
    s: &Saved<'_, T>,
    d: &RecurrentDims,
    grads: &GateGrads<T>,
    h0: &[T],
    partials: Vec<Vec<T>>,
) -> RecurrentGrads<Vec<T>> {
    match grads.dgh {
        None => joined_weight_grads(p, d, partials),
        Some(_) => separate_weight_grads(p, s, d, grads, h0),
    }
}

/// `(inputsᵀ·dG)ᵀ` over all N·T rows: `[G·H, width]`.
///
/// gemm works on the transpose of rede's row-major results, so for dGᵀ·inputs
/// it would first transpose all of dG (`[N·T, G·H]`, the largest operand)
/// into its packing buffer; this way it transposes the inputs, and the
/// `[width, G·H]` result is transposed here.
fn inputs_t_dg<T: Element>(inputs: &[T], width: usize, dg: &[T], gh: usize) -> Vec<T> {
    let k = dg.len() / gh;
    let mut w_t = pool::take::<T>(width * gh);
    product_into(
        &mut w_t,
        false,
        (inputs, 0, &transposed(width)),
        (dg, 0, &rows(gh)),
        MatmulDims { m: width, k, n: gh },
    );
    w_t
}

/// The bands' [`JoinedGrad`]s summed, split into the weights' and the
/// biases' gradients.
fn joined_weight_grads<T: Element>(
    p: &Slices<'_, T>,
    d: &RecurrentDims,
    partials: Vec<Vec<T>>,
) -> RecurrentGrads<Vec<T>> {
    let (i, h, gh) = (d.input, d.hidden, d.cell.gates() * d.hidden);
    let mut partials = partials.into_iter();
    let mut w_t = partials.next().expect("every batch has a band");
    for part in partials {
        w_t.iter_mut().zip(&part).for_each(|(a, &b)| *a = *a + b);
        pool::give(part);
    }
    let w_hh = transpose(&w_t[..h * gh], h, gh);
    let w_ih = transpose(&w_t[h * gh..(h + i) * gh], i, gh);
    let sums = &w_t[(h + i) * gh..];
    let b_ih = p.b_ih.map(|_| pooled_copy(sums));
    // Both biases add to the same pre-activations: the same sums.
    let b_hh = p.b_hh.map(|_| pooled_copy(sums));
    pool::give(w_t);
    RecurrentGrads { x: None, w_ih, w_hh, b_ih, b_hh, h0: None, c0: None }
}

/// The GRU, whose recurrent projection's gradient differs from the input
/// projection's in its n block: a product and a column sum for each.
fn separate_weight_grads<T: Element>(
    p: &Slices<'_, T>,
    s: &Saved<'_, T>,
    d: &RecurrentDims,
    grads: &GateGrads<T>,
    h0: &[T],
) -> RecurrentGrads<Vec<T>> {
    let (n, t, i, h, gh) = (d.batch, d.steps, d.input, d.hidden, d.cell.gates() * d.hidden);
    let weight_grad = |dg: &[T], inputs: &[T], width: usize| {
        let w_t = inputs_t_dg(inputs, width, dg, gh);
        let w = transpose(&w_t, width, gh);
        pool::give(w_t);
        w
    };
    let w_ih = weight_grad(&grads.dgx, p.x, i);
    let h_prev = previous_states(&s.output[..n * t * h], h0, d);
    let w_hh = weight_grad(grads.hidden(), &h_prev, h);
    pool::give(h_prev);
    let b_ih = p.b_ih.map(|_| pooled_copy(&reduce::sum_rows(&grads.dgx, gh)));
    let b_hh = p.b_hh.map(|_| pooled_copy(&reduce::sum_rows(grads.hidden(), gh)));
    RecurrentGrads { x: None, w_ih, w_hh, b_ih, b_hh, h0: None, c0: None }
}

/// `v` in a pooled buffer.
fn pooled_copy<T: Element>(v: &[T]) -> Vec<T> {
    let mut out = pool::take::<T>(v.len());
    out.copy_from_slice(v);
    out
}

/// `[N, T, H]`: at each step, the hidden state the step started from (the
/// previous step's output, or the initial state).
fn previous_states<T: Element>(hs: &[T], h0: &[T], d: &RecurrentDims) -> Vec<T> {
    let (t, h) = (d.steps, d.hidden);
    let mut out = pool::take::<T>(d.batch * t * h);
    for (b, dst) in out.chunks_exact_mut(t * h).enumerate() {
        let src = &hs[b * t * h..(b + 1) * t * h];
        for k in 0..t {
            let at = step_at(d, k);
            let from = if k == 0 { &h0[b * h..(b + 1) * h] } else { &src[step_at(d, k - 1) * h..][..h] };
            dst[at * h..(at + 1) * h].copy_from_slice(from);
        }
    }
    out
}
