//! Indexing kernels: index_select / gather, their adjoints, padding and concatenation.
//! Indices arrive already validated against the shapes by the op layer.

use super::strided::packed;
use crate::layout::Layout;
use crate::shape::{contiguous_strides, numel};
use crate::Element;

/// (outer, size, inner) of a shape around `dim`.
fn split(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    (numel(&shape[..dim]), shape[dim], numel(&shape[dim + 1..]))
}

/// Copies slices `indices` of dimension `dim`.
pub(crate) fn index_select<T: Element>(v: &[T], layout: &Layout, dim: usize, indices: &[usize]) -> Vec<T> {
    let src = packed(v, layout);
    let (outer, size, inner) = split(layout.shape(), dim);
    let mut out = Vec::with_capacity(outer * indices.len() * inner);
    for o in 0..outer {
        for &j in indices {
            let start = (o * size + j) * inner;
            out.extend_from_slice(&src[start..start + inner]);
        }
    }
    out
}

/// Adjoint of [`index_select`]: sums the selected slices back into a zero tensor of `shape`.
pub(crate) fn index_add<T: Element>(
    v: &[T],
    layout: &Layout,
    dim: usize,
    indices: &[usize],
    shape: &[usize],
) -> Vec<T> {
    let src = packed(v, layout);
    let (outer, size, inner) = split(shape, dim);
    // A recycled buffer: this is the backward of `index_select` (and so of embeddings) in training steps.
    let mut out = super::pool::take::<T>(numel(shape));
    out.fill(T::zero());
    for o in 0..outer {
        for (k, &j) in indices.iter().enumerate() {
            let from = (o * indices.len() + k) * inner;
            let to = (o * size + j) * inner;
            let dst = &mut out[to..to + inner];
            dst.iter_mut().zip(&src[from..from + inner]).for_each(|(d, &x)| *d = *d + x);
        }
    }
    out
}

/// For each position of `out_shape`, the flat index of the source element it gathers.
fn gather_positions(src_shape: &[usize], dim: usize, indices: &[usize], out_shape: &[usize]) -> Vec<usize> {
    let src_strides = contiguous_strides(src_shape);
    let out_strides = contiguous_strides(out_shape);
    (0..numel(out_shape))
        .map(|p| {
            let mut flat = 0;
            for (d, (&os, &ss)) in out_strides.iter().zip(&src_strides).enumerate() {
                let coord = if d == dim { indices[p] } else { (p / os) % out_shape[d] };
                flat += coord * ss;
            }
            flat
        })
        .collect()
}

/// `out[p] = x[p with coordinate dim replaced by indices[p]]`.
pub(crate) fn gather<T: Element>(
    v: &[T],
    layout: &Layout,
    dim: usize,
    indices: &[usize],
    out_shape: &[usize],
) -> Vec<T> {
    let src = packed(v, layout);
    gather_positions(layout.shape(), dim, indices, out_shape).into_iter().map(|i| src[i]).collect()
}

/// Adjoint of [`gather`]: adds each element of `v` at its gathered position in a zero tensor of `shape`.
pub(crate) fn scatter_add<T: Element>(
    v: &[T],
    layout: &Layout,
    dim: usize,
    indices: &[usize],
    shape: &[usize],
) -> Vec<T> {
    let src = packed(v, layout);
    let mut out = vec![T::zero(); numel(shape)];
    for (p, i) in gather_positions(shape, dim, indices, layout.shape()).into_iter().enumerate() {
        out[i] = out[i] + src[p];
    }
    out
}

/// `v` placed at `start` along `dim` in zeros of `shape`: each output element
/// written once (as `cat` with zero blocks, it wrote the zeros, copied them
/// into packed parts, then copied those into the result).
pub(crate) fn pad<T: Element>(v: &[T], layout: &Layout, dim: usize, start: usize, shape: &[usize]) -> Vec<T> {
    let src = packed(v, layout);
    let (_, size, inner) = split(shape, dim);
    let (block, taken) = (size * inner, layout.shape()[dim] * inner);
    // A recycled buffer: this is the backward of `narrow` (a recurrent
    // network's last step, for one) in training steps.
    let mut out = super::pool::take::<T>(numel(shape));
    if block == 0 {
        return out;
    }
    for (o, dst) in out.chunks_exact_mut(block).enumerate() {
        let (before, rest) = dst.split_at_mut(start * inner);
        let (slice, after) = rest.split_at_mut(taken);
        before.fill(T::zero());
        slice.copy_from_slice(&src[o * taken..(o + 1) * taken]);
        after.fill(T::zero());
    }
    out
}

/// Joins parts along `dim`.
pub(crate) fn concat<T: Element>(parts: &[(&[T], &Layout)], dim: usize) -> Vec<T> {
    let owned: Vec<_> = parts.iter().map(|(v, l)| packed(v, l)).collect();
    let outer = numel(&parts[0].1.shape()[..dim]);
    let chunks: Vec<usize> = parts.iter().map(|(_, l)| numel(&l.shape()[dim..])).collect();
    // A recycled buffer: concatenation runs in training steps (the backward of a narrow).
    let mut out = super::pool::take::<T>(owned.iter().map(|p| p.len()).sum());
    let mut at = 0;
    for o in 0..outer {
        for (part, &c) in owned.iter().zip(&chunks) {
            out[at..at + c].copy_from_slice(&part[o * c..(o + 1) * c]);
            at += c;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pad` against the definition, element by element: zeros of `shape`
    /// except the slice `start..start + len` along `dim`, which holds the source.
    #[test]
    fn pad_places_the_source_among_zeros_along_any_dimension() {
        let shape = [3, 4, 5];
        for dim in 0..3 {
            for (start, len) in [(0, 1), (1, 2), (shape[dim] - 1, 1), (0, shape[dim]), (2, 0)] {
                let mut part = shape.to_vec();
                part[dim] = len;
                // The source read through a transposed view, so it is packed first.
                let values: Vec<f64> = (0..numel(&part)).map(|i| i as f64 + 1.0).collect();
                let stored = Layout::contiguous(&[part[2], part[1], part[0]]);
                let source = stored.permute(&[2, 1, 0]);
                let at = |c: [usize; 3]| values[(c[2] * part[1] + c[1]) * part[0] + c[0]];
                let out = pad(&values, &source, dim, start, &shape);
                let mut i = 0;
                for a in 0..shape[0] {
                    for b in 0..shape[1] {
                        for c in 0..shape[2] {
                            let mut coord = [a, b, c];
                            let inside = (start..start + len).contains(&coord[dim]);
                            coord[dim] = coord[dim].wrapping_sub(start);
                            let expected = if inside { at(coord) } else { 0.0 };
                            assert_eq!(out[i], expected, "dim {dim}, start {start}, len {len}, at {a},{b},{c}");
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}
