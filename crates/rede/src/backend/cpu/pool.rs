//! Recycled host buffers. A training step allocates the same buffer sizes
//! every time (activations, gradients, products); dropping a storage hands its
//! vector back here and the next kernel needing that many elements takes it,
//! so the steady state neither calls the allocator for large buffers nor
//! faults in and zero-fills fresh pages.
//!
//! Buffers are matched by exact length. Small buffers bypass the pool (the
//! allocator is fast for them), and the pool holds at most [`MAX_POOLED_BYTES`]
//! per element type, forgetting the oldest buffers beyond that.

use std::any::Any;
use std::sync::Mutex;

/// Buffers with fewer elements go straight to the allocator.
pub(crate) const MIN_POOLED: usize = 1 << 10;

/// Upper bound on the bytes kept per element type; a buffer larger than a
/// quarter of it is never kept.
pub(crate) const MAX_POOLED_BYTES: usize = 96 << 20;

/// Free buffers of one element type, oldest first.
struct Pool<T> {
    free: Vec<Vec<T>>,
    bytes: usize,
}

impl<T> Pool<T> {
    const fn new() -> Self {
        Pool { free: Vec::new(), bytes: 0 }
    }

    fn take(&mut self, len: usize) -> Option<Vec<T>> {
        let i = self.free.iter().rposition(|v| v.len() == len)?;
        let v = self.free.swap_remove(i);
        self.bytes -= bytes_of(&v);
        Some(v)
    }

    fn give(&mut self, v: Vec<T>) {
        let size = bytes_of(&v);
        if v.len() < MIN_POOLED || size > MAX_POOLED_BYTES / 4 {
            return;
        }
        self.bytes += size;
        self.free.push(v);
        while self.bytes > MAX_POOLED_BYTES {
            let old = self.free.remove(0);
            self.bytes -= bytes_of(&old);
        }
    }
}

fn bytes_of<T>(v: &Vec<T>) -> usize {
    v.capacity() * std::mem::size_of::<T>()
}

static F32: Mutex<Pool<f32>> = Mutex::new(Pool::new());
static F64: Mutex<Pool<f64>> = Mutex::new(Pool::new());

/// A vector of `len` elements whose values are unspecified (a recycled buffer,
/// or zeros when none fits): for kernels that overwrite every element.
pub(crate) fn take<T: Copy + Default + 'static>(len: usize) -> Vec<T> {
    let mut slot: Option<Vec<T>> = None;
    if len >= MIN_POOLED {
        let any: &mut dyn Any = &mut slot;
        if let Some(s) = any.downcast_mut::<Option<Vec<f32>>>() {
            *s = F32.lock().expect("buffer pool poisoned").take(len);
        } else if let Some(s) = any.downcast_mut::<Option<Vec<f64>>>() {
            *s = F64.lock().expect("buffer pool poisoned").take(len);
        }
    }
    slot.unwrap_or_else(|| vec![T::default(); len])
}

/// Hands a buffer back for reuse (or frees it, see the module notes).
pub(crate) fn give<T: 'static>(v: Vec<T>) {
    if v.len() < MIN_POOLED {
        return;
    }
    let mut slot = Some(v);
    let any: &mut dyn Any = &mut slot;
    if let Some(s) = any.downcast_mut::<Option<Vec<f32>>>() {
        if let (Some(v), Ok(mut pool)) = (s.take(), F32.lock()) {
            pool.give(v);
        }
    } else if let Some(s) = any.downcast_mut::<Option<Vec<f64>>>() {
        if let (Some(v), Ok(mut pool)) = (s.take(), F64.lock()) {
            pool.give(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_handed_out_again_for_the_same_length() {
        // A length no other test uses, so parallel tests cannot take it first.
        let len = MIN_POOLED + 7919;
        let v: Vec<f32> = take(len);
        assert_eq!(v.len(), len);
        let ptr = v.as_ptr();
        give(v);
        let again: Vec<f32> = take(len);
        assert_eq!(again.as_ptr(), ptr);
        let other: Vec<f32> = take(len + 1);
        assert_ne!(other.as_ptr(), ptr);
    }

    #[test]
    fn small_and_foreign_buffers_bypass_the_pool() {
        give(vec![1u8; 4 * MIN_POOLED]);
        let small: Vec<f64> = take(8);
        assert_eq!(small, vec![0.0; 8]);
    }

    #[test]
    fn the_pool_forgets_the_oldest_buffers_beyond_its_budget() {
        let mut pool = Pool::<f32>::new();
        let len = MAX_POOLED_BYTES / 4 / std::mem::size_of::<f32>();
        for _ in 0..6 {
            pool.give(vec![0.0; len]);
        }
        assert!(pool.bytes <= MAX_POOLED_BYTES);
        assert_eq!(pool.free.len(), 4);
    }
}
