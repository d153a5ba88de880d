//! Max and average pooling over contiguous `H×W` planes.
//!
//! Planes are split into parallel jobs of a few tens of kilobytes. The 2×2 stride-2
//! max pooling of most CNNs has its own loops, which read each pair of input rows once
//! and write every input cell's gradient directly (no zero-fill then scatter).

use super::super::pool;
use super::ConvElement;
use crate::Element;
use rayon::prelude::*;

/// The windows of a 2-D pooling: for each output row and column, the input range it covers
/// (already clipped to the input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolWindows {
    /// Input height and width.
    pub in_size: [usize; 2],
    /// Input rows `start..end` of each output row.
    pub rows: Vec<(usize, usize)>,
    /// Input columns `start..end` of each output column.
    pub cols: Vec<(usize, usize)>,
}

impl PoolWindows {
    fn in_plane(&self) -> usize {
        self.in_size[0] * self.in_size[1]
    }
    fn out_plane(&self) -> usize {
        self.rows.len() * self.cols.len()
    }
    /// Planes per parallel job, so small inputs stay on one thread.
    fn planes_per_job(&self, planes: usize) -> usize {
        let per_job = (1 << 15) / self.in_plane().max(1);
        per_job.clamp(1, planes.max(1))
    }
    /// Calls `f(output index, input row range, input column range)` for each output element.
    fn each(&self, mut f: impl FnMut(usize, (usize, usize), (usize, usize))) {
        let mut i = 0;
        for &r in &self.rows {
            for &c in &self.cols {
                f(i, r, c);
                i += 1;
            }
        }
    }
    /// Whether every window is a 2×2 block starting at an even row and column (kernel 2,
    /// stride 2, no padding): the case [`max_pool_2x2`] handles.
    fn is_2x2_stride_2(&self) -> bool {
        let pairs = |axis: &[(usize, usize)]| axis.iter().enumerate().all(|(i, &r)| r == (2 * i, 2 * i + 2));
        pairs(&self.rows) && pairs(&self.cols)
    }
}

/// Whether `v` replaces the running maximum `best`: a larger value, or a NaN, which then
/// stays (unless another NaN comes), so NaNs propagate like in PyTorch.
#[inline(always)]
fn beats<T: Element>(v: T, best: T) -> bool {
    v > best || v.is_nan()
}

pub(super) fn max_pool<T: Element>(x: &[T], planes: usize, win: &PoolWindows) -> (Vec<T>, Vec<u32>) {
    let (ip, op) = (win.in_plane(), win.out_plane());
    let mut out = pool::take::<T>(planes * op);
    let mut arg = vec![0u32; planes * op];
    if out.is_empty() {
        return (out, arg);
    }
    let job = win.planes_per_job(planes);
    let fast = win.is_2x2_stride_2();
    out.par_chunks_mut(op * job).zip(arg.par_chunks_mut(op * job)).enumerate().for_each(|(j, (out, arg))| {
        for (pi, (o, a)) in out.chunks_mut(op).zip(arg.chunks_mut(op)).enumerate() {
            let plane = &x[(j * job + pi) * ip..][..ip];
            if fast {
                max_pool_2x2(plane, win, o, a);
            } else {
                max_pool_plane(plane, win, o, a);
            }
        }
    });
    (out, arg)
}

/// Max pooling of one plane, each window's maximum kept in registers and chosen without
/// branches (random data would mispredict half the comparisons).
fn max_pool_plane<T: Element>(plane: &[T], win: &PoolWindows, out: &mut [T], arg: &mut [u32]) {
    let w = win.in_size[1];
    let mut i = 0;
    for &(r0, r1) in &win.rows {
        for &(c0, c1) in &win.cols {
            let (mut best, mut at) = (T::neg_infinity(), r0 * w + c0);
            for r in r0..r1 {
                for (c, &v) in plane[r * w + c0..r * w + c1].iter().enumerate() {
                    let take = beats(v, best);
                    best = if take { v } else { best };
                    at = if take { r * w + c0 + c } else { at };
                }
            }
            out[i] = best;
            arg[i] = at as u32;
            i += 1;
        }
    }
}

