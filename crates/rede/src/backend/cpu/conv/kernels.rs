//! Convolution forward and backward kernels: im2col + one GEMM per sample and group.
//!
//! Every product is set up with the output plane (`OH·OW` positions, hundreds long) as
//! its row dimension, where the GEMM microkernel wants the long side, and the channels
//! (a handful to a few dozen) as columns: a `[P, O]` product written straight into the
//! `[O, P]` output through strides, so no product is copied or transposed afterwards.
//! Samples are split into blocks run in parallel; each block unrolls one sample at a
//! time into a thread-local scratch patch matrix (a few tens of kilobytes, kept in cache).

use super::super::pool;
use super::unroll::{col2im, im2col, spare_len};
use super::{ConvElement, ConvGeometry};
use crate::Element;
use gemm::Parallelism;
use rayon::prelude::*;

/// A matrix view: element (r, c) is `data[r·rs + c·cs]`.
struct Mat<S> {
    data: S,
    rs: usize,
    cs: usize,
}

/// Offset of the last element of an `rows × cols` view with strides `rs`, `cs`.
fn last(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    (rows - 1) * rs + (cols - 1) * cs
}

/// `dst[m×n] = (accumulate ? dst : 0) + a[m×k] · b[k×n]` on the calling thread.
fn gemm_serial<T: Element>(
    (m, n, k): (usize, usize, usize),
    dst: Mat<&mut [T]>,
    a: Mat<&[T]>,
    b: Mat<&[T]>,
    accumulate: bool,
) {
    if m == 0 || n == 0 || k == 0 {
        if !accumulate && m > 0 && n > 0 {
            (0..m).for_each(|r| (0..n).for_each(|c| dst.data[r * dst.rs + c * dst.cs] = T::zero()));
        }
        return;
    }
    assert!(
        last(m, n, dst.rs, dst.cs) < dst.data.len()
            && last(m, k, a.rs, a.cs) < a.data.len()
            && last(k, n, b.rs, b.cs) < b.data.len()
    );
    // SAFETY: the assert above keeps every element gemm touches inside the three slices;
    // gemm reads `dst` only when `accumulate` is set.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.data.as_mut_ptr(),
            dst.cs as isize,
            dst.rs as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            T::one(),
            T::one(),
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// Sizes used by the kernels: patch rows K, output plane P, outputs per group, per-sample lengths.
struct Dims {
    k: usize,
    p: usize,
    og: usize,
    x_sample: usize,
    out_sample: usize,
    group_len: usize,
}

impl Dims {
    fn of(g: &ConvGeometry) -> Dims {
        Dims {
            k: g.patch_len(),
            p: g.out_plane(),
            og: g.group_out(),
            x_sample: g.in_channels * g.in_plane(),
            out_sample: g.out_channels * g.out_plane(),
            group_len: g.group_in() * g.in_plane(),
        }
    }

    /// Group `gi` of one sample's input.
    fn input_group<'a, T>(&self, xs: &'a [T], gi: usize) -> &'a [T] {
        &xs[gi * self.group_len..][..self.group_len]
    }

    /// The patch matrix `[K, P]` of a sample as the `[P, K]` left operand (column-major,
    /// which the GEMM reads without packing).
    fn patches_t<'a, T>(&self, col: &'a [T]) -> Mat<&'a [T]> {
        Mat { data: col, rs: 1, cs: self.p }
    }

    /// Group `gi` of one sample's output (or output gradient) `[O, P]` viewed as `[P, O/groups]`.
    fn plane_t<S: AsRef<[T]>, T>(&self, data: S) -> Mat<S> {
        Mat { data, rs: 1, cs: self.p }
    }
}

/// Samples per parallel block: a few blocks per thread so a busy core can hand work to an
/// idle one, or a single block when the whole batch is too little work to split.
fn block(g: &ConvGeometry) -> usize {
    let work = g.batch * g.out_channels * g.out_plane() * g.patch_len();
    if work < 1 << 18 {
        return g.batch.max(1);
    }
    g.batch.div_ceil(4 * rayon::current_num_threads()).max(1)
}

/// `y[o, ·] = bias[o]` for each channel plane of one sample's output.
fn fill_bias<T: Element>(y: &mut [T], bias: &[T], plane: usize) {
    for (row, &b) in y.chunks_exact_mut(plane).zip(bias) {
        row.iter_mut().for_each(|v| *v = b);
    }
}

pub(super) fn forward<T: ConvElement>(x: &[T], w: &[T], bias: Option<&[T]>, g: &ConvGeometry) -> Vec<T> {
    let d = Dims::of(g);
    let mut out = pool::take::<T>(g.batch * d.out_sample);
    if out.is_empty() {
        return out;
    }
    let block = block(g);
    out.par_chunks_mut(d.out_sample * block).enumerate().for_each(|(bi, dst)| {
        T::with_scratch(d.k * d.p + spare_len(g), |scratch| {
            let (col, spare) = scratch.split_at_mut(d.k * d.p);
            for (s, y) in dst.chunks_exact_mut(d.out_sample).enumerate() {
                let xs = &x[(bi * block + s) * d.x_sample..][..d.x_sample];
                if let Some(b) = bias {
                    fill_bias(y, b, d.p);
                }
                for gi in 0..g.groups {
                    im2col(d.input_group(xs, gi), g, col, spare);
                    // y_gᵀ [P, og] (+)= patchesᵀ [P, K] · W_gᵀ [K, og]
                    let wt = Mat { data: &w[gi * d.og * d.k..], rs: 1, cs: d.k };
                    let yg = d.plane_t(&mut y[gi * d.og * d.p..]);
                    gemm_serial((d.p, d.og, d.k), yg, d.patches_t(col), wt, bias.is_some());
                }
            }
        })
    });
    out
}

