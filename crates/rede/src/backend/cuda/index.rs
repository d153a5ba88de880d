//! Indexing kernels; the host indices (validated by the op layer) are uploaded
//! into a pooled buffer for each call.

use super::alloc::Buf;
use super::kernels::INDEX;
use super::launch::{elems, launch, GpuElement, Strided};
use crate::layout::Layout;
use crate::shape::{contiguous_strides, numel};
use crate::Result;

/// The indices as the kernels read them.
fn upload(x: &Buf<impl GpuElement>, indices: &[usize]) -> Result<Buf<u64>> {
    let wide: Vec<u64> = indices.iter().map(|&i| i as u64).collect();
    Buf::upload(&x.dev, &wide)
}

/// (size, inner) of `shape` around `dim`.
fn around(shape: &[usize], dim: usize) -> (u64, u64) {
    (shape[dim] as u64, numel(&shape[dim + 1..]) as u64)
}

/// Slices `indices` of dimension `dim`.
pub(super) fn index_select<T: GpuElement>(
    x: &Buf<T>,
    layout: &Layout,
    dim: usize,
    indices: &[usize],
) -> Result<Buf<T>> {
    let shape = layout.shape();
    let n = numel(&shape[..dim]) * indices.len() * numel(&shape[dim + 1..]);
    let out = Buf::<T>::alloc(&x.dev, n)?;
    if n > 0 {
        let idx = upload(x, indices)?;
        let (size, inner) = around(shape, dim);
        launch!(x.dev, INDEX, T::kernel("index_select"), elems(n);
            out.ptr(0), x.ptr(0), Strided::of(layout)?, idx.ptr(0), indices.len() as u64, size, inner, n as u64);
    }
    Ok(out)
}

/// Adds the slices of an `index_select` result back into zeros of `shape`.
pub(super) fn index_add<T: GpuElement>(
    x: &Buf<T>,
    layout: &Layout,
    dim: usize,
    indices: &[usize],
    shape: &[usize],
) -> Result<Buf<T>> {
    let out = Buf::<T>::zeros(&x.dev, numel(shape))?;
    let n = layout.numel();
    if n > 0 {
        let idx = upload(x, indices)?;
        let (size, inner) = around(shape, dim);
        launch!(x.dev, INDEX, T::kernel("index_add"), elems(n);
            out.ptr(0), x.ptr(0), Strided::of(layout)?, idx.ptr(0), indices.len() as u64, size, inner, n as u64);
    }
    Ok(out)
}

/// `out[p] = x[p with coordinate dim replaced by indices[p]]`.
pub(super) fn gather<T: GpuElement>(
    x: &Buf<T>,
    layout: &Layout,
    dim: usize,
    indices: &[usize],
    out_shape: &[usize],
) -> Result<Buf<T>> {
    let n = numel(out_shape);
    let out = Buf::<T>::alloc(&x.dev, n)?;
    if n > 0 {
        let idx = upload(x, indices)?;
        let shape = Strided::from_parts(out_shape, &contiguous_strides(out_shape), 0, true)?;
        launch!(x.dev, INDEX, T::kernel("gather"), elems(n);
            out.ptr(0), x.ptr(0), Strided::of(layout)?, idx.ptr(0), shape, dim as u32, n as u64);
    }
    Ok(out)
}

/// The adjoint of `gather`: adds `x` into zeros of `shape` at the gathered positions.
pub(super) fn scatter_add<T: GpuElement>(
    x: &Buf<T>,
    layout: &Layout,
    dim: usize,
    indices: &[usize],
    shape: &[usize],
) -> Result<Buf<T>> {
    let out = Buf::<T>::zeros(&x.dev, numel(shape))?;
    let n = layout.numel();
    if n > 0 {
        let idx = upload(x, indices)?;
        let dst = Strided::from_parts(shape, &contiguous_strides(shape), 0, true)?;
        launch!(x.dev, INDEX, T::kernel("scatter_add"), elems(n);
            out.ptr(0), x.ptr(0), Strided::of(layout)?, idx.ptr(0), dst, dim as u32, n as u64);
    }
    Ok(out)
}

/// Joins parts along `dim`: one copy kernel per part into its place.
pub(super) fn concat<T: GpuElement>(parts: &[(&Buf<T>, &Layout)], dim: usize) -> Result<Buf<T>> {
    let chunks: Vec<usize> = parts.iter().map(|(_, l)| numel(&l.shape()[dim..])).collect();
    let total: usize = chunks.iter().sum();
    let outer = numel(&parts[0].1.shape()[..dim]);
    let dev = &parts[0].0.dev;
    let out = Buf::<T>::alloc(dev, outer * total)?;
    let mut before = 0;
    for ((x, layout), &chunk) in parts.iter().zip(&chunks) {
        let n = layout.numel();
        if n > 0 {
            launch!(dev, INDEX, T::kernel("concat_part"), elems(n);
                out.ptr(0), x.ptr(0), Strided::of(layout)?, n as u64, chunk as u64, total as u64, before as u64);
        }
        before += chunk;
    }
    Ok(out)
}
