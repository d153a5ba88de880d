//! The `Module` abstraction every layer and model implements, and [`LayerSpec`],
//! the architecture as serializable data.

use super::{Initializer, LoadReport, StateDict};
use crate::{Result, Tensor};
use serde::{Deserialize, Serialize};

/// A differentiable function with parameters: a layer or a whole model.
pub trait Module: Send + Sync {
    /// Applies the module to a batch.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// Parameters with their names (containers prefix children, e.g. `"0.weight"`).
    fn named_parameters(&self) -> Vec<(String, Tensor)>;

    /// The parameters, in the order of [`Module::named_parameters`].
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters().into_iter().map(|(_, t)| t).collect()
    }

    /// Number of trainable scalars.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Tensor::numel).sum()
    }

    /// State that is saved with the model but not trained (e.g. batch-norm running statistics).
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Switches between training (dropout active, batch statistics) and evaluation behaviour.
    fn set_training(&mut self, _training: bool) {}

    /// Moves every parameter and buffer to `device` in place (like PyTorch's
    /// `module.to(device)`): the module's tensors, and any optimizer holding them,
    /// then live there. Create optimizers after moving, so their state is made
    /// on the same device.
    fn to_device(&self, device: crate::Device) -> Result<()> {
        device.check_available()?;
        for (_, t) in self.named_parameters().into_iter().chain(self.named_buffers()) {
            t.move_to_device(device)?;
        }
        Ok(())
    }

    /// The device of the first parameter (the CPU for a module without parameters).
    fn device(&self) -> crate::Device {
        self.parameters().first().map_or(crate::Device::Cpu, Tensor::device)
    }

    /// The architecture as data, so a saved model can be rebuilt with
    /// [`crate::io::save_model`]. `None` (the default) for a module that no
    /// [`LayerSpec`] describes, such as a user-defined one: save its weights with
    /// [`Module::state_dict`] instead.
    fn spec(&self) -> Option<LayerSpec> {
        None
    }

    /// Every parameter and buffer by name, as PyTorch's `state_dict()`: the weights
    /// without the architecture, for any module. See [`StateDict`].
    fn state_dict(&self) -> StateDict {
        StateDict::of(self)
    }

    /// Copies `state`'s tensors into this module's parameters and buffers (in place),
    /// matching them by name. With `strict`, any missing, unexpected or mis-shaped
    /// name is an error and nothing is copied; otherwise the tensors that fit are
    /// copied and the [`LoadReport`] lists the rest.
    fn load_state_dict(&self, state: &StateDict, strict: bool) -> Result<LoadReport> {
        state.load_into(self, strict)
    }
}

