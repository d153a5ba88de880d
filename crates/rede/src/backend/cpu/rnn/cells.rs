//! The gate arithmetic of one batch row at one time step, forward and backward.
//!
//! The loops are branch-free so the compiler vectorizes them, and they are
//! compiled a second time for AVX-512 (chosen at run time). For f32 the
//! sigmoid and tanh are a polynomial exponential the vectorized loop can
//! inline (a libm call per value would cost more than the recurrent product);
//! f64, which gradcheck uses, keeps the exact library functions.

use crate::backend::cpu::fast_exp::{exp_f32, FastExp};
use crate::backend::RecurrentCell;

/// The two gate functions, per element type; with `FMA`, f32's multiply-adds
/// are fused (see [`madd`](crate::backend::cpu::fast_exp::madd)).
pub(crate) trait CellMath: FastExp {
    /// 1 / (1 + e^−x).
    fn logistic<const FMA: bool>(self) -> Self;
    /// tanh x.
    fn hyperbolic_tangent<const FMA: bool>(self) -> Self;
}

impl CellMath for f64 {
    #[inline(always)]
    fn logistic<const FMA: bool>(self) -> f64 {
        1.0 / (1.0 + (-self).exp())
    }
    #[inline(always)]
    fn hyperbolic_tangent<const FMA: bool>(self) -> f64 {
        self.tanh()
    }
}

impl CellMath for f32 {
    #[inline(always)]
    fn logistic<const FMA: bool>(self) -> f32 {
        1.0 / (1.0 + exp_f32::<FMA>(-self))
    }
    /// As 2·σ(2x) − 1: absolute error about 1e-7, like the exponential's.
    #[inline(always)]
    fn hyperbolic_tangent<const FMA: bool>(self) -> f32 {
        2.0 / (1.0 + exp_f32::<FMA>(-2.0 * self)) - 1.0
    }
}

/// One batch row at one step, forward.
pub(crate) struct StepRow<'a, T> {
    /// In: the input projection plus bias; out: the activated gates.
    pub gates: &'a mut [T],
    /// The recurrent projection (GRU: plus `b_hh`).
    pub hw: &'a [T],
    /// The hidden state the step starts from.
    pub h_prev: &'a [T],
    /// The cell state the step starts from (LSTM).
    pub c_prev: &'a [T],
    /// Out: the new hidden state.
    pub h: &'a mut [T],
    /// Out: the new cell state (LSTM) or `W_hn·h + b_hn` (GRU).
    pub extra: &'a mut [T],
}

/// The forward gate pass of one row.
pub(crate) fn forward_row<T: CellMath>(cell: RecurrentCell, row: StepRow<'_, T>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F (checked just above).
        unsafe { forward_row_avx512(cell, row) };
        return;
    }
    forward_row_plain::<T, false>(cell, row);
}

/// [`forward_row_plain`] compiled for AVX-512, with fused multiply-adds
/// (every AVX-512 CPU has them).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn forward_row_avx512<T: CellMath>(cell: RecurrentCell, row: StepRow<'_, T>) {
    forward_row_plain::<T, true>(cell, row);
}

#[inline(always)]
fn forward_row_plain<T: CellMath, const FMA: bool>(cell: RecurrentCell, row: StepRow<'_, T>) {
    match cell {
        RecurrentCell::Tanh => tanh_forward::<T, FMA>(row),
        RecurrentCell::Lstm => lstm_forward::<T, FMA>(row),
        RecurrentCell::Gru => gru_forward::<T, FMA>(row),
    }
}

// The kernels below take each slice they write as a parameter of its own: a
// `&mut` parameter tells the compiler nothing else reaches that memory, so
// it vectorizes the loops without run-time overlap checks (with the slices in
// a struct it would need one per pair, and gives up beyond a few). What they
// only read comes as one array of slices.

/// Read-only gate blocks of `h` values each from the front of a row.
fn blocks<T, const G: usize>(row: &[T], h: usize) -> [&[T]; G] {
    std::array::from_fn(|k| &row[k * h..(k + 1) * h])
}

/// h = tanh(x_proj + h_proj); the gate keeps h too.
#[inline(always)]
fn tanh_forward<T: CellMath, const FMA: bool>(row: StepRow<'_, T>) {
    let h = row.h.len();
    tanh_kernel::<T, FMA>(&mut row.gates[..h], row.h, [&row.hw[..h]]);
}

