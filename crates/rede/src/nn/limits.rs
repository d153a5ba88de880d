//! Limits on the sizes an architecture may ask for, checked on the spec before
//! any layer allocates, so a typo or a hostile file gives an error instead of
//! an allocation that aborts the process.
//!
//! - Every size field (features, channels, kernel, stride, padding, dilation,
//!   groups, layers, …) is at most [`MAX_DIMENSION`] (2^31).
//! - The scalars a model allocates (parameters and buffers such as batch-norm
//!   running statistics) are at most [`max_parameters`], 2^28 by default (1 GiB
//!   of f32); [`set_max_parameters`] (the CLI's `--max-params`) raises it.
//! - All counts use checked arithmetic: an overflow is the same error as a size over the limit.

use super::{LayerSpec, RnnConfig};
use crate::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The largest value any size field of an architecture may take.
pub const MAX_DIMENSION: usize = 1 << 31;

/// The default of [`max_parameters`]: 2^28 scalars, 1 GiB of f32.
pub const DEFAULT_MAX_PARAMETERS: usize = 1 << 28;

static MAX_PARAMETERS: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_PARAMETERS);

/// The most scalars (parameters and buffers) one built model may hold.
pub fn max_parameters() -> usize {
    MAX_PARAMETERS.load(Ordering::Relaxed)
}

/// Sets [`max_parameters`] for the whole process (e.g. from a command-line flag).
pub fn set_max_parameters(limit: usize) {
    MAX_PARAMETERS.store(limit, Ordering::Relaxed);
}

/// What building a spec allocates, in scalars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Trainable parameters (what [`super::Module::num_parameters`] counts and a model file stores).
    pub parameters: usize,
    /// Other state (batch-norm running mean and variance).
    pub buffers: usize,
}

impl Footprint {
    /// Parameters and buffers together.
    pub fn total(&self) -> Option<usize> {
        self.parameters.checked_add(self.buffers)
    }

    fn plus(self, other: Footprint) -> Result<Footprint> {
        Ok(Footprint {
            parameters: add(self.parameters, other.parameters)?,
            buffers: add(self.buffers, other.buffers)?,
        })
    }
}

fn too_large() -> Error {
    Error::invalid("size limit", "the model's size overflows (more scalars than memory can address)")
}

fn add(a: usize, b: usize) -> Result<usize> {
    a.checked_add(b).ok_or_else(too_large)
}

/// The product of `factors`, or the overflow error.
fn product(factors: &[usize]) -> Result<usize> {
    factors.iter().try_fold(1usize, |acc, &f| acc.checked_mul(f)).ok_or_else(too_large)
}

/// Checks each named size against [`MAX_DIMENSION`].
fn dims(fields: &[(&str, usize)]) -> Result<()> {
    match fields.iter().find(|(_, v)| *v > MAX_DIMENSION) {
        Some((name, v)) => {
            Err(Error::invalid("size limit", format!("{name} = {v} is over the limit of {MAX_DIMENSION} (2^31)")))
        }
        None => Ok(()),
    }
}

fn params(parameters: usize) -> Footprint {
    Footprint { parameters, buffers: 0 }
}

/// A convolution's weight `[out, in/groups, kernel…]` and bias `[out]`.
fn conv(in_channels: usize, out_channels: usize, groups: usize, kernel: &[usize], bias: bool) -> Result<Footprint> {
    // A zero or non-dividing group count is the layer's own error when it is built.
    let group_in = in_channels.checked_div(groups).unwrap_or(0);
    let mut factors = vec![out_channels, group_in];
    factors.extend_from_slice(kernel);
    Ok(params(add(product(&factors)?, if bias { out_channels } else { 0 })?))
}

/// A recurrent stack, in closed form so a huge `num_layers` costs nothing to check.
fn recurrent(c: &RnnConfig, gates: usize) -> Result<Footprint> {
    dims(&[("input_size", c.input_size), ("hidden_size", c.hidden_size), ("num_layers", c.num_layers)])?;
    let directions = if c.bidirectional { 2 } else { 1 };
    let (g, h) = (product(&[gates, c.hidden_size])?, c.hidden_size);
    let biases = if c.bias { product(&[2, g])? } else { 0 };
    // One direction of one layer reading `input` features: weight_ih, weight_hh and the biases.
    let per_direction = |input: usize| -> Result<usize> { add(add(product(&[g, input])?, product(&[g, h])?)?, biases) };
    let first = product(&[directions, per_direction(c.input_size)?])?;
    let others = product(&[directions, per_direction(product(&[h, directions])?)?, c.num_layers.saturating_sub(1)])?;
    Ok(params(add(first, others)?))
}

