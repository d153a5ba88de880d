//! How a tensor's elements sit in its storage: shape, strides and offset.
//! Views (transpose, permute, narrow, expand, reshape of contiguous data) only change the layout.

use crate::shape::{contiguous_strides, numel};
use crate::{Error, Result};

/// Shape, strides (in elements; 0 for a broadcast dimension) and starting offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

impl Layout {
    /// The layout of freshly allocated, row-major data.
    pub fn contiguous(shape: &[usize]) -> Self {
        Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }
    }

    /// A layout from its parts.
    pub fn new(shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Self {
        Layout { shape, strides, offset }
    }

    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The step, in elements, along each dimension.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Index of the first element in storage.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// Whether elements are row-major and packed (offset may be non-zero).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }

    /// Swaps two dimensions.
    pub fn transpose(&self, a: usize, b: usize) -> Layout {
        let mut l = self.clone();
        l.shape.swap(a, b);
        l.strides.swap(a, b);
        l
    }

    /// Reorders dimensions: dimension `i` of the result is dimension `perm[i]` of this one.
    pub fn permute(&self, perm: &[usize]) -> Layout {
        Layout {
            shape: perm.iter().map(|&p| self.shape[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// Keeps `len` entries of dimension `dim` starting at `start`.
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Layout {
        let mut l = self.clone();
        l.offset += start * self.strides[dim];
        l.shape[dim] = len;
        l
    }

    /// Broadcasts to `shape` (already checked compatible) with zero strides on stretched dimensions.
    pub fn broadcast_to(&self, shape: &[usize]) -> Layout {
        let lead = shape.len() - self.shape.len();
        let strides = (0..shape.len())
            .map(|i| if i < lead || (self.shape[i - lead] == 1 && shape[i] != 1) { 0 } else { self.strides[i - lead] })
            .collect();
        Layout { shape: shape.to_vec(), strides, offset: self.offset }
    }

    /// The same elements under a new shape, if that needs no copy (contiguous data).
    pub fn reshape(&self, shape: &[usize]) -> Result<Option<Layout>> {
        if numel(shape) != self.numel() {
            return Err(Error::ElementCount { op: "reshape", len: self.numel(), shape: shape.to_vec() });
        }
        Ok(self.is_contiguous().then(|| Layout {
            shape: shape.to_vec(),
            strides: contiguous_strides(shape),
            offset: self.offset,
        }))
    }

    /// Inserts a dimension of size 1 at `dim`.
    pub fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let stride = if dim < l.shape.len() { l.strides[dim] * l.shape[dim] } else { 1 };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }

    /// Removes dimension `dim`, which must have size 1.
    pub fn squeeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        l.shape.remove(dim);
        l.strides.remove(dim);
        l
    }

    /// Storage offsets of every element, in row-major order of this layout.
    pub fn offsets(&self) -> StridedOffsets<'_> {
        StridedOffsets::new(self)
    }
}

/// Iterator over the storage offsets of a layout, in row-major element order.
pub struct StridedOffsets<'a> {
    layout: &'a Layout,
    index: Vec<usize>,
    next: Option<usize>,
}

impl<'a> StridedOffsets<'a> {
    fn new(layout: &'a Layout) -> Self {
        let next = (layout.numel() > 0).then_some(layout.offset);
        StridedOffsets { layout, index: vec![0; layout.shape.len()], next }
    }
}

impl Iterator for StridedOffsets<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let current = self.next?;
        let mut off = current;
        let shape = &self.layout.shape;
        let strides = &self.layout.strides;
        let mut d = shape.len();
        loop {
            if d == 0 {
                self.next = None;
                break;
            }
            d -= 1;
            self.index[d] += 1;
            off += strides[d];
            if self.index[d] < shape[d] {
                self.next = Some(off);
                break;
            }
            off -= strides[d] * shape[d];
            self.index[d] = 0;
        }
        Some(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_of_a_transposed_view() {
        let l = Layout::contiguous(&[2, 3]).transpose(0, 1);
        assert_eq!(l.offsets().collect::<Vec<_>>(), vec![0, 3, 1, 4, 2, 5]);
        assert!(!l.is_contiguous());
    }

    #[test]
    fn offsets_of_a_broadcast_view() {
        let l = Layout::contiguous(&[3]).broadcast_to(&[2, 3]);
        assert_eq!(l.offsets().collect::<Vec<_>>(), vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn narrow_moves_the_offset() {
        let l = Layout::contiguous(&[4, 2]).narrow(0, 1, 2);
        assert_eq!(l.offsets().collect::<Vec<_>>(), vec![2, 3, 4, 5]);
        assert!(l.is_contiguous());
    }

    #[test]
    fn reshape_needs_contiguity() {
        let l = Layout::contiguous(&[2, 3]);
        assert!(l.reshape(&[3, 2]).unwrap().is_some());
        assert!(l.transpose(0, 1).reshape(&[6]).unwrap().is_none());
        assert!(l.reshape(&[5]).is_err());
    }

    #[test]
    fn empty_layout_has_no_offsets() {
        assert_eq!(Layout::contiguous(&[0, 3]).offsets().count(), 0);
        assert_eq!(Layout::contiguous(&[]).offsets().collect::<Vec<_>>(), vec![0]);
    }
}