#[inline(always)]
fn tanh_kernel<T: CellMath, const FMA: bool>(a: &mut [T], out: &mut [T], [hw]: [&[T]; 1]) {
    let (a, hw) = (&mut a[..out.len()], &hw[..out.len()]);
    for j in 0..out.len() {
        a[j] = (a[j] + hw[j]).hyperbolic_tangent::<FMA>();
        out[j] = a[j];
    }
}

/// i, f, o = σ(·), g = tanh(·); c = f·c_prev + i·g; h = o·tanh(c).
#[inline(always)]
fn lstm_forward<T: CellMath, const FMA: bool>(row: StepRow<'_, T>) {
    let h = row.h.len();
    let (i, rest) = row.gates.split_at_mut(h);
    let (f, rest) = rest.split_at_mut(h);
    let (g, o) = rest.split_at_mut(h);
    let [hi, hf, hg, ho] = blocks(row.hw, h);
    lstm_kernel::<T, FMA>([i, f, g, o], &mut row.extra[..h], row.h, [hi, hf, hg, ho, row.c_prev]);
}

#[inline(always)]
fn lstm_kernel<T: CellMath, const FMA: bool>(
    [i, f, g, o]: [&mut [T]; 4],
    c: &mut [T],
    out: &mut [T],
    inputs: [&[T]; 5],
) {
    let n = out.len();
    let [hi, hf, hg, ho, c_prev] = inputs.map(|s| &s[..n]);
    // A loop per gate, each over two slices: one loop over all ten slices ran
    // a scalar version for part of the rows (it needs run-time overlap checks).
    activate(&mut i[..n], hi, T::logistic::<FMA>);
    activate(&mut f[..n], hf, T::logistic::<FMA>);
    activate(&mut g[..n], hg, T::hyperbolic_tangent::<FMA>);
    activate(&mut o[..n], ho, T::logistic::<FMA>);
    // The cell and the output in two functions for the same reason: as one
    // loop, or two in this function, the compiler ran them one lane at a time.
    let c = &mut c[..n];
    next_cell(c, [&f[..n], c_prev, &i[..n], &g[..n]]);
    let c: &[T] = c;
    gated_tanh::<T, FMA>(out, [&o[..n], c]);
}

/// c = f·c_prev + i·g, elementwise.
#[inline(always)]
fn next_cell<T: CellMath>(c: &mut [T], [f, c_prev, i, g]: [&[T]; 4]) {
    let n = c.len();
    let (f, c_prev, i, g) = (&f[..n], &c_prev[..n], &i[..n], &g[..n]);
    for j in 0..n {
        c[j] = f[j] * c_prev[j] + i[j] * g[j];
    }
}

/// out = o·tanh(c), elementwise.
#[inline(always)]
fn gated_tanh<T: CellMath, const FMA: bool>(out: &mut [T], [o, c]: [&[T]; 2]) {
    let n = out.len();
    let (o, c) = (&o[..n], &c[..n]);
    for j in 0..n {
        out[j] = o[j] * c[j].hyperbolic_tangent::<FMA>();
    }
}

/// a = act(a + b), elementwise.
#[inline(always)]
fn activate<T: CellMath>(a: &mut [T], b: &[T], act: impl Fn(T) -> T) {
    let b = &b[..a.len()];
    for j in 0..a.len() {
        a[j] = act(a[j] + b[j]);
    }
}

/// r, z = σ(·); n = tanh(x_n + r·hw_n); h = (1 − z)·n + z·h_prev, keeping hw_n.
#[inline(always)]
fn gru_forward<T: CellMath, const FMA: bool>(row: StepRow<'_, T>) {
    let h = row.h.len();
    let (r, rest) = row.gates.split_at_mut(h);
    let (z, n) = rest.split_at_mut(h);
    let [hr, hz, hn] = blocks(row.hw, h);
    gru_kernel::<T, FMA>([r, z, n], &mut row.extra[..h], row.h, [hr, hz, hn, row.h_prev]);
}

#[inline(always)]
fn gru_kernel<T: CellMath, const FMA: bool>(
    [r, z, n]: [&mut [T]; 3],
    hn_out: &mut [T],
    out: &mut [T],
    inputs: [&[T]; 4],
) {
    let len = out.len();
    let (r, z, n, hn_out) = (&mut r[..len], &mut z[..len], &mut n[..len], &mut hn_out[..len]);
    let [hr, hz, hn, h_prev] = inputs.map(|s| &s[..len]);
    for j in 0..len {
        let (rg, zg) = ((r[j] + hr[j]).logistic::<FMA>(), (z[j] + hz[j]).logistic::<FMA>());
        let ng = (n[j] + rg * hn[j]).hyperbolic_tangent::<FMA>();
        (r[j], z[j], n[j], hn_out[j]) = (rg, zg, ng, hn[j]);
        out[j] = ng + zg * (h_prev[j] - ng);
    }
}

