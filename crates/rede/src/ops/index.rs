//! Picking elements by index: `index_select` and `gather`, with their adjoints as backward rules.

use crate::autograd::record;
use crate::shape::normalize_axis;
use crate::{Error, Result, Tensor};

/// Reads an index tensor (whole numbers stored as floats) and checks each is below `size`.
fn indices(op: &'static str, t: &Tensor, dim: usize, size: usize) -> Result<Vec<usize>> {
    t.to_vec_f64()
        .into_iter()
        .map(|v| {
            if v.fract() != 0.0 || v < 0.0 || !v.is_finite() {
                return Err(Error::invalid(op, format!("index {v} is not a whole non-negative number")));
            }
            let i = v as usize;
            if i >= size {
                return Err(Error::IndexOutOfRange { op, index: i, dim, size });
            }
            Ok(i)
        })
        .collect()
}

impl Tensor {
    /// Entries `index` (a 1-D tensor of whole numbers) of dimension `dim`, in that order.
    /// Backward: g added back at the selected positions.
    pub fn index_select(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        let d = normalize_axis("index_select", dim, self.rank())?;
        if index.rank() != 1 {
            return Err(Error::invalid("index_select", format!("index must be 1-D, got shape {:?}", index.shape())));
        }
        let idx = indices("index_select", index, d, self.shape()[d])?;
        let storage = self.with_storage(|s, l| s.index_select(l, d, &idx))?;
        let mut shape = self.shape().to_vec();
        shape[d] = idx.len();
        let out = Tensor::from_storage(storage, &shape);
        Ok(record(out, "index_select", &[self], move |g, inputs, _| {
            let x = &inputs[0];
            let storage = g.with_storage(|s, l| s.index_add(l, d, &idx, x.shape()))?;
            Ok(vec![Some(Tensor::from_storage(storage, x.shape()))])
        }))
    }

    /// `out[i][j] = x[i][index[i][j]]` for `dim = 1` (and likewise for any dim):
    /// `index` has the rank of `x` and the shape of the result, e.g. picking each
    /// row's true-class log-probability. Backward: g scattered back (summing repeats).
    pub fn gather(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        let d = normalize_axis("gather", dim, self.rank())?;
        let fits = index.rank() == self.rank()
            && index.shape().iter().zip(self.shape()).enumerate().all(|(i, (&a, &b))| i == d || a <= b);
        if !fits {
            return Err(Error::ShapeMismatch { op: "gather", lhs: self.shape().to_vec(), rhs: index.shape().to_vec() });
        }
        let idx = indices("gather", index, d, self.shape()[d])?;
        let out_shape = index.shape().to_vec();
        let storage = self.with_storage(|s, l| s.gather(l, d, &idx, &out_shape))?;
        let out = Tensor::from_storage(storage, &out_shape);
        Ok(record(out, "gather", &[self], move |g, inputs, _| {
            let x = &inputs[0];
            let storage = g.with_storage(|s, l| s.scatter_add(l, d, &idx, x.shape()))?;
            Ok(vec![Some(Tensor::from_storage(storage, x.shape()))])
        }))
    }
}
