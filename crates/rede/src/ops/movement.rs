//! Shape changes. Most are views (no copy): transpose, permute, narrow,
//! broadcast, squeeze/unsqueeze, and reshape of contiguous data.

use crate::autograd::record;
use crate::backend::Storage;
use crate::layout::Layout;
use crate::shape::{broadcast_shapes, normalize_axis};
use crate::{Error, Result, Tensor};

impl Tensor {
    /// The same elements under a new shape; copies only if the data is not contiguous.
    /// Backward: g reshaped back.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        let source = match self.layout().reshape(shape)? {
            Some(layout) => self.view_with(layout, None),
            None => self.contiguous().detach().reshape(shape)?,
        };
        Ok(record(source, "reshape", &[self], |g, inputs, _| Ok(vec![Some(g.reshape(inputs[0].shape())?)])))
    }

    /// Merges dimensions `start..=end` into one.
    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        if self.rank() == 0 {
            return self.reshape(&[1]);
        }
        let (s, e) = (normalize_axis("flatten", start, self.rank())?, normalize_axis("flatten", end, self.rank())?);
        if s > e {
            return Err(Error::invalid("flatten", format!("start axis {s} is after end axis {e}")));
        }
        let mut shape = self.shape()[..s].to_vec();
        shape.push(self.shape()[s..=e].iter().product());
        shape.extend_from_slice(&self.shape()[e + 1..]);
        self.reshape(&shape)
    }

    /// Swaps two dimensions (a view). Backward: the same swap.
    pub fn transpose(&self, d0: isize, d1: isize) -> Result<Tensor> {
        let (a, b) = (normalize_axis("transpose", d0, self.rank())?, normalize_axis("transpose", d1, self.rank())?);
        let out = self.view_with(self.layout().transpose(a, b), None);
        Ok(record(out, "transpose", &[self], move |g, _, _| Ok(vec![Some(g.transpose(a as isize, b as isize)?)])))
    }

    /// Transpose of a 2-D tensor.
    pub fn t(&self) -> Result<Tensor> {
        if self.rank() != 2 {
            return Err(Error::invalid("t", format!("needs a 2-D tensor, got shape {:?}", self.shape())));
        }
        self.transpose(0, 1)
    }

    /// Reorders dimensions: result dim `i` is input dim `perm[i]` (a view). Backward: the inverse permutation.
    pub fn permute(&self, perm: &[usize]) -> Result<Tensor> {
        let mut seen = vec![false; self.rank()];
        if perm.len() != self.rank() || perm.iter().any(|&p| p >= self.rank() || std::mem::replace(&mut seen[p], true))
        {
            return Err(Error::invalid("permute", format!("{perm:?} is not a permutation of {} axes", self.rank())));
        }
        let mut inverse = vec![0; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p] = i;
        }
        let out = self.view_with(self.layout().permute(perm), None);
        Ok(record(out, "permute", &[self], move |g, _, _| Ok(vec![Some(g.permute(&inverse)?)])))
    }

    /// Inserts a dimension of size 1 at `dim` (which may equal the rank).
    pub fn unsqueeze(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_axis("unsqueeze", dim, self.rank() + 1)?;
        let out = self.view_with(self.layout().unsqueeze(d), None);
        Ok(record(out, "unsqueeze", &[self], move |g, _, _| Ok(vec![Some(g.squeeze(d as isize)?)])))
    }

    /// Removes dimension `dim`, which must have size 1.
    pub fn squeeze(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_axis("squeeze", dim, self.rank())?;
        if self.shape()[d] != 1 {
            return Err(Error::invalid("squeeze", format!("dimension {d} of {:?} is not 1", self.shape())));
        }
        let out = self.view_with(self.layout().squeeze(d), None);
        Ok(record(out, "squeeze", &[self], move |g, _, _| Ok(vec![Some(g.unsqueeze(d as isize)?)])))
    }

    /// A broadcast view with the given shape (NumPy rules). Backward: g summed back to this shape.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        if broadcast_shapes("broadcast_to", self.shape(), shape)? != shape {
            return Err(Error::ShapeMismatch { op: "broadcast_to", lhs: self.shape().to_vec(), rhs: shape.to_vec() });
        }
        let out = self.view_with(self.layout().broadcast_to(shape), None);
        Ok(record(out, "broadcast_to", &[self], |g, inputs, _| Ok(vec![Some(g.sum_to_shape(inputs[0].shape())?)])))
    }

    /// Alias of [`Tensor::broadcast_to`], as PyTorch names it.
    pub fn expand(&self, shape: &[usize]) -> Result<Tensor> {
        self.broadcast_to(shape)
    }

    /// Entries `start..start+len` of dimension `dim` (a view). Backward: g padded with zeros.
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Result<Tensor> {
        let d = normalize_axis("narrow", dim, self.rank())?;
        let size = self.shape()[d];
        let end = start
            .checked_add(len)
            .ok_or_else(|| Error::invalid("narrow", format!("start {start} and length {len} overflow")))?;
        if end > size {
            return Err(Error::IndexOutOfRange { op: "narrow", index: end, dim: d, size });
        }
        let out = self.view_with(self.layout().narrow(d, start, len), None);
        Ok(record(out, "narrow", &[self], move |g, inputs, _| {
            let full = inputs[0].shape();
            let storage = g.with_storage(|s, l| s.pad(l, d, start, full))?;
            Ok(vec![Some(Tensor::from_storage(storage, full))])
        }))
    }

    /// Entries `start..end` of dimension `dim` (a view), like Python's `x[:, start:end]`.
    pub fn slice(&self, dim: isize, start: usize, end: usize) -> Result<Tensor> {
        if end < start {
            return Err(Error::invalid("slice", format!("end {end} is before start {start}")));
        }
        self.narrow(dim, start, end - start)
    }

    /// Joins tensors along `dim`; they must agree on every other dimension.
    /// Backward: each input gets its slice of g.
    pub fn cat(tensors: &[&Tensor], dim: isize) -> Result<Tensor> {
        let first = tensors.first().ok_or_else(|| Error::invalid("cat", "needs at least one tensor"))?;
        let d = normalize_axis("cat", dim, first.rank())?;
        for t in &tensors[1..] {
            super::same_dtype("cat", first, t)?;
            let agree = t.rank() == first.rank()
                && t.shape().iter().zip(first.shape()).enumerate().all(|(i, (a, b))| i == d || a == b);
            if !agree {
                return Err(Error::ShapeMismatch { op: "cat", lhs: first.shape().to_vec(), rhs: t.shape().to_vec() });
            }
        }
        // Packed copies first, so no two read locks on one buffer are ever held together.
        let packed: Vec<Storage> =
            tensors.iter().map(|t| t.with_storage(|s, l| s.copy_contiguous(l))).collect::<Result<_>>()?;
        let layouts: Vec<Layout> = tensors.iter().map(|t| Layout::contiguous(t.shape())).collect();
        let parts: Vec<_> = packed.iter().zip(&layouts).collect();
        let storage = Storage::concat(&parts, d)?;
        let mut shape = first.shape().to_vec();
        shape[d] = tensors.iter().map(|t| t.shape()[d]).sum();
        let sizes: Vec<usize> = tensors.iter().map(|t| t.shape()[d]).collect();
        let out = Tensor::from_storage(storage, &shape);
        Ok(record(out, "cat", tensors, move |g, _, _| {
            let mut start = 0;
            let mut grads = Vec::with_capacity(sizes.len());
            for &n in &sizes {
                grads.push(Some(g.narrow(d as isize, start, n)?));
                start += n;
            }
            Ok(grads)
        }))
    }

    /// Stacks same-shaped tensors along a new dimension `dim`.
    pub fn stack(tensors: &[&Tensor], dim: isize) -> Result<Tensor> {
        let first = tensors.first().ok_or_else(|| Error::invalid("stack", "needs at least one tensor"))?;
        if let Some(t) = tensors.iter().find(|t| t.shape() != first.shape()) {
            return Err(Error::ShapeMismatch { op: "stack", lhs: first.shape().to_vec(), rhs: t.shape().to_vec() });
        }
        let d = normalize_axis("stack", dim, first.rank() + 1)? as isize;
        let expanded = tensors.iter().map(|t| t.unsqueeze(d)).collect::<Result<Vec<_>>>()?;
        Tensor::cat(&expanded.iter().collect::<Vec<_>>(), d)
    }
}
