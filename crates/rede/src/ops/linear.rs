//! The fully connected layer's op, fused: `x·wᵀ + b` as one recorded node.

use super::same_dtype;
use crate::autograd::record;
use crate::{Error, Result, Tensor};

impl Tensor {
    /// `x·wᵀ + b` (PyTorch's `F.linear`) for `x` `[..., in]`, `weight` `[out, in]` and
    /// an optional `bias` `[out]`, giving `[..., out]`.
    ///
    /// One graph node and one output buffer: the bias is written into the output
    /// and the product accumulated onto it. Backward reads the operands in place
    /// through strides, with no transposed copies: `dx = g·w`, `dw = gᵀ·x`
    /// (already `[out, in]`), `db = Σ_rows g`.
    pub fn linear(&self, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        const OP: &str = "linear";
        same_dtype(OP, self, weight)?;
        let [outputs, inputs] = *weight.shape() else {
            return Err(Error::invalid(OP, format!("weight must be [out, in], got shape {:?}", weight.shape())));
        };
        if self.rank() == 0 || self.shape()[self.rank() - 1] != inputs {
            return Err(Error::invalid(OP, format!("expected input of shape [..., {inputs}], got {:?}", self.shape())));
        }
        if let Some(b) = bias {
            same_dtype(OP, self, b)?;
            if b.shape() != [outputs] {
                return Err(Error::ShapeMismatch { op: OP, lhs: weight.shape().to_vec(), rhs: b.shape().to_vec() });
            }
        }
        if self.rank() != 2 {
            // Fold the leading dimensions into rows (a vector is one row).
            let lead = &self.shape()[..self.rank() - 1];
            let rows: usize = lead.iter().product();
            let out_shape: Vec<usize> = lead.iter().copied().chain([outputs]).collect();
            return self.reshape(&[rows, inputs])?.linear(weight, bias)?.reshape(&out_shape);
        }
        let storage = self.with_storage(|sx, lx| {
            weight.with_storage(|sw, lw| match bias {
                Some(b) => b.with_storage(|sb, lb| sx.linear(lx, (sw, lw), Some((sb, lb)))),
                None => sx.linear(lx, (sw, lw), None),
            })
        })?;
        let out = Tensor::from_storage(storage, &[self.shape()[0], outputs]);
        let mut inputs_list = vec![self, weight];
        inputs_list.extend(bias);
        Ok(record(out, OP, &inputs_list, |g, inputs, _| {
            let (x, w) = (&inputs[0], &inputs[1]);
            let gx = x.requires_grad().then(|| g.matmul(w)).transpose()?;
            let gw = w.requires_grad().then(|| g.t()?.matmul(x)).transpose()?;
            let mut grads = vec![gx, gw];
            if let Some(b) = inputs.get(2) {
                grads.push(b.requires_grad().then(|| g.sum(&[0], false)).transpose()?);
            }
            Ok(grads)
        }))
    }
}
