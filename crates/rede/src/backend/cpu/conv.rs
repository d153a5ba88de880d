//! Convolution and pooling kernels over contiguous `[N, C, H, W]` buffers.
//!
//! Convolution is im2col + GEMM: each sample's input patches are unrolled into a
//! `[C/groups · kh · kw, OH · OW]` matrix so the convolution of a group becomes one
//! matrix product with the weights `[O/groups, C/groups · kh · kw]`. The input
//! gradient is the transposed product followed by col2im (scatter-adding the patches
//! back), the weight gradient the product of the output gradient with the patches.
//! Samples are split into one block per thread; each block unrolls into a
//! thread-local scratch matrix that is kept between calls, so the steady state
//! allocates only the results.

use super::CpuStorage;
use crate::layout::Layout;
use crate::Element;
use gemm::Parallelism;
use rayon::prelude::*;
use std::cell::RefCell;

/// The sizes of one 2-D convolution (1-D convolutions use a height of 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Samples N.
    pub batch: usize,
    /// Input channels C.
    pub in_channels: usize,
    /// Input height and width.
    pub in_size: [usize; 2],
    /// Output channels O.
    pub out_channels: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Step between windows.
    pub stride: [usize; 2],
    /// Implicit zeros on each side.
    pub padding: [usize; 2],
    /// Spacing between kernel taps.
    pub dilation: [usize; 2],
    /// Channel groups (each output channel sees `C / groups` inputs).
    pub groups: usize,
    /// Output height and width.
    pub out_size: [usize; 2],
}

impl ConvGeometry {
    fn group_in(&self) -> usize {
        self.in_channels / self.groups
    }
    fn group_out(&self) -> usize {
        self.out_channels / self.groups
    }
    /// Rows of the unrolled patch matrix of one group: `C/groups · kh · kw`.
    fn patch_len(&self) -> usize {
        self.group_in() * self.kernel[0] * self.kernel[1]
    }
    fn in_plane(&self) -> usize {
        self.in_size[0] * self.in_size[1]
    }
    fn out_plane(&self) -> usize {
        self.out_size[0] * self.out_size[1]
    }
    /// Samples unrolled side by side into one patch matrix, so each GEMM has about a
    /// thousand columns even when the output plane is small.
    fn sub_batch(&self) -> usize {
        1024usize.div_ceil(self.out_plane().max(1)).clamp(1, self.batch.max(1))
    }
    /// Scratch elements for one sub-batch: the patch matrix and an `[O/groups, columns]` product.
    fn scratch_len(&self) -> usize {
        (self.patch_len() + self.group_out()) * self.sub_batch() * self.out_plane()
    }
    /// Samples per parallel block: one block per thread, or a single block for small work.
    fn block(&self) -> usize {
        let work = self.batch * self.out_channels * self.out_plane() * self.patch_len();
        if work < 1 << 16 {
            return self.batch.max(1);
        }
        self.batch.div_ceil(rayon::current_num_threads()).max(1)
    }
}

/// Elements with a per-thread scratch buffer for the patch matrix.
pub(crate) trait ConvElement: Element + std::ops::AddAssign {
    /// Runs `f` on a scratch slice of `len` elements (contents unspecified).
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;
}

macro_rules! conv_element {
    ($t:ty, $cell:ident) => {
        thread_local! {
            static $cell: RefCell<Vec<$t>> = const { RefCell::new(Vec::new()) };
        }
        impl ConvElement for $t {
            fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R {
                $cell.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut buf) => {
                        if buf.len() < len {
                            buf.resize(len, 0.0);
                        }
                        f(&mut buf[..len])
                    }
                    // Re-entered on this thread (should not happen): fall back to a fresh buffer.
                    Err(_) => f(&mut vec![0.0; len]),
                })
            }
        }
    };
}
conv_element!(f32, SCRATCH_F32);
conv_element!(f64, SCRATCH_F64);

