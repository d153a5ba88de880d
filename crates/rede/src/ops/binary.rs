//! Elementwise functions of two tensors with NumPy broadcasting, comparisons and selection.

use super::{same_dtype, with_two};
use crate::autograd::record;
use crate::backend::{BinaryOp, CmpOp, Storage};
use crate::shape::broadcast_shapes;
use crate::{Result, Tensor};

impl Tensor {
    /// Broadcasts both operands and applies a kernel, without recording.
    pub(crate) fn map_binary(&self, rhs: &Tensor, op: BinaryOp, name: &'static str) -> Result<Tensor> {
        same_dtype(name, self, rhs)?;
        let (lhs, rhs) = (self.on_device_of(rhs)?, rhs.on_device_of(self)?);
        let shape = broadcast_shapes(name, lhs.shape(), rhs.shape())?;
        let (la, lb) = (lhs.layout().broadcast_to(&shape), rhs.layout().broadcast_to(&shape));
        let storage = with_two(&lhs, &rhs, |a, b| a.binary(&la, b, &lb, op, name))?;
        Ok(Tensor::from_storage(storage, &shape))
    }

    /// Applies `op` and records `rule(grad, a, b, y) -> (grad_a, grad_b)` before
    /// reducing each gradient back to its operand's shape.
    fn binary_op(
        &self,
        rhs: &Tensor,
        op: BinaryOp,
        name: &'static str,
        rule: impl Fn(&Tensor, &Tensor, &Tensor, &Tensor) -> Result<(Tensor, Tensor)> + Send + Sync + 'static,
    ) -> Result<Tensor> {
        let out = self.map_binary(rhs, op, name)?;
        Ok(record(out, name, &[self, rhs], move |g, inputs, y| {
            let (a, b) = (&inputs[0], &inputs[1]);
            let (ga, gb) = rule(g, a, b, y)?;
            Ok(vec![Some(ga.sum_to_shape(a.shape())?), Some(gb.sum_to_shape(b.shape())?)])
        }))
    }

    /// a + b. Backward: (g, g).
    pub fn add(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary_op(rhs, BinaryOp::Add, "add", |g, _, _, _| Ok((g.clone(), g.clone())))
    }

