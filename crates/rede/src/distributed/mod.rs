//! Data-parallel training across processes: the [`Communicator`] seam the
//! [`crate::train::Trainer`] calls once per step, a single-process identity
//! ([`Solo`]), ranks as threads of one process ([`LocalGroup`], for tests), and
//! with the `mpi` feature the MPI implementation (`Mpi`).
//!
//! Every rank builds the same model, reads the same training rows and shuffles
//! them with the same seed; each takes its slice of every global batch, and the
//! gradients are summed (each rank's weighted by its share of the batch) with one
//! all-reduce per step, so every rank applies the same update and the parameters
//! stay identical. See `docs/distributed.md`.

mod grads;
mod local;
#[cfg(feature = "mpi")]
mod mpi;

pub(crate) use grads::{reduce_step, shard_range, sync_parameters};
pub use local::LocalGroup;
#[cfg(feature = "mpi")]
pub use mpi::Mpi;

use crate::Result;

/// The collective operations data-parallel training needs. Every rank must call
/// the same operations in the same order with buffers of the same length.
pub trait Communicator {
    /// This process's rank, `0..size()`.
    fn rank(&self) -> usize;

    /// How many ranks take part.
    fn size(&self) -> usize;

    /// Replaces `values` on every rank by their element-wise sum over all ranks.
    fn all_reduce_sum_f32(&self, values: &mut [f32]) -> Result<()>;

    /// Replaces `values` on every rank by those of rank `root`.
    fn broadcast_f32(&self, values: &mut [f32], root: usize) -> Result<()>;

    /// Replaces `values` on every rank by those of rank `root` (full precision,
    /// for figures such as a validation loss that decide on early stopping).
    fn broadcast_f64(&self, values: &mut [f64], root: usize) -> Result<()>;

    /// Rank `root`'s `value`, on every rank.
    fn broadcast_bool(&self, value: bool, root: usize) -> Result<bool> {
        let mut flag = [f32::from(u8::from(value))];
        self.broadcast_f32(&mut flag, root)?;
        Ok(flag[0] != 0.0)
    }

    /// Whether `value` holds on any rank.
    fn any(&self, value: bool) -> Result<bool> {
        let mut flag = [f32::from(u8::from(value))];
        self.all_reduce_sum_f32(&mut flag)?;
        Ok(flag[0] != 0.0)
    }

    /// Whether this rank is rank 0, which alone evaluates, reports and writes files.
    fn is_root(&self) -> bool {
        self.rank() == 0
    }
}

/// One process on its own: rank 0 of 1, every operation leaves the values as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct Solo;

impl Communicator for Solo {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_reduce_sum_f32(&self, _values: &mut [f32]) -> Result<()> {
        Ok(())
    }

    fn broadcast_f32(&self, _values: &mut [f32], _root: usize) -> Result<()> {
        Ok(())
    }

    fn broadcast_f64(&self, _values: &mut [f64], _root: usize) -> Result<()> {
        Ok(())
    }
}
