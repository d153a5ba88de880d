//! Reading and writing files: trained models as `.safetensors`, and atomic writes.

mod atomic;
pub(crate) mod model_file;

pub use atomic::write_atomic;
pub use model_file::{load_model, save_model, LoadedModel, FORMAT_VERSION};
