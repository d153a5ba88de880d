//! Data: in-memory datasets and mini-batches, CSV tables and their
//! preprocessing, splits, synthetic and built-in datasets, IDX files and MNIST.

mod csv;
mod dataset;
pub mod datasets;
#[cfg(feature = "download")]
mod download;
mod encode;
pub mod idx;
mod mnist;
mod pipeline;
mod scale;
mod split;
pub mod synthetic;
mod table;

pub use csv::{read_csv, read_csv_from, CsvOptions};
pub use dataset::{Batches, Dataset};
pub use encode::{Classes, LabelEncoder, OneHotEncoder, UnknownCategory};
pub use idx::Idx;
pub use mnist::Mnist;
pub use pipeline::{ColumnEncoding, FeaturePipeline, PipelineOptions, Task, MAX_INFERRED_CLASSES};
pub use scale::{MinMaxScaler, StandardScaler};
pub use split::{stratified_split, train_test_split};
pub use table::{Column, Table};