/// A read-only matrix view: element (r, c) is `data[r·rs + c·cs]`.
#[derive(Clone, Copy)]
struct Mat<'a, T> {
    data: &'a [T],
    rs: usize,
    cs: usize,
}

/// `dst[m×n] (row stride n) = (accumulate ? dst : 0) + a[m×k] · b[k×n]` on the calling thread.
fn gemm_serial<T: Element>(m: usize, n: usize, k: usize, dst: &mut [T], a: Mat<T>, b: Mat<T>, accumulate: bool) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    let last = |x: Mat<T>, rows: usize, cols: usize| (rows - 1) * x.rs + (cols - 1) * x.cs;
    assert!(dst.len() >= m * n && last(a, m, k) < a.data.len() && last(b, k, n) < b.data.len());
    let alpha = if accumulate { T::one() } else { T::zero() };
    // SAFETY: the assert above keeps every element gemm touches inside the three slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            alpha,
            T::one(),
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// Output positions `lo..hi` along one axis whose input coordinate `o·stride + shift` lies in `0..len`.
fn valid_range(shift: isize, stride: usize, len: usize, out: usize) -> (usize, usize) {
    let s = stride as isize;
    let lo = if shift >= 0 { 0 } else { ((-shift + s - 1) / s) as usize };
    let end = len as isize - shift;
    let hi = if end <= 0 { 0 } else { ((end + s - 1) / s) as usize };
    let lo = lo.min(out);
    (lo, hi.clamp(lo, out))
}

/// Visits every (patch row, output row) pair of one group: `f(at, input_row, cols, shift, stride)`
/// where `at = patch_row · ld + oy · OW` is where that stretch of `OW` outputs starts in a patch
/// matrix with rows of length `ld`, `input_row` the offset of the input row it reads (None in
/// the padding), `cols` the valid output columns and `ox·stride + shift` the input column of `ox`.
fn for_each_patch_row(
    g: &ConvGeometry,
    ld: usize,
    mut f: impl FnMut(usize, Option<usize>, (usize, usize), isize, usize),
) {
    let [kh, kw] = g.kernel;
    let [h, w] = g.in_size;
    let [oh, ow] = g.out_size;
    for c in 0..g.group_in() {
        for ki in 0..kh {
            let shift_y = (ki * g.dilation[0]) as isize - g.padding[0] as isize;
            let (y_lo, y_hi) = valid_range(shift_y, g.stride[0], h, oh);
            for kj in 0..kw {
                let shift_x = (kj * g.dilation[1]) as isize - g.padding[1] as isize;
                let cols = valid_range(shift_x, g.stride[1], w, ow);
                let row = (c * kh + ki) * kw + kj;
                for oy in 0..oh {
                    let src = (y_lo..y_hi)
                        .contains(&oy)
                        .then(|| c * h * w + ((oy * g.stride[0]) as isize + shift_y) as usize * w);
                    f(row * ld + oy * ow, src, cols, shift_x, g.stride[1]);
                }
            }
        }
    }
}

/// Unrolls one sample's group `[C/groups, H, W]` into `OH·OW` columns of a patch matrix
/// `[C/groups·kh·kw, ld]` (`col` starts at the sample's first column).
fn im2col<T: Element>(x: &[T], g: &ConvGeometry, col: &mut [T], ld: usize) {
    let ow = g.out_size[1];
    for_each_patch_row(g, ld, |at, src, (lo, hi), shift, stride| {
        let dst = &mut col[at..at + ow];
        let Some(src) = src else {
            dst.fill(T::zero());
            return;
        };
        dst[..lo].fill(T::zero());
        dst[hi..].fill(T::zero());
        if stride == 1 {
            let start = (src as isize + lo as isize + shift) as usize;
            dst[lo..hi].copy_from_slice(&x[start..start + hi - lo]);
        } else {
            for (ox, d) in dst.iter_mut().enumerate().take(hi).skip(lo) {
                *d = x[(src as isize + (ox * stride) as isize + shift) as usize];
            }
        }
    });
}

