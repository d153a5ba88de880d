//! More reductions, composed from differentiable ops: product, standard deviation,
//! p-norms and cumulative sums.

use crate::shape::normalize_axis;
use crate::{Error, Result, Tensor};

impl Tensor {
    /// Product along `axis`. Computed as a tree of pairwise products, so the gradient
    /// is exact even where elements are zero (no division by x).
    pub fn prod(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        let d = normalize_axis("prod", axis, self.rank())?;
        let mut x = self.clone();
        let mut n = x.shape()[d];
        if n == 0 {
            let mut shape = self.shape().to_vec();
            shape[d] = 1;
            x = Tensor::ones(&shape, self.dtype()).to_device(self.device())?;
            n = 1;
        }
        while n > 1 {
            if n % 2 == 1 {
                let mut one = x.shape().to_vec();
                one[d] = 1;
                x = Tensor::cat(&[&x, &Tensor::ones(&one, x.dtype()).to_device(x.device())?], d as isize)?;
                n += 1;
            }
            x = x.narrow(d as isize, 0, n / 2)?.mul(&x.narrow(d as isize, n / 2, n / 2)?)?;
            n /= 2;
        }
        if keepdim {
            Ok(x)
        } else {
            x.squeeze(d as isize)
        }
    }

    /// Product of all elements, as a rank-0 tensor.
    pub fn prod_all(&self) -> Result<Tensor> {
        self.reshape(&[self.numel()])?.prod(0, false)
    }

    /// Standard deviation over `axes` (empty means all), unbiased like PyTorch's default:
    /// the square root of [`Tensor::var`].
    pub fn std(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        Ok(self.var(axes, keepdim)?.sqrt())
    }

    /// The p-norm over `axes` (empty means all): (Σ|x|^p)^(1/p) for p ≥ 1, or max |x| for
    /// p = ∞ (PyTorch's `torch.linalg.vector_norm`). The gradient at a zero vector is zero.
    pub fn norm(&self, p: f64, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        if p.is_nan() || p < 1.0 {
            return Err(Error::invalid("norm", format!("p must be at least 1 (or infinite), got {p}")));
        }
        if p == f64::INFINITY {
            return self.abs().max(axes, keepdim);
        }
        let total = if p == 2.0 { self.square() } else { self.abs().powf(p) }.sum(axes, keepdim)?;
        // (Σ)^(1/p) has an infinite slope at 0: take the root of 1 there instead, so that
        // zero groups get a zero gradient (as PyTorch's) rather than 0·∞ = NaN.
        let zero = total.detach().eq_scalar(0.0);
        let root = total.masked_fill(&zero, 1.0)?.powf(1.0 / p);
        root.masked_fill(&zero, 0.0)
    }

    /// Running sums along `axis`: element i is the sum of elements 0..=i. Computed as a
    /// product with an upper-triangular matrix of ones (O(n²) in the axis length).
    pub fn cumsum(&self, axis: isize) -> Result<Tensor> {
        let d = normalize_axis("cumsum", axis, self.rank())?;
        let n = self.shape()[d];
        let upper: Vec<f64> = (0..n * n).map(|p| if p / n <= p % n { 1.0 } else { 0.0 }).collect();
        let upper = Tensor::from_vec(upper, &[n, n])?.to_dtype(self.dtype()).to_device(self.device())?;
        let last = self.rank() as isize - 1;
        self.transpose(d as isize, last)?.matmul(&upper)?.transpose(d as isize, last)
    }
}
