//! Max pooling with dilation, ceil mode and the positions of the maxima (PyTorch's
//! `max_pool2d(..., return_indices=True)`), composed from `index_select` and `max`.

use crate::{Error, Result, Tensor};

/// Options of [`Tensor::max_pool2d_with_indices`], per dimension (height, width).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2dOptions {
    /// Window height and width.
    pub kernel: [usize; 2],
    /// Step between windows (PyTorch's default is the kernel size).
    pub stride: [usize; 2],
    /// Implicit −∞ cells on each side, at most half the kernel (default 0).
    pub padding: [usize; 2],
    /// Spacing between window taps (default 1).
    pub dilation: [usize; 2],
    /// Round the output size up, so a last partial window counts (default false).
    pub ceil_mode: bool,
}

impl MaxPool2dOptions {
    /// Windows of `kernel` every `kernel`, no padding or dilation, floor mode.
    pub fn new(kernel: [usize; 2]) -> MaxPool2dOptions {
        MaxPool2dOptions { kernel, stride: kernel, padding: [0, 0], dilation: [1, 1], ceil_mode: false }
    }
}

/// Output length along one axis, as PyTorch computes it (a last window must start
/// inside the input or its left padding).
fn out_len(len: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> Option<usize> {
    let span = d * (k - 1) + 1;
    let room = (len + 2 * p).checked_sub(span)?;
    let mut out = if ceil { room.div_ceil(s) } else { room / s } + 1;
    if ceil && (out - 1) * s >= len + p {
        out -= 1;
    }
    Some(out)
}

impl Tensor {
    /// Maximum over dilated windows of `[N, C, H, W]`, and where each maximum is: its flat
    /// position `h·W + w` in the input plane (whole numbers in this tensor's type).
    /// Backward: g to each window's maximum (shared on exact ties).
    pub fn max_pool2d_with_indices(&self, o: MaxPool2dOptions) -> Result<(Tensor, Tensor)> {
        const OP: &str = "max_pool2d";
        let &[n, c, h, w] = self.shape() else {
            return Err(Error::invalid(OP, format!("needs an input [N, C, H, W], got {:?}", self.shape())));
        };
        if [o.kernel, o.stride, o.dilation].iter().any(|p| p.contains(&0))
            || (0..2).any(|d| o.padding[d] > o.kernel[d] / 2)
        {
            return Err(Error::invalid(
                OP,
                format!("needs positive sizes and padding at most half the kernel, got {o:?}"),
            ));
        }
        let size = [h, w];
        let out: Vec<usize> = (0..2)
            .map(|d| out_len(size[d], o.kernel[d], o.stride[d], o.padding[d], o.dilation[d], o.ceil_mode))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                Error::invalid(OP, format!("the dilated kernel does not fit the padded input {:?}", self.shape()))
            })?;
        // Pad with −∞ far enough for every window, then pick each kernel tap's cells.
        let needed = |d: usize| (out[d] - 1) * o.stride[d] + o.dilation[d] * (o.kernel[d] - 1) + 1;
        let after = |d: usize| needed(d).saturating_sub(size[d] + o.padding[d]);
        let pads = [o.padding[1], after(1), o.padding[0], after(0)];
        let padded = self.pad(&pads, f64::NEG_INFINITY)?;
        let rows = |d: usize, tap: usize| -> Result<Tensor> {
            let idx: Vec<f64> = (0..out[d]).map(|i| (i * o.stride[d] + tap * o.dilation[d]) as f64).collect();
            Tensor::from_vec(idx, &[out[d]])
        };
        let mut taps = Vec::with_capacity(o.kernel[0] * o.kernel[1]);
        for ki in 0..o.kernel[0] {
            let band = padded.index_select(2, &rows(0, ki)?)?;
            for kj in 0..o.kernel[1] {
                taps.push(band.index_select(3, &rows(1, kj)?)?);
            }
        }
        let stacked = Tensor::stack(&taps.iter().collect::<Vec<_>>(), -1)?;
        let values = stacked.max(&[-1], false)?;
        let tap = stacked.detach().argmax(-1)?.to_vec_f64();
        let positions: Vec<f64> = tap
            .iter()
            .enumerate()
            .map(|(flat, &t)| {
                let (i, j) = (flat / out[1] % out[0], flat % out[1]);
                let (ki, kj) = (t as usize / o.kernel[1], t as usize % o.kernel[1]);
                let row = (i * o.stride[0] + ki * o.dilation[0]) as isize - o.padding[0] as isize;
                let col = (j * o.stride[1] + kj * o.dilation[1]) as isize - o.padding[1] as isize;
                (row * w as isize + col) as f64
            })
            .collect();
        let indices =
            Tensor::from_vec(positions, &[n, c, out[0], out[1]])?.to_dtype(self.dtype()).to_device(self.device())?;
        Ok((values, indices))
    }
}