/// Adds one sample's columns of the patch matrix back into its group's input gradient
/// (the adjoint of [`im2col`]).
fn col2im<T: ConvElement>(col: &[T], g: &ConvGeometry, dx: &mut [T], ld: usize) {
    for_each_patch_row(g, ld, |at, src, (lo, hi), shift, stride| {
        let Some(src) = src else { return };
        for ox in lo..hi {
            dx[(src as isize + (ox * stride) as isize + shift) as usize] += col[at + ox];
        }
    });
}

/// The contiguous elements of `layout` in `data`.
fn packed<'a, T>(data: &'a [T], layout: &Layout) -> &'a [T] {
    assert!(layout.is_contiguous(), "convolution kernels need contiguous operands");
    &data[layout.offset()..layout.offset() + layout.numel()]
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
}

/// Calls `f(first_sample, count)` for each sub-batch of the `samples` samples starting at `first`.
fn sub_batches(g: &ConvGeometry, first: usize, samples: usize, mut f: impl FnMut(usize, usize)) {
    let sb = g.sub_batch();
    for s0 in (0..samples).step_by(sb) {
        f(first + s0, sb.min(samples - s0));
    }
}

/// Unrolls group `gi` of samples `first..first+n` into `col` `[K, n·P]`.
fn unroll<T: Element>(x: &[T], g: &ConvGeometry, d: &Dims, gi: usize, (first, n): (usize, usize), col: &mut [T]) {
    for s in 0..n {
        let xs = &x[(first + s) * d.x_sample + gi * d.group_len..][..d.group_len];
        im2col(xs, g, &mut col[s * d.p..], n * d.p);
    }
}

/// Copies group `gi` of the output gradient of samples `first..first+n` into `buf` `[O/groups, n·P]`.
fn gather_outputs<T: Element>(gout: &[T], d: &Dims, gi: usize, (first, n): (usize, usize), buf: &mut [T]) {
    for o in 0..d.og {
        for s in 0..n {
            let src = &gout[(first + s) * d.out_sample + (gi * d.og + o) * d.p..][..d.p];
            buf[o * n * d.p + s * d.p..][..d.p].copy_from_slice(src);
        }
    }
}

fn forward<T: ConvElement>(x: &[T], w: &[T], bias: Option<&[T]>, g: &ConvGeometry) -> Vec<T> {
    let d = Dims::of(g);
    let mut out = vec![T::zero(); g.batch * d.out_sample];
    let block = g.block();
    out.par_chunks_mut(d.out_sample * block).enumerate().for_each(|(bi, dst)| {
        T::with_scratch(g.scratch_len(), |scratch| {
            let (col, prod) = scratch.split_at_mut(d.k * g.sub_batch() * d.p);
            sub_batches(g, bi * block, dst.len() / d.out_sample, |first, n| {
                let ld = n * d.p;
                for gi in 0..g.groups {
                    unroll(x, g, &d, gi, (first, n), col);
                    let wg = Mat { data: &w[gi * d.og * d.k..], rs: d.k, cs: 1 };
                    gemm_serial(d.og, ld, d.k, prod, wg, Mat { data: &col[..d.k * ld], rs: ld, cs: 1 }, false);
                    // prod is [og, n·P]; the output is [n, O, P].
                    for o in 0..d.og {
                        let b = bias.map_or(T::zero(), |b| b[gi * d.og + o]);
                        for s in 0..n {
                            let at = (first - bi * block + s) * d.out_sample + (gi * d.og + o) * d.p;
                            let src = &prod[o * ld + s * d.p..][..d.p];
                            dst[at..at + d.p].iter_mut().zip(src).for_each(|(y, &v)| *y = v + b);
                        }
                    }
                }
            });
        })
    });
    out
}