/// [`max_pool_plane`] for 2×2 windows at stride 2, with the same choices: the first
/// maximum in row-major order, or the last NaN if there is one. Each window is the
/// general scan unrolled into three compare-and-select steps ("take the cell if it is
/// larger or NaN"), with no data-dependent branch (a branch per comparison mispredicts
/// on real data) and no call, so the compiler can keep it in vector registers.
fn max_pool_2x2<T: Element>(plane: &[T], win: &PoolWindows, out: &mut [T], arg: &mut [u32]) {
    let w = win.in_size[1];
    let ow = win.cols.len();
    let step = |best: &mut T, at: &mut u32, v: T, place: u32| {
        let take = v > *best || v.is_nan();
        *best = if take { v } else { *best };
        *at = if take { place } else { *at };
    };
    for (oy, (o, a)) in out.chunks_exact_mut(ow).zip(arg.chunks_exact_mut(ow)).enumerate() {
        let top = &plane[2 * oy * w..][..2 * ow];
        let bottom = &plane[(2 * oy + 1) * w..][..2 * ow];
        let row = (2 * oy * w) as u32; // the first window's top-left cell
        for (ox, (o, a)) in o.iter_mut().zip(a.iter_mut()).enumerate() {
            let corner = row + 2 * ox as u32;
            let (mut best, mut at) = (top[2 * ox], corner);
            step(&mut best, &mut at, top[2 * ox + 1], corner + 1);
            step(&mut best, &mut at, bottom[2 * ox], corner + w as u32);
            step(&mut best, &mut at, bottom[2 * ox + 1], corner + w as u32 + 1);
            *o = best;
            *a = at;
        }
    }
}

pub(super) fn max_pool_backward<T: ConvElement>(gout: &[T], arg: &[u32], planes: usize, win: &PoolWindows) -> Vec<T> {
    let (ip, op) = (win.in_plane(), win.out_plane());
    let fast = win.is_2x2_stride_2();
    let mut dx = if fast { pool::take::<T>(planes * ip) } else { vec![T::zero(); planes * ip] };
    if dx.is_empty() {
        return dx;
    }
    let job = win.planes_per_job(planes);
    dx.par_chunks_mut(ip * job).enumerate().for_each(|(j, dx)| {
        for (pi, d) in dx.chunks_mut(ip).enumerate() {
            let at = (j * job + pi) * op;
            let (g, a) = (&gout[at..at + op], &arg[at..at + op]);
            if fast {
                unpool_2x2(g, a, win, d);
            } else {
                g.iter().zip(a).for_each(|(&gv, &a)| d[a as usize] += gv);
            }
        }
    });
    dx
}

/// Writes every cell of one plane's input gradient for 2×2 stride-2 windows: zeros, then
/// the output gradient at each window's maximum (a store at a computed place rather than
/// a comparison per cell, which the compiler turns into mispredicted branches).
fn unpool_2x2<T: Element>(g: &[T], arg: &[u32], win: &PoolWindows, dx: &mut [T]) {
    let ow = win.cols.len();
    dx.iter_mut().for_each(|v| *v = T::zero());
    for (g, a) in g.chunks_exact(ow).zip(arg.chunks_exact(ow)) {
        for (&gv, &a) in g.iter().zip(a) {
            dx[a as usize] = gv;
        }
    }
}

/// The divisor of each window: a fixed count (padding counted) or the window's own size.
fn divisor(fixed: Option<usize>, (r0, r1): (usize, usize), (c0, c1): (usize, usize)) -> f64 {
    fixed.unwrap_or((r1 - r0) * (c1 - c0)) as f64
}