    /// a − b. Backward: (g, −g).
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary_op(rhs, BinaryOp::Sub, "sub", |g, _, _, _| Ok((g.clone(), g.neg())))
    }

    /// a · b. Backward: (g·b, g·a).
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary_op(rhs, BinaryOp::Mul, "mul", |g, a, b, _| Ok((g.mul(b)?, g.mul(a)?)))
    }

    /// a / b. Backward: (g/b, −g·y/b).
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary_op(rhs, BinaryOp::Div, "div", |g, _, b, y| {
            let ga = g.div(b)?;
            Ok((ga.clone(), ga.mul(y)?.neg()))
        })
    }

    /// a^b. Backward: (g·b·a^(b−1), g·y·ln a). As in PyTorch, the base's gradient is 0
    /// where b = 0 and the exponent's is 0 where a = 0, b ≥ 0 (rather than 0·∞ = NaN).
    pub fn pow(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary_op(rhs, BinaryOp::Pow, "pow", |g, a, b, y| {
            let slope = b.mul(&a.map_binary(&b.sub_scalar(1.0), BinaryOp::Pow, "pow")?)?;
            let ga = g.mul(&slope.masked_fill(&b.eq_scalar(0.0), 0.0)?)?;
            let zero_base = a.eq_scalar(0.0).mul(&b.ge_scalar(0.0))?;
            let gb = g.mul(&y.mul(&a.log())?.masked_fill(&zero_base, 0.0)?)?;
            Ok((ga, gb))
        })
    }

    /// max(a, b). Backward: g to the larger operand, split evenly on ties.
    pub fn maximum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary_op(rhs, BinaryOp::Maximum, "maximum", |g, a, b, _| split_by(g, a, b, CmpOp::Gt))
    }

    /// min(a, b). Backward: g to the smaller operand, split evenly on ties.
    pub fn minimum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary_op(rhs, BinaryOp::Minimum, "minimum", |g, a, b, _| split_by(g, a, b, CmpOp::Lt))
    }

    fn compare(&self, rhs: &Tensor, op: CmpOp) -> Result<Tensor> {
        self.map_binary(rhs, BinaryOp::Cmp(op), "compare")
    }

    fn compare_scalar(&self, c: f64, op: CmpOp) -> Tensor {
        self.compare(&Tensor::scalar(c, self.dtype()), op).expect("a scalar broadcasts to any shape")
    }

    /// Mask of a == b (1 where true, 0 elsewhere). Not differentiable.
    pub fn eq(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Eq)
    }

    /// Mask of a != b.
    pub fn ne(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Ne)
    }

    /// Mask of a < b.
    pub fn lt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Lt)
    }

    /// Mask of a <= b.
    pub fn le(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Le)
    }

    /// Mask of a > b.
    pub fn gt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Gt)
    }

    /// Mask of a >= b.
    pub fn ge(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Ge)
    }

    /// Mask of x == c.
    pub fn eq_scalar(&self, c: f64) -> Tensor {
        self.compare_scalar(c, CmpOp::Eq)
    }

    /// Mask of x < c.
    pub fn lt_scalar(&self, c: f64) -> Tensor {
        self.compare_scalar(c, CmpOp::Lt)
    }

    /// Mask of x <= c.
    pub fn le_scalar(&self, c: f64) -> Tensor {
        self.compare_scalar(c, CmpOp::Le)
    }

    /// Mask of x > c.
    pub fn gt_scalar(&self, c: f64) -> Tensor {
        self.compare_scalar(c, CmpOp::Gt)
    }

    /// Mask of x >= c.
    pub fn ge_scalar(&self, c: f64) -> Tensor {
        self.compare_scalar(c, CmpOp::Ge)
    }

    /// Mask of finite elements (neither infinite nor NaN).
    pub fn isfinite(&self) -> Tensor {
        self.abs().detach().lt_scalar(f64::INFINITY)
    }

    /// `cond ? on_true : on_false` elementwise, with broadcasting; `cond` is a mask
    /// (non-zero means true). Backward: g where cond to `on_true`, elsewhere to `on_false`.
    pub fn where_cond(cond: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        same_dtype("where", on_true, on_false)?;
        let shape = broadcast_shapes("where", on_true.shape(), on_false.shape())?;
        let shape = broadcast_shapes("where", cond.shape(), &shape)?;
        let layouts = [cond, on_true, on_false].map(|t| t.layout().broadcast_to(&shape));
        let (on_true, on_false) = (on_true.on_device_of(cond)?, on_false.on_device_of(cond)?);
        let storage = cond.with_storage(|c, _| {
            with_two(&on_true, &on_false, |t, f| Storage::select((c, &layouts[0]), (t, &layouts[1]), (f, &layouts[2])))
        })?;
        let out = Tensor::from_storage(storage, &shape);
        let mask = cond.detach();
        Ok(record(out, "where", &[&on_true, &on_false], move |g, inputs, _| {
            let m = mask.to_dtype(g.dtype()).ne(&Tensor::scalar(0.0, g.dtype()))?;
            let zeros = g.zeros_like();
            let gt = Tensor::where_cond(&m, g, &zeros)?.sum_to_shape(inputs[0].shape())?;
            let gf = Tensor::where_cond(&m, &zeros, g)?.sum_to_shape(inputs[1].shape())?;
            Ok(vec![Some(gt), Some(gf)])
        }))
    }

    /// `value` where `mask` is non-zero, this tensor elsewhere.
    pub fn masked_fill(&self, mask: &Tensor, value: f64) -> Result<Tensor> {
        Tensor::where_cond(mask, &Tensor::scalar(value, self.dtype()), self)
    }
}

/// Splits `g` between `a` and `b`: all to the one that wins `op`, half each on ties.
fn split_by(g: &Tensor, a: &Tensor, b: &Tensor, op: CmpOp) -> Result<(Tensor, Tensor)> {
    let ties = a.compare(b, CmpOp::Eq)?.mul_scalar(0.5);
    let wins_a = a.compare(b, op)?;
    let wins_b = b.compare(a, op)?;
    // Where a NaN makes the pair unordered, both operands get g, as in PyTorch.
    let unordered =
        wins_a.add(&wins_b)?.add(&ties.mul_scalar(2.0))?.map_unary(crate::backend::UnaryOp::Affine(-1.0, 1.0));
    let share_a = wins_a.add(&ties)?.add(&unordered)?;
    let share_b = wins_b.add(&ties)?.add(&unordered)?;
    Ok((g.mul(&share_a)?, g.mul(&share_b)?))
}
