//! Matrix products through cuBLAS. rede's matrices are row-major, cuBLAS's
//! column-major: a row-major `C = A·B` is the column-major `Cᵀ = Bᵀ·Aᵀ`, and a
//! row-major matrix read column-major is its transpose, so the product is one
//! cuBLAS call with the operands swapped. Transposed views are read through
//! cuBLAS's transpose flags; only views with no unit stride are copied first.

use super::alloc::Buf;
use super::elementwise;
use super::launch::GpuElement;
use crate::backend::{MatOperand, MatmulDims};
use crate::layout::Layout;
use crate::Result;
use cudarc::cublas::result::{dgemm_strided_batched, sgemm_strided_batched, CublasError};
use cudarc::cublas::sys::{cublasHandle_t, cublasOperation_t as Op};

/// One batched cuBLAS product in its own terms (column-major, see `cublas<t>gemmStridedBatched`).
pub(crate) struct GemmCall {
    ops: (Op, Op),
    mnk: (i32, i32, i32),
    a: (u64, i32, i64),
    b: (u64, i32, i64),
    c: (u64, i32, i64),
    batch: i32,
    accumulate: bool,
}

/// Element types cuBLAS multiplies.
pub(crate) trait BlasElement: Sized {
    /// Runs `call`.
    ///
    /// # Safety
    /// Every address and stride in `call` must stay inside live buffers of the handle's device.
    unsafe fn gemm(handle: cublasHandle_t, call: &GemmCall) -> std::result::Result<(), CublasError>;
}

macro_rules! blas_element {
    ($t:ty, $f:ident) => {
        impl BlasElement for $t {
            unsafe fn gemm(handle: cublasHandle_t, c: &GemmCall) -> std::result::Result<(), CublasError> {
                let (alpha, beta): ($t, $t) = (1.0, if c.accumulate { 1.0 } else { 0.0 });
                $f(
                    handle,
                    c.ops.0,
                    c.ops.1,
                    c.mnk.0,
                    c.mnk.1,
                    c.mnk.2,
                    &alpha,
                    c.a.0 as *const $t,
                    c.a.1,
                    c.a.2,
                    c.b.0 as *const $t,
                    c.b.1,
                    c.b.2,
                    &beta,
                    c.c.0 as *mut $t,
                    c.c.1,
                    c.c.2,
                    c.batch,
                )
            }
        }
    };
}
blas_element!(f32, sgemm_strided_batched);
blas_element!(f64, dgemm_strided_batched);

/// How cuBLAS reads a row-major `[rows, cols]` view with these strides as its
/// column-major transpose: no transpose with the row step as leading dimension,
/// or transposed with the column step; `None` when neither step is 1.
fn as_blas(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<(Op, usize)> {
    if cs == 1 || cols == 1 {
        let ld = if rows == 1 { cols } else { rs };
        if ld >= cols.max(1) {
            return Some((Op::CUBLAS_OP_N, ld));
        }
    }
    if rs == 1 || rows == 1 {
        let ld = if cols == 1 { rows } else { cs };
        if ld >= rows.max(1) {
            return Some((Op::CUBLAS_OP_T, ld));
        }
    }
    None
}

/// One operand ready for cuBLAS: a buffer (the caller's or a packed copy), the
/// offset of each matrix in it, and how cuBLAS reads it.
struct Prepared<'a, T: GpuElement> {
    packed: Option<Buf<T>>,
    buf: &'a Buf<T>,
    offsets: Vec<usize>,
    op: Op,
    ld: usize,
}

impl<'a, T: GpuElement> Prepared<'a, T> {
    fn new(buf: &'a Buf<T>, o: &MatOperand, rows: usize, cols: usize) -> Result<Prepared<'a, T>> {
        if let Some((op, ld)) = as_blas(rows, cols, o.row_stride, o.col_stride) {
            return Ok(Prepared { packed: None, buf, offsets: o.offsets.clone(), op, ld });
        }
        // No unit step: pack each matrix row-major, one strided copy each.
        let size = rows * cols;
        let packed = Buf::<T>::alloc(&buf.dev, o.offsets.len() * size)?;
        for (i, &off) in o.offsets.iter().enumerate() {
            let layout = Layout::new(vec![rows, cols], vec![o.row_stride, o.col_stride], off);
            elementwise::copy_into(buf, &layout, &packed, i * size)?;
        }
        let offsets = (0..o.offsets.len()).map(|i| i * size).collect();
        Ok(Prepared { packed: Some(packed), buf, offsets, op: Op::CUBLAS_OP_N, ld: cols.max(1) })
    }

    fn buf(&self) -> &Buf<T> {
        self.packed.as_ref().unwrap_or(self.buf)
    }

    /// The step between matrices when the offsets are evenly spaced.
    fn batch_stride(&self) -> Option<i64> {
        let step = match self.offsets.as_slice() {
            [a, b, ..] => *b as i64 - *a as i64,
            _ => 0,
        };
        self.offsets.windows(2).all(|w| w[1] as i64 - w[0] as i64 == step).then_some(step)
    }
}

/// Where a batch of contiguous `[m, n]` results go: the buffer, the first
/// result's offset and the step between results.
pub(super) type Results<'a, T> = (&'a Buf<T>, usize, usize);

