//! The caching allocator: a buffer dropped on a device goes to that device's
//! pool, keyed by element type and length, and the next allocation of the same
//! size takes it back. A training step allocates the same sizes every step, so
//! after the first step no allocation reaches the driver. Every buffer is used
//! on its device's single stream, so reuse is ordered after the last kernel that
//! read the old contents.

use super::device::{lock, GpuDevice};
use crate::Result;
use cudarc::driver::{CudaSlice, DevicePtr, DeviceRepr, ValidAsZeroBits};
use std::collections::HashMap;
use std::sync::Arc;

/// Free buffers of one element type by length.
type Bins<T> = HashMap<usize, Vec<CudaSlice<T>>>;

/// Free buffers of every element type the backend allocates.
#[derive(Default)]
pub(crate) struct Pools {
    f32: Bins<f32>,
    f64: Bins<f64>,
    u32: Bins<u32>,
    u64: Bins<u64>,
}

impl Pools {
    /// Frees every cached buffer (after an allocation failed).
    fn clear(&mut self) {
        *self = Pools::default();
    }
}

/// Element types with a bin in [`Pools`].
pub(crate) trait Poolable: DeviceRepr + ValidAsZeroBits + Copy + Default + Send + Sync + 'static {
    /// This type's bins.
    fn bins(p: &mut Pools) -> &mut Bins<Self>;
}

macro_rules! poolable {
    ($($t:ident),*) => {$(
        impl Poolable for $t {
            fn bins(p: &mut Pools) -> &mut Bins<Self> {
                &mut p.$t
            }
        }
    )*};
}
poolable!(f32, f64, u32, u64);

/// A device buffer of `len` elements that returns to its device's pool when dropped.
pub(crate) struct Buf<T: Poolable> {
    slice: Option<CudaSlice<T>>,
    len: usize,
    /// The device it lives on.
    pub dev: Arc<GpuDevice>,
}

impl<T: Poolable> Buf<T> {
    /// An uninitialized buffer of `len` elements on `dev`.
    pub fn alloc(dev: &Arc<GpuDevice>, len: usize) -> Result<Buf<T>> {
        // Zero-length buffers still get one element, so every buffer has an address.
        let cap = len.max(1);
        let cached = T::bins(&mut lock(&dev.pools)).get_mut(&cap).and_then(Vec::pop);
        let slice = match cached {
            Some(s) => s,
            None => {
                // SAFETY: every kernel writes a buffer before it is read.
                match unsafe { dev.stream.alloc::<T>(cap) } {
                    Ok(s) => s,
                    Err(_) => {
                        lock(&dev.pools).clear();
                        unsafe { dev.stream.alloc::<T>(cap) }
                            .map_err(|e| dev.err(format!("allocating {cap} elements: {e}")))?
                    }
                }
            }
        };
        Ok(Buf { slice: Some(slice), len, dev: dev.clone() })
    }

    /// A buffer of `len` zeros.
    pub fn zeros(dev: &Arc<GpuDevice>, len: usize) -> Result<Buf<T>> {
        let b = Buf::alloc(dev, len)?;
        b.clear(0, len)?;
        Ok(b)
    }

    /// A buffer holding a copy of host `values`.
    pub fn upload(dev: &Arc<GpuDevice>, values: &[T]) -> Result<Buf<T>> {
        let mut b = Buf::alloc(dev, values.len())?;
        if !values.is_empty() {
            let mut view = b.slice_mut().slice_mut(..values.len());
            dev.stream.memcpy_htod(values, &mut view).map_err(|e| dev.err(e))?;
        }
        Ok(b)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The underlying allocation (at least one element long).
    pub fn slice(&self) -> &CudaSlice<T> {
        self.slice.as_ref().expect("a live buffer holds its slice")
    }

    fn slice_mut(&mut self) -> &mut CudaSlice<T> {
        self.slice.as_mut().expect("a live buffer holds its slice")
    }

    /// The device address of element `offset`, as kernels take it.
    pub fn ptr(&self, offset: usize) -> u64 {
        let (base, _sync) = self.slice().device_ptr(&self.dev.stream);
        base + (offset * std::mem::size_of::<T>()) as u64
    }

    /// Sets elements `at..at + n` to zero (all-zero bits are 0.0 and integer 0).
    pub fn clear(&self, at: usize, n: usize) -> Result<()> {
        let bytes = n.min(self.len.saturating_sub(at)) * std::mem::size_of::<T>();
        if bytes == 0 {
            return Ok(());
        }
        // SAFETY: the range lies inside this buffer, and the memset is queued on its stream.
        unsafe { cudarc::driver::result::memset_d8_async(self.ptr(at), 0, bytes, self.dev.stream.cu_stream()) }
            .map_err(|e| self.dev.err(e))
    }

    /// Elements `offset..offset + n` copied to the host (waits for queued work).
    pub fn download(&self, offset: usize, n: usize) -> Result<Vec<T>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let view = self.slice().slice(offset..offset + n);
        self.dev.stream.clone_dtoh(&view).map_err(|e| self.dev.err(e))
    }

    /// Overwrites elements `offset..offset + values.len()` with host `values`.
    pub fn write(&mut self, offset: usize, values: &[T]) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let dev = self.dev.clone();
        let mut view = self.slice_mut().slice_mut(offset..offset + values.len());
        dev.stream.memcpy_htod(values, &mut view).map_err(|e| dev.err(e))
    }
}

impl<T: Poolable> Drop for Buf<T> {
    fn drop(&mut self) {
        if let Some(s) = self.slice.take() {
            let cap = s.len();
            T::bins(&mut lock(&self.dev.pools)).entry(cap).or_default().push(s);
        }
    }
}
