//! Indexing kernels: index_select / gather, their adjoints, and concatenation.
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
