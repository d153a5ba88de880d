//! Convolutions: `conv2d` (im2col + GEMM in the CPU backend) and `conv1d` on top of it.

use super::{same_dtype, with_two};
use crate::autograd::record;
use crate::backend::ConvGeometry;
use crate::{Error, Result, Tensor};

/// Options of a 2-D convolution, per dimension (height, width).
///
/// ```
/// use rede::Conv2dOptions;
/// let o = Conv2dOptions::default().stride(2).padding(1);
/// assert_eq!((o.stride, o.padding, o.dilation, o.groups), ([2, 2], [1, 1], [1, 1], 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Step between windows (default 1).
    pub stride: [usize; 2],
    /// Zeros added on each side (default 0).
    pub padding: [usize; 2],
    /// Spacing between kernel taps (default 1).
    pub dilation: [usize; 2],
    /// Channel groups (default 1); input and output channels must both divide by it.
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }
    }
}

impl Conv2dOptions {
    /// The same stride in both dimensions.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = [s, s];
        self
    }
    /// The same padding in both dimensions.
    pub fn padding(mut self, p: usize) -> Self {
        self.padding = [p, p];
        self
    }
    /// The same dilation in both dimensions.
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = [d, d];
        self
    }
    /// Channel groups.
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }
}

/// Options of a 1-D convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// Step between windows (default 1).
    pub stride: usize,
    /// Zeros added on each side (default 0).
    pub padding: usize,
    /// Spacing between kernel taps (default 1).
    pub dilation: usize,
    /// Channel groups (default 1).
    pub groups: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Conv1dOptions { stride: 1, padding: 0, dilation: 1, groups: 1 }
    }
}

/// Output length of a sliding window along one axis, or None when the (dilated)
/// kernel does not fit in the padded input.
pub(crate) fn window_count(len: usize, kernel: usize, stride: usize, padding: usize, dilation: usize) -> Option<usize> {
    let span = dilation * (kernel - 1) + 1;
    let padded = len + 2 * padding;
    (span <= padded).then(|| (padded - span) / stride + 1)
}

/// The most elements a convolution's output, or one sample's patch matrix, may hold.
const MAX_ELEMENTS: usize = 1 << 31;

/// Checks the operands of a convolution and works out its sizes.
fn geometry(op: &'static str, x: &Tensor, w: &Tensor, b: Option<&Tensor>, o: &Conv2dOptions) -> Result<ConvGeometry> {
    same_dtype(op, x, w)?;
    let (xs, ws) = (x.shape(), w.shape());
    if xs.len() != 4 || ws.len() != 4 {
        return Err(Error::invalid(
            op,
            format!("needs input [N, C, H, W] and weight [O, C/groups, kh, kw], got {xs:?} and {ws:?}"),
        ));
    }
    if o.stride.contains(&0) || o.dilation.contains(&0) || o.groups == 0 || ws[2] == 0 || ws[3] == 0 {
        return Err(Error::invalid(op, format!("stride, dilation, groups and kernel must be positive, got {o:?}")));
    }
    let (c, out_c, g) = (xs[1], ws[0], o.groups);
    if c % g != 0 || out_c % g != 0 || ws[1] * g != c {
        return Err(Error::invalid(
            op,
            format!("input {xs:?} and weight {ws:?} do not fit {g} groups (need C = groups · weight[1], O divisible)"),
        ));
    }
    if let Some(b) = b {
        same_dtype(op, x, b)?;
        if b.shape() != [out_c] {
            return Err(Error::invalid(op, format!("bias must have shape [{out_c}], got {:?}", b.shape())));
        }
    }
    let out = |d: usize| window_count(xs[2 + d], ws[2 + d], o.stride[d], o.padding[d], o.dilation[d]);
    let (Some(oh), Some(ow)) = (out(0), out(1)) else {
        let span = |d: usize| o.dilation[d] * (ws[2 + d] - 1) + 1;
        return Err(Error::invalid(
            op,
            format!(
                "kernel {}x{} (dilated {}x{}) is larger than the padded input {}x{} (input {xs:?}, padding {:?})",
                ws[2],
                ws[3],
                span(0),
                span(1),
                xs[2] + 2 * o.padding[0],
                xs[3] + 2 * o.padding[1],
                o.padding
            ),
        ));
    };
    // Checked sizes: a huge padding or input must be an error here, not an allocation that aborts.
    let count = |dims: &[usize]| dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|&n| n <= MAX_ELEMENTS);
    if count(&[xs[0], out_c, oh, ow]).is_none() || count(&[c / g, ws[2], ws[3], oh, ow]).is_none() {
        return Err(Error::invalid(
            op,
            format!(
                "the output [{}, {out_c}, {oh}, {ow}] or its patch matrix would hold more than 2^31 elements \
                 (input {xs:?}, padding {:?}, stride {:?})",
                xs[0], o.padding, o.stride
            ),
        ));
    }
    Ok(ConvGeometry {
        batch: xs[0],
        in_channels: c,
        in_size: [xs[2], xs[3]],
        out_channels: out_c,
        kernel: [ws[2], ws[3]],
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
        groups: g,
        out_size: [oh, ow],
    })
}

