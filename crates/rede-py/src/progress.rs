//! What the training loop reports back to Python while the GIL is released:
//! `verbose` progress lines, and Ctrl-C, which ends training after the batch.

use pyo3::prelude::*;
use rede::train::{Callback, EpochRecord};
use std::time::{Duration, Instant};

/// How often training takes the GIL back to look for a pending Ctrl-C.
const SIGNAL_CHECK_EVERY: Duration = Duration::from_millis(100);

/// Prints epochs (when verbose) and stops training on a pending KeyboardInterrupt.
pub(crate) struct Progress {
    verbose: bool,
    last_check: Instant,
    /// The KeyboardInterrupt (or other signal-handler error) to raise once training stopped.
    pub(crate) interrupted: Option<PyErr>,
}

impl Progress {
    pub(crate) fn new(verbose: bool) -> Progress {
        Progress { verbose, last_check: Instant::now(), interrupted: None }
    }

    /// Runs Python's signal handlers; a handler's exception (KeyboardInterrupt) stops training.
    fn check_signals(&mut self) {
        self.last_check = Instant::now();
        if let Err(e) = Python::with_gil(|py| py.check_signals()) {
            self.interrupted = Some(e);
        }
    }
}

impl Callback for Progress {
    fn on_batch_end(&mut self, _epoch: usize, _batch: usize, _batches: usize, _loss: f64) {
        if self.last_check.elapsed() >= SIGNAL_CHECK_EVERY {
            self.check_signals();
        }
    }

    fn on_epoch_end(&mut self, record: &EpochRecord) {
        if self.verbose {
            let mut line = format!("Iteration {}, loss = {:.8}", record.epoch, record.train_loss);
            if let Some(score) = record.val_score {
                line += &format!(", validation score = {score:.6}");
            }
            // Python's print, so redirected or captured stdout gets the line.
            Python::with_gil(|py| {
                let printed = py.import("builtins").and_then(|b| b.getattr("print")).and_then(|p| p.call1((line,)));
                if let Err(e) = printed {
                    e.print(py);
                }
            });
        }
        self.check_signals();
    }

    fn should_stop(&self) -> bool {
        self.interrupted.is_some()
    }
}
