//! Reading tensor data out, and writing it in place (for optimizers).

use super::Tensor;
use crate::backend::{Storage, UpdateRule};
use crate::layout::Layout;
use crate::ops::kernel_failed;
use crate::{DType, Device, Element, Error, Result};

impl Tensor {
    /// Runs `f` on the buffer and this tensor's layout.
    pub(crate) fn with_storage<R>(&self, f: impl FnOnce(&Storage, &Layout) -> R) -> R {
        let guard = self.0.storage.read().expect("storage lock poisoned");
        f(&guard, &self.0.layout)
    }

    /// The elements in row-major order, converted to `T`, copied to host memory
    /// (from any device).
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        self.with_storage(|s, l| s.to_host(l)).unwrap_or_else(|e| kernel_failed(e))
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
        Ok(self.with_storage(|s, _| s.to_host::<f64>(&Layout::new(vec![], vec![], off)))?[0])
    }

    /// A copy with another element type (a no-op handle when it already has it).
    /// Gradients flow through the conversion.
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let storage = self.with_storage(|s, l| s.to_dtype(l, dtype)).unwrap_or_else(|e| kernel_failed(e));
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
        let storage = self.with_storage(|s, l| s.copy_contiguous(l)).unwrap_or_else(|e| kernel_failed(e));
        crate::autograd::record(Tensor::from_storage(storage, self.shape()), "contiguous", &[self], |g, _, _| {
            Ok(vec![Some(g.clone())])
        })
    }

    /// A detached deep copy with its own contiguous buffer (snapshots, e.g. best weights).
    pub fn copy(&self) -> Tensor {
        let storage = self.with_storage(|s, l| s.copy_contiguous(l)).unwrap_or_else(|e| kernel_failed(e));
        Tensor::from_storage(storage, self.shape())
    }

    /// Reads the contiguous elements of a tensor in host memory in place, without
    /// copying (an error for tensors on other devices: use [`Tensor::to_vec`]).
    pub fn with_data<T: Element, R>(&self, f: impl FnOnce(&[T]) -> R) -> Result<R> {
        self.check_direct::<T>("with_data")?;
        self.with_storage(|s, l| s.host_slice("with_data", l).map(f))
    }

    /// Changes the elements of a tensor in host memory in place (outside the graph).
    /// Every view sharing the buffer sees the change.
    pub fn with_data_mut<T: Element, R>(&self, f: impl FnOnce(&mut [T]) -> R) -> Result<R> {
        self.check_direct::<T>("with_data_mut")?;
        let mut guard = self.0.storage.write().expect("storage lock poisoned");
        guard.host_slice_mut("with_data_mut", &self.0.layout).map(f)
    }

    /// Copies `src`'s values into this tensor's buffer in place (shapes must match;
    /// `src` may be on another device or of another element type).
    pub fn assign(&self, src: &Tensor) -> Result<()> {
        if src.shape() != self.shape() {
            return Err(Error::ShapeMismatch { op: "assign", lhs: self.shape().to_vec(), rhs: src.shape().to_vec() });
        }
        match self.dtype() {
            DType::F32 => self.write_from_host(&src.to_vec::<f32>()),
            DType::F64 => self.write_from_host(&src.to_vec::<f64>()),
        }
    }

    /// Overwrites this contiguous tensor's elements, in place on its device, with
    /// host `values` in row-major order (outside the graph).
    pub fn write_from_host<T: Element>(&self, values: &[T]) -> Result<()> {
        if !self.is_contiguous() {
            return Err(Error::invalid("write_from_host", "the tensor is not contiguous; call contiguous() first"));
        }
        if values.len() != self.numel() {
            return Err(Error::ElementCount { op: "write_from_host", len: values.len(), shape: self.shape().to_vec() });
        }
        let mut guard = self.0.storage.write().expect("storage lock poisoned");
        guard.write_host(&self.0.layout, values)
    }

    /// One optimizer step on this contiguous parameter, in place on its device,
    /// from its contiguous gradient and its state buffers (see [`UpdateRule`]).
    pub(crate) fn update_in_place<R: UpdateRule>(
        &self,
        grad: &Tensor,
        state: &mut Storage,
        buffers: usize,
        rule: &R,
        step: (u64, bool),
    ) -> Result<()> {
        grad.with_storage(|g, gl| {
            let mut guard = self.0.storage.write().expect("storage lock poisoned");
            guard.update(&self.0.layout, (g, gl), state, buffers, rule, step)
        })
    }

    /// This tensor on `device`: the same handle when already there, else a copy
    /// through which gradients flow back to this device (like PyTorch's `.to(device)`).
    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        let from = self.device();
        if from == device {
            return Ok(self.clone());
        }
        let storage = self.with_storage(|s, l| s.copy_contiguous(l))?.to_device(device)?;
        Ok(crate::autograd::record(
            Tensor::from_storage(storage, self.shape()),
            "to_device",
            &[self],
            move |g, _, _| Ok(vec![Some(g.to_device(from)?)]),
        ))
    }

    /// Moves this tensor's whole buffer to `device` in place, so every handle and
    /// view sharing it (a module's parameter, an optimizer's reference to it)
    /// follows. A no-op when already there.
    pub fn move_to_device(&self, device: Device) -> Result<()> {
        let mut guard = self.0.storage.write().expect("storage lock poisoned");
        if guard.device() == device {
            return Ok(());
        }
        *guard = guard.to_device(device)?;
        Ok(())
    }

    /// This tensor, moved to `other`'s device when it is a single value in host
    /// memory and `other` is elsewhere (PyTorch lets such scalars mix with any
    /// device); otherwise the same handle, so a real mismatch is reported by the op.
    pub(crate) fn on_device_of(&self, other: &Tensor) -> Result<Tensor> {
        let (mine, theirs) = (self.device(), other.device());
        if mine == theirs || mine != Device::Cpu || self.numel() != 1 {
            return Ok(self.clone());
        }
        self.to_device(theirs)
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