impl Tensor {
    /// 2-D convolution (cross-correlation, like PyTorch's `conv2d`) of this input
    /// `[N, C, H, W]` with `weight` `[O, C/groups, kh, kw]` and an optional `bias` `[O]`,
    /// giving `[N, O, OH, OW]` with `OH = (H + 2·pad − dil·(kh − 1) − 1) / stride + 1`.
    ///
    /// Backward: col2im of Wᵀ·g for the input, g·patchesᵀ for the weights, g summed for
    /// the bias. The backward rule runs kernels directly, so it is not itself differentiable
    /// (no second derivatives through a convolution).
    pub fn conv2d(&self, weight: &Tensor, bias: Option<&Tensor>, options: Conv2dOptions) -> Result<Tensor> {
        self.conv2d_named("conv2d", weight, bias, options)
    }

    fn conv2d_named(
        &self,
        op: &'static str,
        weight: &Tensor,
        bias: Option<&Tensor>,
        options: Conv2dOptions,
    ) -> Result<Tensor> {
        let geom = geometry(op, self, weight, bias, &options)?;
        let (x, w) = (self.contiguous(), weight.contiguous());
        let b = bias.map(Tensor::contiguous);
        let b_data = b.as_ref().map(|b| b.with_storage(|s, l| s.copy_contiguous(l))).transpose()?;
        let storage = with_two(&x, &w, |sx, sw| sx.conv2d(x.layout(), (sw, w.layout()), b_data.as_ref(), &geom))?;
        let out = Tensor::from_storage(storage, &[geom.batch, geom.out_channels, geom.out_size[0], geom.out_size[1]]);
        let mut inputs = vec![&x, &w];
        inputs.extend(b.as_ref());
        Ok(record(out, op, &inputs, move |g, inputs, _| {
            let g = g.contiguous();
            let (x, w) = (&inputs[0], &inputs[1]);
            let gx = x.requires_grad().then(|| {
                let s = with_two(&g, w, |sg, sw| sg.conv2d_grad_input(g.layout(), (sw, w.layout()), &geom))?;
                Ok(Tensor::from_storage(s, x.shape()))
            });
            let gw = w.requires_grad().then(|| {
                let s = with_two(x, &g, |sx, sg| sx.conv2d_grad_weight(x.layout(), (sg, g.layout()), &geom))?;
                Ok(Tensor::from_storage(s, w.shape()))
            });
            let mut grads = vec![gx.transpose()?, gw.transpose()?];
            if let Some(b) = inputs.get(2) {
                let gb = b.requires_grad().then(|| {
                    let s = g.with_storage(|sg, lg| sg.conv2d_grad_bias(lg, &geom))?;
                    Ok(Tensor::from_storage(s, b.shape()))
                });
                grads.push(gb.transpose()?);
            }
            Ok(grads)
        }))
    }

    /// 1-D convolution of this input `[N, C, L]` with `weight` `[O, C/groups, k]` and an
    /// optional `bias` `[O]`, giving `[N, O, L_out]`; computed as a 2-D convolution of height 1.
    pub fn conv1d(&self, weight: &Tensor, bias: Option<&Tensor>, options: Conv1dOptions) -> Result<Tensor> {
        if self.rank() != 3 || weight.rank() != 3 {
            return Err(Error::invalid(
                "conv1d",
                format!(
                    "needs input [N, C, L] and weight [O, C/groups, k], got {:?} and {:?}",
                    self.shape(),
                    weight.shape()
                ),
            ));
        }
        let o2 = Conv2dOptions {
            stride: [1, options.stride],
            padding: [0, options.padding],
            dilation: [1, options.dilation],
            groups: options.groups,
        };
        self.unsqueeze(2)?.conv2d_named("conv1d", &weight.unsqueeze(2)?, bias, o2)?.squeeze(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    #[test]
    fn window_count_matches_the_formula() {
        assert_eq!(window_count(28, 5, 1, 2, 1), Some(28));
        assert_eq!(window_count(7, 3, 2, 1, 2), Some(3)); // (7 + 2 - 5) / 2 + 1
        assert_eq!(window_count(5, 2, 3, 0, 1), Some(2)); // stride > kernel
        assert_eq!(window_count(2, 5, 1, 1, 1), None);
    }

    #[test]
    fn a_kernel_larger_than_the_padded_input_is_an_error_naming_the_shapes() {
        let x = Tensor::zeros(&[1, 1, 2, 2], DType::F32);
        let w = Tensor::zeros(&[1, 1, 5, 5], DType::F32);
        let e = x.conv2d(&w, None, Conv2dOptions::default().padding(1)).unwrap_err().to_string();
        assert!(e.contains("conv2d") && e.contains("larger than the padded input 4x4"), "{e}");
    }

    #[test]
    fn an_output_too_large_to_allocate_is_an_error() {
        let x = Tensor::zeros(&[1, 1, 8, 8], DType::F32);
        let w = Tensor::zeros(&[1, 1, 3, 3], DType::F32);
        let e = x.conv2d(&w, None, Conv2dOptions::default().padding(1 << 31)).unwrap_err().to_string();
        assert!(e.contains("conv2d") && e.contains("more than 2^31 elements"), "{e}");
    }
}
