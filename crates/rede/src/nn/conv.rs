//! Convolution layers (`Conv1d`, `Conv2d`) and `Flatten`, which joins a conv stack to dense layers.

use super::{LayerSpec, Module};
use crate::{Conv1dOptions, Conv2dOptions, DType, Error, Result, Rng, Tensor};

/// A trainable leaf over `t`'s data, labelled for graph renderings. A tensor that already
/// is a trainable leaf is used as is, so gradients reach the caller's handle (this is how
/// `gradcheck` differentiates a layer with respect to its parameters).
pub(crate) fn trainable(t: &Tensor, name: &str) -> Tensor {
    let p = if t.is_leaf() && t.requires_grad() { t.clone() } else { t.requires_grad_() };
    p.set_label(name);
    p
}

/// PyTorch's default for convolution and recurrent weights and biases: U(−1/√fan_in, 1/√fan_in).
pub(crate) fn uniform_fan_in(shape: &[usize], fan_in: usize, dtype: DType, rng: &mut Rng) -> Tensor {
    let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
    Tensor::rand_uniform(shape, -bound, bound, dtype, rng)
}

/// Checks the channel counts of a convolution layer.
pub(crate) fn check_channels(
    op: &'static str,
    in_channels: usize,
    out_channels: usize,
    kernel: &[usize],
    groups: usize,
) -> Result<()> {
    if in_channels == 0 || out_channels == 0 || groups == 0 || kernel.contains(&0) {
        return Err(Error::invalid(op, "channels, kernel size and groups must be positive"));
    }
    if in_channels % groups != 0 || out_channels % groups != 0 {
        return Err(Error::invalid(
            op,
            format!("{in_channels} input and {out_channels} output channels must both divide into {groups} groups"),
        ));
    }
    Ok(())
}

/// Checks a bias against a layer with `out` output channels and `weight`'s type.
pub(crate) fn check_bias(op: &'static str, weight: &Tensor, out: usize, bias: Option<&Tensor>) -> Result<()> {
    if let Some(b) = bias {
        if b.shape() != [out] || b.dtype() != weight.dtype() {
            return Err(Error::invalid(
                op,
                format!("bias must be [{out}] of {}, got {:?}", weight.dtype().name(), b.shape()),
            ));
        }
    }
    Ok(())
}

/// 2-D convolution over `[N, C, H, W]`: weight `[O, C/groups, kh, kw]`, bias `[O]`.
pub struct Conv2d {
    weight: Tensor,
    bias: Option<Tensor>,
    options: Conv2dOptions,
}

impl Conv2d {
    /// An f32 layer with a bias and PyTorch's default initialization.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        options: Conv2dOptions,
        rng: &mut Rng,
    ) -> Result<Conv2d> {
        Conv2d::with_dtype(in_channels, out_channels, kernel, options, true, DType::F32, rng)
    }

    /// A layer with or without bias, with parameters of `dtype` drawn from U(±1/√(C/groups·kh·kw)).
    pub fn with_dtype(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        options: Conv2dOptions,
        bias: bool,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<Conv2d> {
        check_channels("Conv2d", in_channels, out_channels, &kernel, options.groups)?;
        let group_in = in_channels / options.groups;
        let fan_in = group_in * kernel[0] * kernel[1];
        let weight = uniform_fan_in(&[out_channels, group_in, kernel[0], kernel[1]], fan_in, dtype, rng);
        let bias = bias.then(|| uniform_fan_in(&[out_channels], fan_in, dtype, rng));
        Conv2d::from_tensors(weight, bias, options)
    }

    /// A layer over given values (used as the parameters, see [`Module::named_parameters`]).
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>, options: Conv2dOptions) -> Result<Conv2d> {
        if weight.rank() != 4 {
            return Err(Error::invalid(
                "Conv2d",
                format!("weight must be [O, C/groups, kh, kw], got {:?}", weight.shape()),
            ));
        }
        check_bias("Conv2d", &weight, weight.shape()[0], bias.as_ref())?;
        Ok(Conv2d { weight: trainable(&weight, "weight"), bias: bias.map(|b| trainable(&b, "bias")), options })
    }

    /// The weight `[O, C/groups, kh, kw]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The bias `[O]`, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.conv2d(&self.weight, self.bias.as_ref(), self.options)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        p.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        p
    }

    fn spec(&self) -> Option<LayerSpec> {
        let w = self.weight.shape();
        Some(LayerSpec::Conv2d {
            in_channels: w[1] * self.options.groups,
            out_channels: w[0],
            kernel_size: [w[2], w[3]],
            stride: self.options.stride,
            padding: self.options.padding,
            dilation: self.options.dilation,
            groups: self.options.groups,
            bias: self.bias.is_some(),
        })
    }
}

