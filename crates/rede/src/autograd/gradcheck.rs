//! Checking backpropagation against central finite differences in f64.

use super::no_grad;
use crate::{DType, Result, Rng, Tensor};

/// Tolerances for [`gradcheck`].
#[derive(Clone, Copy, Debug)]
pub struct GradcheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance (to the numerical gradient).
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions { eps: 1e-6, atol: 1e-5, rtol: 1e-3 }
    }
}

/// The outcome of [`gradcheck`]: whether all gradients agreed, and the worst element.
#[derive(Clone, Debug)]
pub struct GradcheckReport {
    /// True when every element was within `atol + rtol·|numerical|`.
    pub passed: bool,
    /// Largest |analytical − numerical| over all elements.
    pub max_abs_error: f64,
    /// The element that came closest to (or furthest past) its tolerance:
    /// (input index, flat element index, analytical, numerical).
    pub worst: Option<(usize, usize, f64, f64)>,
}

impl std::fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = if self.passed { "passed" } else { "FAILED" };
        write!(f, "gradcheck {verdict}: max |error| {:.3e}", self.max_abs_error)?;
        if let Some((i, j, a, n)) = self.worst {
            write!(f, "; worst at input {i} element {j}: backprop {a:.6e}, finite difference {n:.6e}")?;
        }
        Ok(())
    }
}

/// Compares the gradients backprop gives for `f` at `inputs` with central finite
/// differences, everything in f64.
///
/// `f` may return any shape: it is reduced to the scalar `Σ w·f(x)` with fixed
/// pseudo-random weights `w`, so every output element contributes.
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    options: GradcheckOptions,
) -> Result<GradcheckReport> {
    let base: Vec<Vec<f64>> = inputs.iter().map(Tensor::to_vec_f64).collect();
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|t| t.shape().to_vec()).collect();
    let leaves = |values: &[Vec<f64>]| -> Result<Vec<Tensor>> {
        values.iter().zip(&shapes).map(|(v, s)| Tensor::from_vec(v.clone(), s)).collect()
    };
    let weights = no_grad(|| f(&leaves(&base)?))?.shape().to_vec();
    let weights = Tensor::rand_uniform(&weights, 0.5, 1.5, DType::F64, &mut Rng::seed(0x6772_6164));
    let objective = |xs: &[Tensor]| -> Result<Tensor> { f(xs)?.to_dtype(DType::F64).mul(&weights)?.sum_all() };

    let xs: Vec<Tensor> = leaves(&base)?.into_iter().map(|t| t.requires_grad_()).collect();
    objective(&xs)?.backward()?;
    let mut report = GradcheckReport { passed: true, max_abs_error: 0.0, worst: None };
    let mut worst_ratio = -1.0;
    for (i, x) in xs.iter().enumerate() {
        let analytic = x.grad().map(|g| g.to_vec_f64()).unwrap_or_else(|| vec![0.0; base[i].len()]);
        for (j, &analytic_j) in analytic.iter().enumerate() {
            let numeric = no_grad(|| central_difference(&objective, &leaves, &base, i, j, options.eps))?;
            let err = (analytic_j - numeric).abs();
            let ratio = err / (options.atol + options.rtol * numeric.abs());
            report.max_abs_error = report.max_abs_error.max(err);
            report.passed &= ratio <= 1.0;
            if ratio > worst_ratio {
                worst_ratio = ratio;
                report.worst = Some((i, j, analytic_j, numeric));
            }
        }
    }
    Ok(report)
}

fn central_difference(
    objective: &impl Fn(&[Tensor]) -> Result<Tensor>,
    leaves: &impl Fn(&[Vec<f64>]) -> Result<Vec<Tensor>>,
    base: &[Vec<f64>],
    input: usize,
    element: usize,
    eps: f64,
) -> Result<f64> {
    let mut shifted = base.to_vec();
    shifted[input][element] = base[input][element] + eps;
    let plus = objective(&leaves(&shifted)?)?.item()?;
    shifted[input][element] = base[input][element] - eps;
    let minus = objective(&leaves(&shifted)?)?.item()?;
    Ok((plus - minus) / (2.0 * eps))
}
