//! Reading tensor data out, and writing it in place (for optimizers).

use super::Tensor;
use crate::backend::Storage;
use crate::layout::Layout;
use crate::{DType, Element, Error, Result};

impl Tensor {
    /// Runs `f` on the buffer and this tensor's layout.
    pub(crate) fn with_storage<R>(&self, f: impl FnOnce(&Storage, &Layout) -> R) -> R {
        let guard = self.0.storage.read().expect("storage lock poisoned");
        f(&guard, &self.0.layout)
    }

    /// The elements in row-major order, converted to `T`.
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        self.with_storage(|s, l| s.cpu().to_vec(l))
    }

    /// The elements as f32.
    pub fn to_vec_f32(&self) -> Vec<f32> {
        self.to_vec()
    }

    /// The elements as f64.
    pub fn to_vec_f64(&self) -> Vec<f64> {
        self.to_vec()
    }

    /// The value of a one-element tensor.
    pub fn item(&self) -> Result<f64> {
        if self.numel() != 1 {
            return Err(Error::invalid("item", format!("tensor of shape {:?} is not a single value", self.shape())));
        }
        Ok(self.to_vec_f64()[0])
    }

    /// The element at a multi-dimensional index.
    pub fn get(&self, index: &[usize]) -> Result<f64> {
        if index.len() != self.rank() {
            return Err(Error::invalid("get", format!("index {index:?} for shape {:?}", self.shape())));
        }
        let mut off = self.layout().offset();
        for (d, (&i, (&size, &stride))) in
            index.iter().zip(self.shape().iter().zip(self.layout().strides())).enumerate()
        {
            if i >= size {
                return Err(Error::IndexOutOfRange { op: "get", index: i, dim: d, size });
            }
            off += i * stride;
        }
        Ok(self.with_storage(|s, _| s.cpu().to_vec::<f64>(&Layout::new(vec![], vec![], off))[0]))
    }

    /// A copy with another element type (a no-op handle when it already has it).
    /// Gradients flow through the conversion.
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let storage = self.with_storage(|s, l| Storage::Cpu(s.cpu().to_dtype(l, dtype)));
        let from = self.dtype();
        crate::autograd::record(Tensor::from_storage(storage, self.shape()), "to_dtype", &[self], move |g, _, _| {
            Ok(vec![Some(g.to_dtype(from))])
        })
    }

    /// The same values packed row-major (a cheap handle if already so).
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        let storage = self.with_storage(|s, l| Storage::Cpu(s.cpu().copy_contiguous(l)));
        crate::autograd::record(Tensor::from_storage(storage, self.shape()), "contiguous", &[self], |g, _, _| {
            Ok(vec![Some(g.clone())])
        })
    }

    /// A detached deep copy with its own contiguous buffer (snapshots, e.g. best weights).
    pub fn copy(&self) -> Tensor {
        let storage = self.with_storage(|s, l| Storage::Cpu(s.cpu().copy_contiguous(l)));
        Tensor::from_storage(storage, self.shape())
    }

    /// Reads the contiguous elements in place, without copying.
    pub fn with_data<T: Element, R>(&self, f: impl FnOnce(&[T]) -> R) -> Result<R> {
        self.check_direct::<T>("with_data")?;
        Ok(self.with_storage(|s, l| {
            let data = s.cpu().as_slice::<T>().expect("dtype checked");
            f(&data[l.offset()..l.offset() + l.numel()])
        }))
    }

    /// Changes the elements in place (outside the graph), e.g. an optimizer step.
    /// Every view sharing the buffer sees the change.
    pub fn with_data_mut<T: Element, R>(&self, f: impl FnOnce(&mut [T]) -> R) -> Result<R> {
        self.check_direct::<T>("with_data_mut")?;
        let mut guard = self.0.storage.write().expect("storage lock poisoned");
        let l = &self.0.layout;
        let data = guard.cpu_mut().as_mut_slice::<T>().expect("dtype checked");
        Ok(f(&mut data[l.offset()..l.offset() + l.numel()]))
    }

    /// Copies `src`'s values into this tensor's buffer in place (shapes must match).
    pub fn assign(&self, src: &Tensor) -> Result<()> {
        if src.shape() != self.shape() {
            return Err(Error::ShapeMismatch { op: "assign", lhs: self.shape().to_vec(), rhs: src.shape().to_vec() });
        }
        match self.dtype() {
            DType::F32 => {
                let v = src.to_vec::<f32>();
                self.with_data_mut(|d: &mut [f32]| d.copy_from_slice(&v))
            }
            DType::F64 => {
                let v = src.to_vec::<f64>();
                self.with_data_mut(|d: &mut [f64]| d.copy_from_slice(&v))
            }
        }
    }

    fn check_direct<T: Element>(&self, op: &'static str) -> Result<()> {
        if T::DTYPE != self.dtype() {
            return Err(Error::DTypeMismatch { op, lhs: self.dtype(), rhs: T::DTYPE });
        }
        if !self.is_contiguous() {
            return Err(Error::invalid(op, "the tensor is not contiguous; call contiguous() first"));
        }
        Ok(())
    }
}
