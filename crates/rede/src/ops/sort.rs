//! Sorting along an axis: `sort`, `argsort` and `topk`. The order is computed from
//! the values (NaN sorts as the largest, as in PyTorch); the values are then
//! gathered, so gradients flow back to the elements picked.

use crate::shape::normalize_axis;
use crate::{Error, Result, Tensor};
use std::cmp::Ordering;

/// Ascending order with NaN after everything (PyTorch's order).
fn nan_last(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).expect("neither is NaN"),
    }
}

impl Tensor {
    /// The values along `axis` in ascending (or descending) order, and their positions
    /// in the input (whole numbers in this tensor's type). Equal values keep their order.
    /// Backward: g sent back to the position each value came from.
    pub fn sort(&self, axis: isize, descending: bool) -> Result<(Tensor, Tensor)> {
        let indices = self.argsort(axis, descending)?;
        Ok((self.gather(axis, &indices)?, indices))
    }

    /// The positions that sort each line along `axis`; see [`Tensor::sort`].
    pub fn argsort(&self, axis: isize, descending: bool) -> Result<Tensor> {
        let d = normalize_axis("argsort", axis, self.rank().max(1))?;
        if self.rank() == 0 {
            return Ok(self.zeros_like().detach());
        }
        // Lines along the axis, made the last (and contiguous) dimension.
        let last = self.rank() - 1;
        let moved = self.detach().transpose(d as isize, last as isize)?;
        let n = moved.shape()[last];
        let values = moved.to_vec_f64();
        let mut order = Vec::with_capacity(values.len());
        for line in values.chunks(n.max(1)) {
            let mut idx: Vec<usize> = (0..line.len()).collect();
            idx.sort_by(|&i, &j| {
                let o = nan_last(line[i], line[j]);
                if descending {
                    o.reverse()
                } else {
                    o
                }
            });
            order.extend(idx.into_iter().map(|i| i as f64));
        }
        let order = Tensor::from_vec(order, moved.shape())?.to_dtype(self.dtype());
        order.transpose(d as isize, last as isize)?.contiguous().to_device(self.device())
    }

    /// The `k` largest (or smallest) values along `axis`, in order, and their positions.
    pub fn topk(&self, k: usize, axis: isize, largest: bool) -> Result<(Tensor, Tensor)> {
        let d = normalize_axis("topk", axis, self.rank())?;
        if k > self.shape()[d] {
            return Err(Error::invalid("topk", format!("k = {k} exceeds the size {} of axis {d}", self.shape()[d])));
        }
        let indices = self.argsort(axis, largest)?.narrow(d as isize, 0, k)?.contiguous();
        Ok((self.gather(axis, &indices)?, indices))
    }
}