/// A serializable description of a layer or model. `build` turns it into a
/// module with freshly initialized parameters.
///
/// In JSON each layer is an object tagged by `"type"`, e.g.
/// `{"type":"linear","in_features":784,"out_features":10,"bias":true}` or
/// `{"type":"dropout","p":0.5}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerSpec {
    /// y = x·Wᵀ + b.
    Linear {
        /// Input features.
        in_features: usize,
        /// Output features.
        out_features: usize,
        /// Whether there is a bias (default true).
        #[serde(default = "crate::nn::conv::yes")]
        bias: bool,
        /// How the weight is initialized; `None` picks a default from the next
        /// layer when built inside a [`LayerSpec::Sequential`] (Glorot uniform alone).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        init: Option<Initializer>,
    },
    /// Layers applied in order.
    Sequential {
        /// The layers.
        layers: Vec<LayerSpec>,
    },
    /// y = x.
    Identity,
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// max(x, 0).
    Relu,
    /// x for x > 0, `negative_slope`·x otherwise.
    LeakyRelu {
        /// Slope for negative inputs (PyTorch's default is 0.01).
        negative_slope: f64,
    },
    /// Exact GELU, x·Φ(x).
    Gelu,
    /// Softmax along an axis.
    Softmax {
        /// The axis (negative counts from the end).
        axis: isize,
    },
    /// Inverted dropout with drop probability `p`.
    Dropout {
        /// Probability of zeroing each unit in training, in `[0, 1)`.
        p: f64,
    },
    /// 1-D convolution over `[N, C, L]`.
    Conv1d {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// Kernel length.
        kernel_size: usize,
        /// Step between windows.
        #[serde(default = "crate::nn::conv::one")]
        stride: usize,
        /// Zeros on each side.
        #[serde(default)]
        padding: usize,
        /// Spacing between kernel taps.
        #[serde(default = "crate::nn::conv::one")]
        dilation: usize,
        /// Channel groups.
        #[serde(default = "crate::nn::conv::one")]
        groups: usize,
        /// Whether there is a bias.
        #[serde(default = "crate::nn::conv::yes")]
        bias: bool,
    },
    /// 2-D convolution over `[N, C, H, W]`; sizes are `[height, width]` or one number for both.
    Conv2d {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// Kernel height and width.
        #[serde(deserialize_with = "crate::nn::conv::pair")]
        kernel_size: [usize; 2],
        /// Step between windows.
        #[serde(default = "crate::nn::conv::ones", deserialize_with = "crate::nn::conv::pair")]
        stride: [usize; 2],
        /// Zeros on each side.
        #[serde(default, deserialize_with = "crate::nn::conv::pair")]
        padding: [usize; 2],
        /// Spacing between kernel taps.
        #[serde(default = "crate::nn::conv::ones", deserialize_with = "crate::nn::conv::pair")]
        dilation: [usize; 2],
        /// Channel groups.
        #[serde(default = "crate::nn::conv::one")]
        groups: usize,
        /// Whether there is a bias.
        #[serde(default = "crate::nn::conv::yes")]
        bias: bool,
    },
    /// Transposed 2-D convolution over `[N, C, H, W]` (upsampling); sizes are
    /// `[height, width]` or one number for both.
    ConvTranspose2d {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// Kernel height and width.
        #[serde(deserialize_with = "crate::nn::conv::pair")]
        kernel_size: [usize; 2],
        /// Step between input positions in the output.
        #[serde(default = "crate::nn::conv::ones", deserialize_with = "crate::nn::conv::pair")]
        stride: [usize; 2],
        /// Rows and columns removed from each side of the full output.
        #[serde(default, deserialize_with = "crate::nn::conv::pair")]
        padding: [usize; 2],
        /// Extra rows and columns at the bottom and right (below the stride or dilation).
        #[serde(default, deserialize_with = "crate::nn::conv::pair")]
        output_padding: [usize; 2],
        /// Spacing between kernel taps.
        #[serde(default = "crate::nn::conv::ones", deserialize_with = "crate::nn::conv::pair")]
        dilation: [usize; 2],
        /// Channel groups.
        #[serde(default = "crate::nn::conv::one")]
        groups: usize,
        /// Whether there is a bias.
        #[serde(default = "crate::nn::conv::yes")]
        bias: bool,
    },
    /// Maximum over windows of `[N, C, H, W]`.
    MaxPool2d {
        /// Window height and width.
        #[serde(deserialize_with = "crate::nn::conv::pair")]
        kernel_size: [usize; 2],
        /// Step between windows (default: the kernel size).
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::nn::conv::optional_pair")]
        stride: Option<[usize; 2]>,
        /// Implicit −∞ cells on each side.
        #[serde(default, deserialize_with = "crate::nn::conv::pair")]
        padding: [usize; 2],
    },
    /// Mean over windows of `[N, C, H, W]` (padding counted).
    AvgPool2d {
        /// Window height and width.
        #[serde(deserialize_with = "crate::nn::conv::pair")]
        kernel_size: [usize; 2],
        /// Step between windows (default: the kernel size).
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::nn::conv::optional_pair")]
        stride: Option<[usize; 2]>,
        /// Implicit zeros on each side.
        #[serde(default, deserialize_with = "crate::nn::conv::pair")]
        padding: [usize; 2],
    },
    /// Mean into a fixed grid; `[1, 1]` is global average pooling.
    AdaptiveAvgPool2d {
        /// Output height and width.
        #[serde(deserialize_with = "crate::nn::conv::pair")]
        output_size: [usize; 2],
    },
    /// Batch normalization of `[N, C]` or `[N, C, L]`.
    BatchNorm1d {
        /// Channels C.
        num_features: usize,
        /// Added to the variance.
        #[serde(default = "crate::nn::conv::bn_eps")]
        eps: f64,
        /// Weight of each batch in the running statistics.
        #[serde(default = "crate::nn::conv::bn_momentum")]
        momentum: f64,
        /// Learned per-channel scale and shift.
        #[serde(default = "crate::nn::conv::yes")]
        affine: bool,
    },
    /// Batch normalization of `[N, C, H, W]`.
    BatchNorm2d {
        /// Channels C.
        num_features: usize,
        /// Added to the variance.
        #[serde(default = "crate::nn::conv::bn_eps")]
        eps: f64,
        /// Weight of each batch in the running statistics.
        #[serde(default = "crate::nn::conv::bn_momentum")]
        momentum: f64,
        /// Learned per-channel scale and shift.
        #[serde(default = "crate::nn::conv::yes")]
        affine: bool,
    },
    /// Merges dimensions `start_dim..=end_dim`.
    Flatten {
        /// First dimension merged (default 1, after the batch).
        #[serde(default = "crate::nn::conv::one_isize")]
        start_dim: isize,
        /// Last dimension merged (default −1).
        #[serde(default = "crate::nn::conv::minus_one")]
        end_dim: isize,
    },
    /// Learned vectors looked up by id.
    Embedding {
        /// Table rows (vocabulary size).
        num_embeddings: usize,
        /// Vector length.
        embedding_dim: usize,
    },
    /// Elman (tanh) recurrent stack, batch first.
    Rnn(crate::nn::RnnConfig),
    /// LSTM stack, batch first.
    Lstm(crate::nn::RnnConfig),
    /// GRU stack, batch first.
    Gru(crate::nn::RnnConfig),
    /// The last time step of `[N, T, F]`.
    LastStep,
    /// Splits dimension `dim` into `sizes` (PyTorch's `nn.Unflatten`), e.g. rows
    /// `[N, 784]` into images `[N, 1, 28, 28]` with `dim = 1, sizes = [1, 28, 28]`.
    Unflatten {
        /// The dimension split (1 is the first after the batch).
        dim: usize,
        /// The sizes it becomes; their product must equal its size.
        sizes: Vec<usize>,
    },
    /// Layer normalization over the trailing dimensions.
    LayerNorm {
        /// The trailing dimensions normalized together (e.g. `[512]`).
        normalized_shape: Vec<usize>,
        /// Added to the variance (default 1e-5).
        #[serde(default = "crate::nn::conv::bn_eps")]
        eps: f64,
        /// Learned per-element scale and shift (default true).
        #[serde(default = "crate::nn::conv::yes")]
        elementwise_affine: bool,
    },
    /// Multi-head self-attention over `[N, T, E]`.
    MultiheadAttention {
        /// The model width E.
        embed_dim: usize,
        /// Heads; E must divide by it.
        num_heads: usize,
        /// Whether each position attends only to itself and earlier ones (default false).
        #[serde(default)]
        causal: bool,
        /// Whether the projections have biases (default true).
        #[serde(default = "crate::nn::conv::yes")]
        bias: bool,
    },
    /// Learned positional embeddings added to `[N, T, D]`.
    PositionalEmbedding {
        /// The longest sequence.
        max_len: usize,
        /// Vector length D.
        embedding_dim: usize,
    },
}