/// `out[i] = (accumulate ? out[i] : 0) + lhs[i]·rhs[i]` for each matrix pair.
pub(super) fn product_into<T: GpuElement>(
    (a, la): (&Buf<T>, &MatOperand),
    (b, lb): (&Buf<T>, &MatOperand),
    d: MatmulDims,
    (out, out_at, out_step): Results<'_, T>,
    accumulate: bool,
) -> Result<()> {
    let batch = la.offsets.len();
    if batch == 0 || d.m * d.n == 0 {
        return Ok(());
    }
    let dev = &out.dev;
    if d.k == 0 {
        if !accumulate {
            for i in 0..batch {
                elementwise::fill_zero_at(out, out_at + i * out_step, d.m * d.n)?;
            }
        }
        return Ok(());
    }
    // Cᵀ [n, m] = Bᵀ [n, k] · Aᵀ [k, m]: cuBLAS's first operand is our right one.
    let (pa, pb) = (Prepared::new(b, lb, d.k, d.n)?, Prepared::new(a, la, d.m, d.k)?);
    let int = |v: usize| i32::try_from(v).map_err(|_| dev.err(format!("matrix dimension {v} exceeds cuBLAS's range")));
    let (m, n, k) = (int(d.n)?, int(d.m)?, int(d.k)?);
    let (lda, ldb, ldc) = (int(pa.ld)?, int(pb.ld)?, int(d.n)?);
    let run = |first: usize, count: usize, sa: i64, sb: i64| -> Result<()> {
        let call = GemmCall {
            ops: (pa.op, pb.op),
            mnk: (m, n, k),
            a: (pa.buf().ptr(pa.offsets[first]), lda, sa),
            b: (pb.buf().ptr(pb.offsets[first]), ldb, sb),
            c: (out.ptr(out_at + first * out_step), ldc, out_step as i64),
            batch: int(count)?,
            accumulate,
        };
        // SAFETY: the op layer checked that every matrix lies inside its buffer,
        // and `out` holds `batch` contiguous [m, n] results.
        unsafe { T::gemm(*dev.blas.handle(), &call) }.map_err(|e| dev.err(format!("cuBLAS gemm: {e}")))
    };
    match (pa.batch_stride(), pb.batch_stride()) {
        (Some(sa), Some(sb)) => run(0, batch, sa, sb),
        _ => (0..batch).try_for_each(|i| run(i, 1, 0, 0)),
    }
}

/// Batched matrix product into a new contiguous `[batch, m, n]` buffer.
pub(super) fn matmul<T: GpuElement>(
    a: &Buf<T>,
    la: &MatOperand,
    b: &Buf<T>,
    lb: &MatOperand,
    d: MatmulDims,
) -> Result<Buf<T>> {
    let out = Buf::<T>::alloc(&a.dev, la.offsets.len() * d.m * d.n)?;
    product_into((a, la), (b, lb), d, (&out, 0, d.m * d.n), false)?;
    Ok(out)
}

/// `x·wᵀ + bias` into a new contiguous `[n, out]`: the bias is broadcast into
/// the result first, and the product accumulates onto it.
pub(super) fn linear<T: GpuElement>(
    x: &Buf<T>,
    lx: &Layout,
    (w, lw): (&Buf<T>, &Layout),
    bias: Option<(&Buf<T>, &Layout)>,
) -> Result<Buf<T>> {
    let (n, outputs) = (lx.shape()[0], lw.shape()[0]);
    let d = MatmulDims { m: n, k: lx.shape()[1], n: outputs };
    let out = Buf::<T>::alloc(&x.dev, n * outputs)?;
    if let Some((b, lb)) = bias {
        // Row i of the [n, out] result reads the bias with a zero row step.
        let rows = Layout::new(vec![n, outputs], vec![0, lb.strides()[0]], lb.offset());
        elementwise::copy_into(b, &rows, &out, 0)?;
    }
    let xo = MatOperand { offsets: vec![lx.offset()], row_stride: lx.strides()[0], col_stride: lx.strides()[1] };
    let wt = MatOperand { offsets: vec![lw.offset()], row_stride: lw.strides()[1], col_stride: lw.strides()[0] };
    product_into((x, &xo), (w, &wt), d, (&out, 0, n * outputs), bias.is_some())?;
    Ok(out)
}
