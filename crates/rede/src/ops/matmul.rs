//! Matrix products: 2-D, batched with broadcast batch dimensions, and the vector cases.

use super::{same_dtype, with_two};
use crate::autograd::record;
use crate::backend::cpu::{MatOperand, MatmulDims};
use crate::layout::Layout;
use crate::shape::broadcast_shapes;
use crate::{Error, Result, Tensor};

/// The batch part of a layout (all but the last two dims) as a list of matrix offsets.
fn operand(layout: &Layout, batch: &[usize]) -> MatOperand {
    let r = layout.shape().len();
    let batch_layout = Layout::new(batch.to_vec(), layout.strides()[..r - 2].to_vec(), layout.offset());
    MatOperand {
        offsets: batch_layout.offsets().collect(),
        row_stride: layout.strides()[r - 2],
        col_stride: layout.strides()[r - 1],
    }
}

impl Tensor {
    /// Matrix product following PyTorch's `matmul`: 1-D operands are treated as a
    /// row (left) or column (right) vector and that dimension is removed again;
    /// leading batch dimensions broadcast.
    /// Backward: (g·Bᵀ, Aᵀ·g), summed over broadcast batch dimensions.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        same_dtype("matmul", self, rhs)?;
        let err = || Error::MatmulShape { lhs: self.shape().to_vec(), rhs: rhs.shape().to_vec() };
        match (self.rank(), rhs.rank()) {
            (0, _) | (_, 0) => Err(err()),
            (1, 1) => self.unsqueeze(0)?.matmul_nd(&rhs.unsqueeze(1)?)?.reshape(&[]),
            (1, _) => self.unsqueeze(0)?.matmul_nd(rhs)?.squeeze(-2),
            (_, 1) => self.matmul_nd(&rhs.unsqueeze(1)?)?.squeeze(-1),
            _ => self.matmul_nd(rhs),
        }
    }

    fn matmul_nd(&self, rhs: &Tensor) -> Result<Tensor> {
        let (a, b) = (self.shape(), rhs.shape());
        let (ra, rb) = (a.len(), b.len());
        let dims = MatmulDims { m: a[ra - 2], k: a[ra - 1], n: b[rb - 1] };
        if b[rb - 2] != dims.k {
            return Err(Error::MatmulShape { lhs: a.to_vec(), rhs: b.to_vec() });
        }
        let batch = broadcast_shapes("matmul", &a[..ra - 2], &b[..rb - 2])
            .map_err(|_| Error::MatmulShape { lhs: a.to_vec(), rhs: b.to_vec() })?;
        let full = |m: usize, n: usize| batch.iter().copied().chain([m, n]).collect::<Vec<_>>();
        let la = operand(&self.layout().broadcast_to(&full(dims.m, dims.k)), &batch);
        let lb = operand(&rhs.layout().broadcast_to(&full(dims.k, dims.n)), &batch);
        let storage = with_two(self, rhs, |sa, sb| sa.matmul(&la, sb, &lb, dims))?;
        let out = Tensor::from_storage(storage, &full(dims.m, dims.n));
        Ok(record(out, "matmul", &[self, rhs], |g, inputs, _| {
            let (a, b) = (&inputs[0], &inputs[1]);
            let ga = g.matmul_nd(&b.transpose(-1, -2)?)?.sum_to_shape(a.shape())?;
            let gb = a.transpose(-1, -2)?.matmul_nd(g)?.sum_to_shape(b.shape())?;
            Ok(vec![Some(ga), Some(gb)])
        }))
    }
}