impl LayerSpec {
    /// What building this spec allocates, after checking every size field against
    /// [`MAX_DIMENSION`]; the error names the field. Nothing is allocated.
    pub fn footprint(&self) -> Result<Footprint> {
        match self {
            LayerSpec::Linear { in_features, out_features, bias, .. } => {
                dims(&[("in_features", *in_features), ("out_features", *out_features)])?;
                let bias = if *bias { *out_features } else { 0 };
                Ok(params(add(product(&[*in_features, *out_features])?, bias)?))
            }
            LayerSpec::Sequential { layers } => {
                layers.iter().try_fold(Footprint::default(), |sum, layer| sum.plus(layer.footprint()?))
            }
            LayerSpec::Conv1d { in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias } => {
                dims(&[
                    ("in_channels", *in_channels),
                    ("out_channels", *out_channels),
                    ("kernel_size", *kernel_size),
                    ("stride", *stride),
                    ("padding", *padding),
                    ("dilation", *dilation),
                    ("groups", *groups),
                ])?;
                conv(*in_channels, *out_channels, *groups, &[*kernel_size], *bias)
            }
            LayerSpec::Conv2d { in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias } => {
                dims(&[("in_channels", *in_channels), ("out_channels", *out_channels), ("groups", *groups)])?;
                pairs(&[
                    ("kernel_size", kernel_size),
                    ("stride", stride),
                    ("padding", padding),
                    ("dilation", dilation),
                ])?;
                conv(*in_channels, *out_channels, *groups, kernel_size, *bias)
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
                dims(&[("in_channels", *in_channels), ("out_channels", *out_channels), ("groups", *groups)])?;
                pairs(&[
                    ("kernel_size", kernel_size),
                    ("stride", stride),
                    ("padding", padding),
                    ("output_padding", output_padding),
                    ("dilation", dilation),
                ])?;
                // C_in · C_out/groups · kh · kw weights: as many as a convolution from
                // C_out to C_in channels, plus the bias over C_out.
                let weights = conv(*out_channels, *in_channels, *groups, kernel_size, false)?;
                Ok(params(add(weights.parameters, if *bias { *out_channels } else { 0 })?))
            }
            LayerSpec::MaxPool2d { kernel_size, stride, padding }
            | LayerSpec::AvgPool2d { kernel_size, stride, padding } => {
                let stride = stride.unwrap_or(*kernel_size);
                pairs(&[("kernel_size", kernel_size), ("stride", &stride), ("padding", padding)])?;
                Ok(Footprint::default())
            }
            LayerSpec::AdaptiveAvgPool2d { output_size } => {
                pairs(&[("output_size", output_size)])?;
                Ok(Footprint::default())
            }
            LayerSpec::BatchNorm1d { num_features, affine, .. }
            | LayerSpec::BatchNorm2d { num_features, affine, .. } => {
                dims(&[("num_features", *num_features)])?;
                let state = product(&[2, *num_features])?; // mean and variance; or scale and shift
                Ok(Footprint { parameters: if *affine { state } else { 0 }, buffers: state })
            }
            LayerSpec::Embedding { num_embeddings, embedding_dim } => {
                dims(&[("num_embeddings", *num_embeddings), ("embedding_dim", *embedding_dim)])?;
                Ok(params(product(&[*num_embeddings, *embedding_dim])?))
            }
            LayerSpec::Rnn(c) => recurrent(c, 1),
            LayerSpec::Lstm(c) => recurrent(c, 4),
            LayerSpec::Gru(c) => recurrent(c, 3),
            LayerSpec::Unflatten { dim, sizes } => {
                dims(&[("dim", *dim)])?;
                let named: Vec<(&str, usize)> = sizes.iter().map(|&s| ("sizes", s)).collect();
                dims(&named)?;
                product(sizes)?;
                Ok(Footprint::default())
            }
            LayerSpec::LayerNorm { normalized_shape, elementwise_affine, .. } => {
                let named: Vec<(&str, usize)> = normalized_shape.iter().map(|&s| ("normalized_shape", s)).collect();
                dims(&named)?;
                let n = product(normalized_shape)?;
                Ok(params(if *elementwise_affine { product(&[2, n])? } else { 0 }))
            }
            LayerSpec::MultiheadAttention { embed_dim, num_heads, bias, .. } => {
                dims(&[("embed_dim", *embed_dim), ("num_heads", *num_heads)])?;
                // in_proj [3E, E] and out_proj [E, E], with biases [3E] and [E].
                let weights = product(&[4, *embed_dim, *embed_dim])?;
                Ok(params(add(weights, if *bias { product(&[4, *embed_dim])? } else { 0 })?))
            }
            LayerSpec::PositionalEmbedding { max_len, embedding_dim } => {
                dims(&[("max_len", *max_len), ("embedding_dim", *embedding_dim)])?;
                Ok(params(product(&[*max_len, *embedding_dim])?))
            }
            LayerSpec::Identity
            | LayerSpec::Sigmoid
            | LayerSpec::Tanh
            | LayerSpec::Relu
            | LayerSpec::LeakyRelu { .. }
            | LayerSpec::Gelu
            | LayerSpec::Softmax { .. }
            | LayerSpec::Dropout { .. }
            | LayerSpec::Flatten { .. }
            | LayerSpec::LastStep => Ok(Footprint::default()),
        }
    }

