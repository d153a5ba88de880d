//! Convolution by im2col + cuBLAS, and pooling. Samples are unrolled in chunks
//! so the patch matrix stays under [`COL_LIMIT`] elements.

use super::alloc::Buf;
use super::blas::product_into;
use super::elementwise;
use super::kernels::{CONV, POOL};
use super::launch::{elems, launch, GpuElement};
use super::reduce;
use crate::backend::{ConvGeometry, MatOperand, MatmulDims, PoolWindows, ReduceOp};
use crate::layout::Layout;
use crate::Result;
use cudarc::driver::DeviceRepr;

/// Most elements of one chunk's patch matrix (256 MiB of f32).
const COL_LIMIT: usize = 1 << 26;

/// One group's geometry as the kernels take it (`struct Conv` in conv.cu).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct ConvArgs {
    channels: u64,
    in_c: u64,
    h: u64,
    w: u64,
    oh: u64,
    ow: u64,
    kh: u64,
    kw: u64,
    sh: u64,
    sw: u64,
    ph: u64,
    pw: u64,
    dh: u64,
    dw: u64,
    group_offset: u64,
}

// SAFETY: a plain `repr(C)` struct of integers, laid out as the CUDA struct.
unsafe impl DeviceRepr for ConvArgs {}

/// The sizes the kernels and products need.
struct Sizes {
    /// Input channels per group.
    cg: usize,
    /// Output channels per group.
    og: usize,
    /// Patch rows per group (`cg·kh·kw`).
    k: usize,
    /// Output positions per plane.
    p: usize,
    /// Samples per chunk.
    chunk: usize,
}

impl Sizes {
    fn of(g: &ConvGeometry) -> Sizes {
        let (cg, og) = (g.in_channels / g.groups, g.out_channels / g.groups);
        let (k, p) = (cg * g.kernel[0] * g.kernel[1], g.out_size[0] * g.out_size[1]);
        let chunk = (COL_LIMIT / (k * p).max(1)).clamp(1, g.batch.max(1));
        Sizes { cg, og, k, p, chunk }
    }

    fn args(&self, g: &ConvGeometry, group: usize) -> ConvArgs {
        let u = |v: usize| v as u64;
        ConvArgs {
            channels: u(self.cg),
            in_c: u(g.in_channels),
            h: u(g.in_size[0]),
            w: u(g.in_size[1]),
            oh: u(g.out_size[0]),
            ow: u(g.out_size[1]),
            kh: u(g.kernel[0]),
            kw: u(g.kernel[1]),
            sh: u(g.stride[0]),
            sw: u(g.stride[1]),
            ph: u(g.padding[0]),
            pw: u(g.padding[1]),
            dh: u(g.dilation[0]),
            dw: u(g.dilation[1]),
            group_offset: u(group * self.cg),
        }
    }

    /// The chunks of samples: (first, count).
    fn chunks(&self, batch: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..batch).step_by(self.chunk).map(move |n0| (n0, self.chunk.min(batch - n0)))
    }
}

/// A matrix operand repeated for each of `count` products (the weights).
fn repeated(offset: usize, count: usize, row_stride: usize, col_stride: usize) -> MatOperand {
    MatOperand { offsets: vec![offset; count], row_stride, col_stride }
}

/// Unrolls the patches of samples `n0..n0 + count`, group `group`, into `col`
/// at `col[k·ldk + n·ns + p]`.
fn im2col<T: GpuElement>(
    x: (&Buf<T>, usize),
    g: &ConvGeometry,
    s: &Sizes,
    group: usize,
    chunk: (usize, usize),
    col: (&Buf<T>, usize, usize),
) -> Result<()> {
    let (n0, count) = chunk;
    let n = count * s.k * s.p;
    let x_at = x.1 + n0 * g.in_channels * g.in_size[0] * g.in_size[1];
    if n > 0 {
        launch!(x.0.dev, CONV, T::kernel("im2col"), elems(n);
            col.0.ptr(0), x.0.ptr(x_at), s.args(g, group), col.1 as u64, col.2 as u64, count as u64);
    }
    Ok(())
}

