//! Reading and writing files: trained models as `.safetensors`, and atomic writes.

mod atomic;
mod model_file;

pub use atomic::{write_atomic, StagedFiles};
pub use model_file::{load_model, load_model_bytes, model_file_bytes, save_model, LoadedModel, FORMAT_VERSION};
