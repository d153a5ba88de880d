//! An in-memory dataset of (features, targets) and its shuffled mini-batches.

use crate::{Error, Result, Rng, Tensor};

/// Features `x` (first dimension = samples) with their targets `y`
/// (class indices as whole numbers for classification, values for regression).
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Features, `[n, ...]`.
    pub x: Tensor,
    /// Targets, `[n]` or `[n, outputs]`.
    pub y: Tensor,
}

impl Dataset {
    /// Pairs features with targets; both must have the same number of samples.
    pub fn new(x: Tensor, y: Tensor) -> Result<Self> {
        if x.rank() == 0 || y.rank() == 0 || x.shape()[0] != y.shape()[0] {
            return Err(Error::ShapeMismatch { op: "Dataset::new", lhs: x.shape().to_vec(), rhs: y.shape().to_vec() });
        }
        Ok(Dataset { x, y })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.x.shape()[0]
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same samples on `device` (the same handles when already there), so
    /// the mini-batches of a dataset uploaded once are gathered on the device.
    pub fn to_device(&self, device: crate::Device) -> Result<Dataset> {
        Ok(Dataset { x: self.x.to_device(device)?, y: self.y.to_device(device)? })
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset> {
        let idx = Tensor::from_vec(indices.iter().map(|&i| i as f64).collect::<Vec<_>>(), &[indices.len()])?;
        Ok(Dataset { x: self.x.index_select(0, &idx)?, y: self.y.index_select(0, &idx)? })
    }

    /// Mini-batches of `batch_size`, shuffled by `rng` when given; the last
    /// partial batch is kept unless `drop_last`.
    pub fn batches(&self, batch_size: usize, rng: Option<&mut Rng>, drop_last: bool) -> Result<Batches<'_>> {
        if batch_size == 0 {
            return Err(Error::invalid("batches", "batch size must be at least 1"));
        }
        let order = match rng {
            Some(r) => r.permutation(self.len()),
            None => (0..self.len()).collect(),
        };
        Ok(Batches { data: self, order, batch_size, drop_last, next: 0, shard: (0, 1) })
    }
}

impl Batches<'_> {
    /// The same batches from batch `batch` (0-based) on, the earlier ones not gathered.
    pub fn skip_to(mut self, batch: usize) -> Self {
        self.next = batch.saturating_mul(self.batch_size).min(self.order.len());
        self
    }

    /// The same batches, each cut to the slice rank `rank` of `size` trains on
    /// (contiguous, sizes differing by at most one; possibly empty): together the
    /// ranks' slices of a batch are the whole batch.
    pub fn shard(mut self, rank: usize, size: usize) -> Self {
        self.shard = (rank, size.max(1));
        self
    }
}

/// Iterator over mini-batches `(x, y)` of a [`Dataset`].
pub struct Batches<'a> {
    data: &'a Dataset,
    order: Vec<usize>,
    batch_size: usize,
    drop_last: bool,
    next: usize,
    /// This rank and the number of ranks the batches are split over.
    shard: (usize, usize),
}

impl Iterator for Batches<'_> {
    type Item = Result<(Tensor, Tensor)>;

    fn next(&mut self) -> Option<Self::Item> {
        let remaining = self.order.len() - self.next;
        if remaining == 0 || (self.drop_last && remaining < self.batch_size) {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let part = crate::distributed::shard_range(end - self.next, self.shard.0, self.shard.1);
        let batch = self.data.subset(&self.order[self.next + part.start..self.next + part.end]);
        self.next = end;
        Some(batch.map(|d| (d.x, d.y)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_sample_once() {
        let x = Tensor::arange(0.0, 10.0, 1.0, crate::DType::F32).unwrap().reshape(&[10, 1]).unwrap();
        let d = Dataset::new(x.clone(), x.reshape(&[10]).unwrap()).unwrap();
        let mut rng = Rng::seed(1);
        let sizes: Vec<usize> = d.batches(4, Some(&mut rng), false).unwrap().map(|b| b.unwrap().0.shape()[0]).collect();
        assert_eq!(sizes, vec![4, 4, 2]);
        let mut seen: Vec<f32> =
            d.batches(4, Some(&mut rng), false).unwrap().flat_map(|b| b.unwrap().1.to_vec_f32()).collect();
        seen.sort_by(f32::total_cmp);
        assert_eq!(seen, (0..10).map(|i| i as f32).collect::<Vec<_>>());
        assert_eq!(d.batches(4, None, true).unwrap().count(), 2);
    }
}
