//! Writing into and picking out of a tensor by position: `scatter` and `masked_select`,
//! composed from `index_select` over flattened data (so their gradients are its).

use crate::shape::{broadcast_shapes, contiguous_strides, normalize_axis};
use crate::{Error, Result, Tensor};

/// Whole-number positions from a tensor of whole numbers stored as floats.
fn positions(op: &'static str, index: &Tensor, size: usize) -> Result<Vec<usize>> {
    index
        .to_vec_f64()
        .into_iter()
        .map(|v| {
            if v.fract() != 0.0 || !(0.0..size as f64).contains(&v) {
                return Err(Error::invalid(op, format!("index {v} is out of range for a dimension of size {size}")));
            }
            Ok(v as usize)
        })
        .collect()
}

impl Tensor {
    /// A copy with `src` values written at `index` along `dim` (PyTorch's `scatter`): for
    /// `dim = 1`, `out[i][index[i][j]] = src[i][j]`. `index` has this tensor's rank, fits
    /// in `src`, and fits in this tensor outside `dim`. Where an index repeats, the last
    /// write wins. Backward: g to the positions kept and, gathered, to `src`.
    pub fn scatter(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        const OP: &str = "scatter";
        let d = normalize_axis(OP, dim, self.rank())?;
        super::same_dtype(OP, self, src)?;
        let fits = index.rank() == self.rank()
            && src.rank() == self.rank()
            && (0..self.rank())
                .all(|a| index.shape()[a] <= src.shape()[a] && (a == d || index.shape()[a] <= self.shape()[a]));
        if !fits {
            return Err(Error::invalid(
                OP,
                format!(
                    "index {:?} must fit src {:?} and the input {:?} outside dim {d}",
                    index.shape(),
                    src.shape(),
                    self.shape()
                ),
            ));
        }
        let targets = positions(OP, index, self.shape()[d])?;
        let (x_strides, src_strides) = (contiguous_strides(self.shape()), contiguous_strides(src.shape()));
        // Each output element reads from the input (its own position) or from src
        // (numel + its position there), over the two flattened and joined.
        let mut select: Vec<f64> = (0..self.numel()).map(|p| p as f64).collect();
        let index_strides = contiguous_strides(index.shape());
        for (flat, &target) in targets.iter().enumerate() {
            let (mut to, mut from) = (0, 0);
            for a in 0..index.rank() {
                let i = flat / index_strides[a] % index.shape()[a];
                to += if a == d { target } else { i } * x_strides[a];
                from += i * src_strides[a];
            }
            select[to] = (self.numel() + from) as f64;
        }
        let joined = Tensor::cat(&[&self.reshape(&[self.numel()])?, &src.reshape(&[src.numel()])?], 0)?;
        joined.index_select(0, &Tensor::from_vec(select, &[self.numel()])?)?.reshape(self.shape())
    }

    /// The elements where `mask` (broadcast with this tensor) is non-zero, as a 1-D tensor
    /// in row-major order. Backward: g back to those positions.
    pub fn masked_select(&self, mask: &Tensor) -> Result<Tensor> {
        let shape = broadcast_shapes("masked_select", self.shape(), mask.shape())?;
        let keep: Vec<f64> = mask
            .broadcast_to(&shape)?
            .to_vec_f64()
            .into_iter()
            .enumerate()
            .filter(|&(_, m)| m != 0.0)
            .map(|(p, _)| p as f64)
            .collect();
        let n = keep.len();
        let x = self.broadcast_to(&shape)?;
        x.reshape(&[x.numel()])?.index_select(0, &Tensor::from_vec(keep, &[n])?)
    }
}