/// Convolution forward into a new `[N, O, OH, OW]` buffer.
pub(super) fn conv2d<T: GpuElement>(
    x: &Buf<T>,
    lx: &Layout,
    (w, lw): (&Buf<T>, &Layout),
    bias: Option<&Buf<T>>,
    g: &ConvGeometry,
) -> Result<Buf<T>> {
    let s = Sizes::of(g);
    let out = Buf::<T>::alloc(&x.dev, g.batch * g.out_channels * s.p)?;
    let col = Buf::<T>::alloc(&x.dev, s.chunk * s.k * s.p)?;
    for (n0, count) in s.chunks(g.batch) {
        for group in 0..g.groups {
            im2col((x, lx.offset()), g, &s, group, (n0, count), (&col, s.p, s.k * s.p))?;
            // y[n, group] [og, P] = W_group [og, K] · col[n] [K, P]
            let wg = repeated(lw.offset() + group * s.og * s.k, count, s.k, 1);
            let cols =
                MatOperand { offsets: (0..count).map(|i| i * s.k * s.p).collect(), row_stride: s.p, col_stride: 1 };
            let at = (n0 * g.out_channels + group * s.og) * s.p;
            let d = MatmulDims { m: s.og, k: s.k, n: s.p };
            product_into((w, &wg), (&col, &cols), d, (&out, at, g.out_channels * s.p), false)?;
        }
    }
    if let Some(b) = bias {
        let n = out.len();
        if n > 0 {
            launch!(x.dev, CONV, T::kernel("add_channel_bias"), elems(n);
                out.ptr(0), b.ptr(0), g.out_channels as u64, s.p as u64, n as u64);
        }
    }
    Ok(out)
}

/// Gradient for the input: patch gradients by GEMM, folded back by col2im.
pub(super) fn grad_input<T: GpuElement>(
    gout: &Buf<T>,
    lg: &Layout,
    (w, lw): (&Buf<T>, &Layout),
    g: &ConvGeometry,
) -> Result<Buf<T>> {
    let s = Sizes::of(g);
    let plane = g.in_size[0] * g.in_size[1];
    let dx = Buf::<T>::alloc(&gout.dev, g.batch * g.in_channels * plane)?;
    let dcol = Buf::<T>::alloc(&gout.dev, s.chunk * s.k * s.p)?;
    for (n0, count) in s.chunks(g.batch) {
        for group in 0..g.groups {
            // dcol[n] [K, P] = W_groupᵀ [K, og] · gout[n, group] [og, P]
            let wt = repeated(lw.offset() + group * s.og * s.k, count, 1, s.k);
            let go = MatOperand {
                offsets: (0..count).map(|i| lg.offset() + ((n0 + i) * g.out_channels + group * s.og) * s.p).collect(),
                row_stride: s.p,
                col_stride: 1,
            };
            let d = MatmulDims { m: s.k, k: s.og, n: s.p };
            product_into((w, &wt), (gout, &go), d, (&dcol, 0, s.k * s.p), false)?;
            let n = count * s.cg * plane;
            if n > 0 {
                let dx_at = n0 * g.in_channels * plane;
                launch!(gout.dev, CONV, T::kernel("col2im"), elems(n);
                    dx.ptr(dx_at), dcol.ptr(0), s.args(g, group), s.p as u64, (s.k * s.p) as u64, count as u64);
            }
        }
    }
    Ok(dx)
}

/// Gradient for the weights: `dW_group = Σ_n gout[n, group] · col[n]ᵀ`, one
/// product per chunk over all its samples at once.
pub(super) fn grad_weight<T: GpuElement>(
    x: &Buf<T>,
    lx: &Layout,
    (gout, lg): (&Buf<T>, &Layout),
    g: &ConvGeometry,
) -> Result<Buf<T>> {
    let s = Sizes::of(g);
    let dw = Buf::<T>::alloc(&x.dev, g.out_channels * s.k)?;
    if g.batch == 0 {
        dw.clear(0, dw.len())?;
        return Ok(dw);
    }
    let col = Buf::<T>::alloc(&x.dev, s.chunk * s.k * s.p)?;
    for (i, (n0, count)) in s.chunks(g.batch).enumerate() {
        // The chunk's output gradient as [O, count·P].
        let perm = Layout::new(
            vec![g.out_channels, count, s.p],
            vec![s.p, g.out_channels * s.p, 1],
            lg.offset() + n0 * g.out_channels * s.p,
        );
        let gperm = elementwise::copy(gout, &perm)?;
        let np = count * s.p;
        for group in 0..g.groups {
            im2col((x, lx.offset()), g, &s, group, (n0, count), (&col, np, s.p))?;
            let go = MatOperand { offsets: vec![group * s.og * np], row_stride: np, col_stride: 1 };
            let colt = MatOperand { offsets: vec![0], row_stride: 1, col_stride: np };
            let d = MatmulDims { m: s.og, k: np, n: s.k };
            product_into((&gperm, &go), (&col, &colt), d, (&dw, group * s.og * s.k, s.og * s.k), i > 0)?;
        }
    }
    Ok(dw)
}

