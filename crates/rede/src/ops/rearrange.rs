//! Rearranging elements, composed from views, `cat` and `index_select` (so gradients
//! are theirs): flip, roll, repeat, constant padding, split and chunk.

use crate::shape::{normalize_axes, normalize_axis};
use crate::{Error, Result, Tensor};

impl Tensor {
    /// Reverses the order of elements along each of `axes`.
    pub fn flip(&self, axes: &[isize]) -> Result<Tensor> {
        let mut out = self.clone();
        for d in normalize_axes("flip", axes, self.rank())? {
            let n = self.shape()[d];
            let reversed: Vec<f64> = (0..n).rev().map(|i| i as f64).collect();
            out = out.index_select(d as isize, &Tensor::from_vec(reversed, &[n])?)?;
        }
        Ok(out)
    }

    /// Shifts elements along each `axes[i]` by `shifts[i]` places, wrapping around
    /// (element j moves to j + shift mod n).
    pub fn roll(&self, shifts: &[isize], axes: &[isize]) -> Result<Tensor> {
        if shifts.len() != axes.len() {
            return Err(Error::invalid("roll", format!("{} shifts for {} axes", shifts.len(), axes.len())));
        }
        let mut out = self.clone();
        for (&shift, &axis) in shifts.iter().zip(axes) {
            let d = normalize_axis("roll", axis, self.rank())?;
            let n = self.shape()[d] as isize;
            let s = if n == 0 { 0 } else { shift.rem_euclid(n) } as usize;
            if s == 0 {
                continue;
            }
            let n = n as usize;
            let (tail, head) = (out.narrow(d as isize, n - s, s)?, out.narrow(d as isize, 0, n - s)?);
            out = Tensor::cat(&[&tail, &head], d as isize)?;
        }
        Ok(out)
    }

    /// Tiles the tensor `repeats[i]` times along dimension i (PyTorch's `repeat`); with more
    /// repeats than dimensions, leading dimensions of size 1 are added first.
    pub fn repeat(&self, repeats: &[usize]) -> Result<Tensor> {
        if repeats.len() < self.rank() {
            return Err(Error::invalid(
                "repeat",
                format!("needs at least {} repeats for shape {:?}, got {repeats:?}", self.rank(), self.shape()),
            ));
        }
        let mut shape = vec![1; repeats.len() - self.rank()];
        shape.extend_from_slice(self.shape());
        // [s0, s1, …] → [1, s0, 1, s1, …] → broadcast [r0, s0, r1, s1, …] → [r0·s0, r1·s1, …].
        let interleaved: Vec<usize> = shape.iter().flat_map(|&s| [1, s]).collect();
        let expanded: Vec<usize> = repeats.iter().zip(&shape).flat_map(|(&r, &s)| [r, s]).collect();
        let tiled: Vec<usize> = repeats.iter().zip(&shape).map(|(&r, &s)| r * s).collect();
        self.reshape(&interleaved)?.broadcast_to(&expanded)?.reshape(&tiled)
    }

    /// Pads with `value`: `pads` lists (before, after) counts starting from the last
    /// dimension, as PyTorch's `F.pad` (`[left, right, top, bottom, …]` flattened).
    pub fn pad(&self, pads: &[usize], value: f64) -> Result<Tensor> {
        if pads.len() % 2 != 0 || pads.len() / 2 > self.rank() {
            return Err(Error::invalid(
                "pad",
                format!("needs (before, after) pairs for at most {} dimensions, got {pads:?}", self.rank()),
            ));
        }
        let mut out = self.clone();
        for (i, pair) in pads.chunks(2).enumerate() {
            let d = self.rank() - 1 - i;
            let block = |n: usize, like: &Tensor| {
                let mut shape = like.shape().to_vec();
                shape[d] = n;
                Tensor::full(&shape, value, like.dtype()).to_device(like.device())
            };
            let (before, after) = (block(pair[0], &out)?, block(pair[1], &out)?);
            out = Tensor::cat(&[&before, &out, &after], d as isize)?;
        }
        Ok(out)
    }

    /// Pieces of `size` along `axis` (the last may be shorter), as views.
    pub fn split(&self, size: usize, axis: isize) -> Result<Vec<Tensor>> {
        let d = normalize_axis("split", axis, self.rank())?;
        if size == 0 {
            return Err(Error::invalid("split", "the piece size must be positive"));
        }
        let n = self.shape()[d];
        let sizes: Vec<usize> = (0..n).step_by(size).map(|start| size.min(n - start)).collect();
        self.split_sizes(&sizes, axis)
    }

    /// Pieces of the given sizes along `axis`, which must add up to its length, as views.
    pub fn split_sizes(&self, sizes: &[usize], axis: isize) -> Result<Vec<Tensor>> {
        let d = normalize_axis("split", axis, self.rank())?;
        if sizes.iter().sum::<usize>() != self.shape()[d] {
            return Err(Error::invalid(
                "split",
                format!("sizes {sizes:?} do not add up to {} (axis {d} of {:?})", self.shape()[d], self.shape()),
            ));
        }
        let mut start = 0;
        sizes
            .iter()
            .map(|&n| {
                start += n;
                self.narrow(d as isize, start - n, n)
            })
            .collect()
    }

    /// `chunks` pieces of equal size along `axis` (the last may be shorter, and there may
    /// be fewer pieces, as in PyTorch's `chunk`).
    pub fn chunk(&self, chunks: usize, axis: isize) -> Result<Vec<Tensor>> {
        let d = normalize_axis("chunk", axis, self.rank())?;
        if chunks == 0 {
            return Err(Error::invalid("chunk", "needs at least one chunk"));
        }
        self.split(self.shape()[d].div_ceil(chunks).max(1), axis)
    }
}
