//! Feature scaling: learn per-column statistics on training data, apply them
//! to any data. Constant columns never divide by zero: their scale is 1, so
//! they map to 0 (the same convention as scikit-learn).

use crate::{Error, Result, Tensor};
use serde::{Deserialize, Serialize};

/// Standardizes each column to zero mean and unit variance: `(x − mean) / std`
/// (population standard deviation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column standard deviations (1 for constant columns).
    pub scale: Vec<f64>,
}

impl StandardScaler {
    /// Learns the mean and standard deviation of each column.
    pub fn fit_columns(columns: &[&[f64]]) -> Result<Self> {
        check_columns("StandardScaler::fit", columns)?;
        let (mean, scale) = columns
            .iter()
            .map(|c| {
                let mean = c.iter().sum::<f64>() / c.len() as f64;
                let var = c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / c.len() as f64;
                (mean, nonzero(var.sqrt()))
            })
            .unzip();
        Ok(StandardScaler { mean, scale })
    }

    /// Learns the statistics of the columns of `x` `[n, d]`.
    pub fn fit(x: &Tensor) -> Result<Self> {
        let cols = tensor_columns("StandardScaler::fit", x)?;
        Self::fit_columns(&cols.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }

    /// `(v − mean) / std` for column `j`.
    pub fn transform_value(&self, j: usize, v: f64) -> f64 {
        (v - self.mean[j]) / self.scale[j]
    }

    /// Standardizes `x` `[n, d]` (same element type out).
    pub fn transform(&self, x: &Tensor) -> Result<Tensor> {
        map_columns("StandardScaler::transform", x, self.mean.len(), |j, v| self.transform_value(j, v))
    }

    /// Undoes [`StandardScaler::transform`].
    pub fn inverse_transform(&self, x: &Tensor) -> Result<Tensor> {
        map_columns("StandardScaler::inverse_transform", x, self.mean.len(), |j, v| v * self.scale[j] + self.mean[j])
    }
}

/// Scales each column linearly so the training minimum maps to `range.0`
/// and the training maximum to `range.1` (default `[0, 1]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinMaxScaler {
    /// Column minima.
    pub min: Vec<f64>,
    /// Column `max − min` (1 for constant columns).
    pub span: Vec<f64>,
    /// The output range.
    pub range: (f64, f64),
}

impl MinMaxScaler {
    /// Learns the minimum and maximum of each column, mapping them to `range`.
    pub fn fit_columns(columns: &[&[f64]], range: (f64, f64)) -> Result<Self> {
        check_columns("MinMaxScaler::fit", columns)?;
        if !(range.0.is_finite() && range.1.is_finite() && range.0 < range.1) {
            return Err(Error::invalid("MinMaxScaler::fit", format!("range {range:?} must have low < high")));
        }
        let (min, span) = columns
            .iter()
            .map(|c| {
                let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (lo, nonzero(hi - lo))
            })
            .unzip();
        Ok(MinMaxScaler { min, span, range })
    }

    /// Learns the range of the columns of `x` `[n, d]`, mapping it to `[0, 1]`.
    pub fn fit(x: &Tensor) -> Result<Self> {
        let cols = tensor_columns("MinMaxScaler::fit", x)?;
        Self::fit_columns(&cols.iter().map(Vec::as_slice).collect::<Vec<_>>(), (0.0, 1.0))
    }

    /// The scaled value of `v` in column `j`.
    pub fn transform_value(&self, j: usize, v: f64) -> f64 {
        self.range.0 + (v - self.min[j]) / self.span[j] * (self.range.1 - self.range.0)
    }

    /// Scales `x` `[n, d]` (same element type out).
    pub fn transform(&self, x: &Tensor) -> Result<Tensor> {
        map_columns("MinMaxScaler::transform", x, self.min.len(), |j, v| self.transform_value(j, v))
    }

    /// Undoes [`MinMaxScaler::transform`].
    pub fn inverse_transform(&self, x: &Tensor) -> Result<Tensor> {
        let width = self.range.1 - self.range.0;
        map_columns("MinMaxScaler::inverse_transform", x, self.min.len(), |j, v| {
            (v - self.range.0) / width * self.span[j] + self.min[j]
        })
    }
}

/// Standardizes image rows with one mean and standard deviation per channel, over
/// all its pixels (as torchvision's `Normalize` is used), rather than one per pixel
/// column: a pixel that is always 0 in training (MNIST's borders) stays 0 instead of
/// blowing up rare strokes, and every pixel of a channel keeps the same scale.
///
/// A row of `d` features holds `channels` equal blocks, channel-major (`[C, H, W]`
/// flattened), so column `j` belongs to channel `j / (d / channels)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelScaler {
    /// Mean of each channel.
    pub mean: Vec<f64>,
    /// Standard deviation of each channel (1 for a constant channel).
    pub scale: Vec<f64>,
}