    /// [`LayerSpec::footprint`], failing when the model would hold more than `max_scalars`
    /// scalars (parameters and buffers).
    pub fn check_size(&self, max_scalars: usize) -> Result<Footprint> {
        let footprint = self.footprint()?;
        let total = footprint.total().ok_or_else(too_large)?;
        if total > max_scalars {
            return Err(Error::invalid(
                "size limit",
                format!(
                    "the model holds {total} parameters and buffers, over the limit of {max_scalars} \
                     (raise it with --max-params if the memory is there)"
                ),
            ));
        }
        Ok(footprint)
    }
}

/// Checks both halves of `[height, width]` fields.
fn pairs(fields: &[(&str, &[usize; 2])]) -> Result<()> {
    let flat: Vec<(&str, usize)> = fields.iter().flat_map(|(name, p)| p.iter().map(move |&v| (*name, v))).collect();
    dims(&flat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Initializer;
    use crate::Rng;

    fn every_kind_of_layer() -> Vec<LayerSpec> {
        let json = r#"[
            {"type": "linear", "in_features": 5, "out_features": 3},
            {"type": "linear", "in_features": 5, "out_features": 3, "bias": false},
            {"type": "conv1d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 2},
            {"type": "conv2d", "in_channels": 3, "out_channels": 4, "kernel_size": [2, 3], "bias": false},
            {"type": "max_pool2d", "kernel_size": 2},
            {"type": "avg_pool2d", "kernel_size": 2, "stride": 1, "padding": 1},
            {"type": "adaptive_avg_pool2d", "output_size": 1},
            {"type": "batch_norm1d", "num_features": 7},
            {"type": "batch_norm2d", "num_features": 5, "affine": false},
            {"type": "embedding", "num_embeddings": 11, "embedding_dim": 4},
            {"type": "rnn", "input_size": 3, "hidden_size": 5, "num_layers": 3, "bidirectional": true},
            {"type": "lstm", "input_size": 3, "hidden_size": 4, "num_layers": 2},
            {"type": "gru", "input_size": 6, "hidden_size": 2, "bias": false, "bidirectional": true},
            {"type": "unflatten", "dim": 1, "sizes": [2, 3]},
            {"type": "relu"}, {"type": "flatten"}, {"type": "last_step"}, {"type": "dropout", "p": 0.5}
        ]"#;
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_footprint_counts_what_building_allocates() {
        let specs = every_kind_of_layer();
        for spec in specs.iter().cloned().chain([LayerSpec::Sequential { layers: specs.clone() }]) {
            let module = spec.build(&mut Rng::seed(0)).unwrap();
            let buffers: usize = module.named_buffers().iter().map(|(_, t)| t.numel()).sum();
            let expected = Footprint { parameters: module.num_parameters(), buffers };
            assert_eq!(spec.footprint().unwrap(), expected, "{spec:?}");
        }
    }

    #[test]
    fn sizes_over_the_limit_are_named() {
        let linear = LayerSpec::Linear { in_features: 1, out_features: 1 << 31 | 1, bias: true, init: None };
        let err = linear.footprint().unwrap_err().to_string();
        assert!(err.contains("out_features = 2147483649") && err.contains("2^31"), "{err}");
        let conv: LayerSpec = serde_json::from_str(
            r#"{"type": "conv2d", "in_channels": 1, "out_channels": 1, "kernel_size": 3, "padding": [1, 4294967296]}"#,
        )
        .unwrap();
        assert!(conv.footprint().unwrap_err().to_string().contains("padding = 4294967296"));
    }

    #[test]
    fn counts_that_overflow_are_errors_not_panics() {
        let wide = LayerSpec::Linear { in_features: 1 << 31, out_features: 1 << 31, bias: true, init: None };
        let deep = LayerSpec::Sequential { layers: vec![wide.clone(); 3] };
        assert!(deep.footprint().unwrap().parameters > 1 << 62);
        let deeper = LayerSpec::Sequential { layers: vec![wide; 5] };
        assert!(deeper.footprint().unwrap_err().to_string().contains("overflows"));
        let rnn = LayerSpec::Lstm(RnnConfig::new(1 << 31, 1 << 31).layers(1 << 31).bidirectional(true));
        assert!(rnn.footprint().unwrap_err().to_string().contains("overflows"));
    }

    #[test]
    fn the_limit_on_scalars_is_checked_before_building() {
        let init = Some(Initializer::default_for(None));
        let big = LayerSpec::Linear { in_features: 1 << 20, out_features: 1 << 10, bias: false, init };
        let err = big.check_size(1 << 29).unwrap_err().to_string();
        assert!(err.contains("1073741824") && err.contains("--max-params"), "{err}");
        assert_eq!(big.check_size(1 << 30).unwrap().parameters, 1 << 30);
    }
}