pub(super) fn grad_input<T: ConvElement>(gout: &[T], w: &[T], g: &ConvGeometry) -> Vec<T> {
    let d = Dims::of(g);
    let mut dx = pool::take::<T>(g.batch * d.x_sample);
    if dx.is_empty() {
        return dx;
    }
    let block = block(g);
    dx.par_chunks_mut(d.x_sample * block).enumerate().for_each(|(bi, dst)| {
        T::with_scratch(d.k * d.p + spare_len(g), |scratch| {
            let (dcol, spare) = scratch.split_at_mut(d.k * d.p);
            for (s, dxs) in dst.chunks_exact_mut(d.x_sample).enumerate() {
                let gs = &gout[(bi * block + s) * d.out_sample..][..d.out_sample];
                dxs.iter_mut().for_each(|v| *v = T::zero());
                for gi in 0..g.groups {
                    // dpatchesᵀ [P, K] = g_gᵀ [P, og] · W_g [og, K]
                    let wg = Mat { data: &w[gi * d.og * d.k..], rs: d.k, cs: 1 };
                    let dst = Mat { data: &mut dcol[..], rs: 1, cs: d.p };
                    gemm_serial((d.p, d.k, d.og), dst, d.plane_t(&gs[gi * d.og * d.p..]), wg, false);
                    col2im(dcol, g, &mut dxs[gi * d.group_len..][..d.group_len], spare);
                }
            }
        })
    });
    dx
}

pub(super) fn grad_weight<T: ConvElement>(x: &[T], gout: &[T], g: &ConvGeometry) -> Vec<T> {
    let d = Dims::of(g);
    let block = block(g);
    let partial = |bi: usize| {
        let mut dw = vec![T::zero(); g.out_channels * d.k];
        T::with_scratch(d.k * d.p + spare_len(g), |scratch| {
            let (col, spare) = scratch.split_at_mut(d.k * d.p);
            for s in bi * block..(bi * block + block).min(g.batch) {
                let xs = &x[s * d.x_sample..][..d.x_sample];
                let gs = &gout[s * d.out_sample..][..d.out_sample];
                for gi in 0..g.groups {
                    im2col(d.input_group(xs, gi), g, col, spare);
                    // dW_gᵀ [K, og] += patches [K, P] · g_gᵀ [P, og]
                    let patches = Mat { data: &col[..], rs: d.p, cs: 1 };
                    let dst = Mat { data: &mut dw[gi * d.og * d.k..(gi + 1) * d.og * d.k], rs: 1, cs: d.k };
                    gemm_serial((d.k, d.og, d.p), dst, patches, d.plane_t(&gs[gi * d.og * d.p..]), true);
                }
            }
        });
        dw
    };
    (0..g.batch.div_ceil(block))
        .into_par_iter()
        .map(partial)
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        })
        .unwrap_or_else(|| vec![T::zero(); g.out_channels * d.k])
}

/// Sum of a slice in 16 independent lanes, which the compiler keeps in vector registers
/// (a plain `sum()` must add in order, one element at a time).
fn lane_sum<T: Element>(v: &[T]) -> T {
    const LANES: usize = 16;
    let mut acc = [T::zero(); LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        acc.iter_mut().zip(c).for_each(|(a, &x)| *a = *a + x);
    }
    acc.iter().copied().sum::<T>() + tail.iter().copied().sum::<T>()
}

/// Sum of each channel's planes over all samples, one channel per parallel job when the
/// gradient is large enough to split.
pub(super) fn grad_bias<T: ConvElement>(gout: &[T], g: &ConvGeometry) -> Vec<T> {
    let (p, sample) = (g.out_plane(), g.out_channels * g.out_plane());
    if gout.is_empty() {
        return vec![T::zero(); g.out_channels];
    }
    let channel = |o: usize| gout.chunks_exact(sample).map(|s| lane_sum(&s[o * p..][..p])).sum::<T>();
    if gout.len() < super::super::PARALLEL_THRESHOLD {
        return (0..g.out_channels).map(channel).collect();
    }
    (0..g.out_channels).into_par_iter().map(channel).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_sum_adds_every_element_including_the_tail() {
        for len in [0, 1, 15, 16, 17, 100] {
            let v: Vec<f64> = (0..len).map(|i| i as f64 + 0.5).collect();
            assert_eq!(lane_sum(&v), v.iter().sum::<f64>(), "length {len}");
        }
    }

    #[test]
    fn grad_bias_sums_each_channel_on_both_the_serial_and_the_parallel_path() {
        for (batch, side) in [(2, 3), (3, 120)] {
            let g = ConvGeometry {
                batch,
                in_channels: 1,
                in_size: [side, side],
                out_channels: 4,
                kernel: [1, 1],
                stride: [1, 1],
                padding: [0, 0],
                dilation: [1, 1],
                groups: 1,
                out_size: [side, side],
            };
            let p = side * side;
            let gout: Vec<f64> = (0..batch * 4 * p).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
            let expected: Vec<f64> =
                (0..4).map(|o| (0..batch).map(|n| gout[(n * 4 + o) * p..][..p].iter().sum::<f64>()).sum()).collect();
            assert_eq!(grad_bias(&gout, &g), expected, "{batch} samples of {side}x{side}");
        }
    }
}
