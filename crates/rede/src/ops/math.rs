//! More elementwise functions: trigonometry, accurate log/exp near zero, erf,
//! reciprocal square root and rounding.

use crate::backend::UnaryOp;
use crate::Tensor;

impl Tensor {
    /// sin x. Backward: g·cos x.
    pub fn sin(&self) -> Tensor {
        self.unary_op(UnaryOp::Sin, "sin", |g, x, _| g.mul(&x.map_unary(UnaryOp::Cos)))
    }

    /// cos x. Backward: −g·sin x.
    pub fn cos(&self) -> Tensor {
        self.unary_op(UnaryOp::Cos, "cos", |g, x, _| Ok(g.mul(&x.map_unary(UnaryOp::Sin))?.neg()))
    }

    /// ln(1 + x), accurate for small x. Backward: g/(1 + x).
    pub fn log1p(&self) -> Tensor {
        self.unary_op(UnaryOp::Log1p, "log1p", |g, x, _| g.div(&x.map_unary(UnaryOp::Affine(1.0, 1.0))))
    }

    /// e^x − 1, accurate for small x. Backward: g·(y + 1).
    pub fn expm1(&self) -> Tensor {
        self.unary_op(UnaryOp::Expm1, "expm1", |g, _, y| g.mul(&y.map_unary(UnaryOp::Affine(1.0, 1.0))))
    }

    /// The error function. Backward: g·(2/√π)·e^(−x²).
    pub fn erf(&self) -> Tensor {
        self.unary_op(UnaryOp::Erf, "erf", |g, x, _| {
            let density = x.map_unary(UnaryOp::Powf(2.0)).map_unary(UnaryOp::Neg).map_unary(UnaryOp::Exp);
            g.mul(&density.map_unary(UnaryOp::Affine(std::f64::consts::FRAC_2_SQRT_PI, 0.0)))
        })
    }

    /// 1/√x. Backward: −g/(2·x^1.5).
    pub fn rsqrt(&self) -> Tensor {
        self.powf(-0.5)
    }

    /// The largest whole number ≤ x. Its gradient is zero (as PyTorch's).
    pub fn floor(&self) -> Tensor {
        self.unary_op(UnaryOp::Floor, "floor", |g, _, _| Ok(g.zeros_like()))
    }

    /// The nearest whole number, halves to even (as PyTorch's). Its gradient is zero.
    pub fn round(&self) -> Tensor {
        self.unary_op(UnaryOp::Round, "round", |g, _, _| Ok(g.zeros_like()))
    }
}
