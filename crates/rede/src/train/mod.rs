//! Training: the fit loop with validation, early stopping, schedules and
//! callbacks, and the metrics it reports.

mod callback;
mod early_stop;
pub mod metrics;
mod trainer;

pub use callback::Callback;
pub use early_stop::{EarlyStopping, Monitor};
pub use trainer::{evaluate, EpochRecord, History, Position, Snapshot, Start, Task, TrainConfig, Trainer};