impl ChannelScaler {
    /// Learns each channel's statistics from the pixel columns (`channels` equal blocks).
    pub fn fit_columns(columns: &[&[f64]], channels: usize) -> Result<Self> {
        const OP: &str = "ChannelScaler::fit";
        check_columns(OP, columns)?;
        if channels == 0 || columns.is_empty() || columns.len() % channels != 0 {
            let msg = format!("{} feature columns cannot be split into {channels} equal channels", columns.len());
            return Err(Error::invalid(OP, msg));
        }
        let per_channel = columns.len() / channels;
        let (mean, scale) = columns
            .chunks(per_channel)
            .map(|block| {
                let count = block.iter().map(|c| c.len()).sum::<usize>() as f64;
                let mean = block.iter().flat_map(|c| c.iter()).sum::<f64>() / count;
                let var = block.iter().flat_map(|c| c.iter()).map(|v| (v - mean).powi(2)).sum::<f64>() / count;
                (mean, nonzero(var.sqrt()))
            })
            .unzip();
        Ok(ChannelScaler { mean, scale })
    }

    /// The channel of column `j` of `d` feature columns.
    pub fn channel_of(&self, j: usize, d: usize) -> usize {
        j / (d / self.mean.len()).max(1)
    }

    /// `(v − mean) / std` of column `j`'s channel, for rows of `d` features.
    pub fn transform_value(&self, j: usize, d: usize, v: f64) -> f64 {
        let c = self.channel_of(j, d);
        (v - self.mean[c]) / self.scale[c]
    }
}

/// A spread of zero (a constant column) becomes 1 so nothing divides by zero.
fn nonzero(spread: f64) -> f64 {
    if spread > 0.0 {
        spread
    } else {
        1.0
    }
}

fn check_columns(op: &'static str, columns: &[&[f64]]) -> Result<()> {
    if columns.iter().any(|c| c.is_empty()) {
        return Err(Error::invalid(op, "cannot fit on a column with no values"));
    }
    if columns.iter().any(|c| c.iter().any(|v| !v.is_finite())) {
        return Err(Error::invalid(op, "cannot fit on NaN or infinite values"));
    }
    Ok(())
}

/// The columns of a 2-D tensor as f64 vectors.
fn tensor_columns(op: &'static str, x: &Tensor) -> Result<Vec<Vec<f64>>> {
    let &[n, d] = x.shape() else {
        return Err(Error::invalid(op, format!("expected a 2-D tensor [n, d], got {:?}", x.shape())));
    };
    let v = x.to_vec_f64();
    Ok((0..d).map(|j| (0..n).map(|i| v[i * d + j]).collect()).collect())
}

/// Applies `f(column, value)` to every element of `x` `[n, d]`, which must have `d` columns.
fn map_columns(op: &'static str, x: &Tensor, d: usize, f: impl Fn(usize, f64) -> f64) -> Result<Tensor> {
    if x.rank() != 2 || x.shape()[1] != d {
        return Err(Error::invalid(op, format!("fitted on {d} columns, got a tensor of shape {:?}", x.shape())));
    }
    let v: Vec<f64> = x.to_vec_f64().iter().enumerate().map(|(i, &v)| f(i % d, v)).collect();
    Ok(Tensor::from_vec(v, x.shape())?.to_dtype(x.dtype()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x() -> Tensor {
        Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 5.0, 3.0, 5.0, 6.0, 5.0], &[4, 2]).unwrap()
    }

    #[test]
    fn standard_scaler_centres_and_keeps_constant_columns_finite() {
        let s = StandardScaler::fit(&x()).unwrap();
        assert_eq!(s.mean, vec![3.0, 5.0]);
        assert_eq!(s.scale[1], 1.0);
        let t = s.transform(&x()).unwrap();
        let cols = tensor_columns("t", &t).unwrap();
        let var = cols[0].iter().map(|v| v * v).sum::<f64>() / 4.0;
        assert!(cols[0].iter().sum::<f64>().abs() < 1e-6 && (var - 1.0).abs() < 1e-6);
        assert!(cols[1].iter().all(|&v| v == 0.0));
        let back = s.inverse_transform(&t).unwrap().to_vec_f32();
        assert!(back.iter().zip(x().to_vec_f32()).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn channel_scaler_pools_all_pixels_of_a_channel() {
        // Two channels of two pixels each, over two rows.
        let columns: [&[f64]; 4] = [&[0.0, 2.0], &[4.0, 6.0], &[10.0, 10.0], &[10.0, 10.0]];
        let s = ChannelScaler::fit_columns(&columns, 2).unwrap();
        assert_eq!(s.mean, vec![3.0, 10.0]);
        assert!((s.scale[0] - 5.0f64.sqrt()).abs() < 1e-12, "population std over all four values");
        assert_eq!(s.scale[1], 1.0, "a constant channel keeps a scale of 1");
        assert_eq!((s.channel_of(1, 4), s.channel_of(2, 4)), (0, 1));
        assert_eq!(s.transform_value(1, 4, 3.0), 0.0);
        assert!(ChannelScaler::fit_columns(&columns, 3).is_err(), "4 columns are not 3 equal channels");
    }

    #[test]
    fn min_max_scaler_maps_train_range_and_extrapolates_on_test() {
        let s = MinMaxScaler::fit(&x()).unwrap();
        let t = s.transform(&x()).unwrap().to_vec_f32();
        assert_eq!(t, vec![0.0, 0.0, 0.2, 0.0, 0.4, 0.0, 1.0, 0.0], "f32 in, f32 out");
        let test = Tensor::from_vec(vec![11.0f64, 7.0], &[1, 2]).unwrap();
        assert_eq!(s.transform(&test).unwrap().to_vec_f64(), vec![2.0, 2.0]);
        assert!(s.transform(&Tensor::zeros(&[1, 3], crate::DType::F32)).is_err());
    }
}
