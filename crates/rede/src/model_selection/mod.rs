//! Model selection: k-fold splits, cross-validation, and hyperparameter search
//! (grid, random, successive halving) over a parameter space.

mod folds;
mod search;
mod share;
mod space;

pub use folds::{cross_val_score, KFold, StratifiedKFold};
pub use search::{search, search_distributed, Evaluation, Objective, SearchOptions, SearchReport, Strategy, Trial};
pub use space::{Config, Distribution, SearchSpace};