fn grad_input<T: ConvElement>(gout: &[T], w: &[T], g: &ConvGeometry) -> Vec<T> {
    let d = Dims::of(g);
    let mut dx = vec![T::zero(); g.batch * d.x_sample];
    let block = g.block();
    dx.par_chunks_mut(d.x_sample * block).enumerate().for_each(|(bi, dst)| {
        T::with_scratch(g.scratch_len(), |scratch| {
            let (dcol, gbuf) = scratch.split_at_mut(d.k * g.sub_batch() * d.p);
            sub_batches(g, bi * block, dst.len() / d.x_sample, |first, n| {
                let ld = n * d.p;
                for gi in 0..g.groups {
                    gather_outputs(gout, &d, gi, (first, n), gbuf);
                    // Wᵀ of this group, [K, og], read through strides.
                    let wt = Mat { data: &w[gi * d.og * d.k..], rs: 1, cs: d.k };
                    gemm_serial(d.k, ld, d.og, dcol, wt, Mat { data: &gbuf[..d.og * ld], rs: ld, cs: 1 }, false);
                    for s in 0..n {
                        let at = (first - bi * block + s) * d.x_sample + gi * d.group_len;
                        col2im(&dcol[s * d.p..], g, &mut dst[at..at + d.group_len], ld);
                    }
                }
            });
        })
    });
    dx
}

