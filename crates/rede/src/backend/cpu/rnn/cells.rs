//! The gate arithmetic of one batch row at one time step, forward and backward.
//!
//! The loops are branch-free so the compiler vectorizes them, and they are
//! compiled a second time for AVX-512 (chosen at run time). For f32 the
//! sigmoid and tanh are a polynomial exponential the vectorized loop can
//! inline (a libm call per value would cost more than the recurrent product);
//! f64, which gradcheck uses, keeps the exact library functions.

use crate::backend::RecurrentCell;
use crate::Element;

/// The two gate functions, per element type.
pub(crate) trait CellMath: Element {
    /// 1 / (1 + e^−x).
    fn logistic(self) -> Self;
    /// tanh x.
    fn hyperbolic_tangent(self) -> Self;
}

impl CellMath for f64 {
    #[inline(always)]
    fn logistic(self) -> f64 {
        1.0 / (1.0 + (-self).exp())
    }
    #[inline(always)]
    fn hyperbolic_tangent(self) -> f64 {
        self.tanh()
    }
}

impl CellMath for f32 {
    #[inline(always)]
    fn logistic(self) -> f32 {
        1.0 / (1.0 + exp_f32(-self))
    }
    /// As 2·σ(2x) − 1: absolute error about 1e-7, like the exponential's.
    #[inline(always)]
    fn hyperbolic_tangent(self) -> f32 {
        2.0 / (1.0 + exp_f32(-2.0 * self)) - 1.0
    }
}

/// e^x in f32 within about 2 ulp, branch-free: x = n·ln 2 + r with |r| ≤ ln 2 / 2,
/// e^r from a degree-7 polynomial (Cephes' `expf` coefficients), 2^n written
/// into the exponent bits. Inputs are clamped to where e^x is a normal f32.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let x = x.max(-87.0).min(88.0);
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let e = p * r * r + r + 1.0;
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
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
    forward_row_plain(cell, row);
}

/// [`forward_row_plain`] compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn forward_row_avx512<T: CellMath>(cell: RecurrentCell, row: StepRow<'_, T>) {
    forward_row_plain(cell, row);
}

#[inline(always)]
fn forward_row_plain<T: CellMath>(cell: RecurrentCell, row: StepRow<'_, T>) {
    match cell {
        RecurrentCell::Tanh => tanh_forward(row),
        RecurrentCell::Lstm => lstm_forward(row),
        RecurrentCell::Gru => gru_forward(row),
    }
}

/// h = tanh(x_proj + h_proj); the gate keeps h too.
#[inline(always)]
fn tanh_forward<T: CellMath>(row: StepRow<'_, T>) {
    let h = row.h.len();
    let (gates, hw, out) = (&mut row.gates[..h], &row.hw[..h], &mut row.h[..h]);
    for j in 0..h {
        let a = (gates[j] + hw[j]).hyperbolic_tangent();
        gates[j] = a;
        out[j] = a;
    }
}

/// i, f, o = σ(·), g = tanh(·); c = f·c_prev + i·g; h = o·tanh(c).
#[inline(always)]
fn lstm_forward<T: CellMath>(row: StepRow<'_, T>) {
    let h = row.h.len();
    let (i, rest) = row.gates.split_at_mut(h);
    let (f, rest) = rest.split_at_mut(h);
    let (g, o) = rest.split_at_mut(h);
    let (o, hw) = (&mut o[..h], &row.hw[..4 * h]);
    let (c_prev, c, out) = (&row.c_prev[..h], &mut row.extra[..h], &mut row.h[..h]);
    for j in 0..h {
        let ig = (i[j] + hw[j]).logistic();
        let fg = (f[j] + hw[h + j]).logistic();
        let gg = (g[j] + hw[2 * h + j]).hyperbolic_tangent();
        let og = (o[j] + hw[3 * h + j]).logistic();
        let cj = fg * c_prev[j] + ig * gg;
        (i[j], f[j], g[j], o[j]) = (ig, fg, gg, og);
        c[j] = cj;
        out[j] = og * cj.hyperbolic_tangent();
    }
}

/// r, z = σ(·); n = tanh(x_n + r·hw_n); h = (1 − z)·n + z·h_prev, keeping hw_n.
#[inline(always)]
fn gru_forward<T: CellMath>(row: StepRow<'_, T>) {
    let h = row.h.len();
    let (r, rest) = row.gates.split_at_mut(h);
    let (z, n) = rest.split_at_mut(h);
    let (n, hw) = (&mut n[..h], &row.hw[..3 * h]);
    let (h_prev, hn, out) = (&row.h_prev[..h], &mut row.extra[..h], &mut row.h[..h]);
    for j in 0..h {
        let rg = (r[j] + hw[j]).logistic();
        let zg = (z[j] + hw[h + j]).logistic();
        let ng = (n[j] + rg * hw[2 * h + j]).hyperbolic_tangent();
        (r[j], z[j], n[j]) = (rg, zg, ng);
        hn[j] = hw[2 * h + j];
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
    backward_row_plain(cell, row);
}

/// [`backward_row_plain`] compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn backward_row_avx512<T: CellMath>(cell: RecurrentCell, row: GradRow<'_, T>) {
    backward_row_plain(cell, row);
}

