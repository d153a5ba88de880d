//! Scaled dot-product attention, composed from matrix products and softmax.

use crate::{Error, Result, Tensor};

impl Tensor {
    /// softmax(q·kᵀ/√d + mask)·v for queries `[..., Tq, d]`, keys `[..., Tk, d]` and values
    /// `[..., Tk, dv]` (PyTorch's `scaled_dot_product_attention`). `mask` is added to the
    /// scores (use −∞ to hide a key; it broadcasts to `[..., Tq, Tk]`); `causal` hides
    /// every key after its query's position. Called on the queries.
    pub fn scaled_dot_product_attention(
        &self,
        keys: &Tensor,
        values: &Tensor,
        mask: Option<&Tensor>,
        causal: bool,
    ) -> Result<Tensor> {
        const OP: &str = "scaled_dot_product_attention";
        let (q, k, v) = (self, keys, values);
        let d = *q.shape().last().unwrap_or(&0);
        let fits = q.rank() >= 2
            && k.rank() == q.rank()
            && v.rank() == q.rank()
            && k.shape().last() == Some(&d)
            && k.shape()[k.rank() - 2] == v.shape()[v.rank() - 2];
        if !fits || d == 0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "needs q [.., Tq, d], k [.., Tk, d], v [.., Tk, dv]; got {:?}, {:?}, {:?}",
                    q.shape(),
                    k.shape(),
                    v.shape()
                ),
            ));
        }
        let mut scores = q.matmul(&k.transpose(-2, -1)?)?.div_scalar((d as f64).sqrt());
        if let Some(m) = mask {
            scores = scores.add(&m.to_dtype(scores.dtype()).to_device(scores.device())?)?;
        }
        if causal {
            let (tq, tk) = (q.shape()[q.rank() - 2], k.shape()[k.rank() - 2]);
            scores = scores.add(&causal_mask(tq, tk, scores.dtype())?.to_device(scores.device())?)?;
        }
        scores.softmax(-1)?.matmul(v)
    }
}

/// `[tq, tk]` with 0 where key j ≤ query i and −∞ elsewhere (aligned at the top left,
/// as PyTorch's `is_causal`).
pub(crate) fn causal_mask(tq: usize, tk: usize, dtype: crate::DType) -> Result<Tensor> {
    let data: Vec<f64> = (0..tq * tk).map(|p| if p % tk <= p / tk { 0.0 } else { f64::NEG_INFINITY }).collect();
    Ok(Tensor::from_vec(data, &[tq, tk])?.to_dtype(dtype))
}
