//! Hooks the training loop calls, e.g. for progress bars.

use super::EpochRecord;

/// Observes training. Every method has an empty default.
pub trait Callback {
    /// After each mini-batch: 1-based epoch and batch, batches per epoch, the batch loss.
    fn on_batch_end(&mut self, _epoch: usize, _batch: usize, _batches: usize, _loss: f64) {}

    /// After each epoch, with its record.
    fn on_epoch_end(&mut self, _record: &EpochRecord) {}

    /// Asked after each mini-batch: `true` ends training there (e.g. on Ctrl-C), after
    /// a checkpoint when one is set up ([`super::Trainer::with_checkpoint`]). The
    /// interrupted epoch is recorded over the batches it ran, and the weights are kept.
    fn should_stop(&self) -> bool {
        false
    }
}
