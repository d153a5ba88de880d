//! Which network `rede train` fits: the MLP its flags describe, a named preset
//! (`--model`), or an architecture file (`--model-spec`).

use crate::error::CliError;
use crate::load::Split;
use crate::CliResult;
use clap::ValueEnum;
use rede::data::{FeaturePipeline, PipelineOptions, UnknownCategory};
use rede::nn::{presets, LayerSpec, ModelSpec};
use std::path::{Path, PathBuf};

/// The metadata entry naming the architecture a model file was trained with.
pub const KEY_ARCHITECTURE: &str = "rede.architecture";

/// The named architectures of `--model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// Dense layers from --hidden, --activation and --dropout.
    Mlp,
    /// LeNet-5 on 28x28 images (784 features, e.g. MNIST).
    Lenet5,
    /// An LSTM (128 units) reading a square image row by row (e.g. MNIST's 784 = 28x28).
    Lstm,
}

/// The network to train.
pub enum Architecture {
    /// The MLP the hyperparameters describe.
    Mlp,
    /// A preset other than `mlp`, by its name in [`presets::by_name`].
    Preset(&'static str),
    /// An architecture file, read and checked.
    File {
        /// Where it was read from.
        path: PathBuf,
        /// What it says.
        spec: ModelSpec,
    },
}

impl Architecture {
    /// The architecture `--model` and `--model-spec` ask for (clap keeps them apart);
    /// a spec file is read now, so its errors come before any data is loaded.
    pub fn from_args(model: Option<Preset>, spec_file: Option<&Path>) -> CliResult<Architecture> {
        Ok(match (model, spec_file) {
            (_, Some(path)) => Architecture::File { path: path.to_path_buf(), spec: ModelSpec::read(path)? },
            (None | Some(Preset::Mlp), None) => Architecture::Mlp,
            (Some(Preset::Lenet5), None) => Architecture::Preset("lenet5"),
            (Some(Preset::Lstm), None) => Architecture::Preset("lstm"),
        })
    }

    /// What the architecture is called in reports and in the model file.
    pub fn name(&self) -> String {
        match self {
            Architecture::Mlp => "mlp".into(),
            Architecture::Preset(name) => (*name).into(),
            Architecture::File { path, .. } => {
                format!("spec file {}", path.file_name().map_or(path.as_os_str(), |n| n).to_string_lossy())
            }
        }
    }

    /// The option that chose it, for error messages.
    pub fn flag(&self) -> String {
        match self {
            Architecture::Mlp => "--model mlp".into(),
            Architecture::Preset(name) => format!("--model {name}"),
            Architecture::File { path, .. } => format!("--model-spec {}", path.display()),
        }
    }

    /// The channels of the images the network reads, for per-channel standardizing:
    /// one for the presets (grey 28x28 images, read as a whole or row by row), `C` for
    /// a spec whose `input_shape` is `[C, H, W]`, one for `[H, W]`; `None` for tabular
    /// networks (the MLP, or a spec without a two-dimensional input).
    pub fn image_channels(&self) -> Option<usize> {
        match self {
            Architecture::Mlp => None,
            Architecture::Preset(_) => Some(1),
            Architecture::File { spec, .. } => match spec.input_shape.as_deref() {
                Some([channels, _, _]) => Some(*channels),
                Some([_, _]) => Some(1),
                _ => None,
            },
        }
    }

    /// The network as a spec for `MlpParams::model` (`None` for the MLP). Presets are
    /// sized to the data: its feature count and number of classes.
    pub fn layer_spec(&self, split: &Split) -> CliResult<Option<LayerSpec>> {
        match self {
            Architecture::Mlp => Ok(None),
            Architecture::File { spec, .. } => Ok(Some(spec.to_layer_spec())),
            Architecture::Preset(name) => {
                let options = PipelineOptions {
                    standardize: false,
                    scale_target: false,
                    task: Some(split.task),
                    unknown_category: UnknownCategory::Zeros,
                    image_channels: None,
                    preprocessing: split.preprocessing.clone(),
                };
                let pipeline = FeaturePipeline::fit(&split.train, &split.target, &options)?;
                let spec = presets::by_name(name, pipeline.n_features(), pipeline.n_outputs()).map_err(|e| {
                    let msg = match e {
                        rede::Error::Invalid { msg, .. } => msg,
                        other => other.to_string(),
                    };
                    CliError::new(format!("{}: --model {name}: {msg}", split.name))
                })?;
                Ok(Some(spec))
            }
        }
    }
}