/// Gradient for the bias: the output gradient summed over samples and positions.
pub(super) fn grad_bias<T: GpuElement>(gout: &Buf<T>, lg: &Layout, g: &ConvGeometry) -> Result<Buf<T>> {
    let p = g.out_size[0] * g.out_size[1];
    let by_channel = Layout::new(vec![g.out_channels, g.batch, p], vec![p, g.out_channels * p, 1], lg.offset());
    reduce::reduce(gout, &by_channel, 2, ReduceOp::Sum)
}

/// The windows as the pooling kernels read them: (start, end) pairs of rows, then of columns.
fn upload_windows<T: GpuElement>(x: &Buf<T>, win: &PoolWindows) -> Result<(Buf<u32>, Buf<u32>)> {
    let flat = |axis: &[(usize, usize)]| axis.iter().flat_map(|&(a, b)| [a as u32, b as u32]).collect::<Vec<u32>>();
    Ok((Buf::upload(&x.dev, &flat(&win.rows))?, Buf::upload(&x.dev, &flat(&win.cols))?))
}

/// Sizes of a pooling: (output rows, output columns, input width, input plane).
fn pool_sizes(win: &PoolWindows) -> (u64, u64, u64, u64) {
    let [h, w] = win.in_size;
    (win.rows.len() as u64, win.cols.len() as u64, w as u64, (h * w) as u64)
}

/// Max pooling: the maxima and their positions within each plane.
pub(super) fn max_pool<T: GpuElement>(
    x: &Buf<T>,
    lx: &Layout,
    planes: usize,
    win: &PoolWindows,
) -> Result<(Buf<T>, Buf<u32>)> {
    let n = planes * win.rows.len() * win.cols.len();
    let (out, arg) = (Buf::<T>::alloc(&x.dev, n)?, Buf::<u32>::alloc(&x.dev, n)?);
    if n > 0 {
        let (rows, cols) = upload_windows(x, win)?;
        let (oh, ow, w, ip) = pool_sizes(win);
        launch!(x.dev, POOL, T::kernel("max_pool"), elems(n);
            out.ptr(0), arg.ptr(0), x.ptr(lx.offset()), rows.ptr(0), cols.ptr(0), oh, ow, w, ip, n as u64);
    }
    Ok((out, arg))
}

/// Routes the output gradient of max pooling to the maxima.
pub(super) fn max_pool_backward<T: GpuElement>(
    g: &Buf<T>,
    lg: &Layout,
    arg: &Buf<u32>,
    planes: usize,
    win: &PoolWindows,
) -> Result<Buf<T>> {
    let (oh, ow, _, ip) = pool_sizes(win);
    let dx = Buf::<T>::zeros(&g.dev, planes * ip as usize)?;
    let n = lg.numel();
    if n > 0 {
        launch!(g.dev, POOL, T::kernel("max_unpool"), elems(n); dx.ptr(0), g.ptr(lg.offset()), arg.ptr(0), oh * ow, ip, n as u64);
    }
    Ok(dx)
}

/// Average pooling.
pub(super) fn avg_pool<T: GpuElement>(
    x: &Buf<T>,
    lx: &Layout,
    planes: usize,
    win: &PoolWindows,
    divisor: Option<usize>,
) -> Result<Buf<T>> {
    let n = planes * win.rows.len() * win.cols.len();
    let out = Buf::<T>::alloc(&x.dev, n)?;
    if n > 0 {
        let (rows, cols) = upload_windows(x, win)?;
        let (oh, ow, w, ip) = pool_sizes(win);
        launch!(x.dev, POOL, T::kernel("avg_pool"), elems(n);
            out.ptr(0), x.ptr(lx.offset()), rows.ptr(0), cols.ptr(0), oh, ow, w, ip, divisor.unwrap_or(0) as u64, n as u64);
    }
    Ok(out)
}

/// Spreads the output gradient of average pooling over each window.
pub(super) fn avg_pool_backward<T: GpuElement>(
    g: &Buf<T>,
    lg: &Layout,
    planes: usize,
    win: &PoolWindows,
    divisor: Option<usize>,
) -> Result<Buf<T>> {
    let (oh, ow, w, ip) = pool_sizes(win);
    let dx = Buf::<T>::zeros(&g.dev, planes * ip as usize)?;
    let n = lg.numel();
    if n > 0 {
        let (rows, cols) = upload_windows(g, win)?;
        launch!(g.dev, POOL, T::kernel("avg_unpool"), elems(n);
            dx.ptr(0), g.ptr(lg.offset()), rows.ptr(0), cols.ptr(0), oh, ow, w, ip, divisor.unwrap_or(0) as u64, n as u64);
    }
    Ok(dx)
}