/// One batch row at one step, backward.
pub(crate) struct GradRow<'a, T> {
    /// The activated gates.
    pub gates: &'a [T],
    /// The cell state (LSTM) or `W_hn·h + b_hn` (GRU).
    pub extra: &'a [T],
    /// The step's hidden state.
    pub h: &'a [T],
    /// The hidden state the step started from.
    pub h_prev: &'a [T],
    /// The cell state the step started from (LSTM).
    pub c_prev: &'a [T],
    /// The output's gradient at this step.
    pub dy: &'a [T],
    /// In: the gradient reaching the hidden state from the later steps. Out
    /// (GRU): its direct path to the previous hidden state, z·dh.
    pub dh: &'a mut [T],
    /// In: the cell state's gradient; out: the previous cell state's (LSTM).
    pub dc: &'a mut [T],
    /// Out: the gradients of the gate pre-activations (the input projection's).
    pub dgx: &'a mut [T],
    /// Out (GRU): the gradients of the recurrent projection.
    pub dgh: &'a mut [T],
}

/// The backward gate pass of one row.
pub(crate) fn backward_row<T: CellMath>(cell: RecurrentCell, row: GradRow<'_, T>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F (checked just above).
        unsafe { backward_row_avx512(cell, row) };
        return;
    }
    backward_row_plain::<T, false>(cell, row);
}

/// [`backward_row_plain`] compiled for AVX-512, with fused multiply-adds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn backward_row_avx512<T: CellMath>(cell: RecurrentCell, row: GradRow<'_, T>) {
    backward_row_plain::<T, true>(cell, row);
}

#[inline(always)]
fn backward_row_plain<T: CellMath, const FMA: bool>(cell: RecurrentCell, row: GradRow<'_, T>) {
    match cell {
        RecurrentCell::Tanh => tanh_backward(row),
        RecurrentCell::Lstm => lstm_backward::<T, FMA>(row),
        RecurrentCell::Gru => gru_backward(row),
    }
}

/// d(pre-activation) = dh·(1 − h²).
#[inline(always)]
fn tanh_backward<T: CellMath>(row: GradRow<'_, T>) {
    let n = row.h.len();
    let (dgx, h, dy, dh) = (&mut row.dgx[..n], row.h, &row.dy[..n], &row.dh[..n]);
    for j in 0..n {
        dgx[j] = (dy[j] + dh[j]) * (T::one() - h[j] * h[j]);
    }
}

/// With t = tanh(c): dc += dh·o·(1 − t²); then di = dc·g, df = dc·c_prev,
/// dg = dc·i, do = dh·t, each times its function's derivative; dc_prev = dc·f.
#[inline(always)]
fn lstm_backward<T: CellMath, const FMA: bool>(row: GradRow<'_, T>) {
    let h = row.h.len();
    let (di, rest) = row.dgx.split_at_mut(h);
    let (df, rest) = rest.split_at_mut(h);
    let (dg, d_o) = rest.split_at_mut(h);
    let [i, f, g, o] = blocks(row.gates, h);
    lstm_grad_kernel::<T, FMA>(
        &mut row.dc[..h],
        [di, df, dg, d_o],
        [i, f, g, o, row.extra, row.c_prev, row.dy, row.dh],
    );
}

/// Values the LSTM's backward kernel reads into local arrays at a time. With
/// its thirteen slices in one loop, the compiler's run-time overlap checks
/// sent a quarter of the work down a scalar path; lanes copied into locals,
/// computed, then written back need no checks.
const LANES: usize = 16;

#[inline(always)]
fn lstm_grad_kernel<T: CellMath, const FMA: bool>(dc: &mut [T], [di, df, dg, d_o]: [&mut [T]; 4], inputs: [&[T]; 8]) {
    let n = dc.len();
    let full = n - n % LANES;
    let [i, f, g, o, c, c_prev, dy, dh] = inputs;
    for start in (0..full).step_by(LANES) {
        let at = |s: &[T]| -> [T; LANES] { s[start..start + LANES].try_into().expect("a whole chunk") };
        let (i, f, g, o, c, c_prev, dy, dh, dc_in) =
            (at(i), at(f), at(g), at(o), at(c), at(c_prev), at(dy), at(dh), at(dc));
        let mut out = [[T::zero(); LANES]; 5];
        for l in 0..LANES {
            let [a, b, x, y, z] =
                lstm_grad_one::<T, FMA>([i[l], f[l], g[l], o[l], c[l], c_prev[l], dy[l], dh[l]], dc_in[l]);
            (out[0][l], out[1][l], out[2][l], out[3][l], out[4][l]) = (a, b, x, y, z);
        }
        let [dc_out, di_out, df_out, dg_out, do_out] = out;
        dc[start..start + LANES].copy_from_slice(&dc_out);
        di[start..start + LANES].copy_from_slice(&di_out);
        df[start..start + LANES].copy_from_slice(&df_out);
        dg[start..start + LANES].copy_from_slice(&dg_out);
        d_o[start..start + LANES].copy_from_slice(&do_out);
    }
    for j in full..n {
        let [dcj, dij, dfj, dgj, doj] = lstm_grad_one::<T, FMA>(inputs.map(|s| s[j]), dc[j]);
        (dc[j], di[j], df[j], dg[j], d_o[j]) = (dcj, dij, dfj, dgj, doj);
    }
}

