//! Elementwise kernels: one generic loop per shape of work, specialised per function.

use super::strided::{collect, rows, CHUNK};
use super::PARALLEL_THRESHOLD;
use crate::backend::{BinaryOp, CmpOp, UnaryOp};
use crate::layout::Layout;
use crate::Element;
use rayon::prelude::*;

/// Standard normal CDF via erf.
fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

/// Standard normal density.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Numerically stable ln(1+e^x).
fn softplus(x: f64) -> f64 {
    if x > 20.0 {
        x
    } else if x < -20.0 {
        x.exp()
    } else {
        x.exp().ln_1p()
    }
}

/// Numerically stable logistic function.
fn sigmoid<T: Element>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// Applies `op` to every element of `layout`, producing contiguous output.
pub(crate) fn unary<T: Element>(v: &[T], layout: &Layout, op: UnaryOp) -> Vec<T> {
    let c = |x: f64| T::of(x);
    let zero = T::zero();
    match op {
        UnaryOp::Neg => collect(v, layout, |x: T| -x),
        UnaryOp::Exp => collect(v, layout, |x: T| x.exp()),
        UnaryOp::Log => collect(v, layout, |x: T| x.ln()),
        UnaryOp::Sqrt => collect(v, layout, |x: T| x.sqrt()),
        UnaryOp::Abs => collect(v, layout, |x: T| x.abs()),
        UnaryOp::Sign => collect(v, layout, |x: T| {
            if x > zero {
                T::one()
            } else if x < zero {
                -T::one()
            } else {
                zero
            }
        }),
        UnaryOp::Recip => collect(v, layout, |x: T| x.recip()),
        // NaN stays NaN (like PyTorch), so a diverged activation is not silently zeroed.
        UnaryOp::Relu => collect(v, layout, |x: T| if x > zero || x.is_nan() { x } else { zero }),
        UnaryOp::Step => collect(v, layout, |x: T| if x > zero { T::one() } else { zero }),
        UnaryOp::LeakyRelu(s) => collect(v, layout, |x: T| if x > zero { x } else { x * c(s) }),
        UnaryOp::Sigmoid => collect(v, layout, sigmoid),
        UnaryOp::Tanh => collect(v, layout, |x: T| x.tanh()),
        UnaryOp::Gelu => collect(v, layout, |x: T| c(x.as_f64() * normal_cdf(x.as_f64()))),
        UnaryOp::GeluGrad => collect(v, layout, |x: T| c(normal_cdf(x.as_f64()) + x.as_f64() * normal_pdf(x.as_f64()))),
        UnaryOp::Softplus => collect(v, layout, |x: T| c(softplus(x.as_f64()))),
        // x² (squares in every L2 penalty and norm) is one exact product, not a call to pow.
        UnaryOp::Powf(2.0) => collect(v, layout, |x: T| x * x),
        UnaryOp::Powf(p) => collect(v, layout, |x: T| x.powf(c(p))),
        // `max`/`min` would turn NaN into a bound; PyTorch keeps it.
        UnaryOp::Clamp(lo, hi) => collect(v, layout, |x: T| if x.is_nan() { x } else { x.max(c(lo)).min(c(hi)) }),
        UnaryOp::Affine(a, b) => collect(v, layout, |x: T| x * c(a) + c(b)),
        UnaryOp::Sin => collect(v, layout, |x: T| x.sin()),
        UnaryOp::Cos => collect(v, layout, |x: T| x.cos()),
        UnaryOp::Log1p => collect(v, layout, |x: T| x.ln_1p()),
        UnaryOp::Expm1 => collect(v, layout, |x: T| x.exp_m1()),
        UnaryOp::Erf => collect(v, layout, |x: T| c(libm::erf(x.as_f64()))),
        UnaryOp::Floor => collect(v, layout, |x: T| x.floor()),
        UnaryOp::Round => collect(v, layout, |x: T| c(x.as_f64().round_ties_even())),
    }
}

fn cmp<T: Element>(op: CmpOp) -> impl Fn(T, T) -> T + Sync {
    move |a: T, b: T| {
        let r = match op {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        };
        if r {
            T::one()
        } else {
            T::zero()
        }
    }
}

/// Applies `op` to two operands of the same (broadcast) shape.
pub(crate) fn binary<T: Element>(a: &[T], la: &Layout, b: &[T], lb: &Layout, op: BinaryOp) -> Vec<T> {
    match op {
        BinaryOp::Add => zip_map(a, la, b, lb, |x, y| x + y),
        BinaryOp::Sub => zip_map(a, la, b, lb, |x, y| x - y),
        BinaryOp::Mul => zip_map(a, la, b, lb, |x, y| x * y),
        BinaryOp::Div => zip_map(a, la, b, lb, |x, y| x / y),
        BinaryOp::Pow => zip_map(a, la, b, lb, |x: T, y| x.powf(y)),
        // A NaN in either operand is the result (PyTorch's maximum and minimum).
        BinaryOp::Maximum => zip_map(a, la, b, lb, |x: T, y| if x.is_nan() || x >= y { x } else { y }),
        BinaryOp::Minimum => zip_map(a, la, b, lb, |x: T, y| if x.is_nan() || x <= y { x } else { y }),
        BinaryOp::Cmp(c) => zip_map(a, la, b, lb, cmp(c)),
        // Zero where the output is ≤ 0; a NaN output passes the gradient on, as in PyTorch.
        BinaryOp::ReluGrad => zip_map(a, la, b, lb, |g, y| if y <= T::zero() { T::zero() } else { g }),
    }
}

/// The generic two-operand loop: contiguous fast path, else row by row.
fn zip_map<T: Element>(a: &[T], la: &Layout, b: &[T], lb: &Layout, f: impl Fn(T, T) -> T + Sync) -> Vec<T> {
    let n = la.numel();
    let mut out = super::pool::take::<T>(n);
    if la.is_contiguous() && lb.is_contiguous() {
        let (x, y) = (&a[la.offset()..la.offset() + n], &b[lb.offset()..lb.offset() + n]);
        let fill = |((dst, x), y): ((&mut [T], &[T]), &[T])| {
            for ((d, &p), &q) in dst.iter_mut().zip(x).zip(y) {
                *d = f(p, q);
            }
        };
        if n >= PARALLEL_THRESHOLD {
            out.par_chunks_mut(CHUNK).zip(x.par_chunks(CHUNK)).zip(y.par_chunks(CHUNK)).for_each(fill);
        } else {
            fill(((&mut out, x), y));
        }
        return out;
    }
    let (ra, rb) = (rows(la), rows(lb));
    if ra.len == 0 {
        return out;
    }
    let fill = |(dst, (&sa, &sb)): (&mut [T], (&usize, &usize))| {
        for (i, d) in dst.iter_mut().enumerate() {
            *d = f(a[sa + i * ra.stride], b[sb + i * rb.stride]);
        }
    };
    if n >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(ra.len).zip(ra.starts.par_iter().zip(rb.starts.par_iter())).for_each(fill);
    } else {
        out.chunks_mut(ra.len).zip(ra.starts.iter().zip(rb.starts.iter())).for_each(fill);
    }
    out
}

/// `mask ? t : f` elementwise; `mask` is contiguous in output order.
pub(crate) fn select<T: Element>(mask: &[bool], t: &[T], lt: &Layout, f: &[T], lf: &Layout) -> Vec<T> {
    let (t, f) = (collect(t, lt, |x| x), collect(f, lf, |x| x));
    mask.iter().zip(t.iter().zip(&f)).map(|(&m, (&x, &y))| if m { x } else { y }).collect()
}
