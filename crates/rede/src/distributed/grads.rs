//! What the trainer exchanges: the parameters once at the start, then per step
//! the gradients, the loss and a stop flag, flattened into one buffer.

use super::Communicator;
use crate::{Error, Result, Tensor};
use std::ops::Range;

/// The rows `rank` of `size` takes of a global batch of `len` rows: contiguous
/// slices, sizes differing by at most one, together the whole batch in order.
pub(crate) fn shard_range(len: usize, rank: usize, size: usize) -> Range<usize> {
    let size = size.max(1);
    len * rank / size..len * (rank + 1) / size
}

/// Gives every rank rank 0's parameters, after checking that all ranks hold
/// the same number of them (a mismatch would make the later all-reduces disagree).
pub(crate) fn sync_parameters(comm: &dyn Communicator, params: &[Tensor]) -> Result<()> {
    let count: usize = params.iter().map(Tensor::numel).sum();
    let mut root_count = [count as f64];
    comm.broadcast_f64(&mut root_count, 0)?;
    if comm.any(root_count[0] != count as f64)? {
        let msg = format!(
            "the ranks' models differ: rank 0 has {} parameters, rank {} has {count}",
            root_count[0],
            comm.rank()
        );
        return Err(Error::invalid("distributed", msg));
    }
    // In f64, so that f64 models arrive exactly too.
    let mut flat: Vec<f64> = params.iter().flat_map(|p| p.to_vec::<f64>()).collect();
    comm.broadcast_f64(&mut flat, 0)?;
    if comm.is_root() {
        return Ok(());
    }
    let mut offset = 0;
    for p in params {
        p.write_from_host(&flat[offset..offset + p.numel()])?;
        offset += p.numel();
    }
    Ok(())
}

/// One all-reduce per step: sums over the ranks each one's gradients of `params`
/// and its `loss`, both scaled by `weight` (its share of the global batch, so the
/// sum is the global batch's mean), and its `stop` flag. Writes the summed
/// gradients back unless the summed loss is not finite, and returns that loss and
/// whether any rank asked to stop.
pub(crate) fn reduce_step(
    comm: &dyn Communicator,
    params: &[Tensor],
    weight: f64,
    loss: f64,
    stop: bool,
) -> Result<(f64, bool)> {
    let n: usize = params.iter().map(Tensor::numel).sum();
    let mut buffer = Vec::with_capacity(n + 2);
    let w = weight as f32;
    for p in params {
        match p.grad() {
            Some(g) => buffer.extend(g.to_vec::<f32>().into_iter().map(|v| v * w)),
            // No gradient here (an empty shard, or a parameter this batch did not reach): adds nothing.
            None => buffer.resize(buffer.len() + p.numel(), 0.0),
        }
    }
    buffer.push((loss * weight) as f32);
    buffer.push(f32::from(u8::from(stop)));
    comm.all_reduce_sum_f32(&mut buffer)?;
    let (loss, stop) = (f64::from(buffer[n]), buffer[n + 1] != 0.0);
    if loss.is_finite() {
        write_gradients(params, &buffer[..n])?;
    }
    Ok((loss, stop))
}

/// Sets each parameter's gradient to its part of `flat`, in a fresh tensor on the
/// parameter's device: a gradient from backward may share its buffer with another's.
fn write_gradients(params: &[Tensor], flat: &[f32]) -> Result<()> {
    let mut offset = 0;
    for p in params {
        let grad = p.zeros_like();
        grad.write_from_host(&flat[offset..offset + p.numel()])?;
        p.set_grad(Some(grad));
        offset += p.numel();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_batch_in_order() {
        let parts: Vec<_> = (0..3).map(|r| shard_range(10, r, 3)).collect();
        assert_eq!(parts, vec![0..3, 3..6, 6..10]);
        assert_eq!(shard_range(1, 0, 2), 0..0);
        assert_eq!(shard_range(1, 1, 2), 0..1);
    }
}
