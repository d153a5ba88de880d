//! Transposed 2-D convolution (the adjoint of `conv2d`, PyTorch's `conv_transpose2d`),
//! composed as a convolution of the zero-dilated, padded input with the flipped,
//! transposed kernel; its gradient is that of the ops it is made of.

use crate::{Conv2dOptions, Error, Result, Tensor};

/// Options of a transposed convolution, per dimension (height, width).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dOptions {
    /// Step between input positions in the output (default 1).
    pub stride: [usize; 2],
    /// Rows and columns removed from each side of the full output (default 0).
    pub padding: [usize; 2],
    /// Extra rows and columns added at the bottom and right (default 0; below the stride or dilation).
    pub output_padding: [usize; 2],
    /// Spacing between kernel taps (default 1).
    pub dilation: [usize; 2],
    /// Channel groups (default 1).
    pub groups: usize,
}

impl Default for ConvTranspose2dOptions {
    fn default() -> Self {
        ConvTranspose2dOptions { stride: [1, 1], padding: [0, 0], output_padding: [0, 0], dilation: [1, 1], groups: 1 }
    }
}

/// Puts `stride − 1` zeros between neighbours along `dim`.
fn dilate(x: &Tensor, dim: usize, stride: usize) -> Result<Tensor> {
    let n = x.shape()[dim];
    if stride == 1 || n == 0 {
        return Ok(x.clone());
    }
    let mut zeros = x.shape().to_vec();
    zeros.insert(dim + 1, stride - 1);
    let spread = Tensor::cat(
        &[&x.unsqueeze(dim as isize + 1)?, &Tensor::zeros(&zeros, x.dtype()).to_device(x.device())?],
        dim as isize + 1,
    )?;
    let mut shape = x.shape().to_vec();
    shape[dim] = n * stride;
    spread.reshape(&shape)?.narrow(dim as isize, 0, (n - 1) * stride + 1)
}

/// Pads `before` and `after` zeros along `dim` (a negative count crops instead).
fn pad_or_crop(x: &Tensor, dim: usize, before: isize, after: isize) -> Result<Tensor> {
    let n = x.shape()[dim] as isize;
    let (crop_before, crop_after) = ((-before).max(0), (-after).max(0));
    let x = x.narrow(dim as isize, crop_before as usize, (n - crop_before - crop_after).max(0) as usize)?;
    let mut pads = vec![0; 2 * (x.rank() - dim)];
    let at = 2 * (x.rank() - 1 - dim);
    pads[at] = before.max(0) as usize;
    pads[at + 1] = after.max(0) as usize;
    x.pad(&pads, 0.0)
}

impl Tensor {
    /// Transposed convolution of this input `[N, C_in, H, W]` with `weight`
    /// `[C_in, C_out/groups, kh, kw]` (PyTorch's layout) and an optional `bias` `[C_out]`, giving
    /// `[N, C_out, (H−1)·stride − 2·padding + dilation·(kh−1) + output_padding + 1, …]`.
    pub fn conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        o: ConvTranspose2dOptions,
    ) -> Result<Tensor> {
        const OP: &str = "conv_transpose2d";
        let (xs, ws) = (self.shape(), weight.shape());
        let g = o.groups;
        if xs.len() != 4 || ws.len() != 4 || g == 0 || xs[1] != ws[0] || ws[0] % g != 0 {
            return Err(Error::invalid(
                OP,
                format!("needs input [N, C, H, W] and weight [C, C_out/groups, kh, kw] with C divisible by groups {g}, got {xs:?} and {ws:?}"),
            ));
        }
        if o.stride.contains(&0) || o.dilation.contains(&0) || ws[2] == 0 || ws[3] == 0 {
            return Err(Error::invalid(OP, format!("stride, dilation and kernel must be positive, got {o:?}")));
        }
        if (0..2).any(|d| o.output_padding[d] >= o.stride[d].max(o.dilation[d])) {
            return Err(Error::invalid(
                OP,
                format!("output_padding {:?} must be below the stride or dilation", o.output_padding),
            ));
        }
        let (c_in, c_out_g, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
        // [C_in, C_out/g, kh, kw] → [C_out, C_in/g, kh, kw], flipped in space.
        let w = weight
            .reshape(&[g, c_in / g, c_out_g, kh, kw])?
            .transpose(1, 2)?
            .reshape(&[g * c_out_g, c_in / g, kh, kw])?
            .flip(&[2, 3])?;
        let mut x = self.clone();
        for d in 0..2 {
            x = dilate(&x, 2 + d, o.stride[d])?;
            let edge = (o.dilation[d] * (ws[2 + d] - 1)) as isize - o.padding[d] as isize;
            x = pad_or_crop(&x, 2 + d, edge, edge + o.output_padding[d] as isize)?;
        }
        let conv = Conv2dOptions { stride: [1, 1], padding: [0, 0], dilation: o.dilation, groups: g };
        x.conv2d(&w, bias, conv)
    }
}
