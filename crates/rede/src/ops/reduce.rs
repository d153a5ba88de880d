//! Reductions over one or several axes, with or without keeping them as size 1.

use crate::autograd::record;
use crate::backend::ReduceOp;
use crate::shape::{broadcast_reduced_axes, broadcast_shapes, normalize_axes};
use crate::{Error, Result, Tensor};

/// The shape after reducing `axes`, with them kept as 1 or dropped.
fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Vec<usize> {
    let mut out = Vec::with_capacity(shape.len());
    for (i, &d) in shape.iter().enumerate() {
        if !axes.contains(&i) {
            out.push(d);
        } else if keepdim {
            out.push(1);
        }
    }
    out
}

impl Tensor {
    /// Runs a reduction kernel over `axes` (normalised), without recording.
    fn map_reduce(&self, axes: &[usize], keepdim: bool, op: ReduceOp) -> Result<Tensor> {
        let leading = axes.iter().enumerate().all(|(i, &a)| a == i);
        if op == ReduceOp::Sum && leading && !axes.is_empty() && axes.len() < self.rank() && self.is_contiguous() {
            // Summing the leading axes of packed data (a bias gradient): add whole rows,
            // instead of permuting the axes to the end and copying.
            let rows: usize = self.shape()[..axes.len()].iter().product();
            let cols: usize = self.shape()[axes.len()..].iter().product();
            let offset = self.layout().offset();
            let storage = self.with_storage(|s, _| s.sum_rows(offset, rows, cols))?;
            return Ok(Tensor::from_storage(storage, &reduced_shape(self.shape(), axes, keepdim)));
        }
        let kept: Vec<usize> = (0..self.rank()).filter(|a| !axes.contains(a)).collect();
        let perm: Vec<usize> = kept.iter().chain(axes).copied().collect();
        let layout = self.layout().permute(&perm);
        let storage = self.with_storage(|s, _| s.reduce(&layout, axes.len(), op))?;
        Ok(Tensor::from_storage(storage, &reduced_shape(self.shape(), axes, keepdim)))
    }

