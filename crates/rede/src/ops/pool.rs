//! 2-D pooling over `[N, C, H, W]`: max, average, adaptive average and global average.

use super::conv::window_count;
use crate::autograd::record;
use crate::backend::PoolWindows;
use crate::{Error, Result, Tensor};
use std::sync::Arc;

/// Checks a pooling input is `[N, C, H, W]` and returns (planes N·C, [H, W]).
fn planes(op: &'static str, x: &Tensor) -> Result<(usize, [usize; 2])> {
    match *x.shape() {
        [n, c, h, w] => Ok((n * c, [h, w])),
        _ => Err(Error::invalid(op, format!("needs an input [N, C, H, W], got {:?}", x.shape()))),
    }
}

/// Sliding windows of `kernel` every `stride` with `padding` implicit cells on each side,
/// clipped to the input.
fn sliding(
    op: &'static str,
    size: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
) -> Result<PoolWindows> {
    if kernel.contains(&0) || stride.contains(&0) {
        return Err(Error::invalid(op, format!("kernel {kernel:?} and stride {stride:?} must be positive")));
    }
    if (0..2).any(|d| padding[d] > kernel[d] / 2) {
        return Err(Error::invalid(op, format!("padding {padding:?} must be at most half the kernel {kernel:?}")));
    }
    let axis = |d: usize| -> Result<Vec<(usize, usize)>> {
        let count = window_count(size[d], kernel[d], stride[d], padding[d], 1).ok_or_else(|| {
            Error::invalid(
                op,
                format!(
                    "kernel {kernel:?} is larger than the padded input {:?}",
                    [size[0] + 2 * padding[0], size[1] + 2 * padding[1]]
                ),
            )
        })?;
        Ok((0..count)
            .map(|o| {
                let start = (o * stride[d]) as isize - padding[d] as isize;
                let end = start + kernel[d] as isize;
                (start.max(0) as usize, (end as usize).min(size[d]))
            })
            .collect())
    };
    Ok(PoolWindows { in_size: size, rows: axis(0)?, cols: axis(1)? })
}

/// PyTorch's adaptive windows: output `o` of `out` covers `floor(o·len/out) .. ceil((o+1)·len/out)`.
fn adaptive_axis(len: usize, out: usize) -> Vec<(usize, usize)> {
    (0..out).map(|o| (o * len / out, ((o + 1) * len).div_ceil(out))).collect()
}

impl Tensor {
    /// Maximum over `kernel` windows every `stride`, with `padding` cells of −∞ on each side
    /// (at most half the kernel), like PyTorch's `max_pool2d`. Backward: g routed to each
    /// window's maximum (the first one on ties).
    pub fn max_pool2d(&self, kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2]) -> Result<Tensor> {
        let (planes, size) = planes("max_pool2d", self)?;
        let win = Arc::new(sliding("max_pool2d", size, kernel, stride, padding)?);
        let x = self.contiguous();
        let (storage, argmax) = x.with_storage(|s, l| s.max_pool2d(l, planes, &win))?;
        let shape = [self.shape()[0], self.shape()[1], win.rows.len(), win.cols.len()];
        let out = Tensor::from_storage(storage, &shape);
        Ok(record(out, "max_pool2d", &[&x], move |g, inputs, _| {
            let g = g.contiguous();
            let s = g.with_storage(|s, l| s.max_pool2d_backward(l, &argmax, planes, &win))?;
            Ok(vec![Some(Tensor::from_storage(s, inputs[0].shape()))])
        }))
    }

    /// Mean over `kernel` windows every `stride`, with `padding` zeros on each side that count
    /// in the mean (PyTorch's default `count_include_pad=True`). Backward: g spread evenly.
    pub fn avg_pool2d(&self, kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2]) -> Result<Tensor> {
        let win = sliding("avg_pool2d", planes("avg_pool2d", self)?.1, kernel, stride, padding)?;
        self.window_mean("avg_pool2d", win, Some(kernel[0] * kernel[1]))
    }

    /// Averages into an `out_h × out_w` grid of near-equal windows, whatever the input size
    /// (PyTorch's `adaptive_avg_pool2d`).
    pub fn adaptive_avg_pool2d(&self, out_h: usize, out_w: usize) -> Result<Tensor> {
        let (_, [h, w]) = planes("adaptive_avg_pool2d", self)?;
        if out_h == 0 || out_w == 0 || h == 0 || w == 0 {
            return Err(Error::invalid(
                "adaptive_avg_pool2d",
                format!("output {out_h}x{out_w} and input {:?} must have positive sizes", self.shape()),
            ));
        }
        let win = PoolWindows { in_size: [h, w], rows: adaptive_axis(h, out_h), cols: adaptive_axis(w, out_w) };
        self.window_mean("adaptive_avg_pool2d", win, None)
    }

    /// Mean of each channel over all positions: `[N, C, H, W]` to `[N, C]`.
    pub fn global_avg_pool2d(&self) -> Result<Tensor> {
        planes("global_avg_pool2d", self)?;
        self.mean(&[2, 3], false)
    }

    fn window_mean(&self, op: &'static str, win: PoolWindows, divisor: Option<usize>) -> Result<Tensor> {
        let (planes, _) = planes(op, self)?;
        let win = Arc::new(win);
        let x = self.contiguous();
        let storage = x.with_storage(|s, l| s.avg_pool2d(l, planes, &win, divisor))?;
        let shape = [self.shape()[0], self.shape()[1], win.rows.len(), win.cols.len()];
        let out = Tensor::from_storage(storage, &shape);
        Ok(record(out, op, &[&x], move |g, inputs, _| {
            let g = g.contiguous();
            let s = g.with_storage(|s, l| s.avg_pool2d_backward(l, planes, &win, divisor))?;
            Ok(vec![Some(Tensor::from_storage(s, inputs[0].shape()))])
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_windows_cover_the_input_like_pytorch() {
        assert_eq!(adaptive_axis(5, 3), vec![(0, 2), (1, 4), (3, 5)]);
        assert_eq!(adaptive_axis(4, 1), vec![(0, 4)]);
    }

    #[test]
    fn sliding_windows_are_clipped_to_the_input() {
        let w = sliding("t", [4, 5], [3, 3], [2, 3], [1, 1]).unwrap();
        assert_eq!(w.rows, vec![(0, 2), (1, 4)]);
        assert_eq!(w.cols, vec![(0, 2), (2, 5)]);
        assert!(sliding("t", [4, 4], [2, 2], [1, 1], [2, 0]).is_err());
    }
}
