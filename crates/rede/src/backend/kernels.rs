//! The kernel vocabulary shared by every backend: which elementwise,
//! comparison and reduction functions exist.

/// Elementwise functions of one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    /// -x
    Neg,
    /// e^x
    Exp,
    /// ln x
    Log,
    /// √x
    Sqrt,
    /// |x|
    Abs,
    /// sign(x) in {-1, 0, 1}
    Sign,
    /// 1/x
    Recip,
    /// max(x, 0)
    Relu,
    /// x if x > 0 else slope·x
    LeakyRelu(f64),
    /// 1/(1+e^-x)
    Sigmoid,
    /// tanh x
    Tanh,
    /// x·Φ(x), the exact (erf) GELU
    Gelu,
    /// derivative of the exact GELU: Φ(x) + x·φ(x)
    GeluGrad,
    /// ln(1+e^x)
    Softplus,
    /// x^p
    Powf(f64),
    /// min(max(x, lo), hi)
    Clamp(f64, f64),
    /// a·x + b
    Affine(f64, f64),
    /// 1 where x > 0 else 0 (the ReLU derivative)
    Step,
    /// sin x
    Sin,
    /// cos x
    Cos,
    /// ln(1 + x), accurate near 0
    Log1p,
    /// e^x − 1, accurate near 0
    Expm1,
    /// the error function
    Erf,
    /// the largest whole number ≤ x
    Floor,
    /// the nearest whole number, halves to even (as PyTorch)
    Round,
}

/// Elementwise functions of two tensors (after broadcasting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// a + b
    Add,
    /// a - b
    Sub,
    /// a · b
    Mul,
    /// a / b
    Div,
    /// a^b
    Pow,
    /// max(a, b)
    Maximum,
    /// min(a, b)
    Minimum,
    /// a where b > 0, else 0: ReLU's backward (gradient a, output b) in one pass.
    ReluGrad,
    /// A comparison producing 1 or 0.
    Cmp(CmpOp),
}

/// Comparisons; they produce masks of 1 and 0 and are not differentiable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// a == b
    Eq,
    /// a != b
    Ne,
    /// a < b
    Lt,
    /// a <= b
    Le,
    /// a > b
    Gt,
    /// a >= b
    Ge,
}

/// Reductions over trailing axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    /// Σ x
    Sum,
    /// max x
    Max,
    /// min x
    Min,
    /// index of the (first) maximum
    ArgMax,
    /// index of the (first) minimum
    ArgMin,
}