fn grad_weight<T: ConvElement>(x: &[T], gout: &[T], g: &ConvGeometry) -> Vec<T> {
    let d = Dims::of(g);
    let block = g.block();
    let partial = |bi: usize| {
        let mut dw = vec![T::zero(); g.out_channels * d.k];
        T::with_scratch(g.scratch_len(), |scratch| {
            let (col, gbuf) = scratch.split_at_mut(d.k * g.sub_batch() * d.p);
            let samples = block.min(g.batch - bi * block);
            sub_batches(g, bi * block, samples, |first, n| {
                let ld = n * d.p;
                for gi in 0..g.groups {
                    unroll(x, g, &d, gi, (first, n), col);
                    gather_outputs(gout, &d, gi, (first, n), gbuf);
                    // dW_g += g_g [og, n·P] · patchesᵀ [n·P, K]
                    let gg = Mat { data: &gbuf[..d.og * ld], rs: ld, cs: 1 };
                    let pt = Mat { data: &col[..d.k * ld], rs: 1, cs: ld };
                    gemm_serial(d.og, d.k, ld, &mut dw[gi * d.og * d.k..(gi + 1) * d.og * d.k], gg, pt, true);
                }
            });
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

fn grad_bias<T: ConvElement>(gout: &[T], g: &ConvGeometry) -> Vec<T> {
    let mut db = vec![T::zero(); g.out_channels];
    for sample in gout.chunks(g.out_channels * g.out_plane()) {
        for (d, plane) in db.iter_mut().zip(sample.chunks(g.out_plane())) {
            *d += plane.iter().copied().sum::<T>();
        }
    }
    db
}

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
}

fn max_pool<T: Element>(x: &[T], planes: usize, win: &PoolWindows) -> (Vec<T>, Vec<u32>) {
    let (ip, op) = (win.in_plane(), win.out_plane());
    let mut out = vec![T::zero(); planes * op];
    let mut arg = vec![0u32; planes * op];
    let job = win.planes_per_job(planes);
    out.par_chunks_mut(op * job).zip(arg.par_chunks_mut(op * job)).enumerate().for_each(|(j, (out, arg))| {
        for (pi, (o, a)) in out.chunks_mut(op).zip(arg.chunks_mut(op)).enumerate() {
            max_pool_plane(&x[(j * job + pi) * ip..][..ip], win, o, a);
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
                    // A NaN wins and then stays, so it propagates like in PyTorch.
                    let take = v > best || v.is_nan();
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

fn max_pool_backward<T: ConvElement>(gout: &[T], arg: &[u32], planes: usize, win: &PoolWindows) -> Vec<T> {
    let (ip, op) = (win.in_plane(), win.out_plane());
    let mut dx = vec![T::zero(); planes * ip];
    let job = win.planes_per_job(planes);
    dx.par_chunks_mut(ip * job).enumerate().for_each(|(j, dx)| {
        for (pi, d) in dx.chunks_mut(ip).enumerate() {
            let at = (j * job + pi) * op;
            for (&gv, &a) in gout[at..at + op].iter().zip(&arg[at..at + op]) {
                d[a as usize] += gv;
            }
        }
    });
    dx
}

/// The divisor of each window: a fixed count (padding counted) or the window's own size.
fn divisor(fixed: Option<usize>, (r0, r1): (usize, usize), (c0, c1): (usize, usize)) -> f64 {
    fixed.unwrap_or((r1 - r0) * (c1 - c0)) as f64
}

fn avg_pool<T: Element>(x: &[T], planes: usize, win: &PoolWindows, fixed: Option<usize>) -> Vec<T> {
    let (ip, op, w) = (win.in_plane(), win.out_plane(), win.in_size[1]);
    let mut out = vec![T::zero(); planes * op];
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

fn avg_pool_backward<T: ConvElement>(gout: &[T], planes: usize, win: &PoolWindows, fixed: Option<usize>) -> Vec<T> {
    let (ip, op, w) = (win.in_plane(), win.out_plane(), win.in_size[1]);
    let mut dx = vec![T::zero(); planes * ip];
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

/// Dispatches `$body` on two buffers of one element type, with typed slices `$a`, `$b`.
macro_rules! typed2 {
    ($sa:expr, $sb:expr, $a:ident, $b:ident => $body:expr) => {
        match ($sa, $sb) {
            (CpuStorage::F32($a), CpuStorage::F32($b)) => CpuStorage::F32($body),
            (CpuStorage::F64($a), CpuStorage::F64($b)) => CpuStorage::F64($body),
            _ => unreachable!("element types are checked before kernels run"),
        }
    };
}

impl CpuStorage {
    /// Convolution of the input `[N, C, H, W]` (this buffer under `layout`) with the
    /// weights `[O, C/groups, kh, kw]`, plus the bias `[O]`; the result is contiguous
    /// `[N, O, OH, OW]`. All operands must be contiguous.
    pub fn conv2d(
        &self,
        layout: &Layout,
        weight: (&CpuStorage, &Layout),
        bias: Option<&CpuStorage>,
        geometry: &ConvGeometry,
    ) -> CpuStorage {
        match (self, weight.0, bias) {
            (CpuStorage::F32(x), CpuStorage::F32(w), b) => CpuStorage::F32(forward(
                packed(x, layout),
                packed(w, weight.1),
                b.map(|b| b.as_slice::<f32>().expect("bias element type is checked")),
                geometry,
            )),
            (CpuStorage::F64(x), CpuStorage::F64(w), b) => CpuStorage::F64(forward(
                packed(x, layout),
                packed(w, weight.1),
                b.map(|b| b.as_slice::<f64>().expect("bias element type is checked")),
                geometry,
            )),
            _ => unreachable!("element types are checked before kernels run"),
        }
    }

    /// Gradient of [`CpuStorage::conv2d`] with respect to its input, from the output gradient
    /// (this buffer) and the weights.
    pub fn conv2d_grad_input(
        &self,
        layout: &Layout,
        weight: (&CpuStorage, &Layout),
        geometry: &ConvGeometry,
    ) -> CpuStorage {
        typed2!(self, weight.0, g, w => grad_input(packed(g, layout), packed(w, weight.1), geometry))
    }

    /// Gradient of [`CpuStorage::conv2d`] with respect to its weights, from the input
    /// (this buffer) and the output gradient.
    pub fn conv2d_grad_weight(
        &self,
        layout: &Layout,
        gout: (&CpuStorage, &Layout),
        geometry: &ConvGeometry,
    ) -> CpuStorage {
        typed2!(self, gout.0, x, g => grad_weight(packed(x, layout), packed(g, gout.1), geometry))
    }

    /// Gradient of [`CpuStorage::conv2d`] with respect to its bias: the output gradient
    /// (this buffer) summed over samples and positions.
    pub fn conv2d_grad_bias(&self, layout: &Layout, geometry: &ConvGeometry) -> CpuStorage {
        match self {
            CpuStorage::F32(g) => CpuStorage::F32(grad_bias(packed(g, layout), geometry)),
            CpuStorage::F64(g) => CpuStorage::F64(grad_bias(packed(g, layout), geometry)),
        }
    }

    /// Maximum of each window of each of `planes` contiguous `H×W` planes, with the
    /// position (within its plane) of the maximum.
    pub fn max_pool2d(&self, layout: &Layout, planes: usize, windows: &PoolWindows) -> (CpuStorage, Vec<u32>) {
        match self {
            CpuStorage::F32(x) => {
                let (out, arg) = max_pool(packed(x, layout), planes, windows);
                (CpuStorage::F32(out), arg)
            }
            CpuStorage::F64(x) => {
                let (out, arg) = max_pool(packed(x, layout), planes, windows);
                (CpuStorage::F64(out), arg)
            }
        }
    }

    /// Routes the output gradient (this buffer) of [`CpuStorage::max_pool2d`] to the maxima.
    pub fn max_pool2d_backward(
        &self,
        layout: &Layout,
        argmax: &[u32],
        planes: usize,
        windows: &PoolWindows,
    ) -> CpuStorage {
        match self {
            CpuStorage::F32(g) => CpuStorage::F32(max_pool_backward(packed(g, layout), argmax, planes, windows)),
            CpuStorage::F64(g) => CpuStorage::F64(max_pool_backward(packed(g, layout), argmax, planes, windows)),
        }
    }

    /// Mean of each window, dividing by `divisor` when given (padding counted) or by the
    /// window's own size.
    pub fn avg_pool2d(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> CpuStorage {
        match self {
            CpuStorage::F32(x) => CpuStorage::F32(avg_pool(packed(x, layout), planes, windows, divisor)),
            CpuStorage::F64(x) => CpuStorage::F64(avg_pool(packed(x, layout), planes, windows, divisor)),
        }
    }

    /// Spreads the output gradient (this buffer) of [`CpuStorage::avg_pool2d`] evenly over each window.
    pub fn avg_pool2d_backward(
        &self,
        layout: &Layout,
        planes: usize,
        windows: &PoolWindows,
        divisor: Option<usize>,
    ) -> CpuStorage {
        match self {
            CpuStorage::F32(g) => CpuStorage::F32(avg_pool_backward(packed(g, layout), planes, windows, divisor)),
            CpuStorage::F64(g) => CpuStorage::F64(avg_pool_backward(packed(g, layout), planes, windows, divisor)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_range_clips_to_the_input() {
        // stride 1, shift -2 (padding 2): outputs 2.. read inside a length-5 input up to 6.
        assert_eq!(valid_range(-2, 1, 5, 9), (2, 7));
        // stride 2, shift -1: o=0 reads -1 (invalid), o=1 reads 1, o=2 reads 3, o=3 reads 5 (invalid).
        assert_eq!(valid_range(-1, 2, 5, 4), (1, 3));
        // a shift past the end leaves nothing valid.
        assert_eq!(valid_range(7, 1, 5, 3), (0, 0));
    }

    #[test]
    fn im2col_then_col2im_counts_patch_memberships() {
        // col2im(im2col(ones)) = how many patches cover each input element.
        let g = ConvGeometry {
            batch: 1,
            in_channels: 1,
            in_size: [3, 3],
            out_channels: 1,
            kernel: [2, 2],
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
            out_size: [2, 2],
        };
        let mut col = vec![0.0f64; 4 * 4];
        im2col(&[1.0; 9], &g, &mut col, 4);
        let mut back = vec![0.0; 9];
        col2im(&col, &g, &mut back, 4);
        assert_eq!(back, vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
    }
}
