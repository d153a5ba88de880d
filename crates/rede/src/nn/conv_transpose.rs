//! `ConvTranspose2d`, the layer over [`Tensor::conv_transpose2d`]: it upsamples
//! feature maps (decoders, segmentation heads, generators) as PyTorch's layer does.

use super::conv::{check_bias, check_channels, trainable, uniform_fan_in};
use super::{LayerSpec, Module};
use crate::{ConvTranspose2dOptions, DType, Error, Result, Rng, Tensor};

/// Transposed 2-D convolution over `[N, C_in, H, W]`: weight `[C_in, C_out/groups, kh, kw]`
/// (PyTorch's layout), bias `[C_out]`.
pub struct ConvTranspose2d {
    weight: Tensor,
    bias: Option<Tensor>,
    options: ConvTranspose2dOptions,
}

impl ConvTranspose2d {
    /// An f32 layer with a bias and PyTorch's default initialization.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        options: ConvTranspose2dOptions,
        rng: &mut Rng,
    ) -> Result<ConvTranspose2d> {
        ConvTranspose2d::with_dtype(in_channels, out_channels, kernel, options, true, DType::F32, rng)
    }

    /// A layer with or without bias, with parameters of `dtype` drawn from
    /// U(±1/√fan_in). As in PyTorch, fan_in is the weight's second dimension times
    /// the kernel area: `C_out/groups · kh · kw`.
    pub fn with_dtype(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        options: ConvTranspose2dOptions,
        bias: bool,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<ConvTranspose2d> {
        check_channels("ConvTranspose2d", in_channels, out_channels, &kernel, options.groups)?;
        let group_out = out_channels / options.groups;
        let fan_in = group_out * kernel[0] * kernel[1];
        let weight = uniform_fan_in(&[in_channels, group_out, kernel[0], kernel[1]], fan_in, dtype, rng);
        let bias = bias.then(|| uniform_fan_in(&[out_channels], fan_in, dtype, rng));
        ConvTranspose2d::from_tensors(weight, bias, options)
    }

    /// A layer over given values (used as the parameters, see [`Module::named_parameters`]).
    pub fn from_tensors(
        weight: Tensor,
        bias: Option<Tensor>,
        options: ConvTranspose2dOptions,
    ) -> Result<ConvTranspose2d> {
        const OP: &str = "ConvTranspose2d";
        if weight.rank() != 4 || options.groups == 0 {
            return Err(Error::invalid(
                OP,
                format!("weight must be [C_in, C_out/groups, kh, kw], got {:?}", weight.shape()),
            ));
        }
        check_bias(OP, &weight, weight.shape()[1] * options.groups, bias.as_ref())?;
        if (0..2).any(|d| options.output_padding[d] >= options.stride[d].max(options.dilation[d])) {
            return Err(Error::invalid(
                OP,
                format!("output_padding {:?} must be below the stride or the dilation", options.output_padding),
            ));
        }
        Ok(ConvTranspose2d { weight: trainable(&weight, "weight"), bias: bias.map(|b| trainable(&b, "bias")), options })
    }

    /// The weight `[C_in, C_out/groups, kh, kw]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The bias `[C_out]`, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
}

impl Module for ConvTranspose2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.conv_transpose2d(&self.weight, self.bias.as_ref(), self.options)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        p.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        p
    }

    fn spec(&self) -> Option<LayerSpec> {
        let w = self.weight.shape();
        let o = self.options;
        Some(LayerSpec::ConvTranspose2d {
            in_channels: w[0],
            out_channels: w[1] * o.groups,
            kernel_size: [w[2], w[3]],
            stride: o.stride,
            padding: o.padding,
            output_padding: o.output_padding,
            dilation: o.dilation,
            groups: o.groups,
            bias: self.bias.is_some(),
        })
    }
}
