//! Copies, casts and elementwise functions of strided operands.

use super::alloc::Buf;
use super::kernels::ELEMENTWISE;
use super::launch::{elems, launch, GpuElement, Strided};
use crate::backend::{BinaryOp, CmpOp, UnaryOp};
use crate::layout::Layout;
use crate::Result;

/// The kernel's op code and parameters for `op` (the switch in elementwise.cu).
fn unary_code(op: UnaryOp) -> (i32, f64, f64) {
    match op {
        UnaryOp::Neg => (0, 0.0, 0.0),
        UnaryOp::Exp => (1, 0.0, 0.0),
        UnaryOp::Log => (2, 0.0, 0.0),
        UnaryOp::Sqrt => (3, 0.0, 0.0),
        UnaryOp::Abs => (4, 0.0, 0.0),
        UnaryOp::Sign => (5, 0.0, 0.0),
        UnaryOp::Recip => (6, 0.0, 0.0),
        UnaryOp::Relu => (7, 0.0, 0.0),
        UnaryOp::LeakyRelu(s) => (8, s, 0.0),
        UnaryOp::Sigmoid => (9, 0.0, 0.0),
        UnaryOp::Tanh => (10, 0.0, 0.0),
        UnaryOp::Gelu => (11, 0.0, 0.0),
        UnaryOp::GeluGrad => (12, 0.0, 0.0),
        UnaryOp::Softplus => (13, 0.0, 0.0),
        UnaryOp::Powf(p) => (14, p, 0.0),
        UnaryOp::Clamp(lo, hi) => (15, lo, hi),
        UnaryOp::Affine(a, b) => (16, a, b),
        UnaryOp::Step => (17, 0.0, 0.0),
        UnaryOp::Sin => (18, 0.0, 0.0),
        UnaryOp::Cos => (19, 0.0, 0.0),
        UnaryOp::Log1p => (20, 0.0, 0.0),
        UnaryOp::Expm1 => (21, 0.0, 0.0),
        UnaryOp::Erf => (22, 0.0, 0.0),
        UnaryOp::Floor => (23, 0.0, 0.0),
        UnaryOp::Round => (24, 0.0, 0.0),
    }
}

/// The kernel's op code for `op`.
fn binary_code(op: BinaryOp) -> i32 {
    match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
        BinaryOp::Pow => 4,
        BinaryOp::Maximum => 5,
        BinaryOp::Minimum => 6,
        BinaryOp::ReluGrad => 7,
        BinaryOp::Cmp(CmpOp::Eq) => 8,
        BinaryOp::Cmp(CmpOp::Ne) => 9,
        BinaryOp::Cmp(CmpOp::Lt) => 10,
        BinaryOp::Cmp(CmpOp::Le) => 11,
        BinaryOp::Cmp(CmpOp::Gt) => 12,
        BinaryOp::Cmp(CmpOp::Ge) => 13,
    }
}

/// A contiguous copy of the elements of `layout`.
pub(super) fn copy<T: GpuElement>(x: &Buf<T>, layout: &Layout) -> Result<Buf<T>> {
    let out = Buf::<T>::alloc(&x.dev, layout.numel())?;
    copy_into(x, layout, &out, 0)?;
    Ok(out)
}

/// Writes the elements of `layout` contiguously into `out` from element `at` on.
pub(super) fn copy_into<T: GpuElement>(x: &Buf<T>, layout: &Layout, out: &Buf<T>, at: usize) -> Result<()> {
    let n = layout.numel();
    if n > 0 {
        launch!(x.dev, ELEMENTWISE, T::kernel("copy"), elems(n); out.ptr(at), x.ptr(0), Strided::of(layout)?, n as u64);
    }
    Ok(())
}

/// Sets elements `at..at + n` of `out` to zero.
pub(super) fn fill_zero_at<T: GpuElement>(out: &Buf<T>, at: usize, n: usize) -> Result<()> {
    out.clear(at, n)
}

/// A contiguous copy of the elements of `layout` converted from `S` to `D`.
pub(super) fn cast<S: GpuElement, D: GpuElement>(x: &Buf<S>, layout: &Layout) -> Result<Buf<D>> {
    let n = layout.numel();
    let out = Buf::<D>::alloc(&x.dev, n)?;
    if n > 0 {
        let name = if S::SUFFIX == "f32" { "cast_f32_f64" } else { "cast_f64_f32" };
        launch!(x.dev, ELEMENTWISE, name, elems(n); out.ptr(0), x.ptr(0), Strided::of(layout)?, n as u64);
    }
    Ok(out)
}

/// `op` of every element of `layout`.
pub(super) fn unary<T: GpuElement>(x: &Buf<T>, layout: &Layout, op: UnaryOp) -> Result<Buf<T>> {
    let n = layout.numel();
    let out = Buf::<T>::alloc(&x.dev, n)?;
    let (code, a, b) = unary_code(op);
    if n > 0 {
        launch!(x.dev, ELEMENTWISE, T::kernel("unary"), elems(n);
            out.ptr(0), x.ptr(0), Strided::of(layout)?, n as u64, code, a, b);
    }
    Ok(out)
}

/// `op` of two operands broadcast to one shape.
pub(super) fn binary<T: GpuElement>(x: &Buf<T>, lx: &Layout, y: &Buf<T>, ly: &Layout, op: BinaryOp) -> Result<Buf<T>> {
    let n = lx.numel();
    let out = Buf::<T>::alloc(&x.dev, n)?;
    if n > 0 {
        launch!(x.dev, ELEMENTWISE, T::kernel("binary"), elems(n);
            out.ptr(0), x.ptr(0), Strided::of(lx)?, y.ptr(0), Strided::of(ly)?, n as u64, binary_code(op));
    }
    Ok(out)
}

/// `cond ? t : f` over three operands broadcast to one shape.
pub(super) fn select<T: GpuElement>(
    c: (&Buf<T>, &Layout),
    t: (&Buf<T>, &Layout),
    f: (&Buf<T>, &Layout),
) -> Result<Buf<T>> {
    let n = t.1.numel();
    let out = Buf::<T>::alloc(&t.0.dev, n)?;
    if n > 0 {
        launch!(t.0.dev, ELEMENTWISE, T::kernel("select"), elems(n);
            out.ptr(0), c.0.ptr(0), Strided::of(c.1)?, t.0.ptr(0), Strided::of(t.1)?,
            f.0.ptr(0), Strided::of(f.1)?, n as u64);
    }
    Ok(out)
}