    /// Sum over `axes` (negative counts from the end; empty means all).
    /// Backward: g broadcast back over the reduced axes.
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let axes = self.axes_or_all("sum", axes)?;
        let out = self.map_reduce(&axes, keepdim, ReduceOp::Sum)?;
        Ok(record(out, "sum", &[self], move |g, inputs, _| {
            let x = &inputs[0];
            let kept = g.reshape(&reduced_shape(x.shape(), &axes, true))?;
            Ok(vec![Some(kept.broadcast_to(x.shape())?)])
        }))
    }

    /// Sum of all elements, as a rank-0 tensor.
    pub fn sum_all(&self) -> Result<Tensor> {
        self.sum(&[], false)
    }

    /// Mean over `axes` (empty means all).
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let normalized = self.axes_or_all("mean", axes)?;
        let count: usize = normalized.iter().map(|&a| self.shape()[a]).product();
        Ok(self.sum(axes, keepdim)?.div_scalar(count as f64))
    }

    /// Mean of all elements, as a rank-0 tensor.
    pub fn mean_all(&self) -> Result<Tensor> {
        self.mean(&[], false)
    }

    /// Maximum over `axes`. Backward: g shared evenly among the elements equal to the maximum.
    pub fn max(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.extreme(axes, keepdim, ReduceOp::Max, "max")
    }

    /// Minimum over `axes`. Backward: g shared evenly among the elements equal to the minimum.
    pub fn min(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.extreme(axes, keepdim, ReduceOp::Min, "min")
    }

    fn extreme(&self, axes: &[isize], keepdim: bool, op: ReduceOp, name: &'static str) -> Result<Tensor> {
        let axes = self.axes_or_all(name, axes)?;
        if axes.iter().any(|&a| self.shape()[a] == 0) {
            return Err(Error::invalid(name, format!("cannot reduce an empty axis of shape {:?}", self.shape())));
        }
        let out = self.map_reduce(&axes, keepdim, op)?;
        Ok(record(out, name, &[self], move |g, inputs, y| {
            let x = &inputs[0];
            let keep = reduced_shape(x.shape(), &axes, true);
            let hit = x.eq(&y.reshape(&keep)?)?;
            let count = hit.map_reduce(&axes, true, ReduceOp::Sum)?;
            Ok(vec![Some(g.reshape(&keep)?.mul(&hit)?.div(&count)?)])
        }))
    }

    /// Variance over `axes`, unbiased (divides by n − 1) like PyTorch's default.
    pub fn var(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let normalized = self.axes_or_all("var", axes)?;
        let n: usize = normalized.iter().map(|&a| self.shape()[a]).product();
        if n < 2 {
            return Err(Error::invalid(
                "var",
                format!("needs at least 2 elements per group, shape {:?}", self.shape()),
            ));
        }
        let centered = self.sub(&self.mean(axes, true)?)?;
        Ok(centered.square().sum(axes, keepdim)?.div_scalar((n - 1) as f64))
    }

    /// log Σ exp(x) over `axes`, computed stably by factoring out the maximum.
    pub fn logsumexp(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let m = self.detach().max(axes, true)?;
        // An all −∞ (or infinite) group would give ∞ − ∞; shift such groups by 0 instead.
        let m = m.masked_fill(&m.isfinite().eq_scalar(0.0), 0.0)?;
        let lse = self.sub(&m)?.exp().sum(axes, true)?.log().add(&m)?;
        if keepdim {
            return Ok(lse);
        }
        let axes = self.axes_or_all("logsumexp", axes)?;
        lse.reshape(&reduced_shape(self.shape(), &axes, false))
    }

    /// Index of the largest element along `axis` (negative counts from the end), as
    /// whole numbers in this tensor's type, with that axis removed: PyTorch's
    /// `x.argmax(dim)`. A NaN counts as the largest, as in PyTorch.
    pub fn argmax(&self, axis: isize) -> Result<Tensor> {
        self.arg_reduce("argmax", axis, false, ReduceOp::ArgMax)
    }

    /// [`Tensor::argmax`] keeping `axis` with size 1 (PyTorch's `keepdim=True`).
    pub fn argmax_keepdim(&self, axis: isize) -> Result<Tensor> {
        self.arg_reduce("argmax", axis, true, ReduceOp::ArgMax)
    }

    /// Index of the smallest element along `axis`, with that axis removed.
    pub fn argmin(&self, axis: isize) -> Result<Tensor> {
        self.arg_reduce("argmin", axis, false, ReduceOp::ArgMin)
    }

    /// [`Tensor::argmin`] keeping `axis` with size 1.
    pub fn argmin_keepdim(&self, axis: isize) -> Result<Tensor> {
        self.arg_reduce("argmin", axis, true, ReduceOp::ArgMin)
    }

    fn arg_reduce(&self, op: &'static str, axis: isize, keepdim: bool, reduce: ReduceOp) -> Result<Tensor> {
        let axes = normalize_axes(op, &[axis], self.rank())?;
        self.map_reduce(&axes, keepdim, reduce)
    }

    /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        // `shape` must broadcast to this one; otherwise there is no axis set to sum over
        // (and an empty axis list would mean "all axes").
        let mismatch = || Error::ShapeMismatch { op: "sum_to_shape", lhs: self.shape().to_vec(), rhs: shape.to_vec() };
        if shape.len() > self.rank()
            || broadcast_shapes("sum_to_shape", shape, self.shape()).ok().as_deref() != Some(self.shape())
        {
            return Err(mismatch());
        }
        let axes: Vec<isize> = broadcast_reduced_axes(shape, self.shape()).into_iter().map(|a| a as isize).collect();
        self.sum(&axes, true)?.reshape(shape)
    }

    /// Normalises axes; an empty list means every axis.
    fn axes_or_all(&self, op: &'static str, axes: &[isize]) -> Result<Vec<usize>> {
        if axes.is_empty() {
            return Ok((0..self.rank()).collect());
        }
        normalize_axes(op, axes, self.rank())
    }
}