/// 1-D convolution over `[N, C, L]`: weight `[O, C/groups, k]`, bias `[O]`.
pub struct Conv1d {
    weight: Tensor,
    bias: Option<Tensor>,
    options: Conv1dOptions,
}

impl Conv1d {
    /// An f32 layer with a bias and PyTorch's default initialization.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        options: Conv1dOptions,
        rng: &mut Rng,
    ) -> Result<Conv1d> {
        Conv1d::with_dtype(in_channels, out_channels, kernel, options, true, DType::F32, rng)
    }

    /// A layer with or without bias, with parameters of `dtype` drawn from U(±1/√(C/groups·k)).
    pub fn with_dtype(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        options: Conv1dOptions,
        bias: bool,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<Conv1d> {
        check_channels("Conv1d", in_channels, out_channels, &[kernel], options.groups)?;
        let group_in = in_channels / options.groups;
        let weight = uniform_fan_in(&[out_channels, group_in, kernel], group_in * kernel, dtype, rng);
        let bias = bias.then(|| uniform_fan_in(&[out_channels], group_in * kernel, dtype, rng));
        Conv1d::from_tensors(weight, bias, options)
    }

    /// A layer over given values (used as the parameters).
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>, options: Conv1dOptions) -> Result<Conv1d> {
        if weight.rank() != 3 {
            return Err(Error::invalid("Conv1d", format!("weight must be [O, C/groups, k], got {:?}", weight.shape())));
        }
        check_bias("Conv1d", &weight, weight.shape()[0], bias.as_ref())?;
        Ok(Conv1d { weight: trainable(&weight, "weight"), bias: bias.map(|b| trainable(&b, "bias")), options })
    }
}

impl Module for Conv1d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.conv1d(&self.weight, self.bias.as_ref(), self.options)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        p.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        p
    }

    fn spec(&self) -> Option<LayerSpec> {
        let w = self.weight.shape();
        Some(LayerSpec::Conv1d {
            in_channels: w[1] * self.options.groups,
            out_channels: w[0],
            kernel_size: w[2],
            stride: self.options.stride,
            padding: self.options.padding,
            dilation: self.options.dilation,
            groups: self.options.groups,
            bias: self.bias.is_some(),
        })
    }
}

/// Merges dimensions `start_dim..=end_dim` (default 1..=−1: everything but the batch).
#[derive(Clone, Copy, Debug)]
pub struct Flatten {
    start_dim: isize,
    end_dim: isize,
}

impl Flatten {
    /// Flattens all but the first (batch) dimension, like PyTorch's `nn.Flatten()`.
    pub fn new() -> Flatten {
        Flatten { start_dim: 1, end_dim: -1 }
    }

    /// Flattens dimensions `start_dim..=end_dim` (negative counts from the end).
    pub fn between(start_dim: isize, end_dim: isize) -> Flatten {
        Flatten { start_dim, end_dim }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new()
    }
}

impl Module for Flatten {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.flatten(self.start_dim, self.end_dim)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Flatten { start_dim: self.start_dim, end_dim: self.end_dim })
    }
}

// Serde defaults and readers for the `LayerSpec` variants of this family.

pub(crate) fn one() -> usize {
    1
}
pub(crate) fn ones() -> [usize; 2] {
    [1, 1]
}
pub(crate) fn yes() -> bool {
    true
}
pub(crate) fn one_isize() -> isize {
    1
}
pub(crate) fn minus_one() -> isize {
    -1
}
pub(crate) fn bn_eps() -> f64 {
    1e-5
}
pub(crate) fn bn_momentum() -> f64 {
    0.1
}

