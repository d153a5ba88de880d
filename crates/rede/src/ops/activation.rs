//! Activation functions composed from primitive ops (their gradients are the graph's),
//! with PyTorch's definitions and default constants.

use crate::{Error, Result, Tensor};

/// SELU's constants (Klambauer et al. 2017), as PyTorch writes them.
const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

impl Tensor {
    /// SiLU (swish) x·σ(x).
    pub fn silu(&self) -> Result<Tensor> {
        self.mul(&self.sigmoid())
    }

    /// ELU: x for x > 0, α·(eˣ − 1) otherwise (PyTorch's default α is 1).
    pub fn elu(&self, alpha: f64) -> Result<Tensor> {
        let negative = self.minimum(&self.zeros_like())?.expm1().mul_scalar(alpha);
        Tensor::where_cond(&self.gt_scalar(0.0), self, &negative)
    }

    /// SELU: scale·ELU(x, α) with the self-normalizing constants.
    pub fn selu(&self) -> Result<Tensor> {
        Ok(self.elu(SELU_ALPHA)?.mul_scalar(SELU_SCALE))
    }

    /// Mish x·tanh(softplus(x)).
    pub fn mish(&self) -> Result<Tensor> {
        self.mul(&self.softplus().tanh())
    }

    /// Hardtanh: x clipped to `[min, max]` (PyTorch's defaults are −1 and 1).
    pub fn hardtanh(&self, min: f64, max: f64) -> Result<Tensor> {
        if min.is_nan() || max.is_nan() || min > max {
            return Err(Error::invalid("hardtanh", format!("needs min ≤ max, got {min} and {max}")));
        }
        Ok(self.clamp(min, max))
    }

    /// log σ(x) = −softplus(−x), stable for large |x|.
    pub fn log_sigmoid(&self) -> Tensor {
        self.neg().softplus().neg()
    }

    /// Softsign x/(1 + |x|).
    pub fn softsign(&self) -> Result<Tensor> {
        self.div(&self.abs().add_scalar(1.0))
    }
}
