//! Fused softmax cross-entropy on the device; the targets and class weights
//! are uploaded for each call.

use super::alloc::Buf;
use super::kernels::LOSS;
use super::launch::{launch, rows, GpuElement, Strided};
use crate::backend::CrossEntropyTargets;
use crate::layout::Layout;
use crate::{Error, Result};

/// Per-row losses `[n]` and the gradient of their normalized sum `[n, c]`.
pub(super) fn cross_entropy<T: GpuElement>(
    z: &Buf<T>,
    layout: &Layout,
    t: &CrossEntropyTargets<'_>,
) -> Result<(Buf<T>, Buf<T>)> {
    let (n, c) = (layout.shape()[0], layout.shape()[1]);
    let (losses, grad) = (Buf::<T>::alloc(&z.dev, n)?, Buf::<T>::alloc(&z.dev, n * c)?);
    if n > 0 {
        // Rows with an ignored target (`ignore_index`) have no CUDA kernel yet.
        let classes: Vec<u64> = t
            .classes
            .iter()
            .map(|k| k.map(|k| k as u64))
            .collect::<Option<_>>()
            .ok_or_else(|| Error::invalid("cross_entropy", "ignore_index is not supported on CUDA yet"))?;
        let (classes, weight) = (Buf::upload(&z.dev, &classes)?, Buf::<f64>::upload(&z.dev, t.weight)?);
        launch!(z.dev, LOSS, T::kernel("cross_entropy"), rows(n);
            losses.ptr(0), grad.ptr(0), z.ptr(0), Strided::of(layout)?, classes.ptr(0), weight.ptr(0),
            n as u64, c as u64, t.smoothing, t.norm);
    }
    Ok((losses, grad))
}
