//! Walking strided layouts row by row: the innermost dimension is a simple
//! strided loop, the outer dimensions a precomputed list of row starts.

use super::PARALLEL_THRESHOLD;
use crate::layout::Layout;
use rayon::prelude::*;
use std::borrow::Cow;

/// A layout seen as rows: where each row starts, how long rows are and the step inside a row.
pub(crate) struct Rows {
    /// Storage offset of each row's first element.
    pub starts: Vec<usize>,
    /// Elements per row (the last dimension).
    pub len: usize,
    /// Step between neighbours in a row.
    pub stride: usize,
}

/// Splits `layout` into rows along its last dimension.
pub(crate) fn rows(layout: &Layout) -> Rows {
    let shape = layout.shape();
    let rank = shape.len();
    if rank == 0 {
        return Rows { starts: vec![layout.offset()], len: 1, stride: 1 };
    }
    if layout.numel() == 0 {
        return Rows { starts: Vec::new(), len: shape[rank - 1], stride: 1 };
    }
    let outer = Layout::new(shape[..rank - 1].to_vec(), layout.strides()[..rank - 1].to_vec(), layout.offset());
    Rows { starts: outer.offsets().collect(), len: shape[rank - 1], stride: layout.strides()[rank - 1] }
}

/// The elements of `layout` in row-major order: borrowed when already packed, copied otherwise.
pub(crate) fn packed<'a, T: Copy + Default + Send + Sync + 'static>(data: &'a [T], layout: &Layout) -> Cow<'a, [T]> {
    if layout.is_contiguous() {
        Cow::Borrowed(&data[layout.offset()..layout.offset() + layout.numel()])
    } else {
        Cow::Owned(collect(data, layout, |x| x))
    }
}

/// Contiguous elementwise work is split into chunks of this many elements, each
/// a plain slice loop the compiler vectorizes.
pub(crate) const CHUNK: usize = 1 << 13;

/// The elements of `layout` mapped through `f`, as a contiguous vector.
pub(crate) fn collect<T, U>(data: &[T], layout: &Layout, f: impl Fn(T) -> U + Sync) -> Vec<U>
where
    T: Copy + Sync,
    U: Copy + Default + Send + 'static,
{
    let n = layout.numel();
    let mut out = super::pool::take::<U>(n);
    if layout.is_contiguous() {
        let src = &data[layout.offset()..layout.offset() + n];
        let fill = |(dst, src): (&mut [U], &[T])| {
            for (d, &x) in dst.iter_mut().zip(src) {
                *d = f(x);
            }
        };
        if n >= PARALLEL_THRESHOLD {
            out.par_chunks_mut(CHUNK).zip(src.par_chunks(CHUNK)).for_each(fill);
        } else {
            fill((&mut out, src));
        }
        return out;
    }
    let rows = rows(layout);
    let fill = |(dst, &start): (&mut [U], &usize)| {
        for (i, d) in dst.iter_mut().enumerate() {
            *d = f(data[start + i * rows.stride]);
        }
    };
    if rows.len == 0 {
        return out;
    }
    if n >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(rows.len).zip(rows.starts.par_iter()).for_each(fill);
    } else {
        out.chunks_mut(rows.len).zip(rows.starts.iter()).for_each(fill);
    }
    out
}
