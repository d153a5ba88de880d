//! Constructors.

use super::{Rng, Tensor};
use crate::backend::Storage;
use crate::shape::numel;
use crate::{DType, Device, Element, Error, Result};

fn filled(shape: &[usize], value: f64, dtype: DType) -> Tensor {
    filled_on(shape, value, dtype, Device::Cpu).expect("host buffers are always available")
}

/// `value` everywhere on `device`; on the CPU the same as [`filled`].
fn filled_on(shape: &[usize], value: f64, dtype: DType, device: Device) -> Result<Tensor> {
    Ok(Tensor::from_storage(Storage::filled(device, dtype, numel(shape), value)?, shape))
}

fn from_f64s(values: Vec<f64>, shape: &[usize], dtype: DType) -> Tensor {
    let storage = match dtype {
        DType::F32 => Storage::from_vec(values.into_iter().map(|v| v as f32).collect::<Vec<_>>()),
        DType::F64 => Storage::from_vec(values),
    };
    Tensor::from_storage(storage, shape)
}

impl Tensor {
    /// A tensor owning `data` with the given shape; the element type is `T`'s.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        if data.len() != numel(shape) {
            return Err(Error::ElementCount { op: "from_vec", len: data.len(), shape: shape.to_vec() });
        }
        Ok(Tensor::from_storage(Storage::from_vec(data), shape))
    }

    /// A tensor copying `data` with the given shape.
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Result<Tensor> {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// A rank-0 tensor holding one value.
    pub fn scalar(value: f64, dtype: DType) -> Tensor {
        filled(&[], value, dtype)
    }

    /// All zeros.
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        filled(shape, 0.0, dtype)
    }

    /// All ones.
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        filled(shape, 1.0, dtype)
    }

    /// Every element `value`.
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        filled(shape, value, dtype)
    }

    /// `value` everywhere, on `device`.
    pub fn full_on(shape: &[usize], value: f64, dtype: DType, device: Device) -> Result<Tensor> {
        filled_on(shape, value, dtype, device)
    }

    /// Zeros with this tensor's shape, element type and device.
    pub fn zeros_like(&self) -> Tensor {
        self.full_like(0.0)
    }

    /// Ones with this tensor's shape, element type and device.
    pub fn ones_like(&self) -> Tensor {
        self.full_like(1.0)
    }

    /// `value` everywhere, with this tensor's shape, element type and device.
    pub fn full_like(&self, value: f64) -> Tensor {
        filled_on(self.shape(), value, self.dtype(), self.device()).unwrap_or_else(|e| crate::ops::kernel_failed(e))
    }

    /// `start, start+step, …` up to but excluding `end`.
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || (end - start) / step < 0.0 {
            return Err(Error::invalid("arange", format!("cannot go from {start} to {end} by {step}")));
        }
        let n = ((end - start) / step).ceil() as usize;
        let values = (0..n).map(|i| start + i as f64 * step).collect::<Vec<_>>();
        Ok(from_f64s(values, &[n], dtype))
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive.
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Tensor {
        let values = match steps {
            0 => vec![],
            1 => vec![start],
            _ => (0..steps).map(|i| start + (end - start) * i as f64 / (steps - 1) as f64).collect(),
        };
        from_f64s(values, &[steps], dtype)
    }

    /// Uniform samples in `[low, high)` drawn from `rng`.
    pub fn rand_uniform(shape: &[usize], low: f64, high: f64, dtype: DType, rng: &mut Rng) -> Tensor {
        let values = (0..numel(shape)).map(|_| low + (high - low) * rng.uniform()).collect();
        from_f64s(values, shape, dtype)
    }

    /// Normal samples with the given mean and standard deviation drawn from `rng`.
    pub fn rand_normal(shape: &[usize], mean: f64, std: f64, dtype: DType, rng: &mut Rng) -> Tensor {
        let values = (0..numel(shape)).map(|_| mean + std * rng.normal()).collect();
        from_f64s(values, shape, dtype)
    }
}