pub(super) fn avg_pool<T: Element>(x: &[T], planes: usize, win: &PoolWindows, fixed: Option<usize>) -> Vec<T> {
    let (ip, op, w) = (win.in_plane(), win.out_plane(), win.in_size[1]);
    let mut out = vec![T::zero(); planes * op];
    if out.is_empty() {
        return out;
    }
    let job = win.planes_per_job(planes);
    out.par_chunks_mut(op * job).enumerate().for_each(|(j, out)| {
        for (pi, o) in out.chunks_mut(op).enumerate() {
            let plane = &x[(j * job + pi) * ip..][..ip];
            win.each(|i, rows, cols| {
                let sum: T =
                    (rows.0..rows.1).map(|r| plane[r * w + cols.0..r * w + cols.1].iter().copied().sum()).sum();
                o[i] = sum / T::of(divisor(fixed, rows, cols));
            });
        }
    });
    out
}

pub(super) fn avg_pool_backward<T: ConvElement>(
    gout: &[T],
    planes: usize,
    win: &PoolWindows,
    fixed: Option<usize>,
) -> Vec<T> {
    let (ip, op, w) = (win.in_plane(), win.out_plane(), win.in_size[1]);
    let mut dx = vec![T::zero(); planes * ip];
    if dx.is_empty() {
        return dx;
    }
    let job = win.planes_per_job(planes);
    dx.par_chunks_mut(ip * job).enumerate().for_each(|(j, dx)| {
        for (pi, d) in dx.chunks_mut(ip).enumerate() {
            let gs = &gout[(j * job + pi) * op..][..op];
            win.each(|i, rows, cols| {
                let share = gs[i] / T::of(divisor(fixed, rows, cols));
                for r in rows.0..rows.1 {
                    d[r * w + cols.0..r * w + cols.1].iter_mut().for_each(|v| *v += share);
                }
            });
        }
    });
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Windows of a k×k pooling at stride s without padding over an h×w input.
    fn windows(h: usize, w: usize, k: usize, s: usize) -> PoolWindows {
        let axis = |len: usize| (0..(len - k) / s + 1).map(|o| (o * s, o * s + k)).collect();
        PoolWindows { in_size: [h, w], rows: axis(h), cols: axis(w) }
    }

    #[test]
    fn only_2x2_stride_2_windows_take_the_fast_path() {
        assert!(windows(6, 7, 2, 2).is_2x2_stride_2());
        assert!(!windows(6, 7, 2, 1).is_2x2_stride_2());
        assert!(!windows(6, 7, 3, 2).is_2x2_stride_2());
    }

    #[test]
    fn the_2x2_loops_match_the_general_ones_on_odd_sizes_ties_and_nans() {
        let (h, w) = (7, 9);
        let win = windows(h, w, 2, 2);
        // Few distinct values make ties common; a NaN and infinities test the edge rules.
        let mut x: Vec<f64> = (0..h * w).map(|i| ((i * 37) % 5) as f64 - 2.0).collect();
        // Two NaNs in the window at columns 2-3 (the last one wins), one in the window at 4-5.
        for i in [3, 12, 4] {
            x[i] = f64::NAN;
        }
        for i in [20, 21, 29, 30] {
            x[i] = f64::NEG_INFINITY; // the whole window at rows 2-3, columns 2-3
        }
        let op = win.out_plane();
        let (mut fast, mut fast_arg) = (vec![0.0; op], vec![0u32; op]);
        let (mut slow, mut slow_arg) = (vec![0.0; op], vec![0u32; op]);
        max_pool_2x2(&x, &win, &mut fast, &mut fast_arg);
        max_pool_plane(&x, &win, &mut slow, &mut slow_arg);
        assert_eq!(fast_arg, slow_arg);
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        assert!(fast.iter().zip(&slow).all(|(&a, &b)| same(a, b)), "{fast:?} vs {slow:?}");

        let g: Vec<f64> = (0..op).map(|i| i as f64 + 1.0).collect();
        let mut scattered = vec![0.0; h * w];
        g.iter().zip(&slow_arg).for_each(|(&gv, &a)| scattered[a as usize] += gv);
        let mut written = vec![f64::NAN; h * w]; // stale values must all be overwritten
        unpool_2x2(&g, &fast_arg, &win, &mut written);
        assert_eq!(written, scattered);
    }
}
