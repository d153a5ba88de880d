//! Training progress on stderr: a bar when stderr is a terminal, one plain
//! line per epoch when it is not (logs, pipes), nothing with `--quiet`.

use indicatif::{ProgressBar, ProgressStyle};
use rede::train::{Callback, EpochRecord};
use std::io::IsTerminal;

/// Shows each epoch's loss and validation score.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    max_epochs: usize,
    unit: &'static str,
}

impl Progress {
    /// Progress over at most `max_epochs` epochs (`unit` names them: "epoch", "evaluation").
    pub fn new(quiet: bool, max_epochs: usize, unit: &'static str) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar = ProgressBar::new(max_epochs as u64);
            let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                .expect("a valid template")
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(format!("{unit}s"));
            bar
        });
        Progress { bar, plain: !quiet && !terminal, max_epochs, unit }
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
    fn on_epoch_end(&mut self, record: &EpochRecord) {
        if let Some(bar) = &self.bar {
            bar.set_message(describe(record));
            bar.set_position(record.epoch as u64);
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