/// One unit: from (i, f, g, o, c, c_prev, dy, dh) and the incoming dc, the
/// previous cell state's gradient and those of the four pre-activations.
#[inline(always)]
fn lstm_grad_one<T: CellMath, const FMA: bool>([i, f, g, o, c, c_prev, dy, dh]: [T; 8], dc: T) -> [T; 5] {
    let one = T::one();
    let dh = dy + dh;
    let t = c.hyperbolic_tangent::<FMA>();
    let dc = dc + dh * o * (one - t * t);
    [dc * f, dc * g * i * (one - i), dc * c_prev * f * (one - f), dc * i * (one - g * g), dh * t * o * (one - o)]
}

/// dn = dh·(1 − z) through tanh to a_n; dr = a_n's gradient · hw_n; dz = dh·(h_prev − n);
/// the recurrent projection's gradients equal the input projection's but for
/// the n block, a_n's gradient times r; dh_prev = dh·z (+ the product).
#[inline(always)]
fn gru_backward<T: CellMath>(row: GradRow<'_, T>) {
    let h = row.h.len();
    let (dxr, rest) = row.dgx.split_at_mut(h);
    let (dxz, dxn) = rest.split_at_mut(h);
    let (dh_rz, dhn) = row.dgh.split_at_mut(2 * h);
    let [r, z, n] = blocks(row.gates, h);
    gru_grad_kernel(&mut row.dh[..h], [dxr, dxz, dxn], dhn, [r, z, n, row.extra, row.h_prev, row.dy]);
    dh_rz[..h].copy_from_slice(dxr);
    dh_rz[h..].copy_from_slice(dxz);
}

#[inline(always)]
fn gru_grad_kernel<T: CellMath>(dh: &mut [T], [dxr, dxz, dxn]: [&mut [T]; 3], dhn: &mut [T], inputs: [&[T]; 6]) {
    let (len, one) = (dh.len(), T::one());
    let (dxr, dxz, dxn, dhn) = (&mut dxr[..len], &mut dxz[..len], &mut dxn[..len], &mut dhn[..len]);
    let [r, z, n, hn, h_prev, dy] = inputs.map(|s| &s[..len]);
    for j in 0..len {
        let dh_total = dy[j] + dh[j];
        let dan = dh_total * (one - z[j]) * (one - n[j] * n[j]);
        dxr[j] = dan * hn[j] * r[j] * (one - r[j]);
        dxz[j] = dh_total * (h_prev[j] - n[j]) * z[j] * (one - z[j]);
        dxn[j] = dan;
        dhn[j] = dan * r[j];
        dh[j] = dh_total * z[j];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_f32_gate_functions_match_the_library_ones() {
        gate_functions_match_the_library_ones::<false>();
        gate_functions_match_the_library_ones::<true>();
    }

    fn gate_functions_match_the_library_ones<const FMA: bool>() {
        let mut worst = (0.0f64, 0.0f64);
        for i in -20_000..=20_000 {
            let x = i as f32 * 0.005;
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            worst.0 = worst.0.max((x.logistic::<FMA>() as f64 - s).abs());
            worst.1 = worst.1.max((x.hyperbolic_tangent::<FMA>() as f64 - (x as f64).tanh()).abs());
        }
        assert!(worst.0 < 2e-7 && worst.1 < 4e-7, "largest errors (sigmoid, tanh): {worst:?}");
        for x in [-1e30f32, -200.0, 200.0, 1e30] {
            let (s, t) = (x.logistic::<FMA>(), x.hyperbolic_tangent::<FMA>());
            assert!(s.is_finite() && t.is_finite() && (0.0..=1.0).contains(&s) && t.abs() <= 1.0, "{x}: {s} {t}");
        }
    }
}
