//! Training: the fit loop with validation, early stopping, schedules and
//! callbacks, and the metrics it reports.

mod callback;
mod early_stop;
pub mod metrics;
mod trainer;

/// Runs a unit of work (such as one training step of a hand-written loop) on
/// rede's thread pool, with the calling thread as one of its workers.
pub use crate::parallel::on_pool;
pub use callback::Callback;
pub use early_stop::{EarlyStopping, Monitor};
pub use trainer::{evaluate, EpochRecord, History, Position, Snapshot, Start, Task, TrainConfig, Trainer};
