//! Training progress on stderr: a bar over the current epoch's batches when
//! stderr is a terminal, one plain line per epoch when it is not (logs, pipes),
//! nothing with `--quiet`; and a note while the data is read.

use indicatif::{ProgressBar, ProgressStyle};
use rede::train::{Callback, EpochRecord};
use std::io::IsTerminal;

/// Shows each epoch's loss and validation score.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    max_epochs: usize,
    unit: &'static str,
    /// The epoch the bar counts the batches of.
    epoch_shown: usize,
}

impl Progress {
    /// Progress over at most `max_epochs` epochs (`unit` names them: "epoch", "evaluation").
    /// On a terminal the bar counts the batches of the current epoch, so a long epoch moves.
    pub fn new(quiet: bool, max_epochs: usize, unit: &'static str) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar = ProgressBar::new(1);
            let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} batches {msg} ({elapsed})")
                .expect("a valid template")
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(format!("{unit} 1/{max_epochs}"));
            bar
        });
        Progress { bar, plain: !quiet && !terminal, max_epochs, unit, epoch_shown: 0 }
    }

    /// Ends the bar, saying how many epochs ran.
    pub fn finish(&self, epochs_run: usize, seconds: f64) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.bar.is_some() || self.plain {
            eprintln!("trained for {epochs_run} {}s in {seconds:.1}s", self.unit);
        }
    }
}

/// Shows that data is being read: a spinner on a terminal (a log gets nothing, so
/// an error stays the only line), none with `quiet`. The spinner goes when the
/// returned bar is dropped.
pub fn loading(quiet: bool, what: &str) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let spinner = ProgressBar::new_spinner().with_message(format!("reading {what}"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(spinner)
}

fn describe(r: &EpochRecord) -> String {
    let mut text = format!("loss {:.5}", r.train_loss);
    if let Some(v) = r.val_loss {
        text += &format!("  val_loss {v:.5}");
    }
    if let Some(s) = r.val_score {
        text += &format!("  val_score {s:.4}");
    }
    text
}

impl Callback for Progress {
    fn on_batch_end(&mut self, epoch: usize, batch: usize, batches: usize, _loss: f64) {
        if let Some(bar) = &self.bar {
            // A resumed run starts inside an epoch, so the epoch, not the batch, says when to reset.
            if epoch != self.epoch_shown {
                self.epoch_shown = epoch;
                bar.set_prefix(format!("{} {epoch}/{}", self.unit, self.max_epochs));
                bar.set_length(batches as u64);
            }
            bar.set_position(batch as u64);
        }
    }

    fn on_epoch_end(&mut self, record: &EpochRecord) {
        if let Some(bar) = &self.bar {
            // The message keeps the last finished epoch's numbers while the next one runs.
            bar.set_message(format!("· epoch {}: {}", record.epoch, describe(record)));
        } else if self.plain {
            eprintln!(
                "{} {:>4}/{}  {}  ({:.2}s)",
                self.unit,
                record.epoch,
                self.max_epochs,
                describe(record),
                record.seconds
            );
        }
    }
}