#[inline(always)]
fn backward_row_plain<T: CellMath>(cell: RecurrentCell, row: GradRow<'_, T>) {
    match cell {
        RecurrentCell::Tanh => tanh_backward(row),
        RecurrentCell::Lstm => lstm_backward(row),
        RecurrentCell::Gru => gru_backward(row),
    }
}

/// d(pre-activation) = dh·(1 − h²).
#[inline(always)]
fn tanh_backward<T: CellMath>(row: GradRow<'_, T>) {
    let h = row.h.len();
    let (out, dy, dh, dgx) = (&row.h[..h], &row.dy[..h], &row.dh[..h], &mut row.dgx[..h]);
    for j in 0..h {
        dgx[j] = (dy[j] + dh[j]) * (T::one() - out[j] * out[j]);
    }
}

/// With t = tanh(c): dc += dh·o·(1 − t²); then di = dc·g, df = dc·c_prev,
/// dg = dc·i, do = dh·t, each times its function's derivative; dc_prev = dc·f.
#[inline(always)]
fn lstm_backward<T: CellMath>(row: GradRow<'_, T>) {
    let h = row.h.len();
    let one = T::one();
    let (gates, c, c_prev) = (&row.gates[..4 * h], &row.extra[..h], &row.c_prev[..h]);
    let (dy, dh, dc, dgx) = (&row.dy[..h], &row.dh[..h], &mut row.dc[..h], &mut row.dgx[..4 * h]);
    for j in 0..h {
        let (ig, fg, gg, og) = (gates[j], gates[h + j], gates[2 * h + j], gates[3 * h + j]);
        let dhj = dy[j] + dh[j];
        let t = c[j].hyperbolic_tangent();
        let dcj = dc[j] + dhj * og * (one - t * t);
        dgx[j] = dcj * gg * ig * (one - ig);
        dgx[h + j] = dcj * c_prev[j] * fg * (one - fg);
        dgx[2 * h + j] = dcj * ig * (one - gg * gg);
        dgx[3 * h + j] = dhj * t * og * (one - og);
        dc[j] = dcj * fg;
    }
}

/// dn = dh·(1 − z) through tanh to a_n; dr = a_n's gradient · hw_n; dz = dh·(h_prev − n);
/// the recurrent projection's n block gets a_n's gradient times r; dh_prev = dh·z (+ the product).
#[inline(always)]
fn gru_backward<T: CellMath>(row: GradRow<'_, T>) {
    let h = row.h.len();
    let one = T::one();
    let (gates, hn, h_prev, dy) = (&row.gates[..3 * h], &row.extra[..h], &row.h_prev[..h], &row.dy[..h]);
    let (dh, dgx, dgh) = (&mut row.dh[..h], &mut row.dgx[..3 * h], &mut row.dgh[..3 * h]);
    for j in 0..h {
        let (rg, zg, ng) = (gates[j], gates[h + j], gates[2 * h + j]);
        let dhj = dy[j] + dh[j];
        let dan = dhj * (one - zg) * (one - ng * ng);
        let dar = dan * hn[j] * rg * (one - rg);
        let daz = dhj * (h_prev[j] - ng) * zg * (one - zg);
        (dgx[j], dgx[h + j], dgx[2 * h + j]) = (dar, daz, dan);
        (dgh[j], dgh[h + j], dgh[2 * h + j]) = (dar, daz, dan * rg);
        dh[j] = dhj * zg;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_f32_gate_functions_match_the_library_ones() {
        let mut worst = (0.0f64, 0.0f64);
        for i in -20_000..=20_000 {
            let x = i as f32 * 0.005;
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            worst.0 = worst.0.max((x.logistic() as f64 - s).abs());
            worst.1 = worst.1.max((x.hyperbolic_tangent() as f64 - (x as f64).tanh()).abs());
        }
        assert!(worst.0 < 2e-7 && worst.1 < 4e-7, "largest errors (sigmoid, tanh): {worst:?}");
        for x in [-1e30f32, -200.0, 200.0, 1e30] {
            let (s, t) = (x.logistic(), x.hyperbolic_tangent());
            assert!(s.is_finite() && t.is_finite() && (0.0..=1.0).contains(&s) && t.abs() <= 1.0, "{x}: {s} {t}");
        }
        let rel = |x: f32| ((exp_f32(x) as f64) / (x as f64).exp() - 1.0).abs();
        assert!((-80..80).all(|i| rel(i as f32 + 0.37) < 3e-7), "exp off by more than 2 ulp");
    }
}
