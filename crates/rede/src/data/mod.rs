//! Data: in-memory datasets and mini-batches, tables read from CSV, NumPy
//! (and with the `parquet` feature, Parquet) files and their preprocessing,
//! splits, synthetic and built-in datasets, IDX files and MNIST.

mod csv;
mod dataset;
pub mod datasets;
#[cfg(feature = "download")]
mod download;
mod encode;
pub mod idx;
mod missing;
mod mnist;
mod npy;
#[cfg(feature = "parquet")]
mod parquet;
mod pipeline;
mod scale;
mod source;
mod split;
pub mod synthetic;
mod table;
mod text;
mod typed;

pub use csv::{read_csv, read_csv_from, read_csv_header, read_csv_with_progress, CsvOptions};
pub use dataset::{Batches, Dataset};
pub use encode::{Classes, LabelEncoder, OneHotEncoder, UnknownCategory};
pub use idx::Idx;
pub use missing::{Impute, NA_TOKENS};
pub use mnist::Mnist;
pub use pipeline::{
    ColumnEncoding, FeaturePipeline, PipelineOptions, Preprocessing, Task, Unseen, MAX_FEATURE_BYTES,
    MAX_INFERRED_CLASSES,
};
pub use scale::{ChannelScaler, MinMaxScaler, StandardScaler};
pub use source::{read_column_names, read_table, read_table_from_bytes, read_table_with_progress, Format};
pub use split::{stratified_split, train_test_split};
pub use table::{Column, Table};
pub use text::TextColumn;
