//! Ctrl-C during `rede train`: the first press lets the current batch finish,
//! then the run writes a checkpoint and the model so far; a second press quits at once.
//! `rede playground` stops serving at the first press.

use rede::train::{Callback, EpochRecord};
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: i32 = 130;

static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler; the returned flag turns true at the first press.
pub fn install() -> &'static AtomicBool {
    install_with("\nstopping after this batch to save a checkpoint (press Ctrl-C again to quit at once)")
}

/// [`install`], printing `message` at the first press.
pub fn install_with(message: &'static str) -> &'static AtomicBool {
    // An error means a handler is already installed, which is this one.
    let _ = ctrlc::set_handler(move || {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(INTERRUPTED);
        }
        eprintln!("{message}");
    });
    &STOP
}

/// A callback that also stops the run once `flag` is set.
pub struct StopOnFlag<'a> {
    /// The callback every call goes on to (progress output).
    pub inner: &'a mut dyn Callback,
    /// Set by the Ctrl-C handler.
    pub flag: &'a AtomicBool,
}

impl Callback for StopOnFlag<'_> {
    fn on_batch_end(&mut self, epoch: usize, batch: usize, batches: usize, loss: f64) {
        self.inner.on_batch_end(epoch, batch, batches, loss);
    }

    fn on_epoch_end(&mut self, record: &EpochRecord) {
        self.inner.on_epoch_end(record);
    }

    fn should_stop(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}
