//! Elementwise functions of one tensor and their derivatives.

use super::kernel_failed;
use crate::autograd::record;
use crate::backend::{BinaryOp, UnaryOp};
use crate::{Result, Tensor};

impl Tensor {
    /// Applies a kernel without recording anything.
    pub(crate) fn map_unary(&self, op: UnaryOp) -> Tensor {
        let storage = self.with_storage(|s, l| s.unary(l, op)).unwrap_or_else(|e| kernel_failed(e));
        Tensor::from_storage(storage, self.shape())
    }

    /// Applies `op` and records `rule(grad, x, y)` as its backward.
    pub(crate) fn unary_op(
        &self,
        op: UnaryOp,
        name: &'static str,
        rule: impl Fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
    ) -> Tensor {
        record(self.map_unary(op), name, &[self], move |g, inputs, y| Ok(vec![Some(rule(g, &inputs[0], y)?)]))
    }

    /// -x. Backward: −g.
    pub fn neg(&self) -> Tensor {
        self.unary_op(UnaryOp::Neg, "neg", |g, _, _| Ok(g.neg()))
    }

    /// e^x. Backward: g·y.
    pub fn exp(&self) -> Tensor {
        self.unary_op(UnaryOp::Exp, "exp", |g, _, y| g.mul(y))
    }

    /// Natural logarithm. Backward: g/x.
    pub fn log(&self) -> Tensor {
        self.unary_op(UnaryOp::Log, "log", |g, x, _| g.div(x))
    }

    /// Square root. Backward: g/(2y).
    pub fn sqrt(&self) -> Tensor {
        self.unary_op(UnaryOp::Sqrt, "sqrt", |g, _, y| g.div(&y.mul_scalar(2.0)))
    }

    /// |x|. Backward: g·sign(x).
    pub fn abs(&self) -> Tensor {
        self.unary_op(UnaryOp::Abs, "abs", |g, x, _| g.mul(&x.map_unary(UnaryOp::Sign)))
    }

    /// sign(x) ∈ {−1, 0, 1}; its gradient is zero.
    pub fn sign(&self) -> Tensor {
        self.map_unary(UnaryOp::Sign)
    }

    /// 1/x. Backward: −g·y².
    pub fn recip(&self) -> Tensor {
        self.unary_op(UnaryOp::Recip, "recip", |g, _, y| Ok(g.mul(&y.mul(y)?)?.neg()))
    }

    /// x². Backward: 2g·x.
    pub fn square(&self) -> Tensor {
        self.unary_op(UnaryOp::Powf(2.0), "square", |g, x, _| g.mul(&x.mul_scalar(2.0)))
    }

    /// x^p for a constant p. Backward: g·p·x^(p−1), and 0 for p = 0 (x^0 is constant;
    /// the formula would give 0·∞ = NaN at x = 0), as in PyTorch.
    pub fn powf(&self, p: f64) -> Tensor {
        self.unary_op(UnaryOp::Powf(p), "powf", move |g, x, _| {
            if p == 0.0 {
                return Ok(g.zeros_like());
            }
            g.mul(&x.map_unary(UnaryOp::Powf(p - 1.0)).mul_scalar(p))
        })
    }

    /// max(x, 0). Backward: g·\[y > 0\] (the same mask as \[x > 0\]), in one fused pass.
    pub fn relu(&self) -> Tensor {
        self.unary_op(UnaryOp::Relu, "relu", |g, _, y| g.map_binary(y, BinaryOp::ReluGrad, "relu_backward"))
    }

    /// x for x > 0, slope·x otherwise. Backward: g·(1 if x > 0 else slope).
    pub fn leaky_relu(&self, slope: f64) -> Tensor {
        self.unary_op(UnaryOp::LeakyRelu(slope), "leaky_relu", move |g, x, _| {
            g.mul(&x.map_unary(UnaryOp::Step).map_unary(UnaryOp::Affine(1.0 - slope, slope)))
        })
    }

    /// Logistic function 1/(1+e^−x). Backward: g·y·(1−y).
    pub fn sigmoid(&self) -> Tensor {
        self.unary_op(UnaryOp::Sigmoid, "sigmoid", |g, _, y| g.mul(&y.mul(&y.map_unary(UnaryOp::Affine(-1.0, 1.0)))?))
    }

    /// Hyperbolic tangent. Backward: g·(1−y²).
    pub fn tanh(&self) -> Tensor {
        self.unary_op(UnaryOp::Tanh, "tanh", |g, _, y| {
            g.mul(&y.map_unary(UnaryOp::Powf(2.0)).map_unary(UnaryOp::Affine(-1.0, 1.0)))
        })
    }

    /// Exact GELU x·Φ(x) (PyTorch's default). Backward: g·(Φ(x) + x·φ(x)).
    pub fn gelu(&self) -> Tensor {
        self.unary_op(UnaryOp::Gelu, "gelu", |g, x, _| g.mul(&x.map_unary(UnaryOp::GeluGrad)))
    }

    /// ln(1+e^x), computed stably. Backward: g·σ(x).
    pub fn softplus(&self) -> Tensor {
        self.unary_op(UnaryOp::Softplus, "softplus", |g, x, _| g.mul(&x.map_unary(UnaryOp::Sigmoid)))
    }

    /// Limits values to `[lo, hi]`. Backward: g where lo ≤ x ≤ hi, else 0.
    pub fn clamp(&self, lo: f64, hi: f64) -> Tensor {
        self.unary_op(UnaryOp::Clamp(lo, hi), "clamp", move |g, x, _| g.mul(&x.ge_scalar(lo).mul(&x.le_scalar(hi))?))
    }

    /// a·x + b. Backward: a·g.
    pub fn affine(&self, a: f64, b: f64) -> Tensor {
        self.unary_op(UnaryOp::Affine(a, b), "affine", move |g, _, _| Ok(g.map_unary(UnaryOp::Affine(a, 0.0))))
    }

    /// x + c.
    pub fn add_scalar(&self, c: f64) -> Tensor {
        self.affine(1.0, c)
    }

    /// x − c.
    pub fn sub_scalar(&self, c: f64) -> Tensor {
        self.affine(1.0, -c)
    }

    /// c·x.
    pub fn mul_scalar(&self, c: f64) -> Tensor {
        self.affine(c, 0.0)
    }

    /// x / c.
    pub fn div_scalar(&self, c: f64) -> Tensor {
        self.affine(1.0 / c, 0.0)
    }
}
