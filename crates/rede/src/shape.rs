//! Shape arithmetic: element counts, axis normalisation and NumPy broadcasting.

use crate::{Error, Result};

/// Number of elements of a shape (1 for a scalar).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides of a contiguous tensor of this shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    strides
}

/// Turns a possibly negative axis into an index below `rank`.
pub fn normalize_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize> {
    let a = if axis < 0 { axis + rank as isize } else { axis };
    if a < 0 || a as usize >= rank {
        return Err(Error::AxisOutOfRange { op, axis, rank });
    }
    Ok(a as usize)
}

/// Normalises a list of axes, sorted and without repeats.
pub fn normalize_axes(op: &'static str, axes: &[isize], rank: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let a = normalize_axis(op, a, rank)?;
        if out.contains(&a) {
            return Err(Error::invalid(op, format!("axis {a} given twice")));
        }
        out.push(a);
    }
    out.sort_unstable();
    Ok(out)
}

/// The shape two shapes broadcast to under NumPy rules (align right; sizes equal or one of them 1).
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err(Error::ShapeMismatch { op, lhs: a.to_vec(), rhs: b.to_vec() }),
        };
    }
    Ok(out)
}

/// The axes of `target` along which `source` was broadcast (so a gradient must be summed over them).
pub fn broadcast_reduced_axes(source: &[usize], target: &[usize]) -> Vec<usize> {
    let lead = target.len() - source.len();
    (0..target.len()).filter(|&i| i < lead || (source[i - lead] == 1 && target[i] != 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes("t", &[3, 1, 5], &[4, 1]).unwrap(), vec![3, 4, 5]);
        assert_eq!(broadcast_shapes("t", &[], &[2, 2]).unwrap(), vec![2, 2]);
        assert!(broadcast_shapes("t", &[3], &[4]).is_err());
    }

    #[test]
    fn reduced_axes_cover_new_and_stretched_dims() {
        assert_eq!(broadcast_reduced_axes(&[4, 1], &[3, 4, 5]), vec![0, 2]);
        assert_eq!(broadcast_reduced_axes(&[3, 4, 5], &[3, 4, 5]), Vec::<usize>::new());
    }

    #[test]
    fn strides_are_row_major() {
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(contiguous_strides(&[]), Vec::<usize>::new());
    }
}