/// A 2-D size written either as one number (both dimensions) or as `[height, width]`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum OneOrTwo {
    One(usize),
    Two([usize; 2]),
}

impl From<OneOrTwo> for [usize; 2] {
    fn from(v: OneOrTwo) -> Self {
        match v {
            OneOrTwo::One(n) => [n, n],
            OneOrTwo::Two(p) => p,
        }
    }
}

/// Reads a 2-D size from one number or a pair.
pub(crate) fn pair<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<[usize; 2], D::Error> {
    Ok(<OneOrTwo as serde::Deserialize>::deserialize(d)?.into())
}

/// Reads an optional 2-D size from one number or a pair.
pub(crate) fn optional_pair<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<[usize; 2]>, D::Error> {
    Ok(<Option<OneOrTwo> as serde::Deserialize>::deserialize(d)?.map(Into::into))
}

/// Builds the layers of the convolutional and recurrent family; None for other specs.
pub(crate) fn build_family(spec: &LayerSpec, dtype: DType, rng: &mut Rng) -> Option<Result<Box<dyn Module>>> {
    use super::{
        AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Embedding, Gru, LastStep, Lstm, MaxPool2d, Rnn,
    };
    fn boxed<M: Module + 'static>(m: Result<M>) -> Result<Box<dyn Module>> {
        m.map(|m| Box::new(m) as Box<dyn Module>)
    }
    Some(match *spec {
        LayerSpec::Conv1d { in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias } => {
            let o = Conv1dOptions { stride, padding, dilation, groups };
            boxed(Conv1d::with_dtype(in_channels, out_channels, kernel_size, o, bias, dtype, rng))
        }
        LayerSpec::Conv2d { in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias } => {
            let o = Conv2dOptions { stride, padding, dilation, groups };
            boxed(Conv2d::with_dtype(in_channels, out_channels, kernel_size, o, bias, dtype, rng))
        }
        LayerSpec::ConvTranspose2d {
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            output_padding,
            dilation,
            groups,
            bias,
        } => {
            let o = crate::ConvTranspose2dOptions { stride, padding, output_padding, dilation, groups };
            boxed(super::ConvTranspose2d::with_dtype(in_channels, out_channels, kernel_size, o, bias, dtype, rng))
        }
        LayerSpec::MaxPool2d { kernel_size, stride, padding } => {
            boxed(Ok(MaxPool2d::with_options(kernel_size, stride.unwrap_or(kernel_size), padding)))
        }
        LayerSpec::AvgPool2d { kernel_size, stride, padding } => {
            boxed(Ok(AvgPool2d::with_options(kernel_size, stride.unwrap_or(kernel_size), padding)))
        }
        LayerSpec::AdaptiveAvgPool2d { output_size } => boxed(Ok(AdaptiveAvgPool2d::new(output_size))),
        LayerSpec::BatchNorm1d { num_features, eps, momentum, affine } => boxed(
            batch_norm_state(num_features, affine, dtype)
                .and_then(|(w, b, m, v)| BatchNorm1d::from_tensors(w, b, m, v, eps, momentum)),
        ),
        LayerSpec::BatchNorm2d { num_features, eps, momentum, affine } => boxed(
            batch_norm_state(num_features, affine, dtype)
                .and_then(|(w, b, m, v)| BatchNorm2d::from_tensors(w, b, m, v, eps, momentum)),
        ),
        LayerSpec::Flatten { start_dim, end_dim } => boxed(Ok(Flatten::between(start_dim, end_dim))),
        LayerSpec::Embedding { num_embeddings, embedding_dim } => {
            boxed(Embedding::with_dtype(num_embeddings, embedding_dim, dtype, rng))
        }
        LayerSpec::Rnn(config) => boxed(Rnn::with_dtype(config, dtype, rng)),
        LayerSpec::Lstm(config) => boxed(Lstm::with_dtype(config, dtype, rng)),
        LayerSpec::Gru(config) => boxed(Gru::with_dtype(config, dtype, rng)),
        LayerSpec::LastStep => boxed(Ok(LastStep)),
        _ => return super::transformer::build_family(spec, dtype, rng),
    })
}

/// Fresh batch-norm state: scale 1 and shift 0 (when affine), running mean 0 and variance 1.
type BatchNormState = (Option<Tensor>, Option<Tensor>, Tensor, Tensor);

fn batch_norm_state(features: usize, affine: bool, dtype: DType) -> Result<BatchNormState> {
    if features == 0 {
        return Err(Error::invalid("BatchNorm", "num_features must be positive"));
    }
    let ones = || Tensor::ones(&[features], dtype);
    let zeros = || Tensor::zeros(&[features], dtype);
    Ok((affine.then(ones), affine.then(zeros), zeros(), ones()))
}

/// PyTorch-style one-line descriptions of this family's specs, e.g. `Conv2d(1, 6, kernel_size=(5, 5))`.
pub(crate) fn describe_family(spec: &LayerSpec) -> String {
    let pair = |p: [usize; 2]| format!("({}, {})", p[0], p[1]);
    match spec {
        LayerSpec::Conv1d { in_channels, out_channels, kernel_size, stride, padding, dilation, groups, .. } => format!(
            "Conv1d({in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}, padding={padding}, \
             dilation={dilation}, groups={groups})"
        ),
        LayerSpec::Conv2d { in_channels, out_channels, kernel_size, stride, padding, dilation, groups, .. } => format!(
            "Conv2d({in_channels}, {out_channels}, kernel_size={}, stride={}, padding={}, dilation={}, groups={groups})",
            pair(*kernel_size),
            pair(*stride),
            pair(*padding),
            pair(*dilation)
        ),
        LayerSpec::ConvTranspose2d {
            in_channels, out_channels, kernel_size, stride, padding, output_padding, dilation, groups, ..
        } => format!(
            "ConvTranspose2d({in_channels}, {out_channels}, kernel_size={}, stride={}, padding={}, \
             output_padding={}, dilation={}, groups={groups})",
            pair(*kernel_size),
            pair(*stride),
            pair(*padding),
            pair(*output_padding),
            pair(*dilation)
        ),
        LayerSpec::MaxPool2d { kernel_size, stride, padding } | LayerSpec::AvgPool2d { kernel_size, stride, padding } => {
            let name = if matches!(spec, LayerSpec::MaxPool2d { .. }) { "MaxPool2d" } else { "AvgPool2d" };
            let stride = stride.unwrap_or(*kernel_size);
            format!("{name}(kernel_size={}, stride={}, padding={})", pair(*kernel_size), pair(stride), pair(*padding))
        }
        LayerSpec::AdaptiveAvgPool2d { output_size } => format!("AdaptiveAvgPool2d({})", pair(*output_size)),
        LayerSpec::BatchNorm1d { num_features, eps, momentum, .. } => {
            format!("BatchNorm1d({num_features}, eps={eps}, momentum={momentum})")
        }
        LayerSpec::BatchNorm2d { num_features, eps, momentum, .. } => {
            format!("BatchNorm2d({num_features}, eps={eps}, momentum={momentum})")
        }
        LayerSpec::Flatten { start_dim, end_dim } => format!("Flatten(start_dim={start_dim}, end_dim={end_dim})"),
        LayerSpec::Embedding { num_embeddings, embedding_dim } => format!("Embedding({num_embeddings}, {embedding_dim})"),
        LayerSpec::Rnn(c) | LayerSpec::Lstm(c) | LayerSpec::Gru(c) => {
            let name = match spec {
                LayerSpec::Rnn(_) => "RNN",
                LayerSpec::Lstm(_) => "LSTM",
                _ => "GRU",
            };
            format!(
                "{name}({}, {}, num_layers={}, bidirectional={}, bias={})",
                c.input_size, c.hidden_size, c.num_layers, c.bidirectional, c.bias
            )
        }
        LayerSpec::LastStep => "LastStep".into(),
        other => super::transformer::describe_family(other).unwrap_or_else(|| format!("{other:?}")),
    }
}
